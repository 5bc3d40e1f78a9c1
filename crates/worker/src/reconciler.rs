//! The reconciler. The database is the truth about runs; this loop makes the job queue agree with it: runs stuck
//! without a heartbeat are resumed, queued runs whose job was lost (Redis flushed or restarted) are pushed again,
//! retries are pushed when their backoff ends, and inbound items a dead processor held are pending again.
use ihub_domain::Hub;
use ihub_domain::inbound::processing;
use ihub_domain::job_queue::Job;
use ihub_domain::runs::lifecycle;
use tokio::sync::watch;
use uuid::Uuid;

use crate::settings::ReconcilerSettings;
use crate::tick;

const BATCH: u64 = 500;

pub async fn run(hub: Hub, settings: ReconcilerSettings, stop: watch::Receiver<bool>) {
    tick::every(settings.tick, "reconciler", stop, || pass(&hub, &settings)).await;
}

/// One look at the database.
pub async fn pass(hub: &Hub, settings: &ReconcilerSettings) -> ihub_domain::Result<()> {
    let stuck = lifecycle::requeue_stuck(&hub.db, settings.stuck_after).await?;
    if !stuck.is_empty() {
        tracing::warn!(runs = stuck.len(), "resuming runs whose worker stopped answering");
    }
    push(hub, stuck).await;
    push(hub, lifecycle::due_retries(&hub.db, BATCH).await?).await;
    // One run per idle integration (the next in its order); the rest follow as each run ends.
    let lost = lifecycle::lost_in_queue(&hub.db, settings.requeue_after, BATCH).await?;
    if !lost.is_empty() {
        tracing::info!(runs = lost.len(), "pushing queued runs to the queue again");
    }
    for run_id in lost {
        if let Err(e) = hub.job_queue.push_again(Job::Run { run_id }).await {
            tracing::warn!(%run_id, error = %e, "could not push; the next pass tries again");
        }
    }
    let reclaimed = processing::reclaim_stale(hub, settings.stuck_after).await?;
    if reclaimed > 0 {
        tracing::warn!(
            items = reclaimed,
            "inbound items left by a processor that died are pending again"
        );
    }
    Ok(())
}

async fn push(hub: &Hub, runs: Vec<Uuid>) {
    for run_id in runs {
        if let Err(e) = hub.job_queue.push(Job::Run { run_id }).await {
            tracing::warn!(%run_id, error = %e, "could not push; the next pass tries again");
        }
    }
}
