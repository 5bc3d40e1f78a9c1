//! `ihub serve` on SQLite, the embedded job queue, killed with SIGKILL in the middle of a sync: the restarted hub
//! resumes the run, and the target ends as the source's projection with nothing written twice.
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use ihub_simulators::{Accepted, Simulators, System};
use serde_json::{Value, json};

use crate::harness::{Admin, QUICK, assert_manager_links, kill_point, serve, sqlite_with_ada, target_users_once};

pub(crate) async fn wait_ended(admin: &Admin, run: &str, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let current = admin.get(&format!("/api/v1/runs/{run}")).await;
        if ["done", "partial", "failed", "cancelled"].contains(&current["status"].as_str().unwrap_or("")) {
            return current;
        }
        assert!(Instant::now() < deadline, "the run did not end: {current}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Killed at a random point (printed; `IHUB_KILL_AT` replays it), restarted: the run is resumed, everyone is in the
/// target once with their manager link, every person has one line, and a rerun writes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_survives_kill_9_of_serve_on_sqlite() {
    const PEOPLE: u32 = 300;
    let kill_at = kill_point(10, 260);
    let dir = sqlite_with_ada();
    let sims = Simulators::start(Accepted::default()).await.expect("simulators start");
    sims.seed(PEOPLE);
    sims.set_latency(System::Scim, Duration::from_millis(20));
    let settings = [QUICK, &[("IHUB_SYNC_CONCURRENCY", "4")]].concat();
    let (mut hub, port) = serve(&dir, &settings);
    let admin = Admin::sign_in(port).await;
    let integration = admin.integration(&sims, "EH → LMS", json!({})).await;
    let run_id = admin.run_now(&integration).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    while sims.scim_users().len() < kill_at {
        assert!(Instant::now() < deadline, "the run wrote too little before the kill");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // SIGKILL: no shutdown, no release, no last checkpoint.
    hub.kill();
    let written_at_kill = sims.scim_users().len();
    sims.set_latency(System::Scim, Duration::ZERO);

    let (_hub, port) = serve(&dir, &settings);
    let admin = Admin::sign_in(port).await;
    let ended = wait_ended(&admin, &run_id, Duration::from_secs(60)).await;
    assert_eq!(ended["status"], "done", "killed at {kill_at}: {ended}");
    let lines = admin.records(&run_id).await;
    let lined: BTreeSet<&str> = lines.iter().map(|l| l["source_id"].as_str().unwrap()).collect();
    assert_eq!(
        (lines.len(), lined.len()),
        (PEOPLE as usize, PEOPLE as usize),
        "one line per person"
    );
    let users = target_users_once(&sims);
    let creates = sims.requests().iter().filter(|r| *r == "POST /scim/v2/Users").count();
    assert_eq!(creates, users.len(), "no create was sent twice (killed at {kill_at})");
    assert_manager_links(&sims, PEOPLE, &format!("killed at {kill_at}"));

    let rerun = admin.run_now(&integration).await;
    let again = wait_ended(&admin, &rerun, Duration::from_secs(60)).await;
    assert_eq!(
        (again["status"].as_str(), again["records_written"].as_i64()),
        (Some("done"), Some(0)),
        "killed at {kill_at}: {again}"
    );
    eprintln!(
        "serve on SQLite, kill -9 at {written_at_kill} of {} users: resumed, linked, rerun wrote nothing",
        users.len()
    );
}
