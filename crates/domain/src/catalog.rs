//! The port through which the domain knows connectors: what kinds exist, how their settings and credentials are
//! checked, and how a connection is tested. `ihub-connectors` implements it; the domain never speaks HTTP itself.
use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConnectorRole {
    /// A system of record people are read from (an HR system).
    Source,
    /// A system users are written to (a learning platform, identity provider, ERP).
    Target,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthKind {
    Oauth2,
    ApiKey,
    Basic,
}

/// A kind of external system and what it can do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectorInfo {
    /// Stable identifier used in `connection.connector`.
    #[schema(example = "scim")]
    pub kind: String,
    #[schema(example = "SCIM 2.0")]
    pub name: String,
    pub roles: Vec<ConnectorRole>,
    pub auth: AuthKind,
    /// JSON Schema of the connection's `settings`.
    #[schema(value_type = HashMap<String, serde_json::Value>)]
    pub settings_schema: Value,
    /// JSON Schema of the connection's write-only `credentials`.
    #[schema(value_type = HashMap<String, serde_json::Value>)]
    pub credentials_schema: Value,
    /// The entities this connector reads or writes.
    #[schema(example = json!(["employees"]))]
    pub entities: Vec<String>,
    /// Whether the system can push change notifications to the hub.
    pub webhooks: bool,
}

/// Why a connection test failed, in words safe to store and show (never containing credentials).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConnectionFailure(pub String);

#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    fn info(&self) -> &ConnectorInfo;

    /// Field errors are relative to the settings object (`base_url`, not `settings.base_url`).
    fn validate_settings(&self, settings: &Value) -> Result<(), Vec<FieldError>>;

    fn validate_credentials(&self, credentials: &Value) -> Result<(), Vec<FieldError>>;

    /// A cheap real call that proves the settings and credentials work.
    async fn test(&self, settings: &Value, credentials: &Value) -> Result<(), ConnectionFailure>;
}

/// All connector kinds this build knows, by kind.
#[derive(Clone, Default)]
pub struct Catalog {
    connectors: BTreeMap<String, Arc<dyn Connector>>,
}

impl Catalog {
    pub fn new(connectors: impl IntoIterator<Item = Arc<dyn Connector>>) -> Self {
        Self {
            connectors: connectors.into_iter().map(|c| (c.info().kind.clone(), c)).collect(),
        }
    }

    pub fn get(&self, kind: &str) -> Option<&Arc<dyn Connector>> {
        self.connectors.get(kind)
    }

    pub fn list(&self) -> impl Iterator<Item = &ConnectorInfo> {
        self.connectors.values().map(|c| c.info())
    }

    pub fn kinds(&self) -> Vec<&str> {
        self.connectors.keys().map(String::as_str).collect()
    }
}
