//! The hub's log: entries written by runs (here straight through the domain), read with filters and cursor pages,
//! and marked checked by admins and support users alike.
use ihub_domain::Role;
use ihub_domain::logs::{self, LogLevel, NewLogEntry};
use reqwest::Method;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{Session, TestHub};
use crate::on_both_backends;

on_both_backends!(
    filters_combine_and_pages_follow_cursors,
    admins_and_support_check_entries_once,
    entries_stay_in_their_organisation
);

struct Entry {
    level: LogLevel,
    message: &'static str,
    integration_id: Option<Uuid>,
    run_id: Option<Uuid>,
}

async fn write(t: &TestHub, session: &Session, entry: Entry) {
    logs::write(
        &t.hub.db,
        NewLogEntry {
            organisation_id: session.organisation_id,
            level: entry.level,
            message: entry.message.to_owned(),
            details: entry.run_id.map(|run| json!({"run": run})),
            integration_id: entry.integration_id,
            run_id: entry.run_id,
            source_id: (entry.level == LogLevel::Error).then(|| "emp-42".to_owned()),
        },
    )
    .await
    .expect("log entry written");
}

fn messages(body: &Value) -> Vec<&str> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].as_str().unwrap())
        .collect()
}

async fn list(t: &TestHub, session: &Session, query: &str) -> Value {
    t.get(&format!("/api/v1/logs{query}"), &session.token)
        .await
        .expect(200)
        .clone()
}

