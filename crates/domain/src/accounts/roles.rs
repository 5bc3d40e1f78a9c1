//! Who is acting, and what their role lets them do (SPEC.md §1).
use sea_orm::entity::prelude::*;

pub use crate::entities::user::Role;
use crate::error::{DomainError, Result};

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
