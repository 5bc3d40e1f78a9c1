//! `ihub-bench`: the benchmarks of issue 4. A full sync of many people from the Employment Hero simulator to the
//! SCIM simulator through a release `ihub` process on SQLite and on PostgreSQL (records/s, peak RSS), the
//! no-change resync of the same people, jobs/s through the Redis queue beside `redis-benchmark -t lpush`, webhook
//! ingestion at a fixed rate, webhook draining and a scheduler storm.
//! Prints a Markdown report and, with `--write`, puts it in BENCHMARKS.md.
mod drain;
mod hub;
mod jobs;
mod machine;
mod rate_limit;
mod report;
mod storm;
mod sync;
mod webhooks;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};

/// Benchmarks of the hub: full and no-change sync simulator → simulator on SQLite and PostgreSQL, and jobs
/// through the Redis queue. Build first: `cargo build --release -p ihub --bin ihub -p ihub-bench`.
#[derive(Debug, Clone, Parser)]
#[command(name = "ihub-bench", args_override_self = true)]
pub struct Args {
    /// People in the source (and users written to the target by the full sync).
    #[arg(long, default_value_t = 100_000)]
    pub people: u32,
    /// Each sync measurement is made this many times from nothing; the tables show the median and every run.
    #[arg(long, default_value_t = 3)]
    pub repeat: u32,
    /// Also one full sync of this many people per backend (peak RSS at a larger scale; `just bench` uses
    /// 1,000,000); 0 skips it.
    #[arg(long, default_value_t = 0)]
    pub big_people: u32,
    /// Which database(s) to sync on.
    #[arg(long, value_enum, default_value = "both")]
    pub backend: Backends,
    /// The hub binary, built in release.
    #[arg(long, default_value = "target/release/ihub")]
    pub ihub: PathBuf,
    /// PostgreSQL server (no database name) where fresh databases are created and dropped.
    #[arg(
        long,
        env = "IHUB_TEST_POSTGRES_URL",
        default_value = "postgres://postgres@127.0.0.1:5432"
    )]
    pub postgres_url: String,
    /// Query parameters added to the hub's DATABASE_URL, e.g. `sslmode=disable` (sqlx prefers TLS when the
    /// server offers it).
    #[arg(long)]
    pub postgres_params: Option<String>,
    /// Redis for the PostgreSQL hub's queue and the jobs benchmark; every queue used is fresh and removed after.
    #[arg(long, env = "IHUB_BENCH_REDIS_URL", default_value = "redis://127.0.0.1:6379")]
    pub redis_url: String,
    /// Jobs pushed in each step of the queue benchmark; 0 skips it.
    #[arg(long, default_value_t = 20_000)]
    pub jobs: u32,
    /// `IHUB_SYNC_CONCURRENCY` for the hub (records written at once); the hub's default when not given.
    #[arg(long)]
    pub sync_concurrency: Option<usize>,
    /// Profile the hub with `perf record` during each run and put the hottest symbols in the report.
    #[arg(long)]
    pub perf: bool,
    /// Write the report to this file (BENCHMARKS.md), keeping the notes below its marker line.
    #[arg(long)]
    pub write: Option<PathBuf>,
    /// Give up on a run (or a queue drain) after this many seconds.
    #[arg(long, default_value_t = 3600)]
    pub timeout_secs: u64,
    /// Seconds of webhook deliveries measured per receiver (after a 2 s warm-up); 0 skips webhook ingestion.
    #[arg(long, default_value_t = 15)]
    pub webhook_secs: u64,
    /// People synced in the rate-limit fidelity part; 0 skips it.
    #[arg(long, default_value_t = 2_000)]
    pub rate_limit_people: u32,
    /// Requests a minute the SCIM simulator allows in the rate-limit part.
    #[arg(long, default_value_t = 150)]
    pub rate_limit_per_minute: u32,
    /// Requests the SCIM simulator takes at once in the rate-limit part.
    #[arg(long, default_value_t = 15)]
    pub rate_limit_burst: u32,
    /// Webhook deliveries a second, sent on schedule (open loop); 0 sends as fast as 64 clients can.
    #[arg(long, default_value_t = 1_500)]
    pub webhook_rate: u32,
    /// People the webhook draining benchmark's deliveries are about; 0 skips it.
    #[arg(long, default_value_t = 1_000)]
    pub drain_people: usize,
    /// Deliveries the webhook draining benchmark posts (spread evenly over the people).
    #[arg(long, default_value_t = 10_000)]
    pub drain_deliveries: usize,
    /// Integrations with a schedule due in the same minute in the scheduler storm; 0 skips it.
    #[arg(long, default_value_t = 1_000)]
    pub storm_integrations: usize,
    /// `IHUB_WORKER_RUNS_AT_ONCE` for the scheduler storm's hub; the hub's default when not given.
    #[arg(long)]
    pub storm_runs_at_once: Option<usize>,
    /// Seconds the hub of the scheduler storm is watched idle afterwards.
    #[arg(long, default_value_t = 60)]
    pub storm_idle_secs: u64,
    /// Run only this part and replace only its section of the `--write` file, keeping the rest.
    #[arg(long, value_enum)]
    pub only: Option<Only>,
    /// Keep the hubs' data directories and logs.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backends {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Only {
    /// Webhook ingestion on the hub(s) of `--backend` and the bare actix-web baseline.
    Webhooks,
    /// Rate-limit fidelity: a full sync to the SCIM simulator enforcing a hosted target's limit.
    RateLimit,
    /// Webhook draining: deliveries about many people until the target holds every change.
    WebhookDrain,
    /// Scheduler storm: many schedules due in the same minute, then the idle hub.
    SchedulerStorm,
    /// Jobs through the Redis queue only.
    Jobs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Sqlite => "SQLite",
            Self::Postgres => "PostgreSQL",
        }
    }
}

