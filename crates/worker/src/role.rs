//! The worker role: what `ihub worker` runs, and what `ihub serve` runs beside the API.
use ihub_domain::Hub;

use crate::queue::{QueueBackend, QueueError};

/// Runs until `shutdown` resolves. Job kinds register here as they are built (sync runs, the inbound queue,
/// the scheduler tick); the role already owns the lifecycle: it refuses to start without its queue and stops
/// cleanly on the shutdown signal.
pub async fn run(
    hub: Hub,
    queue: QueueBackend,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), QueueError> {
    queue.ping().await?;
    tracing::info!(backend = queue.describe(), environment = ?hub.environment, "worker started");
    shutdown.await;
    tracing::info!("worker stopped");
    Ok(())
}
