//! The scheduler: every tick, fires the schedules that are due (each due occurrence queues one run, however many
//! workers look at once; see `integrations::schedules::fire_due`).
use ihub_domain::Hub;
use ihub_domain::integrations::schedules;
use tokio::sync::watch;

use crate::settings::SchedulerSettings;

pub async fn run(hub: Hub, settings: SchedulerSettings, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(settings.tick);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        if let Err(e) = schedules::fire_due(&hub, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "scheduler pass failed; trying again next tick");
        }
    }
}
