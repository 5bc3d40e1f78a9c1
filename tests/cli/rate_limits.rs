//! A target's rate limit, with real processes: the SCIM simulator enforcing requests per minute with a burst
//! (429 + Retry-After, X-RateLimit-* headers), `ihub worker` processes on PostgreSQL and Redis writing to it. The
//! budget of one connection holds across processes, and a limit the target announces holds below generous
//! settings; either way refusals stay rare and every record lands.
use std::time::{Duration, Instant};

use ihub_simulators::{Accepted, FaultPlan, SeedOptions, Simulators, System};
use serde_json::{Value, json};

use crate::harness::{Admin, Cluster, employment_hero_connection, serve, sqlite_with_ada, target_users_once};
use crate::serve_sync::wait_ended;

const PEOPLE: u32 = 100;

fn enforcing(per_minute: u32, burst: u32) -> FaultPlan {
    FaultPlan {
        rate_limit_per_minute: Some(per_minute),
        rate_limit_burst: Some(burst),
        ..FaultPlan::default()
    }
}

/// What the target saw: requests, those refused, and the share of what its limit allowed over `elapsed` (one
/// burst, then the rate) that was used.
fn usage(sims: &Simulators, (per_minute, burst): (u32, u32), elapsed: Duration) -> (u64, u64, f64) {
    let requests = sims.request_count(System::Scim);
    let refused = sims.rate_limited_count(System::Scim);
    let allowed = burst as f64 + per_minute as f64 * elapsed.as_secs_f64() / 60.0;
    (requests, refused, (requests - refused) as f64 / allowed)
}

/// Every person has a line, none failed, and the target holds exactly the users the lines created.
async fn every_record_landed(admin: &Admin, sims: &Simulators, runs: &[String]) -> usize {
    let mut created = 0;
    for run in runs {
        let lines = admin.records(run).await;
        assert_eq!(lines.len(), PEOPLE as usize, "a line per person");
        let failed: Vec<&Value> = lines.iter().filter(|l| l["outcome"] == "failed").collect();
        assert!(failed.is_empty(), "records failed: {failed:#?}");
        created += lines.iter().filter(|l| l["decision"] == "create").count();
    }
    assert_eq!(target_users_once(sims).len(), created);
    created
}

