//! The job queue behind one interface, chosen once from configuration: `embedded` (in memory, for `ihub serve`)
//! or `redis` (an apalis queue shared by any number of `ihub worker` processes). Either way the rows in the
//! database are what matters; the reconciler pushes again anything a queue lost.
mod embedded;
mod redis;

use std::sync::Arc;
use std::time::Duration;

use apalis::prelude::{BoxDynError, Data};
use futures::future::BoxFuture;
use ihub_domain::job_queue::{Job, JobQueue};

pub use self::embedded::EmbeddedQueue;
pub use self::redis::{REDIS_QUEUE, RedisQueue, push_as_apalis};

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("job queue unreachable: {0}")]
    Unreachable(String),
    #[error("REDIS_URL is not a valid Redis URL: {0}")]
    BadUrl(String),
    #[error("the embedded job queue was already taken by a worker in this process")]
    AlreadyConsumed,
    #[error("the job consumer stopped: {0}")]
    Consumer(String),
}

impl From<ihub_domain::job_queue::JobQueueError> for QueueError {
    fn from(e: ihub_domain::job_queue::JobQueueError) -> Self {
        Self::Unreachable(e.to_string())
    }
}

/// What a consumer does with each job it takes. Failures are the handler's to record (in the database, where the
/// reconciler sees them): the queue never retries a job itself.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    async fn handle(&self, job: Job);
}

/// A handler as consumers hold it (a named type: apalis's service bounds cannot see through a bare trait object's
/// lifetime).
#[derive(Clone)]
pub struct Handler(pub Arc<dyn JobHandler>);

/// How a worker consumes its queue.
pub struct Consumer {
    /// The worker's name, as apalis shows it.
    pub name: String,
    /// Jobs handled at once.
    pub concurrency: usize,
    /// How often an idle consumer asks a remote queue for jobs.
    pub poll: Duration,
    pub handler: Handler,
}

/// A job queue that a worker can also consume.
#[async_trait::async_trait]
pub trait WorkerQueue: JobQueue {
    /// Hands jobs to the consumer's handler until `stop` resolves; in-flight jobs are then awaited.
    async fn consume(&self, consumer: Consumer, stop: BoxFuture<'static, ()>) -> Result<(), QueueError>;
}

/// Redis when a URL is given (connected on first use); otherwise the embedded queue.
pub fn connect(redis_url: Option<&str>, queue: &str) -> Result<Arc<dyn WorkerQueue>, QueueError> {
    Ok(match redis_url {
        Some(url) => Arc::new(RedisQueue::connect(url, queue)?),
        None => Arc::new(EmbeddedQueue::new()),
    })
}

/// The apalis service both backends run: each job goes to the consumer's handler, on a task of its own. apalis
/// drops the jobs in flight when its worker ends on an error (Redis flushed or restarted); a run dropped mid-way
/// would leave its spawned heartbeat beating for a run nobody executes, and its integration blocked behind it.
async fn handle(job: Job, handler: Data<Handler>) -> Result<(), BoxDynError> {
    let Handler(inner) = (*handler).clone();
    tokio::spawn(async move { inner.handle(job).await }).await?;
    Ok(())
}

/// apalis wants a future that resolves to a result when the worker should stop.
async fn stopped(stop: BoxFuture<'static, ()>) -> Result<(), std::io::Error> {
    stop.await;
    Ok(())
}
