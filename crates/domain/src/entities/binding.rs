use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "bindings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub integration_id: Uuid,
    pub source_id: String,
    pub target_id: String,
    /// Hash of `written`: an unchanged person is skipped without comparing field by field.
    pub hash: String,
    /// The user fields as the hub last wrote them.
    pub written: Json,
    pub active: bool,
    /// The manager the source named when the hub last wrote the person, and the target id it linked them to
    /// (none while the manager was not in the target).
    pub manager_source_id: Option<String>,
    pub manager_target_id: Option<String>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
