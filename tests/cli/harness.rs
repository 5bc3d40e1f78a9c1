//! What the CLI tests share: the `ihub` binary, a fresh PostgreSQL database, a running hub process, and a
//! scaled-out hub (`Cluster`: `ihub api` and `ihub worker` processes on PostgreSQL and Redis) with its admin's API.
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ihub_simulators::{Accepted, Simulators};
use serde_json::{Value, json};
/// The binary of this workspace, built if a plain `cargo test -p ihub-tests` has not built it yet. The build names the
/// same targets as `just build` and `cargo nextest run --workspace --all-targets`, so cargo unifies features alike
/// and finds nothing to do; `-p ihub` alone would resolve other features and rebuild half the workspace.
pub fn ihub() -> Command {
    static BIN: OnceLock<std::path::PathBuf> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        let mut build = Command::new(env!("CARGO"));
        build
            .args(["build", "--quiet", "--workspace", "--all-targets"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        // What cargo sets for this test run only (the package's manifest dir, name, version…). Build scripts that
        // watch such a variable (ring's watches CARGO_MANIFEST_DIR) would otherwise rebuild here, and again in the
        // next plain `cargo test`: every run would compile ring, rustls, sqlx, sea-orm and the hub twice.
        for (key, _) in std::env::vars() {
            let per_package = [
                "CARGO_MANIFEST_",
                "CARGO_PKG_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_",
            ]
            .iter()
            .any(|prefix| key.starts_with(prefix));
            if per_package || key == "CARGO_TARGET_TMPDIR" || key == "CARGO_RUSTC_CURRENT_DIR" {
                build.env_remove(key);
            }
        }
        let status = build.status().expect("cargo runs");
        assert!(status.success(), "building ihub failed");
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../target")).to_path_buf());
        target.join("debug/ihub")
    });
    let mut cmd = Command::new(bin);
    // A clean environment: no configuration leaks in from the developer's shell.
    for (key, _) in std::env::vars() {
        if key.starts_with("IHUB_") || key == "DATABASE_URL" || key == "REDIS_URL" {
            cmd.env_remove(key);
        }
    }
    // The simulators listen on loopback, which a hub refuses to call unless allowed; the security tests set it back.
    cmd.env("IHUB_ALLOW_PRIVATE_NETWORKS", "true");
    cmd
}

pub fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("ihub runs")
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_owned()
}

/// A fresh PostgreSQL database for one test, dropped when the test ends (also when it fails).
pub struct TestDatabase {
    server: String,
    name: String,
}

impl TestDatabase {
    pub fn create(label: &str) -> Self {
        let server =
            std::env::var("IHUB_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let db = Self {
            server,
            name: format!("ihub_t_{secs}_{label}_{}", std::process::id()),
        };
        db.psql(&format!("CREATE DATABASE \"{}\"", db.name));
        db
    }

    pub fn url(&self) -> String {
        format!("{}/{}", self.server, self.name)
    }

    fn psql(&self, sql: &str) {
        let out = Command::new("psql")
            .args([
                &format!("{}/postgres", self.server),
                "-v",
                "ON_ERROR_STOP=1",
                "-qc",
                sql,
            ])
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        self.psql(&format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name));
    }
}

/// A running `ihub` process whose log lines are collected as they come.
pub struct Running {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    pub fn start(cmd: &mut Command) -> Self {
        let mut child = cmd.stderr(Stdio::piped()).spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, lines) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    pub fn wait_for_log(&mut self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.seen.iter().any(|l| l.contains(needle)) {
            assert!(
                Instant::now() < deadline,
                "no log line with `{needle}`: {:?}",
                self.seen
            );
            if let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
                self.seen.push(line);
            }
        }
    }

    /// SIGKILL (`kill -9`): no shutdown, nothing flushed or handed over; returns once the process is gone.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then the exit status and every line logged.
    pub fn terminate(&mut self) -> (std::process::ExitStatus, Vec<String>) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "did not stop after SIGTERM: {:?}",
                self.seen
            );
            std::thread::sleep(Duration::from_millis(100));
        };
        while let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) {
            self.seen.push(line);
        }
        (status, self.seen.clone())
    }
}

/// A test that fails midway must not leave a hub running behind it.
impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP/1.1 exchange, so the CLI tests need no HTTP client.
pub fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> String {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let body = body.unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    s.read_to_string(&mut response).unwrap();
    response
}

