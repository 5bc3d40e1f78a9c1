use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "schedules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub integration_id: Uuid,
    /// What the schedule runs: `sync` for now.
    pub action: String,
    pub cron: Option<String>,
    pub every_n: Option<i32>,
    /// `minutes` | `hours` | `days`.
    pub every_unit: Option<String>,
    pub timezone: String,
    pub active: bool,
    pub next_run_at: Option<DateTimeUtc>,
    pub last_run_at: Option<DateTimeUtc>,
    pub priority: i32,
    /// -1: unlimited.
    pub max_calls: i64,
    pub calls: i64,
    pub repeat_missed: bool,
    pub params: Json,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