#[tokio::main]
async fn main() -> Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let args = Args::parse();
    let invocation = std::iter::once("target/release/ihub-bench".to_owned())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let ihub = std::fs::canonicalize(&args.ihub).with_context(|| {
        format!(
            "{} not found: cargo build --release -p ihub --bin ihub",
            args.ihub.display()
        )
    })?;
    let args = Args { ihub, ..args };
    let machine = machine::Machine::describe();
    let date = chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string();
    let started = Instant::now();
    let work = std::env::temp_dir();

    let backends: &[Backend] = match args.backend {
        Backends::Sqlite => &[Backend::Sqlite],
        Backends::Postgres => &[Backend::Postgres],
        Backends::Both => &[Backend::Sqlite, Backend::Postgres],
    };
    if matches!(args.only, Some(Only::WebhookDrain | Only::SchedulerStorm)) {
        return drain_and_storm(backends, &args, &work, &invocation, &date, started).await;
    }
    if let Some(only) = args.only {
        let (heading, section) = match only {
            Only::Webhooks => {
                let loads = webhook_loads(backends, &args, &work).await?;
                let secs = started.elapsed().as_secs_f64();
                (
                    report::WEBHOOKS_HEADING,
                    report::webhooks_section(&loads, &invocation, &date, secs),
                )
            }
            Only::RateLimit => {
                let result = rate_limit::run(&args, &work).await?;
                (
                    report::RATE_LIMIT_HEADING,
                    report::rate_limit_section(&result, &invocation, &date),
                )
            }
            Only::Jobs => {
                let jobs = jobs::run(&args, &work).await?;
                (report::JOBS_HEADING, report::jobs_section(&jobs))
            }
            Only::WebhookDrain | Only::SchedulerStorm => unreachable!("measured above"),
        };
        println!("{section}");
        if let Some(path) = &args.write {
            let existing = std::fs::read_to_string(path).ok();
            std::fs::write(path, report::merge_named(existing.as_deref(), heading, &section))
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        return Ok(());
    }
    let mut results = Vec::new();
    for &backend in backends {
        results.push(sync::run_repeated(backend, &args, &work).await?);
    }
    let mut big = Vec::new();
    if args.big_people > 0 {
        let big_args = Args {
            people: args.big_people,
            ..args.clone()
        };
        for &backend in backends {
            big.push(sync::run(backend, &big_args, &work).await?);
        }
    }
    let jobs = if args.jobs > 0 {
        Some(jobs::run(&args, &work).await?)
    } else {
        None
    };

    let loads = if args.webhook_secs > 0 {
        webhook_loads(backends, &args, &work).await?
    } else {
        Vec::new()
    };

    let rate_limit = if args.rate_limit_people > 0 {
        Some(rate_limit::run(&args, &work).await?)
    } else {
        None
    };

    let report = report::Report {
        date: date.clone(),
        machine: &machine,
        invocation: invocation.clone(),
        total_secs: started.elapsed().as_secs_f64(),
        backends: &results,
        big: &big,
        jobs: jobs.as_ref(),
        webhooks: &loads,
        rate_limit: rate_limit.as_ref(),
    }
    .markdown();
    println!("{report}");
    if let Some(path) = &args.write {
        let existing = std::fs::read_to_string(path).ok();
        std::fs::write(path, report::merge(existing.as_deref(), &report))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    drain_and_storm(backends, &args, &work, &invocation, &date, started).await
}

/// The webhook draining and scheduler storm sections (those `--only` asks for, or both), each printed and put in
/// its own section of the `--write` file.
async fn drain_and_storm(
    backends: &[Backend],
    args: &Args,
    work: &std::path::Path,
    invocation: &str,
    date: &str,
    started: Instant,
) -> Result<()> {
    let mut sections = Vec::new();
    if args.only != Some(Only::SchedulerStorm) && args.drain_people > 0 {
        let mut results = Vec::new();
        for &backend in backends {
            results.push(drain::run(backend, args, work).await?);
        }
        let secs = started.elapsed().as_secs_f64();
        sections.push((drain::HEADING, drain::section(&results, invocation, date, secs)));
    }
    if args.only != Some(Only::WebhookDrain) && args.storm_integrations > 0 {
        let mut results = Vec::new();
        for &backend in backends {
            results.push(storm::run(backend, args, work).await?);
        }
        let secs = started.elapsed().as_secs_f64();
        sections.push((storm::HEADING, storm::section(&results, invocation, date, secs)?));
    }
    for (heading, section) in sections {
        println!("{section}");
        if let Some(path) = &args.write {
            let existing = std::fs::read_to_string(path).ok();
            std::fs::write(path, report::merge_named(existing.as_deref(), heading, &section))
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {} ({heading})", path.display());
        }
    }
    Ok(())
}

/// Webhook ingestion on each hub, then the bare actix-web handler.
async fn webhook_loads(backends: &[Backend], args: &Args, work: &std::path::Path) -> Result<Vec<webhooks::Load>> {
    let mut loads = Vec::new();
    for &backend in backends {
        loads.push(webhooks::hub(backend, args, work, args.webhook_secs).await?);
    }
    loads.push(webhooks::baseline(args.webhook_secs, args.webhook_rate).await?);
    Ok(loads)
}
