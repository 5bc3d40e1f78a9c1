use ihub_domain::catalog::ConnectionFailure;

/// How a call to a third-party system failed, classified by what the caller should do about it.
#[derive(Debug, thiserror::Error)]
pub enum ConnectorError {
    /// Worth trying again later: rate limited, 5xx, timeouts, connection refused.
    #[error("{0}")]
    Retryable(String),
    /// The credentials were refused: the connection must go to `error` until someone fixes it.
    #[error("{0}")]
    Auth(String),
    #[error("{0}")]
    NotFound(String),
    /// The system refused this one record; the run goes on.
    #[error("{0}")]
    Rejected(String),
    /// The settings cannot work (a malformed URL, a missing organisation).
    #[error("{0}")]
    Config(String),
}

impl From<ConnectorError> for ConnectionFailure {
    fn from(e: ConnectorError) -> Self {
        ConnectionFailure(e.to_string())
    }
}
