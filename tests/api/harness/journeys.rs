//! The steps many tests take through the API: integrations set up and enabled, runs started and waited for, their
//! record lines read.
use std::time::{Duration, Instant};

use ihub_simulators::Accepted;
use serde_json::{Value, json};

use super::{Resp, Session, TestHub};

/// BambooHR → SCIM from the simulators, both connections tested, `settings` patched in, enabled; its id.
pub async fn enabled_bamboohr_integration(t: &TestHub, admin: &Session, settings: Value) -> String {
    let (source, target, integration) = t.integration(admin, "BambooHR → LMS").await;
    for connection in [&source, &target] {
        t.post_empty(
            &format!("/api/v1/connections/{}/test", connection["id"].as_str().unwrap()),
            &admin.token,
        )
        .await
        .expect(200);
    }
    let integration = integration["id"].as_str().unwrap().to_owned();
    t.patch(
        &format!("/api/v1/integrations/{integration}"),
        &admin.token,
        json!({ "settings": settings }),
    )
    .await
    .expect(200);
    t.post_empty(&format!("/api/v1/integrations/{integration}/enable"), &admin.token)
        .await
        .expect(200);
    integration
}

/// Tests each connection and asserts it is connected.
pub async fn connected(t: &TestHub, admin: &Session, connections: &[&Value]) {
    for connection in connections {
        let tested = t
            .post_empty(
                &format!("/api/v1/connections/{}/test", connection["id"].as_str().unwrap()),
                &admin.token,
            )
            .await;
        assert_eq!(tested.expect(200)["status"], "connected", "{}", tested.text);
    }
}

/// An Employment Hero connection to the simulator with its long-lived token (not yet tested); the created body.
pub async fn employment_hero_connection(t: &TestHub, admin: &Session) -> Value {
    let accepted = Accepted::default();
    t.post(
        "/api/v1/connections",
        &admin.token,
        json!({
            "name": "Employment Hero",
            "connector": "employment_hero",
            "settings": {
                "api_base_url": t.sims.employment_hero_api_base_url(),
                "authorize_url": t.sims.employment_hero_authorize_url(),
                "token_url": t.sims.employment_hero_token_url(),
                "organisation_id": accepted.employment_hero_organisation_id,
            },
            "credentials": {
                "client_id": accepted.employment_hero_client_id,
                "client_secret": accepted.employment_hero_client_secret,
                "access_token": accepted.employment_hero_access_token,
            },
        }),
    )
    .await
    .expect(201)
    .clone()
}

/// An Employment Hero connection with the simulator's long-lived token, a SCIM target, both tested, and an
/// enabled integration between them. Answers the integration's id.
pub async fn enabled_integration(t: &TestHub, admin: &Session, settings: Value) -> String {
    let source = employment_hero_connection(t, admin).await;
    let target = t.scim_connection(admin, "Learning platform").await;
    connected(t, admin, &[&source, &target]).await;
    let integration = t
        .post(
            "/api/v1/integrations",
            &admin.token,
            json!({
                "name": "EH → LMS",
                "kind": "employees_to_users",
                "source_connection_id": source["id"],
                "target_connection_id": target["id"],
                "settings": settings,
            }),
        )
        .await;
    let id = integration.expect(201)["id"].as_str().unwrap().to_owned();
    t.post_empty(&format!("/api/v1/integrations/{id}/enable"), &admin.token)
        .await
        .expect(200);
    id
}

/// Starts a run now and waits until it ends.
pub async fn run_now(t: &TestHub, admin: &Session, integration: &str) -> Value {
    let started = t
        .post(
            &format!("/api/v1/integrations/{integration}/run"),
            &admin.token,
            json!({}),
        )
        .await;
    let run = started.expect(202).clone();
    assert_eq!(run["status"], "queued");
    assert_eq!(run["trigger"], "manual");
    wait_for(t, admin, run["id"].as_str().unwrap()).await
}

