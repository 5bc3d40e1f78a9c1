//! A real hub on a free port over real HTTP, on a fresh SQLite file or a fresh PostgreSQL database per test, with
//! the third-party simulators beside it. Every response body is checked for leaked secrets.
pub mod journeys;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

use ihub::config::Config;
use ihub::runtime;
use ihub_api::app;
use ihub_domain::accounts::users::NewUser;
use ihub_domain::{Environment, Hub, Role, accounts::organisations, accounts::users};
use ihub_simulators::{Accepted, Simulators};
use ihub_worker::WorkerQueue;
use reqwest::Method;
use serde_json::{Value, json};
use sqlx::Connection;
use uuid::Uuid;

pub const PASSWORD: &str = "correct horse battery staple";
pub const SECRET_KEY: &str = "test-instance-secret-key-0123456789abcdef";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Knobs a test may turn before the hub starts.
#[derive(Debug, Clone)]
pub struct Options {
    pub environment: Environment,
    pub login_attempts_per_email_per_minute: u32,
    pub max_body_bytes: usize,
    /// The queue the API reports on in `/readyz`; embedded unless set.
    pub redis_url: Option<String>,
    /// Runs a worker beside the API, with quick ticks: on SQLite with the embedded queue, on PostgreSQL with a
    /// Redis queue of its own.
    pub worker: bool,
    /// The worker's inbound processors (0: webhook items move only through "Process now" jobs).
    pub inbound_processors: usize,
    /// Records a run writes at once (the worker's `runs.sync.concurrency`); the test default (8) unless set.
    pub sync_concurrency: Option<usize>,
}

impl Options {
    pub fn with_worker() -> Self {
        Self {
            worker: true,
            ..Self::default()
        }
    }
}

