//! Integration dates (SPEC.md §3): named watermarks per integration, such as when the last incremental read
//! started. Runs set them when they finish; an admin may move or clear them, knowing that this re-imports or skips
//! people.
use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ConnectionTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::accounts::roles::Principal;
use crate::entities::integration_date;
use crate::error::{Problems, Result};
use crate::logs::{self, LogLevel, NewLogEntry};
use crate::{Hub, integrations};

/// The watermark of incremental reads: the next run reads only people the source changed since then.
pub const EMPLOYEES_UPDATED_SINCE: &str = "employees_updated_since";

/// Every date an integration can have, with what it means, in the order they are shown.
pub const KNOWN: &[(&str, &str)] = &[(
    EMPLOYEES_UPDATED_SINCE,
    "Employees updated since: the next run reads only people the source changed after this time; unset, it reads \
     everyone",
)];

pub const WARNING: &str = "Runs read incrementally from these dates. Moving a date back re-imports everyone \
                           changed since then; moving it forward skips the changes made before it; clearing it \
                           makes the next run read everyone.";

/// The stored value of one date of an integration, if it is set. The caller has checked that the integration is
/// one it may act on.
pub async fn get(db: &impl ConnectionTrait, integration_id: Uuid, name: &str) -> Result<Option<DateTime<Utc>>> {
    Ok(integration_date::Entity::find_by_id((integration_id, name.to_owned()))
        .one(db)
        .await?
        .map(|d| d.value))
}

