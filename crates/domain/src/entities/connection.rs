use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum ConnectionStatus {
    /// Not (or no longer) verified: new, or its settings or credentials changed since the last test.
    #[sea_orm(string_value = "disconnected")]
    Disconnected,
    /// The last test or use succeeded.
    #[sea_orm(string_value = "connected")]
    Connected,
    /// The last test or use failed; see `last_error`.
    #[sea_orm(string_value = "error")]
    Error,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disconnected => "disconnected",
            Self::Connected => "connected",
            Self::Error => "error",
        }
    }
}

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
