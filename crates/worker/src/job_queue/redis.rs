//! The job queue of scaled-out workers: an apalis queue in Redis that any number of `ihub worker` processes consume.
//!
//! apalis-redis 1.0 consumes, but the hub pushes with a script of its own (`lua/push.lua`): straight to the active
//! list, one waiting job per run at most (a pending marker, cleared when a worker takes the job), and a wake-up
//! for idle consumers. apalis's own push puts every job in its scheduled set, whose fetch moves all due jobs with one
//! Lua `unpack` and fails for good past ~8,000; a backlog left there (by an older hub) is moved in bounded chunks
//! (`lua/promote.lua`, which drops a job whose run already has one waiting) before the consumer starts and on
//! every poll.
use std::sync::LazyLock;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use apalis::prelude::{BackendExt, Strategy, TaskSink, WorkerBuilder, WorkerBuilderExt};
use apalis_redis::{ConnectionManager, RedisStorage};
use futures::StreamExt;
use futures::future::BoxFuture;
use ihub_domain::job_queue::{Job, JobQueue, JobQueueError};

use super::{Consumer, Handler, JobHandler, QueueError, WorkerQueue, handle, stopped};

/// Where jobs wait in Redis by default; named so that other apalis users of the same Redis never mix with ours.
/// Hubs sharing one Redis need a queue each (`IHUB_REDIS_QUEUE`).
pub const REDIS_QUEUE: &str = "ihub::jobs";

/// How long a pending marker outlives its push. Only a safety net for a job lost while its marker stayed (the
/// reconciler then pushes the run again once it expires); a job taken clears its marker at once.
const MARKER_TTL: Duration = Duration::from_secs(3600);
/// Scheduled jobs moved per promote call: well under Lua's unpack limit, and short enough not to hold Redis up.
const PROMOTE_CHUNK: usize = 1_000;

static PUSH: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(include_str!("lua/push.lua")));
static PROMOTE: LazyLock<redis::Script> = LazyLock::new(|| redis::Script::new(include_str!("lua/promote.lua")));

pub type RedisJobs = RedisStorage<Job, ConnectionManager>;

#[derive(Clone)]
pub struct RedisQueue {
    client: redis::Client,
    conn: ConnectionManager,
    storage: RedisJobs,
    queue: String,
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
        let config = apalis_redis::Config::default()
            .queue(queue)
            // apalis's lease takes each started job out of the active list with an LREM, which scans the whole list
            // (the fetch already took the job off it): behind a backlog of 100,000 that was ~1.7 ms of Redis per
            // job and capped the queue near 1,000 jobs/s. A fetched job is in its worker's inflight set either way,
            // which is what a dead worker's jobs are given back from; the lease only marked it `Running`.
            .lock_tasks(false)
            // Nobody subscribes to apalis's per-job events; pushes wake consumers through `lua/push.lua`.
            .emit_events(false);
        let storage = RedisStorage::new(conn.clone()).with_config(config);
        Ok(Self {
            client,
            conn,
            storage,
            queue: queue.to_owned(),
        })
    }

    /// The apalis storage itself, for measurements of the queue alone (`ihub-bench`) and for tests that leave a
    /// backlog the way apalis pushes (in its scheduled set).
    pub fn storage(&self) -> RedisJobs {
        self.storage.clone()
    }

    fn config(&self) -> &apalis_redis::Config {
        self.storage.get_config()
    }

    /// The pending marker of a job's key; `lua/promote.lua` builds the same name from a job's data.
    fn marker(&self, job: &Job) -> String {
        format!("{}:pending:{}", self.queue, job.key())
    }

    fn wake_channel(&self) -> String {
        format!("{}:wake", self.queue)
    }

    /// Moves up to one chunk of due jobs from apalis's scheduled set to the active list; answers how many moved.
    async fn promote_chunk(&self) -> Result<usize, redis::RedisError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let config = self.config();
        PROMOTE
            .key(config.scheduled_jobs_set())
            .key(config.active_jobs_list())
            .key(config.signal_list())
            .key(config.job_data_hash())
            .key(config.job_meta_hash())
            .key(format!("{}:pending:", self.queue))
            .arg(now)
            .arg(PROMOTE_CHUNK)
            .arg(MARKER_TTL.as_secs())
            .invoke_async(&mut self.conn.clone())
            .await
    }

    /// Moves every due scheduled job to the active list, a chunk at a time.
    pub async fn promote_due(&self) -> Result<usize, QueueError> {
        let mut moved = 0;
        loop {
            let chunk = self
                .promote_chunk()
                .await
                .map_err(|e| QueueError::Unreachable(e.to_string()))?;
            moved += chunk;
            if chunk < PROMOTE_CHUNK {
                return Ok(moved);
            }
        }
    }

    /// Wakes the consumer when a job is pushed onto an empty list (published by `push.lua`; a consumer only sleeps
    /// after a fetch found nothing) and moves due scheduled jobs on every poll, until the consumer ends (this task is
    /// then aborted) or Redis drops the subscription (the consumer then falls back to polling until it is
    /// restarted).
    async fn wake_and_promote(self, poll: Duration, wake: futures::channel::mpsc::Sender<()>) {
        let mut subscription = match self.client.get_async_pubsub().await {
            Ok(mut pubsub) => match pubsub.subscribe(self.wake_channel()).await {
                Ok(()) => Some(pubsub),
                Err(e) => {
                    tracing::warn!(error = %e, "no wake-ups from Redis: polling only");
                    None
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "no wake-ups from Redis: polling only");
                None
            }
        };
        let mut messages = subscription.as_mut().map(|s| s.on_message());
        let mut tick = tokio::time::interval(poll);
        loop {
            let woken = match messages.as_mut() {
                Some(messages) => tokio::select! {
                    message = messages.next() => {
                        if message.is_none() {
                            return;
                        }
                        true
                    }
                    _ = tick.tick() => false,
                },
                None => {
                    tick.tick().await;
                    false
                }
            };
            let promoted = if woken {
                0
            } else {
                self.promote_due().await.unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "could not move scheduled jobs");
                    0
                })
            };
            if woken || promoted > 0 {
                // Full means a wake-up is already waiting for the consumer.
                let _ = wake.clone().try_send(());
            }
        }
    }
}

