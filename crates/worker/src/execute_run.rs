//! The one way a run is executed, whoever started it: a `Run` job (Run now, a schedule, a retry, a resume, the
//! reconciler) or an inbound processor's `webhook` run. The sync itself is the domain's (`runs::sync`).
use ihub_domain::Hub;
use ihub_domain::runs::lifecycle::Ending;
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
        ending
    }
    .instrument(span)
    .await
}
