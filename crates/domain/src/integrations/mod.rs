//! Integrations: a source connection joined to a target connection for one kind of sync, with a lifecycle of
//! `inactive` → (`test` | `active`) → `inactive`.
pub mod dates;
pub mod schedules;
use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::roles::Principal;
use crate::connections::ports::ConnectorRole;
use crate::connections::{self, ConnectionStatus};
use crate::database::is_unique_violation;
pub use crate::entities::integration::{IntegrationKind, IntegrationState};
use crate::entities::{connection, integration};
use crate::error::{DomainError, FieldError, Problems, Result};
use crate::pagination::{self, Page, PageRequest};
use crate::{Environment, Hub, inbound::webhooks, validate};

/// A field of the canonical person, as named in settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonField {
    Email,
    FirstName,
    LastName,
    JobTitle,
    Location,
    Department,
    Manager,
    StartDate,
}

/// When a person new to the source becomes a user in the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NewPersonTrigger {
    /// As soon as the person exists in the source.
    #[default]
    OnCreation,
    /// Once the person has completed onboarding in the source.
    OnOnboardingComplete,
    /// From the person's start date.
    FromStartDate,
}

/// What happens in the target when a person leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeactivationPolicy {
    /// Deactivate the user as soon as the source marks the person terminated or inactive.
    #[default]
    OnTermination,
    /// Deactivate the user once the termination date has passed.
    OnTerminationDate,
    /// Never deactivate; leavers are left for the target's admins.
    Never,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationSettings {
    /// People missing any of these are filtered out, with the reason in the run report.
    #[serde(default = "default_mandatory_fields")]
    #[schema(example = json!(["email", "first_name", "last_name"]))]
    pub mandatory_fields: Vec<PersonField>,
    #[serde(default)]
    pub new_person_trigger: NewPersonTrigger,
    #[serde(default)]
    pub deactivation_policy: DeactivationPolicy,
    /// Where failed or partial sync reports are emailed.
    #[serde(default)]
    #[schema(example = "hr-systems@example.com")]
    pub error_notification_email: Option<String>,
    /// Seconds a webhook event waits before it is processed; a burst of events for one person within it becomes
    /// one sync of their latest state (0–3600).
    #[serde(default = "default_webhook_delay")]
    #[schema(minimum = 0, maximum = 3600, example = 10)]
    pub webhook_delay_seconds: u32,
    /// Whether a new person whose email matches an archived (deactivated) user in the target is linked to that
    /// user and reactivates it. Off: the person's record fails with the reason, and the archived user stays as it
    /// is. Users the hub created for the person themselves are reactivated either way.
    #[serde(default)]
    pub reactivate_archived_users: bool,
}

fn default_webhook_delay() -> u32 {
    10
}

fn default_mandatory_fields() -> Vec<PersonField> {
    vec![PersonField::Email, PersonField::FirstName, PersonField::LastName]
}

impl Default for IntegrationSettings {
    fn default() -> Self {
        Self {
            mandatory_fields: default_mandatory_fields(),
            new_person_trigger: NewPersonTrigger::default(),
            deactivation_policy: DeactivationPolicy::default(),
            error_notification_email: None,
            webhook_delay_seconds: default_webhook_delay(),
            reactivate_archived_users: false,
        }
    }
}

