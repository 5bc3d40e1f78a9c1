//! The port through which the domain knows connectors: what kinds exist, how their settings and credentials are
//! checked, and how a connection is tested. `ihub-connectors` implements it; the domain never speaks HTTP itself.
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::connections::people::{FieldChange, Person, TargetUser};
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

/// How a call to an external system failed, classified by what the caller should do about it. Messages are safe
/// to store and show: they never contain credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConnectorError {
    /// Worth trying again later: rate limited, 5xx, timeouts, connection refused. `retry_after` is the system's
    /// own hint, when it gave one.
    #[error("{message}")]
    Retryable {
        message: String,
        retry_after: Option<Duration>,
    },
    /// The credentials were refused: the connection goes to `error` until someone fixes it.
    #[error("{0}")]
    Auth(String),
    #[error("{0}")]
    NotFound(String),
    /// The system refused this one record; a run goes on with the others.
    #[error("{0}")]
    Rejected(String),
    /// The settings cannot work (a malformed URL, a missing organisation, a stored value that no longer parses).
    #[error("{0}")]
    Config(String),
}

impl ConnectorError {
    pub fn retryable(message: impl Into<String>) -> Self {
        Self::Retryable {
            message: message.into(),
            retry_after: None,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retryable { .. })
    }
}

/// A page of people read from a source, and where to go on.
#[derive(Debug, Clone, Default)]
pub struct SourcePage {
    pub people: Vec<Person>,
    /// Opaque to the caller; `None` on the last page.
    pub next: Option<String>,
    /// When the source numbers its pages, how many it said there are: the cursor of page `n` is then `n` in decimal,
    /// and the pages after `next` may be read before `next` answers (several at once). `None` when each page must
    /// wait for the one before it.
    pub numbered: Option<u64>,
}

impl SourcePage {
    /// A page whose successor only it can name.
    pub fn chained(people: Vec<Person>, next: Option<String>) -> Self {
        Self {
            people,
            next,
            numbered: None,
        }
    }
}

/// A change the source reported, by webhook or by its change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEvent {
    /// The source's id for this delivery, so redeliveries are recognised.
    pub event_id: Option<String>,
    pub kind: SourceEventKind,
    pub source_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceEventKind {
    Created,
    Updated,
    OnboardingComplete,
    Terminated,
    Deleted,
}

/// A webhook delivery as the hub received it, for the source's connector to verify and read.
#[derive(Debug, Clone)]
pub struct WebhookDelivery {
    /// Header names in lower case.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    pub received_at: DateTime<Utc>,
}

impl WebhookDelivery {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

/// Why a webhook delivery was refused; the messages are safe to log and never quote a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookRejection {
    /// Not signed the way the system signs, signed with another key, or too old (a replay).
    #[error("{0}")]
    Unauthenticated(String),
    /// Signed, or needing no signature, but not a delivery this connector understands.
    #[error("{0}")]
    Malformed(String),
}

/// How the hub's webhook URL gets to the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum WebhookSetup {
    /// The hub registered it through the source's API (and stored what the source gave back, such as the
    /// signing key, in the connection's credentials).
    Registered {
        /// The source's id for the webhook.
        webhook_id: String,
        events: Vec<String>,
    },
    /// The source's API cannot: its admin enters the URL and events by hand.
    Manual {
        events: Vec<String>,
        /// Where in the source's admin screens, in words.
        instructions: String,
    },
}

/// A system of record people are read from.
#[async_trait::async_trait]
pub trait PeopleSource: Send + Sync {
    /// One page of everyone; `cursor` is `None` for the first page.
    async fn list_page(&self, cursor: Option<&str>) -> Result<SourcePage, ConnectorError>;

    /// The people changed since `since`, a page at a time, where the source can say; `Ok(None)` when it cannot,
    /// and the caller reads everything instead.
    async fn changed_page(
        &self,
        since: DateTime<Utc>,
        cursor: Option<&str>,
    ) -> Result<Option<SourcePage>, ConnectorError>;

    /// One person by the source's id; `Ok(None)` when the source no longer has them.
    async fn fetch(&self, source_id: &str) -> Result<Option<Person>, ConnectorError>;
}

/// Whom `UserTarget::find_many` looks for: the person's source id (the target's external id) and email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub external_id: String,
    pub email: Option<String>,
}

/// A system users are written to.
#[async_trait::async_trait]
pub trait UserTarget: Send + Sync {
    /// The user the hub created for `external_id`, or else one with this email (to link rather than duplicate).
    async fn find(&self, external_id: &str, email: Option<&str>) -> Result<Option<TargetUser>, ConnectorError>;

