//! Employment Hero source. Facts from developer.employmenthero.com/api-references: OAuth 2.0 authorization code at
//! oauth.employmenthero.com, REST under api.employmenthero.com/api/v1, `GET organisations` lists what a token sees.
use ihub_domain::FieldError;
use std::sync::Arc;

use ihub_domain::connections::ports::{
    AuthKind, AuthorizeRequest, Choice, ConnectorInfo, ConnectorRole, CredentialSink, OAuthFlow, PeopleSource,
    SourceEvent, WebhookDelivery, WebhookRejection, WebhookSetup,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::http::{Http, RateLimit, RetryPolicy};
use crate::oauth::OAuthApp;

mod source;
pub mod webhook;

use crate::settings::{check_base_url, check_not_blank, check_rate_limit, schema};
use crate::typed::{Configured, TypedConnector, stored_invalid, validate};
use ihub_domain::connections::ports::ConnectorError;
pub use source::EmploymentHeroSource;

const SYSTEM: &str = "Employment Hero";
pub const DEFAULT_API_BASE_URL: &str = "https://api.employmenthero.com/api/v1";
pub const DEFAULT_AUTHORIZE_URL: &str = "https://oauth.employmenthero.com/oauth2/authorize";
pub const DEFAULT_TOKEN_URL: &str = "https://oauth.employmenthero.com/oauth2/token";

fn default_api_base_url() -> String {
    DEFAULT_API_BASE_URL.to_owned()
}
fn default_authorize_url() -> String {
    DEFAULT_AUTHORIZE_URL.to_owned()
}
fn default_token_url() -> String {
    DEFAULT_TOKEN_URL.to_owned()
}

/// Settings of an Employment Hero connection.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The Employment Hero organisation (a UUID) to read employees from. Once connected, the hub lists the
    /// organisations the token can see, so this can be picked rather than looked up.
    #[serde(default)]
    pub organisation_id: Option<String>,
    #[serde(default = "default_api_base_url")]
    pub api_base_url: String,
    #[serde(default = "default_authorize_url")]
    pub authorize_url: String,
    #[serde(default = "default_token_url")]
    pub token_url: String,
    /// Requests per minute this connection may send (default 300).
    #[serde(default)]
    pub requests_per_minute: Option<u32>,
    /// Requests that may go at once before the per-minute pace applies (default 10).
    #[serde(default)]
    pub burst: Option<u32>,
}

/// Credentials of an Employment Hero connection: the OAuth app's client, plus the tokens the hub obtains by
/// connecting.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// Client id of the OAuth app created in the customer's Employment Hero developer portal.
    pub client_id: String,
    pub client_secret: String,
    /// Set by the hub when the connection is connected through OAuth.
    #[serde(default)]
    #[schemars(extend("readOnly" = true))]
    pub access_token: Option<String>,
    #[serde(default)]
    #[schemars(extend("readOnly" = true))]
    pub refresh_token: Option<String>,
    /// RFC 3339 expiry of the access token.
    #[serde(default)]
    #[schemars(extend("readOnly" = true))]
    pub expires_at: Option<String>,
}

impl Configured for Settings {
    fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(org) = &self.organisation_id
            && !is_uuid(org)
        {
            errors.push(FieldError::new("organisation_id", "must be the organisation's UUID"));
        }
        check_base_url("api_base_url", &self.api_base_url, &mut errors);
        check_base_url("authorize_url", &self.authorize_url, &mut errors);
        check_base_url("token_url", &self.token_url, &mut errors);
        check_rate_limit(self.requests_per_minute, self.burst, &mut errors);
        errors
    }
}

impl Configured for Credentials {
    fn problems(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_not_blank("client_id", &self.client_id, &mut errors);
        check_not_blank("client_secret", &self.client_secret, &mut errors);
        errors
    }
}

fn is_uuid(value: &str) -> bool {
    let hex: Vec<char> = value.chars().filter(|c| *c != '-').collect();
    value.len() == 36 && hex.len() == 32 && hex.iter().all(char::is_ascii_hexdigit)
}

/// Employment Hero answers 429 when a client goes too fast; this stays well below where that starts.
pub const DEFAULT_RATE_LIMIT: RateLimit = RateLimit {
    per_minute: 300,
    burst: 10,
};

pub struct EmploymentHero {
    info: ConnectorInfo,
}

impl EmploymentHero {
    pub fn new() -> Self {
        Self {
            info: ConnectorInfo {
                kind: "employment_hero".into(),
                name: "Employment Hero".into(),
                roles: vec![ConnectorRole::Source],
                auth: AuthKind::Oauth2,
                settings_schema: schema::<Settings>(),
                credentials_schema: schema::<Credentials>(),
                entities: vec!["employees".into()],
                webhooks: true,
            },
        }
    }
}

impl Default for EmploymentHero {
    fn default() -> Self {
        Self::new()
    }
}

#[async_trait::async_trait]
impl TypedConnector for EmploymentHero {
    type Settings = Settings;
    type Credentials = Credentials;

    fn info(&self) -> &ConnectorInfo {
        &self.info
    }

