//! The in-process job queue of `ihub serve`: a channel whose sending end any task may clone, and whose receiving end
//! this process's worker takes once. Jobs live in memory only; after a restart the reconciler pushes again every
//! run the database says is waiting. As in Redis, one job per run waits at most (`pending`, cleared when taken).
use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use apalis::prelude::{MemorySink, MemoryStorage, MemoryStorageError, Task, WorkerBuilder, WorkerBuilderExt};
use futures::SinkExt;
use futures::channel::mpsc::UnboundedSender;
use futures::future::BoxFuture;
use ihub_domain::job_queue::{Job, JobQueue, JobQueueError};

use super::{Consumer, Handler, JobHandler, QueueError, WorkerQueue, handle, stopped};

pub struct EmbeddedQueue {
    sender: UnboundedSender<Task<Job>>,
    storage: Mutex<Option<MemoryStorage<Job>>>,
    pending: Arc<Mutex<HashSet<String>>>,
}

impl EmbeddedQueue {
    pub fn new() -> Self {
        let (tx, rx) = futures::channel::mpsc::unbounded::<Task<Job>>();
        // apalis's `MemorySink` is not used to push: it locks a shared mutex with `try_lock().unwrap()` and drops a
        // pending lock future (losing its wake-up), so concurrent pushes could panic or stall the worker. The
        // worker's storage gets a sink of its own (apalis polls it for readiness), never shared.
        let own: Box<dyn futures::Sink<Task<Job>, Error = MemoryStorageError> + Send + Sync + Unpin> =
            Box::new(tx.clone().sink_map_err(|e| MemoryStorageError::Other(Box::new(e))));
        let sink = MemorySink::new(Arc::new(futures::lock::Mutex::new(own)));
        Self {
            sender: tx,
            storage: Mutex::new(Some(MemoryStorage::new_with(sink, Box::pin(rx)))),
            pending: Arc::default(),
        }
    }
}

impl Default for EmbeddedQueue {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl JobQueue for EmbeddedQueue {
    async fn push(&self, job: Job) -> Result<(), JobQueueError> {
        let key = job.key();
        if !self.pending.lock().expect("lock").insert(key.clone()) {
            return Ok(());
        }
        self.sender.unbounded_send(Task::new(job)).map_err(|e| {
            self.pending.lock().expect("lock").remove(&key);
            JobQueueError::Refused(e.to_string())
        })
    }

    async fn push_again(&self, job: Job) -> Result<(), JobQueueError> {
        self.pending.lock().expect("lock").remove(&job.key());
        self.push(job).await
    }

    async fn ping(&self) -> Result<(), JobQueueError> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "embedded"
    }
}

#[async_trait::async_trait]
impl WorkerQueue for EmbeddedQueue {
    async fn consume(&self, consumer: Consumer, stop: BoxFuture<'static, ()>) -> Result<(), QueueError> {
        let storage = self
            .storage
            .lock()
            .expect("lock")
            .take()
            .ok_or(QueueError::AlreadyConsumed)?;
        let handler = Handler(Arc::new(Taking {
            pending: self.pending.clone(),
            inner: consumer.handler,
        }));
        WorkerBuilder::new(consumer.name)
            .backend(storage)
            .data(handler)
            .concurrency(consumer.concurrency.max(1))
            .build(handle)
            .run_until(stopped(stop))
            .await
            .map_err(|e| QueueError::Consumer(e.to_string()))
    }
}

/// Clears the job's pending mark before handling it: from then on a push for the same run is a new job.
struct Taking {
    pending: Arc<Mutex<HashSet<String>>>,
    inner: Handler,
}

#[async_trait::async_trait]
impl JobHandler for Taking {
    async fn handle(&self, job: Job) {
        self.pending.lock().expect("lock").remove(&job.key());
        self.inner.0.handle(job).await;
    }
}
