//! Nothing of one organisation is visible to another: its objects answer 404, never 403 and never data.
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::TestHub;
use crate::on_both_backends;

on_both_backends!(other_organisations_objects_do_not_exist);

async fn other_organisations_objects_do_not_exist(t: TestHub) {
    let acme = t.organisation("Acme").await;
    let globex = t.organisation("Globex").await;
    let (source, target, integration) = t.integration(&acme, "HR to LMS").await;
    let key = t
        .post("/api/v1/api-keys", &acme.token, json!({"name": "k"}))
        .await
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, i) = (source["id"].as_str().unwrap(), integration["id"].as_str().unwrap());

    let attempts: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, format!("/api/v1/connections/{s}"), None),
        (
            Method::PATCH,
            format!("/api/v1/connections/{s}"),
            Some(json!({"name": "mine now"})),
        ),
        (
            Method::PUT,
            format!("/api/v1/connections/{s}/credentials"),
            Some(json!({"credentials": {"api_key": "k"}})),
        ),
        (Method::POST, format!("/api/v1/connections/{s}/test"), None),
        (Method::DELETE, format!("/api/v1/connections/{s}"), None),
        (Method::GET, format!("/api/v1/integrations/{i}"), None),
        (
            Method::PATCH,
            format!("/api/v1/integrations/{i}"),
            Some(json!({"name": "mine now"})),
        ),
        (Method::POST, format!("/api/v1/integrations/{i}/enable"), None),
        (Method::POST, format!("/api/v1/integrations/{i}/disable"), None),
        (Method::DELETE, format!("/api/v1/integrations/{i}"), None),
        (Method::GET, format!("/api/v1/users/{}", acme.user_id), None),
        (
            Method::PATCH,
            format!("/api/v1/users/{}", acme.user_id),
            Some(json!({"active": false})),
        ),
        (Method::POST, format!("/api/v1/api-keys/{key}/revoke"), None),
    ];
    for (method, path, body) in attempts {
        let resp = t.call(method.clone(), &path, Some(&globex.token), body).await;
        assert_eq!(
            resp.status, 404,
            "{method} {path} from another organisation: {}",
            resp.text
        );
        resp.expect_problem(404, "not_found");
        assert!(!resp.text.contains("HR to LMS") && !resp.text.contains(&acme.email));
    }

    // Another organisation's connection cannot be wired into an integration either.
    let own_target = t.scim_connection(&globex, "Globex LMS").await;
    let resp = t
        .post(
            "/api/v1/integrations",
            &globex.token,
            json!({"name": "steal", "kind": "employees_to_users", "source_connection_id": s, "target_connection_id": own_target["id"]}),
        )
        .await;
    assert_eq!(resp.invalid_fields(), vec!["source_connection_id"]);

    // Lists show only one's own.
    for path in [
        "/api/v1/connections",
        "/api/v1/integrations",
        "/api/v1/users",
        "/api/v1/api-keys",
    ] {
        let list = t.get(path, &globex.token).await;
        let text = list.text.clone();
        list.expect(200);
        assert!(
            !text.contains(s) && !text.contains(i) && !text.contains(&acme.email) && !text.contains(&key),
            "{path}: {text}"
        );
    }
    assert_eq!(
        t.get("/api/v1/connections", &globex.token).await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Acme's objects are untouched.
    assert_eq!(
        t.get(&format!("/api/v1/connections/{s}"), &acme.token)
            .await
            .expect(200)["name"],
        source["name"]
    );
    let _ = target;
}
