//! API keys for scripts: shown once, stored hashed, revocable, acting with a role inside one organisation.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::accounts::roles::{Principal, Role};
use crate::entities::{api_key, user};
use crate::error::{DomainError, Result};
use crate::pagination::{self, Page, PageRequest};
use crate::secrets::{random_token, token_hash};
use crate::{Hub, validate};

/// Keys are recognisable (for secret scanners and for the bearer parser) by this prefix.
pub const KEY_PREFIX: &str = "ihub_";
const SHOWN_PREFIX_CHARS: usize = 12;

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ApiKey {
    pub id: Uuid,
    #[schema(example = "nightly export script")]
    pub name: String,
    pub role: Role,
    /// The first characters of the key, to tell keys apart.
    #[schema(example = "ihub_Xk3v9Q")]
    pub prefix: String,
    pub created_by: Uuid,
    pub created_at: chrono::DateTime<Utc>,
    pub last_used_at: Option<chrono::DateTime<Utc>>,
    pub revoked_at: Option<chrono::DateTime<Utc>>,
    /// After this the key is refused; never when null.
    pub expires_at: Option<chrono::DateTime<Utc>>,
}

impl From<api_key::Model> for ApiKey {
    fn from(m: api_key::Model) -> Self {
        Self {
            id: m.id,
            name: m.name,
            role: m.role,
            prefix: m.prefix,
            created_by: m.created_by,
            created_at: m.created_at,
            last_used_at: m.last_used_at,
            revoked_at: m.revoked_at,
            expires_at: m.expires_at,
        }
    }
}

/// The answer to creating a key: the only time the secret is shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub key: ApiKey,
    /// The key itself. Store it now: it cannot be shown again.
    pub secret: String,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewApiKey {
    #[schema(example = "nightly export script")]
    pub name: String,
    /// The role the key acts with; defaults to `support`, the least privilege. A key never acts with more than its
    /// creator's current role, and is revoked when its creator is demoted or their password is reset.
    pub role: Option<Role>,
    /// When the key stops working (in the future); it works until revoked when not given.
    pub expires_at: Option<chrono::DateTime<Utc>>,
}

pub async fn create(hub: &Hub, who: &Principal, input: NewApiKey) -> Result<CreatedApiKey> {
    who.require_admin()?;
    let name = validate::name("name", &input.name, 200)?;
    let now = Utc::now();
    if input.expires_at.is_some_and(|at| at <= now) {
        return Err(DomainError::invalid("expires_at", "must be in the future"));
    }
    let secret = format!("{KEY_PREFIX}{}", random_token(32));
    let model = api_key::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(who.organisation_id),
        created_by: Set(who.user_id),
        name: Set(name),
        role: Set(input.role.unwrap_or(Role::Support)),
        prefix: Set(secret[..SHOWN_PREFIX_CHARS].to_owned()),
        key_hash: Set(token_hash(&secret)),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
        expires_at: Set(input.expires_at),
    }
    .insert(&hub.db)
    .await?;
    Ok(CreatedApiKey {
        key: model.into(),
        secret,
    })
}

pub async fn list(hub: &Hub, who: &Principal, page: &PageRequest) -> Result<Page<ApiKey>> {
    who.require_admin()?;
    let select = api_key::Entity::find().filter(api_key::Column::OrganisationId.eq(who.organisation_id));
    Ok(
        pagination::fetch(&hub.db, select, api_key::Column::Id, page.parse()?, |m| m.id)
            .await?
            .map(Into::into),
    )
}

/// Revoking twice is harmless and keeps the first revocation time.
pub async fn revoke(hub: &Hub, who: &Principal, id: Uuid) -> Result<ApiKey> {
    who.require_admin()?;
    let key = api_key::Entity::find_by_id(id)
        .filter(api_key::Column::OrganisationId.eq(who.organisation_id))
        .one(&hub.db)
        .await?
        .ok_or(DomainError::NotFound("API key"))?;
    if key.revoked_at.is_some() {
        return Ok(key.into());
    }
    let mut model: api_key::ActiveModel = key.into();
    model.revoked_at = Set(Some(Utc::now()));
    Ok(model.update(&hub.db).await?.into())
}

pub(crate) async fn authenticate(hub: &Hub, presented: &str) -> Result<Principal> {
    let invalid = || DomainError::Unauthenticated("API key is invalid or revoked");
    let key = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(token_hash(presented)))
        .one(&hub.db)
        .await?
        .ok_or_else(invalid)?;
    if key.revoked_at.is_some() || key.expires_at.is_some_and(|at| at <= Utc::now()) {
        return Err(invalid());
    }
    let creator = user::Entity::find_by_id(key.created_by)
        .one(&hub.db)
        .await?
        .filter(|u| u.active)
        .ok_or_else(invalid)?;
    // Never more than the creator may do today (their keys are revoked when they are demoted; this holds even for
    // a key that escaped that).
    let role = match (key.role, creator.role) {
        (Role::Admin, Role::Admin) => Role::Admin,
        _ => Role::Support,
    };
    // The last-used time is for people ("is this key still in use?"): minute precision is plenty, and a busy
    // script must not turn every read into a database write. Best effort: a lost update fails no request.
    let now = Utc::now();
    if key
        .last_used_at
        .is_none_or(|at| now - at > chrono::Duration::minutes(1))
    {
        let _ = api_key::Entity::update_many()
            .col_expr(api_key::Column::LastUsedAt, sea_orm::sea_query::Expr::value(now))
            .filter(api_key::Column::Id.eq(key.id))
            .exec(&hub.db)
            .await;
    }
    Ok(Principal {
        organisation_id: key.organisation_id,
        user_id: key.created_by,
        role,
        api_key_id: Some(key.id),
    })
}

/// Revokes every live key a user created: their role was lowered or their password reset, so what they handed to
/// scripts is no longer vouched for.
pub(crate) async fn revoke_all_of_creator(db: &impl sea_orm::ConnectionTrait, user_id: Uuid) -> Result<u64> {
    let revoked = api_key::Entity::update_many()
        .col_expr(api_key::Column::RevokedAt, sea_orm::sea_query::Expr::value(Utc::now()))
        .filter(api_key::Column::CreatedBy.eq(user_id))
        .filter(api_key::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(revoked.rows_affected)
}
