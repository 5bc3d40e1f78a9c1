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