pub fn redis_url() -> String {
    std::env::var("IHUB_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

pub const ADA_PASSWORD: &str = "correct horse battery";

/// The `ihub admin` commands that make the organisation Acme and its admin ada@example.com.
pub const ACME_AND_ADA: [&[&str]; 2] = [
    &["admin", "create-org", "--name", "Acme"],
    &[
        "admin",
        "create-user",
        "--org",
        "Acme",
        "--email",
        "ada@example.com",
        "--password",
        ADA_PASSWORD,
        "--role",
        "admin",
    ],
];

pub const SECRET: &str = "a-shared-secret-for-all-processes-0123456789";

/// Worker settings fast enough that a test waits seconds for the reconciler, not minutes.
pub const QUICK: &[(&str, &str)] = &[
    ("IHUB_WORKER_TICK_MS", "200"),
    ("IHUB_HEARTBEAT_MS", "300"),
    ("IHUB_STUCK_AFTER_SECS", "2"),
    ("IHUB_REQUEUE_AFTER_SECS", "2"),
];

/// The simulators are local: no hosted API's rate limit (SCIM's default of 10 a second would make a run of 400
/// people take 80 s).
pub const LOCAL_RATE: u32 = 600_000;

pub const LOCAL_BURST: u32 = 1_000;

/// Just enough of the Redis protocol to look at and delete one queue's keys, without touching anyone else's
/// (other tests share this Redis: no FLUSHALL).
#[derive(Debug)]
enum Reply {
    Text(String),
    /// A status or an integer: nothing these tests read.
    Simple,
    Nil,
    List(Vec<Reply>),
}

pub struct Redis(BufReader<std::net::TcpStream>);

impl Redis {
    pub fn connect() -> std::io::Result<Self> {
        let url = redis_url();
        // redis://[user:password@]host:port[/db]: only the address is used.
        let address = url.trim_start_matches("redis://").split('/').next().unwrap_or_default();
        let host = address.rsplit('@').next().unwrap_or_default();
        Ok(Self(BufReader::new(std::net::TcpStream::connect(host)?)))
    }

    fn command(&mut self, args: &[&str]) -> std::io::Result<Reply> {
        let mut out = format!("*{}\r\n", args.len());
        for arg in args {
            out.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        self.0.get_mut().write_all(out.as_bytes())?;
        self.reply()
    }

    fn reply(&mut self) -> std::io::Result<Reply> {
        let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        let mut line = String::new();
        self.0.read_line(&mut line)?;
        let line = line.trim_end();
        let Some(kind) = line.chars().next() else {
            return Err(bad("Redis closed the connection"));
        };
        let rest = &line[1..];
        let size = || rest.parse::<usize>().map_err(|_| bad(line));
        Ok(match kind {
            '+' | ':' => Reply::Simple,
            '$' | '*' if rest.starts_with('-') => Reply::Nil,
            '$' => {
                let mut bytes = vec![0; size()? + 2];
                self.0.read_exact(&mut bytes)?;
                bytes.truncate(bytes.len() - 2);
                Reply::Text(String::from_utf8_lossy(&bytes).into_owned())
            }
            '*' => Reply::List((0..size()?).map(|_| self.reply()).collect::<std::io::Result<_>>()?),
            _ => return Err(bad(line)),
        })
    }

    /// Every key of the queue (apalis names them `<queue>:active`, `<queue>:data`, …), found with SCAN.
    pub fn keys_of(&mut self, queue: &str) -> std::io::Result<Vec<String>> {
        let pattern = format!("{queue}:*");
        let (mut cursor, mut keys) = ("0".to_owned(), Vec::new());
        loop {
            let reply = self.command(&["SCAN", &cursor, "MATCH", &pattern, "COUNT", "1000"])?;
            let Reply::List(parts) = reply else {
                return Err(std::io::Error::other(format!("SCAN answered {reply:?}")));
            };
            let mut parts = parts.into_iter();
            let (Some(Reply::Text(next)), Some(Reply::List(found))) = (parts.next(), parts.next()) else {
                return Err(std::io::Error::other("SCAN answers a cursor and keys"));
            };
            keys.extend(found.into_iter().filter_map(|k| match k {
                Reply::Text(k) => Some(k),
                _ => None,
            }));
            if next == "0" {
                return Ok(keys);
            }
            cursor = next;
        }
    }

    /// Deletes every key of the queue, as if Redis had been flushed or restarted without persistence; answers how
    /// many there were.
    pub fn delete_queue(&mut self, queue: &str) -> std::io::Result<usize> {
        let keys = self.keys_of(queue)?;
        for key in &keys {
            self.command(&["DEL", key])?;
        }
        Ok(keys.len())
    }
}

/// One scaled-out hub: its database, its Redis queue, an `ihub api` process with an organisation and a signed-in
/// admin, the simulators, and the `ihub worker` processes the test starts.
pub struct Cluster {
    // `drop` ends the processes and deletes the queue's keys; the database goes with its field after that.
    pub workers: Vec<Running>,
    pub api: Running,
    pub sims: Simulators,
    pub admin: Admin,
    pub queue: String,
    /// The Redis every process of the cluster uses (the shared one, or a test's own `redis-server`).
    pub redis_url: String,
    database: TestDatabase,
    dir: tempfile::TempDir,
    /// Once the binary was built: what the test itself takes is measured from here.
    pub started: Instant,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for worker in &mut self.workers {
            let _ = worker.child.kill();
            let _ = worker.child.wait();
        }
        let _ = self.api.child.kill();
        let _ = self.api.child.wait();
        // Never a panic here: a failing test is already unwinding through this.
        if let Ok(mut redis) = Redis::connect() {
            let _ = redis.delete_queue(&self.queue);
        }
    }
}

impl Cluster {
    /// The database, the API process, an organisation with an admin made by `ihub admin`, and the simulators
    /// seeded with `people`. No worker yet.
    pub async fn start(label: &str, people: u32) -> Self {
        Self::start_on(label, people, &redis_url()).await
    }

    /// As `start`, on this Redis.
    pub async fn start_on(label: &str, people: u32, redis_url: &str) -> Self {
        ihub_connectors::http::install_crypto_provider();
        // Built (or found fresh) before the clock starts.
        drop(ihub());
        let started = Instant::now();
        let database = TestDatabase::create(label);
        let queue = format!("ihub::clitest::{}", uuid::Uuid::new_v4().simple());
        let dir = tempfile::tempdir().unwrap();
        let (api, port) = Self::api_process(&database, &queue, &dir, redis_url);
        for args in ACME_AND_ADA {
            let out = run(Self::hub(&database, &queue, &dir, redis_url).args(args));
            assert!(out.status.success(), "ihub {args:?}: {}", stderr(&out));
        }
        let cluster = Self {
            workers: Vec::new(),
            api,
            sims: Simulators::start(Accepted::default()).await.expect("simulators start"),
            admin: Admin::sign_in(port).await,
            queue,
            redis_url: redis_url.to_owned(),
            database,
            dir,
            started,
        };
        cluster.sims.seed(people);
        cluster
    }

    /// An `ihub api` on a free port, listening; answers it and the port.
    fn api_process(database: &TestDatabase, queue: &str, dir: &tempfile::TempDir, redis: &str) -> (Running, u16) {
        let port = free_port();
        let mut api = Running::start(Self::hub(database, queue, dir, redis).args([
            "api",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ]));
        tokio::task::block_in_place(|| api.wait_for_log("listening"));
        (api, port)
    }

    /// A new `ihub api` process in place of the current one (killed here if the test has not), on another port;
    /// the admin signs in there.
    pub async fn restart_api(&mut self) {
        if self.api.child.try_wait().unwrap().is_none() {
            self.api.kill();
        }
        let (api, port) = Self::api_process(&self.database, &self.queue, &self.dir, &self.redis_url);
        self.api = api;
        self.admin = Admin::sign_in(port).await;
    }

    /// `ihub` with this cluster's database, Redis queue and secret, in its own working directory.
    fn hub(database: &TestDatabase, queue: &str, dir: &tempfile::TempDir, redis: &str) -> Command {
        let mut cmd = ihub();
        cmd.current_dir(dir.path())
            .env("DATABASE_URL", database.url())
            .env("REDIS_URL", redis)
            .env("IHUB_REDIS_QUEUE", queue)
            .env("IHUB_SECRET_KEY", SECRET)
            .env("NO_COLOR", "1");
        // `IHUB_TEST_LOG=info,ihub_domain=debug` shows more of what the processes did, for a failing test.
        if let Ok(filter) = std::env::var("IHUB_TEST_LOG") {
            cmd.env("IHUB_LOG", filter);
        }
        cmd
    }

    /// Starts an `ihub worker` with these settings and waits until it takes jobs; answers its index.
    pub fn start_worker(&mut self, settings: &[(&str, &str)]) -> usize {
        let mut cmd = Self::hub(&self.database, &self.queue, &self.dir, &self.redis_url);
        cmd.arg("worker").envs(settings.iter().copied());
        let mut worker = Running::start(&mut cmd);
        tokio::task::block_in_place(|| worker.wait_for_log("worker started"));
        self.workers.push(worker);
        self.workers.len() - 1
    }

    /// The cluster's PostgreSQL database, for tests that make or read rows directly.
    pub fn database_url(&self) -> String {
        self.database.url()
    }

    /// Every line the worker logged so far, for assertions and failure messages.
    pub fn worker_log(&mut self, index: usize) -> Vec<String> {
        let worker = &mut self.workers[index];
        while let Ok(line) = worker.lines.try_recv() {
            worker.seen.push(line);
        }
        worker.seen.clone()
    }

    #[track_caller]
    pub fn assert_logged(&mut self, worker: usize, needle: &str) {
        let log = self.worker_log(worker);
        assert!(
            log.iter().any(|l| l.contains(needle)),
            "worker {worker} never logged `{needle}`: {log:#?}"
        );
    }

    /// Polls the run until `done(run)` holds, failing after `within`.
    pub async fn wait_run(&mut self, run: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let current = self.admin.get(&format!("/api/v1/runs/{run}")).await;
            if done(&current) {
                return current;
            }
            if Instant::now() > deadline {
                let logs: Vec<Vec<String>> = (0..self.workers.len()).map(|i| self.worker_log(i)).collect();
                if let Ok(dump) = std::env::var("DEBUG_DUMP") {
                    std::fs::write(dump, logs.concat().join("\n")).unwrap();
                }
                panic!("run never got there: {current}\nworker logs: {logs:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn wait_ended(&mut self, run: &str, within: Duration) -> Value {
        self.wait_run(run, within, |r| {
            ["done", "partial", "failed", "cancelled"].contains(&r["status"].as_str().unwrap())
        })
        .await
    }
}

/// The API of a running hub as its admin ada@example.com calls it.
pub struct Admin {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Admin {
    /// Signs ada in at the hub listening on `port`.
    pub async fn sign_in(port: u16) -> Self {
        let mut admin = Self {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            base: format!("http://127.0.0.1:{port}"),
            token: String::new(),
        };
        let login = admin
            .post(
                "/api/v1/auth/login",
                json!({"email": "ada@example.com", "password": ADA_PASSWORD}),
            )
            .await;
        admin.token = login.expect(200)["access_token"].as_str().unwrap().to_owned();
        admin
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if !self.token.is_empty() {
            request = request.bearer_auth(&self.token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the API answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    pub async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await.expect(200).clone()
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Employment Hero (with the simulator's long-lived token) → SCIM with these integration settings, both
    /// connections tested, enabled.
    pub async fn integration(&self, sims: &Simulators, name: &str, settings: Value) -> String {
        let source = self.connect(employment_hero_connection(sims, name)).await;
        let target = self
            .connect(json!({
                "name": format!("{name}: learning platform"),
                "connector": "scim",
                "settings": {
                    "base_url": sims.scim_base_url(),
                    "requests_per_minute": LOCAL_RATE,
                    "burst": LOCAL_BURST,
                },
                "credentials": {"token": Accepted::default().scim_token},
            }))
            .await;
        self.integration_between(name, &source, &target, settings).await
    }

    /// Creates the connection, tests it (it must connect) and answers its id.
    pub async fn connect(&self, connection: Value) -> String {
        let created = self.post("/api/v1/connections", connection).await;
        let id = created.expect(201)["id"].as_str().unwrap().to_owned();
        let tested = self.post(&format!("/api/v1/connections/{id}/test"), json!({})).await;
        assert_eq!(tested.expect(200)["status"], "connected", "{}", tested.text);
        id
    }

    /// An enabled integration from one connection to another.
    pub async fn integration_between(&self, name: &str, source: &str, target: &str, settings: Value) -> String {
        let integration = self
            .post(
                "/api/v1/integrations",
                json!({
                    "name": name,
                    "kind": "employees_to_users",
                    "source_connection_id": source,
                    "target_connection_id": target,
                    "settings": settings,
                }),
            )
            .await;
        let id = integration.expect(201)["id"].as_str().unwrap().to_owned();
        self.post(&format!("/api/v1/integrations/{id}/enable"), json!({}))
            .await
            .expect(200);
        id
    }

    pub async fn run_now(&self, integration: &str) -> String {
        let run = self
            .post(&format!("/api/v1/integrations/{integration}/run"), json!({}))
            .await;
        assert_eq!(run.expect(202)["status"], "queued", "{}", run.text);
        run.body["id"].as_str().unwrap().to_owned()
    }

    /// Every record line of the run, page by page.
    pub async fn records(&self, run: &str) -> Vec<Value> {
        let (mut lines, mut cursor) = (Vec::new(), String::new());
        loop {
            let page = self.get(&format!("/api/v1/runs/{run}/records?limit=200{cursor}")).await;
            lines.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return lines,
            }
        }
    }
}

/// An Employment Hero connection to these simulators with their long-lived token, unlimited.
pub fn employment_hero_connection(sims: &Simulators, name: &str) -> Value {
    let accepted = Accepted::default();
    json!({
        "name": format!("{name}: Employment Hero"),
        "connector": "employment_hero",
        "settings": {
            "api_base_url": sims.employment_hero_api_base_url(),
            "authorize_url": sims.employment_hero_authorize_url(),
            "token_url": sims.employment_hero_token_url(),
            "organisation_id": accepted.employment_hero_organisation_id,
            "requests_per_minute": LOCAL_RATE,
            "burst": LOCAL_BURST,
        },
        "credentials": {
            "client_id": accepted.employment_hero_client_id,
            "client_secret": accepted.employment_hero_client_secret,
            "access_token": accepted.employment_hero_access_token,
        },
    })
}

/// The SCIM users by externalId, failing on any externalId held twice.
pub fn target_users_once(sims: &Simulators) -> BTreeMap<String, String> {
    let mut users = BTreeMap::new();
    for user in sims.scim_users() {
        let external = user["externalId"].as_str().expect("an externalId").to_owned();
        let id = user["id"].as_str().unwrap().to_owned();
        if let Some(other) = users.insert(external.clone(), id) {
            panic!("{external} exists twice in the target (and as {other})");
        }
    }
    users
}

pub struct Answer {
    status: u16,
    pub body: Value,
    pub text: String,
}

impl Answer {
    #[track_caller]
    pub fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        &self.body
    }
}

/// `ihub serve` on the data directory (SQLite, the embedded job queue), with these settings, until it listens.
/// A data directory for `ihub serve` on SQLite holding the organisation Acme and its admin Ada, made by
/// `ihub admin` (the binary built first).
pub fn sqlite_with_ada() -> tempfile::TempDir {
    ihub_connectors::http::install_crypto_provider();
    drop(ihub());
    let dir = tempfile::tempdir().unwrap();
    for args in ACME_AND_ADA {
        let out = run(ihub().current_dir(dir.path()).args(args));
        assert!(out.status.success(), "ihub {args:?}: {}", stderr(&out));
    }
    dir
}

pub fn serve(dir: &tempfile::TempDir, settings: &[(&str, &str)]) -> (Running, u16) {
    let port = free_port();
    let mut cmd = ihub();
    cmd.current_dir(dir.path())
        .env("NO_COLOR", "1")
        .envs(settings.iter().copied())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")]);
    if let Ok(filter) = std::env::var("IHUB_TEST_LOG") {
        cmd.env("IHUB_LOG", filter);
    }
    let mut hub = Running::start(&mut cmd);
    tokio::task::block_in_place(|| hub.wait_for_log("listening"));
    (hub, port)
}

/// Every SCIM user whose source person names a manager with a user of their own links to that user; nobody else
/// links to anyone.
pub fn assert_manager_links(sims: &Simulators, people: u32, context: &str) {
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let users: BTreeMap<String, serde_json::Map<String, Value>> = sims
        .scim_users()
        .into_iter()
        .map(|u| (u["externalId"].as_str().unwrap().to_owned(), u))
        .collect();
    for i in 0..people {
        let Some(person) = sims.person(i) else { continue };
        let Some(user) = users.get(&sims.employment_hero_employee_id(i)) else {
            continue;
        };
        let manager = person
            .manager
            .filter(|m| *m != i)
            .and_then(|m| users.get(&sims.employment_hero_employee_id(m)))
            .map(|m| m["id"].clone());
        assert_eq!(
            user.get(enterprise)
                .map(|e| e["manager"]["value"].clone())
                .filter(|v| !v.is_null()),
            manager,
            "person {i}'s manager link ({context})"
        );
    }
}

/// A random point between `low` and `high`, printed with how to replay it (`IHUB_KILL_AT`).
pub fn kill_point(low: usize, high: usize) -> usize {
    let at = std::env::var("IHUB_KILL_AT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos();
            low + nanos as usize % (high - low)
        });
    eprintln!("kill -9 once {at} users are in the target (replay with IHUB_KILL_AT={at})");
    at
}
