//! Odoo target through the external JSON-RPC API (`/jsonrpc`, `common.authenticate`, then `object.execute_kw`).
use ihub_domain::FieldError;
use ihub_domain::catalog::{AuthKind, ConnectorInfo, ConnectorRole};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::http::{Http, Idempotence, RateLimit, RetryPolicy};
use crate::settings::{check_base_url, check_not_blank, schema};
use crate::typed::{Configured, TypedConnector};
use ihub_domain::catalog::ConnectorError;

const SYSTEM: &str = "Odoo";

/// Settings of an Odoo connection.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The Odoo instance, e.g. https://acme.odoo.com.
    pub base_url: String,
    /// The Odoo database name.
    pub database: String,
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

    /// `common.authenticate` answers the user id, or `false` when the login is refused.
    async fn authenticate(&self, settings: &Settings, credentials: &Credentials) -> Result<i64, ConnectorError> {
        let request = json!({
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "service": "common",
                "method": "authenticate",
                "args": [settings.database, credentials.login, credentials.api_key, {}],
            },
            "id": 1,
        });
        let http = Http::new(SYSTEM, DEFAULT_RATE_LIMIT, RetryPolicy::interactive());
        let url = format!("{}/jsonrpc", settings.base_url.trim_end_matches('/'));
        // authenticate changes nothing, so it is safe to repeat.
        let response = http
            .send(Idempotence::Idempotent, |c| c.post(&url).json(&request))
            .await?;
        let body: Value = response
            .json()
            .await
            .map_err(|_| ConnectorError::Config(format!("{SYSTEM} did not answer JSON-RPC at /jsonrpc")))?;
        // Odoo reports failures inside an HTTP 200 as `error.data.name`, an exception class name.
        if let Some(error) = body.get("error") {
            let name = error.pointer("/data/name").and_then(Value::as_str).unwrap_or("unknown");
            let message = error
                .pointer("/data/message")
                .and_then(Value::as_str)
                .unwrap_or("no message");
            let text = format!("{SYSTEM} error {name}: {message}");
            return Err(if name.contains("AccessDenied") || name.contains("AccessError") {
                ConnectorError::Auth(text)
            } else {
                ConnectorError::Rejected(text)
            });
        }
        match body.get("result") {
            Some(Value::Number(uid)) => uid
                .as_i64()
                .ok_or_else(|| ConnectorError::Rejected("odd user id".into())),
            _ => Err(ConnectorError::Auth(format!(
                "{SYSTEM} refused the login `{}` on database `{}`",
                credentials.login, settings.database
            ))),
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

    async fn probe(&self, settings: &Settings, credentials: &Credentials) -> Result<(), ConnectorError> {
        self.authenticate(settings, credentials).await.map(drop)
    }
}
