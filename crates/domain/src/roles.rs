//! Who is acting, and what their role lets them do (SPEC.md §1).
use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{DomainError, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, EnumIter, DeriveActiveEnum, Serialize, Deserialize, utoipa::ToSchema)]
#[sea_orm(rs_type = "String", db_type = "Text")]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Sets up connections, integrations, users and keys; sees everything.
    #[sea_orm(string_value = "admin")]
    Admin,
    /// Read-only on connections and integrations; runs jobs, reads reports, checks logs.
    #[sea_orm(string_value = "support")]
    Support,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Support => "support",
        }
    }
}

/// The authenticated caller: a signed-in user, or an API key acting for the user who created it.
#[derive(Debug, Clone)]
pub struct Principal {
    pub organisation_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    pub api_key_id: Option<Uuid>,
}

impl Principal {
    /// Running jobs: creating and cancelling schedules, running, cancelling, resuming and replaying runs. SPEC §1
    /// gives this to support users as well as admins.
    pub fn require_operator(&self) -> Result<()> {
        match self.role {
            Role::Admin | Role::Support => Ok(()),
        }
    }

    pub fn require_admin(&self) -> Result<()> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Support => Err(DomainError::Forbidden("admin")),
        }
    }
}