/// Two integrations on one SCIM connection, run at once by two `ihub worker` processes: they share the
/// connection's budget through Redis, so the target, allowing 1,200 requests a minute with bursts of 20, refuses
/// at most 0.1% of them, and is used near its limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_writing_to_one_target_share_its_limit() {
    const LIMIT: u32 = 1200;
    const BURST: u32 = 20;
    let mut hub = Cluster::start("ratelimit_shared", PEOPLE).await;
    // A second workforce in a second Employment Hero, with other ids and other emails, so that each integration
    // writes people of its own to the one target.
    let globex = Simulators::start(Accepted::default()).await.expect("simulators start");
    globex.seed_people(&SeedOptions {
        seed: 7,
        ..SeedOptions::new(PEOPLE)
    });
    for index in 0..PEOPLE {
        globex.update_employee(index, |p| {
            p.work_email = p.work_email.take().map(|e| e.replace('@', ".globex@"));
            p.personal_email = p.personal_email.take().map(|e| e.replace('@', ".globex@"));
        });
    }
    hub.sims.set_faults(System::Scim, enforcing(LIMIT, BURST));
    let target = hub
        .admin
        .connect(json!({
            "name": "Learning platform",
            "connector": "scim",
            "settings": {"base_url": hub.sims.scim_base_url(), "requests_per_minute": LIMIT, "burst": BURST},
            "credentials": {"token": Accepted::default().scim_token},
        }))
        .await;
    let mut integrations = Vec::new();
    for (name, sims) in [("Acme", &hub.sims), ("Globex", &globex)] {
        let source = hub.admin.connect(employment_hero_connection(sims, name)).await;
        integrations.push(hub.admin.integration_between(name, &source, &target, json!({})).await);
    }
    // One worker takes the first run; the second worker, started while it runs, takes the second.
    let one_run_each = [("IHUB_WORKER_RUNS_AT_ONCE", "1")];
    let mut workers = vec![hub.start_worker(&one_run_each)];
    hub.sims.reset_request_counts();
    let started = Instant::now();
    let mut runs = vec![hub.admin.run_now(&integrations[0]).await];
    hub.wait_run(&runs[0], Duration::from_secs(30), |r| r["status"] == "in_progress")
        .await;
    workers.push(hub.start_worker(&one_run_each));
    runs.push(hub.admin.run_now(&integrations[1]).await);
    hub.wait_run(&runs[1], Duration::from_secs(30), |r| r["status"] == "in_progress")
        .await;
    let first = hub.admin.get(&format!("/api/v1/runs/{}", runs[0])).await;
    assert_eq!(first["status"], "in_progress", "both runs write at once: {first}");
    for run in &runs {
        let ended = hub.wait_ended(run, Duration::from_secs(180)).await;
        assert_eq!(ended["status"], "done", "{ended}");
    }
    let elapsed = started.elapsed();
    // Each worker ran one of them (it logs so just after the run's status says it ended).
    for worker in workers {
        tokio::task::block_in_place(|| hub.workers[worker].wait_for_log("run ended"));
    }
    let (requests, refused, used) = usage(&hub.sims, (LIMIT, BURST), elapsed);
    let created = every_record_landed(&hub.admin, &hub.sims, &runs).await;
    println!(
        "shared budget: {requests} requests, {refused} refused, {created} users in {elapsed:.1?}: {:.0}% of the limit",
        used * 100.0
    );
    assert!(refused * 1000 <= requests, "{refused} of {requests} answers were 429");
    // Two workers each pacing alone would send twice the limit and be refused by the hundred; sharing, they
    // still use most of it (the runs' reading and settling is in the time too).
    assert!((0.6..=1.0).contains(&used), "used {:.0}% of the limit", used * 100.0);
}

/// The connection's settings allow 600,000 requests a minute; the target allows 1,200 with bursts of 10 and says
/// so in its headers. The run paces to what the target says: refusals stay rare and every record lands. Here with
/// `ihub worker` on PostgreSQL and the budget in Redis.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_learnt_from_the_target_is_honoured_below_the_settings() {
    let mut hub = Cluster::start("ratelimit_learnt", PEOPLE).await;
    hub.start_worker(&[]);
    a_stricter_target_is_honoured(&hub.admin, &hub.sims, "worker on PostgreSQL").await;
}

/// The same with `ihub serve` on SQLite and no Redis: the budget is the process's own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_limit_learnt_from_the_target_is_honoured_by_serve_on_sqlite() {
    let dir = sqlite_with_ada();
    let sims = Simulators::start(Accepted::default()).await.expect("simulators start");
    sims.seed(PEOPLE);
    let (_hub, port) = serve(&dir, &[]);
    let admin = Admin::sign_in(port).await;
    a_stricter_target_is_honoured(&admin, &sims, "serve on SQLite").await;
}

async fn a_stricter_target_is_honoured(admin: &Admin, sims: &Simulators, hub: &str) {
    const LIMIT: u32 = 1200;
    const BURST: u32 = 10;
    sims.set_faults(System::Scim, enforcing(LIMIT, BURST));
    let integration = admin.integration(sims, "EH → LMS", json!({})).await;
    sims.reset_request_counts();
    let started = Instant::now();
    let run = admin.run_now(&integration).await;
    let ended = wait_ended(admin, &run, Duration::from_secs(120)).await;
    assert_eq!(ended["status"], "done", "{ended}");
    let elapsed = started.elapsed();
    let (requests, refused, used) = usage(sims, (LIMIT, BURST), elapsed);
    let created = every_record_landed(admin, sims, &[run]).await;
    println!(
        "learnt limit, {hub}: {requests} requests, {refused} refused, {created} users in {elapsed:.1?}: {:.0}% of the limit",
        used * 100.0
    );
    assert!(refused * 1000 <= requests, "{refused} of {requests} answers were 429");
    assert!(used <= 1.0, "faster than the target allows: {:.0}%", used * 100.0);
}
