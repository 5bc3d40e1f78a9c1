//! Organisations (tenants). Created by operators with `ihub admin create-org`.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::Serialize;
use uuid::Uuid;

use crate::database::is_unique_violation;
use crate::entities::organisation;
use crate::error::{DomainError, Result};
use crate::{Hub, validate};

/// The display time zone of a new organisation; the first customers are in eastern Australia.
pub const DEFAULT_TIMEZONE: &str = "Australia/Sydney";

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Organisation {
    pub id: Uuid,
    #[schema(example = "Acme Pty Ltd")]
    pub name: String,
    /// IANA zone in which reports show times.
    #[schema(example = "Australia/Sydney")]
    pub timezone: String,
}

impl From<organisation::Model> for Organisation {
    fn from(m: organisation::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            timezone: m.timezone,
        }
    }
}

pub async fn create(hub: &Hub, name: &str, timezone: Option<&str>) -> Result<Organisation> {
    let name = validate::name("name", name, 200)?;
    let timezone = validate::timezone("timezone", timezone.unwrap_or(DEFAULT_TIMEZONE))?;
    let model = organisation::ActiveModel {
        id: Set(Uuid::now_v7()),
        name: Set(name.clone()),
        timezone: Set(timezone.name().to_owned()),
        created_at: Set(Utc::now()),
    }
    .insert(&hub.db)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            DomainError::conflict(
                "organisation_exists",
                format!("an organisation named `{name}` already exists"),
            )
        } else {
            e.into()
        }
    })?;
    Ok(model.into())
}

pub async fn get(hub: &Hub, id: Uuid) -> Result<Organisation> {
    organisation::Entity::find_by_id(id)
        .one(&hub.db)
        .await?
        .map(Into::into)
        .ok_or(DomainError::NotFound("organisation"))
}

/// Operators name organisations either way on the command line.
pub async fn find_by_id_or_name(hub: &Hub, id_or_name: &str) -> Result<Organisation> {
    if let Ok(id) = id_or_name.parse::<Uuid>()
        && let Some(found) = organisation::Entity::find_by_id(id).one(&hub.db).await?
    {
        return Ok(found.into());
    }
    organisation::Entity::find()
        .filter(organisation::Column::Name.eq(id_or_name.trim()))
        .one(&hub.db)
        .await?
        .map(Into::into)
        .ok_or(DomainError::NotFound("organisation"))
}
