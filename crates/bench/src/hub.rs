//! The hub under test: a release `ihub` process started with only the environment the benchmark gives it, the
//! admin commands run against the same database, and a small client of its HTTP API.
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use ihub_simulators::{Accepted, Simulators};
use serde_json::{Value, json};

/// Where the hub keeps its data and how it is configured; the same for `ihub admin …` and `ihub serve`.
#[derive(Debug, Clone)]
pub struct HubConfig {
    pub ihub: PathBuf,
    /// Every variable the hub's processes get (nothing is inherited but `PATH`).
    pub env: Vec<(String, String)>,
    pub port: u16,
}

pub const EMAIL: &str = "bench@example.com";
const PASSWORD: &str = "benchmark passphrase, long enough";
const ORGANISATION: &str = "Benchmark";

impl HubConfig {
    pub fn new(ihub: &Path, data_dir: &Path, extra: Vec<(String, String)>) -> Result<Self> {
        let port = free_port()?;
        let secret: String = uuid::Uuid::new_v4().simple().to_string() + &uuid::Uuid::new_v4().simple().to_string();
        let mut env = vec![
            ("IHUB_DATA_DIR".to_owned(), data_dir.display().to_string()),
            ("IHUB_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
            ("IHUB_PUBLIC_URL".to_owned(), format!("http://127.0.0.1:{port}")),
            ("IHUB_SECRET_KEY".to_owned(), secret),
            ("IHUB_LOG".to_owned(), "info".to_owned()),
            // The simulators listen on loopback.
            ("IHUB_ALLOW_PRIVATE_NETWORKS".to_owned(), "true".to_owned()),
        ];
        env.extend(extra);
        Ok(Self {
            ihub: ihub.to_owned(),
            env,
            port,
        })
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn command(&self, args: &[&str]) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(&self.ihub);
        cmd.args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .kill_on_drop(true);
        cmd
    }

    /// The environment as a shell prefix, with the secret left out, for the report.
    pub fn shown(&self, args: &str) -> String {
        let vars: Vec<String> = self
            .env
            .iter()
            .map(|(k, v)| match k.as_str() {
                "IHUB_SECRET_KEY" => format!("{k}=<48 random chars>"),
                "IHUB_DATA_DIR" => format!("{k}=<fresh temp dir>"),
                "IHUB_LISTEN" => format!("{k}=127.0.0.1:<free port>"),
                "IHUB_PUBLIC_URL" => format!("{k}=http://127.0.0.1:<free port>"),
                _ => format!("{k}={v}"),
            })
            .collect();
        format!("{} {} {args}", vars.join(" "), self.ihub.display())
    }

    /// `ihub admin create-org` and `create-user`, as an operator would.
    pub async fn create_admin(&self) -> Result<()> {
        for args in [
            vec!["admin", "create-org", "--name", ORGANISATION],
            vec![
                "admin",
                "create-user",
                "--org",
                ORGANISATION,
                "--email",
                EMAIL,
                "--password",
                PASSWORD,
                "--role",
                "admin",
            ],
        ] {
            let out = self.command(&args).output().await.context("running ihub admin")?;
            if !out.status.success() {
                bail!(
                    "ihub {} failed: {}",
                    args[..2].join(" "),
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
        }
        Ok(())
    }

    /// Starts `ihub <role>` with its output in `log`, and waits until it answers `/readyz` (or, for a worker,
    /// only that it runs).
    pub async fn start(&self, role: &str, log: &Path) -> Result<HubProcess> {
        let file = std::fs::File::create(log).with_context(|| format!("creating {}", log.display()))?;
        let child = self
            .command(&[role])
            .stdout(Stdio::from(file.try_clone()?))
            .stderr(Stdio::from(file))
            .spawn()
            .with_context(|| format!("starting {} (build it with cargo build --release)", self.ihub.display()))?;
        let pid = child.id().ok_or_else(|| anyhow!("ihub exited at once"))?;
        let mut process = HubProcess {
            child,
            pid,
            log: log.to_owned(),
        };
        if role != "worker" {
            process.wait_ready(&self.base_url()).await?;
        }
        Ok(process)
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

pub struct HubProcess {
    child: tokio::process::Child,
    pub pid: u32,
    pub log: PathBuf,
}

impl HubProcess {
    async fn wait_ready(&mut self, base: &str) -> Result<()> {
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait()? {
                bail!(
                    "ihub exited with {status} before it was ready; see {}",
                    self.log.display()
                );
            }
            if let Ok(r) = http.get(format!("{base}/readyz")).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!("ihub not ready after 120 s; see {}", self.log.display());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// SIGTERM, as an operator stops it, and a kill if it has not stopped within 30 s.
    pub async fn stop(mut self) {
        let _ = tokio::process::Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status()
            .await;
        if tokio::time::timeout(Duration::from_secs(30), self.child.wait())
            .await
            .is_err()
        {
            let _ = self.child.kill().await;
        }
    }
}

/// A signed-in administrator's client of the HTTP API; signs in again when the access token expires.
pub struct Api {
    http: reqwest::Client,
    base: String,
    token: tokio::sync::RwLock<String>,
}

impl Api {
    pub async fn login(base: &str) -> Result<Self> {
        let api = Self {
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?,
            base: base.to_owned(),
            token: tokio::sync::RwLock::new(String::new()),
        };
        api.sign_in().await?;
        Ok(api)
    }

    async fn sign_in(&self) -> Result<()> {
        let answer = self
            .http
            .post(format!("{}/api/v1/auth/login", self.base))
            .json(&json!({"email": EMAIL, "password": PASSWORD}))
            .send()
            .await?;
        let status = answer.status();
        let body: Value = answer.json().await.unwrap_or(Value::Null);
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| anyhow!("login answered {status}: {body}"))?;
        *self.token.write().await = token.to_owned();
        Ok(())
    }

    async fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Result<(u16, Value)> {
        for attempt in 0..2 {
            let token = self.token.read().await.clone();
            let mut request = self
                .http
                .request(method.clone(), format!("{}{path}", self.base))
                .bearer_auth(token);
            if let Some(body) = body {
                request = request.json(body);
            }
            let answer = request.send().await.with_context(|| format!("{method} {path}"))?;
            let status = answer.status().as_u16();
            if status == 401 && attempt == 0 {
                self.sign_in().await?;
                continue;
            }
            let text = answer.text().await?;
            return Ok((status, serde_json::from_str(&text).unwrap_or(Value::String(text))));
        }
        unreachable!("the second attempt returns")
    }

    /// Calls the API and insists on `expected`.
    pub async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        expected: u16,
    ) -> Result<Value> {
        let (status, answer) = self.send(method.clone(), path, body).await?;
        if status != expected {
            bail!("{method} {path} answered {status}, not {expected}: {answer}");
        }
        Ok(answer)
    }

    pub async fn post(&self, path: &str, body: &Value, expected: u16) -> Result<Value> {
        self.expect(reqwest::Method::POST, path, Some(body), expected).await
    }

    pub async fn get(&self, path: &str) -> Result<Value> {
        self.expect(reqwest::Method::GET, path, None, 200).await
    }

    /// Starts a full run of the integration; answers the run's id.
    pub async fn start_full_run(&self, integration: &str) -> Result<String> {
        let run = self
            .post(
                &format!("/api/v1/integrations/{integration}/run"),
                &json!({"full": true}),
                202,
            )
            .await?;
        Ok(run["id"].as_str().unwrap_or_default().to_owned())
    }
}

/// The rate limits the benchmark gives the connections; the connectors' own defaults (a few requests a second)
/// would make it measure the rate limiter.
pub const RATE_LIMITS: [(u32, u32); 2] = [(6_000_000, 10_000), (100_000, 10_000)];

/// As `tests/api/sync.rs` `enabled_integration`: an Employment Hero source with the simulator's long-lived
/// token, a SCIM target, both tested, and an enabled integration between them, with the connections' rate limits
/// raised as far as their settings allow. Answers the integration's id and the limit that was accepted.
pub async fn enabled_integration(api: &Api, sims: &Simulators) -> Result<(String, (u32, u32))> {
    integration_to(api, sims, true).await
}

/// As `enabled_integration`; with `raise_target_limit` false the SCIM connection keeps its connector's default
/// limit, and only the source's is raised.
pub async fn integration_to(api: &Api, sims: &Simulators, raise_target_limit: bool) -> Result<(String, (u32, u32))> {
    let accepted = Accepted::default();
    let mut last_refusal = String::new();
    for (per_minute, burst) in RATE_LIMITS {
        let source = json!({
            "name": "Employment Hero",
            "connector": "employment_hero",
            "settings": {
                "api_base_url": sims.employment_hero_api_base_url(),
                "authorize_url": sims.employment_hero_authorize_url(),
                "token_url": sims.employment_hero_token_url(),
                "organisation_id": accepted.employment_hero_organisation_id,
                "requests_per_minute": per_minute,
                "burst": burst,
            },
            "credentials": {
                "client_id": accepted.employment_hero_client_id,
                "client_secret": accepted.employment_hero_client_secret,
                "access_token": accepted.employment_hero_access_token,
            },
        });
        let target_settings = if raise_target_limit {
            json!({"base_url": sims.scim_base_url(), "requests_per_minute": per_minute, "burst": burst})
        } else {
            json!({"base_url": sims.scim_base_url()})
        };
        let target = json!({
            "name": "Learning platform",
            "connector": "scim",
            "settings": target_settings,
            "credentials": {"token": accepted.scim_token},
        });
        let (status, answer) = api
            .send(reqwest::Method::POST, "/api/v1/connections", Some(&source))
            .await?;
        if status == 422 {
            last_refusal = answer.to_string();
            continue;
        }
        if status != 201 {
            bail!("creating the source answered {status}: {answer}");
        }
        let source = answer;
        let target = api.post("/api/v1/connections", &target, 201).await?;
        for connection in [&source, &target] {
            let id = connection["id"].as_str().unwrap_or_default();
            let tested = api
                .post(&format!("/api/v1/connections/{id}/test"), &json!({}), 200)
                .await?;
            if tested["status"] != "connected" {
                bail!("connection {} did not connect: {tested}", connection["name"]);
            }
        }
        let integration = api
            .post(
                "/api/v1/integrations",
                &json!({
                    "name": "EH → LMS",
                    "kind": "employees_to_users",
                    "source_connection_id": source["id"],
                    "target_connection_id": target["id"],
                    "settings": {},
                }),
                201,
            )
            .await?;
        let id = integration["id"].as_str().unwrap_or_default().to_owned();
        api.post(&format!("/api/v1/integrations/{id}/enable"), &json!({}), 200)
            .await?;
        return Ok((id, (per_minute, burst)));
    }
    bail!("no rate limit was accepted: {last_refusal}")
}

/// A hub process of its own on `backend` (`ihub serve`; on PostgreSQL with a fresh database and a Redis queue of
/// its own) with an admin signed in, for the benchmarks that measure one hub at a time.
pub struct Served {
    pub backend: crate::Backend,
    pub process: HubProcess,
    pub api: Api,
    pub database: crate::sync::Database,
    dir: tempfile::TempDir,
    queue: String,
}

impl Served {
    /// `extra` are settings beside the database's (`IHUB_*`).
    pub async fn start(
        backend: crate::Backend,
        args: &crate::Args,
        work: &Path,
        label: &str,
        extra: &[(&str, &str)],
    ) -> Result<Self> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("ihub-bench-{label}-{}-", backend.name()))
            .tempdir_in(work)?;
        let database = crate::sync::Database::create(backend, args).await?;
        let queue = format!(
            "ihub-bench-{label}::{}",
            &uuid::Uuid::new_v4().simple().to_string()[..8]
        );
        let mut env: Vec<(String, String)> = extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        if let Some(url) = database.url(args) {
            env.push(("DATABASE_URL".to_owned(), url));
            env.push(("REDIS_URL".to_owned(), args.redis_url.clone()));
            env.push(("IHUB_REDIS_QUEUE".to_owned(), queue.clone()));
        }
        let started = async {
            let config = HubConfig::new(&args.ihub, &dir.path().join("data"), env)?;
            config.create_admin().await?;
            let process = config.start("serve", &dir.path().join("hub.log")).await?;
            let api = Api::login(&config.base_url()).await?;
            Ok::<_, anyhow::Error>((process, api))
        }
        .await;
        match started {
            Ok((process, api)) => Ok(Self {
                backend,
                process,
                api,
                database,
                dir,
                queue,
            }),
            Err(e) => {
                database.drop_now().await;
                eprintln!("hub data and log kept in {}", dir.keep().display());
                Err(e)
            }
        }
    }

    /// One number from the hub's database, read beside it (`SELECT COUNT(*) …`).
    pub async fn scalar(&self, args: &crate::Args, query: &str) -> Option<i64> {
        use sqlx::Connection;
        match self.database.url(args) {
            Some(url) => {
                let mut conn = sqlx::PgConnection::connect(&url).await.ok()?;
                sqlx::query_scalar(sqlx::AssertSqlSafe(query.to_owned()))
                    .fetch_one(&mut conn)
                    .await
                    .ok()
            }
            None => {
                let path = self.dir.path().join("data/ihub.db");
                let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}?mode=ro", path.display()))
                    .await
                    .ok()?;
                sqlx::query_scalar(sqlx::AssertSqlSafe(query.to_owned()))
                    .fetch_one(&mut conn)
                    .await
                    .ok()
            }
        }
    }

    /// Stops the hub, drops its database and queue; keeps its directory when asked or when `failed`.
    pub async fn stop(self, args: &crate::Args, failed: bool) {
        self.process.stop().await;
        self.database.drop_now().await;
        if self.backend == crate::Backend::Postgres {
            crate::jobs::forget_queue(&args.redis_url, &self.queue).await;
        }
        if failed || args.keep {
            eprintln!("hub data and log kept in {}", self.dir.keep().display());
        }
    }
}
