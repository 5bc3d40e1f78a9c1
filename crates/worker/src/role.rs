//! The worker role: what `ihub worker` runs, and what `ihub serve` runs beside the API — the job consumer and the
//! scheduler, reconciler, retention and inbound-processor loops — until shutdown, when it stops taking work and gives back what
//! it holds.
use std::sync::Arc;

use futures::FutureExt;
use ihub_domain::Hub;
use tokio::sync::watch;

use crate::job_queue::{Consumer, QueueError, WorkerQueue};
use crate::settings::WorkerSettings;
use crate::{inbound_processor, jobs, reconciler, retention, scheduler};

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
    queue: Arc<dyn WorkerQueue>,
    settings: WorkerSettings,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), QueueError> {
    queue.ping().await?;
    let name: Arc<str> = worker_name().into();
    tracing::info!(backend = queue.kind(), worker = %name, environment = ?hub.environment, "worker started");
    let (stop_tx, stop_rx) = watch::channel(false);
    let scheduler = tokio::spawn(scheduler::run(hub.clone(), settings.scheduler.clone(), stop_rx.clone()));
    let reconciler = tokio::spawn(reconciler::run(
        hub.clone(),
        settings.reconciler.clone(),
        stop_rx.clone(),
    ));
    let retention = tokio::spawn(retention::run(hub.clone(), settings.retention.clone(), stop_rx.clone()));
    let processors: Vec<_> = (0..settings.inbound.processors)
        .map(|n| {
            tokio::spawn(inbound_processor::run(
                hub.clone(),
                format!("{name}/inbound-{n}"),
                settings.inbound.clone(),
                settings.runs.sync.clone(),
                stop_rx.clone(),
            ))
        })
        .collect();
    let consumer = Consumer {
        name: name.to_string(),
        concurrency: settings.runs.at_once,
        poll: settings.runs.poll,
        handler: jobs::handler(hub.clone(), name.clone(), settings.runs.clone(), stop_rx.clone()),
    };
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let stop = async move {
        shutdown.await;
        tracing::info!("worker stopping: giving back the runs it holds");
        let _ = stop_tx.send(true);
        let _ = done_tx.send(());
    };
    let result = queue.consume(consumer, stop.boxed()).await;
    let _ = done_rx.await;
    scheduler.abort();
    reconciler.abort();
    // A batch is one statement: stopping between two leaves nothing half done.
    retention.abort();
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
