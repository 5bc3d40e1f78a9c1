//! The `ihub` binary as operators use it: subcommands, configuration errors, and a served hub that stops cleanly.
use std::process::Command;

mod backlog;
mod harness;
mod rate_limits;
mod scaled_out;
mod security;
mod serve_sync;
mod webhooks;

use harness::{
    ACME_AND_ADA, ADA_PASSWORD, Running, TestDatabase, free_port, http, ihub, redis_url, run, stderr, stdout,
};

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
