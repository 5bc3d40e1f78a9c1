//! Every kind of bad input gets a clear 4xx problem, and nothing stored is lost.
use reqwest::Method;
use serde_json::json;

use crate::harness::{Backend, Options, TestHub};
use crate::on_both_backends;

on_both_backends!(bad_bodies_and_parameters);

async fn bad_bodies_and_parameters(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let post_raw = |body: &'static str, content_type: &'static str| {
        t.send(
            t.request(Method::POST, "/api/v1/connections", Some(&admin.token))
                .header("content-type", content_type)
                .body(body),
        )
    };

    let malformed = post_raw(r#"{"name": "x", "#, "application/json").await;
    malformed.expect_problem(400, "malformed_json");

    post_raw(r#"{"name": "x"}"#, "text/plain")
        .await
        .expect_problem(415, "unsupported_media_type");
    // Arrays are not objects, even where serde could read one as a struct.
    post_raw(r#"["x", "scim"]"#, "application/json")
        .await
        .expect_problem(422, "validation_error");
    post_raw("", "application/json")
        .await
        .expect_problem(400, "malformed_json");

    let wrong_type = post_raw(r#"{"name": 42, "connector": "scim"}"#, "application/json").await;
    assert_eq!(wrong_type.invalid_fields(), vec!["name"]);
    assert!(!wrong_type.body["detail"].as_str().unwrap().contains("line 1"));

    let missing = post_raw(r#"{"connector": "scim"}"#, "application/json").await;
    assert!(
        missing.body["detail"].as_str().unwrap().contains("name"),
        "{}",
        missing.text
    );
    missing.expect_problem(422, "validation_error");

    let unknown_field = post_raw(
        r#"{"name": "x", "connector": "scim", "colour": "red"}"#,
        "application/json",
    )
    .await;
    assert!(
        unknown_field.body["detail"].as_str().unwrap().contains("colour"),
        "{}",
        unknown_field.text
    );

    let unknown_connector = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({"name": "x", "connector": "sap"}),
        )
        .await;
    assert_eq!(unknown_connector.invalid_fields(), vec!["connector"]);

    let several = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({"name": "  ", "connector": "scim", "settings": {"base_url": "ftp://x", "colour": 1}, "credentials": {"token": 12345}}),
        )
        .await;
    let fields = several.invalid_fields();
    assert!(
        fields.contains(&"name".to_owned()) && fields.iter().any(|f| f.starts_with("settings")),
        "{fields:?}"
    );
    assert!(fields.iter().any(|f| f.starts_with("credentials")), "{fields:?}");
    assert!(
        !several.text.contains("12345"),
        "credential values are not quoted back: {}",
        several.text
    );

    let unknown_enum = t
        .post(
            "/api/v1/users",
            &admin.token,
            json!({"email": "a@example.com", "password": "long enough pw", "role": "owner"}),
        )
        .await;
    assert_eq!(unknown_enum.invalid_fields(), vec!["role"]);

    t.get("/api/v1/connections?cursor=not-a-cursor", &admin.token)
        .await
        .invalid_fields()
        .contains(&"cursor".to_owned())
        .then_some(())
        .expect("cursor named");
    assert_eq!(
        t.get("/api/v1/connections?limit=0", &admin.token)
            .await
            .invalid_fields(),
        vec!["limit"]
    );
    assert_eq!(
        t.get("/api/v1/connections?limit=100000", &admin.token)
            .await
            .invalid_fields(),
        vec!["limit"]
    );
    t.get("/api/v1/connections?limit=lots", &admin.token)
        .await
        .expect_problem(422, "validation_error");

    t.get("/api/v1/connections/not-a-uuid", &admin.token)
        .await
        .expect_problem(404, "not_found");
    t.get(&format!("/api/v1/connections/{}", uuid::Uuid::now_v7()), &admin.token)
        .await
        .expect_problem(404, "not_found");
    t.get("/api/v1/no-such-thing", &admin.token)
        .await
        .expect_problem(404, "not_found");

    // A failed update leaves what was stored intact.
    let conn = t.scim_connection(&admin, "LMS").await;
    let path = format!("/api/v1/connections/{}", conn["id"].as_str().unwrap());
    t.patch(
        &path,
        &admin.token,
        json!({"name": "", "settings": {"base_url": "nope"}}),
    )
    .await
    .expect_problem(422, "validation_error");
    let after = t.get(&path, &admin.token).await;
    assert_eq!(after.expect(200)["name"], "LMS");
    assert_eq!(after.body["settings"], conn["settings"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_bodies_are_refused() {
    let t = TestHub::start_with(
        Backend::Sqlite,
        Options {
            max_body_bytes: 4096,
            ..Options::default()
        },
    )
    .await;
    let admin = t.organisation("Acme").await;
    let big = "x".repeat(10_000);
    let resp = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({"name": big, "connector": "scim"}),
        )
        .await;
    resp.expect_problem(413, "payload_too_large");
    // Also when the client does not announce the length (chunked transfer encoding).
    let status = chunked_post(
        &t.base,
        "/api/v1/connections",
        &admin.token,
        &format!(r#"{{"name": "{big}", "connector": "scim"}}"#),
    )
    .await;
    assert!(status.starts_with("HTTP/1.1 413"), "{status}");
    assert_eq!(
        t.get("/api/v1/connections", &admin.token).await.body["items"],
        json!([])
    );
}

/// reqwest always sends a length for in-memory bodies, so the chunked request is written by hand.
async fn chunked_post(base: &str, path: &str, token: &str, body: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    for chunk in body.as_bytes().chunks(1000) {
        request.push_str(&format!(
            "{:x}\r\n{}\r\n",
            chunk.len(),
            std::str::from_utf8(chunk).unwrap()
        ));
    }
    request.push_str("0\r\n\r\n");
    // The server may answer and close before the whole body is written; that is the point.
    let _ = stream.write_all(request.as_bytes()).await;
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response).into_owned()
}
