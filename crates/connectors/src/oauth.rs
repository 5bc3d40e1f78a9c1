//! OAuth2 authorization code with PKCE (RFC 6749, RFC 7636) through the `oauth2` crate, over the shared client.
use chrono::{DateTime, Utc};
use ihub_domain::connections::ports::{AuthorizeRequest, ConnectorError};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, RefreshToken, RequestTokenError, Scope, TokenResponse, TokenUrl,
};

/// One OAuth app at one provider.
#[derive(Debug, Clone)]
pub struct OAuthApp<'a> {
    pub authorize_url: &'a str,
    pub token_url: &'a str,
    pub client_id: &'a str,
    pub client_secret: &'a str,
    pub scopes: &'a [&'a str],
}

/// What a token endpoint granted.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub expires_at: Option<DateTime<Utc>>,
}

fn config_error(what: &str) -> impl Fn(oauth2::url::ParseError) -> ConnectorError + '_ {
    move |e| ConnectorError::Config(format!("{what} is not a valid URL: {e}"))
}

impl OAuthApp<'_> {
    pub fn authorize(&self, redirect_uri: &str) -> Result<AuthorizeRequest, ConnectorError> {
        let client = BasicClient::new(ClientId::new(self.client_id.to_owned()))
            .set_auth_uri(AuthUrl::new(self.authorize_url.to_owned()).map_err(config_error("authorize_url"))?)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(config_error("the callback URL"))?);
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.scopes.iter().map(|s| Scope::new((*s).to_owned())))
            .set_pkce_challenge(challenge)
            .url();
        Ok(AuthorizeRequest {
            url: url.to_string(),
            state: state.secret().clone(),
            verifier: verifier.secret().clone(),
        })
    }

    pub async fn exchange(&self, redirect_uri: &str, code: &str, verifier: &str) -> Result<Tokens, ConnectorError> {
        let client = self
            .token_client()?
            .set_redirect_uri(RedirectUrl::new(redirect_uri.to_owned()).map_err(config_error("the callback URL"))?);
        let response = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&send)
            .await
            .map_err(token_error)?;
        Ok(tokens(&response))
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, ConnectorError> {
        let response = self
            .token_client()?
            .exchange_refresh_token(&RefreshToken::new(refresh_token.to_owned()))
            .request_async(&send)
            .await
            .map_err(token_error)?;
        let mut granted = tokens(&response);
        // Providers that do not rotate refresh tokens omit them; the old one stays good.
        granted.refresh_token.get_or_insert_with(|| refresh_token.to_owned());
        Ok(granted)
    }

    fn token_client(
        &self,
    ) -> Result<
        BasicClient<
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointNotSet,
            oauth2::EndpointSet,
        >,
        ConnectorError,
    > {
        Ok(BasicClient::new(ClientId::new(self.client_id.to_owned()))
            .set_client_secret(ClientSecret::new(self.client_secret.to_owned()))
            // Client credentials in the form body, which every provider we speak accepts.
            .set_auth_type(AuthType::RequestBody)
            .set_token_uri(TokenUrl::new(self.token_url.to_owned()).map_err(config_error("token_url"))?))
    }
}

fn tokens(response: &oauth2::basic::BasicTokenResponse) -> Tokens {
    Tokens {
        access_token: response.access_token().secret().clone(),
        refresh_token: response.refresh_token().map(|t| t.secret().clone()),
        expires_at: response
            .expires_in()
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| Utc::now() + d),
    }
}

/// A refused grant (bad code, revoked refresh token) is an auth failure; anything else may pass.
fn token_error<E: std::error::Error + 'static>(
    e: RequestTokenError<E, oauth2::basic::BasicErrorResponse>,
) -> ConnectorError {
    match e {
        RequestTokenError::ServerResponse(response) => ConnectorError::Auth(format!(
            "the token endpoint refused the grant: {}{}",
            response.error(),
            response
                .error_description()
                .map(|d| format!(" ({d})"))
                .unwrap_or_default()
        )),
        RequestTokenError::Request(e) => {
            let transport: &dyn std::error::Error = &e;
            match transport.downcast_ref::<TokenTransportError>() {
                Some(TokenTransportError::Refused(refused)) => {
                    ConnectorError::Config(format!("the token endpoint was not called: {refused}"))
                }
                _ => ConnectorError::retryable(format!("the token endpoint was unreachable: {e}")),
            }
        }
        RequestTokenError::Parse(e, _) => {
            ConnectorError::Rejected(format!("the token endpoint's answer is not OAuth: {e}"))
        }
        RequestTokenError::Other(e) => ConnectorError::Rejected(format!("token request failed: {e}")),
    }
}

/// The `oauth2` crate's HTTP seam, over the shared reqwest client. Redirects are not followed: a token endpoint
/// that redirects is misconfigured, and following could leak the client secret elsewhere.
async fn send(request: oauth2::HttpRequest) -> Result<oauth2::HttpResponse, TokenTransportError> {
    let request = reqwest::Request::try_from(request).map_err(|e| TokenTransportError::Failed(e.to_string()))?;
    crate::egress::policy()
        .check_url(request.url())
        .map_err(TokenTransportError::Refused)?;
    let response = token_client()
        .execute(request)
        .await
        .map_err(|e| match crate::egress::refusal(&e) {
            Some(refused) => TokenTransportError::Refused(refused),
            None => TokenTransportError::Failed(e.to_string()),
        })?;
    let mut builder = http::Response::builder().status(response.status());
    for (name, value) in response.headers() {
        builder = builder.header(name, value);
    }
    let body = response
        .bytes()
        .await
        .map_err(|e| TokenTransportError::Failed(e.to_string()))?;
    builder
        .body(body.to_vec())
        .map_err(|e| TokenTransportError::Failed(e.to_string()))
}

fn token_client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        crate::http::install_crypto_provider();
        reqwest::Client::builder()
            .user_agent(crate::http::USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .dns_resolver(crate::egress::CheckedResolver)
            .timeout(std::time::Duration::from_secs(30))
            .build()
            .expect("the HTTP client configuration is valid")
    })
}

#[derive(Debug, thiserror::Error)]
pub enum TokenTransportError {
    #[error(transparent)]
    Refused(crate::egress::Refused),
    #[error("{0}")]
    Failed(String),
}
