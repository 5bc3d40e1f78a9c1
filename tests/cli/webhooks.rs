//! Issue 5's proof with real processes: a webhook delivery the hub answered 202 is stored, so a hub killed with
//! `kill -9` before processing it (or while processing it) processes it after the restart. `ihub serve` on SQLite,
//! then `ihub api` and `ihub worker` on PostgreSQL and Redis; Employment Hero deliveries, the SCIM simulator as
//! target.
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;
use ihub_simulators::employment_hero::webhook::{Event, payload};
use ihub_simulators::{Accepted, Simulators, System};
use serde_json::{Value, json};

use crate::harness::{ACME_AND_ADA, Admin, Cluster, QUICK, ihub, run, serve, stderr, target_users_once};

/// People the deliveries are about, and how many times each one changes (one delivery a change).
const PEOPLE: usize = 50;
const ROUNDS: usize = 4;
const DELIVERIES: usize = PEOPLE * ROUNDS;
/// Deliveries sent a second time (the source retrying): acknowledged, never stored twice.
const REDELIVERED: usize = 20;
/// Seeded so that `PEOPLE` of them are employed and have a work email.
const SEEDED: u32 = 80;

/// Processors look for due items every 100 ms rather than every second.
const QUICK_PASS: (&str, &str) = ("IHUB_QUEUE_PASS_MS", "100");

/// The people the deliveries are about: employed, with a work email, so each ends up an active SCIM user.
fn people(sims: &Simulators) -> Vec<u32> {
    let chosen: Vec<u32> = (0..SEEDED)
        .filter(|i| {
            let person = sims.person(*i).unwrap();
            person.termination_date.is_none() && person.work_email.is_some()
        })
        .take(PEOPLE)
        .collect();
    assert_eq!(chosen.len(), PEOPLE, "the seed has enough people to write");
    chosen
}

fn title(round: usize) -> String {
    format!("Round {round}")
}

/// What the deliveries go out with (one client for many: a client each would cost more than the hub's answer).
fn source_client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

/// One delivery, sent as Employment Hero would, with an event id of its own.
struct Delivery {
    event_id: String,
    person: u32,
}

impl Delivery {
    /// Posts it; answers the status and the receipt (`queued`, `duplicates`).
    async fn send(&self, client: &reqwest::Client, sims: &Simulators, url: &str) -> (u16, Value) {
        let mut body = payload(
            Event::EmployeeUpdated,
            &Accepted::default().employment_hero_organisation_id,
            &sims.employment_hero_employee_id(self.person),
        );
        body["id"] = json!(self.event_id);
        let response = client
            .post(url)
            .json(&body)
            .send()
            .await
            .expect("the hub answers the delivery");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }
}

/// Round after round every person's title changes in Employment Hero and a delivery says so, sixteen deliveries
/// in flight: each is acknowledged (202) with one item stored. Answers the deliveries.
async fn fire(sims: &Simulators, url: &str, people: &[u32]) -> Vec<Delivery> {
    let client = source_client();
    let mut sent = Vec::new();
    for round in 1..=ROUNDS {
        let deliveries: Vec<Delivery> = people
            .iter()
            .map(|&person| {
                sims.update_employee(person, |p| p.job_title = Some(title(round)));
                Delivery {
                    event_id: format!("evt-{round}-{person}"),
                    person,
                }
            })
            .collect();
        let receipts: Vec<(u16, Value)> = futures::stream::iter(&deliveries)
            .map(|d| d.send(&client, sims, url))
            .buffer_unordered(16)
            .collect()
            .await;
        for (status, receipt) in receipts {
            assert_eq!(status, 202, "{receipt}");
            assert_eq!(receipt, json!({"queued": 1, "duplicates": 0}));
        }
        sent.extend(deliveries);
    }
    sent
}

/// Some deliveries again, as a source retries: each acknowledged, none stored again.
async fn redeliver(sims: &Simulators, url: &str, deliveries: &[Delivery]) {
    let client = source_client();
    for delivery in deliveries
        .iter()
        .step_by(deliveries.len() / REDELIVERED)
        .take(REDELIVERED)
    {
        let (status, receipt) = delivery.send(&client, sims, url).await;
        assert_eq!(
            (status, receipt),
            (202, json!({"queued": 0, "duplicates": 1})),
            "{}",
            delivery.event_id
        );
    }
}

async fn webhook_url(admin: &Admin, integration: &str) -> String {
    let found = admin.get(&format!("/api/v1/integrations/{integration}")).await;
    found["webhook_url"]
        .as_str()
        .expect("admins see the webhook URL")
        .to_owned()
}

