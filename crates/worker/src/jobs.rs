//! What a worker does with each job it takes from the job queue.
use std::sync::Arc;
use std::time::Duration;

use ihub_domain::Hub;
use ihub_domain::job_queue::Job;
use ihub_domain::runs::lifecycle::Ending;
use tokio::sync::watch;

use crate::execute_run;
use crate::inbound_processor;
use crate::job_queue::{Handler, JobHandler};
use crate::settings::RunSettings;

/// How long a run waits while another run of its integration is running.
const WAIT_FOR_OTHER_RUN: Duration = Duration::from_secs(2);

/// The consumer's handler for this worker.
pub fn handler(hub: Hub, worker: Arc<str>, settings: RunSettings, stop: watch::Receiver<bool>) -> Handler {
    Handler(Arc::new(Jobs {
        hub,
        worker,
        settings,
        stop,
    }))
}

struct Jobs {
    hub: Hub,
    worker: Arc<str>,
    settings: RunSettings,
    stop: watch::Receiver<bool>,
}

#[async_trait::async_trait]
impl JobHandler for Jobs {
    async fn handle(&self, job: Job) {
        handle(&self.hub, &self.worker, &self.settings, self.stop.clone(), job).await;
    }
}

async fn handle(hub: &Hub, worker: &str, settings: &RunSettings, stop: watch::Receiver<bool>, job: Job) {
    match job {
        Job::Run { run_id } => {
            if let Ok(Ending::Waiting) = execute_run(hub, run_id, worker, &settings.sync, stop).await {
                // Another run of the integration is running: look again in a moment, without holding a slot.
                let hub = hub.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(WAIT_FOR_OTHER_RUN).await;
                    if let Err(e) = hub.job_queue.push(Job::Run { run_id }).await {
                        tracing::warn!(%run_id, error = %e, "could not push the run again; the reconciler will");
                    }
                });
            }
        }
        Job::ProcessInbound { item_id } => {
            if let Err(e) = inbound_processor::process_item(hub, worker, &settings.sync, item_id, stop).await {
                // Items stay `processing`; the reconciler gives them back after the stuck time.
                tracing::error!(%item_id, error = %e, "processing an inbound item now failed");
            }
        }
    }
}
