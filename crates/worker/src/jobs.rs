//! What a worker does with each job it takes from the job queue.
use std::sync::Arc;

use ihub_domain::Hub;
use ihub_domain::job_queue::Job;
use tokio::sync::watch;

use crate::execute_run;
use crate::inbound_processor;
use crate::job_queue::{Handler, JobHandler};
use crate::settings::RunSettings;

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
            // A run that finds another of its integration running drops its job: that one pushes the next
            // waiting run when it ends (`execute_run`).
            let _ = execute_run(hub, run_id, worker, &settings.sync, stop).await;
        }
        Job::ProcessInbound { item_id } => {
            if let Err(e) = inbound_processor::process_item(hub, worker, &settings.sync, item_id, stop).await {
                // Items stay `processing`; the reconciler gives them back after the stuck time.
                tracing::error!(%item_id, error = %e, "processing an inbound item now failed");
            }
        }
    }
}
