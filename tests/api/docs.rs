//! The OpenAPI document: checked in, identical to what the code generates and serves; browsable offline.
use reqwest::Method;

use crate::harness::{Backend, Options, TestHub};

#[test]
fn checked_in_openapi_matches_the_code() {
    let generated = ihub_api::openapi::to_json(&ihub_api::openapi::document());
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json");
    let checked_in = std::fs::read_to_string(path).expect("openapi/openapi.json exists");
    assert!(
        generated == checked_in,
        "openapi/openapi.json is stale: regenerate it with `just openapi` (cargo run -p ihub -- openapi > openapi/openapi.json)"
    );
}

#[test]
fn every_operation_documents_its_errors_and_security() {
    let doc: serde_json::Value =
        serde_json::from_str(&ihub_api::openapi::to_json(&ihub_api::openapi::document())).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                ids.insert(op["operationId"].as_str().unwrap().to_owned()),
                "duplicate operationId at {method} {path}"
            );
            let public = path.starts_with("/api/v1/auth/")
                || path.starts_with("/api/v1/oauth/")
                // Sources authenticate with the URL's token and their own signature.
                || path.starts_with("/api/v1/hooks/")
                || path == "/healthz"
                || path == "/readyz";
            let responses = op["responses"].as_object().unwrap();
            if !public {
                assert_eq!(op["security"], serde_json::json!([{"bearer": []}]), "{method} {path}");
                assert!(
                    responses.contains_key("401") && responses.contains_key("403"),
                    "{method} {path}"
                );
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{method} {path}");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path} lacks {status}");
                }
            }
        }
    }
    assert!(ids.len() >= 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn served_document_and_docs_work_offline() {
    let t = TestHub::start(Backend::Sqlite).await;
    let served = t.call(Method::GET, "/api/openapi.json", None, None).await;
    served.expect(200);
    let generated: serde_json::Value =
        serde_json::from_str(&ihub_api::openapi::to_json(&ihub_api::openapi::document())).unwrap();
    assert_eq!(served.body, generated);

    let page = t.call(Method::GET, "/api/docs/", None, None).await;
    page.expect(200);
    assert!(
        page.text.contains("<html") || page.text.contains("<!DOCTYPE html") || page.text.contains("<!doctype html")
    );
    // Every asset the page loads is served by the hub itself.
    for needle in ["src=\"http", "href=\"http", "unpkg.com", "cdn.jsdelivr", "cdnjs"] {
        assert!(
            !page.text.contains(needle),
            "docs page references an external asset ({needle})"
        );
    }
    let init = t
        .call(Method::GET, "/api/docs/swagger-initializer.js", None, None)
        .await;
    init.expect(200);
    assert!(init.text.contains("/api/openapi.json"));
    t.call(Method::GET, "/api/docs/swagger-ui-bundle.js", None, None)
        .await
        .expect(200);

    let health = t.call(Method::GET, "/healthz", None, None).await;
    health.expect(200);
    assert!(health.header("x-request-id").is_some_and(|id| !id.is_empty()));
    let ready = t.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.expect(200)["status"], "ready");

    // Without a built web app, / still answers with a pointer to the docs; unknown API paths are problems.
    let root = t.call(Method::GET, "/", None, None).await;
    root.expect(200);
    assert!(root.text.contains("/api/docs/"));
    t.call(Method::GET, "/api/v2/anything", None, None)
        .await
        .expect_problem(404, "not_found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_redis_queue() {
    let redis = std::env::var("IHUB_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let up = TestHub::start_with(
        Backend::Postgres,
        Options {
            redis_url: Some(redis),
            ..Options::default()
        },
    )
    .await;
    let ready = up.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(ready.expect(200)["queue"], "ok");

    // Nothing listens on port 9: the queue is unreachable, so the process is live but not ready.
    let down = TestHub::start_with(
        Backend::Sqlite,
        Options {
            redis_url: Some("redis://127.0.0.1:9".into()),
            ..Options::default()
        },
    )
    .await;
    let not_ready = down.call(Method::GET, "/readyz", None, None).await;
    assert_eq!(not_ready.expect(503)["queue"], "unreachable");
    assert_eq!(not_ready.body["database"], "ok");
    down.call(Method::GET, "/healthz", None, None).await.expect(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_app_is_served_with_client_side_routes() {
    let t = TestHub::start(Backend::Sqlite).await;
    // Built after the hub started: it is found without a restart.
    let dir = t.web_dir();
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Integration Hub app</title>",
    )
    .unwrap();
    std::fs::write(dir.join("assets/app-3f2a.js"), "console.log('hub')").unwrap();

    for route in ["/", "/connections", "/integrations/0195-abc/settings"] {
        let page = t.call(Method::GET, route, None, None).await;
        page.expect(200);
        assert!(page.text.contains("Integration Hub app"), "{route}: {}", page.text);
        assert_eq!(page.header("cache-control"), Some("no-cache"), "{route}");
    }
    let asset = t.call(Method::GET, "/assets/app-3f2a.js", None, None).await;
    asset.expect(200);
    assert!(asset.header("cache-control").unwrap().contains("immutable"));
    assert!(asset.content_type().contains("javascript"));
    // Nothing outside the web directory is reachable.
    let escape = t.call(Method::GET, "/assets/../../secret.key", None, None).await;
    assert!(!escape.text.contains("test-instance-secret"));
    // API paths are never answered by the app.
    t.call(Method::GET, "/api/v1/nothing-here", None, None)
        .await
        .expect_problem(404, "not_found");
    t.call(Method::POST, "/connections", None, None)
        .await
        .expect_problem(405, "method_not_allowed");
}
