use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "log_entries")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    /// `debug` | `info` | `warning` | `error` | `critical`.
    pub level: String,
    pub message: String,
    pub details: Option<Json>,
    pub integration_id: Option<Uuid>,
    pub run_id: Option<Uuid>,
    pub source_id: Option<String>,
    pub checked_at: Option<DateTimeUtc>,
    pub checked_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