pub async fn wait_for(t: &TestHub, admin: &Session, run: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let current = t
            .get(&format!("/api/v1/runs/{run}"), &admin.token)
            .await
            .expect(200)
            .clone();
        if ["done", "partial", "failed", "cancelled"].contains(&current["status"].as_str().unwrap()) {
            return current;
        }
        assert!(Instant::now() < deadline, "run did not end: {current}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn records(t: &TestHub, admin: &Session, run: &Value, query: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = t
            .get(
                &format!(
                    "/api/v1/runs/{}/records?limit=200{query}{cursor}",
                    run["id"].as_str().unwrap()
                ),
                &admin.token,
            )
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

/// A run as the API answers it, for tests that assert on its shape.
#[allow(dead_code, reason = "the whole shape is read, each test asserts on some")]
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Run {
    pub id: String,
    pub status: String,
    pub trigger: String,
    pub dry_run: bool,
    pub records_read: i64,
    pub records_filtered: i64,
    pub records_written: i64,
    pub records_would_write: i64,
    pub records_errors: i64,
    pub error: Option<String>,
}

/// One record line of a run.
#[allow(dead_code, reason = "the whole shape is read, each test asserts on some")]
#[derive(Debug, Clone, serde::Deserialize)]
pub struct RecordLine {
    pub name: String,
    pub source_id: String,
    pub target_id: Option<String>,
    pub decision: String,
    pub outcome: String,
    pub reason: Option<String>,
    pub error: Option<String>,
    pub changes: Vec<Change>,
}

#[allow(dead_code, reason = "the whole shape is read, each test asserts on some")]
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Change {
    pub field: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// Runs the integration now, waits for the run to end, and answers it with its record lines by source id.
pub async fn sync(
    t: &TestHub,
    admin: &Session,
    integration: &str,
) -> (Run, std::collections::BTreeMap<String, RecordLine>) {
    let run = run_now(t, admin, integration).await;
    let lines = records(t, admin, &run, "")
        .await
        .into_iter()
        .map(|l| serde_json::from_value::<RecordLine>(l).expect("a record line"))
        .map(|l| (l.source_id.clone(), l))
        .collect();
    (serde_json::from_value(run).expect("a run"), lines)
}

/// A SCIM user of the target simulator, as far as the sync's promises go.
#[derive(Debug, Clone, PartialEq)]
pub struct ScimUser {
    pub id: String,
    pub external_id: Option<String>,
    pub user_name: String,
    pub given_name: Option<String>,
    pub active: bool,
    /// The enterprise manager's `value`: the manager's user id.
    pub manager: Option<String>,
}

pub const SCIM_ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

impl ScimUser {
    pub fn from_json(user: &serde_json::Map<String, Value>) -> Self {
        let text = |v: &Value| v.as_str().map(str::to_owned);
        Self {
            id: text(&user["id"]).expect("a SCIM user has an id"),
            external_id: user.get("externalId").and_then(text),
            user_name: text(&user["userName"]).unwrap_or_default(),
            given_name: user.get("name").and_then(|n| text(&n["givenName"])),
            active: user.get("active").and_then(Value::as_bool).unwrap_or(true),
            manager: user.get(SCIM_ENTERPRISE).and_then(|e| text(&e["manager"]["value"])),
        }
    }
}

/// Every user of the target, by external id (panics on an external id held twice).
pub fn scim_users(t: &TestHub) -> std::collections::BTreeMap<String, ScimUser> {
    let mut users = std::collections::BTreeMap::new();
    for user in t.sims.scim_users().iter().map(ScimUser::from_json) {
        let key = user.external_id.clone().unwrap_or_else(|| user.id.clone());
        assert!(users.insert(key.clone(), user).is_none(), "{key} holds two users");
    }
    users
}

/// A run's record lines as the CSV export answers them.
pub async fn records_csv(t: &TestHub, admin: &Session, run: impl std::fmt::Display, query: &str) -> Resp {
    t.send(t.request(
        reqwest::Method::GET,
        &format!("/api/v1/runs/{run}/records.csv{query}"),
        Some(&admin.token),
    ))
    .await
}

/// The rows of a CSV export, after checking it is one, with the columns it promises.
pub fn parse_csv(resp: &Resp) -> Vec<csv::StringRecord> {
    assert_eq!(resp.status, 200, "{}", resp.text);
    assert!(resp.content_type().starts_with("text/csv"));
    let mut reader = csv::Reader::from_reader(resp.text.as_bytes());
    let header = reader.headers().unwrap().iter().collect::<Vec<_>>().join(",");
    assert_eq!(
        header,
        "name,source_id,target_id,decision,reason,outcome,error,changes,time_utc,time_local"
    );
    reader.records().map(|r| r.expect("well-formed CSV")).collect()
}
