//! Real-time sync from webhooks: the simulators deliver real (signed) webhooks over HTTP to a running hub, which
//! stores them before answering and syncs each person from the queue.
use std::time::{Duration, Instant};

use futures::StreamExt;
use ihub_simulators::Accepted;
use ihub_simulators::employment_hero::webhook::Event;
use serde_json::{Value, json};

use crate::harness::journeys::{enabled_bamboohr_integration, enabled_integration};
use crate::harness::{Session, TestHub};
use crate::with_worker_on_both_backends;

with_worker_on_both_backends!(
    employment_hero_events_create_update_and_deactivate,
    bad_deliveries_are_refused_and_nothing_is_queued,
    signed_bamboohr_deliveries_are_verified_and_replays_refused,
    a_burst_for_one_person_is_one_sync_and_failures_are_archived,
    ten_thousand_concurrent_deliveries_are_all_stored_and_processed,
    registered_with_bamboohr_its_own_deliveries_sync_people,
);

async fn webhook_url(t: &TestHub, admin: &Session, integration: &str) -> String {
    let body = t
        .get(&format!("/api/v1/integrations/{integration}"), &admin.token)
        .await;
    let url = body.expect(200)["webhook_url"]
        .as_str()
        .expect("admins see the webhook URL")
        .to_owned();
    assert!(
        url.starts_with(&format!("{}/api/v1/hooks/{integration}/", t.base)),
        "{url}"
    );
    url
}

async fn queue(t: &TestHub, admin: &Session, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = t
            .get(&format!("/api/v1/queue?limit=200{query}{cursor}"), &admin.token)
            .await
            .expect(200)
            .clone();
        out.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return out,
        }
    }
}

