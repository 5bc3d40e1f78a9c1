//! SCIM 2.0 target (RFC 7643 schema, RFC 7644 protocol): how learning platforms and identity providers take users.
use ihub_domain::FieldError;
use std::sync::Arc;

use ihub_domain::connections::ports::{AuthKind, ConnectorInfo, ConnectorRole, CredentialSink, UserTarget};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::Value;

use crate::http::{Http, Idempotence, RateLimit, RetryPolicy};

mod target;

use crate::settings::{check_base_url, check_not_blank, check_rate_limit, schema};
use crate::typed::{Configured, TypedConnector};
use ihub_domain::connections::ports::ConnectorError;
pub use target::{ENTERPRISE, ScimTarget, USER_SCHEMA};

const SYSTEM: &str = "SCIM service";
/// RFC 7644 §3.1: SCIM messages use this media type.
pub const MEDIA_TYPE: &str = "application/scim+json";

/// Settings of a SCIM connection.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The SCIM service's base URL, under which `/Users` lives (e.g. https://lms.example.com/scim/v2).
    pub base_url: String,
    /// SCIM attribute path that receives the manager's email (the enterprise extension has none).
    #[serde(default)]
    pub manager_email_attribute: Option<String>,
    /// SCIM attribute path that receives the person's location.
    #[serde(default)]
    pub location_attribute: Option<String>,
    /// Requests per minute this connection may send (default 600).
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    /// Requests that may go at once before the per-minute pace applies (default 20).
    #[serde(default)]
    pub burst: Option<u32>,
}

impl Settings {
    fn rate_limit(&self) -> RateLimit {
        DEFAULT_RATE_LIMIT.overridden(self.requests_per_minute, self.burst)
    }
}

/// Credentials of a SCIM connection.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The bearer token the service issued for provisioning.
    pub token: String,
}

impl Configured for Settings {
    fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_base_url("base_url", &self.base_url, &mut errors);
        check_rate_limit(self.requests_per_minute, self.burst, &mut errors);
        errors
    }
}

impl Configured for Credentials {
    fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_not_blank("token", &self.token, &mut errors);
        errors
    }
}

/// Provisioning services commonly allow a few requests per second per token.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    per_minute: 600,
    burst: 20,
};

pub struct Scim {
    info: ConnectorInfo,
}

impl Scim {
    pub fn new() -> Self {
        Self {
            info: ConnectorInfo {
                kind: "scim".into(),
                name: "SCIM 2.0".into(),
                roles: vec![ConnectorRole::Target],
                auth: AuthKind::ApiKey,
                settings_schema: schema::<Settings>(),
                credentials_schema: schema::<Credentials>(),
                entities: vec!["users".into()],
                webhooks: false,
            },
        }
    }
}

impl Default for Scim {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl TypedConnector for Scim {
    type Settings = Settings;
    type Credentials = Credentials;

    fn info(&self) -> &ConnectorInfo {
        &self.info
    }

    fn target(
        &self,
        connection: uuid::Uuid,
        settings: Settings,
        credentials: Credentials,
        _sink: Arc<dyn CredentialSink>,
    ) -> Option<Arc<dyn UserTarget>> {
        Some(Arc::new(ScimTarget {
            http: Http::for_connection(SYSTEM, connection, settings.rate_limit(), RetryPolicy::default()),
            settings,
            credentials,
            no_or_filters: Default::default(),
        }))
    }

    /// One user from `/Users` (RFC 7644 §3.4.2.4 paging): needs a valid token and reads almost nothing.
    async fn probe(
        &self,
        settings: &Settings,
        credentials: &Credentials,
        _sink: Arc<dyn CredentialSink>,
    ) -> Result<(), ConnectorError> {
        let url = format!("{}/Users", settings.base_url.trim_end_matches('/'));
        let http = Http::new(SYSTEM, settings.rate_limit(), RetryPolicy::interactive());
        let response = http
            .send(Idempotence::Idempotent, |c| {
                c.get(&url)
                    .query(&[("startIndex", "1"), ("count", "1")])
                    .bearer_auth(&credentials.token)
                    .header(reqwest::header::ACCEPT, MEDIA_TYPE)
            })
            .await?;
        let body: Value = response
            .json()
            .await
            .map_err(|_| ConnectorError::Rejected(format!("{SYSTEM} did not answer with JSON at {url}")))?;
        if body.get("Resources").is_none() && body.get("totalResults").is_none() {
            return Err(ConnectorError::Config(format!(
                "{url} did not answer with a SCIM ListResponse"
            )));
        }
        Ok(())
    }
}
