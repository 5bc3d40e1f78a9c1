//! The sync benchmark on one backend: fresh simulators seeded with the people, a fresh database, the hub as its
//! own release process, a full sync and then the no-change resync, each timed and watched from outside.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ihub_simulators::{Accepted, Simulators, System};
use serde_json::Value;

use crate::hub::{self, Api, HubConfig, HubProcess};
use crate::machine::{self, CpuOf, MachineCpu, RssSampler};
use crate::{Args, Backend};

/// One timed run (the full sync or the resync) and what was seen during it.
#[derive(Debug, Clone, Default)]
pub struct Phase {
    /// From the POST that starts the run to the poll that sees it ended.
    pub wall: f64,
    /// The run's own `started_at` → `finished_at`.
    pub engine: Option<f64>,
    /// The run as the API answers it at the end.
    pub run: Value,
    /// The largest resident size of the hub during the phase: sampled every 100 ms, and its peak (`VmHWM`)
    /// reset at the phase's start.
    pub peak_rss_kb: u64,
    pub hub_cpu: f64,
    /// Of `hub_cpu`, the part spent in the kernel.
    pub hub_sys: f64,
    /// Context switches of all the hub's threads, voluntary (waiting) and not.
    pub hub_switches: u64,
    /// The benchmark process, which serves the simulators.
    pub sims_cpu: f64,
    /// The PostgreSQL backends serving the hub's database.
    pub postgres_cpu: Option<f64>,
    pub machine_busy_pct: f64,
    pub scim_requests: u64,
    pub employment_hero_requests: u64,
    /// Requests by method and path, ids replaced by `{id}`.
    pub requests: BTreeMap<String, u64>,
    /// `perf report` of the hub during the phase, when asked for.
    pub profile: Option<String>,
}

impl Phase {
    pub fn read(&self) -> i64 {
        self.run["records_read"].as_i64().unwrap_or(0)
    }

    pub fn records_per_sec(&self) -> f64 {
        self.read() as f64 / self.wall
    }
}

#[derive(Debug, Clone)]
pub struct BackendResult {
    pub backend: Backend,
    pub people: u32,
    /// How the hub was started (secret left out).
    pub command: String,
    pub rate_limit: (u32, u32),
    /// Seconds from the hub process's start to an enabled integration.
    pub setup: f64,
    /// Resident size of the hub, signed in and set up, before the first run.
    pub idle_rss_kb: u64,
    pub full: Phase,
    pub resync: Phase,
    /// Users in the SCIM simulator after the full sync.
    pub scim_users: usize,
    /// Every repetition's full-sync records/s and resync ÷ full, in the order run; this result is the median one.
    pub repeats: Vec<(f64, f64)>,
}

impl BackendResult {
    /// The median of the repetitions' resync ÷ full sync.
    pub fn resync_share(&self) -> f64 {
        let mut shares: Vec<f64> = self.repeats.iter().map(|r| r.1).collect();
        if shares.is_empty() {
            return self.resync.wall / self.full.wall;
        }
        shares.sort_by(f64::total_cmp);
        shares[shares.len() / 2]
    }
}

/// The sync benchmark on one backend `--repeat` times, each from nothing (fresh simulators and database); the run
/// with the median full-sync time stands for them, carrying every run's figures.
pub async fn run_repeated(backend: Backend, args: &Args, work: &Path) -> Result<BackendResult> {
    let mut runs = Vec::new();
    for n in 1..=args.repeat.max(1) {
        eprintln!("[{}] repetition {n} of {}", backend.name(), args.repeat.max(1));
        runs.push(run(backend, args, work).await?);
    }
    let repeats: Vec<(f64, f64)> = runs
        .iter()
        .map(|r| (r.full.records_per_sec(), r.resync.wall / r.full.wall))
        .collect();
    runs.sort_by(|a, b| a.full.wall.total_cmp(&b.full.wall));
    let mut median = runs.swap_remove(runs.len() / 2);
    median.repeats = repeats;
    Ok(median)
}

/// Where the backend's database lives, created for this run and removed after it.
pub enum Database {
    Sqlite,
    Postgres { admin_url: String, name: String },
}

