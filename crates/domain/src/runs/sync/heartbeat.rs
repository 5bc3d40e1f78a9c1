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

/// The heartbeat's task, stopped when dropped: a run whose future is dropped mid-way (its worker's task torn down)
/// must not go on looking alive, or nobody would ever resume it.
pub(super) struct Beating(tokio::task::JoinHandle<()>);

impl Beating {
    pub fn start(every: Duration, recorder: Arc<Recorder>, flags: Arc<Flags>, stop: watch::Receiver<bool>) -> Self {
        Self(tokio::spawn(run(every, recorder, flags, stop)))
    }
}

impl Drop for Beating {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run(every: Duration, recorder: Arc<Recorder>, flags: Arc<Flags>, mut stop: watch::Receiver<bool>) {
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    #[tokio::test]
    async fn a_dropped_guard_stops_its_task() {
        let ticks = Arc::new(AtomicUsize::new(0));
        let counted = ticks.clone();
        let guard = Beating(tokio::spawn(async move {
            loop {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
        tokio::time::sleep(Duration::from_millis(30)).await;
        drop(guard);
        tokio::time::sleep(Duration::from_millis(10)).await;
        let after_drop = ticks.load(Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert!(after_drop > 0);
        assert_eq!(
            ticks.load(Ordering::SeqCst),
            after_drop,
            "the task went on after its guard was dropped"
        );
    }
}
