//! Turning configuration into running parts: the shared `Hub`, the queue, the HTTP server, the worker.
use std::sync::Arc;

use ihub_domain::accounts::auth::TokenSettings;
use ihub_domain::job_queue::JobQueue;
use ihub_domain::secrets::Keys;
use ihub_domain::{Hub, database};
use ihub_worker::WorkerQueue;

use crate::config::{Config, ConfigError};
use ihub_api::app::{self, AppContext};
use ihub_api::state::{Limits, LoginLimiter, OAuthCallback};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("database: {0}")]
    Database(#[from] ihub_domain::database::DbErr),
    #[error(transparent)]
    Queue(#[from] ihub_worker::QueueError),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error("REDIS_URL for the shared rate limits: {0}")]
    RateLimits(String),
}

/// Connects the database, brings the schema up to date, and assembles the hub every service shares.
pub async fn open_hub(config: &Config, job_queue: Arc<dyn JobQueue>) -> Result<Hub, StartError> {
    // The data directory holds the SQLite file and, unless one is configured, the generated secret.
    if config.database_url.is_none() || config.secret_key.is_none() {
        config.ensure_data_dir()?;
    }
    let secret = config.secret()?;
    ihub_connectors::egress::configure(config.egress()?);
    let db = database::connect(&config.database_url()).await?;
    database::migrate(&db).await?;
    Ok(Hub {
        db,
        keys: Arc::new(Keys::from_secret(&secret)),
        catalog: Arc::new(ihub_connectors::catalog()),
        environment: config.environment,
        tokens: TokenSettings::default(),
        job_queue,
        consumer: Default::default(),
        public_url: config.public_url(),
        quotas: ihub_domain::hub::Quotas {
            schedules_per_integration: config.schedules_per_integration,
        },
    })
}

pub fn app_context(config: &Config, hub: Hub) -> AppContext {
    AppContext::new(
        hub,
        Limits {
            max_body_bytes: config.max_body_bytes,
        },
        LoginLimiter::new(
            config.login_attempts_per_email_per_minute,
            config.login_attempts_per_ip_per_minute,
        ),
        OAuthCallback::for_public_url(&config.public_url()),
        config.web_dir.clone(),
    )
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler can be installed");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
    tracing::info!("shutdown signal received; finishing in-flight work");
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Roles {
    /// API, worker and web app in one process.
    All,
    Api,
    Worker,
}

/// Runs the chosen roles until a shutdown signal, then stops them gracefully.
pub async fn run(config: Config, roles: Roles) -> Result<(), StartError> {
    let queue: Arc<dyn WorkerQueue> =
        ihub_worker::job_queue::connect(config.redis_url.as_deref(), &config.redis_queue)?;
    // Workers on several machines writing to one target share its limit; without Redis each process keeps its own.
    if let Some(url) = config.redis_url.as_deref() {
        ihub_connectors::limits::share_through_redis(url).map_err(|e| StartError::RateLimits(e.to_string()))?;
    }
    let hub = open_hub(&config, queue.clone()).await?;
    if roles == Roles::Api && queue.kind() == "embedded" {
        tracing::warn!(
            "`ihub api` without REDIS_URL: jobs are only run by `ihub serve`; set REDIS_URL to run workers apart"
        );
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = (roles != Roles::Api).then(|| {
        let (hub, queue, mut stop_rx) = (hub.clone(), queue.clone(), stop_rx.clone());
        let settings = config.worker_settings();
        tokio::spawn(async move {
            ihub_worker::role::run(hub, queue, settings, async move {
                let _ = stop_rx.wait_for(|stop| *stop).await;
            })
            .await
        })
    });
    let server = if roles == Roles::Worker {
        match config.worker_listen_addr()? {
            Some(listen) => {
                let (server, handle, bound) = app::serve_health(hub.clone(), std::net::TcpListener::bind(listen)?)?;
                tracing::info!(address = %bound, "worker health listening on http://{bound}");
                Some((tokio::spawn(server), handle))
            }
            None => None,
        }
    } else {
        let listen = config.listen_addr()?;
        let (server, handle, bound) = app::serve(app_context(&config, hub.clone()), listen)?;
        tracing::info!(address = %bound, database = if database::is_postgres(&hub.db) { "postgres" } else { "sqlite" },
            queue = queue.kind(), "Integration Hub listening on http://{bound}");
        Some((tokio::spawn(server), handle))
    };
    drop(stop_rx);
    shutdown_signal().await;
    if let Some((task, handle)) = server {
        handle.stop(true).await;
        let _ = task.await;
    }
    let _ = stop_tx.send(true);
    if let Some(worker) = worker {
        match worker.await {
            Ok(result) => result?,
            Err(e) => tracing::error!(error = %e, "worker task ended abnormally"),
        }
    }
    Ok(())
}