/// Waits until the item is done or failed, and answers it.
async fn queue_item_settled(t: &TestHub, admin: &Session, item: &str, timeout: Duration) -> Value {
    let deadline = Instant::now() + timeout;
    loop {
        let current = t
            .get(&format!("/api/v1/queue/{item}"), &admin.token)
            .await
            .expect(200)
            .clone();
        if current["status"] == "done" || current["status"] == "failed" {
            return current;
        }
        assert!(Instant::now() < deadline, "the item never settled: {current}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until no item of the integration is pending or processing.
async fn drained(t: &TestHub, admin: &Session, integration: &str, timeout: Duration) -> Vec<Value> {
    let deadline = Instant::now() + timeout;
    loop {
        let items = queue(t, admin, &format!("&integration_id={integration}")).await;
        if !items.is_empty() && items.iter().all(|i| i["status"] == "done" || i["status"] == "failed") {
            return items;
        }
        if Instant::now() >= deadline {
            let mut statuses = std::collections::BTreeMap::new();
            for i in &items {
                *statuses
                    .entry(i["status"].as_str().unwrap_or("?").to_owned())
                    .or_insert(0) += 1;
            }
            panic!(
                "queue not drained: {statuses:?}; first: {}",
                items.first().unwrap_or(&Value::Null)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn employment_hero_events_create_update_and_deactivate(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(20);
    let integration = enabled_integration(&t, &admin, json!({"webhook_delay_seconds": 0})).await;
    let url = webhook_url(&t, &admin, &integration).await;
    let support = t.user_in(admin.organisation_id, ihub_domain::Role::Support).await;
    let seen = t
        .get(&format!("/api/v1/integrations/{integration}"), &support.token)
        .await;
    assert!(seen.expect(200)["webhook_url"].is_null(), "the URL carries a secret");

    let index = (0..20)
        .find(|i| {
            t.sims.person(*i).unwrap().termination_date.is_none() && t.sims.person(*i).unwrap().work_email.is_some()
        })
        .unwrap();
    let id = t.sims.employment_hero_employee_id(index);
    assert_eq!(
        t.sims
            .send_employment_hero_webhook(&url, Event::EmployeeCreated, index)
            .await
            .unwrap(),
        202
    );
    let items = drained(&t, &admin, &integration, Duration::from_secs(30)).await;
    assert_eq!(items.len(), 1);
    assert_eq!(
        (items[0]["status"].as_str(), items[0]["event_type"].as_str()),
        (Some("done"), Some("created"))
    );
    let user = t
        .sims
        .scim_user_by_external_id(&id)
        .expect("the new hire is in the target");
    assert_eq!(user["active"], true);
    let run = t
        .get(
            &format!("/api/v1/runs/{}", items[0]["run_id"].as_str().unwrap()),
            &admin.token,
        )
        .await;
    assert_eq!(
        (run.expect(200)["trigger"].as_str(), run.body["records_read"].as_i64()),
        (Some("webhook"), Some(1))
    );

    t.sims
        .update_employee(index, |p| p.job_title = Some("Night Watch".into()));
    assert_eq!(
        t.sims
            .send_employment_hero_webhook(&url, Event::EmployeeUpdated, index)
            .await
            .unwrap(),
        202
    );
    drained(&t, &admin, &integration, Duration::from_secs(30)).await;
    assert_eq!(t.sims.scim_user_by_external_id(&id).unwrap()["title"], "Night Watch");

    t.sims.terminate_employee(index, t.sims.today());
    assert_eq!(
        t.sims
            .send_employment_hero_webhook(&url, Event::EmployeeOffboarding, index)
            .await
            .unwrap(),
        202
    );
    let items = drained(&t, &admin, &integration, Duration::from_secs(30)).await;
    assert_eq!(items.len(), 3);
    assert_eq!(t.sims.scim_user_by_external_id(&id).unwrap()["active"], false);

    // A rotated token retires the old URL.
    let rotated = t
        .post_empty(
            &format!("/api/v1/integrations/{integration}/webhooks/rotate-token"),
            &admin.token,
        )
        .await;
    let new_url = rotated.expect(200)["webhook_url"].as_str().unwrap().to_owned();
    assert_ne!(new_url, url);
    tokio::time::sleep(Duration::from_secs(6)).await; // the receiver cache lets a token live five seconds
    assert_eq!(
        t.sims
            .send_employment_hero_webhook(&url, Event::EmployeeUpdated, index)
            .await
            .unwrap(),
        401
    );
    assert_eq!(
        t.sims
            .send_employment_hero_webhook(&new_url, Event::EmployeeUpdated, index)
            .await
            .unwrap(),
        202
    );

    // Employment Hero has no webhook API: registering says what to enter in its portal.
    let registration = t
        .post_empty(
            &format!("/api/v1/integrations/{integration}/webhooks/register"),
            &admin.token,
        )
        .await;
    let registration = registration.expect(200);
    assert_eq!(registration["mode"], "manual");
    assert_eq!(registration["url"], new_url.as_str());
    assert_eq!(registration["events"].as_array().unwrap().len(), 4);
}

async fn bad_deliveries_are_refused_and_nothing_is_queued(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(5);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let url = webhook_url(&t, &admin, &integration).await;
    let client = reqwest::Client::new();
    let post = |url: String, body: Vec<u8>| {
        let client = client.clone();
        async move {
            let response = client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let problem: Value = response.json().await.unwrap_or(Value::Null);
            (status, problem)
        }
    };
    let event = br#"{"event":"employee_updated","data":{"id":"e-1"}}"#.to_vec();
    let (wrong_token, problem) = post(format!("{}x", url), event.clone()).await;
    assert_eq!(
        (wrong_token, problem["code"].as_str()),
        (401, Some("webhook_unauthenticated")),
        "{problem}"
    );
    let (malformed, problem) = post(url.clone(), b"{\"hello\": 1}".to_vec()).await;
    assert_eq!(
        (malformed, problem["code"].as_str()),
        (400, Some("webhook_malformed")),
        "{problem}"
    );
    let (too_big, _) = post(url.clone(), vec![b' '; 300 * 1024]).await;
    assert_eq!(too_big, 413);
    let unknown = url.replace(&integration, &uuid::Uuid::now_v7().to_string());
    assert_eq!(post(unknown, event.clone()).await.0, 404);
    assert!(queue(&t, &admin, "").await.is_empty(), "nothing refused was queued");
    let warnings = t
        .get("/api/v1/logs?level=warning", &admin.token)
        .await
        .expect(200)
        .clone();
    assert!(
        warnings["items"].as_array().unwrap().len() >= 2,
        "each refusal is logged: {warnings}"
    );

    t.post_empty(&format!("/api/v1/integrations/{integration}/disable"), &admin.token)
        .await
        .expect(200);
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(post(url, event).await.0, 404, "a disabled integration takes nothing");
}

async fn signed_bamboohr_deliveries_are_verified_and_replays_refused(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(10);
    const KEY: &str = "bamboo-webhook-private-key";
    let source = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({
                "name": "BambooHR",
                "connector": "bamboohr",
                "settings": {"company_domain": "acme", "api_base_url": t.sims.bamboohr_api_base_url()},
                "credentials": {"api_key": Accepted::default().bamboohr_api_key, "webhook_private_key": KEY},
            }),
        )
        .await
        .expect(201)
        .clone();
    let target = t.scim_connection(&admin, "LMS").await;
    for c in [&source, &target] {
        t.post_empty(
            &format!("/api/v1/connections/{}/test", c["id"].as_str().unwrap()),
            &admin.token,
        )
        .await
        .expect(200);
    }
    let integration = t
        .post(
            "/api/v1/integrations",
            &admin.token,
            json!({"name": "BambooHR → LMS", "kind": "employees_to_users", "source_connection_id": source["id"],
                   "target_connection_id": target["id"], "settings": {"webhook_delay_seconds": 0}}),
        )
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    t.post_empty(&format!("/api/v1/integrations/{integration}/enable"), &admin.token)
        .await
        .expect(200);
    let url = webhook_url(&t, &admin, &integration).await;

    let index = (0..10)
        .find(|i| {
            t.sims.person(*i).unwrap().termination_date.is_none() && t.sims.person(*i).unwrap().work_email.is_some()
        })
        .unwrap();
    assert_eq!(
        t.sims
            .send_bamboohr_webhook(&url, "another key", &[index], &["jobTitle"])
            .await
            .unwrap(),
        401
    );
    let stale = t
        .sims
        .bamboohr_webhook_delivery(KEY, &[index], &["jobTitle"], chrono::Utc::now().timestamp() - 600);
    assert_eq!(
        t.sims.resend_bamboohr_webhook(&url, &stale).await.unwrap(),
        401,
        "a replay is refused"
    );
    assert!(queue(&t, &admin, "").await.is_empty());

    let fresh = t
        .sims
        .bamboohr_webhook_delivery(KEY, &[index], &["jobTitle"], chrono::Utc::now().timestamp());
    assert_eq!(t.sims.resend_bamboohr_webhook(&url, &fresh).await.unwrap(), 202);
    // The same delivery again (BambooHR retries): stored once.
    assert_eq!(t.sims.resend_bamboohr_webhook(&url, &fresh).await.unwrap(), 202);
    let items = drained(&t, &admin, &integration, Duration::from_secs(30)).await;
    assert_eq!(items.len(), 1, "redeliveries are stored once");
    assert_eq!(items[0]["status"], "done");
    assert!(
        t.sims
            .scim_user_by_external_id(&t.sims.bamboohr_employee_id(index))
            .is_some()
    );
}

async fn a_burst_for_one_person_is_one_sync_and_failures_are_archived(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(10);
    let integration = enabled_integration(&t, &admin, json!({"webhook_delay_seconds": 2})).await;
    let url = webhook_url(&t, &admin, &integration).await;
    let index = (0..10)
        .find(|i| {
            t.sims.person(*i).unwrap().termination_date.is_none() && t.sims.person(*i).unwrap().work_email.is_some()
        })
        .unwrap();
    for title in ["One", "Two", "Three", "Four", "Five"] {
        t.sims.update_employee(index, |p| p.job_title = Some(title.into()));
        assert_eq!(
            t.sims
                .send_employment_hero_webhook(&url, Event::EmployeeUpdated, index)
                .await
                .unwrap(),
            202
        );
    }
    let items = drained(&t, &admin, &integration, Duration::from_secs(30)).await;
    assert_eq!(items.len(), 5);
    let runs: std::collections::BTreeSet<&str> = items.iter().map(|i| i["run_id"].as_str().unwrap()).collect();
    assert_eq!(runs.len(), 1, "one sync for the burst");
    let id = t.sims.employment_hero_employee_id(index);
    assert_eq!(
        t.sims.scim_user_by_external_id(&id).unwrap()["title"],
        "Five",
        "the latest state"
    );

    // The target refuses the person: the item is archived with the reason, then re-activated and processed.
    let other = (0..10)
        .find(|i| {
            *i != index
                && t.sims.person(*i).unwrap().termination_date.is_none()
                && t.sims.person(*i).unwrap().work_email.is_some()
        })
        .unwrap();
    t.sims
        .refuse_scim_users_containing(&t.sims.person(other).unwrap().work_email.unwrap());
    t.sims
        .send_employment_hero_webhook(&url, Event::EmployeeCreated, other)
        .await
        .unwrap();
    let failed = loop {
        let failed = queue(&t, &admin, "&status=failed").await;
        if !failed.is_empty() {
            break failed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        failed[0]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{}",
        failed[0]
    );
    let item = failed[0]["id"].as_str().unwrap();
    t.post_empty(&format!("/api/v1/queue/{item}/reactivate"), &admin.token)
        .await
        .expect(200);
    t.post_empty(&format!("/api/v1/queue/{item}/reactivate"), &admin.token)
        .await
        .expect_problem(409, "queue_item_not_failed");
    // Still refused; then fixed, and processed by hand.
    drained(&t, &admin, &integration, Duration::from_secs(30)).await;
    t.sims.accept_all_scim_users();
    let accepted = t
        .post_empty(&format!("/api/v1/queue/{item}/process"), &admin.token)
        .await
        .expect(202)
        .clone();
    assert_eq!(
        accepted["status"], "pending",
        "answered before it is processed: {accepted}"
    );
    let processed = queue_item_settled(&t, &admin, item, Duration::from_secs(30)).await;
    assert_eq!(processed["status"], "done", "{processed}");
    assert!(
        t.sims
            .scim_user_by_external_id(&t.sims.employment_hero_employee_id(other))
            .is_some()
    );
    let support = t.user_in(admin.organisation_id, ihub_domain::Role::Support).await;
    t.post_empty(&format!("/api/v1/queue/{item}/process"), &support.token)
        .await
        .expect(403);
}

/// "Process now" is a job: with no inbound processor running and the webhook delay an hour away, the item still
/// moves on at once, in a `webhook` run, while the request itself answers before the sync.
mod process_now_is_a_job_a_worker_takes_at_once {
    use crate::harness::{Backend, Options, TestHub};

    fn options() -> Options {
        Options {
            inbound_processors: 0,
            ..Options::with_worker()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        super::process_now_is_a_job_a_worker_takes_at_once(TestHub::start_with(Backend::Sqlite, options()).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres_redis() {
        super::process_now_is_a_job_a_worker_takes_at_once(TestHub::start_with(Backend::Postgres, options()).await)
            .await
    }
}

async fn process_now_is_a_job_a_worker_takes_at_once(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(10);
    let integration = enabled_integration(&t, &admin, json!({"webhook_delay_seconds": 3600})).await;
    let url = webhook_url(&t, &admin, &integration).await;
    let index = (0..10)
        .find(|i| {
            t.sims.person(*i).unwrap().termination_date.is_none() && t.sims.person(*i).unwrap().work_email.is_some()
        })
        .unwrap();
    for _ in 0..2 {
        t.sims
            .send_employment_hero_webhook(&url, Event::EmployeeCreated, index)
            .await
            .unwrap();
    }
    let waiting = queue(&t, &admin, &format!("&integration_id={integration}")).await;
    assert_eq!(waiting.len(), 2);
    assert!(waiting.iter().all(|i| i["status"] == "pending"), "{waiting:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        t.sims.scim_users().is_empty(),
        "nothing is processed before its time without processors"
    );

    let item = waiting[0]["id"].as_str().unwrap();
    let accepted = t
        .post_empty(&format!("/api/v1/queue/{item}/process"), &admin.token)
        .await
        .expect(202)
        .clone();
    assert_eq!(accepted["id"], item, "{accepted}");
    let processed = queue_item_settled(&t, &admin, item, Duration::from_secs(30)).await;
    assert_eq!(processed["status"], "done", "{processed}");
    // The person's other waiting item went with it, into the same run.
    let items = queue(&t, &admin, &format!("&integration_id={integration}")).await;
    assert!(items.iter().all(|i| i["status"] == "done"), "{items:?}");
    assert!(items.iter().all(|i| i["run_id"] == processed["run_id"]), "{items:?}");
    let run = t
        .get(
            &format!("/api/v1/runs/{}", processed["run_id"].as_str().unwrap()),
            &admin.token,
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(run["trigger"], "webhook", "{run}");
    assert!(
        t.sims
            .scim_user_by_external_id(&t.sims.employment_hero_employee_id(index))
            .is_some()
    );
    // Done is done: processing it again is refused.
    t.post_empty(&format!("/api/v1/queue/{item}/process"), &admin.token)
        .await
        .expect_problem(409, "queue_item_not_waiting");
}

async fn ten_thousand_concurrent_deliveries_are_all_stored_and_processed(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(200);
    let integration = enabled_integration(&t, &admin, json!({"webhook_delay_seconds": 1})).await;
    let url = webhook_url(&t, &admin, &integration).await;
    let started = Instant::now();
    let statuses: Vec<u16> = futures::stream::iter(0..10_000u32)
        .map(|n| {
            let (sims, url) = (&t.sims, url.clone());
            async move {
                sims.send_employment_hero_webhook(&url, Event::EmployeeUpdated, n % 200)
                    .await
                    .unwrap()
            }
        })
        .buffer_unordered(100)
        .collect()
        .await;
    let mut answers = std::collections::BTreeMap::new();
    for status in &statuses {
        *answers.entry(*status).or_insert(0) += 1;
    }
    assert_eq!(
        answers.keys().collect::<Vec<_>>(),
        [&202],
        "every delivery acknowledged: {answers:?}"
    );
    eprintln!("10,000 deliveries acknowledged in {:?}", started.elapsed());
    // A bound for "never", not a speed target (that is `just bench`): the whole suite shares two cores with this.
    let items = drained(&t, &admin, &integration, Duration::from_secs(600)).await;
    assert_eq!(items.len(), 10_000, "none lost");
    let failed: Vec<&Value> = items.iter().filter(|i| i["status"] != "done").collect();
    assert!(failed.is_empty(), "{} not done, e.g. {}", failed.len(), failed[0]);
}

async fn registered_with_bamboohr_its_own_deliveries_sync_people(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(10);
    let integration = enabled_bamboohr_integration(&t, &admin, json!({"webhook_delay_seconds": 0})).await;
    let url = webhook_url(&t, &admin, &integration).await;

    // BambooHR has a webhook API: the hub registers itself and keeps the signing key BambooHR hands back.
    let registration = t
        .post_empty(
            &format!("/api/v1/integrations/{integration}/webhooks/register"),
            &admin.token,
        )
        .await;
    let registration = registration.expect(200).clone();
    assert_eq!(registration["mode"], "registered", "{registration}");
    let hooks = t.sims.bamboohr_webhooks();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].url, url);
    t.never_echo(&hooks[0].private_key);

    // A change in BambooHR reaches the target on its own.
    let index = (0..10)
        .find(|i| {
            let p = t.sims.person(*i).unwrap();
            p.termination_date.is_none() && p.work_email.is_some()
        })
        .unwrap();
    t.sims
        .update_employee(index, |p| p.job_title = Some("Keeper of Keys".into()));
    t.sims.flush_bamboohr_webhooks().await;
    assert!(
        t.sims
            .bamboohr_webhook_deliveries()
            .iter()
            .all(|d| d.status == Some(202)),
        "signed and accepted"
    );
    let items = drained(&t, &admin, &integration, Duration::from_secs(30)).await;
    assert!(items.iter().all(|i| i["status"] == "done"), "{items:?}");
    let id = t.sims.bamboohr_employee_id(index);
    assert_eq!(t.sims.scim_user_by_external_id(&id).unwrap()["title"], "Keeper of Keys");
}
