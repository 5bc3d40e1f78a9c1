//! Odoo target through the external JSON-RPC API (`/jsonrpc`, `common.authenticate`, then `object.execute_kw`).
use ihub_domain::FieldError;
use std::sync::Arc;

use ihub_domain::connections::ports::{AuthKind, ConnectorInfo, ConnectorRole, CredentialSink, UserTarget};
use schemars::JsonSchema;
use serde::Deserialize;

use crate::http::{Http, RateLimit, RetryPolicy};

mod rpc;
mod target;

use crate::settings::{check_base_url, check_not_blank, check_rate_limit, schema};
use crate::typed::{Configured, TypedConnector};
use ihub_domain::connections::ports::ConnectorError;
use rpc::Rpc;
pub use target::OdooTarget;

pub(crate) const SYSTEM: &str = "Odoo";

/// Settings of an Odoo connection.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The Odoo instance, e.g. https://acme.odoo.com.
    pub base_url: String,
    /// The Odoo database name.
    pub database: String,
    /// The `hr.employee` field that holds the HR system's id of each person (default `barcode`, the Badge ID).
    #[serde(default = "default_external_id_field")]
    pub external_id_field: String,
    /// Requests per minute this connection may send (default 600).
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    /// Requests that may go at once before the per-minute pace applies (default 20).
    #[serde(default)]
    pub burst: Option<u32>,
}

fn default_external_id_field() -> String {
    "barcode".to_owned()
}

impl Settings {
    fn rate_limit(&self) -> RateLimit {
        DEFAULT_RATE_LIMIT.overridden(self.requests_per_minute, self.burst)
    }
}

/// Credentials of an Odoo connection.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The login of the Odoo user the hub acts as.
    pub login: String,
    /// An API key of that user (Preferences → Account Security), used in place of the password.
    pub api_key: String,
}

impl Configured for Settings {
    fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_base_url("base_url", &self.base_url, &mut errors);
        check_rate_limit(self.requests_per_minute, self.burst, &mut errors);
        check_not_blank("database", &self.database, &mut errors);
        errors
    }
}

impl Configured for Credentials {
    fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_not_blank("login", &self.login, &mut errors);
        check_not_blank("api_key", &self.api_key, &mut errors);
        errors
    }
}

/// Odoo.sh and self-hosted instances have no published limit; a modest pace keeps a shared server responsive.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    per_minute: 600,
    burst: 20,
};

pub struct Odoo {
    info: ConnectorInfo,
}

impl Odoo {
    pub fn new() -> Self {
        Self {
            info: ConnectorInfo {
                kind: "odoo".into(),
                name: "Odoo".into(),
                roles: vec![ConnectorRole::Target],
                auth: AuthKind::ApiKey,
                settings_schema: schema::<Settings>(),
                credentials_schema: schema::<Credentials>(),
                entities: vec!["hr.employee".into()],
                webhooks: false,
            },
        }
    }
}

impl Default for Odoo {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl TypedConnector for Odoo {
    type Settings = Settings;
    type Credentials = Credentials;

    fn info(&self) -> &ConnectorInfo {
        &self.info
    }

    async fn probe(
        &self,
        settings: &Settings,
        credentials: &Credentials,
        _sink: Arc<dyn CredentialSink>,
    ) -> Result<(), ConnectorError> {
        let http = Http::new(SYSTEM, settings.rate_limit(), RetryPolicy::interactive());
        Rpc::new(http, settings, credentials).uid().await.map(drop)
    }

    fn target(
        &self,
        connection: uuid::Uuid,
        settings: Settings,
        credentials: Credentials,
        _sink: Arc<dyn CredentialSink>,
    ) -> Option<Arc<dyn UserTarget>> {
        let http = Http::for_connection(SYSTEM, connection, settings.rate_limit(), RetryPolicy::default());
        Some(Arc::new(OdooTarget {
            rpc: Rpc::new(http, &settings, &credentials),
            external_id_field: settings.external_id_field.clone(),
        }))
    }
}
