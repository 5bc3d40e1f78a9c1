//! The worker role: what `ihub worker` runs, and what `ihub serve` runs beside the API — the job consumer and the
//! scheduler, reconciler, retention and inbound-processor loops — until shutdown, when it stops taking work and gives back what
//! it holds.
use std::sync::Arc;

use std::time::Duration;

use futures::FutureExt;
use ihub_domain::Hub;
use ihub_domain::job_queue::ConsumerStatus;
use tokio::sync::watch;

use crate::job_queue::{Consumer, Handler, QueueError, WorkerQueue};
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
    let handler = jobs::handler(hub.clone(), name.clone(), settings.runs.clone(), stop_rx.clone());
    let consuming = consume(&hub.consumer, &*queue, &name, &settings, handler, stop_rx.clone());
    tokio::pin!(consuming);
    tokio::pin!(shutdown);
    tokio::select! {
        // Only when this worker can take no jobs at all; its loops go on until shutdown.
        () = &mut consuming => {
            shutdown.await;
            let _ = stop_tx.send(true);
        }
        () = &mut shutdown => {
            tracing::info!("worker stopping: giving back the runs it holds");
            let _ = stop_tx.send(true);
            consuming.await;
        }
    }
    scheduler.abort();
    reconciler.abort();
    // A batch is one statement: stopping between two leaves nothing half done.
    retention.abort();
    // Processors finish the person they hold (or give the items back) and stop.
    for processor in processors {
        let _ = processor.await;
    }
    tracing::info!("worker stopped");
    Ok(())
}

/// The first wait before a consumer that ended is started again, doubled after every quick failure up to the cap.
const RESTART_FIRST: Duration = Duration::from_millis(250);
const RESTART_CAP: Duration = Duration::from_secs(10);
/// A consumer that ran this long before it ended starts again after the first wait, not a longer one.
const RAN_WELL: Duration = Duration::from_secs(30);

/// Runs the job consumer until `stop` turns true. A consumer that ends on its own (apalis ends its worker at the
/// first failed fetch or heartbeat: Redis restarted, flushed, unreachable) is started again after a backoff, and
/// the hub reports not ready while it is down.
pub async fn consume(
    status: &ConsumerStatus,
    queue: &dyn WorkerQueue,
    name: &str,
    settings: &WorkerSettings,
    handler: Handler,
    stop: watch::Receiver<bool>,
) {
    let mut wait = RESTART_FIRST;
    loop {
        let consumer = Consumer {
            name: name.to_owned(),
            concurrency: settings.runs.at_once,
            poll: settings.runs.poll,
            handler: handler.clone(),
        };
        let mut until = stop.clone();
        let stopping = async move {
            let _ = until.wait_for(|stop| *stop).await;
        };
        status.set_up(true);
        let started = std::time::Instant::now();
        let result = queue.consume(consumer, stopping.boxed()).await;
        status.set_up(false);
        if *stop.borrow() {
            if let Err(e) = result {
                tracing::warn!(error = %e, "the job consumer ended with an error");
            }
            return;
        }
        if started.elapsed() > RAN_WELL {
            wait = RESTART_FIRST;
        }
        match result {
            Err(QueueError::AlreadyConsumed) => {
                tracing::error!("the embedded job queue has a consumer already; this worker takes no jobs");
                return;
            }
            Err(e) => tracing::warn!(error = %e, retry_in = ?wait, "the job consumer stopped; starting it again"),
            Ok(()) => tracing::warn!(retry_in = ?wait, "the job consumer ended; starting it again"),
        }
        let mut until = stop.clone();
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            _ = until.wait_for(|stop| *stop) => return,
        }
        wait = (wait * 2).min(RESTART_CAP);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use futures::future::BoxFuture;
    use ihub_domain::job_queue::{Job, JobQueue, JobQueueError};

    use super::*;
    use crate::job_queue::JobHandler;

    /// A queue whose first consumer ends at once with an error (as apalis's does at a failed fetch) and whose
    /// second consumes until stopped.
    #[derive(Default)]
    struct EndsOnce {
        consumers: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl JobQueue for EndsOnce {
        async fn push(&self, _job: Job) -> Result<(), JobQueueError> {
            Ok(())
        }

        async fn ping(&self) -> Result<(), JobQueueError> {
            Ok(())
        }

        fn kind(&self) -> &'static str {
            "ends-once"
        }
    }

    #[async_trait::async_trait]
    impl WorkerQueue for EndsOnce {
        async fn consume(&self, _consumer: Consumer, stop: BoxFuture<'static, ()>) -> Result<(), QueueError> {
            if self.consumers.fetch_add(1, Ordering::SeqCst) == 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
                return Err(QueueError::Consumer("Failed to poll backend".into()));
            }
            stop.await;
            Ok(())
        }
    }

    struct Nothing;

    #[async_trait::async_trait]
    impl JobHandler for Nothing {
        async fn handle(&self, _job: Job) {}
    }

    async fn until(what: &str, check: impl Fn() -> bool) {
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while !check() {
            assert!(std::time::Instant::now() < deadline, "never: {what}");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    #[tokio::test]
    async fn a_consumer_that_ends_is_started_again_and_reports_down_meanwhile() {
        let status = ConsumerStatus::default();
        assert_eq!(status.is_up(), None, "no worker, nothing to report");
        let queue = EndsOnce::default();
        let (stop_tx, stop_rx) = watch::channel(false);
        let settings = WorkerSettings::default();
        let consuming = consume(&status, &queue, "test", &settings, Handler(Arc::new(Nothing)), stop_rx);
        let watching = async {
            until("up", || status.is_up() == Some(true)).await;
            until("down after the consumer ended", || status.is_up() == Some(false)).await;
            assert_eq!(
                queue.consumers.load(Ordering::SeqCst),
                1,
                "not started again before the backoff"
            );
            until("started again", || queue.consumers.load(Ordering::SeqCst) == 2).await;
            until("up again", || status.is_up() == Some(true)).await;
            stop_tx.send(true).unwrap();
        };
        tokio::time::timeout(Duration::from_secs(10), async { tokio::join!(consuming, watching) })
            .await
            .expect("the consumer stops when told");
        assert_eq!(status.is_up(), Some(false));
        assert_eq!(queue.consumers.load(Ordering::SeqCst), 2);
    }
}
