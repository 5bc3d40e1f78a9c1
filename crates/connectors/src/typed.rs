//! Connectors are written against typed settings and credentials; `Typed` adapts them to the domain's JSON port,
//! so parsing, field errors and the handling of bad stored configuration live in one place.
use ihub_domain::FieldError;
use std::sync::Arc;

use ihub_domain::connections::ports::{
    Choice, ConnectionContext, Connector, ConnectorInfo, CredentialSink, OAuthFlow, PeopleSource, SourceEvent,
    UserTarget, WebhookDelivery, WebhookRejection, WebhookSetup,
};
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use crate::settings::parse;
use ihub_domain::connections::ports::ConnectorError;

/// Checks beyond the shape: URLs that parse, values that are not blank.
pub trait Configured {
    fn problems(&self) -> Vec<FieldError>;
}

#[async_trait::async_trait]
pub trait TypedConnector: Send + Sync + 'static {
    type Settings: DeserializeOwned + Configured + Send + Sync;
    type Credentials: DeserializeOwned + Configured + Send + Sync;

    fn info(&self) -> &ConnectorInfo;

    /// The OAuth2 flow, for connectors that authenticate that way.
    fn oauth(&self) -> Option<&dyn OAuthFlow> {
        None
    }

    /// The cheapest real call that proves the settings and credentials work; `sink` stores credentials the call
    /// renewed (a refreshed token).
    async fn probe(
        &self,
        settings: &Self::Settings,
        credentials: &Self::Credentials,
        sink: Arc<dyn CredentialSink>,
    ) -> Result<(), ConnectorError>;

    /// See `Connector::choices`.
    async fn choices(
        &self,
        _settings: &Self::Settings,
        _credentials: &Self::Credentials,
        _sink: Arc<dyn CredentialSink>,
        _setting: &str,
    ) -> Result<Option<Vec<Choice>>, ConnectorError> {
        Ok(None)
    }

    /// See `Connector::verify_webhook`.
    fn verify_webhook(
        &self,
        _settings: &Self::Settings,
        _credentials: &Self::Credentials,
        _delivery: &WebhookDelivery,
    ) -> Option<Result<Vec<SourceEvent>, WebhookRejection>> {
        None
    }

    /// See `Connector::register_webhook`.
    async fn register_webhook(
        &self,
        _settings: &Self::Settings,
        _credentials: &Self::Credentials,
        _sink: Arc<dyn CredentialSink>,
        _url: &str,
    ) -> Result<WebhookSetup, ConnectorError> {
        Err(ConnectorError::Config(format!(
            "{} does not send webhooks",
            self.info().name
        )))
    }

    /// The connection as a source, for connectors that are one; `connection` names the rate-limit budget its
    /// requests spend (`Http::for_connection`).
    fn source(
        &self,
        _connection: Uuid,
        _settings: Self::Settings,
        _credentials: Self::Credentials,
        _sink: Arc<dyn CredentialSink>,
    ) -> Option<Arc<dyn PeopleSource>> {
        None
    }

    /// The connection as a target, for connectors that are one; `connection` as for `source`.
    fn target(
        &self,
        _connection: Uuid,
        _settings: Self::Settings,
        _credentials: Self::Credentials,
        _sink: Arc<dyn CredentialSink>,
    ) -> Option<Arc<dyn UserTarget>> {
        None
    }
}

pub struct Typed<C>(pub C);

pub(crate) fn validate<T: DeserializeOwned + Configured>(value: &Value) -> Result<T, Vec<FieldError>> {
    let parsed: T = parse(value)?;
    let problems = parsed.problems();
    if problems.is_empty() { Ok(parsed) } else { Err(problems) }
}

/// Stored configuration passed validation when it was stored; if it no longer parses (a newer version is
/// stricter), the test says so instead of failing obscurely.
pub(crate) fn stored_invalid(errors: Vec<FieldError>) -> ConnectorError {
    let fields: Vec<String> = errors
        .into_iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect();
    ConnectorError::Config(format!("stored configuration is invalid ({})", fields.join("; ")))
}

fn parse_context<C: TypedConnector>(
    connection: &ConnectionContext,
) -> Result<(C::Settings, C::Credentials), ConnectorError> {
    let settings = validate::<C::Settings>(&connection.settings).map_err(stored_invalid)?;
    let credentials = validate::<C::Credentials>(&connection.credentials).map_err(stored_invalid)?;
    Ok((settings, credentials))
}

#[async_trait::async_trait]
impl<C: TypedConnector> Connector for Typed<C> {
    fn info(&self) -> &ConnectorInfo {
        self.0.info()
    }

    fn oauth(&self) -> Option<&dyn OAuthFlow> {
        self.0.oauth()
    }

    fn validate_settings(&self, settings: &Value) -> Result<(), Vec<FieldError>> {
        validate::<C::Settings>(settings).map(drop)
    }

    fn validate_credentials(&self, credentials: &Value) -> Result<(), Vec<FieldError>> {
        validate::<C::Credentials>(credentials).map(drop)
    }

    fn source(&self, connection: ConnectionContext) -> Option<Result<Arc<dyn PeopleSource>, ConnectorError>> {
        match parse_context::<C>(&connection) {
            Ok((settings, credentials)) => self
                .0
                .source(connection.id, settings, credentials, connection.sink)
                .map(Ok),
            Err(e) => Some(Err(e)),
        }
    }

    fn verify_webhook(
        &self,
        connection: &ConnectionContext,
        delivery: &WebhookDelivery,
    ) -> Option<Result<Vec<SourceEvent>, WebhookRejection>> {
        match parse_context::<C>(connection) {
            Ok((settings, credentials)) => self.0.verify_webhook(&settings, &credentials, delivery),
            // The delivery may be fine; the hub's own stored configuration is not, and says so the same way a
            // test does.
            Err(e) => Some(Err(WebhookRejection::Unauthenticated(e.to_string()))),
        }
    }

    fn target(&self, connection: ConnectionContext) -> Option<Result<Arc<dyn UserTarget>, ConnectorError>> {
        match parse_context::<C>(&connection) {
            Ok((settings, credentials)) => self
                .0
                .target(connection.id, settings, credentials, connection.sink)
                .map(Ok),
            Err(e) => Some(Err(e)),
        }
    }

    async fn choices(
        &self,
        connection: &ConnectionContext,
        setting: &str,
    ) -> Result<Option<Vec<Choice>>, ConnectorError> {
        let (settings, credentials) = parse_context::<C>(connection)?;
        self.0
            .choices(&settings, &credentials, connection.sink.clone(), setting)
            .await
    }

    async fn register_webhook(
        &self,
        connection: &ConnectionContext,
        url: &str,
    ) -> Result<WebhookSetup, ConnectorError> {
        let (settings, credentials) = parse_context::<C>(connection)?;
        self.0
            .register_webhook(&settings, &credentials, connection.sink.clone(), url)
            .await
    }

    async fn test(&self, connection: &ConnectionContext) -> Result<(), ConnectorError> {
        let settings = validate::<C::Settings>(&connection.settings).map_err(stored_invalid)?;
        let credentials = validate::<C::Credentials>(&connection.credentials).map_err(stored_invalid)?;
        self.0.probe(&settings, &credentials, connection.sink.clone()).await
    }
}
