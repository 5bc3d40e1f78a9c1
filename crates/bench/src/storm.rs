//! Scheduler storm: many integrations with a schedule due in the same minute, small sources, on an `ihub serve`
//! with default settings: how long from the minute to each run queued and started; then the same hub idle with
//! those schedules (next due a day later): its CPU and resident memory.
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Timelike, Utc};
use ihub_simulators::{Accepted, Simulators};
use serde_json::json;

use crate::hub::{Served, enabled_integration};
use crate::{Args, Backend};

pub const HEADING: &str = "## Scheduler storm";
pub const AIM_P99_SECS: f64 = 1.0;
pub const AIM_IDLE_CPU: f64 = 0.01;
pub const AIM_IDLE_RSS_MB: f64 = 100.0;
/// People in the source: small, so the runs measure the scheduler and the queue, not the sync.
const PEOPLE: u32 = 5;

#[derive(Debug, Clone)]
pub struct Storm {
    pub target: String,
    pub schedules: usize,
    /// `IHUB_WORKER_RUNS_AT_ONCE`, when the benchmark set it.
    pub runs_at_once: Option<usize>,
    /// Seconds from the due minute to each run queued / started, sorted.
    pub queued: Vec<f64>,
    pub started: Vec<f64>,
    /// Runs not started within the timeout.
    pub not_started: usize,
    pub idle_secs: u64,
    /// Share of one core the idle hub used.
    pub idle_cpu: Option<f64>,
    pub idle_rss_kb: Option<u64>,
}

pub async fn run(backend: Backend, args: &Args, work: &Path) -> Result<Storm> {
    let at_once = args.storm_runs_at_once.map(|n| n.to_string());
    let extra: Vec<(&str, &str)> = at_once
        .as_deref()
        .map(|n| ("IHUB_WORKER_RUNS_AT_ONCE", n))
        .into_iter()
        .collect();
    let served = Served::start(backend, args, work, "storm", &extra).await?;
    let measured = measure(&served, backend, args).await;
    served.stop(args, measured.is_err()).await;
    measured
}

