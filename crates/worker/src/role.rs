//! The worker role: what `ihub worker` runs, and what `ihub serve` runs beside the API. It consumes run jobs
//! from the queue (apalis), and runs the reconciler and the scheduler tick.
use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{BackendExt, BoxDynError, Data, WorkerBuilder, WorkerBuilderExt};
use ihub_domain::Hub;
use ihub_domain::job_queue::Job;
use ihub_domain::runs::lifecycle::Ending;
use ihub_domain::runs::sync;
use tokio::sync::watch;

use crate::queue::{QueueBackend, QueueError};
use crate::{inbound, reconcile};

/// How a worker paces itself; from configuration.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Runs executed at once by this process.
    pub runs_at_once: usize,
    pub sync: sync::Options,
    /// How often the reconciler and the scheduler look at the database.
    pub tick: Duration,
    /// A queued run not taken for this long is pushed to the queue again (it may have been lost).
    pub requeue_after: Duration,
    /// A running run with no heartbeat for this long is stuck: put back to the queue for any worker.
    pub stuck_after: Duration,
    /// How often an idle worker asks Redis for jobs.
    pub poll: Duration,
    /// Inbound-queue processors in this process, and how often an idle one looks for due items.
    pub queue_processors: usize,
    pub queue_pass: Duration,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            runs_at_once: 4,
            sync: sync::Options::default(),
            tick: Duration::from_secs(5),
            requeue_after: Duration::from_secs(120),
            stuck_after: Duration::from_secs(60),
            poll: Duration::from_millis(250),
            queue_processors: 2,
            queue_pass: Duration::from_secs(1),
        }
    }
}

/// How long a run waits while another run of its integration is running.
const WAIT_FOR_OTHER_RUN: Duration = Duration::from_secs(2);

/// What every job handler shares.
#[derive(Clone)]
struct State {
    hub: Hub,
    name: Arc<str>,
    settings: Arc<WorkerSettings>,
    stop: watch::Receiver<bool>,
}

async fn handle(job: Job, state: Data<State>) -> Result<(), BoxDynError> {
    match job {
        Job::Run { run_id } => {
            let ending = sync::execute(
                &state.hub,
                run_id,
                &state.name,
                &state.settings.sync,
                state.stop.clone(),
            )
            .await;
            match ending {
                Ok(Ending::Lost) => tracing::debug!(%run_id, "run not taken: finished, cancelled, or held elsewhere"),
                Ok(Ending::Waiting) => {
                    // Another run of the integration is running: look again in a moment, without holding a slot.
                    let hub = state.hub.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(WAIT_FOR_OTHER_RUN).await;
                        if let Err(e) = hub.dispatcher.dispatch(Job::Run { run_id }).await {
                            tracing::warn!(%run_id, error = %e, "could not dispatch; the reconciler will");
                        }
                    });
                }
                Ok(ending) => tracing::info!(%run_id, ?ending, "run job done"),
                // The run stays `in_progress` without heartbeat: the reconciler resumes it after `stuck_after`.
                Err(e) => tracing::error!(%run_id, error = %e, "run job failed"),
            }
        }
    }
    Ok(())
}

fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "worker".into());
    format!(
        "{host}-{}-{}",
        std::process::id(),
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Runs until `shutdown` resolves, then stops taking jobs, gives back what it holds (checkpointed, `queued`) and
/// returns.
pub async fn run(
    hub: Hub,
    queue: QueueBackend,
    settings: WorkerSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), QueueError> {
    queue.ping().await?;
    let name: Arc<str> = worker_name().into();
    tracing::info!(backend = queue.describe(), worker = %name, environment = ?hub.environment, "worker started");
    let (stop_tx, stop_rx) = watch::channel(false);
    let state = State {
        hub: hub.clone(),
        name: name.clone(),
        settings: Arc::new(settings.clone()),
        stop: stop_rx.clone(),
    };
    let ticker = tokio::spawn(reconcile::run(hub.clone(), settings.clone(), stop_rx.clone()));
    let processors: Vec<_> = (0..settings.queue_processors)
        .map(|n| {
            tokio::spawn(inbound::run(
                hub.clone(),
                format!("{name}/queue-{n}"),
                settings.clone(),
                stop_rx.clone(),
            ))
        })
        .collect();
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        tracing::info!("worker stopping: giving back the runs it holds");
        let _ = stop_tx.send(true);
        let _ = done_tx.send(());
        Ok::<(), std::io::Error>(())
    };
    let result = match queue.take_embedded()? {
        Some(storage) => {
            WorkerBuilder::new(name.to_string())
                .backend(storage)
                .data(state)
                .concurrency(settings.runs_at_once.max(1))
                .build(handle)
                .run_until(signal)
                .await
        }
        None => {
            let QueueBackend::Redis { storage, .. } = &queue else {
                unreachable!("take_embedded answers None only for Redis")
            };
            WorkerBuilder::new(name.to_string())
                // apalis-redis only looks again at its heartbeat (30 s) once the queue ran dry; poll instead.
                .backend((**storage).clone().poll_with_interval(settings.poll))
                .data(state)
                .concurrency(settings.runs_at_once.max(1))
                .build(handle)
                .run_until(signal)
                .await
        }
    };
    let _ = done_rx.await;
    ticker.abort();
    // Processors finish the person they hold (or give the items back) and stop.
    for processor in processors {
        let _ = processor.await;
    }
    if let Err(e) = result {
        tracing::warn!(error = %e, "the job consumer ended with an error");
    }
    tracing::info!("worker stopped");
    Ok(())
}
