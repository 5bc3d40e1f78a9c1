//! The job queue of scaled-out workers: an apalis queue in Redis that any number of `ihub worker` processes consume.
use std::time::Duration;

use apalis::prelude::{BackendExt, TaskSink, WorkerBuilder, WorkerBuilderExt};
use apalis_redis::{ConnectionManager, RedisStorage};
use futures::future::BoxFuture;
use ihub_domain::job_queue::{Job, JobQueue, JobQueueError};

use super::{Consumer, QueueError, WorkerQueue, handle, stopped};

/// Where jobs wait in Redis by default; named so that other apalis users of the same Redis never mix with ours.
/// Hubs sharing one Redis need a queue each (`IHUB_REDIS_QUEUE`).
pub const REDIS_QUEUE: &str = "ihub::jobs";

pub type RedisJobs = RedisStorage<Job, ConnectionManager>;

pub struct RedisQueue {
    client: redis::Client,
    storage: RedisJobs,
}

impl std::fmt::Debug for RedisQueue {
    // The URL may carry a password; never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisQueue")
    }
}

impl RedisQueue {
    pub fn connect(url: &str, queue: &str) -> Result<Self, QueueError> {
        let client = redis::Client::open(url).map_err(|e| QueueError::BadUrl(e.to_string()))?;
        // Lazy: an API process starts (and says it is not ready) while Redis is down, and reconnects when it is
        // back; a worker refuses to start until it can ping.
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), redis::aio::ConnectionManagerConfig::new())
            .map_err(|e| QueueError::Unreachable(e.to_string()))?;
        let storage = RedisStorage::new(conn).with_config(apalis_redis::Config::default().queue(queue));
        Ok(Self { client, storage })
    }

    /// The apalis storage itself, for measurements of the queue alone (`ihub-bench`).
    pub fn storage(&self) -> RedisJobs {
        self.storage.clone()
    }
}

#[async_trait::async_trait]
impl JobQueue for RedisQueue {
    async fn push(&self, job: Job) -> Result<(), JobQueueError> {
        let mut storage = self.storage.clone();
        storage
            .push(job)
            .await
            .map_err(|e| JobQueueError::Refused(e.to_string()))
    }

    async fn ping(&self) -> Result<(), JobQueueError> {
        let attempt = async {
            let mut conn = self.client.get_multiplexed_async_connection().await?;
            redis::cmd("PING").query_async::<String>(&mut conn).await
        };
        match tokio::time::timeout(Duration::from_secs(2), attempt).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(JobQueueError::Unreachable(e.to_string())),
            Err(_) => Err(JobQueueError::Unreachable("no answer within 2 s".into())),
        }
    }

    fn kind(&self) -> &'static str {
        "redis"
    }
}

#[async_trait::async_trait]
impl WorkerQueue for RedisQueue {
    async fn consume(&self, consumer: Consumer, stop: BoxFuture<'static, ()>) -> Result<(), QueueError> {
        WorkerBuilder::new(consumer.name)
            // apalis-redis only looks again at its heartbeat (30 s) once the queue ran dry; poll instead.
            .backend(self.storage.clone().poll_with_interval(consumer.poll))
            .data(consumer.handler)
            .concurrency(consumer.concurrency.max(1))
            .build(handle)
            .run_until(stopped(stop))
            .await
            .map_err(|e| QueueError::Consumer(e.to_string()))
    }
}