    fn oauth(&self) -> Option<&dyn OAuthFlow> {
        Some(self)
    }

    /// Employment Hero signs nothing: its portal takes only a URL, so the hub's secret token in that URL is the
    /// proof, checked before this is called. What is left is reading the event and that it is this organisation's.
    fn verify_webhook(
        &self,
        settings: &Settings,
        _credentials: &Credentials,
        delivery: &WebhookDelivery,
    ) -> Option<Result<Vec<SourceEvent>, WebhookRejection>> {
        Some(webhook::events(&delivery.body, settings.organisation_id.as_deref()))
    }

    /// Employment Hero's API has no endpoint for webhooks: they are set up in its portal.
    async fn register_webhook(
        &self,
        _settings: &Settings,
        _credentials: &Credentials,
        _sink: Arc<dyn CredentialSink>,
        _url: &str,
    ) -> Result<WebhookSetup, ConnectorError> {
        Ok(WebhookSetup::Manual {
            events: webhook::EVENTS.iter().map(|e| (*e).to_owned()).collect(),
            instructions:
                "In Employment Hero's Developer Portal, add a webhook with this URL for each of these events.".into(),
        })
    }

    fn source(
        &self,
        connection: uuid::Uuid,
        settings: Settings,
        credentials: Credentials,
        sink: Arc<dyn CredentialSink>,
    ) -> Option<Arc<dyn PeopleSource>> {
        let http = Http::for_connection(SYSTEM, connection, settings.rate_limit(), RetryPolicy::default());
        Some(Arc::new(EmploymentHeroSource::new(settings, credentials, sink, http)))
    }

    /// The organisations the token can read: customers find the organisation id hard to get, so they pick it.
    async fn choices(
        &self,
        settings: &Settings,
        credentials: &Credentials,
        sink: Arc<dyn CredentialSink>,
        setting: &str,
    ) -> Result<Option<Vec<Choice>>, ConnectorError> {
        if setting != "organisation_id" {
            return Ok(None);
        }
        let source = EmploymentHeroSource::new(
            settings.clone(),
            credentials.clone(),
            sink,
            Http::new(SYSTEM, settings.rate_limit(), RetryPolicy::interactive()),
        );
        source.organisations().await.map(Some)
    }

    /// `GET organisations` with the token (refreshed if it must be): proves the connection works and, when an
    /// organisation is chosen, that the token can see it.
    async fn probe(
        &self,
        settings: &Settings,
        credentials: &Credentials,
        sink: Arc<dyn CredentialSink>,
    ) -> Result<(), ConnectorError> {
        if credentials.access_token.is_none() && credentials.refresh_token.is_none() {
            return Err(ConnectorError::Auth(
                "not connected yet: connect through Employment Hero's sign-in first".into(),
            ));
        }
        let source = EmploymentHeroSource::new(
            settings.clone(),
            credentials.clone(),
            sink,
            Http::new(SYSTEM, settings.rate_limit(), RetryPolicy::interactive()),
        );
        let organisations = source.organisations().await?;
        if let Some(wanted) = &settings.organisation_id
            && !organisations.iter().any(|o| &o.value == wanted)
        {
            return Err(ConnectorError::Config(format!(
                "organisation {wanted} is not visible to this connection"
            )));
        }
        Ok(())
    }
}

impl Settings {
    fn rate_limit(&self) -> RateLimit {
        DEFAULT_RATE_LIMIT.overridden(self.requests_per_minute, self.burst)
    }

    fn app<'a>(&'a self, credentials: &'a Credentials) -> OAuthApp<'a> {
        OAuthApp {
            authorize_url: &self.authorize_url,
            token_url: &self.token_url,
            client_id: &credentials.client_id,
            client_secret: &credentials.client_secret,
            // Employment Hero fixes scopes when the app is created in its developer portal; none are requested.
            scopes: &[],
        }
    }
}

#[async_trait::async_trait]
impl OAuthFlow for EmploymentHero {
    fn authorize(
        &self,
        settings: &Value,
        credentials: &Value,
        redirect_uri: &str,
    ) -> Result<AuthorizeRequest, ConnectorError> {
        let settings = validate::<Settings>(settings).map_err(stored_invalid)?;
        let credentials = validate::<Credentials>(credentials).map_err(stored_invalid)?;
        settings.app(&credentials).authorize(redirect_uri)
    }

    async fn exchange(
        &self,
        settings: &Value,
        credentials: &Value,
        redirect_uri: &str,
        code: &str,
        verifier: &str,
    ) -> Result<Value, ConnectorError> {
        let settings = validate::<Settings>(settings).map_err(stored_invalid)?;
        let mut credentials = validate::<Credentials>(credentials).map_err(stored_invalid)?;
        let tokens = settings
            .app(&credentials)
            .exchange(redirect_uri, code, verifier)
            .await?;
        credentials.access_token = Some(tokens.access_token);
        credentials.refresh_token = tokens.refresh_token;
        credentials.expires_at = tokens.expires_at.map(|t| t.to_rfc3339());
        Ok(serde_json::to_value(&credentials).expect("credentials serialise"))
    }
}
