//! The scaled-out hub under the failures it must survive, with real processes: `ihub api` and `ihub worker` on a
//! fresh PostgreSQL database and a Redis queue of their own, the simulators as source (Employment Hero) and
//! target (SCIM). A worker killed with SIGKILL mid-run, jobs lost from Redis, and two workers racing for one due
//! schedule.
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use ihub_simulators::System;
use serde_json::json;

use crate::harness::{Cluster, QUICK, Redis, assert_manager_links, kill_point, target_users_once};

/// `kill -9` of the worker at a random point mid-run, then a new worker: the run completes, everyone is in the
/// target exactly once with every manager link set, every person has exactly one record line, and a rerun writes
/// nothing (idempotent reruns under kill -9). The kill point is printed, and `IHUB_KILL_AT=<users>` replays one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_run_is_replaced_and_the_run_completes_once() {
    const PEOPLE: u32 = 400;
    let kill_at = kill_point(10, 310);
    let mut hub = Cluster::start("kill9", PEOPLE).await;
    let integration = hub.admin.integration(&hub.sims, "EH → LMS", json!({})).await;
    hub.sims.set_latency(System::Scim, Duration::from_millis(30));
    let first = hub.start_worker(&[QUICK, &[("IHUB_SYNC_CONCURRENCY", "4")]].concat());
    let run = hub.admin.run_now(&integration).await;
    let sims_written = |hub: &Cluster| hub.sims.scim_users().len();
    hub.wait_run(&run, Duration::from_secs(30), |r| r["status"] == "in_progress")
        .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while sims_written(&hub) < kill_at {
        assert!(
            Instant::now() < deadline,
            "the run wrote nothing: {:?}",
            hub.worker_log(first)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // SIGKILL: no shutdown, no release, no last checkpoint.
    hub.workers[first].kill();
    let orphan = hub.admin.get(&format!("/api/v1/runs/{run}")).await;
    assert_eq!(orphan["status"], "in_progress", "nobody gave it back: {orphan}");
    let lines_at_kill = hub.admin.records(&run).await.len();
    let written_at_kill = sims_written(&hub);
    assert!(
        lines_at_kill < PEOPLE as usize && written_at_kill < PEOPLE as usize,
        "killed mid-run, not after it: {lines_at_kill} lines, {written_at_kill} users"
    );
    hub.sims.set_latency(System::Scim, Duration::ZERO);

    let second = hub.start_worker(QUICK);
    let ended = hub.wait_ended(&run, Duration::from_secs(40)).await;
    assert_eq!(ended["status"], "done", "{ended}");
    hub.assert_logged(second, "resuming runs whose worker stopped answering");
    let logs = hub.admin.get(&format!("/api/v1/logs?run_id={run}")).await;
    assert!(
        logs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["message"].as_str().unwrap().contains("resumed with")),
        "the second worker went on from where the first stopped: {logs}"
    );

    // One line per person, none lost, none twice.
    let lines = hub.admin.records(&run).await;
    assert_eq!(lines.len(), PEOPLE as usize);
    assert_eq!(ended["records_read"], PEOPLE);
    let people: BTreeSet<String> = (0..PEOPLE).map(|i| hub.sims.employment_hero_employee_id(i)).collect();
    let lined: BTreeSet<String> = lines
        .iter()
        .map(|l| l["source_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(lined, people, "every person has a line");

    // Everyone written is in the target exactly once, under the id their line names; nobody else is there.
    let users = target_users_once(&hub.sims);
    let written: BTreeMap<String, String> = lines
        .iter()
        .filter(|l| l["decision"] == "create")
        .map(|l| {
            assert!(
                ["created", "updated"].contains(&l["outcome"].as_str().unwrap()),
                "created, or linked when the killed worker had written them: {l}"
            );
            (
                l["source_id"].as_str().unwrap().to_owned(),
                l["target_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(users, written);
    assert_eq!(ended["records_errors"], 0, "{ended}");
    let creates = hub
        .sims
        .requests()
        .iter()
        .filter(|r| *r == "POST /scim/v2/Users")
        .count();
    assert_eq!(creates, users.len(), "no create was sent twice");
    eprintln!(
        "kill -9: {lines_at_kill} lines and {written_at_kill} users at the kill, {} users at the end, {} linked; {:?}",
        users.len(),
        lines.iter().filter(|l| l["outcome"] == "updated").count(),
        hub.started.elapsed()
    );

    // Every manager link is set: the resumed run linked those the killed worker wrote before their managers.
    assert_manager_links(&hub.sims, PEOPLE, &format!("killed at {kill_at}"));

    // And a rerun writes nothing.
    let rerun = hub.admin.run_now(&integration).await;
    let again = hub.wait_ended(&rerun, Duration::from_secs(40)).await;
    assert_eq!(
        (again["status"].as_str(), again["records_written"].as_i64()),
        (Some("done"), Some(0)),
        "killed at {kill_at}: {again}"
    );
}

/// Runs queued while no worker is up, their jobs deleted from Redis: the reconciler pushes them again and a worker
/// completes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_whose_jobs_were_flushed_from_redis_are_pushed_again() {
    let mut hub = Cluster::start("flushed", 30).await;
    let integrations = [
        hub.admin.integration(&hub.sims, "One", json!({})).await,
        hub.admin.integration(&hub.sims, "Two", json!({})).await,
    ];
    let mut runs = Vec::new();
    for integration in &integrations {
        runs.push(hub.admin.run_now(integration).await);
    }
    runs.push(hub.admin.run_now(&integrations[0]).await);
    let mut redis = Redis::connect().expect("Redis is reachable at IHUB_TEST_REDIS_URL");
    assert!(
        !redis.keys_of(&hub.queue).unwrap().is_empty(),
        "the API pushed the jobs to Redis"
    );
    assert!(redis.delete_queue(&hub.queue).unwrap() > 0);
    assert!(redis.keys_of(&hub.queue).unwrap().is_empty());

    // One run at a time: runs of integrations writing the same people to the same target would otherwise race
    // between finding a user and creating it, which is not what this test is about.
    let worker = hub.start_worker(&[QUICK, &[("IHUB_WORKER_RUNS_AT_ONCE", "1")]].concat());
    for run in &runs {
        let ended = hub.wait_ended(run, Duration::from_secs(30)).await;
        assert_eq!(ended["status"], "done", "{ended}");
        assert_eq!(ended["records_read"], 30, "{ended}");
    }
    hub.assert_logged(worker, "pushing queued runs to the queue again");
    target_users_once(&hub.sims);
    eprintln!("Redis flushed: {:?}", hub.started.elapsed());
}

/// Two workers, each ticking every 100 ms, and one schedule due now: exactly one scheduled run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_fire_a_due_schedule_once() {
    let mut hub = Cluster::start("schedule", 10).await;
    let integration = hub.admin.integration(&hub.sims, "EH → LMS", json!({})).await;
    let racing = [QUICK, &[("IHUB_WORKER_TICK_MS", "100")]].concat();
    hub.start_worker(&racing);
    hub.start_worker(&racing);
    let due = chrono::Utc::now() + chrono::Duration::seconds(1);
    let schedule = hub
        .admin
        .post(
            &format!("/api/v1/integrations/{integration}/schedules"),
            json!({"every": {"n": 1, "unit": "hours"}, "next_run_at": due}),
        )
        .await;
    let schedule = schedule.expect(201)["id"].as_str().unwrap().to_owned();
    let runs_path = format!("/api/v1/integrations/{integration}/runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while hub.admin.get(&runs_path).await["items"].as_array().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the schedule never fired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Dozens more ticks of both workers: still one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let runs = hub.admin.get(&runs_path).await["items"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0]["trigger"], "scheduled");
    assert_eq!(runs[0]["schedule_id"], schedule.as_str());
    let ended = hub
        .wait_ended(runs[0]["id"].as_str().unwrap(), Duration::from_secs(30))
        .await;
    assert_eq!(ended["status"], "done", "{ended}");
    let fired = hub.admin.get(&format!("/api/v1/schedules/{schedule}")).await;
    assert_eq!(fired["calls"], 1, "{fired}");
    let next: chrono::DateTime<chrono::Utc> = fired["next_run_at"].as_str().unwrap().parse().unwrap();
    assert!(next > chrono::Utc::now() + chrono::Duration::minutes(50), "{fired}");
    eprintln!("one due schedule, two workers: {:?}", hub.started.elapsed());
}