    /// `find` for many people in a few requests: per external id looked for, the user found (none: not in the
    /// target). `Ok(None)` when the target cannot look up many at once; each person is then found alone.
    async fn find_many(&self, _lookups: &[Lookup]) -> Result<Option<HashMap<String, TargetUser>>, ConnectorError> {
        Ok(None)
    }

    /// Creates the user and answers the target's id for them.
    async fn create(&self, person: &Person) -> Result<String, ConnectorError>;

    /// Writes only the given fields; `person` carries their new values and the ids they may need.
    async fn update(&self, target_id: &str, person: &Person, changes: &[FieldChange]) -> Result<(), ConnectorError>;

    async fn deactivate(&self, target_id: &str) -> Result<(), ConnectorError>;
}

/// Credentials a connector changed while working (a refreshed OAuth token), to be sealed and stored again.
#[async_trait::async_trait]
pub trait CredentialSink: Send + Sync {
    async fn store(&self, credentials: Value) -> Result<(), ConnectorError>;
}

/// One value a setting may take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Choice {
    /// What to store in the setting.
    #[schema(example = "7b1e5f7c-2a43-4a36-9a8e-0c6f1f4bb001")]
    pub value: String,
    /// What to show.
    #[schema(example = "Acme Pty Ltd")]
    pub label: String,
}

/// Where to send the browser to authorise, and what to keep until it comes back.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub url: String,
    /// Opaque, random; comes back on the callback and names the flow.
    pub state: String,
    /// The PKCE code verifier (RFC 7636) matching the challenge in `url`.
    pub verifier: String,
}

/// The OAuth2 authorization-code flow with PKCE.
#[async_trait::async_trait]
pub trait OAuthFlow: Send + Sync {
    fn authorize(
        &self,
        settings: &Value,
        credentials: &Value,
        redirect_uri: &str,
    ) -> Result<AuthorizeRequest, ConnectorError>;

    /// Exchanges the code for tokens and answers the connection's new credentials, tokens included.
    async fn exchange(
        &self,
        settings: &Value,
        credentials: &Value,
        redirect_uri: &str,
        code: &str,
        verifier: &str,
    ) -> Result<Value, ConnectorError>;
}

/// What a connector needs to act for one connection.
#[derive(Clone)]
pub struct ConnectionContext {
    /// The connection's id: what its rate-limit budget is shared by.
    pub id: uuid::Uuid,
    pub settings: Value,
    pub credentials: Value,
    pub sink: Arc<dyn CredentialSink>,
}

#[async_trait::async_trait]
pub trait Connector: Send + Sync {
    fn info(&self) -> &ConnectorInfo;

    /// Field errors are relative to the settings object (`base_url`, not `settings.base_url`).
    fn validate_settings(&self, settings: &Value) -> Result<(), Vec<FieldError>>;

    fn validate_credentials(&self, credentials: &Value) -> Result<(), Vec<FieldError>>;

    /// A cheap real call that proves the settings and credentials work.
    async fn test(&self, connection: &ConnectionContext) -> Result<(), ConnectorError>;

    /// The OAuth2 authorization-code flow, for connectors that authenticate that way.
    fn oauth(&self) -> Option<&dyn OAuthFlow> {
        None
    }

    /// The values a setting may take, as this connection can see them (the organisations an Employment Hero
    /// token can read, say), so people pick instead of looking ids up. `Ok(None)`: the setting has no such list.
    async fn choices(
        &self,
        _connection: &ConnectionContext,
        _setting: &str,
    ) -> Result<Option<Vec<Choice>>, ConnectorError> {
        Ok(None)
    }

    /// Verifies a webhook delivery the way the system signs it and reads its events. `None`: the connector takes
    /// no webhooks. Pure: no I/O, so a receiver can answer fast and re-fetch people later.
    fn verify_webhook(
        &self,
        _connection: &ConnectionContext,
        _delivery: &WebhookDelivery,
    ) -> Option<Result<Vec<SourceEvent>, WebhookRejection>> {
        None
    }

    /// Registers `url` with the source for the events a sync needs, where the source's API allows it.
    async fn register_webhook(
        &self,
        _connection: &ConnectionContext,
        _url: &str,
    ) -> Result<WebhookSetup, ConnectorError> {
        Err(ConnectorError::Config(format!(
            "{} does not send webhooks",
            self.info().name
        )))
    }

    /// The connection as a source, for connectors that are one.
    fn source(&self, _connection: ConnectionContext) -> Option<Result<Arc<dyn PeopleSource>, ConnectorError>> {
        None
    }

    /// The connection as a target, for connectors that are one.
    fn target(&self, _connection: ConnectionContext) -> Option<Result<Arc<dyn UserTarget>, ConnectorError>> {
        None
    }
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
