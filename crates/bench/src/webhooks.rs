//! Webhook ingestion: signed 1 KB BambooHR `employee.updated` deliveries posted by a load generator inside this
//! process (one shared HTTP client, loopback) to a release `ihub serve` on SQLite or PostgreSQL, and the same
//! generator against a bare actix-web handler answering 202 without storing anything. At a fixed rate the generator
//! is open loop: each delivery is sent at its scheduled time whatever the answers before it, and its latency counts
//! from that time, so a receiver that stalls is charged for the queue it causes (no coordinated omission).
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use ihub_simulators::{Accepted, Simulators};
use serde_json::json;

use crate::hub::{Api, RATE_LIMITS, Served};
use crate::{Args, Backend};

pub const CLIENTS: usize = 64;
pub const WARM_UP: Duration = Duration::from_secs(2);
pub const BODY_BYTES: usize = 1024;
pub const KEY: &str = "ihub-bench-webhook-private-key";

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
    /// The fixed rate deliveries were sent at; `None`: as fast as `CLIENTS` clients could.
    pub rate: Option<u32>,
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
    body_about(&(seq % 10_000 + 1).to_string())
}

/// A delivery about one employee (BambooHR id), unique and about 1 KB.
pub fn body_about(employee_id: &str) -> Vec<u8> {
    let when = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string();
    let head = format!(
        r#"{{"type":"employee.updated","timestamp":"{when}","data":{{"companyId":"1","employeeId":"{employee_id}","changedFields":["jobTitle","department","location"]}},"note":""#
    );
    let pad = BODY_BYTES.saturating_sub(head.len() + 2);
    let mut out = String::with_capacity(BODY_BYTES);
    out.push_str(&head);
    out.extend(std::iter::repeat_n('x', pad));
    out.push_str("\"}");
    out.into_bytes()
}

/// Signs and posts one delivery; `Err` says how it failed.
pub async fn deliver(http: &reqwest::Client, url: &str, body: Vec<u8>) -> std::result::Result<(), String> {
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let signature = ihub_simulators::bamboohr::webhook::sign(&body, &timestamp, KEY);
    let answer = http
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("X-BambooHR-Timestamp", timestamp)
        .header("X-BambooHR-Signature", signature)
        .body(body)
        .send()
        .await;
    match answer {
        Ok(r) => {
            let status = r.status().as_u16();
            let text = r.bytes().await.map(|b| b.len()).unwrap_or(0);
            (status == 202)
                .then_some(())
                .ok_or(format!("answered {status} ({text} bytes)"))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// Deliveries to `url` for the warm-up plus `secs`: at `rate` a second on schedule (open loop), or with
/// `rate` 0 as fast as `CLIENTS` clients can (closed loop).
pub async fn generate(url: &str, secs: u64, target: &str, rate: u32) -> Result<Load> {
    if rate > 0 {
        return open_loop(url, secs, target, rate).await;
    }
    closed_loop(url, secs, target).await
}

/// Sends delivery `i` at `i / rate` seconds after the start, each on a task of its own.
async fn open_loop(url: &str, secs: u64, target: &str, rate: u32) -> Result<Load> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()?;
    let first = Instant::now();
    let start = first + WARM_UP;
    let end = start + Duration::from_secs(secs);
    let total = ((WARM_UP.as_secs() + secs) * u64::from(rate)) as usize;
    let mut sends = tokio::task::JoinSet::new();
    for i in 0..total {
        let scheduled = first + Duration::from_secs_f64(i as f64 / f64::from(rate));
        tokio::time::sleep_until(scheduled.into()).await;
        let (http, url) = (http.clone(), url.to_owned());
        sends.spawn(async move {
            let outcome = deliver(&http, &url, body(i as u64)).await;
            let latency = Instant::now().duration_since(scheduled);
            (scheduled >= start && scheduled < end).then_some((outcome, latency))
        });
    }
    let mut latencies = Vec::new();
    let (mut failed, mut first_failure) = (0, None);
    while let Some(joined) = sends.join_next().await {
        match joined? {
            Some((Ok(()), latency)) => latencies.push(latency.as_micros().min(u32::MAX as u128) as u32),
            Some((Err(e), _)) => {
                failed += 1;
                first_failure.get_or_insert(e);
            }
            None => {}
        }
    }
    Ok(summarise(target, secs, Some(rate), latencies, failed, first_failure))
}

fn summarise(
    target: &str,
    secs: u64,
    rate: Option<u32>,
    mut all: Vec<u32>,
    failed: u64,
    first_failure: Option<String>,
) -> Load {
    all.sort_unstable();
    let pct = |p: f64| {
        if all.is_empty() {
            0
        } else {
            all[((all.len() - 1) as f64 * p).round() as usize]
        }
    };
    Load {
        target: target.to_owned(),
        secs: secs as f64,
        accepted: all.len() as u64,
        failed,
        first_failure,
        rate,
        p50_us: pct(0.50),
        p99_us: pct(0.99),
        max_us: all.last().copied().unwrap_or(0),
        receiver_cpu: None,
        stored: None,
    }
}

/// `CLIENTS` clients posting signed deliveries to `url` for the warm-up plus `secs`.
async fn closed_loop(url: &str, secs: u64, target: &str) -> Result<Load> {
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
                let sent = Instant::now();
                let outcome = deliver(&http, &url, body).await;
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
    Ok(summarise(target, secs, None, all, failed, first_failure))
}

/// The bare actix-web handler: one route answering 202 to any POST, on this process's runtime.
pub async fn baseline(secs: u64, rate: u32) -> Result<Load> {
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
        rate,
    )
    .await;
    handle.stop(true).await;
    load
}

/// The hub on `backend`, with a BambooHR → SCIM integration whose events wait an hour before processing.
pub async fn hub(backend: Backend, args: &Args, work: &Path, secs: u64) -> Result<Load> {
    let served = Served::start(backend, args, work, "webhooks", &[]).await?;
    let measured = async {
        let sims = Simulators::start(Accepted::default()).await?;
        sims.seed(100);
        let id = integration(&served.api, &sims, 3600).await?;
        let url = webhook_url(&served.api, &id).await?;
        eprintln!("[webhooks] {} hub: {secs} s of deliveries to {url}", backend.title());
        let pid = served.process.pid;
        let cpu_before = crate::machine::cpu_secs(pid);
        let mut load = generate(&url, secs, &format!("hub on {}", backend.title()), args.webhook_rate).await?;
        let cpu_after = crate::machine::cpu_secs(pid);
        load.receiver_cpu = cpu_before.zip(cpu_after).map(|(a, b)| b - a);
        load.stored = served.scalar(args, "SELECT COUNT(*) FROM queue_items").await;
        Ok(load)
    }
    .await;
    served.stop(args, measured.is_err()).await;
    measured
}

/// The integration's webhook URL.
pub async fn webhook_url(api: &Api, id: &str) -> Result<String> {
    let url = api.get(&format!("/api/v1/integrations/{id}")).await?["webhook_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if url.is_empty() {
        bail!("the integration has no webhook_url");
    }
    Ok(url)
}

/// A BambooHR → SCIM integration, enabled, whose webhook events wait `delay_secs` before they are processed.
pub async fn integration(api: &Api, sims: &Simulators, delay_secs: u32) -> Result<String> {
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
                        "settings": {"webhook_delay_seconds": delay_secs}}),
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
