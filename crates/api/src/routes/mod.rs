//! Routes grouped by the noun in their URL.
use utoipa_actix_web::service_config::ServiceConfig;

pub mod api_keys;
pub mod auth;
pub mod connections;
pub mod connectors;
pub mod health;
pub mod hooks;
pub mod integration_dates;
pub mod integrations;
pub mod logs;
pub mod me;
pub mod oauth;
pub mod queue;
pub mod runs;
pub mod schedules;
pub mod users;

/// Everything under `/api/v1`.
pub fn v1(cfg: &mut ServiceConfig) {
    auth::configure(cfg);
    me::configure(cfg);
    users::configure(cfg);
    api_keys::configure(cfg);
    connectors::configure(cfg);
    connections::configure(cfg);
    integrations::configure(cfg);
    integration_dates::configure(cfg);
    logs::configure(cfg);
    oauth::configure(cfg);
    hooks::configure(cfg);
    queue::configure(cfg);
    runs::configure(cfg);
    schedules::configure(cfg);
}
