//! `ihub-bench`: the benchmarks of issue 4. A full sync of many people from the Employment Hero simulator to the
//! SCIM simulator through a release `ihub` process on SQLite and on PostgreSQL (records/s, peak RSS), the
//! no-change resync of the same people, and jobs/s through the Redis queue beside `redis-benchmark -t lpush`.
//! Prints a Markdown report and, with `--write`, puts it in BENCHMARKS.md.
mod hub;
mod jobs;
mod machine;
mod report;
mod sync;
mod webhooks;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, ValueEnum};

/// Benchmarks of the hub: full and no-change sync simulator → simulator on SQLite and PostgreSQL, and jobs
/// through the Redis queue. Build first: `cargo build --release -p ihub --bin ihub -p ihub-bench`.
#[derive(Debug, Parser)]
#[command(name = "ihub-bench", args_override_self = true)]
pub struct Args {
    /// People in the source (and users written to the target by the full sync).
    #[arg(long, default_value_t = 100_000)]
    pub people: u32,
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
    /// Jobs through the Redis queue only, printed (not written: the lead's full run writes the report).
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
    if args.only == Some(Only::Webhooks) {
        let loads = webhook_loads(backends, &args, &work).await?;
        let section = report::webhooks_section(&loads, &invocation, &date, started.elapsed().as_secs_f64());
        println!("{section}");
        if let Some(path) = &args.write {
            let existing = std::fs::read_to_string(path).ok();
            std::fs::write(path, report::merge_section(existing.as_deref(), &section))
                .with_context(|| format!("writing {}", path.display()))?;
            eprintln!("wrote {}", path.display());
        }
        return Ok(());
    }
    if args.only == Some(Only::Jobs) {
        let jobs = jobs::run(&args, &work).await?;
        println!("{}", report::jobs_section(&jobs));
        return Ok(());
    }
    let mut results = Vec::new();
    for &backend in backends {
        results.push(sync::run(backend, &args, &work).await?);
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

    let report = report::Report {
        date,
        machine: &machine,
        invocation,
        total_secs: started.elapsed().as_secs_f64(),
        backends: &results,
        jobs: jobs.as_ref(),
        webhooks: &loads,
    }
    .markdown();
    println!("{report}");
    if let Some(path) = &args.write {
        let existing = std::fs::read_to_string(path).ok();
        std::fs::write(path, report::merge(existing.as_deref(), &report))
            .with_context(|| format!("writing {}", path.display()))?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

/// Webhook ingestion on each hub, then the bare actix-web handler.
async fn webhook_loads(backends: &[Backend], args: &Args, work: &std::path::Path) -> Result<Vec<webhooks::Load>> {
    let mut loads = Vec::new();
    for &backend in backends {
        loads.push(webhooks::hub(backend, args, work, args.webhook_secs).await?);
    }
    loads.push(webhooks::baseline(args.webhook_secs).await?);
    Ok(loads)
}