impl Database {
    pub async fn create(backend: Backend, args: &Args) -> Result<Self> {
        match backend {
            Backend::Sqlite => Ok(Self::Sqlite),
            Backend::Postgres => {
                let name = format!(
                    "ihub_bench_{}_{}",
                    chrono::Utc::now().format("%Y%m%d%H%M%S"),
                    &uuid::Uuid::new_v4().simple().to_string()[..6]
                );
                postgres_admin(&args.postgres_url, &format!("CREATE DATABASE \"{name}\"")).await?;
                Ok(Self::Postgres {
                    admin_url: args.postgres_url.clone(),
                    name,
                })
            }
        }
    }

    pub fn url(&self, args: &Args) -> Option<String> {
        match self {
            Self::Sqlite => None,
            Self::Postgres { name, .. } => Some(database_url(args, name)),
        }
    }

    /// The server processes serving this database now.
    async fn backend_pids(&self) -> Vec<u32> {
        let Self::Postgres { admin_url, name } = self else {
            return Vec::new();
        };
        let query = async {
            use sqlx::Connection;
            let mut conn =
                sqlx::PgConnection::connect(&format!("{}/postgres", admin_url.trim_end_matches('/'))).await?;
            let pids: Vec<(i32,)> = sqlx::query_as("SELECT pid FROM pg_stat_activity WHERE datname = $1")
                .bind(name)
                .fetch_all(&mut conn)
                .await?;
            Ok::<_, sqlx::Error>(pids.into_iter().map(|(p,)| p as u32).collect())
        };
        query.await.unwrap_or_default()
    }

    pub async fn drop_now(self) {
        if let Self::Postgres { admin_url, name } = self
            && let Err(e) =
                postgres_admin(&admin_url, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await
        {
            eprintln!("could not drop database {name}: {e:#}");
        }
    }
}

/// What the hub is given as DATABASE_URL for the database `name` on the benchmark's server.
pub fn database_url(args: &Args, name: &str) -> String {
    let params = args.postgres_params.as_deref().map(|p| format!("?{p}"));
    format!(
        "{}/{name}{}",
        args.postgres_url.trim_end_matches('/'),
        params.unwrap_or_default()
    )
}

/// One statement on the server's `postgres` database.
pub async fn postgres_admin(admin_url: &str, statement: &str) -> Result<()> {
    use sqlx::Connection;
    let url = format!("{}/postgres", admin_url.trim_end_matches('/'));
    let mut conn = sqlx::PgConnection::connect(&url)
        .await
        .with_context(|| format!("connecting to {url}"))?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_owned()))
        .execute(&mut conn)
        .await
        .with_context(|| statement.to_owned())?;
    Ok(())
}

/// The sync benchmark on one backend.
pub async fn run(backend: Backend, args: &Args, work: &Path) -> Result<BackendResult> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("ihub-bench-{}-", backend.name()))
        .tempdir_in(work)?;
    let database = Database::create(backend, args).await?;
    let queue = format!("ihub-bench::{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let result = measure(backend, args, dir.path(), &database, &queue).await;
    database.drop_now().await;
    if backend == Backend::Postgres {
        crate::jobs::forget_queue(&args.redis_url, &queue).await;
    }
    if result.is_err() || args.keep {
        // Keep the hub's log for whoever looks into a failure.
        let kept = dir.keep();
        eprintln!("hub data and log kept in {}", kept.display());
    }
    result
}

