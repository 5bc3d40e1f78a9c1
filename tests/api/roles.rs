//! The role matrix: support users read but never change connections, integrations, users or keys.
use ihub_domain::Role;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::TestHub;
use crate::on_both_backends;

on_both_backends!(support_is_read_only);

async fn support_is_read_only(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let (source, target, integration) = t.integration(&admin, "HR to LMS").await;
    let support = t.user_in(admin.organisation_id, Role::Support).await;
    let (s, i) = (source["id"].as_str().unwrap(), integration["id"].as_str().unwrap());
    let key = t
        .post("/api/v1/api-keys", &admin.token, json!({"name": "k"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let mutating: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::POST,
            "/api/v1/connections".into(),
            Some(json!({"name": "x", "connector": "scim", "settings": {"base_url": "http://x"}})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/connections/{s}"),
            Some(json!({"name": "renamed"})),
        ),
        (
            Method::PUT,
            format!("/api/v1/connections/{s}/credentials"),
            Some(json!({"credentials": {"api_key": "k"}})),
        ),
        (Method::POST, format!("/api/v1/connections/{s}/test"), None),
        (Method::DELETE, format!("/api/v1/connections/{s}"), None),
        (
            Method::POST,
            "/api/v1/integrations".into(),
            Some(
                json!({"name": "y", "kind": "employees_to_users", "source_connection_id": s, "target_connection_id": target["id"]}),
            ),
        ),
        (
            Method::PATCH,
            format!("/api/v1/integrations/{i}"),
            Some(json!({"name": "renamed"})),
        ),
        (Method::POST, format!("/api/v1/integrations/{i}/enable"), None),
        (Method::POST, format!("/api/v1/integrations/{i}/disable"), None),
        (Method::DELETE, format!("/api/v1/integrations/{i}"), None),
        (
            Method::POST,
            "/api/v1/users".into(),
            Some(json!({"email": "z@example.com", "password": "long enough pw", "role": "admin"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", admin.user_id),
            Some(json!({"role": "support"})),
        ),
        (Method::POST, "/api/v1/api-keys".into(), Some(json!({"name": "k"}))),
        (Method::POST, format!("/api/v1/api-keys/{key}/revoke"), None),
    ];
    for (method, path, body) in mutating {
        let resp = t.call(method.clone(), &path, Some(&support.token), body).await;
        assert_eq!(resp.status, 403, "{method} {path} as support: {}", resp.text);
        resp.expect_problem(403, "forbidden");
    }

    // The role is checked before the body: a support user is told they may not act, not how to fix the body.
    let empty = t.post("/api/v1/connections", &support.token, json!({})).await;
    empty.expect_problem(403, "forbidden");

    // Nothing changed.
    let still = t.get(&format!("/api/v1/connections/{s}"), &admin.token).await;
    assert_eq!(still.expect(200)["name"], source["name"]);
    assert_eq!(
        t.get(&format!("/api/v1/integrations/{i}"), &admin.token)
            .await
            .expect(200)["name"],
        "HR to LMS"
    );

    // Reads are allowed.
    for path in [
        "/api/v1/connectors",
        "/api/v1/connections",
        "/api/v1/integrations",
        "/api/v1/me",
    ] {
        t.get(path, &support.token).await.expect(200);
    }
    t.get(&format!("/api/v1/connections/{s}"), &support.token)
        .await
        .expect(200);
    t.get(&format!("/api/v1/integrations/{i}"), &support.token)
        .await
        .expect(200);
}
