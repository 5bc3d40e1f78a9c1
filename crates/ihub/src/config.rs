//! Configuration: defaults that need nothing, then an optional TOML file, then `IHUB_*` variables (and the
//! conventional `DATABASE_URL` / `REDIS_URL`). Validated once at start; a bad value stops the process with one
//! line naming the setting.
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use ihub_domain::Environment;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Holds the SQLite database and the generated secret key.
    pub data_dir: PathBuf,
    /// `postgres://…` to scale out; SQLite in `data_dir` when unset.
    pub database_url: Option<String>,
    /// `redis://…` for the shared job queue; the embedded queue when unset.
    pub redis_url: Option<String>,
    /// The queue's name in Redis: hubs sharing one Redis need one each.
    pub redis_queue: String,
    pub listen: String,
    /// Where `ihub worker` answers `/healthz` and `/readyz` (nothing else); no listener when unset.
    pub worker_listen: Option<String>,
    /// The address browsers and providers reach this hub at (OAuth redirects come back here); `http://<listen>`
    /// when unset.
    pub public_url: Option<String>,
    /// Seals credentials and signs tokens. Generated into `data_dir/secret.key` when unset.
    pub secret_key: Option<String>,
    pub environment: Environment,
    /// Where the built SPA lives; found next to the working directory or the binary when unset.
    pub web_dir: Option<PathBuf>,
    pub max_body_bytes: usize,
    pub login_attempts_per_email_per_minute: u32,
    pub login_attempts_per_ip_per_minute: u32,
    /// Runs one worker process executes at once.
    pub worker_runs_at_once: usize,
    /// Records one run writes at once.
    pub sync_concurrency: usize,
    /// How often a worker's reconciler and scheduler look at the database.
    pub worker_tick_ms: u64,
    /// How often a running run says it is alive.
    pub heartbeat_ms: u64,
    /// A running run silent this long is resumed by another worker.
    pub stuck_after_secs: u64,
    /// A queued run not taken this long is pushed to the queue again.
    pub requeue_after_secs: u64,
    /// First wait before a failed run is tried again (doubling, with jitter).
    pub run_retry_base_secs: u64,
    /// Inbound-queue processors per worker process.
    pub queue_processors: usize,
    /// How often an idle inbound-queue processor looks for due items.
    pub queue_pass_ms: u64,
    /// Record lines are kept for each integration's last this many runs…
    pub records_keep_runs: u64,
    /// …and for this many days, whichever keeps more.
    pub records_keep_days: u32,
    /// Lets connections reach private, loopback and link-local addresses and plain http hosts: for a hub whose
    /// systems are all inside its own network, local development and the simulators.
    pub allow_private_networks: bool,
    /// Host names, IP addresses or networks (`10.1.0.0/16`) connections may reach although private, over http
    /// too; a comma-separated list in `IHUB_ALLOWED_HOSTS`.
    #[serde(deserialize_with = "list_or_commas")]
    pub allowed_hosts: Vec<String>,
    /// Schedules one integration may have.
    pub schedules_per_integration: u64,
}

