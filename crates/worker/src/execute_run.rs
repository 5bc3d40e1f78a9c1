//! The one way a run is executed, whoever started it: a `Run` job (Run now, a schedule, a retry, a resume, the
//! reconciler) or an inbound processor's `webhook` run. The sync itself is the domain's (`runs::sync`).
use ihub_domain::Hub;
use ihub_domain::job_queue::Job;
use ihub_domain::runs::lifecycle::{self, Ending};
use ihub_domain::runs::sync;
use tokio::sync::watch;
use tracing::Instrument;
use uuid::Uuid;

/// Claims the run for `worker` and executes (or resumes) it. `stop` turns true when the worker shuts down: the run
/// is then checkpointed and given back. An error leaves the run `in_progress` without heartbeat, for the
/// reconciler to resume after the stuck time.
pub async fn execute_run(
    hub: &Hub,
    run_id: Uuid,
    worker: &str,
    options: &sync::Options,
    stop: watch::Receiver<bool>,
) -> ihub_domain::Result<Ending> {
    let span = tracing::info_span!("run", %run_id, worker);
    async {
        let ending = sync::execute(hub, run_id, worker, options, stop).await;
        match &ending {
            Ok(Ending::Lost) => tracing::debug!("run not taken: finished, cancelled, or held elsewhere"),
            Ok(Ending::Waiting) => tracing::debug!("another run of the integration is running; this one waits"),
            Ok(ending) => tracing::info!(?ending, "run ended"),
            Err(e) => tracing::error!(error = %e, "run failed; the reconciler resumes it"),
        }
        if let Ok(Ending::Finished(_) | Ending::WillRetry(_) | Ending::Released) = ending {
            push_next(hub, run_id).await;
        }
        ending
    }
    .instrument(span)
    .await
}

/// One run of the integration at a time: the one that ended hands over to the oldest waiting (itself, when it was
/// given back at shutdown). A push that fails is left to the reconciler.
async fn push_next(hub: &Hub, ended: Uuid) {
    match lifecycle::next_waiting(&hub.db, ended).await {
        Ok(Some(run_id)) => {
            if let Err(e) = hub.job_queue.push(Job::Run { run_id }).await {
                tracing::warn!(%run_id, error = %e, "could not push the next run; the reconciler will");
            }
        }
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "could not look for the next run; the reconciler will push it"),
    }
}
