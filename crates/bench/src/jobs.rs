//! Jobs through the Redis queue the scaled-out hub uses (apalis `RedisStorage`, pushed and consumed through the
//! hub's own `RedisQueue`), beside `redis-benchmark -t lpush` on the same Redis. Every job names a run that does not exist,
//! so the hub's worker claims nothing: what is measured is the queue and the claim, not a sync. Jobs done are
//! counted in the queue's own `done` set, whoever consumed them.
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures::FutureExt;
use ihub_domain::job_queue::{Job, JobQueue};
use ihub_worker::job_queue::{Consumer, Handler, JobHandler, RedisQueue, WorkerQueue};

use crate::Args;
use crate::hub::HubConfig;
use crate::machine::{self, CpuOf};

/// Dispatches at once in the concurrent push, as many API processes and reconcilers would.
pub const PUSHERS: usize = 16;
/// As the hub's worker: `IHUB_WORKER_RUNS_AT_ONCE` and the poll interval, from `WorkerSettings`' defaults.
pub fn consumer() -> (usize, Duration) {
    let runs = ihub_worker::settings::RunSettings::default();
    (runs.at_once, runs.poll)
}
/// A drain that makes no progress for this long is stuck.
const STALL: Duration = Duration::from_secs(30);
/// Jobs pushed one at a time, `LATENCY_GAP` apart, to an idle do-nothing worker for push → start latency.
pub const LATENCY_JOBS: u32 = 1_000;
const LATENCY_GAP: Duration = Duration::from_millis(2);

/// How far consumers got with a number of jobs.
#[derive(Debug, Clone, Copy, Default)]
pub struct Drain {
    pub jobs: u64,
    pub done: u64,
    pub secs: f64,
}

impl Drain {
    /// Jobs a second, when all were done.
    pub fn rate(&self) -> Option<f64> {
        (self.done >= self.jobs).then(|| self.jobs as f64 / self.secs)
    }
}

#[derive(Debug, Clone, Default)]
pub struct JobsResult {
    pub jobs: u32,
    /// One dispatch after another, no consumer.
    pub push_sequential: f64,
    /// `PUSHERS` dispatching at once, no consumer.
    pub push_concurrent: f64,
    /// The backlog the sequential push left, taken by one do-nothing worker.
    pub backlog_one: Drain,
    /// The backlog the concurrent push left, taken by two do-nothing workers.
    pub backlog_two: Drain,
    /// `PUSHERS` dispatching while the do-nothing worker runs: first push to last job done.
    pub through_noop: Drain,
    /// Push → start of `LATENCY_JOBS` jobs pushed one at a time to the idle do-nothing worker: p50 and p99, ms.
    pub latency_ms: Option<(f64, f64)>,
    /// `PUSHERS` dispatching while an `ihub worker` process runs them.
    pub through_worker: Drain,
    pub worker_command: String,
    /// CPU seconds of redis-server and of the worker during the `ihub worker` measurement.
    pub redis_cpu: f64,
    pub worker_cpu: f64,
    pub redis_benchmark: Option<f64>,
    pub redis_benchmark_command: String,
    pub redis_benchmark_line: String,
}

fn job() -> Job {
    Job::Run {
        run_id: uuid::Uuid::new_v4(),
    }
}