async fn measure(backend: Backend, args: &Args, dir: &Path, database: &Database, queue: &str) -> Result<BackendResult> {
    let mut extra = Vec::new();
    if let Some(url) = database.url(args) {
        extra.push(("DATABASE_URL".to_owned(), url));
        extra.push(("REDIS_URL".to_owned(), args.redis_url.clone()));
        extra.push(("IHUB_REDIS_QUEUE".to_owned(), queue.to_owned()));
    }
    if let Some(n) = args.sync_concurrency {
        extra.push(("IHUB_SYNC_CONCURRENCY".to_owned(), n.to_string()));
    }
    let config = HubConfig::new(&args.ihub, &dir.join("data"), extra)?;

    eprintln!(
        "[{}] seeding {} people into fresh simulators",
        backend.name(),
        args.people
    );
    let sims = Simulators::start(Accepted::default()).await?;
    sims.seed(args.people);

    let started = Instant::now();
    config.create_admin().await?;
    let hub = config.start("serve", &dir.join("hub.log")).await?;
    let outcome = async {
        let api = Api::login(&config.base_url()).await?;
        let (integration, rate_limit) = hub::enabled_integration(&api, &sims).await?;
        let setup = started.elapsed().as_secs_f64();
        // Let the start-up settle (first reconciler tick, connection pools) before measuring.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let idle_rss_kb = machine::status_kb(hub.pid, "VmRSS").unwrap_or(0);
        let watch = Watch {
            api: &api,
            sims: &sims,
            hub: &hub,
            database,
            sampler: RssSampler::start(hub.pid),
            integration: &integration,
            args,
            dir,
            backend,
        };
        let full = watch.phase("full sync", "perf-full.data").await?;
        let scim_users = sims.scim.read().expect("lock").len();
        let resync = watch.phase("no-change resync", "perf-resync.data").await?;
        Ok::<_, anyhow::Error>(BackendResult {
            backend,
            people: args.people,
            command: config.shown("serve"),
            rate_limit,
            setup,
            idle_rss_kb,
            full,
            resync,
            scim_users,
            repeats: Vec::new(),
        })
    }
    .await;
    let log = hub.log.clone();
    hub.stop().await;
    sims.stop().await;
    outcome.with_context(|| format!("hub log: {}", log.display()))
}

pub const ENDED: [&str; 4] = ["done", "partial", "failed", "cancelled"];

/// What one backend's runs are measured with.
struct Watch<'a> {
    api: &'a Api,
    sims: &'a Simulators,
    hub: &'a HubProcess,
    database: &'a Database,
    sampler: RssSampler,
    integration: &'a str,
    args: &'a Args,
    dir: &'a Path,
    backend: Backend,
}

impl Watch<'_> {
    /// Starts a full run and waits for it, watching the hub, the simulators and the database meanwhile.
    async fn phase(&self, what: &str, perf_file: &str) -> Result<Phase> {
        eprintln!("[{}] {what} of {} people", self.backend.name(), self.args.people);
        let perf = self.args.perf.then(|| self.dir.join(perf_file));
        let phase = measure_phase(self, perf.as_deref()).await?;
        eprintln!(
            "[{}] {what}: {:.1} s, {:.0} records/s, peak RSS {:.1} MB, run {} (read {}, written {}, errors {})",
            self.backend.name(),
            phase.wall,
            phase.records_per_sec(),
            phase.peak_rss_kb as f64 * 1024.0 / 1e6,
            phase.run["status"],
            phase.run["records_read"],
            phase.run["records_written"],
            phase.run["records_errors"],
        );
        Ok(phase)
    }
}

