//! The `ihub` binary as operators use it: subcommands, configuration errors, and a served hub that stops cleanly.
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

mod scaled_out;
mod webhooks;

/// The binary of this workspace, built if a plain `cargo test -p ihub-tests` has not built it yet. The build names the
/// same targets as `just build` and `cargo nextest run --workspace --all-targets`, so cargo unifies features alike
/// and finds nothing to do; `-p ihub` alone would resolve other features and rebuild half the workspace.
fn ihub() -> Command {
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
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("ihub runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_owned()
}

#[test]
fn every_subcommand_has_help() {
    let top = run(ihub().arg("--help"));
    assert!(top.status.success());
    for sub in ["serve", "api", "worker", "migrate", "admin", "openapi"] {
        assert!(stdout(&top).contains(sub), "--help lists {sub}");
        let out = run(ihub().args([sub, "--help"]));
        assert!(out.status.success(), "ihub {sub} --help: {}", stderr(&out));
    }
    for sub in ["create-org", "create-user"] {
        let out = run(ihub().args(["admin", sub, "--help"]));
        assert!(out.status.success());
        assert!(stdout(&out).contains("--"), "{}", stdout(&out));
    }
    let user_help = stdout(&run(ihub().args(["admin", "create-user", "--help"])));
    for flag in ["--org", "--email", "--password", "--role"] {
        assert!(user_help.contains(flag), "{user_help}");
    }
}

#[test]
fn openapi_prints_the_checked_in_document() {
    let out = run(ihub().arg("openapi"));
    assert!(out.status.success());
    let checked_in = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../openapi/openapi.json")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), checked_in);
}

#[test]
fn admin_commands_create_an_organisation_and_users() {
    let dir = tempfile::tempdir().unwrap();
    let org = run(ihub().current_dir(dir.path()).args([
        "admin",
        "create-org",
        "--name",
        "Acme",
        "--timezone",
        "Europe/London",
    ]));
    assert!(org.status.success(), "{}", stderr(&org));
    let org_id = stdout(&org);
    assert!(uuid::Uuid::parse_str(&org_id).is_ok(), "prints the id: {org_id}");
    assert!(
        dir.path().join("data/ihub.db").exists(),
        "SQLite database created in ./data"
    );
    assert!(
        dir.path().join("data/secret.key").exists(),
        "secret generated into the data directory"
    );
    assert!(
        stderr(&org).contains("generated"),
        "the generated secret is announced: {}",
        stderr(&org)
    );

    for (by, email, role) in [
        ("Acme", "ada@example.com", "admin"),
        (org_id.as_str(), "bob@example.com", "support"),
    ] {
        let user = run(ihub().current_dir(dir.path()).args([
            "admin",
            "create-user",
            "--org",
            by,
            "--email",
            email,
            "--password",
            "correct horse battery",
            "--role",
            role,
        ]));
        assert!(user.status.success(), "{}", stderr(&user));
        assert!(uuid::Uuid::parse_str(&stdout(&user)).is_ok());
    }
    // The secret is generated once, not on every start.
    let again = run(ihub()
        .current_dir(dir.path())
        .args(["admin", "create-org", "--name", "Globex"]));
    assert!(!stderr(&again).contains("generated"), "{}", stderr(&again));

    let duplicate = run(ihub()
        .current_dir(dir.path())
        .args(["admin", "create-org", "--name", "Acme"]));
    assert!(!duplicate.status.success());
    assert!(stderr(&duplicate).contains("already exists"), "{}", stderr(&duplicate));
    let bad_tz = run(ihub().current_dir(dir.path()).args([
        "admin",
        "create-org",
        "--name",
        "Initech",
        "--timezone",
        "Mars/Base",
    ]));
    assert!(!bad_tz.status.success());
    assert!(stderr(&bad_tz).contains("--timezone"), "{}", stderr(&bad_tz));
    let no_org = run(ihub().current_dir(dir.path()).args([
        "admin",
        "create-user",
        "--org",
        "Nope",
        "--email",
        "c@example.com",
        "--password",
        "correct horse battery",
        "--role",
        "admin",
    ]));
    assert!(!no_org.status.success());
    assert!(stderr(&no_org).contains("--org"), "{}", stderr(&no_org));
    let short = run(ihub().current_dir(dir.path()).args([
        "admin",
        "create-user",
        "--org",
        "Acme",
        "--email",
        "c@example.com",
        "--password",
        "short",
        "--role",
        "admin",
    ]));
    assert!(stderr(&short).contains("--password"), "{}", stderr(&short));
    let bad_role = run(ihub().current_dir(dir.path()).args([
        "admin",
        "create-user",
        "--org",
        "Acme",
        "--email",
        "c@example.com",
        "--password",
        "correct horse battery",
        "--role",
        "owner",
    ]));
    assert!(!bad_role.status.success());
}

#[test]
fn bad_configuration_fails_with_one_line_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value, expected) in [
        ("IHUB_ENVIRONMENT", "moon", "IHUB_ENVIRONMENT"),
        ("IHUB_LISTEN", "everywhere", "IHUB_LISTEN"),
        ("IHUB_SECRET_KEY", "short", "IHUB_SECRET_KEY"),
        ("DATABASE_URL", "mysql://x", "DATABASE_URL"),
        ("REDIS_URL", "http://x", "REDIS_URL"),
        ("IHUB_LOG_FORMAT", "xml", "IHUB_LOG_FORMAT"),
    ] {
        let out = run(ihub().current_dir(dir.path()).env(key, value).arg("migrate"));
        assert!(!out.status.success(), "{key}={value} should fail");
        let err = stderr(&out);
        let last = err.lines().last().unwrap_or_default();
        assert!(
            last.starts_with("ihub: configuration error") && last.contains(expected),
            "{key}: {err}"
        );
    }
    let out = run(ihub()
        .current_dir(dir.path())
        .args(["--config", "missing.toml", "migrate"]));
    assert!(stderr(&out).contains("missing.toml"));
    // A config file is read too.
    std::fs::write(dir.path().join("ihub.toml"), "environment = \"mars\"\n").unwrap();
    let out = run(ihub().current_dir(dir.path()).arg("migrate"));
    assert!(stderr(&out).contains("IHUB_ENVIRONMENT"), "{}", stderr(&out));
}

