//! The Redis job queue under a backlog larger than apalis-redis 1.0's fetch can take at once (~8,000 due jobs in
//! its scheduled set stopped every worker for good), with real `ihub worker` processes on PostgreSQL: it drains with
//! one and with two workers, and a worker killed with `kill -9`, Redis flushed, or Redis restarted mid-drain each
//! end with every run done exactly once, one run of an integration at a time, in order.
//!
//! The backlog is left the way an older hub left it: every run's job pushed by apalis itself (into the scheduled
//! set), several times over (the older hub pushed a waiting run again every 2 s). Runs are rows made in the
//! database, each a dry run reading one person (so that integrations sharing a target never race to create them),
//! spread over a few integrations.
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use ihub_domain::job_queue::Job;
use ihub_simulators::System;
use ihub_worker::job_queue::{RedisQueue, push_as_apalis};
use serde_json::json;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::harness::{Cluster, QUICK, free_port, http, redis_url};

/// Each integration's runs, made in the database after its first.
const INTEGRATIONS: usize = 20;
/// Jobs pushed per run: a backlog of `runs × COPIES` jobs in the scheduled set.
const COPIES: usize = 10;
/// Over apalis-redis 1.0's ~8,000.
const BACKLOG_JOBS: usize = 10_000;

/// A Redis of the test's own, to flush and restart without touching the shared one.
struct PrivateRedis {
    port: u16,
    child: Child,
}

impl PrivateRedis {
    fn start() -> Self {
        let port = free_port();
        let child = Self::spawn(port);
        Self { port, child }
    }

