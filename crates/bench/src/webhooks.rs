//! Webhook ingestion: signed 1 KB BambooHR `employee.updated` deliveries posted by a load generator inside this
//! process (N concurrent clients on one shared HTTP client, loopback) to a release `ihub serve` on SQLite or
//! PostgreSQL, and the same generator against a bare actix-web handler answering 202 without storing anything.
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use ihub_simulators::{Accepted, Simulators};
use serde_json::json;

use crate::hub::{Api, HubConfig, RATE_LIMITS};
use crate::sync::Database;
use crate::{Args, Backend};

pub const CLIENTS: usize = 64;
pub const WARM_UP: Duration = Duration::from_secs(2);
pub const BODY_BYTES: usize = 1024;
const KEY: &str = "ihub-bench-webhook-private-key";

/// What the load generator measured against one receiver.
#[derive(Debug, Clone)]
pub struct Load {
    pub target: String,
    pub secs: f64,
    /// Deliveries answered 202 within the measured window.
    pub accepted: u64,
    /// Any other answer, or a failed request, within the measured window.
    pub failed: u64,
    pub first_failure: Option<String>,
    pub p50_us: u32,
    pub p99_us: u32,
    pub max_us: u32,
    /// CPU seconds of the receiving process during the measured window (hub only).
    pub receiver_cpu: Option<f64>,
    /// Webhook events in the hub's queue afterwards (warm-up included; hub only).
    pub stored: Option<i64>,
}

impl Load {
    pub fn per_sec(&self) -> f64 {
        self.accepted as f64 / self.secs
    }
}

/// One delivery's body: unique timestamp (and so a unique event id), padded to about 1 KB.
fn body(seq: u64) -> Vec<u8> {
    let when = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string();
    let head = format!(
        r#"{{"type":"employee.updated","timestamp":"{when}","data":{{"companyId":"1","employeeId":"{}","changedFields":["jobTitle","department","location"]}},"note":""#,
        seq % 10_000 + 1
    );
    let pad = BODY_BYTES.saturating_sub(head.len() + 2);
    let mut out = String::with_capacity(BODY_BYTES);
    out.push_str(&head);
    out.extend(std::iter::repeat_n('x', pad));
    out.push_str("\"}");
    out.into_bytes()
}

/// `CLIENTS` clients posting signed deliveries to `url` for the warm-up plus `secs`.
pub async fn generate(url: &str, secs: u64, target: &str) -> Result<Load> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .timeout(Duration::from_secs(30))
        .build()?;
    let start = Instant::now() + WARM_UP;
    let end = start + Duration::from_secs(secs);
    let seq = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let http = http.clone();
        let url = url.to_owned();
        let seq = seq.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::new();
            let (mut failed, mut first_failure) = (0u64, None);
            loop {
                let now = Instant::now();
                if now >= end {
                    break;
                }
                let body = body(seq.fetch_add(1, Ordering::Relaxed));
                let timestamp = chrono::Utc::now().timestamp().to_string();
                let signature = ihub_simulators::bamboohr::webhook::sign(&body, &timestamp, KEY);
                let sent = Instant::now();
                let answer = http
                    .post(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header("X-BambooHR-Timestamp", timestamp)
                    .header("X-BambooHR-Signature", signature)
                    .body(body)
                    .send()
                    .await;
                let outcome = match answer {
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let text = r.bytes().await.map(|b| b.len()).unwrap_or(0);
                        (status == 202)
                            .then_some(())
                            .ok_or(format!("answered {status} ({text} bytes)"))
                    }
                    Err(e) => Err(e.to_string()),
                };
                let done = Instant::now();
                if sent < start || done > end {
                    continue;
                }
                match outcome {
                    Ok(()) => latencies.push(done.duration_since(sent).as_micros().min(u32::MAX as u128) as u32),
                    Err(e) => {
                        failed += 1;
                        first_failure.get_or_insert(e);
                    }
                }
            }
            (latencies, failed, first_failure)
        }));
    }
    let mut all = Vec::new();
    let (mut failed, mut first_failure) = (0, None);
    for task in tasks {
        let (l, f, e) = task.await?;
        all.extend(l);
        failed += f;
        if first_failure.is_none() {
            first_failure = e;
        }
    }
    all.sort_unstable();
    let pct = |p: f64| {
        if all.is_empty() {
            0
        } else {
            all[((all.len() - 1) as f64 * p).round() as usize]
        }
    };
    Ok(Load {
        target: target.to_owned(),
        secs: secs as f64,
        accepted: all.len() as u64,
        failed,
        first_failure,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        max_us: all.last().copied().unwrap_or(0),
        receiver_cpu: None,
        stored: None,
    })
}

/// The bare actix-web handler: one route answering 202 to any POST, on this process's runtime.
pub async fn baseline(secs: u64) -> Result<Load> {
    let server = actix_web::HttpServer::new(|| {
        actix_web::App::new().default_service(actix_web::web::to(|_body: actix_web::web::Bytes| async {
            actix_web::HttpResponse::Accepted().finish()
        }))
    })
    .bind(("127.0.0.1", 0))?;
    let port = server.addrs()[0].port();
    let server = server.disable_signals().run();
    let handle = server.handle();
    tokio::spawn(server);
    eprintln!("[webhooks] bare actix-web on port {port}");
    let load = generate(
        &format!("http://127.0.0.1:{port}/hooks/x/y"),
        secs,
        "bare actix-web handler",
    )
    .await;
    handle.stop(true).await;
    load
}

