//! The scheduler: fires the schedules that are due (each due occurrence queues one run, however many workers look
//! at once; see `integrations::schedules::fire_due`). It wakes when the next schedule is due rather than on the
//! next tick, so a run starts within a fraction of a second of its minute; the tick only bounds how long it trusts
//! what it read (a schedule created or moved meanwhile by the API).
use std::time::Duration;

use chrono::Utc;
use ihub_domain::Hub;
use ihub_domain::integrations::schedules;
use tokio::sync::watch;

use crate::settings::SchedulerSettings;

pub async fn run(hub: Hub, settings: SchedulerSettings, mut stop: watch::Receiver<bool>) {
    loop {
        let wait = match pass(&hub).await {
            Ok(next_due) => until(next_due, settings.tick),
            Err(e) => {
                tracing::warn!(error = %e, "scheduler pass failed; trying again next tick");
                settings.tick
            }
        };
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
    }
}

/// Fires everything due now, a batch (one transaction) at a time until nothing more is queued: a storm of a
/// thousand schedules in one minute is fired at once, not a batch per tick. Answers when the next one is due.
async fn pass(hub: &Hub) -> ihub_domain::Result<Option<chrono::DateTime<Utc>>> {
    while !schedules::fire_due(hub, Utc::now()).await?.is_empty() {}
    schedules::next_due(hub).await
}

/// Never less than this: a schedule still due after a pass (its firing failed) is tried again soon, not in a spin.
const MIN_WAIT: Duration = Duration::from_millis(50);

fn until(next_due: Option<chrono::DateTime<Utc>>, tick: Duration) -> Duration {
    match next_due {
        Some(at) => (at - Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO)
            .clamp(MIN_WAIT, tick.max(MIN_WAIT)),
        None => tick,
    }
}