    fn spawn(port: u16) -> Child {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
                "--bind",
                "127.0.0.1",
            ])
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        let deadline = Instant::now() + Duration::from_secs(10);
        while !Self::cli(port, &["PING"]).contains("PONG") {
            assert!(Instant::now() < deadline, "redis-server on {port} never answered");
            std::thread::sleep(Duration::from_millis(20));
        }
        child
    }

    fn cli(port: u16, args: &[&str]) -> String {
        Command::new("redis-cli")
            .args(["-p", &port.to_string()])
            .args(args)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Killed and started again on the same port, without persistence: every job is gone.
    fn restart_after(&mut self, down: Duration) {
        self.stop();
        std::thread::sleep(down);
        self.child = Self::spawn(self.port);
    }
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

/// One backlog at a time in this process (under `cargo test`; nextest runs them apart through its `backlog` test
/// group): each runs an API and workers with 20 PostgreSQL connections apiece, and two at once pass PostgreSQL's
/// 100.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A cluster with `runs` queued runs and their jobs in Redis as an older hub left them.
struct Backlog {
    hub: Cluster,
    db: PgPool,
    runs: usize,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

impl Backlog {
    async fn make(label: &str, redis: &str, runs: usize) -> Self {
        let turn = ONE_AT_A_TIME.lock().await;
        let hub = Cluster::start_on(label, 1, redis).await;
        let first = hub.admin.integration(&hub.sims, "EH → LMS 0", json!({})).await;
        let shown = hub.admin.get(&format!("/api/v1/integrations/{first}")).await;
        let mut integrations = vec![first];
        for n in 1..INTEGRATIONS {
            let made = hub
                .admin
                .post(
                    "/api/v1/integrations",
                    json!({
                        "name": format!("EH → LMS {n}"),
                        "kind": "employees_to_users",
                        "source_connection_id": shown["source_connection_id"],
                        "target_connection_id": shown["target_connection_id"],
                        "settings": {},
                    }),
                )
                .await;
            let id = made.expect(201)["id"].as_str().unwrap().to_owned();
            hub.admin
                .post(&format!("/api/v1/integrations/{id}/enable"), json!({}))
                .await
                .expect(200);
            integrations.push(id);
        }
        let db = PgPool::connect(&hub.database_url()).await.unwrap();
        let per = runs / INTEGRATIONS;
        for integration in &integrations {
            // The API makes the first (and pushes its job the hub's way); the rest are copies with later numbers.
            let run = hub.admin.run_now(integration).await;
            sqlx::query("UPDATE runs SET dry_run = true WHERE id = $1::uuid")
                .bind(&run)
                .execute(&db)
                .await
                .unwrap();
            sqlx::query(
                "INSERT INTO runs SELECT (jsonb_populate_record(r, jsonb_build_object('id', gen_random_uuid(), \
                 'number', r.number + g))).* FROM runs r, generate_series(1, $2) g WHERE r.id = $1::uuid",
            )
            .bind(&run)
            .bind(per as i32 - 1)
            .execute(&db)
            .await
            .unwrap();
        }
        let ids: Vec<Uuid> = sqlx::query("SELECT id FROM runs ORDER BY integration_id, number")
            .fetch_all(&db)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("id"))
            .collect();
        assert_eq!(ids.len(), runs);
        let queue = RedisQueue::connect(redis, &hub.queue).unwrap();
        let mut storage = queue.storage();
        let jobs: Vec<Job> = (0..COPIES)
            .flat_map(|_| ids.iter().map(|&run_id| Job::Run { run_id }))
            .collect();
        for chunk in jobs.chunks(1_000) {
            push_as_apalis(&mut storage, chunk.to_vec()).await.unwrap();
        }
        let scheduled = redis_cli(redis, &["ZCARD", &format!("{}:scheduled", hub.queue)]);
        assert_eq!(
            scheduled.trim(),
            (runs * COPIES).to_string(),
            "the backlog waits in the scheduled set"
        );
        // From here on the source is read by runs only.
        hub.sims.reset_request_counts();
        Self {
            hub,
            db,
            runs,
            _turn: turn,
        }
    }

    async fn counts(&self) -> Vec<(String, i64)> {
        sqlx::query("SELECT status, count(*) AS n FROM runs GROUP BY status ORDER BY status")
            .fetch_all(&self.db)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get("status"), r.get("n")))
            .collect()
    }

    async fn done(&self) -> usize {
        let row = sqlx::query("SELECT count(*) AS n FROM runs WHERE status = 'done'")
            .fetch_one(&self.db)
            .await
            .unwrap();
        row.get::<i64, _>("n") as usize
    }

    async fn wait_done(&mut self, at_least: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.done().await < at_least {
            if Instant::now() > deadline {
                let logs: Vec<String> = (0..self.hub.workers.len())
                    .flat_map(|w| self.hub.worker_log(w).into_iter().rev().take(15).collect::<Vec<_>>())
                    .collect();
                panic!(
                    "{at_least} runs not done within {within:?}: {:?}\n{logs:#?}",
                    self.counts().await
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Every run done, each with the one person read and one record line; runs of an integration one at a time
    /// and in order; the source read once per run, plus at most `resumed` reads by runs resumed after a kill.
    async fn assert_each_done_once(&self, resumed: usize) {
        assert_eq!(self.counts().await, vec![("done".to_owned(), self.runs as i64)]);
        let lines = sqlx::query("SELECT count(*) AS lines, count(DISTINCT run_id) AS runs FROM run_records")
            .fetch_one(&self.db)
            .await
            .unwrap();
        assert_eq!(
            (lines.get::<i64, _>("lines"), lines.get::<i64, _>("runs")),
            (self.runs as i64, self.runs as i64),
            "one record line per run"
        );
        let read_one = sqlx::query("SELECT count(*) AS n FROM runs WHERE records_read = 1")
            .fetch_one(&self.db)
            .await
            .unwrap();
        assert_eq!(read_one.get::<i64, _>("n"), self.runs as i64);
        // Numbered order is start order, and each run started after the one before it finished.
        let overlaps = sqlx::query(
            "SELECT count(*) AS n FROM runs a JOIN runs b ON a.integration_id = b.integration_id \
             AND b.number = a.number + 1 WHERE b.started_at < a.finished_at",
        )
        .fetch_one(&self.db)
        .await
        .unwrap();
        assert_eq!(
            overlaps.get::<i64, _>("n"),
            0,
            "runs of an integration one at a time, in order"
        );
        // Every run is the same dry read of one person, so each asks the source the same number of times.
        let reads = self.hub.sims.request_count(System::EmploymentHero) as usize;
        let per_run = reads / self.runs;
        assert!(per_run >= 1, "{reads} requests to the source for {} runs", self.runs);
        assert!(
            reads <= per_run * (self.runs + resumed),
            "the source read once per run: {reads} requests for {} runs, {per_run} a run ({resumed} may have been \
             resumed)",
            self.runs
        );
    }
}

fn redis_cli(url: &str, args: &[&str]) -> String {
    let port = url.rsplit(':').next().unwrap_or("6379").trim_end_matches('/');
    PrivateRedis::cli(port.parse().unwrap_or(6379), args)
}

/// Fast reconciler and heartbeats, and more runs at once than the default so that the drain is quick.
fn settings() -> Vec<(&'static str, &'static str)> {
    // A run counts as stuck after 10 s without a heartbeat, not QUICK's 2: on a loaded machine (the whole suite at
    // once) a heartbeat can be late by more than 2 s, and a resumed run reads its source twice, which the
    // once-per-run count would take for a job run twice.
    QUICK
        .iter()
        .filter(|(name, _)| *name != "IHUB_STUCK_AFTER_SECS")
        .copied()
        .chain([("IHUB_STUCK_AFTER_SECS", "10"), ("IHUB_WORKER_RUNS_AT_ONCE", "8")])
        .collect()
}

async fn drains_with(workers: usize, label: &str) {
    let runs = BACKLOG_JOBS / COPIES;
    let mut backlog = Backlog::make(label, &redis_url(), runs).await;
    let t0 = Instant::now();
    for _ in 0..workers {
        backlog.hub.start_worker(&settings());
    }
    backlog.wait_done(runs, Duration::from_secs(240)).await;
    eprintln!(
        "{} jobs for {runs} runs drained by {workers} worker(s) in {:?}",
        runs * COPIES,
        t0.elapsed()
    );
    backlog.assert_each_done_once(0).await;
    assert!(
        redis_cli(&redis_url(), &["ZCARD", &format!("{}:scheduled", backlog.hub.queue)]).trim() == "0",
        "the scheduled set was moved"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_past_the_old_limit_drains_with_one_worker() {
    drains_with(1, "backlog1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_past_the_old_limit_drains_with_two_workers() {
    drains_with(2, "backlog2").await;
}

/// Two workers, one killed with SIGKILL a third of the way: the other takes over its runs (stuck, resumed) and
/// its jobs (apalis gives back a dead worker's in-flight jobs; the reconciler pushes runs whose job is gone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_drain_leaves_every_run_done_once() {
    let runs = BACKLOG_JOBS / COPIES;
    let mut backlog = Backlog::make("backlogkill", &redis_url(), runs).await;
    let victim = backlog.hub.start_worker(&settings());
    backlog.hub.start_worker(&settings());
    backlog.wait_done(runs / 3, Duration::from_secs(120)).await;
    backlog.hub.workers[victim].kill();
    eprintln!("killed a worker at {} runs done", backlog.done().await);
    backlog.wait_done(runs, Duration::from_secs(240)).await;
    // Runs the killed worker held went on elsewhere and read their page again: at most its runs at once.
    backlog.assert_each_done_once(8).await;
}

/// Redis loses everything mid-drain (FLUSHALL): the workers' consumers end and start again, and the reconciler
/// pushes every queued run again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_flushed_mid_drain_leaves_every_run_done_once() {
    let redis = PrivateRedis::start();
    let runs = BACKLOG_JOBS / COPIES;
    let mut backlog = Backlog::make("backlogflush", &redis.url(), runs).await;
    backlog.hub.start_worker(&settings());
    backlog.hub.start_worker(&settings());
    backlog.wait_done(runs / 3, Duration::from_secs(120)).await;
    assert!(PrivateRedis::cli(redis.port, &["FLUSHALL"]).contains("OK"));
    eprintln!("flushed Redis at {} runs done", backlog.done().await);
    backlog.wait_done(runs, Duration::from_secs(240)).await;
    backlog.assert_each_done_once(0).await;
}

/// Redis killed and started again (no persistence) mid-drain: the worker says it is not ready while its consumer is
/// down, then ready again, and every run ends done once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restarted_mid_drain_leaves_every_run_done_once() {
    let mut redis = PrivateRedis::start();
    let runs = BACKLOG_JOBS / COPIES;
    let mut backlog = Backlog::make("backlogrestart", &redis.url(), runs).await;
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut with_listener = settings();
    with_listener.push(("IHUB_WORKER_LISTEN", &listen));
    backlog.hub.start_worker(&with_listener);
    backlog.hub.start_worker(&settings());
    let ready = || http(port, "GET", "/readyz", None);
    assert!(ready().starts_with("HTTP/1.1 200"), "{}", ready());
    backlog.wait_done(runs / 3, Duration::from_secs(120)).await;

    redis.stop();
    eprintln!("stopped Redis at {} runs done", backlog.done().await);
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let answer = ready();
        if answer.starts_with("HTTP/1.1 503") {
            assert!(answer.contains("\"queue\":\"unreachable\""), "{answer}");
            break;
        }
        assert!(Instant::now() < deadline, "still ready with Redis down: {answer}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    redis.restart_after(Duration::from_secs(1));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready().starts_with("HTTP/1.1 200") {
        assert!(
            Instant::now() < deadline,
            "not ready again after Redis came back: {}",
            ready()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    backlog.wait_done(runs, Duration::from_secs(240)).await;
    backlog.assert_each_done_once(0).await;
    backlog.hub.assert_logged(0, "starting it again");
}