/// Sets one date of an integration, creating or replacing it; a run calls this when it finishes, with one of
/// [`KNOWN`]'s names.
pub async fn set(db: &impl ConnectionTrait, integration_id: Uuid, name: &str, value: DateTime<Utc>) -> Result<()> {
    debug_assert!(is_known(name), "unknown integration date `{name}`");
    let model = integration_date::ActiveModel {
        integration_id: Set(integration_id),
        name: Set(name.to_owned()),
        value: Set(value),
        updated_at: Set(Utc::now()),
    };
    integration_date::Entity::insert(model)
        .on_conflict(
            OnConflict::columns([integration_date::Column::IntegrationId, integration_date::Column::Name])
                .update_columns([integration_date::Column::Value, integration_date::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Unsets one date of an integration: the next run reads from the beginning.
pub async fn clear(db: &impl ConnectionTrait, integration_id: Uuid, name: &str) -> Result<()> {
    integration_date::Entity::delete_many()
        .filter(integration_date::Column::IntegrationId.eq(integration_id))
        .filter(integration_date::Column::Name.eq(name))
        .exec(db)
        .await?;
    Ok(())
}

fn is_known(name: &str) -> bool {
    KNOWN.iter().any(|(known, _)| *known == name)
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IntegrationDate {
    #[schema(example = "employees_updated_since")]
    pub name: String,
    /// What the date means.
    pub description: String,
    /// Null while unset.
    pub value: Option<DateTime<Utc>>,
    /// When the value last changed; null while unset.
    pub updated_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct IntegrationDates {
    /// Every known date, set or not.
    pub items: Vec<IntegrationDate>,
    /// What editing a date does to the next runs.
    #[schema(example = "Runs read incrementally from these dates. …")]
    pub warning: String,
}

/// The body of an update: name only the dates that change. Each is an RFC 3339 time not in the future, or null to
/// clear it.
// Only documents the body: [`update`] reads it as a JSON object, so that every error names its field.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationDatesUpdate {
    /// The watermark of incremental reads; null: the next run reads everyone.
    #[serde(default)]
    #[schema(value_type = Option<DateTime<Utc>>, example = "2026-01-31T00:00:00Z")]
    pub employees_updated_since: Option<Value>,
}

/// Every known date of one of the caller's integrations, with the warning an editor must see.
pub async fn list(hub: &Hub, who: &Principal, integration_id: Uuid) -> Result<IntegrationDates> {
    integrations::get(hub, who, integration_id).await?;
    dates_of(&hub.db, integration_id).await
}

async fn dates_of(db: &impl ConnectionTrait, integration_id: Uuid) -> Result<IntegrationDates> {
    let stored = integration_date::Entity::find()
        .filter(integration_date::Column::IntegrationId.eq(integration_id))
        .all(db)
        .await?;
    let items = KNOWN
        .iter()
        .map(|(name, description)| {
            let row = stored.iter().find(|d| d.name == *name);
            IntegrationDate {
                name: (*name).to_owned(),
                description: (*description).to_owned(),
                value: row.map(|d| d.value),
                updated_at: row.map(|d| d.updated_at),
            }
        })
        .collect();
    Ok(IntegrationDates {
        items,
        warning: WARNING.to_owned(),
    })
}

/// Sets or clears the named dates (admins only), all or none, and logs each change. Answers every date.
pub async fn update(
    hub: &Hub,
    who: &Principal,
    integration_id: Uuid,
    body: Map<String, Value>,
) -> Result<IntegrationDates> {
    who.require_admin()?;
    integrations::get(hub, who, integration_id).await?;
    let changes = parse_changes(&body, Utc::now())?;
    let txn = crate::database::begin_write(&hub.db).await?;
    for (name, value) in changes {
        let old = get(&txn, integration_id, name).await?;
        if old == value {
            continue;
        }
        match value {
            Some(value) => set(&txn, integration_id, name, value).await?,
            None => clear(&txn, integration_id, name).await?,
        }
        logs::write(
            &txn,
            NewLogEntry {
                organisation_id: who.organisation_id,
                level: LogLevel::Info,
                message: format!(
                    "Integration date `{name}` changed by hand from {} to {}",
                    shown(old),
                    shown(value)
                ),
                details: Some(json!({"name": name, "old": old, "new": value, "changed_by": who.user_id})),
                integration_id: Some(integration_id),
                run_id: None,
                source_id: None,
            },
        )
        .await?;
    }
    txn.commit().await?;
    dates_of(&hub.db, integration_id).await
}

fn shown(value: Option<DateTime<Utc>>) -> String {
    value.map_or_else(|| "unset".to_owned(), |v| v.to_rfc3339())
}

/// A known date's name and its new value (`None`: clear it).
type Change = (&'static str, Option<DateTime<Utc>>);

/// Reads `{name: time | null}`, naming every field that is unknown, not a time, or in the future.
fn parse_changes(body: &Map<String, Value>, now: DateTime<Utc>) -> Result<Vec<Change>> {
    let mut problems = Problems::default();
    let mut changes = Vec::new();
    for (field, value) in body {
        let Some((name, _)) = KNOWN.iter().find(|(known, _)| known == field) else {
            let known: Vec<&str> = KNOWN.iter().map(|(name, _)| *name).collect();
            problems.add(
                field.as_str(),
                format!("is not an integration date; known: {}", known.join(", ")),
            );
            continue;
        };
        let parsed = match value {
            Value::Null => Ok(None),
            Value::String(raw) => DateTime::parse_from_rfc3339(raw)
                // Microseconds, as PostgreSQL keeps them, so both backends answer what they stored.
                .map(|t| Some(t.with_timezone(&Utc).trunc_subsecs(6)))
                .map_err(|_| "must be an RFC 3339 time such as 2026-01-31T00:00:00Z, or null to clear it"),
            _ => Err("must be an RFC 3339 time such as 2026-01-31T00:00:00Z, or null to clear it"),
        };
        match parsed {
            Ok(Some(at)) if at > now => problems.add(
                field.as_str(),
                "is in the future: the next run would skip every change made until then",
            ),
            Ok(at) => changes.push((*name, at)),
            Err(message) => problems.add(field.as_str(), message),
        }
    }
    problems.finish()?;
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DomainError;

    fn fields(err: DomainError) -> Vec<String> {
        match err {
            DomainError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn changes_parse_and_name_what_is_wrong() {
        let now = Utc::now();
        let body = |v: Value| v.as_object().unwrap().clone();
        let set = parse_changes(
            &body(json!({"employees_updated_since": "2026-01-31T10:00:00+10:00"})),
            now,
        )
        .unwrap();
        assert_eq!(
            set,
            [(EMPLOYEES_UPDATED_SINCE, Some("2026-01-31T00:00:00Z".parse().unwrap()))]
        );
        let cleared = parse_changes(&body(json!({"employees_updated_since": null})), now).unwrap();
        assert_eq!(cleared, [(EMPLOYEES_UPDATED_SINCE, None)]);
        let bad = parse_changes(
            &body(json!({"shoe_size": 3, "employees_updated_since": "yesterday"})),
            now,
        );
        assert_eq!(fields(bad.unwrap_err()), ["employees_updated_since", "shoe_size"]);
        let future = (now + chrono::Duration::days(1)).to_rfc3339();
        let bad = parse_changes(&body(json!({"employees_updated_since": future})), now);
        assert_eq!(fields(bad.unwrap_err()), ["employees_updated_since"]);
        assert!(parse_changes(&body(json!({"employees_updated_since": 5})), now).is_err());
    }

    #[test]
    fn the_documented_body_names_every_known_date() {
        use utoipa::PartialSchema;
        let schema = serde_json::to_value(IntegrationDatesUpdate::schema()).unwrap();
        let documented: Vec<&str> = schema["properties"]
            .as_object()
            .unwrap()
            .keys()
            .map(|k| k.as_str())
            .collect();
        let known: Vec<&str> = KNOWN.iter().map(|(name, _)| *name).collect();
        assert_eq!(documented, known);
    }
}