async fn push_all(dispatcher: &Arc<dyn JobQueue>, n: u32, at_once: usize) -> Result<f64> {
    let t0 = Instant::now();
    let per = n as usize / at_once;
    let tasks: Vec<_> = (0..at_once)
        .map(|i| {
            let dispatcher = dispatcher.clone();
            let count = if i == 0 { n as usize - per * (at_once - 1) } else { per };
            tokio::spawn(async move {
                for _ in 0..count {
                    dispatcher.push(job()).await?;
                }
                Ok::<_, ihub_domain::job_queue::JobQueueError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(n as f64 / t0.elapsed().as_secs_f64())
}

/// Does nothing with a job but note when it started, for the jobs whose push time was noted.
#[derive(Default)]
struct Nothing {
    pushed: std::sync::Mutex<std::collections::HashMap<uuid::Uuid, Instant>>,
    latencies: std::sync::Mutex<Vec<Duration>>,
}

#[async_trait::async_trait]
impl JobHandler for Nothing {
    async fn handle(&self, job: Job) {
        let Job::Run { run_id } = job else { return };
        if let Some(at) = self.pushed.lock().expect("lock").remove(&run_id) {
            self.latencies.lock().expect("lock").push(at.elapsed());
        }
    }
}

/// Pushes `LATENCY_JOBS` one at a time to an idle worker; answers p50 and p99 of push → start, in ms.
async fn latency(queue: &BenchQueue, nothing: &Arc<Nothing>) -> Result<Option<(f64, f64)>> {
    let dispatcher = queue.dispatcher();
    let before = queue.done().await;
    for _ in 0..LATENCY_JOBS {
        let run_id = uuid::Uuid::new_v4();
        nothing.pushed.lock().expect("lock").insert(run_id, Instant::now());
        dispatcher.push(Job::Run { run_id }).await?;
        tokio::time::sleep(LATENCY_GAP).await;
    }
    queue
        .drain(before + LATENCY_JOBS as u64, Instant::now(), Duration::from_secs(60))
        .await;
    let mut ms: Vec<f64> = nothing
        .latencies
        .lock()
        .expect("lock")
        .iter()
        .map(|d| d.as_secs_f64() * 1000.0)
        .collect();
    if ms.is_empty() {
        return Ok(None);
    }
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() - 1) as f64 * q).round() as usize];
    Ok(Some((at(0.5), at(0.99))))
}

/// One queue of the benchmark: its dispatcher, and how many of its jobs are done.
struct BenchQueue {
    name: String,
    backend: Arc<RedisQueue>,
    redis: redis::aio::MultiplexedConnection,
    done_key: String,
}

impl BenchQueue {
    async fn open(url: &str, what: &str) -> Result<Self> {
        let name = format!("ihub-bench-{what}::{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let backend = Arc::new(RedisQueue::connect(url, &name)?);
        backend.ping().await?;
        let redis = redis::Client::open(url)?.get_multiplexed_async_connection().await?;
        let done_key = apalis_redis::Config::default().queue(&name).done_jobs_set();
        Ok(Self {
            name,
            backend,
            redis,
            done_key,
        })
    }

    fn dispatcher(&self) -> Arc<dyn JobQueue> {
        self.backend.clone()
    }

    async fn done(&self) -> u64 {
        redis::cmd("SCARD")
            .arg(&self.done_key)
            .query_async::<u64>(&mut self.redis.clone())
            .await
            .unwrap_or(0)
    }

    /// Waits until `n` jobs are done, or until nothing moves for `STALL`, or `timeout` since `t0`.
    async fn drain(&self, n: u64, t0: Instant, timeout: Duration) -> Drain {
        let (mut last, mut moved) = (0, Instant::now());
        loop {
            let done = self.done().await;
            let secs = t0.elapsed().as_secs_f64();
            if done >= n || moved.elapsed() > STALL || t0.elapsed() > timeout {
                return Drain { jobs: n, done, secs };
            }
            if done != last {
                (last, moved) = (done, Instant::now());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// An apalis worker on this queue, configured as the hub's, whose handler does nothing.
    fn consume_with_nothing(
        &self,
        nothing: Arc<Nothing>,
    ) -> Result<(tokio::task::JoinHandle<()>, tokio::sync::oneshot::Sender<()>)> {
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let (concurrency, poll) = consumer();
        let consumer = Consumer {
            name: format!(
                "{}-nothing-{}",
                self.name,
                &uuid::Uuid::new_v4().simple().to_string()[..8]
            ),
            concurrency,
            poll,
            handler: Handler(nothing),
        };
        let backend = self.backend.clone();
        let worker = async move {
            let stop = async move {
                let _ = stop_rx.await;
            };
            backend.consume(consumer, stop.boxed()).await
        };
        let task = tokio::spawn(async move {
            if let Err(e) = worker.await {
                eprintln!("[jobs] the do-nothing worker ended: {e}");
            }
        });
        Ok((task, stop_tx))
    }

    /// Pushes `n` jobs, `PUSHERS` at once, while a consumer runs; first push to last job done.
    async fn push_while_consuming(&self, n: u32, timeout: Duration) -> Result<Drain> {
        let before = self.done().await;
        let t0 = Instant::now();
        push_all(&self.dispatcher(), n, PUSHERS).await?;
        let drained = self.drain(before + n as u64, t0, timeout).await;
        Ok(Drain {
            jobs: n as u64,
            done: drained.done - before,
            secs: drained.secs,
        })
    }

    async fn forget(self, url: &str) {
        forget_queue(url, &self.name).await;
    }
}

async fn stop(worker: (tokio::task::JoinHandle<()>, tokio::sync::oneshot::Sender<()>)) {
    let _ = worker.1.send(());
    let _ = tokio::time::timeout(Duration::from_secs(10), worker.0).await;
}

pub async fn run(args: &Args, work: &Path) -> Result<JobsResult> {
    let n = args.jobs;
    let timeout = Duration::from_secs(args.timeout_secs);
    let mut result = JobsResult {
        jobs: n,
        ..JobsResult::default()
    };

    // Push rates with nobody consuming, then the backlogs they leave taken by one and by two workers.
    for (at_once, workers) in [(1, 1), (PUSHERS, 2)] {
        let queue = BenchQueue::open(&args.redis_url, "backlog").await?;
        let measured = async {
            let dispatcher = queue.dispatcher();
            eprintln!("[jobs] {n} dispatches, {at_once} at once");
            let rate = push_all(&dispatcher, n, at_once).await?;
            eprintln!("[jobs] {workers} do-nothing apalis worker(s) take the backlog of {n} jobs");
            let t0 = Instant::now();
            let consumers = (0..workers)
                .map(|_| queue.consume_with_nothing(Arc::default()))
                .collect::<Result<Vec<_>>>()?;
            let drained = queue.drain(n as u64, t0, timeout).await;
            for consumer in consumers {
                stop(consumer).await;
            }
            if workers == 1 {
                (result.push_sequential, result.backlog_one) = (rate, drained);
            } else {
                (result.push_concurrent, result.backlog_two) = (rate, drained);
            }
            Ok::<_, anyhow::Error>(())
        }
        .await;
        queue.forget(&args.redis_url).await;
        measured?;
    }

    // Pushing while the do-nothing worker consumes, then push → start one job at a time.
    let queue = BenchQueue::open(&args.redis_url, "nothing").await?;
    let measured = async {
        let nothing = Arc::new(Nothing::default());
        let worker = queue.consume_with_nothing(nothing.clone())?;
        queue.dispatcher().push(job()).await?;
        let started = queue.drain(1, Instant::now(), Duration::from_secs(60)).await;
        if started.rate().is_none() {
            bail!("the do-nothing worker never took a job");
        }
        eprintln!("[jobs] {n} jobs through a do-nothing apalis worker");
        result.through_noop = queue.push_while_consuming(n, timeout).await?;
        eprintln!("[jobs] push → start of {LATENCY_JOBS} jobs, one every {LATENCY_GAP:?}");
        result.latency_ms = latency(&queue, &nothing).await?;
        stop(worker).await;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    queue.forget(&args.redis_url).await;
    measured?;

    // The hub's own worker process, claiming (and not finding) each job's run in PostgreSQL.
    let queue = BenchQueue::open(&args.redis_url, "worker").await?;
    let database = format!("ihub_bench_jobs_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    crate::sync::postgres_admin(&args.postgres_url, &format!("CREATE DATABASE \"{database}\"")).await?;
    let measured = through_worker(args, work, &queue, &database, &mut result).await;
    if let Err(e) = crate::sync::postgres_admin(
        &args.postgres_url,
        &format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"),
    )
    .await
    {
        eprintln!("could not drop database {database}: {e:#}");
    }
    queue.forget(&args.redis_url).await;
    measured?;

    redis_benchmark(&args.redis_url, &mut result).await;
    Ok(result)
}

async fn through_worker(
    args: &Args,
    work: &Path,
    queue: &BenchQueue,
    database: &str,
    result: &mut JobsResult,
) -> Result<()> {
    let n = args.jobs;
    let dir = tempfile::Builder::new().prefix("ihub-bench-jobs-").tempdir_in(work)?;
    let config = HubConfig::new(
        &args.ihub,
        &dir.path().join("data"),
        vec![
            ("DATABASE_URL".to_owned(), crate::sync::database_url(args, database)),
            ("REDIS_URL".to_owned(), args.redis_url.clone()),
            ("IHUB_REDIS_QUEUE".to_owned(), queue.name.clone()),
        ],
    )?;
    result.worker_command = config.shown("worker");
    // `ihub migrate` first, so the worker's start is only its start.
    let migrated = tokio::process::Command::new(&args.ihub)
        .arg("migrate")
        .env_clear()
        .envs(config.env.iter().map(|(k, v)| (k, v)))
        .output()
        .await?;
    if !migrated.status.success() {
        bail!("ihub migrate: {}", String::from_utf8_lossy(&migrated.stderr).trim());
    }
    let worker = config.start("worker", &dir.path().join("worker.log")).await?;
    let outcome = async {
        // A first job done says the worker is consuming.
        queue.dispatcher().push(job()).await?;
        if queue
            .drain(1, Instant::now(), Duration::from_secs(60))
            .await
            .rate()
            .is_none()
        {
            bail!("the ihub worker never ran a job");
        }
        eprintln!("[jobs] {n} jobs through an `ihub worker` process");
        let redis = machine::pids_named("redis-server");
        let redis_cpu = CpuOf::now(&redis);
        let worker_cpu = machine::cpu_secs(worker.pid).unwrap_or(0.0);
        result.through_worker = queue
            .push_while_consuming(n, Duration::from_secs(args.timeout_secs))
            .await?;
        result.redis_cpu = redis_cpu.since(&redis);
        result.worker_cpu = machine::cpu_secs(worker.pid).unwrap_or(0.0) - worker_cpu;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    let log = worker.log.clone();
    worker.stop().await;
    if outcome.is_err() {
        eprintln!("worker log kept in {}", dir.keep().display());
    }
    outcome.with_context(|| format!("worker log: {}", log.display()))
}

/// `redis-benchmark -t lpush` against the same Redis, in a database of its own (15) so that its `mylist` lands
/// apart from anything else; the list is removed afterwards when it was not there before.
async fn redis_benchmark(url: &str, result: &mut JobsResult) {
    let address = url
        .trim_start_matches("redis://")
        .split(['/', '?'])
        .next()
        .unwrap_or("127.0.0.1:6379")
        .rsplit('@')
        .next()
        .unwrap_or("127.0.0.1:6379");
    let (host, port) = address.split_once(':').unwrap_or((address, "6379"));
    let args = [
        "-h", host, "-p", port, "--dbnum", "15", "-t", "lpush", "-n", "100000", "-q",
    ];
    result.redis_benchmark_command = format!("redis-benchmark {}", args.join(" "));
    let db15 = format!("redis://{address}/15");
    let existed = list_exists(&db15).await;
    eprintln!("[jobs] {}", result.redis_benchmark_command);
    let out = tokio::process::Command::new("redis-benchmark")
        .args(args)
        .output()
        .await;
    if existed == Some(false)
        && let Ok(client) = redis::Client::open(db15.as_str())
        && let Ok(mut conn) = client.get_multiplexed_async_connection().await
    {
        let _: Result<u64, _> = redis::cmd("DEL").arg("mylist").query_async(&mut conn).await;
    }
    let Ok(out) = out else {
        result.redis_benchmark_line = "redis-benchmark is not installed".into();
        return;
    };
    let text = String::from_utf8_lossy(&out.stdout);
    // `-q` prints progress with carriage returns, then `LPUSH: 123456.79 requests per second, p50=…`.
    let line = text
        .split(['\r', '\n'])
        .rfind(|l| l.contains("requests per second"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    result.redis_benchmark = line.split_whitespace().nth(1).and_then(|v| v.parse().ok());
    result.redis_benchmark_line = line;
}

async fn list_exists(url: &str) -> Option<bool> {
    let client = redis::Client::open(url).ok()?;
    let mut conn = client.get_multiplexed_async_connection().await.ok()?;
    redis::cmd("EXISTS")
        .arg("mylist")
        .query_async::<u64>(&mut conn)
        .await
        .ok()
        .map(|n| n > 0)
}

/// Removes every key of a benchmark queue (jobs, their metadata, workers) and its entry in apalis's queue list.
pub async fn forget_queue(url: &str, queue: &str) {
    let Ok(client) = redis::Client::open(url) else {
        return;
    };
    let Ok(mut conn) = client.get_multiplexed_async_connection().await else {
        return;
    };
    let mut cursor: u64 = 0;
    loop {
        let Ok((next, keys)) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{queue}:*"))
            .arg("COUNT")
            .arg(1000)
            .query_async::<(u64, Vec<String>)>(&mut conn)
            .await
        else {
            return;
        };
        if !keys.is_empty() {
            let _: Result<u64, _> = redis::cmd("DEL").arg(&keys).query_async(&mut conn).await;
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
    // apalis lists a queue by its workers set when a worker registers.
    let _: Result<u64, _> = redis::cmd("ZREM")
        .arg("core:apalis:queues:list")
        .arg(apalis_redis::Config::default().queue(queue).workers_set())
        .query_async(&mut conn)
        .await;
}
