//! The one HTTP client setup every connector uses, and the classification of HTTP outcomes.
use std::sync::Once;
use std::time::Duration;

use reqwest::{Response, StatusCode};

use crate::error::ConnectorError;

pub const USER_AGENT: &str = concat!(
    "IntegrationHub/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/integration-hub)"
);

/// rustls needs a process-wide crypto provider; ring is the one this workspace builds.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

pub fn client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("the HTTP client configuration is valid")
}

/// Describes a transport failure without echoing the URL's query (it may carry secrets).
pub fn transport_error(system: &str, err: reqwest::Error) -> ConnectorError {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let host = err
        .url()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    ConnectorError::Retryable(format!("{system}: {what} ({host})"))
}

/// Turns a non-success answer into the error class the caller acts on; passes successes through.
pub async fn check(system: &str, response: Response) -> Result<Response, ConnectorError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body = response.text().await.unwrap_or_default();
    let snippet: String = body.chars().take(200).collect();
    let message = format!(
        "{system} answered {status}{}",
        if snippet.is_empty() {
            String::new()
        } else {
            format!(": {snippet}")
        }
    );
    Err(match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ConnectorError::Auth(message),
        StatusCode::NOT_FOUND => ConnectorError::NotFound(message),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => ConnectorError::Retryable(message),
        s if s.is_server_error() => ConnectorError::Retryable(message),
        _ => ConnectorError::Rejected(message),
    })
}
