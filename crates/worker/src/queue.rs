//! Which job backend this process uses, chosen once from configuration: an apalis queue on Redis shared by any
//! number of `ihub worker` processes, or apalis's in-memory queue for `ihub serve`. Either way the run rows in the
//! database are what matters; the reconciler re-dispatches anything a queue lost.
use std::sync::{Arc, Mutex};
use std::time::Duration;

use apalis::prelude::{MemorySink, MemoryStorage, MemoryStorageError, Task, TaskSink};
use apalis_redis::{ConnectionManager, RedisStorage};
use futures::SinkExt;
use futures::channel::mpsc::UnboundedSender;
use ihub_domain::job_queue::{DispatchError, Dispatcher, Job};

/// Where jobs wait in Redis by default; named so that other apalis users of the same Redis never mix with ours.
/// Hubs sharing one Redis need a queue each (`IHUB_REDIS_QUEUE`).
pub const REDIS_QUEUE: &str = "ihub::jobs";

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("job queue unreachable: {0}")]
    Unreachable(String),
    #[error("REDIS_URL is not a valid Redis URL: {0}")]
    BadUrl(String),
    #[error("the embedded job queue was already taken by a worker in this process")]
    AlreadyConsumed,
}

pub type RedisJobs = RedisStorage<Job, ConnectionManager>;

/// The in-process queue: a channel whose sending end any task may clone, and whose receiving end this process's
/// worker takes once. apalis's `MemorySink` is not used to send: it locks a shared mutex with `try_lock().unwrap()`
/// and drops a pending lock future (losing its wake-up), so concurrent dispatches could panic or stall the worker.
pub struct Embedded {
    sender: UnboundedSender<Task<Job>>,
    storage: Mutex<Option<MemoryStorage<Job>>>,
}

#[derive(Clone)]
pub enum QueueBackend {
    Embedded(Arc<Embedded>),
    Redis {
        client: redis::Client,
        storage: Box<RedisJobs>,
    },
}

impl std::fmt::Debug for QueueBackend {
    // The URL may carry a password; never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.describe())
    }
}

impl QueueBackend {
    pub fn embedded() -> Self {
        let (tx, rx) = futures::channel::mpsc::unbounded::<Task<Job>>();
        // The worker's storage gets a sink of its own (apalis polls it for readiness), never shared.
        let own: Box<dyn futures::Sink<Task<Job>, Error = MemoryStorageError> + Send + Sync + Unpin> =
            Box::new(tx.clone().sink_map_err(|e| MemoryStorageError::Other(Box::new(e))));
        let sink = MemorySink::new(Arc::new(futures::lock::Mutex::new(own)));
        let storage = MemoryStorage::new_with(sink, Box::pin(rx));
        Self::Embedded(Arc::new(Embedded {
            sender: tx,
            storage: Mutex::new(Some(storage)),
        }))
    }

    /// Redis when a URL is given (connected on first use); otherwise the embedded queue.
    pub async fn connect(redis_url: Option<&str>, queue: &str) -> Result<Self, QueueError> {
        let Some(url) = redis_url else {
            return Ok(Self::embedded());
        };
        let client = redis::Client::open(url).map_err(|e| QueueError::BadUrl(e.to_string()))?;
        // Lazy: an API process starts (and says it is not ready) while Redis is down, and reconnects when it is
        // back; a worker refuses to start until it can ping.
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), redis::aio::ConnectionManagerConfig::new())
            .map_err(|e| QueueError::Unreachable(e.to_string()))?;
        let config = apalis_redis::Config::default().queue(queue);
        let storage = RedisStorage::new(conn).with_config(config);
        Ok(Self::Redis {
            client,
            storage: Box::new(storage),
        })
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Self::Embedded(_) => "embedded",
            Self::Redis { .. } => "redis",
        }
    }

    pub fn dispatcher(&self) -> Arc<dyn Dispatcher> {
        Arc::new(QueueDispatcher(self.clone()))
    }

    /// The in-memory queue's consuming end, once per process.
    pub fn take_embedded(&self) -> Result<Option<MemoryStorage<Job>>, QueueError> {
        match self {
            Self::Embedded(embedded) => embedded
                .storage
                .lock()
                .expect("lock")
                .take()
                .map(Some)
                .ok_or(QueueError::AlreadyConsumed),
            Self::Redis { .. } => Ok(None),
        }
    }

    /// For readiness: can this process reach its queue right now?
    pub async fn ping(&self) -> Result<(), QueueError> {
        match self {
            Self::Embedded(_) => Ok(()),
            Self::Redis { client, .. } => {
                let attempt = async {
                    let mut conn = client.get_multiplexed_async_connection().await?;
                    redis::cmd("PING").query_async::<String>(&mut conn).await
                };
                match tokio::time::timeout(Duration::from_secs(2), attempt).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(QueueError::Unreachable(e.to_string())),
                    Err(_) => Err(QueueError::Unreachable("no answer within 2 s".into())),
                }
            }
        }
    }
}

struct QueueDispatcher(QueueBackend);

#[async_trait::async_trait]
impl Dispatcher for QueueDispatcher {
    async fn dispatch(&self, job: Job) -> Result<(), DispatchError> {
        match &self.0 {
            QueueBackend::Embedded(embedded) => embedded
                .sender
                .unbounded_send(Task::new(job))
                .map_err(|e| DispatchError(e.to_string())),
            QueueBackend::Redis { storage, .. } => {
                let mut storage = (**storage).clone();
                storage.push(job).await.map_err(|e| DispatchError(e.to_string()))
            }
        }
    }
}
