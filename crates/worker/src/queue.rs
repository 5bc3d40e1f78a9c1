//! Which job backend this process uses, chosen once from configuration.
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("job queue unreachable: {0}")]
    Unreachable(String),
    #[error("REDIS_URL is not a valid Redis URL: {0}")]
    BadUrl(String),
}

#[derive(Clone)]
pub enum QueueBackend {
    /// Jobs run in the same process, stored in the hub's own database; nothing else to run.
    Embedded,
    /// An apalis queue on Redis, shared by any number of `ihub worker` processes.
    Redis { client: redis::Client },
}

impl std::fmt::Debug for QueueBackend {
    // The URL may carry a password; never print it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Embedded => f.write_str("Embedded"),
            Self::Redis { .. } => f.write_str("Redis"),
        }
    }
}

impl QueueBackend {
    pub fn from_url(redis_url: Option<&str>) -> Result<Self, QueueError> {
        match redis_url {
            None => Ok(Self::Embedded),
            Some(url) => redis::Client::open(url)
                .map(|client| Self::Redis { client })
                .map_err(|e| QueueError::BadUrl(e.to_string())),
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Self::Embedded => "embedded",
            Self::Redis { .. } => "redis",
        }
    }

    /// For readiness: can this process reach its queue right now?
    pub async fn ping(&self) -> Result<(), QueueError> {
        match self {
            Self::Embedded => Ok(()),
            Self::Redis { client } => {
                let attempt = async {
                    let mut conn = client.get_multiplexed_async_connection().await?;
                    redis::cmd("PING").query_async::<String>(&mut conn).await
                };
                match tokio::time::timeout(Duration::from_secs(2), attempt).await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err(e)) => Err(QueueError::Unreachable(e.to_string())),
                    Err(_) => Err(QueueError::Unreachable("no answer within 2 s".into())),
                }
            }
        }
    }
}
