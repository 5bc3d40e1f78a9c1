use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// What the processor decided for one person.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    #[sea_orm(string_value = "create")]
    Create,
    #[sea_orm(string_value = "update")]
    Update,
    #[sea_orm(string_value = "deactivate")]
    Deactivate,
    /// Unchanged since the last write.
    #[sea_orm(string_value = "skip")]
    Skip,
    /// Dropped before writing; `reason` says why.
    #[sea_orm(string_value = "filter")]
    Filter,
}

/// What the writer did about it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema,
)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    #[sea_orm(string_value = "created")]
    Created,
    #[sea_orm(string_value = "updated")]
    Updated,
    #[sea_orm(string_value = "deactivated")]
    Deactivated,
    #[sea_orm(string_value = "unchanged")]
    Unchanged,
    #[sea_orm(string_value = "failed")]
    Failed,
    /// A test-state integration: what would have been written, not written.
    #[sea_orm(string_value = "dry_run")]
    DryRun,
}

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "run_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub run_id: Uuid,
    pub source_id: String,
    pub target_id: Option<String>,
    pub name: String,
    pub decision: Decision,
    pub reason: Option<String>,
    pub outcome: Outcome,
    pub error: Option<String>,
    pub changes: Json,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
