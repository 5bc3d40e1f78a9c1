//! The steps many tests take through the API: integrations set up and enabled, runs started and waited for, their
//! record lines read.
use std::time::{Duration, Instant};

use ihub_simulators::Accepted;
use serde_json::{Value, json};

use super::{Session, TestHub};

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

/// An Employment Hero connection with the simulator's long-lived token, a SCIM target, both tested, and an
/// enabled integration between them. Answers the integration's id.
pub async fn enabled_integration(t: &TestHub, admin: &Session, settings: Value) -> String {
    let accepted = Accepted::default();
    let source = t
        .post(
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
        .clone();
    let target = t.scim_connection(admin, "Learning platform").await;
    for connection in [&source, &target] {
        let tested = t
            .post_empty(
                &format!("/api/v1/connections/{}/test", connection["id"].as_str().unwrap()),
                &admin.token,
            )
            .await;
        assert_eq!(tested.expect(200)["status"], "connected", "{}", tested.text);
    }
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