/// A list from TOML, or the comma-separated text an environment variable holds.
fn list_or_commas<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        List(Vec<String>),
        Text(String),
    }
    Ok(match Either::deserialize(deserializer)? {
        Either::List(list) => list,
        Either::Text(text) => text
            .split(',')
            .map(str::trim)
            .filter(|h| !h.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

impl Default for Config {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./data"),
            database_url: None,
            redis_url: None,
            redis_queue: ihub_worker::job_queue::REDIS_QUEUE.into(),
            listen: "127.0.0.1:8080".into(),
            worker_listen: None,
            public_url: None,
            secret_key: None,
            environment: Environment::Production,
            web_dir: None,
            max_body_bytes: 256 * 1024,
            login_attempts_per_email_per_minute: 10,
            login_attempts_per_ip_per_minute: 60,
            worker_runs_at_once: ihub_worker::settings::RUNS_AT_ONCE,
            sync_concurrency: 32,
            worker_tick_ms: 5_000,
            heartbeat_ms: 5_000,
            stuck_after_secs: 60,
            requeue_after_secs: 120,
            run_retry_base_secs: 30,
            queue_processors: 2,
            queue_pass_ms: 1_000,
            records_keep_runs: 100,
            records_keep_days: 30,
            allow_private_networks: false,
            allowed_hosts: Vec::new(),
            schedules_per_integration: ihub_domain::hub::Quotas::default().schedules_per_integration,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

const MIN_SECRET_CHARS: usize = 32;

impl Config {
    /// `file` is `--config`; without it `IHUB_CONFIG`, then `./ihub.toml` if present.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let file = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("IHUB_CONFIG").map(PathBuf::from))
            .or_else(|| Path::new("ihub.toml").exists().then(|| PathBuf::from("ihub.toml")));
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = &file {
            if !file.exists() {
                return Err(ConfigError(format!("config file {} does not exist", file.display())));
            }
            figment = figment.merge(Toml::file(file));
        }
        let keys = Self::keys();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        let config: Config = figment
            .merge(Env::raw().only(&["DATABASE_URL", "REDIS_URL"]))
            // Only our own settings: other IHUB_* variables (IHUB_LOG, test and tooling variables) are not config.
            .merge(Env::prefixed("IHUB_").only(&keys))
            .extract()
            .map_err(|e| ConfigError(describe(e)))?;
        config.validate()?;
        Ok(config)
    }

    /// The setting names, from the type itself so a new field is configurable from the environment at once.
    fn keys() -> Vec<String> {
        match serde_json::to_value(Config::default()) {
            Ok(serde_json::Value::Object(map)) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    fn validate(&self) -> Result<(), ConfigError> {
        self.listen_addr()?;
        self.worker_listen_addr()?;
        if let Some(url) = &self.database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite:"))
        {
            return Err(ConfigError(
                "DATABASE_URL must start with postgres:// or sqlite:".into(),
            ));
        }
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return Err(ConfigError("REDIS_URL must start with redis:// or rediss://".into()));
        }
        if let Some(secret) = &self.secret_key
            && secret.chars().count() < MIN_SECRET_CHARS
        {
            return Err(ConfigError(format!(
                "IHUB_SECRET_KEY must be at least {MIN_SECRET_CHARS} characters"
            )));
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            return Err(ConfigError("IHUB_PUBLIC_URL must be an http:// or https:// URL".into()));
        }
        for (name, value) in [
            ("IHUB_WORKER_RUNS_AT_ONCE", self.worker_runs_at_once as u64),
            ("IHUB_SYNC_CONCURRENCY", self.sync_concurrency as u64),
            ("IHUB_WORKER_TICK_MS", self.worker_tick_ms),
            ("IHUB_HEARTBEAT_MS", self.heartbeat_ms),
            ("IHUB_STUCK_AFTER_SECS", self.stuck_after_secs),
            ("IHUB_REQUEUE_AFTER_SECS", self.requeue_after_secs),
            ("IHUB_QUEUE_PASS_MS", self.queue_pass_ms),
            ("IHUB_RECORDS_KEEP_RUNS", self.records_keep_runs),
            ("IHUB_RECORDS_KEEP_DAYS", u64::from(self.records_keep_days)),
            ("IHUB_SCHEDULES_PER_INTEGRATION", self.schedules_per_integration),
        ] {
            if value == 0 {
                return Err(ConfigError(format!("{name} must be at least 1")));
            }
        }
        if self.stuck_after_secs * 1000 <= self.heartbeat_ms {
            return Err(ConfigError(
                "IHUB_STUCK_AFTER_SECS must be longer than IHUB_HEARTBEAT_MS, or every run looks stuck".into(),
            ));
        }
        self.egress()?;
        if self.max_body_bytes < 1024 {
            return Err(ConfigError("IHUB_MAX_BODY_BYTES must be at least 1024".into()));
        }
        Ok(())
    }

    pub fn listen_addr(&self) -> Result<SocketAddr, ConfigError> {
        self.listen.parse().map_err(|_| {
            ConfigError(format!(
                "IHUB_LISTEN `{}` is not an address like 127.0.0.1:8080",
                self.listen
            ))
        })
    }

    pub fn worker_listen_addr(&self) -> Result<Option<SocketAddr>, ConfigError> {
        self.worker_listen
            .as_deref()
            .map(|listen| {
                listen.parse().map_err(|_| {
                    ConfigError(format!(
                        "IHUB_WORKER_LISTEN `{listen}` is not an address like 127.0.0.1:8081"
                    ))
                })
            })
            .transpose()
    }

    pub fn worker_settings(&self) -> ihub_worker::WorkerSettings {
        use ihub_worker::settings::{
            InboundSettings, ReconcilerSettings, RetentionSettings, RunSettings, SchedulerSettings,
        };
        use std::time::Duration;
        let tick = Duration::from_millis(self.worker_tick_ms);
        ihub_worker::WorkerSettings {
            runs: RunSettings {
                at_once: self.worker_runs_at_once,
                sync: ihub_domain::runs::sync::Options {
                    concurrency: self.sync_concurrency,
                    heartbeat: Duration::from_millis(self.heartbeat_ms),
                    retry_base: Duration::from_secs(self.run_retry_base_secs),
                    ..Default::default()
                },
                ..Default::default()
            },
            scheduler: SchedulerSettings { tick },
            reconciler: ReconcilerSettings {
                tick,
                requeue_after: Duration::from_secs(self.requeue_after_secs),
                stuck_after: Duration::from_secs(self.stuck_after_secs),
            },
            inbound: InboundSettings {
                processors: self.queue_processors,
                pass: Duration::from_millis(self.queue_pass_ms),
                ..Default::default()
            },
            retention: RetentionSettings {
                policy: ihub_domain::runs::retention::Policy {
                    keep_runs: self.records_keep_runs,
                    keep_days: self.records_keep_days,
                    ..Default::default()
                },
                ..Default::default()
            },
        }
    }

    /// Where connections may send requests (`ihub_connectors::egress`).
    pub fn egress(&self) -> Result<ihub_connectors::egress::Egress, ConfigError> {
        ihub_connectors::egress::Egress::new(self.allow_private_networks, &self.allowed_hosts)
            .map_err(|e| ConfigError(format!("IHUB_ALLOWED_HOSTS: {e}")))
    }

    pub fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.listen))
            .trim_end_matches('/')
            .to_owned()
    }

    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}?mode=rwc", self.data_dir.join("ihub.db").display()))
    }

    /// The configured secret, or the one generated into the data directory on first start.
    pub fn secret(&self) -> Result<Vec<u8>, ConfigError> {
        if let Some(secret) = &self.secret_key {
            return Ok(secret.as_bytes().to_vec());
        }
        let path = self.data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing.trim().len() >= MIN_SECRET_CHARS => Ok(existing.trim().as_bytes().to_vec()),
            Ok(_) => Err(ConfigError(format!(
                "{} is too short to be a secret key",
                path.display()
            ))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let generated = ihub_domain::secrets::random_token(32);
                write_private(&path, &generated)
                    .map_err(|e| ConfigError(format!("cannot write {}: {e}", path.display())))?;
                tracing::warn!(
                    path = %path.display(),
                    "no IHUB_SECRET_KEY configured: generated one; back it up, since stored credentials cannot be read without it"
                );
                Ok(generated.into_bytes())
            }
            Err(e) => Err(ConfigError(format!("cannot read {}: {e}", path.display()))),
        }
    }

    pub fn ensure_data_dir(&self) -> Result<(), ConfigError> {
        std::fs::create_dir_all(&self.data_dir).map_err(|e| {
            ConfigError(format!(
                "IHUB_DATA_DIR {} cannot be created: {e}",
                self.data_dir.display()
            ))
        })
    }
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(contents.as_bytes())
}

