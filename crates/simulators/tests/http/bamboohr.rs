//! BambooHR: auth, XML unless JSON is asked for, directory, single employees, the change feed, custom reports,
//! signed webhooks.
use hmac::{Hmac, KeyInit, Mac};
use ihub_simulators::Person;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::{Receiver, client, start};

fn url(sims: &ihub_simulators::Simulators, path: &str) -> String {
    format!("{}/acme/v1/{path}", sims.bamboohr_api_base_url())
}

async fn get_json(sims: &ihub_simulators::Simulators, path: &str, query: &[(&str, &str)]) -> (u16, Value) {
    let response = client()
        .get(url(sims, path))
        .query(query)
        .basic_auth("bamboo-secret-key", Some("x"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_and_representations() {
    let sims = start().await;
    sims.seed(30);
    let unknown_company = client()
        .get(format!("{}/nope/v1/employees/1/", sims.bamboohr_api_base_url()))
        .basic_auth("bamboo-secret-key", Some("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown_company.status(), 404);
    let bad_key = client()
        .get(url(&sims, "employees/1/"))
        .basic_auth("wrong", Some("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_key.status(), 401);
    assert!(bad_key.headers().contains_key("x-bamboohr-error-message"));

    // XML is the default representation.
    let xml = client()
        .get(url(&sims, "employees/2/"))
        .query(&[("fields", "firstName,lastName")])
        .basic_auth("bamboo-secret-key", Some("x"))
        .send()
        .await
        .unwrap();
    assert!(xml.headers()["content-type"].to_str().unwrap().contains("xml"));
    let text = xml.text().await.unwrap();
    assert!(text.contains("<employee id=\"2\"><field id=\"firstName\">"), "{text}");

    let (status, fields) = get_json(&sims, "meta/fields", &[]).await;
    assert_eq!(status, 200);
    assert!(fields.as_array().unwrap().iter().any(|f| f["alias"] == "supervisorEId"));
    assert_eq!(get_json(&sims, "employees/999/", &[]).await.0, 404);
    sims.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_employee_and_report() {
    let sims = start().await;
    sims.seed(2_500);
    let today = sims.today();

    let (_, directory) = get_json(&sims, "employees/directory", &[]).await;
    let listed = directory["employees"].as_array().unwrap();
    assert!(
        directory["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "workEmail")
    );
    let current = (0..2_500)
        .filter(|i| {
            sims.person(*i)
                .is_some_and(|p| !p.is_terminated(today) && p.hire_date <= today)
        })
        .count();
    assert_eq!(listed.len(), current, "the directory shows current employees only");

    let fields = "firstName,lastName,preferredName,workEmail,jobTitle,department,location,supervisorEId,supervisor,supervisorEmail,status,hireDate,terminationDate";
    let (status, one) = get_json(&sims, "employees/8/", &[("fields", fields)]).await;
    assert_eq!(status, 200);
    assert_eq!(one["id"], "8");
    let manager = one["supervisorEId"].as_str().unwrap();
    let (_, boss) = get_json(&sims, &format!("employees/{manager}/"), &[("fields", "workEmail")]).await;
    assert_eq!(one["supervisorEmail"], boss["workEmail"]);
    assert_eq!(one["status"], "Active");

    let leaver = (0..2_500)
        .find(|i| sims.person(*i).is_some_and(|p| p.is_terminated(today)))
        .unwrap();
    let (_, gone) = get_json(
        &sims,
        &format!("employees/{}/", leaver + 1),
        &[("fields", "status,terminationDate")],
    )
    .await;
    assert_eq!(gone["status"], "Inactive");
    assert_ne!(gone["terminationDate"], "0000-00-00");

    // The custom report: one document with everyone, leavers included, future starters held back by default.
    let report = |only_current: Option<&str>| {
        let mut request = client()
            .post(url(&sims, "reports/custom"))
            .query(&[("format", "JSON")])
            .basic_auth("bamboo-secret-key", Some("x"))
            .header("Accept", "application/json")
            .json(&json!({"title": "Integration Hub", "fields": ["id", "firstName", "workEmail", "status", "supervisorEId", "noSuchField"]}));
        if let Some(v) = only_current {
            request = request.query(&[("onlyCurrent", v)]);
        }
        request.send()
    };
    let body: Value = report(Some("false")).await.unwrap().json().await.unwrap();
    assert_eq!(body["title"], "Integration Hub");
    assert_eq!(body["employees"].as_array().unwrap().len(), 2_500);
    assert!(
        body["fields"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["id"] != "noSuchField")
    );
    assert!(
        body["employees"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["status"] == "Inactive")
    );
    let starters = (0..2_500)
        .filter(|i| sims.person(*i).is_some_and(|p| p.hire_date > today))
        .count();
    assert!(starters > 0);
    let current: Value = report(None).await.unwrap().json().await.unwrap();
    assert_eq!(current["employees"].as_array().unwrap().len(), 2_500 - starters);
    let xml = client()
        .post(url(&sims, "reports/custom"))
        .query(&[("format", "XML")])
        .basic_auth("bamboo-secret-key", Some("x"))
        .body(r#"<report><fields><field id="firstName" /></fields></report>"#)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.starts_with("<?xml") && xml.contains("<report>"), "{}", &xml[..100]);
    sims.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_change_feed_reports_inserts_updates_and_deletes() {
    let sims = start().await;
    sims.seed(100);
    let before = chrono::Utc::now() - chrono::Duration::seconds(1);
    let since = before.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let (_, nothing) = get_json(&sims, "employees/changed/", &[("since", &since)]).await;
    assert_eq!(
        nothing["employees"],
        json!({}),
        "seeded people changed before the sync started"
    );

    sims.update_employee(4, |p| p.job_title = Some("Principal Engineer".into()));
    let added = sims.add_employee(Person::new("Ada", "Lovelace", sims.today()));
    sims.delete_employee(9);
    let (status, changed) = get_json(&sims, "employees/changed/", &[("since", &since)]).await;
    assert_eq!(status, 200);
    let employees = changed["employees"].as_object().unwrap();
    assert_eq!(employees["5"]["action"], "Updated");
    assert_eq!(employees["10"]["action"], "Deleted");
    assert_eq!(employees[&(added + 1).to_string()]["action"], "Inserted");
    assert_eq!(employees["5"]["id"], "5");
    assert!(changed["latest"].as_str().unwrap() >= since.as_str());
    let (_, only_deleted) = get_json(&sims, "employees/changed/", &[("since", &since), ("type", "deleted")]).await;
    assert_eq!(only_deleted["employees"].as_object().unwrap().len(), 1);
    assert_eq!(
        get_json(&sims, "employees/10/", &[]).await.0,
        404,
        "deleted people are gone"
    );

    let (_, everyone) = get_json(&sims, "employees/changed/", &[("since", "2000-01-01T00:00:00Z")]).await;
    assert_eq!(everyone["employees"].as_object().unwrap().len(), 101);

    assert_eq!(
        get_json(&sims, "employees/changed/", &[("since", "yesterday")]).await.0,
        400
    );
    // A `+` not URL-encoded arrives as a space, which BambooHR refuses.
    let raw = client()
        .get(format!(
            "{}?since=2026-01-01T00:00:00+10:00",
            url(&sims, "employees/changed/")
        ))
        .basic_auth("bamboo-secret-key", Some("x"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    sims.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_signed_over_body_and_timestamp() {
    let sims = start().await;
    sims.seed(20);
    sims.update_employee(3, |p| p.job_title = Some("Lead".into()));
    let hub = Receiver::start().await;
    let status = sims
        .send_bamboohr_webhook(&format!("{}/hook", hub.url), "private-key", &[3], &["jobTitle"])
        .await
        .unwrap();
    assert_eq!(status, 202);
    let received = &hub.all()[0];
    let timestamp = received.header("x-bamboohr-timestamp").unwrap();
    assert!(timestamp.parse::<i64>().is_ok(), "Unix seconds");
    let mut mac = Hmac::<Sha256>::new_from_slice(b"private-key").unwrap();
    mac.update(&received.body);
    mac.update(timestamp.as_bytes());
    assert_eq!(
        received.header("x-bamboohr-signature").unwrap(),
        hex::encode(mac.finalize().into_bytes())
    );
    let body = received.json();
    let employee = &body["employees"][0];
    assert_eq!(employee["id"], "4");
    assert_eq!(employee["action"], "Updated");
    assert_eq!(employee["fields"]["jobTitle"], "Lead");
    assert_eq!(employee["changedFields"], json!(["jobTitle"]));

    // A delivery kept for replaying later keeps its old timestamp and signature.
    let old = sims.bamboohr_webhook_delivery("private-key", &[3], &["jobTitle"], 1_700_000_000);
    assert_eq!(old.timestamp, "1700000000");
    sims.resend_bamboohr_webhook(&format!("{}/hook", hub.url), &old)
        .await
        .unwrap();
    assert_eq!(
        hub.all()[1].header("x-bamboohr-signature"),
        Some(old.signature.as_str())
    );
    sims.stop().await;
}

/// `POST webhooks/` with `body`, as the API key `key`.
async fn create_webhook(sims: &ihub_simulators::Simulators, key: &str, body: &Value) -> reqwest::Response {
    client()
        .post(url(sims, "webhooks/"))
        .basic_auth(key, Some("x"))
        .header("Accept", "application/json")
        .json(body)
        .send()
        .await
        .unwrap()
}

fn signature_of(body: &[u8], timestamp: &str, key: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    mac.update(timestamp.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_created_listed_read_and_deleted_through_the_api() {
    let sims = start().await;
    let body = json!({"name": "Hub", "url": "https://hub.example/hooks/1", "format": "json",
        "monitorFields": ["jobTitle", "status"], "events": ["employee.created", "employee.updated", "employee.deleted"]});

    let refused = create_webhook(&sims, "wrong", &body).await;
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().contains_key("x-bamboohr-error-message"));
    let elsewhere = client()
        .get(format!("{}/nope/v1/webhooks/", sims.bamboohr_api_base_url()))
        .basic_auth("bamboo-secret-key", Some("x"))
        .send()
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 404);
    assert!(
        sims.bamboohr_webhooks().is_empty(),
        "nothing was created by refused requests"
    );

    let (status, monitorable) = get_json(&sims, "webhooks/monitor_fields", &[]).await;
    assert_eq!(status, 200);
    let aliases: Vec<&str> = monitorable["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["alias"].as_str().unwrap())
        .collect();
    assert!(
        aliases.contains(&"jobTitle") && aliases.contains(&"terminationDate"),
        "{aliases:?}"
    );

    let created = create_webhook(&sims, "bamboo-secret-key", &body).await;
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    let id = created["id"].as_u64().expect("a numeric id");
    let key = created["privateKey"].as_str().expect("the private key, once");
    assert!(key.len() >= 32);
    assert_eq!(created["events"], body["events"]);
    assert_eq!(sims.bamboohr_webhooks()[0].private_key, key);

    let (_, list) = get_json(&sims, "webhooks/", &[]).await;
    assert_eq!(list["webhooks"][0]["id"], id.to_string(), "the list's ids are strings");
    assert_eq!(list["webhooks"][0]["url"], "https://hub.example/hooks/1");
    assert!(list["webhooks"][0].get("privateKey").is_none());
    let (status, one) = get_json(&sims, &format!("webhooks/{id}/"), &[]).await;
    assert_eq!(status, 200);
    assert_eq!(one["monitorFields"], json!(["jobTitle", "status"]));
    assert!(
        one.get("privateKey").is_none(),
        "only the create answer carries the key"
    );

    // Plain HTTP is refused for anything but this machine; mixing legacy and new events is refused.
    for bad in [
        json!({"name": "Hub", "url": "http://hub.example/hooks", "monitorFields": ["jobTitle"]}),
        json!({"name": "Hub", "url": "https://hub.example/hooks", "monitorFields": ["jobTitle"],
            "events": ["employee.updated", "employee_with_fields.deleted"]}),
        json!({"name": "Hub", "url": "https://hub.example/hooks", "events": ["employee.updated"]}),
    ] {
        let response = create_webhook(&sims, "bamboo-secret-key", &bad).await;
        assert_eq!(response.status(), 400, "{bad}");
        assert!(response.headers().contains_key("x-bamboohr-error-message"));
    }

    let delete = |id: u64| {
        client()
            .delete(url(&sims, &format!("webhooks/{id}/")))
            .basic_auth("bamboo-secret-key", Some("x"))
            .send()
    };
    assert_eq!(delete(id).await.unwrap().status(), 200);
    assert_eq!(delete(id).await.unwrap().status(), 404);
    assert_eq!(get_json(&sims, &format!("webhooks/{id}/"), &[]).await.0, 404);
    assert_eq!(get_json(&sims, "webhooks/", &[]).await.1["webhooks"], json!([]));
    sims.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changes_fire_signed_deliveries_to_registered_webhooks() {
    let sims = start().await;
    sims.seed(20);
    let hub = Receiver::start().await;
    let created: Value = create_webhook(
        &sims,
        "bamboo-secret-key",
        &json!({"name": "Hub", "url": format!("{}/events", hub.url), "monitorFields": ["jobTitle", "status"],
            "events": ["employee.created", "employee.updated", "employee.deleted"]}),
    )
    .await
    .json()
    .await
    .unwrap();
    let key = created["privateKey"].as_str().unwrap().to_owned();
    let legacy: Value = create_webhook(
        &sims,
        "bamboo-secret-key",
        &json!({"name": "Legacy", "url": format!("{}/fields", hub.url), "monitorFields": ["jobTitle"],
            "postFields": {"jobTitle": "Job Title"}}),
    )
    .await
    .json()
    .await
    .unwrap();

    // A field nobody monitors fires nothing; a monitored one fires one event per webhook.
    sims.update_employee(3, |p| p.location = Some("Hobart".into()));
    sims.update_employee(3, |p| p.job_title = Some("Cartographer".into()));
    sims.flush_bamboohr_webhooks().await;
    let received = hub.all();
    assert_eq!(received.len(), 2, "{received:?}");
    let event = received
        .iter()
        .find(|r| r.path == "/events")
        .expect("the event-based one");
    let timestamp = event.header("x-bamboohr-timestamp").unwrap();
    assert_eq!(
        event.header("x-bamboohr-signature").unwrap(),
        signature_of(&event.body, timestamp, &key),
        "signed over body and timestamp with the webhook's own key"
    );
    let payload = event.json();
    assert_eq!(payload["type"], "employee.updated");
    assert_eq!(payload["data"]["employeeId"], "4");
    assert_eq!(payload["data"]["changedFields"], json!(["jobTitle"]));
    let field_based = received.iter().find(|r| r.path == "/fields").unwrap();
    assert_eq!(
        field_based.header("x-bamboohr-signature").unwrap(),
        signature_of(
            &field_based.body,
            field_based.header("x-bamboohr-timestamp").unwrap(),
            legacy["privateKey"].as_str().unwrap()
        ),
        "each webhook signs with its own key"
    );
    let entry = &field_based.json()["employees"][0];
    assert_eq!(
        entry["fields"],
        json!({"Job Title": "Cartographer"}),
        "under the names postFields gave"
    );
    assert_eq!(entry["action"], "Updated");

    // New and deleted people, in the order they happened.
    let added = sims.add_employee(Person::new("Ada", "Lovelace", sims.today()));
    sims.terminate_employee(added, sims.today());
    sims.delete_employee(added);
    sims.flush_bamboohr_webhooks().await;
    let events: Vec<String> = hub
        .all()
        .iter()
        .filter(|r| r.path == "/events")
        .skip(1)
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        events,
        [
            "employee.created",
            "employee.updated",
            "employee.updated",
            "employee.deleted"
        ]
    );
    // The field-based webhook fires on creation and deletion whatever it monitors; termination is no job title.
    let deliveries = sims.bamboohr_webhook_deliveries();
    assert_eq!(deliveries.len(), 8, "{deliveries:?}");
    assert!(deliveries.iter().all(|d| d.status == Some(202) && d.succeeded()));
    let legacy_id = legacy["id"].as_u64().unwrap();
    let legacy_events: Vec<&str> = deliveries
        .iter()
        .filter(|d| d.webhook_id == legacy_id)
        .map(|d| d.event.as_str())
        .collect();
    assert_eq!(
        legacy_events,
        [
            "employee_with_fields.updated",
            "employee_with_fields.created",
            "employee_with_fields.deleted"
        ]
    );

    let (_, log) = get_json(&sims, &format!("webhooks/{}/log", created["id"]), &[]).await;
    assert_eq!(log["status"], 202);
    assert_eq!(log["failureCount"], 0);
    assert_eq!(log["employeeIds"], json!([added + 1]));
    let (_, listed) = get_json(&sims, "webhooks/", &[]).await;
    assert!(listed["webhooks"][0]["lastSent"].is_string());
    sims.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_receiver_never_holds_up_a_change() {
    let sims = start().await;
    sims.seed(10);
    // Nothing listens on the discard port.
    let created = create_webhook(
        &sims,
        "bamboo-secret-key",
        &json!({"name": "Gone", "url": "http://127.0.0.1:9/hooks", "monitorFields": ["jobTitle"],
            "events": ["employee.updated"]}),
    )
    .await;
    assert_eq!(created.status(), 201);
    let started = std::time::Instant::now();
    for title in ["A", "B", "C"] {
        sims.update_employee(1, |p| p.job_title = Some(title.into()));
    }
    assert!(
        started.elapsed() < std::time::Duration::from_millis(500),
        "changes returned at once"
    );
    sims.flush_bamboohr_webhooks().await;
    let deliveries = sims.bamboohr_webhook_deliveries();
    assert_eq!(deliveries.len(), 3);
    assert!(deliveries.iter().all(|d| d.status.is_none() && d.error.is_some()));
    let (_, log) = get_json(&sims, "webhooks/1/log", &[]).await;
    assert_eq!(log["failureCount"], 3);
    assert_eq!(log["lastSuccess"], Value::Null);

    // Through the controls over HTTP too: a PATCH fires, and the controls show what was sent.
    let patched = client()
        .patch(format!("{}/people/2", sims.control_url()))
        .json(&json!({"job_title": "Patched"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patched.status(), 200);
    sims.flush_bamboohr_webhooks().await;
    let shown: Value = client()
        .get(format!("{}/webhooks/bamboohr", sims.control_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(shown["deliveries"].as_array().unwrap().len(), 4);
    assert_eq!(shown["deliveries"][3]["employee_id"], "3");
    sims.stop().await;
}
