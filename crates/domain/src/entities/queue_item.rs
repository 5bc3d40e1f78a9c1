use sea_orm::entity::prelude::*;

use crate::queue::QueueStatus;

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
