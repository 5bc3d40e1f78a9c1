use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum IntegrationKind {
    /// People from an HR system become users of the target.
    #[sea_orm(string_value = "employees_to_users")]
    EmployeesToUsers,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum IntegrationState {
    #[sea_orm(string_value = "inactive")]
    Inactive,
    /// Enabled on a staging instance: runs are dry runs that write nothing.
    #[sea_orm(string_value = "test")]
    Test,
    /// Enabled on a production instance: runs write to the target.
    #[sea_orm(string_value = "active")]
    Active,
}

impl IntegrationState {
    pub fn is_enabled(self) -> bool {
        !matches!(self, Self::Inactive)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inactive => "inactive",
            Self::Test => "test",
            Self::Active => "active",
        }
    }
}

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
