//! The integration lifecycle: inactive → (test | active) → inactive, and the guards around it.
use ihub_domain::Environment;
use serde_json::json;

use crate::harness::{Backend, Options, TestHub};
use crate::on_both_backends;

on_both_backends!(lifecycle_on_production, settings_are_validated_and_merged);

async fn lifecycle_on_production(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let (source, target, integration) = t.integration(&admin, "HR to LMS").await;
    assert_eq!(integration["state"], "inactive");
    assert_eq!(integration["settings"]["new_person_trigger"], "on_creation");
    assert_eq!(
        integration["settings"]["mandatory_fields"],
        json!(["email", "first_name", "last_name"])
    );
    let path = format!("/api/v1/integrations/{}", integration["id"].as_str().unwrap());
    let (s, tg) = (source["id"].as_str().unwrap(), target["id"].as_str().unwrap());

    // Not connected yet: enabling is refused with a message naming both connections.
    let refused = t.post_empty(&format!("{path}/enable"), &admin.token).await;
    let detail = refused.expect_problem(409, "connections_not_connected")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        detail.contains("HR to LMS source") && detail.contains("HR to LMS target") && detail.contains("disconnected"),
        "{detail}"
    );

    t.post_empty(&format!("/api/v1/connections/{s}/test"), &admin.token)
        .await
        .expect(200);
    let refused = t.post_empty(&format!("{path}/enable"), &admin.token).await;
    let detail = refused.expect_problem(409, "connections_not_connected")["detail"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!detail.contains("source") && detail.contains("target"), "{detail}");

    t.post_empty(&format!("/api/v1/connections/{tg}/test"), &admin.token)
        .await
        .expect(200);
    let enabled = t.post_empty(&format!("{path}/enable"), &admin.token).await;
    assert_eq!(enabled.expect(200)["state"], "active");
    assert_eq!(
        t.post_empty(&format!("{path}/enable"), &admin.token).await.expect(200)["state"],
        "active",
        "idempotent"
    );

    // While active: no delete, no rewiring, and its connections cannot be deleted.
    let refused = t.delete(&path, &admin.token).await;
    assert!(
        refused.expect_problem(409, "integration_enabled")["detail"]
            .as_str()
            .unwrap()
            .contains("disable it first")
    );
    t.patch(
        &path,
        &admin.token,
        json!({"source_connection_id": s, "target_connection_id": s}),
    )
    .await
    .expect_problem(409, "integration_enabled");
    let refused = t.delete(&format!("/api/v1/connections/{s}"), &admin.token).await;
    assert!(
        refused.expect_problem(409, "connection_in_use")["detail"]
            .as_str()
            .unwrap()
            .contains("disable")
    );
    // Renames and settings are fine while active.
    t.patch(&path, &admin.token, json!({"name": "HR to learning"}))
        .await
        .expect(200);

    let disabled = t.post_empty(&format!("{path}/disable"), &admin.token).await;
    assert_eq!(disabled.expect(200)["state"], "inactive");
    // An inactive integration still holds its connections.
    t.delete(&format!("/api/v1/connections/{s}"), &admin.token)
        .await
        .expect_problem(409, "connection_in_use");
    t.delete(&path, &admin.token).await.expect(204);
    t.get(&path, &admin.token).await.expect_problem(404, "not_found");
    t.delete(&format!("/api/v1/connections/{s}"), &admin.token)
        .await
        .expect(204);
}

async fn settings_are_validated_and_merged(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let source = t.bamboohr_connection(&admin, "HR").await;
    let target = t.scim_connection(&admin, "LMS").await;

    // Roles are checked: a target cannot be a source.
    let wrong = t
        .post(
            "/api/v1/integrations",
            &admin.token,
            json!({"name": "backwards", "kind": "employees_to_users", "source_connection_id": target["id"], "target_connection_id": source["id"]}),
        )
        .await;
    assert_eq!(
        wrong.invalid_fields(),
        vec!["source_connection_id", "target_connection_id"]
    );

    let bad_settings = t
        .post(
            "/api/v1/integrations",
            &admin.token,
            json!({
                "name": "x", "kind": "employees_to_users",
                "source_connection_id": source["id"], "target_connection_id": target["id"],
                "settings": {"new_person_trigger": "someday"},
            }),
        )
        .await;
    assert_eq!(bad_settings.invalid_fields(), vec!["settings.new_person_trigger"]);
    let missing = t.post("/api/v1/integrations", &admin.token, json!({"name": "x"})).await;
    assert_eq!(
        missing.invalid_fields(),
        vec!["kind"],
        "a missing field is named by itself"
    );
    let missing_setting = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({"name": "x", "connector": "scim", "settings": {}}),
        )
        .await;
    assert_eq!(missing_setting.invalid_fields(), vec!["settings.base_url"]);
    let bad_kind = t
        .post(
            "/api/v1/integrations",
            &admin.token,
            json!({"name": "x", "kind": "users_to_employees", "source_connection_id": source["id"], "target_connection_id": target["id"]}),
        )
        .await;
    assert_eq!(bad_kind.invalid_fields(), vec!["kind"]);

    let created = t
        .post(
            "/api/v1/integrations",
            &admin.token,
            json!({
                "name": "HR to LMS", "kind": "employees_to_users",
                "source_connection_id": source["id"], "target_connection_id": target["id"],
                "settings": {"deactivation_policy": "never", "error_notification_email": "Ops@Example.com"},
            }),
        )
        .await;
    let created = created.expect(201).clone();
    assert_eq!(created["settings"]["error_notification_email"], "ops@example.com");
    let path = format!("/api/v1/integrations/{}", created["id"].as_str().unwrap());

    // A settings patch changes only the keys it names.
    let patched = t
        .patch(
            &path,
            &admin.token,
            json!({"settings": {"new_person_trigger": "from_start_date"}}),
        )
        .await;
    let patched = patched.expect(200).clone();
    assert_eq!(patched["settings"]["new_person_trigger"], "from_start_date");
    assert_eq!(patched["settings"]["deactivation_policy"], "never");
    assert_eq!(patched["settings"]["error_notification_email"], "ops@example.com");

    let bad = t
        .patch(
            &path,
            &admin.token,
            json!({"settings": {"mandatory_fields": ["email", "shoe_size"]}}),
        )
        .await;
    assert!(bad.invalid_fields()[0].starts_with("settings.mandatory_fields"));
    // Nothing stored was lost by the refused update.
    assert_eq!(
        t.get(&path, &admin.token).await.expect(200)["settings"],
        patched["settings"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staging_instances_enable_into_test() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let t = TestHub::start_with(
            backend,
            Options {
                environment: Environment::Staging,
                ..Options::default()
            },
        )
        .await;
        let admin = t.organisation("Acme").await;
        let (source, target, integration) = t.integration(&admin, "HR to LMS").await;
        for conn in [&source, &target] {
            t.post_empty(
                &format!("/api/v1/connections/{}/test", conn["id"].as_str().unwrap()),
                &admin.token,
            )
            .await
            .expect(200);
        }
        let path = format!("/api/v1/integrations/{}", integration["id"].as_str().unwrap());
        assert_eq!(
            t.post_empty(&format!("{path}/enable"), &admin.token).await.expect(200)["state"],
            "test"
        );
        t.delete(&path, &admin.token)
            .await
            .expect_problem(409, "integration_enabled");
        assert_eq!(
            t.post_empty(&format!("{path}/disable"), &admin.token).await.expect(200)["state"],
            "inactive"
        );
    }
}
