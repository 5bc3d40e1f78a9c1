//! Webhook draining: a burst of signed deliveries about many people (several each) posted to an `ihub serve` whose
//! integration processes them at once (`webhook_delay_seconds: 0`), timed from the first delivery until the SCIM
//! simulator holds every person's change. Each person's job title is changed in the BambooHR simulator first, so
//! "synced" means the change itself reached the target, not only that a run ended.
use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures::StreamExt;
use ihub_simulators::{Accepted, Simulators};

use crate::hub::Served;
use crate::webhooks::{body_about, deliver, integration, webhook_url};
use crate::{Args, Backend};

/// Deliveries in flight at once while the burst is posted.
const CLIENTS: usize = 64;
pub const AIM_SECS: f64 = 60.0;
pub const HEADING: &str = "## Webhook draining";

#[derive(Debug, Clone)]
pub struct Drained {
    pub target: String,
    pub people: usize,
    pub deliveries: usize,
    /// Deliveries the hub did not accept (anything but 202).
    pub refused: usize,
    pub first_refusal: Option<String>,
    /// From the first delivery sent to the last answered.
    pub posted_secs: f64,
    /// From the first delivery sent until the target held every change; `None`: not within the timeout.
    pub synced_secs: Option<f64>,
    /// People whose change the target held at the end.
    pub synced_people: usize,
    /// `webhook` runs the hub made for them.
    pub runs: Option<i64>,
}

pub async fn run(backend: Backend, args: &Args, work: &Path) -> Result<Drained> {
    let served = Served::start(backend, args, work, "drain", &[]).await?;
    let measured = measure(&served, backend, args).await;
    served.stop(args, measured.is_err()).await;
    measured
}

async fn measure(served: &Served, backend: Backend, args: &Args) -> Result<Drained> {
    let sims = Simulators::start(Accepted::default()).await?;
    // Room for the leavers and people without a work email the seed holds, who are not synced.
    sims.seed(args.drain_people as u32 * 2 + 100);
    let today = sims.today();
    let people: Vec<u32> = (0..sims.people_count() as u32)
        .filter(|&i| {
            sims.person(i)
                .is_some_and(|p| p.work_email.is_some() && !p.is_terminated(today))
        })
        .take(args.drain_people)
        .collect();
    if people.len() < args.drain_people {
        bail!("the simulator holds only {} people to sync", people.len());
    }
    let id = integration(&served.api, &sims, 0).await?;
    let url = webhook_url(&served.api, &id).await?;
    let expected: BTreeSet<String> = people.iter().map(|i| title(*i)).collect();
    for &i in &people {
        sims.update_employee(i, |p| p.job_title = Some(title(i)));
    }
    let per_person = args.drain_deliveries.div_ceil(people.len());
    // Round robin, so that each person's deliveries arrive spread over the burst as real edits would.
    let bodies: Vec<Vec<u8>> = (0..per_person)
        .flat_map(|_| people.iter().map(|&i| body_about(&sims.bamboohr_employee_id(i))))
        .take(args.drain_deliveries)
        .collect();
    let deliveries = bodies.len();
    eprintln!(
        "[drain] {} hub: {deliveries} deliveries about {} people to {url}",
        backend.title(),
        people.len()
    );
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .timeout(Duration::from_secs(30))
        .build()?;
    let first = Instant::now();
    let answers: Vec<std::result::Result<(), String>> = futures::stream::iter(bodies)
        .map(|body| deliver(&http, &url, body))
        .buffer_unordered(CLIENTS)
        .collect()
        .await;
    let posted_secs = first.elapsed().as_secs_f64();
    let refused = answers.iter().filter(|a| a.is_err()).count();
    let first_refusal = answers.into_iter().find_map(std::result::Result::err);
    let deadline = first + Duration::from_secs(args.timeout_secs.min(600));
    let (synced_secs, synced_people) = loop {
        let held = sims
            .scim_users()
            .iter()
            .filter_map(|u| u.get("title").and_then(|t| t.as_str()).map(str::to_owned))
            .filter(|t| expected.contains(t))
            .count();
        if held == expected.len() {
            break (Some(first.elapsed().as_secs_f64()), held);
        }
        if Instant::now() > deadline {
            break (None, held);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    Ok(Drained {
        target: format!("hub on {}", backend.title()),
        people: people.len(),
        deliveries,
        refused,
        first_refusal,
        posted_secs,
        synced_secs,
        synced_people,
        runs: served
            .scalar(args, "SELECT COUNT(*) FROM runs WHERE \"trigger\" = 'webhook'")
            .await,
    })
}

fn title(index: u32) -> String {
    format!("Drained {index}")
}

pub fn section(results: &[Drained], invocation: &str, date: &str, secs: f64) -> String {
    use std::fmt::Write;
    let mut md = format!("{HEADING}\n\n");
    let _ = writeln!(
        md,
        "Measured {date} by `{invocation}` ({secs:.0} s in all). Aim from issue 11: 10,000 deliveries about 1,000 \
         people all synced to the target in ≤ {AIM_SECS:.0} s.\n\n\
         `crates/bench/src/drain.rs`: each person's job title is changed in the BambooHR simulator, then the \
         deliveries (the same signed 1 KB `employee.updated` events as above, round robin over the people) are \
         posted {CLIENTS} at a time to an `ihub serve` with default settings whose BambooHR → SCIM integration \
         has `webhook_delay_seconds: 0`. The time runs from the first delivery sent until the SCIM simulator holds \
         every person's new title.\n"
    );
    let _ = writeln!(
        md,
        "| hub | deliveries | people | posted in | all synced after | people synced | webhook runs | refused | aim |\n\
         |---|---|---|---|---|---|---|---|---|"
    );
    for r in results {
        let refused = match &r.first_refusal {
            Some(e) => format!("{} (first: {e})", r.refused),
            None => r.refused.to_string(),
        };
        let pass = r.refused == 0 && r.synced_secs.is_some_and(|s| s <= AIM_SECS);
        let _ = writeln!(
            md,
            "| {} | {} | {} | {:.1} s | {} | {} | {} | {refused} | {} |",
            r.target,
            r.deliveries,
            r.people,
            r.posted_secs,
            r.synced_secs
                .map_or("not within the timeout".to_owned(), |s| format!("{s:.1} s")),
            r.synced_people,
            r.runs.map_or("–".into(), |n| n.to_string()),
            if pass { "**pass**" } else { "**miss**" },
        );
    }
    md.push('\n');
    md
}