impl IntegrationSettings {
    /// Parses untyped settings so that every error names its field (`settings.new_person_trigger`).
    pub fn parse(value: &Value) -> Result<Self> {
        let mut settings: Self = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            DomainError::Validation(vec![
                FieldError::from_serde(&path, &e.into_inner().to_string()).under("settings"),
            ])
        })?;
        if let Some(email) = &settings.error_notification_email {
            settings.error_notification_email = Some(validate::email("settings.error_notification_email", email)?);
        }
        if settings.webhook_delay_seconds > 3600 {
            return Err(DomainError::invalid(
                "settings.webhook_delay_seconds",
                "must be between 0 and 3600",
            ));
        }
        let mut seen = std::collections::HashSet::new();
        settings.mandatory_fields.retain(|f| seen.insert(*f));
        Ok(settings)
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Integration {
    pub id: Uuid,
    #[schema(example = "Employment Hero → LMS")]
    pub name: String,
    pub kind: IntegrationKind,
    pub source_connection_id: Uuid,
    pub target_connection_id: Uuid,
    pub settings: IntegrationSettings,
    pub state: IntegrationState,
    /// Where the source posts webhook deliveries; it carries the integration's secret, so only admins see it.
    pub webhook_url: Option<String>,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl TryFrom<integration::Model> for Integration {
    type Error = DomainError;

    fn try_from(m: integration::Model) -> Result<Self> {
        Ok(Self {
            settings: IntegrationSettings::parse(&m.settings)
                .map_err(|e| DomainError::Internal(format!("stored settings of integration {}: {e:?}", m.id)))?,
            id: m.id,
            name: m.name,
            kind: m.kind,
            source_connection_id: m.source_connection_id,
            target_connection_id: m.target_connection_id,
            state: m.state,
            webhook_url: None,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIntegration {
    #[schema(example = "Employment Hero → LMS")]
    pub name: String,
    pub kind: IntegrationKind,
    pub source_connection_id: Uuid,
    pub target_connection_id: Uuid,
    /// Omitted fields take their defaults.
    #[serde(default)]
    #[schema(value_type = Option<IntegrationSettings>)]
    pub settings: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationChanges {
    pub name: Option<String>,
    /// Only while inactive.
    pub source_connection_id: Option<Uuid>,
    /// Only while inactive.
    pub target_connection_id: Option<Uuid>,
    /// Merged into the current settings key by key: name only what changes.
    #[schema(value_type = Option<IntegrationSettings>)]
    pub settings: Option<Value>,
}

/// Checks that a connection of the caller's organisation exists and its connector can play `role`.
async fn check_endpoint(
    hub: &Hub,
    who: &Principal,
    field: &str,
    id: Uuid,
    role: ConnectorRole,
) -> Result<connection::Model> {
    let conn = connections::find(&hub.db, who.organisation_id, id)
        .await
        .map_err(|e| match e {
            DomainError::NotFound(_) => DomainError::invalid(field, "no connection with this id"),
            other => other,
        })?;
    let plays_role = hub
        .catalog
        .get(&conn.connector)
        .is_some_and(|c| c.info().roles.contains(&role));
    if !plays_role {
        let role = match role {
            ConnectorRole::Source => "source",
            ConnectorRole::Target => "target",
        };
        return Err(DomainError::invalid(
            field,
            format!("connection `{}` ({}) cannot be a {role}", conn.name, conn.connector),
        ));
    }
    Ok(conn)
}

fn settings_value(settings: &IntegrationSettings) -> Value {
    serde_json::to_value(settings).expect("settings serialise")
}

pub async fn create(hub: &Hub, who: &Principal, input: NewIntegration) -> Result<Integration> {
    who.require_admin()?;
    let mut problems = Problems::default();
    let name = problems.check(validate::name("name", &input.name, 200));
    problems.check(
        check_endpoint(
            hub,
            who,
            "source_connection_id",
            input.source_connection_id,
            ConnectorRole::Source,
        )
        .await,
    );
    problems.check(
        check_endpoint(
            hub,
            who,
            "target_connection_id",
            input.target_connection_id,
            ConnectorRole::Target,
        )
        .await,
    );
    let settings = match &input.settings {
        None => Some(IntegrationSettings::default()),
        Some(value) => problems.check(IntegrationSettings::parse(value)),
    };
    problems.finish()?;
    let (name, settings) = (name.expect("checked"), settings.expect("checked"));
    let now = Utc::now();
    let id = Uuid::now_v7();
    let model = integration::ActiveModel {
        id: Set(id),
        organisation_id: Set(who.organisation_id),
        name: Set(name.clone()),
        kind: Set(input.kind),
        source_connection_id: Set(input.source_connection_id),
        target_connection_id: Set(input.target_connection_id),
        settings: Set(settings_value(&settings)),
        state: Set(IntegrationState::Inactive),
        run_counter: Set(0),
        webhook_token: Set(Some(webhooks::new_sealed_token(hub, id))),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&hub.db)
    .await
    .map_err(|e| name_taken(e, &name))?;
    present(hub, who, model)
}

fn name_taken(e: DbErr, name: &str) -> DomainError {
    if is_unique_violation(&e) {
        DomainError::conflict("name_taken", format!("an integration named `{name}` already exists"))
    } else {
        e.into()
    }
}

/// The integration as its caller may see it: the webhook URL, which carries a secret, only for admins.
pub(crate) fn present(hub: &Hub, who: &Principal, model: integration::Model) -> Result<Integration> {
    let url = if who.role == crate::Role::Admin {
        webhooks::url(hub, &model)?
    } else {
        None
    };
    let mut integration: Integration = model.try_into()?;
    integration.webhook_url = url;
    Ok(integration)
}

pub(crate) async fn find(hub: &Hub, who: &Principal, id: Uuid) -> Result<integration::Model> {
    integration::Entity::find_by_id(id)
        .filter(integration::Column::OrganisationId.eq(who.organisation_id))
        .one(&hub.db)
        .await?
        .ok_or(DomainError::NotFound("integration"))
}

pub async fn get(hub: &Hub, who: &Principal, id: Uuid) -> Result<Integration> {
    present(hub, who, find(hub, who, id).await?)
}

pub async fn list(hub: &Hub, who: &Principal, page: &PageRequest) -> Result<Page<Integration>> {
    let select = integration::Entity::find().filter(integration::Column::OrganisationId.eq(who.organisation_id));
    let page = pagination::fetch(&hub.db, select, integration::Column::Id, page.parse()?, |m| m.id).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|m| present(hub, who, m))
            .collect::<Result<_>>()?,
        next_cursor: page.next_cursor,
    })
}

pub async fn update(hub: &Hub, who: &Principal, id: Uuid, changes: IntegrationChanges) -> Result<Integration> {
    who.require_admin()?;
    let current = find(hub, who, id).await?;
    let mut problems = Problems::default();
    let name = changes
        .name
        .as_deref()
        .and_then(|n| problems.check(validate::name("name", n, 200)));
    let rewiring = changes
        .source_connection_id
        .is_some_and(|s| s != current.source_connection_id)
        || changes
            .target_connection_id
            .is_some_and(|t| t != current.target_connection_id);
    if rewiring && current.state.is_enabled() {
        return Err(DomainError::conflict(
            "integration_enabled",
            "connections of an enabled integration cannot change; disable it first",
        ));
    }
    if let Some(source) = changes.source_connection_id {
        problems.check(check_endpoint(hub, who, "source_connection_id", source, ConnectorRole::Source).await);
    }
    if let Some(target) = changes.target_connection_id {
        problems.check(check_endpoint(hub, who, "target_connection_id", target, ConnectorRole::Target).await);
    }
    let settings = match &changes.settings {
        None => None,
        Some(Value::Object(patch)) => {
            let mut merged = current.settings.clone();
            if let Value::Object(target) = &mut merged {
                target.extend(patch.clone());
            }
            problems.check(IntegrationSettings::parse(&merged))
        }
        Some(_) => {
            problems.add("settings", "must be a JSON object");
            None
        }
    };
    problems.finish()?;
    let mut model: integration::ActiveModel = current.into();
    if let Some(name) = &name {
        model.name = Set(name.clone());
    }
    if let Some(source) = changes.source_connection_id {
        model.source_connection_id = Set(source);
    }
    if let Some(target) = changes.target_connection_id {
        model.target_connection_id = Set(target);
    }
    if let Some(settings) = &settings {
        model.settings = Set(settings_value(settings));
    }
    model.updated_at = Set(Utc::now());
    let updated = model
        .update(&hub.db)
        .await
        .map_err(|e| name_taken(e, name.as_deref().unwrap_or_default()))?;
    present(hub, who, updated)
}

/// Enabling needs both connections connected. Staging instances only ever rehearse (`test`).
pub async fn enable(hub: &Hub, who: &Principal, id: Uuid) -> Result<Integration> {
    who.require_admin()?;
    let current = find(hub, who, id).await?;
    let source = connections::find(&hub.db, who.organisation_id, current.source_connection_id).await?;
    let target = connections::find(&hub.db, who.organisation_id, current.target_connection_id).await?;
    let not_ready: Vec<String> = [("source", &source), ("target", &target)]
        .into_iter()
        .filter(|(_, c)| c.status != ConnectionStatus::Connected)
        .map(|(end, c)| match &c.last_error {
            Some(err) => format!("{end} connection `{}` is {} ({err})", c.name, c.status.as_str()),
            None => format!("{end} connection `{}` is {}", c.name, c.status.as_str()),
        })
        .collect();
    if !not_ready.is_empty() {
        return Err(DomainError::conflict(
            "connections_not_connected",
            format!(
                "both connections must be connected before enabling: {}. Test or connect them first",
                not_ready.join("; ")
            ),
        ));
    }
    let state = match hub.environment {
        Environment::Production => IntegrationState::Active,
        Environment::Staging => IntegrationState::Test,
    };
    set_state(hub, who, current, state).await
}

pub async fn disable(hub: &Hub, who: &Principal, id: Uuid) -> Result<Integration> {
    who.require_admin()?;
    let current = find(hub, who, id).await?;
    set_state(hub, who, current, IntegrationState::Inactive).await
}

async fn set_state(
    hub: &Hub,
    who: &Principal,
    current: integration::Model,
    state: IntegrationState,
) -> Result<Integration> {
    if current.state == state {
        return present(hub, who, current);
    }
    let mut model: integration::ActiveModel = current.into();
    model.state = Set(state);
    model.updated_at = Set(Utc::now());
    present(hub, who, model.update(&hub.db).await?)
}

pub async fn delete(hub: &Hub, who: &Principal, id: Uuid) -> Result<()> {
    who.require_admin()?;
    let current = find(hub, who, id).await?;
    if current.state.is_enabled() {
        return Err(DomainError::conflict(
            "integration_enabled",
            format!(
                "integration `{}` is {}; disable it first, then delete it",
                current.name,
                current.state.as_str()
            ),
        ));
    }
    integration::Entity::delete_by_id(id).exec(&hub.db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_default_and_name_the_wrong_field() {
        let parsed = IntegrationSettings::parse(&json!({})).unwrap();
        assert_eq!(parsed, IntegrationSettings::default());
        let err = IntegrationSettings::parse(&json!({"new_person_trigger": "someday"})).unwrap_err();
        assert!(matches!(err, DomainError::Validation(e) if e[0].field == "settings.new_person_trigger"));
        let err = IntegrationSettings::parse(&json!({"mandatory_fields": ["email", "shoe_size"]})).unwrap_err();
        assert!(matches!(err, DomainError::Validation(e) if e[0].field.starts_with("settings.mandatory_fields")));
        let err = IntegrationSettings::parse(&json!({"error_notification_email": "nope"})).unwrap_err();
        assert!(matches!(err, DomainError::Validation(e) if e[0].field == "settings.error_notification_email"));
    }
}
