//! While a run goes: it says it is alive every few seconds (with its counts so far, so a report shows them), and
//! learns whether it was cancelled, taken away, or its worker is shutting down. The page loop and the writer stop at
//! the next record boundary once any of those is so.
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::watch;

use super::record::Recorder;
use crate::runs::lifecycle;

/// Why a run stops early, as the heartbeat learnt it.
#[derive(Default)]
pub(super) struct Flags {
    pub cancel: AtomicBool,
    /// The run was taken away from this worker.
    pub lost: AtomicBool,
    /// The worker is shutting down.
    pub stop: AtomicBool,
}

impl Flags {
    pub fn halted(&self) -> bool {
        self.cancel.load(Ordering::Relaxed) || self.lost.load(Ordering::Relaxed) || self.stop.load(Ordering::Relaxed)
    }

    pub fn is(flag: &AtomicBool) -> bool {
        flag.load(Ordering::Relaxed)
    }

    pub fn raise(flag: &AtomicBool) {
        flag.store(true, Ordering::Relaxed);
    }
}

pub(super) async fn run(every: Duration, recorder: Arc<Recorder>, flags: Arc<Flags>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    Flags::raise(&flags.stop);
                }
                if changed.is_err() {
                    return;
                }
                continue;
            }
        }
        match lifecycle::heartbeat(recorder.db(), recorder.run_id(), recorder.worker(), recorder.counts()).await {
            Ok(beat) => {
                if !beat.held {
                    Flags::raise(&flags.lost);
                }
                if beat.cancel_requested {
                    Flags::raise(&flags.cancel);
                }
            }
            Err(e) => tracing::warn!(run_id = %recorder.run_id(), error = %e, "heartbeat failed"),
        }
    }
}