pub fn redis_url() -> String {
    std::env::var("IHUB_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Fast enough that tests wait seconds, not minutes, for the reconciler and retries.
pub fn test_worker_settings() -> ihub_worker::WorkerSettings {
    use ihub_worker::settings::{InboundSettings, ReconcilerSettings, RunSettings, SchedulerSettings};
    use std::time::Duration;
    ihub_worker::WorkerSettings {
        runs: RunSettings {
            at_once: 4,
            poll: Duration::from_millis(100),
            sync: ihub_domain::runs::sync::Options {
                concurrency: 8,
                heartbeat: Duration::from_millis(200),
                retry_base: Duration::from_millis(500),
                ..Default::default()
            },
        },
        scheduler: SchedulerSettings {
            tick: Duration::from_millis(200),
        },
        reconciler: ReconcilerSettings {
            tick: Duration::from_millis(200),
            requeue_after: Duration::from_secs(2),
            stuck_after: Duration::from_secs(2),
        },
        inbound: InboundSettings {
            processors: 2,
            pass: Duration::from_millis(100),
            ..Default::default()
        },
        retention: Default::default(),
    }
}

impl Default for Options {
    fn default() -> Self {
        Self {
            environment: Environment::Production,
            login_attempts_per_email_per_minute: 1000,
            max_body_bytes: 256 * 1024,
            redis_url: None,
            worker: false,
            inbound_processors: 2,
            sync_concurrency: None,
        }
    }
}

pub struct TestHub {
    pub base: String,
    pub hub: Hub,
    pub sims: Simulators,
    http: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
    secrets: Mutex<Vec<String>>,
    pg_database: Option<String>,
    worker: Option<WorkerHandle>,
    pub queue: Arc<dyn WorkerQueue>,
    worker_settings: ihub_worker::WorkerSettings,
    _dir: tempfile::TempDir,
}

/// One signed-in user.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub refresh_token: String,
    pub user_id: Uuid,
    pub organisation_id: Uuid,
    pub email: String,
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn content_type(&self) -> &str {
        self.header("content-type").unwrap_or_default()
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        &self.body
    }

    /// Asserts an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn expect_problem(&self, status: u16, code: &str) -> &Value {
        self.expect(status);
        assert_eq!(self.content_type(), "application/problem+json", "body: {}", self.text);
        assert_eq!(self.body["status"], status, "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert!(self.body["title"].is_string() && self.body["detail"].is_string() && self.body["type"].is_string());
        &self.body
    }

    /// The fields a validation problem names.
    #[track_caller]
    pub fn invalid_fields(&self) -> Vec<String> {
        self.expect_problem(422, "validation_error");
        self.body["errors"]
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["field"].as_str().unwrap().to_owned())
            .collect()
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn postgres_admin_url() -> String {
    std::env::var("IHUB_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// A fresh database per test, named with its creation time so a later run can sweep what a crashed run left.
async fn create_postgres_database() -> String {
    static SWEPT: OnceLock<()> = OnceLock::new();
    let mut admin = sqlx::PgConnection::connect(&format!("{}/postgres", postgres_admin_url()))
        .await
        .expect("PostgreSQL is reachable at IHUB_TEST_POSTGRES_URL (default postgres://postgres@127.0.0.1:5432)");
    if SWEPT.set(()).is_ok() {
        let stale: Vec<(String,)> = sqlx::query_as("SELECT datname FROM pg_database WHERE datname LIKE 'ihub_t_%'")
            .fetch_all(&mut admin)
            .await
            .expect("list databases");
        for (name,) in stale {
            let created = name.split('_').nth(2).and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
            if now_secs().saturating_sub(created) > 3600 {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                )))
                .execute(&mut admin)
                .await;
            }
        }
    }
    let name = format!(
        "ihub_t_{}_{}_{}",
        now_secs(),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    name
}

impl TestHub {
    pub async fn start(backend: Backend) -> Self {
        Self::start_with(backend, Options::default()).await
    }

    pub async fn start_with(backend: Backend, options: Options) -> Self {
        ihub_connectors::http::install_crypto_provider();
        // `IHUB_TEST_LOG=ihub=debug` shows what the hub and its worker did, for a failing test.
        if let Ok(filter) = std::env::var("IHUB_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
                .with_test_writer()
                .try_init();
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let pg_database = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => Some(create_postgres_database().await),
        };
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("bound address");
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            database_url: pg_database.as_ref().map(|db| format!("{}/{db}", postgres_admin_url())),
            secret_key: Some(SECRET_KEY.into()),
            environment: options.environment,
            login_attempts_per_email_per_minute: options.login_attempts_per_email_per_minute,
            max_body_bytes: options.max_body_bytes,
            web_dir: Some(dir.path().join("no-web")),
            public_url: Some(format!("http://{addr}")),
            // The simulators listen on loopback.
            allow_private_networks: true,
            ..Config::default()
        };
        // A worker on PostgreSQL takes its jobs from Redis, in a queue of its own so parallel tests never take
        // each other's jobs.
        let redis = match (&options.redis_url, options.worker, &pg_database) {
            (Some(url), _, _) => Some(url.clone()),
            (None, true, Some(_)) => Some(redis_url()),
            _ => None,
        };
        let queue_name = format!("ihub::test::{}", Uuid::new_v4().simple());
        let queue = ihub_worker::job_queue::connect(redis.as_deref(), &queue_name).expect("queue connects");
        let hub = runtime::open_hub(&config, queue.clone()).await.expect("hub opens");
        let ctx = runtime::app_context(&config, hub.clone());
        let mut worker_settings = test_worker_settings();
        worker_settings.inbound.processors = options.inbound_processors;
        if let Some(concurrency) = options.sync_concurrency {
            worker_settings.runs.sync.concurrency = concurrency;
        }
        let worker = options.worker.then(|| spawn_worker(&hub, &queue, &worker_settings));
        let (server, handle, addr) = app::serve_on(ctx, listener).expect("serve");
        tokio::spawn(server);
        let sims = Simulators::start(Accepted::default()).await.expect("simulators start");
        let accepted = Accepted::default();
        let secrets = vec![
            SECRET_KEY.to_owned(),
            PASSWORD.to_owned(),
            accepted.scim_token,
            accepted.odoo_api_key,
            accepted.bamboohr_api_key,
            accepted.employment_hero_access_token,
        ];
        Self {
            base: format!("http://{addr}"),
            hub,
            sims,
            http: reqwest::Client::builder().no_proxy().build().expect("client"),
            handle,
            secrets: Mutex::new(secrets),
            pg_database,
            worker,
            queue,
            worker_settings,
            _dir: dir,
        }
    }

    /// Where this hub looks for the built web app (nothing is there until a test puts it there).
    pub fn web_dir(&self) -> std::path::PathBuf {
        self._dir.path().join("no-web")
    }

    /// Registers a value that must never appear in any response body.
    pub fn never_echo(&self, secret: &str) {
        self.secrets.lock().unwrap().push(secret.to_owned());
    }

    pub async fn send(&self, request: reqwest::RequestBuilder) -> Resp {
        let response = request.send().await.expect("request reaches the hub");
        let url = response.url().clone();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        for secret in self.secrets.lock().unwrap().iter() {
            assert!(
                !text.contains(secret.as_str()),
                "a response leaked the secret `{secret}`: {text}"
            );
        }
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        // Only readiness may answer 503, and only when a dependency is down; any other 5xx is a bug.
        assert!(
            status < 500 || (status == 503 && url.path() == "/readyz"),
            "server error {status}: {text}"
        );
        Resp {
            status,
            headers,
            body,
            text,
        }
    }

    pub fn request(&self, method: Method, path: &str, token: Option<&str>) -> reqwest::RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut request = self.request(method, path, token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.send(request).await
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn post_empty(&self, path: &str, token: &str) -> Resp {
        self.call(Method::POST, path, Some(token), None).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PATCH, path, Some(token), Some(body)).await
    }

    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PUT, path, Some(token), Some(body)).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Resp {
        self.call(Method::DELETE, path, Some(token), None).await
    }

    /// An organisation with one admin, signed in.
    pub async fn organisation(&self, name: &str) -> Session {
        let org = organisations::create(&self.hub, name, None)
            .await
            .expect("organisation");
        self.user_in(org.id, Role::Admin).await
    }

    /// A new user of `organisation_id`, signed in over HTTP.
    pub async fn user_in(&self, organisation_id: Uuid, role: Role) -> Session {
        let email = format!("{}-{}@example.com", role.as_str(), Uuid::new_v4().simple());
        let user = users::create_in(
            &self.hub,
            organisation_id,
            NewUser {
                email: email.clone(),
                name: None,
                password: PASSWORD.into(),
                role,
            },
        )
        .await
        .expect("user");
        self.login(&email, organisation_id, user.id).await
    }

    pub async fn login(&self, email: &str, organisation_id: Uuid, user_id: Uuid) -> Session {
        let resp = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Some(json!({"email": email, "password": PASSWORD})),
            )
            .await;
        let body = resp.expect(200);
        Session {
            token: body["access_token"].as_str().unwrap().to_owned(),
            refresh_token: body["refresh_token"].as_str().unwrap().to_owned(),
            user_id,
            organisation_id,
            email: email.to_owned(),
        }
    }

    /// A SCIM target connection pointing at the simulator with the accepted token.
    pub async fn scim_connection(&self, session: &Session, name: &str) -> Value {
        self.post(
            "/api/v1/connections",
            &session.token,
            json!({
                "name": name,
                "connector": "scim",
                "settings": {"base_url": self.sims.scim_base_url()},
                "credentials": {"token": Accepted::default().scim_token},
            }),
        )
        .await
        .expect(201)
        .clone()
    }

    /// A BambooHR source connection pointing at the simulator with the accepted key.
    pub async fn bamboohr_connection(&self, session: &Session, name: &str) -> Value {
        self.post(
            "/api/v1/connections",
            &session.token,
            json!({
                "name": name,
                "connector": "bamboohr",
                "settings": {"company_domain": "acme", "api_base_url": self.sims.bamboohr_api_base_url()},
                "credentials": {"api_key": Accepted::default().bamboohr_api_key},
            }),
        )
        .await
        .expect(201)
        .clone()
    }

    /// A source, a target and an inactive integration between them.
    pub async fn integration(&self, session: &Session, name: &str) -> (Value, Value, Value) {
        let source = self.bamboohr_connection(session, &format!("{name} source")).await;
        let target = self.scim_connection(session, &format!("{name} target")).await;
        let integration = self
            .post(
                "/api/v1/integrations",
                &session.token,
                json!({
                    "name": name,
                    "kind": "employees_to_users",
                    "source_connection_id": source["id"],
                    "target_connection_id": target["id"],
                }),
            )
            .await
            .expect(201)
            .clone();
        (source, target, integration)
    }
}