/// Figment names the key; we name it the way the operator wrote it.
fn describe(error: figment::Error) -> String {
    let key = error.path.join(".");
    let setting = match key.as_str() {
        "" => String::new(),
        "database_url" => "DATABASE_URL".into(),
        "redis_url" => "REDIS_URL".into(),
        other => format!("IHUB_{}", other.to_uppercase()),
    };
    let kind = error.kind.to_string();
    if setting.is_empty() {
        kind
    } else {
        format!("{setting}: {kind}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::result_large_err)] // figment's own test-jail signature
    fn defaults_need_nothing_and_bad_values_name_the_setting() {
        figment::Jail::expect_with(|jail| {
            let config = Config::load(None).expect("defaults load");
            assert_eq!(config.listen, "127.0.0.1:8080");
            assert!(config.database_url().starts_with("sqlite://./data/ihub.db"));

            // Variables that are not settings are left alone.
            jail.set_env("IHUB_LOG", "debug");
            jail.set_env("IHUB_TEST_POSTGRES_URL", "postgres://elsewhere");
            Config::load(None).expect("unrelated IHUB_ variables are ignored");

            jail.set_env("IHUB_ENVIRONMENT", "staging");
            jail.set_env("DATABASE_URL", "postgres://localhost/x");
            let config = Config::load(None).expect("environment loads");
            assert_eq!(config.environment, Environment::Staging);
            assert_eq!(config.database_url(), "postgres://localhost/x");

            jail.set_env("IHUB_ENVIRONMENT", "moon");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("IHUB_ENVIRONMENT"), "{err}");

            jail.set_env("IHUB_ENVIRONMENT", "production");
            jail.set_env("IHUB_LISTEN", "not an address");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("IHUB_LISTEN"), "{err}");

            jail.set_env("IHUB_LISTEN", "127.0.0.1:9000");
            jail.set_env("IHUB_WORKER_LISTEN", "nowhere");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("IHUB_WORKER_LISTEN"), "{err}");

            jail.set_env("IHUB_WORKER_LISTEN", "127.0.0.1:9001");
            jail.set_env("IHUB_MAX_BODY_BYTES", "lots");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("IHUB_MAX_BODY_BYTES"), "{err}");

            jail.set_env("IHUB_MAX_BODY_BYTES", "262144");
            jail.set_env("IHUB_RECORDS_KEEP_DAYS", "0");
            let err = Config::load(None).unwrap_err().to_string();
            assert!(err.contains("IHUB_RECORDS_KEEP_DAYS"), "{err}");
            jail.set_env("IHUB_RECORDS_KEEP_DAYS", "7");
            jail.set_env("IHUB_RECORDS_KEEP_RUNS", "20");
            let retention = Config::load(None).expect("retention loads").worker_settings().retention;
            assert_eq!((retention.policy.keep_runs, retention.policy.keep_days), (20, 7));
            Ok(())
        });
    }
}
