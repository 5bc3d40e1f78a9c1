use sea_orm::entity::prelude::*;

use crate::connections::ConnectionStatus;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "connections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub name: String,
    pub connector: String,
    pub settings: Json,
    /// Sealed credentials (nonce ‖ ciphertext); see `secrets::SecretBox`.
    pub credentials: Option<Vec<u8>>,
    pub status: ConnectionStatus,
    pub last_error: Option<String>,
    pub checked_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