async fn measure(served: &Served, backend: Backend, args: &Args) -> Result<Storm> {
    let api = &served.api;
    let sims = Simulators::start(Accepted::default()).await?;
    sims.seed(PEOPLE);
    let (first, _) = enabled_integration(api, &sims).await?;
    let shape = api.get(&format!("/api/v1/integrations/{first}")).await?;
    let n = args.storm_integrations;
    eprintln!("[storm] {} hub: {n} integrations", backend.title());
    let mut integrations = vec![first];
    for k in 1..n {
        let created = api
            .post(
                "/api/v1/integrations",
                &json!({"name": format!("Storm {k}"), "kind": "employees_to_users",
                        "source_connection_id": shape["source_connection_id"],
                        "target_connection_id": shape["target_connection_id"], "settings": {}}),
                201,
            )
            .await?;
        let id = created["id"].as_str().unwrap_or_default().to_owned();
        api.post(&format!("/api/v1/integrations/{id}/enable"), &json!({}), 200)
            .await?;
        integrations.push(id);
    }
    // The minute every schedule is due: far enough ahead for all of them to be created first.
    let setup = Duration::from_millis(30 * n as u64) + Duration::from_secs(10);
    let due = next_minute(Utc::now() + chrono::Duration::from_std(setup)?);
    let cron = format!("{} {} * * *", due.minute(), due.hour());
    for id in &integrations {
        api.post(
            &format!("/api/v1/integrations/{id}/schedules"),
            &json!({"cron": cron, "timezone": "UTC"}),
            201,
        )
        .await?;
    }
    if Utc::now() >= due {
        bail!("setting up {n} schedules took past their minute; give it more time");
    }
    eprintln!("[storm] {n} schedules due at {due}");
    tokio::time::sleep((due - Utc::now()).to_std().unwrap_or_default()).await;
    let deadline = Instant::now() + Duration::from_secs(args.timeout_secs.min(600));
    while Instant::now() < deadline {
        let started = served
            .scalar(args, "SELECT COUNT(*) FROM runs WHERE started_at IS NOT NULL")
            .await
            .unwrap_or(0);
        if started as usize >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let (mut queued, mut started) = (Vec::new(), Vec::new());
    for id in &integrations {
        let runs = api.get(&format!("/api/v1/integrations/{id}/runs?limit=1")).await?;
        let Some(run) = runs["items"].get(0) else { continue };
        let after = |field: &str| {
            run[field]
                .as_str()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .map(|t| (t.with_timezone(&Utc) - due).as_seconds_f64())
        };
        queued.extend(after("queued_at"));
        started.extend(after("started_at"));
    }
    queued.sort_by(f64::total_cmp);
    started.sort_by(f64::total_cmp);
    // Idle: every run over, the schedules a day away.
    wait_until_settled(served, args, n).await;
    let pid = served.process.pid;
    let before = crate::machine::cpu_secs(pid);
    tokio::time::sleep(Duration::from_secs(args.storm_idle_secs)).await;
    let after = crate::machine::cpu_secs(pid);
    Ok(Storm {
        target: format!("hub on {}", backend.title()),
        schedules: n,
        runs_at_once: args.storm_runs_at_once,
        not_started: n.saturating_sub(started.len()),
        queued,
        started,
        idle_secs: args.storm_idle_secs,
        idle_cpu: before
            .zip(after)
            .map(|(b, a)| (a - b) / args.storm_idle_secs.max(1) as f64),
        idle_rss_kb: crate::machine::status_kb(pid, "VmRSS"),
    })
}

fn next_minute(after: DateTime<Utc>) -> DateTime<Utc> {
    let floor = after.with_second(0).and_then(|t| t.with_nanosecond(0)).unwrap_or(after);
    floor + chrono::Duration::minutes(1)
}

async fn wait_until_settled(served: &Served, args: &Args, n: usize) {
    const ENDED: &str = "SELECT COUNT(*) FROM runs WHERE status IN ('done', 'partial', 'failed', 'cancelled')";
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline {
        if served.scalar(args, ENDED).await.unwrap_or(0) as usize >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn pct(sorted: &[f64], p: f64) -> Option<f64> {
    (!sorted.is_empty()).then(|| sorted[((sorted.len() - 1) as f64 * p).round() as usize])
}

pub fn section(results: &[Storm], invocation: &str, date: &str, secs: f64) -> Result<String> {
    use std::fmt::Write;
    let mut md = format!("{HEADING}\n\n");
    writeln!(
        md,
        "Measured {date} by `{invocation}` ({secs:.0} s in all). Aim from issue 11: 1,000 integrations with a \
         schedule due in the same minute, small sources: p99 due → run started ≤ {AIM_P99_SECS:.0} s; the idle hub \
         holding those schedules uses ≤ 1% of a core and ≤ {AIM_IDLE_RSS_MB:.0} MB resident.\n\n\
         `crates/bench/src/storm.rs`: an `ihub serve` with default settings (unless the row says otherwise), one Employment Hero source of \
         {PEOPLE} people and one SCIM target shared by every integration, each integration with the cron \
         `M H * * *` (UTC) of the same minute. Due → queued and due → started are each run's `queued_at` and \
         `started_at` less the minute. Idle is measured once every run has ended, with the next occurrences a day \
         away.\n"
    )
    .context("formatting")?;
    writeln!(
        md,
        "| hub | schedules | due → queued p50 / p99 | due → started p50 / p99 / max | not started | idle CPU | idle RSS | aim |\n\
         |---|---|---|---|---|---|---|---|"
    )
    .context("formatting")?;
    let secs_of = |v: Option<f64>| v.map_or("–".to_owned(), |s| format!("{s:.2} s"));
    for r in results {
        let p99 = pct(&r.started, 0.99);
        let rss_mb = r.idle_rss_kb.map(|kb| kb as f64 * 1024.0 / 1e6);
        let pass = r.not_started == 0
            && p99.is_some_and(|s| s <= AIM_P99_SECS)
            && r.idle_cpu.is_some_and(|c| c <= AIM_IDLE_CPU)
            && rss_mb.is_some_and(|m| m <= AIM_IDLE_RSS_MB);
        writeln!(
            md,
            "| {} | {} | {} / {} | {} / {} / {} | {} | {} over {} s | {} | {} |",
            match r.runs_at_once {
                Some(n) => format!("{} (`IHUB_WORKER_RUNS_AT_ONCE={n}`)", r.target),
                None => r.target.clone(),
            },
            r.schedules,
            secs_of(pct(&r.queued, 0.5)),
            secs_of(pct(&r.queued, 0.99)),
            secs_of(pct(&r.started, 0.5)),
            secs_of(p99),
            secs_of(r.started.last().copied()),
            r.not_started,
            r.idle_cpu
                .map_or("–".into(), |c| format!("{:.2}% of a core", c * 100.0)),
            r.idle_secs,
            rss_mb.map_or("–".into(), |m| format!("{m:.0} MB")),
            if pass { "**pass**" } else { "**miss**" },
        )
        .context("formatting")?;
    }
    md.push('\n');
    Ok(md)
}