/// The hub on `backend`, with a BambooHR → SCIM integration whose events wait an hour before processing.
pub async fn hub(backend: Backend, args: &Args, work: &Path, secs: u64) -> Result<Load> {
    let dir = tempfile::Builder::new()
        .prefix(&format!("ihub-bench-webhooks-{}-", backend.name()))
        .tempdir_in(work)?;
    let database = Database::create(backend, args).await?;
    let queue = format!("ihub-bench-hooks::{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let result = async {
        let mut extra = Vec::new();
        if let Some(url) = database.url(args) {
            extra.push(("DATABASE_URL".to_owned(), url));
            extra.push(("REDIS_URL".to_owned(), args.redis_url.clone()));
            extra.push(("IHUB_REDIS_QUEUE".to_owned(), queue.clone()));
        }
        let config = HubConfig::new(&args.ihub, &dir.path().join("data"), extra)?;
        let sims = Simulators::start(Accepted::default()).await?;
        sims.seed(100);
        config.create_admin().await?;
        let process = config.start("serve", &dir.path().join("hub.log")).await?;
        let measured = async {
            let api = Api::login(&config.base_url()).await?;
            let id = integration(&api, &sims).await?;
            let url = api.get(&format!("/api/v1/integrations/{id}")).await?["webhook_url"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            if url.is_empty() {
                bail!("the integration has no webhook_url");
            }
            eprintln!("[webhooks] {} hub: {secs} s of deliveries to {url}", backend.title());
            let cpu_before = crate::machine::cpu_secs(process.pid);
            let mut load = generate(&url, secs, &format!("hub on {}", backend.title())).await?;
            let cpu_after = crate::machine::cpu_secs(process.pid);
            load.receiver_cpu = cpu_before.zip(cpu_after).map(|(a, b)| b - a);
            load.stored = stored(&database, args, &dir.path().join("data/ihub.db")).await;
            Ok(load)
        }
        .await;
        process.stop().await;
        measured
    }
    .await;
    database.drop_now().await;
    if backend == Backend::Postgres {
        crate::jobs::forget_queue(&args.redis_url, &queue).await;
    }
    if result.is_err() || args.keep {
        eprintln!("hub data and log kept in {}", dir.keep().display());
    }
    result
}

/// Rows in the hub's `queue_items` (the stored webhook events), read straight from its database.
async fn stored(database: &Database, args: &Args, sqlite: &Path) -> Option<i64> {
    use sqlx::Connection;
    const COUNT: &str = "SELECT COUNT(*) FROM queue_items";
    match database.url(args) {
        Some(url) => {
            let mut conn = sqlx::PgConnection::connect(&url).await.ok()?;
            sqlx::query_scalar(COUNT).fetch_one(&mut conn).await.ok()
        }
        None => {
            let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", sqlite.display()))
                .await
                .ok()?;
            sqlx::query_scalar(COUNT).fetch_one(&mut conn).await.ok()
        }
    }
}

async fn integration(api: &Api, sims: &Simulators) -> Result<String> {
    let accepted = Accepted::default();
    let mut refusal = String::new();
    for (per_minute, burst) in RATE_LIMITS {
        let source = json!({
            "name": "BambooHR",
            "connector": "bamboohr",
            "settings": {"company_domain": accepted.bamboohr_company, "api_base_url": sims.bamboohr_api_base_url(),
                         "requests_per_minute": per_minute, "burst": burst},
            "credentials": {"api_key": accepted.bamboohr_api_key, "webhook_private_key": KEY},
        });
        let source = match api.post("/api/v1/connections", &source, 201).await {
            Ok(s) => s,
            Err(e) => {
                refusal = format!("{e:#}");
                continue;
            }
        };
        let target = json!({
            "name": "Learning platform",
            "connector": "scim",
            "settings": {"base_url": sims.scim_base_url(), "requests_per_minute": per_minute, "burst": burst},
            "credentials": {"token": accepted.scim_token},
        });
        let target = api.post("/api/v1/connections", &target, 201).await?;
        for connection in [&source, &target] {
            let id = connection["id"].as_str().unwrap_or_default();
            api.post(&format!("/api/v1/connections/{id}/test"), &json!({}), 200)
                .await?;
        }
        let integration = api
            .post(
                "/api/v1/integrations",
                &json!({"name": "BambooHR → LMS", "kind": "employees_to_users",
                        "source_connection_id": source["id"], "target_connection_id": target["id"],
                        "settings": {"webhook_delay_seconds": 3600}}),
                201,
            )
            .await?;
        let id = integration["id"].as_str().unwrap_or_default().to_owned();
        api.post(&format!("/api/v1/integrations/{id}/enable"), &json!({}), 200)
            .await?;
        return Ok(id);
    }
    bail!("no rate limit was accepted: {refusal}")
}
