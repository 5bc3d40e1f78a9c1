//! The database is the truth about runs; this loop makes the queue agree with it: runs stuck without a heartbeat
//! are resumed, queued runs whose job was lost (Redis flushed or restarted) are pushed again, retries are
//! dispatched when their backoff ends, and due schedules fire.
use ihub_domain::Hub;
use ihub_domain::job_queue::Job;
use ihub_domain::runs::lifecycle;
use tokio::sync::watch;
use uuid::Uuid;

use crate::role::WorkerSettings;

const BATCH: u64 = 500;

pub async fn run(hub: Hub, settings: WorkerSettings, mut stop: watch::Receiver<bool>) {
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
        if let Err(e) = pass(&hub, &settings).await {
            tracing::warn!(error = %e, "reconciler pass failed; trying again next tick");
        }
    }
}

/// One look at the database; public so tests can drive it without waiting for the tick.
pub async fn pass(hub: &Hub, settings: &WorkerSettings) -> ihub_domain::Result<()> {
    let stuck = lifecycle::requeue_stuck(&hub.db, settings.stuck_after).await?;
    if !stuck.is_empty() {
        tracing::warn!(runs = stuck.len(), "resuming runs whose worker stopped answering");
    }
    dispatch(hub, stuck).await;
    dispatch(hub, lifecycle::due_retries(&hub.db, BATCH).await?).await;
    let lost = lifecycle::lost_in_queue(&hub.db, settings.requeue_after, BATCH).await?;
    if !lost.is_empty() {
        tracing::info!(runs = lost.len(), "pushing queued runs to the queue again");
    }
    dispatch(hub, lost).await;
    let reclaimed = ihub_domain::inbound::reclaim_stale(hub, settings.stuck_after).await?;
    if reclaimed > 0 {
        tracing::warn!(
            items = reclaimed,
            "inbound items left by a processor that died are pending again"
        );
    }
    ihub_domain::integrations::schedules::fire_due(hub, chrono::Utc::now()).await?;
    Ok(())
}

async fn dispatch(hub: &Hub, runs: Vec<Uuid>) {
    for run_id in runs {
        if let Err(e) = hub.dispatcher.dispatch(Job::Run { run_id }).await {
            tracing::warn!(%run_id, error = %e, "could not dispatch; the next pass tries again");
        }
    }
}
