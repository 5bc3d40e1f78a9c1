use std::sync::Arc;

use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};

use crate::accounts::auth::TokenSettings;
use crate::connections::ports::Catalog;
use crate::job_queue::{ConsumerStatus, JobQueue};
use crate::secrets::Keys;

/// Whether enabled integrations write (production) or only rehearse with dry runs (staging).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    #[default]
    Production,
    Staging,
}

/// What every domain service needs, built once at start and shared by the api and the worker.
#[derive(Clone)]
pub struct Hub {
    pub db: DatabaseConnection,
    pub keys: Arc<Keys>,
    pub catalog: Arc<Catalog>,
    pub environment: Environment,
    pub tokens: TokenSettings,
    pub job_queue: Arc<dyn JobQueue>,
    /// This process's job consumer, for readiness.
    pub consumer: ConsumerStatus,
    /// Where sources and browsers reach this hub (`https://hub.example.com`), for the URLs it hands out.
    pub public_url: String,
    pub quotas: Quotas,
}

/// Ceilings on what one organisation can pile up, each configurable by the operator.
#[derive(Debug, Clone, Copy)]
pub struct Quotas {
    /// Schedules one integration may have.
    pub schedules_per_integration: u64,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            schedules_per_integration: 20,
        }
    }
}
