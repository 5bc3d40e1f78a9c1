//! Odoo target through the external JSON-RPC API (`/jsonrpc`, `common.authenticate`, then `object.execute_kw`).
use ihub_domain::FieldError;
use ihub_domain::catalog::{AuthKind, ConnectionFailure, Connector, ConnectorInfo, ConnectorRole};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ConnectorError;
use crate::http;
use crate::scim::stored_invalid;
use crate::settings::{base_url, finish, non_empty, parse, schema};

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

impl Settings {
    fn check(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = Vec::new();
        base_url("base_url", &self.base_url, &mut errors);
        non_empty("database", &self.database, &mut errors);
        finish(errors)
    }
}

pub struct Odoo {
    info: ConnectorInfo,
    http: reqwest::Client,
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
            http: http::client(),
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
        let response = self
            .http
            .post(format!("{}/jsonrpc", settings.base_url.trim_end_matches('/')))
            .json(&request)
            .send()
            .await
            .map_err(|e| http::transport_error(SYSTEM, e))?;
        let body: Value = http::check(SYSTEM, response)
            .await?
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
impl Connector for Odoo {
    fn info(&self) -> &ConnectorInfo {
        &self.info
    }

    fn validate_settings(&self, settings: &Value) -> Result<(), Vec<FieldError>> {
        parse::<Settings>(settings)?.check()
    }

    fn validate_credentials(&self, credentials: &Value) -> Result<(), Vec<FieldError>> {
        let credentials = parse::<Credentials>(credentials)?;
        let mut errors = Vec::new();
        non_empty("login", &credentials.login, &mut errors);
        non_empty("api_key", &credentials.api_key, &mut errors);
        finish(errors)
    }

    async fn test(&self, settings: &Value, credentials: &Value) -> Result<(), ConnectionFailure> {
        let settings = parse::<Settings>(settings).map_err(stored_invalid)?;
        let credentials = parse::<Credentials>(credentials).map_err(stored_invalid)?;
        self.authenticate(&settings, &credentials).await?;
        Ok(())
    }
}
