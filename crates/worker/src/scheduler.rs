//! The scheduler: every tick, fires the schedules that are due (each due occurrence queues one run, however many
//! workers look at once; see `integrations::schedules::fire_due`).
use ihub_domain::Hub;
use ihub_domain::integrations::schedules;
use tokio::sync::watch;

use crate::settings::SchedulerSettings;
use crate::tick;

pub async fn run(hub: Hub, settings: SchedulerSettings, stop: watch::Receiver<bool>) {
    tick::every(settings.tick, "scheduler", stop, || async {
        schedules::fire_due(&hub, chrono::Utc::now()).await.map(drop)
    })
    .await;
}