async fn measure_phase(watch: &Watch<'_>, perf: Option<&Path>) -> Result<Phase> {
    let Watch {
        api,
        sims,
        hub,
        database,
        sampler,
        integration,
        args,
        ..
    } = watch;
    sims.reset_request_counts();
    std::mem::take(&mut sims.recorded.lock().expect("lock").requests);
    machine::reset_peak(hub.pid);
    sampler.take();
    let me = std::process::id();
    let (hub_cpu, sims_cpu) = (machine::cpu_secs(hub.pid), machine::cpu_secs(me));
    let hub_sys = machine::sys_secs(hub.pid).unwrap_or(0.0);
    let hub_switches = machine::context_switches(hub.pid);
    let postgres = CpuOf::now(&database.backend_pids().await);
    let busy = MachineCpu::now();
    let profiler = match perf {
        Some(out) => Some(Profiler::start(hub.pid, out).await?),
        None => None,
    };

    let t0 = Instant::now();
    let id = api.start_full_run(integration).await?;
    let deadline = t0 + Duration::from_secs(args.timeout_secs);
    let mut said = Instant::now();
    let run = loop {
        let current = api.get(&format!("/api/v1/runs/{id}")).await?;
        if ENDED.contains(&current["status"].as_str().unwrap_or_default()) {
            break current;
        }
        if Instant::now() > deadline {
            bail!("the run did not end within {} s: {current}", args.timeout_secs);
        }
        if said.elapsed() > Duration::from_secs(15) {
            eprintln!(
                "    {:>5.0} s: {} read so far (as of the last checkpoint)",
                t0.elapsed().as_secs_f64(),
                current["records_read"]
            );
            said = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let wall = t0.elapsed().as_secs_f64();

    let profile = match profiler {
        Some(p) => Some(p.finish().await),
        None => None,
    };
    let pids = database.backend_pids().await;
    let requests = classify(&std::mem::take(&mut sims.recorded.lock().expect("lock").requests));
    let peak = sampler.take().max(machine::status_kb(hub.pid, "VmHWM").unwrap_or(0));
    Ok(Phase {
        wall,
        engine: engine_secs(&run),
        peak_rss_kb: peak,
        hub_cpu: machine::cpu_secs(hub.pid).unwrap_or(0.0) - hub_cpu.unwrap_or(0.0),
        hub_sys: machine::sys_secs(hub.pid).unwrap_or(0.0) - hub_sys,
        hub_switches: machine::context_switches(hub.pid).saturating_sub(hub_switches),
        sims_cpu: machine::cpu_secs(me).unwrap_or(0.0) - sims_cpu.unwrap_or(0.0),
        postgres_cpu: matches!(database, Database::Postgres { .. }).then(|| postgres.since(&pids)),
        machine_busy_pct: busy.busy_since(),
        scim_requests: sims.request_count(System::Scim),
        employment_hero_requests: sims.request_count(System::EmploymentHero),
        requests,
        profile,
        run,
    })
}

fn engine_secs(run: &Value) -> Option<f64> {
    let at = |field: &str| chrono::DateTime::parse_from_rfc3339(run[field].as_str()?).ok();
    Some((at("finished_at")? - at("started_at")?).as_seconds_f64())
}

/// `METHOD path` with ids (UUIDs, numbers, long hex) as `{id}`, counted.
fn classify(requests: &[String]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for request in requests {
        let shape: Vec<&str> = request
            .split('/')
            .map(|segment| {
                let id_like = segment.len() >= 8 && segment.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
                    || (!segment.is_empty() && segment.chars().all(|c| c.is_ascii_digit()));
                if id_like { "{id}" } else { segment }
            })
            .collect();
        *counts.entry(shape.join("/")).or_insert(0) += 1;
    }
    counts
}

/// `perf record` attached to the hub for one phase.
struct Profiler {
    child: tokio::process::Child,
    out: PathBuf,
}

impl Profiler {
    async fn start(pid: u32, out: &Path) -> Result<Self> {
        let child = tokio::process::Command::new("perf")
            .args(["record", "-F", "499", "-p", &pid.to_string(), "-o"])
            .arg(out)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .context("starting perf (install linux-perf, or run without --perf)")?;
        // perf needs a moment to attach before the run starts.
        tokio::time::sleep(Duration::from_millis(500)).await;
        Ok(Self {
            child,
            out: out.to_owned(),
        })
    }

    /// Stops recording and answers the hottest symbols and libraries.
    async fn finish(mut self) -> String {
        if let Some(pid) = self.child.id() {
            let _ = tokio::process::Command::new("kill")
                .args(["-INT", &pid.to_string()])
                .status()
                .await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(60), self.child.wait()).await;
        let mut text = String::new();
        for (sort, limit) in [("dso", "2"), ("sym", "0.8")] {
            let report = tokio::process::Command::new("perf")
                .args(["report", "--stdio", "--no-children", "--percent-limit", limit, "-F"])
                .arg(format!("overhead,{sort}"))
                .arg("-i")
                .arg(&self.out)
                .output()
                .await;
            if let Ok(report) = report {
                let lines: Vec<String> = String::from_utf8_lossy(&report.stdout)
                    .lines()
                    .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
                    .take(30)
                    .map(|l| {
                        // Rust symbols are long; keep a readable width.
                        let l = l.trim_end();
                        if l.chars().count() > 160 {
                            format!("{}…", l.chars().take(160).collect::<String>())
                        } else {
                            l.to_owned()
                        }
                    })
                    .collect();
                text.push_str(&format!("by {sort}:\n{}\n\n", lines.join("\n")));
            }
        }
        text
    }
}
