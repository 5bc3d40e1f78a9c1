//! The pace of the loops that look at the database on a timer (the scheduler, the reconciler).
use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

/// Calls `pass` every `every` until `stop` turns true; a pass that fails is logged and tried again next tick.
pub async fn every<F, Fut>(every: Duration, what: &str, mut stop: watch::Receiver<bool>, mut pass: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ihub_domain::Result<()>>,
{
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        if let Err(e) = pass().await {
            tracing::warn!(error = %e, "{what} pass failed; trying again next tick");
        }
    }
}