/// A fresh PostgreSQL database for one test, dropped when the test ends (also when it fails).
struct TestDatabase {
    server: String,
    name: String,
}

impl TestDatabase {
    fn create(label: &str) -> Self {
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

    fn url(&self) -> String {
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

#[test]
fn migrate_works_on_postgres() {
    let database = TestDatabase::create("cli");
    let dir = tempfile::tempdir().unwrap();
    let db_url = database.url();
    let secret = "a-shared-secret-for-all-processes-0123456789";
    let out = run(ihub()
        .current_dir(dir.path())
        .env("DATABASE_URL", &db_url)
        .env("IHUB_SECRET_KEY", secret)
        .arg("migrate"));
    assert!(out.status.success(), "{}", stderr(&out));
    // Twice is fine.
    let out = run(ihub()
        .current_dir(dir.path())
        .env("DATABASE_URL", &db_url)
        .env("IHUB_SECRET_KEY", secret)
        .arg("migrate"));
    assert!(out.status.success(), "{}", stderr(&out));
    let org = run(ihub()
        .current_dir(dir.path())
        .env("DATABASE_URL", &db_url)
        .env("IHUB_SECRET_KEY", secret)
        .args(["admin", "create-org", "--name", "Acme"]));
    assert!(org.status.success(), "{}", stderr(&org));
    assert!(
        !dir.path().join("data/ihub.db").exists(),
        "no SQLite file when PostgreSQL is configured"
    );
}

/// A running `ihub` process whose log lines are collected as they come.
struct Running {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
}

impl Running {
    fn start(cmd: &mut Command) -> Self {
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

    fn wait_for_log(&mut self, needle: &str) {
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
    fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then the exit status and every line logged.
    fn terminate(&mut self) -> (std::process::ExitStatus, Vec<String>) {
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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A plain HTTP/1.1 exchange, so the CLI tests need no HTTP client.
fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> String {
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

#[test]
fn serve_answers_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut hub =
        Running::start(
            ihub()
                .current_dir(dir.path())
                .args(["serve", "--listen", &format!("127.0.0.1:{port}")]),
        );
    hub.wait_for_log("listening");
    let health = http(port, "GET", "/readyz", None);
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.to_lowercase().contains("x-request-id"), "{health}");
    let (status, lines) = hub.terminate();
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    assert!(
        lines.iter().any(|l| l.contains("shutdown signal received")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("worker stopped")), "{lines:?}");
}

fn redis_url() -> String {
    std::env::var("IHUB_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

const ADA_PASSWORD: &str = "correct horse battery";

/// The `ihub admin` commands that make the organisation Acme and its admin ada@example.com.
const ACME_AND_ADA: [&[&str]; 2] = [
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

/// The scaled-out shape: separate API and worker processes sharing PostgreSQL and Redis.
#[test]
fn api_and_worker_run_apart_on_postgres_and_redis() {
    let redis = redis_url();
    let database = TestDatabase::create("roles");
    let (api_dir, worker_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let database_url = database.url();
    let env = |cmd: &mut Command| {
        cmd.env("DATABASE_URL", &database_url)
            .env("REDIS_URL", &redis)
            .env("IHUB_SECRET_KEY", "a-shared-secret-for-all-processes-0123456789");
    };
    let port = free_port();
    let mut api = {
        let mut cmd = ihub();
        env(cmd
            .current_dir(api_dir.path())
            .args(["api", "--listen", &format!("127.0.0.1:{port}")]));
        Running::start(&mut cmd)
    };
    let mut worker = {
        let mut cmd = ihub();
        env(cmd.current_dir(worker_dir.path()).arg("worker"));
        Running::start(&mut cmd)
    };
    api.wait_for_log("listening");
    worker.wait_for_log("worker started");
    let ready = http(port, "GET", "/readyz", None);
    assert!(
        ready.starts_with("HTTP/1.1 200") && ready.contains(r#""queue":"ok""#),
        "{ready}"
    );

    // An operator command from a third place acts on the same database the API serves.
    for args in ACME_AND_ADA {
        let mut create = ihub();
        env(create.current_dir(worker_dir.path()).args(args));
        assert!(run(&mut create).status.success());
    }
    let login = http(
        port,
        "POST",
        "/api/v1/auth/login",
        Some(&format!(r#"{{"email":"ada@example.com","password":"{ADA_PASSWORD}"}}"#)),
    );
    assert!(
        login.starts_with("HTTP/1.1 200") && login.contains("access_token"),
        "{login}"
    );
    assert!(!api_dir.path().join("data/ihub.db").exists() && !worker_dir.path().join("data/ihub.db").exists());

    let (api_status, _) = api.terminate();
    let (worker_status, worker_lines) = worker.terminate();
    assert!(api_status.success() && worker_status.success());
    assert!(worker_lines.iter().any(|l| l.contains("redis")), "{worker_lines:?}");
}
