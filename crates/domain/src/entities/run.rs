use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum RunTrigger {
    #[sea_orm(string_value = "scheduled")]
    Scheduled,
    #[sea_orm(string_value = "manual")]
    Manual,
    #[sea_orm(string_value = "webhook")]
    Webhook,
    /// A replay of another run's failed records.
    #[sea_orm(string_value = "retry")]
    Retry,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    #[sea_orm(string_value = "queued")]
    Queued,
    #[sea_orm(string_value = "in_progress")]
    InProgress,
    /// Finished with every record as intended (shown as COMPLETE).
    #[sea_orm(string_value = "done")]
    Done,
    /// Finished, but some records failed.
    #[sea_orm(string_value = "partial")]
    Partial,
    /// Failed as a whole; will be tried again after a backoff.
    #[sea_orm(string_value = "retry")]
    Retry,
    /// Failed for good (shown as ERROR).
    #[sea_orm(string_value = "failed")]
    Failed,
    #[sea_orm(string_value = "cancelled")]
    Cancelled,
}

impl RunStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Done | Self::Partial | Self::Failed | Self::Cancelled)
    }
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub integration_id: Uuid,
    pub number: i64,
    pub schedule_id: Option<Uuid>,
    pub trigger: RunTrigger,
    pub status: RunStatus,
    pub attempt: i32,
    pub max_attempts: i32,
    pub dry_run: bool,
    pub full: bool,
    pub params: Json,
    pub source_ids: Option<Json>,
    pub replay_of: Option<Uuid>,
    pub queued_at: DateTimeUtc,
    pub not_before: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
    pub heartbeat_at: Option<DateTimeUtc>,
    pub worker: Option<String>,
    pub checkpoint: Option<String>,
    pub since: Option<DateTimeUtc>,
    pub read_started_at: Option<DateTimeUtc>,
    pub records_read: i64,
    pub records_filtered: i64,
    pub records_written: i64,
    pub records_would_write: i64,
    pub records_errors: i64,
    pub error: Option<String>,
    pub cancel_requested: bool,
    /// When retention removed the run's record lines (the counts stay).
    pub records_removed_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
