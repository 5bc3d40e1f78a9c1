//! Integration dates: the watermarks runs set, listed with every known name and editable by admins only.
use chrono::{DateTime, Duration, Utc};
use ihub_domain::Role;
use ihub_domain::integrations::dates::{self, EMPLOYEES_UPDATED_SINCE};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::TestHub;
use crate::on_both_backends;

on_both_backends!(dates_are_listed_set_and_cleared, dates_are_validated_and_admin_only);

fn value_of(body: &Value) -> Option<DateTime<Utc>> {
    let item = &body["items"][0];
    assert_eq!(item["name"], EMPLOYEES_UPDATED_SINCE);
    item["value"]
        .as_str()
        .map(|v| DateTime::parse_from_rfc3339(v).unwrap().to_utc())
}

fn assert_warns(body: &Value) {
    let warning = body["warning"].as_str().unwrap();
    assert!(warning.contains("re-imports") && warning.contains("skips"), "{warning}");
}

async fn dates_are_listed_set_and_cleared(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let support = t.user_in(admin.organisation_id, Role::Support).await;
    let (_, _, integration) = t.integration(&admin, "HR to LMS").await;
    let id: Uuid = integration["id"].as_str().unwrap().parse().unwrap();
    let path = format!("/api/v1/integrations/{id}/dates");

    // Every known name is listed, unset at first; support users may read.
    let unset = t.get(&path, &support.token).await.expect(200).clone();
    assert_eq!(unset["items"].as_array().unwrap().len(), 1);
    assert_eq!(unset["items"][0]["value"], Value::Null);
    assert_eq!(unset["items"][0]["updated_at"], Value::Null);
    assert!(unset["items"][0]["description"].is_string());
    assert_warns(&unset);

    // An admin sets it, in any offset; it is answered in UTC.
    let set = t
        .put(
            &path,
            &admin.token,
            json!({"employees_updated_since": "2025-03-01T10:00:00+10:00"}),
        )
        .await
        .expect(200)
        .clone();
    let expected: DateTime<Utc> = "2025-03-01T00:00:00Z".parse().unwrap();
    assert_eq!(value_of(&set), Some(expected));
    assert!(set["items"][0]["updated_at"].is_string());
    assert_warns(&set);
    assert_eq!(t.get(&path, &admin.token).await.expect(200), &set);
    // The engine reads what the admin wrote, and its own writes replace it.
    assert_eq!(
        dates::get(&t.hub.db, id, EMPLOYEES_UPDATED_SINCE).await.unwrap(),
        Some(expected)
    );
    let by_run: DateTime<Utc> = "2025-06-30T12:34:56.789Z".parse().unwrap();
    dates::set(&t.hub.db, id, EMPLOYEES_UPDATED_SINCE, by_run)
        .await
        .unwrap();
    assert_eq!(value_of(t.get(&path, &admin.token).await.expect(200)), Some(by_run));

    // An empty body changes nothing; null clears, so the next run reads everyone.
    assert_eq!(
        value_of(t.put(&path, &admin.token, json!({})).await.expect(200)),
        Some(by_run)
    );
    let cleared = t
        .put(&path, &admin.token, json!({"employees_updated_since": null}))
        .await
        .expect(200)
        .clone();
    assert_eq!(cleared["items"][0]["value"], Value::Null);
    assert_eq!(cleared["items"][0]["updated_at"], Value::Null);
    assert_eq!(dates::get(&t.hub.db, id, EMPLOYEES_UPDATED_SINCE).await.unwrap(), None);

    // Each change by hand is in the log, with who made it.
    let logged = t
        .get(&format!("/api/v1/logs?integration_id={id}"), &admin.token)
        .await
        .expect(200)
        .clone();
    let entries = logged["items"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{logged}");
    assert!(entries[0]["message"].as_str().unwrap().contains("to unset"), "{logged}");
    assert_eq!(entries[1]["details"]["changed_by"], admin.user_id.to_string());
    assert_eq!(entries[1]["details"]["old"], Value::Null);
}

async fn dates_are_validated_and_admin_only(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let support = t.user_in(admin.organisation_id, Role::Support).await;
    let (_, _, integration) = t.integration(&admin, "HR to LMS").await;
    let path = format!("/api/v1/integrations/{}/dates", integration["id"].as_str().unwrap());
    let before = t
        .put(
            &path,
            &admin.token,
            json!({"employees_updated_since": "2025-01-01T00:00:00Z"}),
        )
        .await
        .expect(200)
        .clone();

    let future = (Utc::now() + Duration::days(1)).to_rfc3339();
    for (body, fields) in [
        (json!({"shoe_size": "2025-01-01T00:00:00Z"}), vec!["shoe_size"]),
        (
            json!({"employees_updated_since": "yesterday"}),
            vec!["employees_updated_since"],
        ),
        (
            json!({"employees_updated_since": "2025-01-01"}),
            vec!["employees_updated_since"],
        ),
        (
            json!({"employees_updated_since": 1735689600}),
            vec!["employees_updated_since"],
        ),
        (
            json!({"employees_updated_since": future}),
            vec!["employees_updated_since"],
        ),
        (
            json!({"employees_updated_since": "2024-01-01T00:00:00Z", "updated_since": null}),
            vec!["updated_since"],
        ),
    ] {
        let resp = t.put(&path, &admin.token, body.clone()).await;
        assert_eq!(resp.invalid_fields(), fields, "{body}");
    }
    let future_problem = t
        .put(&path, &admin.token, json!({"employees_updated_since": future}))
        .await;
    assert!(future_problem.text.contains("future"), "{}", future_problem.text);

    // Support users may read but not edit, whatever the body.
    t.put(&path, &support.token, json!({"employees_updated_since": null}))
        .await
        .expect_problem(403, "forbidden");
    t.put(&path, &support.token, json!({"shoe_size": 1}))
        .await
        .expect_problem(403, "forbidden");
    // Nothing refused changed anything.
    assert_eq!(t.get(&path, &admin.token).await.expect(200), &before);

    // Another organisation's integration, or none at all, is not found.
    let other = t.organisation("Globex").await;
    t.get(&path, &other.token).await.expect_problem(404, "not_found");
    t.put(&path, &other.token, json!({"employees_updated_since": null}))
        .await
        .expect_problem(404, "not_found");
    assert_eq!(t.get(&path, &admin.token).await.expect(200), &before);
    let nowhere = format!("/api/v1/integrations/{}/dates", Uuid::now_v7());
    t.get(&nowhere, &admin.token).await.expect_problem(404, "not_found");
}
