//! Jobs through the Redis queue the scaled-out hub uses (apalis `RedisStorage`, pushed through the hub's own
//! dispatcher), beside `redis-benchmark -t lpush` on the same Redis. Every job names a run that does not exist,
//! so the hub's worker claims nothing: what is measured is the queue and the claim, not a sync.
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use apalis::prelude::{BackendExt, BoxDynError, Data, WorkerBuilder, WorkerBuilderExt};
use ihub_domain::jobs::{Dispatcher, Job};
use ihub_worker::QueueBackend;

use crate::Args;
use crate::hub::HubConfig;
use crate::machine::{self, CpuOf};

/// Dispatches at once in the concurrent push, as many API processes and reconcilers would.
pub const PUSHERS: usize = 16;
/// As the hub's worker: `IHUB_WORKER_RUNS_AT_ONCE` and the poll interval of `WorkerSettings`.
const CONSUMER_CONCURRENCY: usize = 4;
const POLL: Duration = Duration::from_millis(250);

#[derive(Debug, Clone, Default)]
pub struct JobsResult {
    pub jobs: u32,
    /// One dispatch after another, no consumer.
    pub push_sequential: f64,
    /// `PUSHERS` dispatching at once, no consumer.
    pub push_concurrent: f64,
    /// The jobs of both pushes drained by an apalis worker whose handler does nothing.
    pub drain_noop: f64,
    /// `PUSHERS` dispatching while an `ihub worker` process runs them: first push to last job done.
    pub through_worker: f64,
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

async fn push_all(dispatcher: &Arc<dyn Dispatcher>, n: u32, at_once: usize) -> Result<f64> {
    let t0 = Instant::now();
    let per = n as usize / at_once;
    let tasks: Vec<_> = (0..at_once)
        .map(|i| {
            let dispatcher = dispatcher.clone();
            let count = if i == 0 { n as usize - per * (at_once - 1) } else { per };
            tokio::spawn(async move {
                for _ in 0..count {
                    dispatcher.dispatch(job()).await?;
                }
                Ok::<_, ihub_domain::jobs::DispatchError>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(n as f64 / t0.elapsed().as_secs_f64())
}

async fn count_up(counter: Job, seen: Data<Arc<AtomicU64>>) -> Result<(), BoxDynError> {
    let _ = counter;
    seen.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// Waits until `done()` reaches `n`; answers the seconds since `t0`.
async fn wait_done<F, Fut>(n: u64, t0: Instant, timeout: Duration, mut done: F) -> Result<f64>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = u64>,
{
    loop {
        let now = done().await;
        if now >= n {
            return Ok(t0.elapsed().as_secs_f64());
        }
        if t0.elapsed() > timeout {
            bail!("only {now} of {n} jobs done after {} s", timeout.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn unique_queue(what: &str) -> String {
    format!("ihub-bench-{what}::{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
}

pub async fn run(args: &Args, work: &Path) -> Result<JobsResult> {
    let n = args.jobs;
    let mut result = JobsResult {
        jobs: n,
        ..JobsResult::default()
    };

    // Push rates and a no-op consumer, on a queue of their own.
    let queue = unique_queue("noop");
    let measured = async {
        let backend = QueueBackend::connect(Some(&args.redis_url), &queue).await?;
        backend.ping().await?;
        let dispatcher = backend.dispatcher();
        eprintln!("[jobs] {n} dispatches one at a time");
        result.push_sequential = push_all(&dispatcher, n, 1).await?;
        eprintln!("[jobs] {n} dispatches, {PUSHERS} at once");
        result.push_concurrent = push_all(&dispatcher, n, PUSHERS).await?;
        let QueueBackend::Redis { storage, .. } = &backend else {
            bail!("a Redis URL gives a Redis queue")
        };
        eprintln!("[jobs] draining {} jobs with a no-op apalis worker", 2 * n);
        let seen = Arc::new(AtomicU64::new(0));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let worker = WorkerBuilder::new("ihub-bench-noop")
            .backend((**storage).clone().poll_with_interval(POLL))
            .data(seen.clone())
            .concurrency(CONSUMER_CONCURRENCY)
            .build(count_up)
            .run_until(async move {
                let _ = stop_rx.await;
                Ok::<(), std::io::Error>(())
            });
        let worker = tokio::spawn(worker);
        let t0 = Instant::now();
        let drained = wait_done(2 * n as u64, t0, Duration::from_secs(args.timeout_secs), || {
            let seen = seen.clone();
            async move { seen.load(Ordering::Relaxed) }
        })
        .await;
        let _ = stop_tx.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), worker).await;
        result.drain_noop = 2.0 * n as f64 / drained?;
        Ok::<_, anyhow::Error>(())
    }
    .await;
    forget_queue(&args.redis_url, &queue).await;
    measured?;

    // The hub's own worker process, claiming (and not finding) each job's run in PostgreSQL.
    let queue = unique_queue("worker");
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
    forget_queue(&args.redis_url, &queue).await;
    measured?;

    redis_benchmark(&args.redis_url, &mut result).await;
    Ok(result)
}

async fn through_worker(args: &Args, work: &Path, queue: &str, database: &str, result: &mut JobsResult) -> Result<()> {
    let n = args.jobs as u64;
    let dir = tempfile::Builder::new().prefix("ihub-bench-jobs-").tempdir_in(work)?;
    let config = HubConfig::new(
        &args.ihub,
        &dir.path().join("data"),
        vec![
            ("DATABASE_URL".to_owned(), crate::sync::database_url(args, database)),
            ("REDIS_URL".to_owned(), args.redis_url.clone()),
            ("IHUB_REDIS_QUEUE".to_owned(), queue.to_owned()),
        ],
    )?;
    result.worker_command = config.shown("worker");
    let backend = QueueBackend::connect(Some(&args.redis_url), queue).await?;
    let dispatcher = backend.dispatcher();
    let done_key = apalis_redis::Config::default().queue(queue).done_jobs_set();
    let client = redis::Client::open(args.redis_url.as_str())?;
    let conn = client.get_multiplexed_async_connection().await?;
    let done = move || {
        let (mut conn, key) = (conn.clone(), done_key.clone());
        async move {
            redis::cmd("SCARD")
                .arg(&key)
                .query_async::<u64>(&mut conn)
                .await
                .unwrap_or(0)
        }
    };
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
        dispatcher.dispatch(job()).await?;
        wait_done(1, Instant::now(), Duration::from_secs(60), &done)
            .await
            .context("the ihub worker never ran a job")?;
        eprintln!("[jobs] {n} jobs through an `ihub worker` process, {PUSHERS} dispatching at once");
        let redis = machine::pids_named("redis-server");
        let redis_cpu = CpuOf::now(&redis);
        let worker_cpu = machine::cpu_secs(worker.pid).unwrap_or(0.0);
        let t0 = Instant::now();
        push_all(&dispatcher, n as u32, PUSHERS).await?;
        let secs = wait_done(n + 1, t0, Duration::from_secs(args.timeout_secs), &done).await?;
        result.through_worker = n as f64 / secs;
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
