use sea_orm::entity::prelude::*;

use crate::runs::{Decision, Outcome};

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
