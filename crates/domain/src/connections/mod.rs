//! Connections: configured accounts of a connector. Credentials are write-only and sealed at rest.
mod origins;
pub mod people;
pub mod ports;
use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::{Condition, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use std::sync::Arc;

use crate::accounts::roles::Principal;
use crate::connections::ports::{Choice, ConnectionContext, Connector, ConnectorError, CredentialSink};
use crate::database::is_unique_violation;
pub use crate::entities::connection::ConnectionStatus;
use crate::entities::{connection, integration, oauth_state};
use crate::error::{DomainError, FieldError, Problems, Result};
use crate::pagination::{self, Page, PageRequest};
use crate::{Hub, validate};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Connection {
    pub id: Uuid,
    #[schema(example = "Employment Hero (production)")]
    pub name: String,
    #[schema(example = "scim")]
    pub connector: String,
    #[schema(value_type = HashMap<String, serde_json::Value>, example = json!({"base_url": "https://lms.example.com/scim/v2"}))]
    pub settings: Value,
    pub status: ConnectionStatus,
    /// Why the last test or use failed.
    pub last_error: Option<String>,
    /// When the status was last established.
    pub checked_at: Option<chrono::DateTime<Utc>>,
    /// Whether credentials are stored (their values are never returned).
    pub has_credentials: bool,
    pub created_at: chrono::DateTime<Utc>,
    pub updated_at: chrono::DateTime<Utc>,
}

impl From<connection::Model> for Connection {
    fn from(m: connection::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            connector: m.connector,
            settings: m.settings,
            status: m.status,
            last_error: m.last_error,
            checked_at: m.checked_at,
            has_credentials: m.credentials.is_some(),
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConnection {
    #[schema(example = "Learning platform")]
    pub name: String,
    /// A `kind` from `GET /connectors`.
    #[schema(example = "scim")]
    pub connector: String,
    /// Must match the connector's `settings_schema`.
    #[serde(default = "empty_object")]
    #[schema(value_type = HashMap<String, serde_json::Value>, example = json!({"base_url": "https://lms.example.com/scim/v2"}))]
    pub settings: Value,
    /// Must match the connector's `credentials_schema`. Write-only: never returned.
    #[schema(value_type = Option<HashMap<String, serde_json::Value>>, example = json!({"token": "s3cr3t"}))]
    pub credentials: Option<Value>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionChanges {
    pub name: Option<String>,
    /// Replaces the settings as a whole; the connection must be tested again afterwards.
    #[schema(value_type = Option<HashMap<String, serde_json::Value>>)]
    pub settings: Option<Value>,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CredentialsReplacement {
    /// Must match the connector's `credentials_schema`. Write-only: never returned.
    #[schema(value_type = HashMap<String, serde_json::Value>, example = json!({"token": "n3w-s3cr3t"}))]
    pub credentials: Value,
}

fn empty_object() -> Value {
    Value::Object(Default::default())
}

fn connector<'a>(hub: &'a Hub, kind: &str) -> Result<&'a std::sync::Arc<dyn Connector>> {
    hub.catalog.get(kind).ok_or_else(|| {
        DomainError::invalid(
            "connector",
            format!("unknown connector `{kind}`; known: {}", hub.catalog.kinds().join(", ")),
        )
    })
}

fn check_object(problems: &mut Problems, field: &str, value: &Value) -> bool {
    if value.is_object() {
        true
    } else {
        problems.add(field, "must be a JSON object");
        false
    }
}

fn nest(errors: Vec<FieldError>, parent: &str) -> Vec<FieldError> {
    errors.into_iter().map(|e| e.under(parent)).collect()
}

/// Parser messages quote the offending value ("invalid type: string `hunter2`"); for credentials that value is a
/// secret, so only the field name and the kind of problem are kept.
fn nest_secret(errors: Vec<FieldError>) -> Vec<FieldError> {
    errors
        .into_iter()
        .map(|e| {
            let message = if e.message.starts_with("invalid type") || e.message.starts_with("invalid value") {
                "has the wrong type or value".to_owned()
            } else {
                e.message
            };
            FieldError {
                field: e.field,
                message,
            }
            .under("credentials")
        })
        .collect()
}

pub async fn create(hub: &Hub, who: &Principal, input: NewConnection) -> Result<Connection> {
    who.require_admin()?;
    let mut problems = Problems::default();
    let name = problems.check(validate::name("name", &input.name, 200));
    let connector = problems.check(connector(hub, &input.connector));
    if let Some(connector) = connector {
        if check_object(&mut problems, "settings", &input.settings)
            && let Err(errors) = connector.validate_settings(&input.settings)
        {
            problems.extend(nest(errors, "settings"));
        }
        if let Some(credentials) = &input.credentials
            && check_object(&mut problems, "credentials", credentials)
            && let Err(errors) = connector.validate_credentials(credentials)
        {
            problems.extend(nest_secret(errors));
        }
    }
    problems.finish()?;
    let name = name.expect("checked");
    let id = Uuid::now_v7();
    let now = Utc::now();
    let model = connection::ActiveModel {
        id: Set(id),
        organisation_id: Set(who.organisation_id),
        name: Set(name.clone()),
        connector: Set(input.connector),
        settings: Set(input.settings),
        credentials: Set(input.credentials.as_ref().map(|c| seal(hub, id, c))),
        status: Set(ConnectionStatus::Disconnected),
        last_error: Set(None),
        checked_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&hub.db)
    .await
    .map_err(|e| name_taken(e, &name))?;
    Ok(model.into())
}

fn name_taken(e: DbErr, name: &str) -> DomainError {
    if is_unique_violation(&e) {
        DomainError::conflict("name_taken", format!("a connection named `{name}` already exists"))
    } else {
        e.into()
    }
}

fn seal(hub: &Hub, id: Uuid, credentials: &Value) -> Vec<u8> {
    hub.keys.seal(credentials.to_string().as_bytes(), id.as_bytes())
}

/// The decrypted credentials, for connectors only; never for a response.
pub fn open_credentials(hub: &Hub, model: &connection::Model) -> Result<Option<Value>> {
    model
        .credentials
        .as_deref()
        .map(|sealed| {
            let plain = hub.keys.open(sealed, model.id.as_bytes())?;
            serde_json::from_slice(&plain).map_err(|e| DomainError::Internal(format!("stored credentials: {e}")))
        })
        .transpose()
}

pub async fn list(hub: &Hub, who: &Principal, page: &PageRequest) -> Result<Page<Connection>> {
    let select = connection::Entity::find().filter(connection::Column::OrganisationId.eq(who.organisation_id));
    Ok(
        pagination::fetch(&hub.db, select, connection::Column::Id, page.parse()?, |m| m.id)
            .await?
            .map(Into::into),
    )
}

pub(crate) async fn find(db: &impl ConnectionTrait, organisation_id: Uuid, id: Uuid) -> Result<connection::Model> {
    connection::Entity::find_by_id(id)
        .filter(connection::Column::OrganisationId.eq(organisation_id))
        .one(db)
        .await?
        .ok_or(DomainError::NotFound("connection"))
}

pub async fn get(hub: &Hub, who: &Principal, id: Uuid) -> Result<Connection> {
    Ok(find(&hub.db, who.organisation_id, id).await?.into())
}

pub async fn update(hub: &Hub, who: &Principal, id: Uuid, changes: ConnectionChanges) -> Result<Connection> {
    who.require_admin()?;
    let current = find(&hub.db, who.organisation_id, id).await?;
    let mut problems = Problems::default();
    let name = changes
        .name
        .as_deref()
        .and_then(|n| problems.check(validate::name("name", n, 200)));
    if let Some(settings) = &changes.settings
        && check_object(&mut problems, "settings", settings)
        && let Err(errors) = connector(hub, &current.connector)?.validate_settings(settings)
    {
        problems.extend(nest(errors, "settings"));
    }
    problems.finish()?;
    let settings_changed = changes.settings.as_ref().is_some_and(|s| *s != current.settings);
    let moved = changes
        .settings
        .as_ref()
        .map(|s| origins::moved(&current.settings, s))
        .unwrap_or_default();
    let dropped = !moved.is_empty() && current.credentials.is_some();
    let (organisation_id, connection_name) = (current.organisation_id, current.name.clone());
    let mut model: connection::ActiveModel = current.into();
    if let Some(name) = &name {
        model.name = Set(name.clone());
    }
    if let Some(settings) = changes.settings {
        model.settings = Set(settings);
    }
    if settings_changed {
        mark_unverified(&mut model);
    }
    let notice = dropped.then(|| {
        let names: Vec<&str> = moved.iter().map(|m| m.setting.as_str()).collect();
        format!(
            "the stored credentials were removed because {} now points to another host; enter them again",
            names.join(" and ")
        )
    });
    if let Some(notice) = &notice {
        model.credentials = Set(None);
        model.last_error = Set(Some(notice.clone()));
    }
    model.updated_at = Set(Utc::now());
    let txn = crate::database::begin_write(&hub.db).await?;
    let updated = model
        .update(&txn)
        .await
        .map_err(|e| name_taken(e, name.as_deref().unwrap_or_default()))?;
    if let Some(notice) = notice {
        let hosts: Vec<Value> = moved
            .iter()
            .map(|m| serde_json::json!({"setting": m.setting, "from": m.from, "to": m.to}))
            .collect();
        crate::logs::write(
            &txn,
            crate::logs::NewLogEntry {
                organisation_id,
                level: crate::logs::LogLevel::Warning,
                message: format!("connection `{connection_name}`: {notice}"),
                details: Some(serde_json::json!({
                    "connection_id": id, "moved": hosts,
                    "changed_by_user_id": who.user_id, "changed_by_api_key_id": who.api_key_id,
                })),
                integration_id: None,
                run_id: None,
                source_id: None,
            },
        )
        .await?;
    }
    txn.commit().await?;
    Ok(updated.into())
}

/// What was verified with the old settings or credentials says nothing about the new ones.
fn mark_unverified(model: &mut connection::ActiveModel) {
    model.status = Set(ConnectionStatus::Disconnected);
    model.last_error = Set(None);
    model.checked_at = Set(None);
}

pub async fn replace_credentials(
    hub: &Hub,
    who: &Principal,
    id: Uuid,
    input: CredentialsReplacement,
) -> Result<Connection> {
    who.require_admin()?;
    let current = find(&hub.db, who.organisation_id, id).await?;
    let mut problems = Problems::default();
    if check_object(&mut problems, "credentials", &input.credentials)
        && let Err(errors) = connector(hub, &current.connector)?.validate_credentials(&input.credentials)
    {
        problems.extend(nest_secret(errors));
    }
    problems.finish()?;
    let mut model: connection::ActiveModel = current.into();
    model.credentials = Set(Some(seal(hub, id, &input.credentials)));
    mark_unverified(&mut model);
    model.updated_at = Set(Utc::now());
    Ok(model.update(&hub.db).await?.into())
}

pub async fn delete(hub: &Hub, who: &Principal, id: Uuid) -> Result<()> {
    who.require_admin()?;
    let current = find(&hub.db, who.organisation_id, id).await?;
    let users = integration::Entity::find()
        .filter(integration::Column::OrganisationId.eq(who.organisation_id))
        .filter(
            Condition::any()
                .add(integration::Column::SourceConnectionId.eq(id))
                .add(integration::Column::TargetConnectionId.eq(id)),
        )
        .all(&hub.db)
        .await?;
    if let Some(enabled) = users.iter().find(|i| i.state.is_enabled()) {
        return Err(DomainError::conflict(
            "connection_in_use",
            format!(
                "connection `{}` is used by integration `{}`, which is {}; disable the integration first",
                current.name,
                enabled.name,
                enabled.state.as_str()
            ),
        ));
    }
    if let Some(inactive) = users.first() {
        return Err(DomainError::conflict(
            "connection_in_use",
            format!(
                "connection `{}` is used by integration `{}`; delete that integration or point it at another connection first",
                current.name, inactive.name
            ),
        ));
    }
    connection::Entity::delete_by_id(id).exec(&hub.db).await?;
    Ok(())
}

/// Stores credentials a connector changed mid-work (a refreshed token) back into the connection, sealed.
struct StoredCredentials {
    hub: Hub,
    connection_id: Uuid,
}

#[async_trait::async_trait]
impl CredentialSink for StoredCredentials {
    async fn store(&self, credentials: Value) -> std::result::Result<(), ConnectorError> {
        let sealed = seal(&self.hub, self.connection_id, &credentials);
        connection::Entity::update_many()
            .col_expr(connection::Column::Credentials, sea_orm::sea_query::Expr::value(sealed))
            .col_expr(
                connection::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(Utc::now()),
            )
            .filter(connection::Column::Id.eq(self.connection_id))
            .exec(&self.hub.db)
            .await
            .map(drop)
            .map_err(|e| ConnectorError::retryable(format!("storing refreshed credentials: {e}")))
    }
}

/// Everything a connector needs to act for this connection; fails when no credentials are stored.
pub fn context(hub: &Hub, model: &connection::Model) -> Result<Option<ConnectionContext>> {
    Ok(open_credentials(hub, model)?.map(|credentials| ConnectionContext {
        id: model.id,
        settings: model.settings.clone(),
        credentials,
        sink: Arc::new(StoredCredentials {
            hub: hub.clone(),
            connection_id: model.id,
        }),
    }))
}

/// Makes the connector's cheap real call and records the outcome as the connection's status.
pub async fn test(hub: &Hub, who: &Principal, id: Uuid) -> Result<Connection> {
    who.require_admin()?;
    test_model(hub, find(&hub.db, who.organisation_id, id).await?).await
}

async fn test_model(hub: &Hub, current: connection::Model) -> Result<Connection> {
    let outcome = match context(hub, &current)? {
        None => Err("no credentials are stored for this connection".to_owned()),
        Some(ctx) => connector(hub, &current.connector)?
            .test(&ctx)
            .await
            .map_err(|e| e.to_string()),
    };
    // Re-read: the test may have refreshed and stored credentials meanwhile.
    let current = find(&hub.db, current.organisation_id, current.id).await?;
    record(hub, current, outcome).await
}

/// Stores the outcome of using a connection as its status.
async fn record(hub: &Hub, current: connection::Model, outcome: std::result::Result<(), String>) -> Result<Connection> {
    if let Err(reason) = &outcome {
        tracing::warn!(connection_id = %current.id, connector = %current.connector, %reason, "connection check failed");
    }
    let mut model: connection::ActiveModel = current.into();
    match outcome {
        Ok(()) => {
            model.status = Set(ConnectionStatus::Connected);
            model.last_error = Set(None);
        }
        Err(reason) => {
            model.status = Set(ConnectionStatus::Error);
            model.last_error = Set(Some(reason));
        }
    }
    model.checked_at = Set(Some(Utc::now()));
    Ok(model.update(&hub.db).await?.into())
}

/// How long a started connect flow may take before its state is refused.
const CONNECT_WINDOW: chrono::Duration = chrono::Duration::minutes(15);

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectRequest {
    /// A path of the web app to return to when the provider sends the browser back (default: the connection's page).
    #[schema(example = "/connections")]
    pub return_to: Option<String>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ConnectStart {
    /// Send the browser here; the provider redirects back to the hub's `/api/v1/oauth/callback`.
    pub authorize_url: String,
}

/// Starts the OAuth connect flow: answers the provider's authorize URL and remembers the state and PKCE verifier.
pub async fn connect(
    hub: &Hub,
    who: &Principal,
    id: Uuid,
    input: ConnectRequest,
    redirect_uri: &str,
) -> Result<ConnectStart> {
    who.require_admin()?;
    let current = find(&hub.db, who.organisation_id, id).await?;
    if let Some(path) = &input.return_to
        && (!path.starts_with('/')
            || path.starts_with("//")
            || path.chars().any(|c| c == '\\' || c == '#' || c.is_control()))
    {
        // Only paths of this hub: anything else would make the callback an open redirect.
        return Err(DomainError::invalid(
            "return_to",
            "must be a path of this hub, starting with a single /, without a fragment",
        ));
    }
    let connector = connector(hub, &current.connector)?;
    let Some(flow) = connector.oauth() else {
        return Err(DomainError::conflict(
            "not_oauth",
            format!(
                "{} connections do not connect through OAuth; store credentials and test instead",
                current.connector
            ),
        ));
    };
    let Some(credentials) = open_credentials(hub, &current)? else {
        return Err(DomainError::conflict(
            "credentials_missing",
            "store the OAuth app's client id and secret as credentials before connecting",
        ));
    };
    let request = flow
        .authorize(&current.settings, &credentials, redirect_uri)
        .map_err(|e| DomainError::conflict("oauth_unavailable", e.to_string()))?;
    let state_hash = crate::secrets::token_hash(&request.state);
    let now = Utc::now();
    oauth_state::ActiveModel {
        state_hash: Set(state_hash.clone()),
        connection_id: Set(current.id),
        organisation_id: Set(current.organisation_id),
        verifier: Set(hub.keys.seal(request.verifier.as_bytes(), state_hash.as_bytes())),
        return_to: Set(input.return_to),
        expires_at: Set(now + CONNECT_WINDOW),
        created_at: Set(now),
    }
    .insert(&hub.db)
    .await?;
    // Flows abandoned in the browser leave states behind; clear the expired ones as new flows start.
    oauth_state::Entity::delete_many()
        .filter(oauth_state::Column::ExpiresAt.lt(now))
        .exec(&hub.db)
        .await?;
    Ok(ConnectStart {
        authorize_url: request.url,
    })
}

/// Where the browser goes after the callback, and what happened.
#[derive(Debug, Clone)]
pub struct ConnectOutcome {
    pub connection: Connection,
    pub return_to: String,
}

/// Finishes the connect flow the provider sent the browser back from: exchanges the code, stores the tokens, and
/// tests the connection. A refused or failed authorisation leaves the connection in `error` with the reason.
pub async fn finish_connect(
    hub: &Hub,
    state: &str,
    code: Option<&str>,
    provider_error: Option<&str>,
    redirect_uri: &str,
) -> Result<ConnectOutcome> {
    let state_hash = crate::secrets::token_hash(state);
    let pending = oauth_state::Entity::find_by_id(state_hash.clone())
        .one(&hub.db)
        .await?
        .ok_or_else(|| DomainError::invalid("state", "unknown or already used; start connecting again"))?;
    // One use only, whatever happens next.
    oauth_state::Entity::delete_by_id(state_hash.clone())
        .exec(&hub.db)
        .await?;
    if pending.expires_at <= Utc::now() {
        return Err(DomainError::invalid("state", "expired; start connecting again"));
    }
    let current = find(&hub.db, pending.organisation_id, pending.connection_id).await?;
    let return_to = pending
        .return_to
        .clone()
        .unwrap_or_else(|| format!("/connections/{}", current.id));
    let outcome = async {
        if let Some(error) = provider_error {
            return Err(format!("the provider refused the authorisation: {error}"));
        }
        let code = code.ok_or("the provider sent no authorisation code")?;
        let verifier = hub
            .keys
            .open(&pending.verifier, state_hash.as_bytes())
            .map_err(|e| e.to_string())?;
        let verifier = String::from_utf8(verifier).map_err(|e| e.to_string())?;
        let credentials = open_credentials(hub, &current)
            .map_err(|e| e.to_string())?
            .unwrap_or(Value::Null);
        let connector = connector(hub, &current.connector).map_err(|e| format!("{e:?}"))?;
        let flow = connector.oauth().ok_or("this connector does not use OAuth")?;
        flow.exchange(&current.settings, &credentials, redirect_uri, code, &verifier)
            .await
            .map_err(|e| e.to_string())
    }
    .await;
    let connection = match outcome {
        Ok(credentials) => {
            let mut model: connection::ActiveModel = current.clone().into();
            model.credentials = Set(Some(seal(hub, current.id, &credentials)));
            model.updated_at = Set(Utc::now());
            model.update(&hub.db).await?;
            test_model(
                hub,
                find(&hub.db, pending.organisation_id, pending.connection_id).await?,
            )
            .await?
        }
        Err(reason) => {
            tracing::warn!(connection_id = %current.id, %reason, "OAuth connect failed");
            record(hub, current, Err(reason)).await?
        }
    };
    Ok(ConnectOutcome { connection, return_to })
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ChoiceList {
    pub items: Vec<Choice>,
}

/// The values `setting` may take, as the system sees them through this connection.
pub async fn choices(hub: &Hub, who: &Principal, id: Uuid, setting: &str) -> Result<ChoiceList> {
    who.require_admin()?;
    let current = find(&hub.db, who.organisation_id, id).await?;
    let ctx = context(hub, &current)?.ok_or_else(|| {
        DomainError::conflict(
            "credentials_missing",
            "store credentials (or connect) before listing choices",
        )
    })?;
    match connector(hub, &current.connector)?.choices(&ctx, setting).await {
        Ok(Some(items)) => Ok(ChoiceList { items }),
        Ok(None) => Err(DomainError::NotFound("list of choices for this setting")),
        Err(e) => Err(DomainError::conflict(
            "connection_failed",
            format!("the system could not list them: {e}"),
        )),
    }
}

/// A connector refused the stored credentials while working (a run, a webhook): the connection goes to `error`
/// with the reason, as a failed test would put it, until someone reconnects or fixes it.
pub async fn record_auth_failure(hub: &Hub, connection_id: Uuid, reason: &str) -> Result<()> {
    tracing::warn!(%connection_id, %reason, "connection lost its access");
    connection::Entity::update_many()
        .col_expr(
            connection::Column::Status,
            sea_orm::sea_query::Expr::value(ConnectionStatus::Error),
        )
        .col_expr(connection::Column::LastError, sea_orm::sea_query::Expr::value(reason))
        .col_expr(
            connection::Column::CheckedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(connection::Column::Id.eq(connection_id))
        .exec(&hub.db)
        .await?;
    Ok(())
}
