//! The `ihub` binary as operators use it: subcommands, configuration errors, and a served hub that stops cleanly.
use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The binary of this workspace, built once if a plain `cargo test -p ihub-tests` has not built it yet.
fn ihub() -> Command {
    static BIN: OnceLock<std::path::PathBuf> = OnceLock::new();
    let bin = BIN.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "ihub-api", "--bin", "ihub"])
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .status()
            .expect("cargo runs");
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

#[test]
fn migrate_works_on_postgres() {
    let url = std::env::var("IHUB_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let name = format!(
        "ihub_t_{}_cli_{}",
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
        std::process::id()
    );
    let psql = |sql: &str| {
        let out = Command::new("psql")
            .args([&format!("{url}/postgres"), "-v", "ON_ERROR_STOP=1", "-qc", sql])
            .output()
            .expect("psql runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    };
    psql(&format!("CREATE DATABASE \"{name}\""));
    let dir = tempfile::tempdir().unwrap();
    let db_url = format!("{url}/{name}");
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
    psql(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"));
}

#[test]
fn serve_answers_and_stops_gracefully_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut child = ihub()
        .current_dir(dir.path())
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = Vec::new();
    while !lines.iter().any(|l: &String| l.contains("listening")) {
        assert!(Instant::now() < deadline, "serve did not start: {lines:?}");
        if let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
            lines.push(line);
        }
    }
    let health = std::net::TcpStream::connect(("127.0.0.1", port)).and_then(|mut s| {
        use std::io::{Read, Write};
        s.write_all(b"GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
        let mut response = String::new();
        s.read_to_string(&mut response)?;
        Ok(response)
    });
    let health = health.unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.to_lowercase().contains("x-request-id"), "{health}");

    let pid = child.id().to_string();
    assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "serve did not stop after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "exit status after SIGTERM: {status:?}");
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
        lines.push(line);
    }
    assert!(
        lines.iter().any(|l| l.contains("shutdown signal received")),
        "{lines:?}"
    );
    assert!(lines.iter().any(|l| l.contains("worker stopped")), "{lines:?}");
}
