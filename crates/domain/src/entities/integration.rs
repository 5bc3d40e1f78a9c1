use sea_orm::entity::prelude::*;

use crate::integrations::{IntegrationKind, IntegrationState};

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "integrations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub name: String,
    pub kind: IntegrationKind,
    pub source_connection_id: Uuid,
    pub target_connection_id: Uuid,
    pub settings: Json,
    pub state: IntegrationState,
    pub run_counter: i64,
    /// The webhook URL's token, sealed (see `secrets::SecretBox`).
    pub webhook_token: Option<Vec<u8>>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