/// Every queue item of the integration, page by page.
async fn queue(admin: &Admin, integration: &str) -> Vec<Value> {
    let (mut items, mut cursor) = (Vec::new(), String::new());
    loop {
        let page = admin
            .get(&format!("/api/v1/queue?integration_id={integration}&limit=200{cursor}"))
            .await;
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return items,
        }
    }
}

fn statuses(items: &[Value]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(item["status"].as_str().unwrap().to_owned()).or_insert(0) += 1;
    }
    counts
}

fn time(item: &Value, field: &str) -> DateTime<Utc> {
    item[field].as_str().unwrap().parse().unwrap()
}

/// Waits until every one of the `expected` items is done; fails at once on a failed item.
async fn all_done(admin: &Admin, integration: &str, expected: usize, within: Duration) -> Vec<Value> {
    let deadline = Instant::now() + within;
    loop {
        let items = queue(admin, integration).await;
        if let Some(failed) = items.iter().find(|i| i["status"] == "failed") {
            panic!("an item failed: {failed}");
        }
        let counts = statuses(&items);
        if items.len() == expected && counts.get("done") == Some(&expected) {
            return items;
        }
        assert!(
            Instant::now() < deadline,
            "not all processed: {counts:?} of {} items",
            items.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// What the acknowledged deliveries must have come to: one item each, done, by event id; no other; each person
/// in the target once, active, with their latest title.
fn assert_all_processed(sims: &Simulators, items: &[Value], deliveries: &[Delivery]) {
    let stored: BTreeSet<&str> = items.iter().map(|i| i["event_id"].as_str().unwrap()).collect();
    let acknowledged: BTreeSet<&str> = deliveries.iter().map(|d| d.event_id.as_str()).collect();
    assert_eq!(stored, acknowledged, "one item per acknowledged delivery");
    assert!(
        items
            .iter()
            .all(|i| i["run_id"].is_string() && i["processed_at"].is_string())
    );
    let users = target_users_once(sims);
    let people: BTreeSet<u32> = deliveries.iter().map(|d| d.person).collect();
    assert_eq!(users.len(), people.len(), "everyone, and nobody else, in the target");
    for person in people {
        let user = sims
            .scim_user_by_external_id(&sims.employment_hero_employee_id(person))
            .unwrap_or_else(|| panic!("person {person} is not in the target"));
        assert_eq!(
            (&user["title"], &user["active"]),
            (&json!(title(ROUNDS)), &json!(true)),
            "person {person}'s latest state"
        );
    }
}

/// Waits until no run of the integration is queued or in progress (the one a dead worker held is resumed and
/// ends); answers how many ended how.
async fn runs_ended(admin: &Admin, integration: &str) -> BTreeMap<String, usize> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let page = admin
            .get(&format!("/api/v1/integrations/{integration}/runs?limit=200"))
            .await;
        let runs = page["items"].as_array().unwrap();
        assert!(page["next_cursor"].is_null(), "fewer than 200 runs");
        let counts = statuses(runs);
        if !counts.contains_key("queued") && !counts.contains_key("in_progress") {
            return counts;
        }
        assert!(Instant::now() < deadline, "runs left behind: {counts:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `ihub serve` on the SQLite database in `dir`, on a free port, listening.
/// `ihub serve` on SQLite, every delivery acknowledged and waiting out the integration's delay when the process is
/// killed with SIGKILL: the restarted hub processes every one of them, when due.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_deliveries_survive_kill_9_of_serve_on_sqlite() {
    /// Long enough for the deliveries and the kill (well under a second here), short enough to wait out.
    const DELAY_SECS: i64 = 8;
    ihub_connectors::http::install_crypto_provider();
    drop(ihub());
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    for args in ACME_AND_ADA {
        let out = run(ihub().current_dir(dir.path()).args(args));
        assert!(out.status.success(), "ihub {args:?}: {}", stderr(&out));
    }
    let sims = Simulators::start(Accepted::default()).await.expect("simulators start");
    sims.seed(SEEDED);
    let people = people(&sims);
    let (mut hub, port) = serve(&dir, &[QUICK_PASS]);
    let admin = Admin::sign_in(port).await;
    let integration = admin
        .integration(&sims, "EH → LMS", json!({"webhook_delay_seconds": DELAY_SECS}))
        .await;
    let url = webhook_url(&admin, &integration).await;
    let firing = Instant::now();
    let deliveries = fire(&sims, &url, &people).await;
    let fired_in = firing.elapsed();

    let items = queue(&admin, &integration).await;
    assert_eq!(items.len(), DELIVERIES);
    assert_eq!(statuses(&items), BTreeMap::from([("pending".into(), DELIVERIES)]));
    let first_due = items.iter().map(|i| time(i, "execute_at")).min().unwrap();
    // SIGKILL: no shutdown, nothing flushed or handed over.
    hub.kill();
    let killed_at = Utc::now();
    assert!(
        killed_at < first_due,
        "killed before any item was due ({killed_at} vs {first_due}): deliveries took {fired_in:?}"
    );
    assert!(sims.scim_users().is_empty(), "nothing was processed before the kill");

    let (_hub, port) = serve(&dir, &[QUICK_PASS]);
    let admin = Admin::sign_in(port).await;
    // The stored event ids outlive the process: the source's retries are still recognised.
    redeliver(&sims, &webhook_url(&admin, &integration).await, &deliveries).await;
    let items = all_done(&admin, &integration, DELIVERIES, Duration::from_secs(45)).await;
    assert_all_processed(&sims, &items, &deliveries);
    // Each stored execute_at was honoured: nobody was synced before their first event was due.
    let mut first_due_of: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    for item in &items {
        let due = first_due_of
            .entry(item["source_id"].as_str().unwrap())
            .or_insert(DateTime::<Utc>::MAX_UTC);
        *due = (*due).min(time(item, "execute_at"));
    }
    for item in &items {
        assert!(
            time(item, "processed_at") >= first_due_of[item["source_id"].as_str().unwrap()],
            "processed before it was due: {item}"
        );
    }
    let runs: BTreeSet<&str> = items.iter().map(|i| i["run_id"].as_str().unwrap()).collect();
    eprintln!(
        "serve, kill -9 before processing: {DELIVERIES} acknowledged in {fired_in:?}, {} runs after the restart; {:?}",
        runs.len(),
        started.elapsed()
    );
}

/// `ihub api` and `ihub worker` on PostgreSQL and Redis, both killed with SIGKILL while the worker is working
/// through the acknowledged deliveries (a slow target): a restarted API shows what the dead worker held, and a new
/// worker takes it back and processes every acknowledged item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_deliveries_survive_kill_9_of_api_and_worker_mid_processing() {
    let mut hub = Cluster::start("hooks9", SEEDED).await;
    let people = people(&hub.sims);
    let integration = hub
        .admin
        .integration(&hub.sims, "EH → LMS", json!({"webhook_delay_seconds": 0}))
        .await;
    let url = webhook_url(&hub.admin, &integration).await;
    hub.sims.set_latency(System::Scim, Duration::from_millis(150));
    // Every delivery stored before a worker starts: its first processor takes a whole batch (a hundred people)
    // rather than the first few that arrived, so it is still working through them when it is killed.
    let deliveries = fire(&hub.sims, &url, &people).await;
    // A minute before its own reconciler takes items back from a processor: the batch the processor is working
    // through stays with it until the kill (items are locked once, when claimed, however long the batch takes).
    let first = hub.start_worker(&[QUICK, &[QUICK_PASS, ("IHUB_STUCK_AFTER_SECS", "60")]].concat());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if hub.sims.scim_users().len() >= 5
            && statuses(&queue(&hub.admin, &integration).await).contains_key("processing")
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the worker wrote nobody: {:#?}",
            hub.worker_log(first)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // SIGKILL, both: the worker mid-person, the API that took the deliveries.
    hub.workers[first].kill();
    hub.api.kill();
    let written_at_kill = hub.sims.scim_users().len();
    hub.sims.set_latency(System::Scim, Duration::ZERO);

    // No worker yet: the queue as the dead worker left it.
    hub.restart_api().await;
    let left = queue(&hub.admin, &integration).await;
    let left_statuses = statuses(&left);
    assert_eq!(left.len(), DELIVERIES, "{left_statuses:?}");
    assert!(
        left_statuses.get("processing").is_some_and(|n| *n > 0) && left_statuses.get("done") < Some(&DELIVERIES),
        "killed while processing: {left_statuses:?}"
    );
    redeliver(&hub.sims, &webhook_url(&hub.admin, &integration).await, &deliveries).await;

    let second = hub.start_worker(&[QUICK, &[QUICK_PASS]].concat());
    let items = all_done(&hub.admin, &integration, DELIVERIES, Duration::from_secs(40)).await;
    hub.assert_logged(second, "inbound items left by a processor that died are pending again");
    assert_all_processed(&hub.sims, &items, &deliveries);
    let runs = runs_ended(&hub.admin, &integration).await;
    eprintln!(
        "api and worker, kill -9 mid-processing: {written_at_kill} people written and {left_statuses:?} at the kill, \
         runs {runs:?}; {:?}",
        hub.started.elapsed()
    );
}
