use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum QueueStatus {
    #[sea_orm(string_value = "pending")]
    Pending,
    /// Taken by a processor right now.
    #[sea_orm(string_value = "processing")]
    Processing,
    #[sea_orm(string_value = "done")]
    Done,
    /// Archived with the reason; `reactivate` puts it back.
    #[sea_orm(string_value = "failed")]
    Failed,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "queue_items")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub integration_id: Uuid,
    pub event_type: String,
    pub source_id: String,
    pub event_id: Option<String>,
    /// The delivery's body as received.
    pub payload: String,
    pub received_at: DateTimeUtc,
    pub execute_at: DateTimeUtc,
    pub status: QueueStatus,
    pub attempts: i32,
    pub error: Option<String>,
    pub run_id: Option<Uuid>,
    pub locked_by: Option<String>,
    pub locked_at: Option<DateTimeUtc>,
    pub processed_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
