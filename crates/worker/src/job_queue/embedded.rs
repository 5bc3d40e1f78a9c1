//! The in-process job queue of `ihub serve`: a channel whose sending end any task may clone, and whose receiving end
//! this process's worker takes once. Jobs live in memory only; after a restart the reconciler pushes again every
//! run the database says is waiting.
use std::sync::{Arc, Mutex};

use apalis::prelude::{MemorySink, MemoryStorage, MemoryStorageError, Task, WorkerBuilder, WorkerBuilderExt};
use futures::SinkExt;
use futures::channel::mpsc::UnboundedSender;
use futures::future::BoxFuture;
use ihub_domain::job_queue::{Job, JobQueue, JobQueueError};

use super::{Consumer, QueueError, WorkerQueue, handle, stopped};

pub struct EmbeddedQueue {
    sender: UnboundedSender<Task<Job>>,
    storage: Mutex<Option<MemoryStorage<Job>>>,
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
        self.sender
            .unbounded_send(Task::new(job))
            .map_err(|e| JobQueueError::Refused(e.to_string()))
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
        WorkerBuilder::new(consumer.name)
            .backend(storage)
            .data(consumer.handler)
            .concurrency(consumer.concurrency.max(1))
            .build(handle)
            .run_until(stopped(stop))
            .await
            .map_err(|e| QueueError::Consumer(e.to_string()))
    }
}
