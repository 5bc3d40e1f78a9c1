//! Rate-limit fidelity: the SCIM simulator enforcing a hosted target's limit (150 requests a minute, bursts of
//! 15, 429 + Retry-After, X-RateLimit-* headers), a full sync of the people through a release `ihub serve` on
//! PostgreSQL with Redis (so its budget is the shared one), the SCIM connection left at its default limit (600 a
//! minute) so the hub must learn the target's. Measures the share of the limit used, the share of answers that
//! were 429, and whether every record landed.
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use ihub_simulators::{Accepted, FaultPlan, Simulators, System};
use serde_json::Value;

use crate::hub::{self, Api, HubConfig};
use crate::sync::{Database, ENDED};
use crate::{Args, Backend};

pub const AIM_USED: f64 = 0.95;
pub const AIM_REFUSED: f64 = 0.001;

#[derive(Debug, Clone)]
pub struct RateLimitResult {
    pub people: u32,
    pub per_minute: u32,
    pub burst: u32,
    /// How the hub was started (secret left out).
    pub command: String,
    /// From the POST that starts the run to the poll that sees it ended.
    pub wall: f64,
    pub requests: u64,
    pub refused: u64,
    pub run: Value,
    pub scim_users: usize,
}

impl RateLimitResult {
    /// Requests the target accepted, as a share of what its limit allowed over the run: one burst, then the rate.
    pub fn used(&self) -> f64 {
        let allowed = self.burst as f64 + self.per_minute as f64 * self.wall / 60.0;
        (self.requests - self.refused) as f64 / allowed
    }

    pub fn refused_share(&self) -> f64 {
        self.refused as f64 / self.requests.max(1) as f64
    }

    /// The run ended `done` with no failed record and the target holds a user for every record written.
    pub fn landed(&self) -> bool {
        self.run["status"] == "done"
            && self.run["records_errors"] == 0
            && self.run["records_written"]
                .as_u64()
                .is_some_and(|w| w as usize <= self.scim_users)
    }
}

pub async fn run(args: &Args, work: &Path) -> Result<RateLimitResult> {
    let dir = tempfile::Builder::new()
        .prefix("ihub-bench-rate-limit-")
        .tempdir_in(work)?;
    let database = Database::create(Backend::Postgres, args).await?;
    let queue = format!("ihub-bench::{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let result = measure(args, dir.path(), &database, &queue).await;
    database.drop_now().await;
    crate::jobs::forget_queue(&args.redis_url, &queue).await;
    if result.is_err() || args.keep {
        let kept = dir.keep();
        eprintln!("hub data and log kept in {}", kept.display());
    }
    result
}

async fn measure(args: &Args, dir: &Path, database: &Database, queue: &str) -> Result<RateLimitResult> {
    let (people, per_minute, burst) = (
        args.rate_limit_people,
        args.rate_limit_per_minute,
        args.rate_limit_burst,
    );
    let mut extra = vec![
        ("REDIS_URL".to_owned(), args.redis_url.clone()),
        ("IHUB_REDIS_QUEUE".to_owned(), queue.to_owned()),
    ];
    extra.extend(database.url(args).map(|url| ("DATABASE_URL".to_owned(), url)));
    let config = HubConfig::new(&args.ihub, &dir.join("data"), extra)?;
    eprintln!("[rate-limit] {people} people, the SCIM simulator allowing {per_minute}/min with bursts of {burst}");
    let sims = Simulators::start(Accepted::default()).await?;
    sims.seed(people);
    config.create_admin().await?;
    let hub = config.start("serve", &dir.join("hub.log")).await?;
    let outcome = async {
        let api = Api::login(&config.base_url()).await?;
        let (integration, _) = hub::integration_to(&api, &sims, false).await?;
        sims.set_faults(
            System::Scim,
            FaultPlan {
                rate_limit_per_minute: Some(per_minute),
                rate_limit_burst: Some(burst),
                ..FaultPlan::default()
            },
        );
        sims.reset_request_counts();
        let t0 = Instant::now();
        let run = full_run(&api, &integration, args.timeout_secs).await?;
        let result = RateLimitResult {
            people,
            per_minute,
            burst,
            command: config.shown("serve"),
            wall: t0.elapsed().as_secs_f64(),
            requests: sims.request_count(System::Scim),
            refused: sims.rate_limited_count(System::Scim),
            run,
            scim_users: sims.scim_users().len(),
        };
        eprintln!(
            "[rate-limit] {:.0} s, {} requests, {} refused ({:.2}%), {:.1}% of the limit used, run {}",
            result.wall,
            result.requests,
            result.refused,
            100.0 * result.refused_share(),
            100.0 * result.used(),
            result.run["status"]
        );
        Ok::<_, anyhow::Error>(result)
    }
    .await;
    let log = hub.log.clone();
    hub.stop().await;
    sims.stop().await;
    outcome.with_context(|| format!("hub log: {}", log.display()))
}

/// Starts a full run and polls it until it ends.
async fn full_run(api: &Api, integration: &str, timeout_secs: u64) -> Result<Value> {
    let id = api.start_full_run(integration).await?;
    let deadline = Instant::now() + Duration::from_secs(timeout_secs);
    loop {
        let current = api.get(&format!("/api/v1/runs/{id}")).await?;
        if ENDED.contains(&current["status"].as_str().unwrap_or_default()) {
            return Ok(current);
        }
        if Instant::now() > deadline {
            bail!("the run did not end within {timeout_secs} s: {current}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