impl TestHub {
    /// Stops the worker gracefully (as SIGTERM would) and waits for it.
    pub async fn stop_worker(&mut self) {
        if let Some((stop, task)) = self.worker.take() {
            let _ = stop.send(());
            let _ = task.await;
        }
    }

    /// Starts another worker on the same queue (Redis only: the embedded queue's consumer lives once per process).
    pub fn start_redis_worker(&mut self) {
        assert!(self.queue.kind() == "redis", "only a Redis queue takes a second worker");
        self.worker = Some(spawn_worker(&self.hub, &self.queue, &self.worker_settings));
    }
}

impl Drop for TestHub {
    fn drop(&mut self) {
        if let Some((stop, _)) = self.worker.take() {
            let _ = stop.send(());
        }
        let handle = self.handle.clone();
        drop(handle.stop(false));
        if let Some(name) = self.pg_database.take() {
            // Drop cannot await; a short-lived runtime on its own thread removes the database before we return.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                rt.block_on(async move {
                    if let Ok(mut admin) =
                        sqlx::PgConnection::connect(&format!("{}/postgres", postgres_admin_url())).await
                    {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        )))
                        .execute(&mut admin)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

type WorkerHandle = (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>);

fn spawn_worker(hub: &Hub, queue: &Arc<dyn WorkerQueue>, settings: &ihub_worker::WorkerSettings) -> WorkerHandle {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(ihub_worker::role::run(
        hub.clone(),
        queue.clone(),
        settings.clone(),
        async move {
            let _ = stopped.await;
        },
    ));
    (
        stop,
        tokio::spawn(async move {
            if let Ok(Err(e)) = task.await {
                panic!("the worker failed: {e}");
            }
        }),
    )
}

/// Runs each named `async fn(TestHub)` once on SQLite (embedded queue) and once on PostgreSQL (Redis queue),
/// with a worker.
#[macro_export]
macro_rules! with_worker_on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let options = $crate::harness::Options::with_worker();
                super::$name($crate::harness::TestHub::start_with($crate::harness::Backend::Sqlite, options).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres_redis() {
                let options = $crate::harness::Options::with_worker();
                super::$name($crate::harness::TestHub::start_with($crate::harness::Backend::Postgres, options).await).await
            }
        }
    )*};
}

/// Runs each named `async fn(TestHub)` once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::harness::TestHub::start($crate::harness::Backend::Sqlite).await).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::harness::TestHub::start($crate::harness::Backend::Postgres).await).await
            }
        }
    )*};
}