async fn filters_combine_and_pages_follow_cursors(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let (first_run, second_run) = (Uuid::now_v7(), Uuid::now_v7());
    for entry in [
        Entry {
            level: LogLevel::Info,
            message: "run 1 started",
            integration_id: Some(a),
            run_id: Some(first_run),
        },
        Entry {
            level: LogLevel::Error,
            message: "emp-42 refused",
            integration_id: Some(a),
            run_id: Some(first_run),
        },
        Entry {
            level: LogLevel::Critical,
            message: "run 2 failed",
            integration_id: Some(a),
            run_id: Some(second_run),
        },
        Entry {
            level: LogLevel::Warning,
            message: "b is slow",
            integration_id: Some(b),
            run_id: None,
        },
        Entry {
            level: LogLevel::Debug,
            message: "tick",
            integration_id: None,
            run_id: None,
        },
    ] {
        write(&t, &admin, entry).await;
    }

    let all = list(&t, &admin, "").await;
    assert_eq!(
        messages(&all),
        ["tick", "b is slow", "run 2 failed", "emp-42 refused", "run 1 started"],
        "newest first"
    );
    assert_eq!(all["next_cursor"], Value::Null);
    let refused = &all["items"][3];
    assert_eq!(refused["level"], "error");
    assert_eq!(refused["source_id"], "emp-42");
    assert_eq!(refused["integration_id"], a.to_string());
    assert_eq!(refused["run_id"], first_run.to_string());
    assert_eq!(refused["details"], json!({"run": first_run}));
    assert_eq!(refused["checked"], false);
    assert_eq!(refused["checked_at"], Value::Null);
    assert_eq!(refused["checked_by"], Value::Null);
    assert!(refused["created_at"].is_string());

    assert_eq!(messages(&list(&t, &admin, "?level=error").await), ["emp-42 refused"]);
    assert_eq!(
        messages(&list(&t, &admin, "?min_level=error").await),
        ["run 2 failed", "emp-42 refused"]
    );
    assert_eq!(
        messages(&list(&t, &admin, "?min_level=warning").await),
        ["b is slow", "run 2 failed", "emp-42 refused"]
    );
    assert_eq!(
        messages(&list(&t, &admin, &format!("?integration_id={a}")).await),
        ["run 2 failed", "emp-42 refused", "run 1 started"]
    );
    assert_eq!(
        messages(&list(&t, &admin, &format!("?run_id={first_run}")).await),
        ["emp-42 refused", "run 1 started"]
    );
    assert_eq!(
        messages(&list(&t, &admin, &format!("?integration_id={a}&level=info")).await),
        ["run 1 started"]
    );
    assert!(messages(&list(&t, &admin, &format!("?integration_id={}", Uuid::now_v7())).await).is_empty());

    // `checked` splits the log in two.
    let id = refused["id"].as_str().unwrap();
    t.post_empty(&format!("/api/v1/logs/{id}/check"), &admin.token)
        .await
        .expect(200);
    assert_eq!(messages(&list(&t, &admin, "?checked=true").await), ["emp-42 refused"]);
    assert_eq!(
        messages(&list(&t, &admin, "?checked=false").await),
        ["tick", "b is slow", "run 2 failed", "run 1 started"]
    );

    // Pages of two follow the cursor to the end, in the same order as one page.
    let mut seen = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let page = list(&t, &admin, &query).await;
        assert!(page["items"].as_array().unwrap().len() <= 2);
        seen.extend(messages(&page).into_iter().map(str::to_owned));
        match page["next_cursor"].as_str() {
            Some(cursor) => query = format!("?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen, messages(&all));
    // Filters hold across pages.
    let page = list(&t, &admin, &format!("?integration_id={a}&limit=2")).await;
    assert_eq!(messages(&page), ["run 2 failed", "emp-42 refused"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let rest = list(&t, &admin, &format!("?integration_id={a}&limit=2&cursor={cursor}")).await;
    assert_eq!(messages(&rest), ["run 1 started"]);
    assert_eq!(rest["next_cursor"], Value::Null);

    // Bad filters name their parameter.
    for (query, field) in [
        ("?level=loud", "level"),
        ("?min_level=fatal", "min_level"),
        ("?integration_id=nope", "integration_id"),
        ("?run_id=42", "run_id"),
        ("?checked=yes", "checked"),
        ("?cursor=garbage!", "cursor"),
        ("?limit=0", "limit"),
    ] {
        let resp = t.get(&format!("/api/v1/logs{query}"), &admin.token).await;
        assert_eq!(resp.invalid_fields(), [field], "{query}");
    }
    t.call(Method::GET, "/api/v1/logs", None, None)
        .await
        .expect_problem(401, "unauthenticated");
}

async fn admins_and_support_check_entries_once(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let support = t.user_in(admin.organisation_id, Role::Support).await;
    for message in ["first", "second"] {
        write(
            &t,
            &admin,
            Entry {
                level: LogLevel::Critical,
                message,
                integration_id: None,
                run_id: None,
            },
        )
        .await;
    }
    let all = list(&t, &support, "").await;
    let (second, first) = (
        all["items"][0]["id"].as_str().unwrap().to_owned(),
        all["items"][1]["id"].as_str().unwrap().to_owned(),
    );

    // Support may check, unlike other changes.
    let checked = t
        .post_empty(&format!("/api/v1/logs/{first}/check"), &support.token)
        .await;
    let checked = checked.expect(200).clone();
    assert_eq!(checked["id"], first);
    assert_eq!(checked["message"], "first");
    assert_eq!(checked["checked"], true);
    assert_eq!(checked["checked_by"], support.user_id.to_string());
    let at = chrono::DateTime::parse_from_rfc3339(checked["checked_at"].as_str().unwrap()).unwrap();
    assert!((chrono::Utc::now() - at.to_utc()).num_seconds().abs() < 60, "{at}");

    // Checking again, by anyone, keeps the first who and when.
    let again = t.post_empty(&format!("/api/v1/logs/{first}/check"), &admin.token).await;
    assert_eq!(again.expect(200), &checked);
    assert_eq!(
        t.get(&format!("/api/v1/logs/{first}"), &admin.token).await.expect(200),
        &checked
    );

    // An admin checks the other one.
    let by_admin = t
        .post_empty(&format!("/api/v1/logs/{second}/check"), &admin.token)
        .await;
    assert_eq!(by_admin.expect(200)["checked_by"], admin.user_id.to_string());

    let unknown = Uuid::now_v7();
    t.get(&format!("/api/v1/logs/{unknown}"), &support.token)
        .await
        .expect_problem(404, "not_found");
    t.post_empty(&format!("/api/v1/logs/{unknown}/check"), &support.token)
        .await
        .expect_problem(404, "not_found");
    t.post_empty("/api/v1/logs/not-a-uuid/check", &support.token)
        .await
        .expect_problem(404, "not_found");
}

async fn entries_stay_in_their_organisation(t: TestHub) {
    let acme = t.organisation("Acme").await;
    let globex = t.organisation("Globex").await;
    write(
        &t,
        &acme,
        Entry {
            level: LogLevel::Error,
            message: "acme's",
            integration_id: None,
            run_id: None,
        },
    )
    .await;
    write(
        &t,
        &globex,
        Entry {
            level: LogLevel::Error,
            message: "globex's",
            integration_id: None,
            run_id: None,
        },
    )
    .await;

    assert_eq!(messages(&list(&t, &acme, "").await), ["acme's"]);
    assert_eq!(messages(&list(&t, &globex, "").await), ["globex's"]);
    let id = list(&t, &acme, "").await["items"][0]["id"].as_str().unwrap().to_owned();
    t.get(&format!("/api/v1/logs/{id}"), &globex.token)
        .await
        .expect_problem(404, "not_found");
    t.post_empty(&format!("/api/v1/logs/{id}/check"), &globex.token)
        .await
        .expect_problem(404, "not_found");
    let still = t.get(&format!("/api/v1/logs/{id}"), &acme.token).await;
    assert_eq!(
        still.expect(200)["checked"],
        false,
        "the other organisation's check changed nothing"
    );
}
