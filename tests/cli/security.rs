//! Attacks on a hub run as operators run it: `ihub serve` with its production defaults, as its own process, so the
//! network policy under test is the one a fresh install has. Each test tries the attack and fails if it works.
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::harness::{
    ACME_AND_ADA, Admin, Running, TestDatabase, ihub, redis_url, run, serve, sqlite_with_ada, stderr,
};

/// What an attacker would like the hub to reach or repeat.
const INTERNAL_SECRET: &str = "internal-only-token-5f3c9a";

/// A plain HTTP server on `ip` that answers every request with `answer` and remembers the request lines.
struct Listener {
    port: u16,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Listener {
    async fn start(ip: &str, answer: String) -> Self {
        let listener = TcpListener::bind((ip, 0)).await.expect("bind");
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (log, answer) = (log.clone(), answer.clone());
                tokio::spawn(async move {
                    let mut buffer = vec![0u8; 8192];
                    let n = socket.read(&mut buffer).await.unwrap_or(0);
                    let request = String::from_utf8_lossy(&buffer[..n]);
                    log.lock()
                        .unwrap()
                        .push(request.lines().next().unwrap_or_default().to_owned());
                    let _ = socket.write_all(answer.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        Self { port, seen }
    }

    /// An internal service: it hands its secret to whoever asks.
    async fn internal() -> Self {
        let body = format!("{{\"Resources\": [], \"totalResults\": 0, \"secret\": \"{INTERNAL_SECRET}\"}}");
        Self::start(
            "127.0.0.1",
            response("200 OK", &[("content-type", "application/scim+json")], &body),
        )
        .await
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

fn response(status: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut text = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    text.push_str(body);
    text
}

/// `ihub serve` with Acme and Ada on SQLite or on PostgreSQL with Redis, with its network settings left at their
/// defaults apart from `settings`.
struct Hub {
    admin: Admin,
    _serve: Running,
    _dir: tempfile::TempDir,
    _database: Option<TestDatabase>,
}

async fn hub(postgres: bool, settings: &[(&str, &str)]) -> Hub {
    let mut settings: Vec<(&str, &str)> = settings.to_vec();
    settings.push(("IHUB_ALLOW_PRIVATE_NETWORKS", "false"));
    if !postgres {
        let dir = sqlite_with_ada();
        let (serve, port) = serve(&dir, &settings);
        return Hub {
            admin: Admin::sign_in(port).await,
            _serve: serve,
            _dir: dir,
            _database: None,
        };
    }
    ihub_connectors::http::install_crypto_provider();
    let database = TestDatabase::create("security");
    let (url, redis) = (database.url(), redis_url());
    let queue = format!("ihub::clitest::{}", uuid::Uuid::new_v4().simple());
    let dir = tempfile::tempdir().unwrap();
    let shared = [
        ("DATABASE_URL", url.as_str()),
        ("REDIS_URL", redis.as_str()),
        ("IHUB_REDIS_QUEUE", queue.as_str()),
        ("IHUB_SECRET_KEY", "a-shared-secret-for-the-security-tests-0123456789"),
    ];
    for args in ACME_AND_ADA {
        let out = run(ihub().current_dir(dir.path()).envs(shared).args(args));
        assert!(out.status.success(), "ihub {args:?}: {}", stderr(&out));
    }
    settings.extend(shared);
    let (serve, port) = serve(&dir, &settings);
    Hub {
        admin: Admin::sign_in(port).await,
        _serve: serve,
        _dir: dir,
        _database: Some(database),
    }
}

fn scim(name: &str, base_url: &str) -> Value {
    json!({"name": name, "connector": "scim", "settings": {"base_url": base_url},
           "credentials": {"token": "stored-bearer-token-for-the-target"}})
}

/// Creates the connection (it must be accepted) and tests it; answers the connection as the test left it.
async fn tested(admin: &Admin, connection: Value) -> Value {
    let created = admin.post("/api/v1/connections", connection).await;
    let id = created.expect(201)["id"].as_str().unwrap().to_owned();
    let tested = admin.post(&format!("/api/v1/connections/{id}/test"), json!({})).await;
    tested.expect(200).clone()
}

async fn settings_pointing_inside_the_network_are_refused_and_never_called(postgres: bool) {
    let internal = Listener::internal().await;
    let hub = hub(postgres, &[]).await;
    let admin = &hub.admin;

    // Written as addresses: refused when saved, naming the field.
    for (i, url) in [
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        format!("https://127.0.0.1:{}/scim/v2", internal.port),
        format!("https://[::1]:{}/scim/v2", internal.port),
        "https://[::ffff:a9fe:a9fe]/latest/meta-data/".to_owned(),
        "https://10.0.0.8/scim/v2".to_owned(),
        format!("http://127.0.0.1:{}/scim/v2", internal.port),
    ]
    .iter()
    .enumerate()
    {
        let refused = admin
            .post("/api/v1/connections", scim(&format!("inside {i}"), url))
            .await;
        refused.expect(422);
        assert_eq!(refused.body["code"], "validation_error", "{url}: {}", refused.text);
        let fields: Vec<&str> = refused.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["field"].as_str())
            .collect();
        assert!(
            fields.iter().all(|f| f.ends_with("base_url")),
            "{url}: {}",
            refused.text
        );
        assert!(!fields.is_empty(), "{url}: {}", refused.text);
    }
    // Plain http to a public name is refused too: credentials would cross the network in the clear.
    admin
        .post("/api/v1/connections", scim("plain", "http://scim.example.com/v2"))
        .await
        .expect(422);

    // A name that resolves inside: accepted as a setting (names can change), refused when the hub would connect.
    let named = tested(
        admin,
        scim("named inside", &format!("https://localhost:{}/scim/v2", internal.port)),
    )
    .await;
    assert_eq!(named["status"], "error", "{named}");
    let error = named["last_error"].as_str().unwrap();
    assert!(error.contains("private or internal address"), "{error}");

    assert!(
        internal.requests().is_empty(),
        "the internal service was called: {:?}",
        internal.requests()
    );
}

async fn a_redirect_into_the_network_is_not_followed_and_remote_answers_are_not_repeated(postgres: bool) {
    let internal = Listener::internal().await;
    // An allowed host (the operator named it) that sends the hub on to the internal service.
    let redirector = Listener::start(
        "127.0.0.2",
        response(
            "302 Found",
            &[("location", &format!("http://127.0.0.1:{}/scim/v2/Users", internal.port))],
            "",
        ),
    )
    .await;
    // An allowed host whose error page repeats what it holds.
    let talkative = Listener::start(
        "127.0.0.3",
        response("400 Bad Request", &[], &format!("debug dump: token={INTERNAL_SECRET}")),
    )
    .await;
    let hub = hub(postgres, &[("IHUB_ALLOWED_HOSTS", "127.0.0.2, 127.0.0.3")]).await;
    let admin = &hub.admin;

    let redirected = tested(
        admin,
        scim("redirected", &format!("http://127.0.0.2:{}/scim/v2", redirector.port)),
    )
    .await;
    assert_eq!(redirected["status"], "error", "{redirected}");
    assert!(!redirector.requests().is_empty(), "the allowed host was called");
    assert!(
        internal.requests().is_empty(),
        "the redirect was followed: {:?}",
        internal.requests()
    );

    let answered = tested(
        admin,
        scim("talkative", &format!("http://127.0.0.3:{}/scim/v2", talkative.port)),
    )
    .await;
    assert_eq!(answered["status"], "error", "{answered}");
    let error = answered["last_error"].as_str().unwrap();
    assert!(error.contains("400"), "says what failed: {error}");
    assert!(
        !error.contains(INTERNAL_SECRET) && !error.contains("debug dump"),
        "the remote body is repeated: {error}"
    );
    let everything = admin.get("/api/v1/connections").await.to_string();
    assert!(!everything.contains(INTERNAL_SECRET), "{everything}");
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_pointing_inside_the_network_are_refused_and_never_called_on_sqlite() {
    settings_pointing_inside_the_network_are_refused_and_never_called(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn settings_pointing_inside_the_network_are_refused_and_never_called_on_postgres() {
    settings_pointing_inside_the_network_are_refused_and_never_called(true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_into_the_network_is_not_followed_and_remote_answers_are_not_repeated_on_sqlite() {
    a_redirect_into_the_network_is_not_followed_and_remote_answers_are_not_repeated(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_into_the_network_is_not_followed_and_remote_answers_are_not_repeated_on_postgres() {
    a_redirect_into_the_network_is_not_followed_and_remote_answers_are_not_repeated(true).await;
}