#[async_trait::async_trait]
impl JobQueue for RedisQueue {
    async fn push(&self, job: Job) -> Result<(), JobQueueError> {
        let config = self.config();
        let data = serde_json::to_vec(&job).map_err(|e| JobQueueError::Refused(e.to_string()))?;
        let pushed: u8 = PUSH
            .key(self.marker(&job))
            .key(config.job_data_hash())
            .key(config.active_jobs_list())
            .key(config.job_meta_hash())
            .arg(MARKER_TTL.as_secs())
            .arg(ulid::Ulid::generate().to_string())
            .arg(data)
            .arg(self.wake_channel())
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(|e| JobQueueError::Refused(e.to_string()))?;
        if pushed == 0 {
            tracing::trace!(?job, "a job for this is already waiting");
        }
        Ok(())
    }

    async fn push_again(&self, job: Job) -> Result<(), JobQueueError> {
        let _: u64 = redis::cmd("DEL")
            .arg(self.marker(&job))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(|e| JobQueueError::Unreachable(e.to_string()))?;
        self.push(job).await
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

/// The consumer's handler behind one that first clears the job's pending marker: from then on a push for the same
/// run is a new job (the run may have to run again, e.g. after waiting for another run of its integration).
struct Taking {
    queue: RedisQueue,
    inner: Handler,
}

#[async_trait::async_trait]
impl JobHandler for Taking {
    async fn handle(&self, job: Job) {
        let cleared: Result<u64, _> = redis::cmd("DEL")
            .arg(self.queue.marker(&job))
            .query_async(&mut self.queue.conn.clone())
            .await;
        if let Err(e) = cleared {
            // The marker expires; meanwhile the reconciler's push for this run is dropped, nothing worse.
            tracing::warn!(?job, error = %e, "could not clear the job's pending marker");
        }
        self.inner.0.handle(job).await;
    }
}

#[async_trait::async_trait]
impl WorkerQueue for RedisQueue {
    async fn consume(&self, consumer: Consumer, stop: BoxFuture<'static, ()>) -> Result<(), QueueError> {
        // A backlog already in the scheduled set would stop the first fetch: move it first.
        let moved = self.promote_due().await?;
        if moved > 0 {
            tracing::info!(jobs = moved, "moved a backlog of scheduled jobs to the active list");
        }
        let (wake_tx, wake_rx) = futures::channel::mpsc::channel::<()>(1);
        let side = tokio::spawn(self.clone().wake_and_promote(consumer.poll, wake_tx));
        let handler = Handler(std::sync::Arc::new(Taking {
            queue: self.clone(),
            inner: consumer.handler,
        }));
        let strategy = Strategy::new().interval(consumer.poll).stream(wake_rx);
        let result = WorkerBuilder::new(consumer.name)
            .backend(self.storage.clone().poll_with_strategy(strategy))
            .data(handler)
            .concurrency(consumer.concurrency.max(1))
            .build(handle)
            .run_until(stopped(stop))
            .await
            .map_err(|e| QueueError::Consumer(e.to_string()));
        side.abort();
        result
    }
}

/// Pushes jobs the way apalis-redis itself does (into its scheduled set), as an older hub left them.
pub async fn push_as_apalis(storage: &mut RedisJobs, jobs: Vec<Job>) -> Result<(), QueueError> {
    storage
        .push_bulk(jobs)
        .await
        .map_err(|e| QueueError::Unreachable(e.to_string()))
}
