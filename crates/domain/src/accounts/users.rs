//! Users of an organisation and the admin operations on them.
use chrono::Utc;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::accounts::organisations::{self, Organisation};
use crate::accounts::roles::{Principal, Role};
use crate::database::is_unique_violation;
use crate::entities::user;
use crate::error::{DomainError, Problems, Result};
use crate::pagination::{self, Page, PageRequest};
use crate::{Hub, accounts::auth, validate};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(example = "Ada Lovelace")]
    pub name: String,
    pub role: Role,
    pub active: bool,
    pub created_at: chrono::DateTime<Utc>,
}

impl From<user::Model> for User {
    fn from(m: user::Model) -> Self {
        Self {
            id: m.id,
            email: m.email,
            name: m.name,
            role: m.role,
            active: m.active,
            created_at: m.created_at,
        }
    }
}

/// `GET /me`: the caller and their organisation.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub organisation: Organisation,
}

#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    #[schema(example = "grace@example.com")]
    pub email: String,
    /// Display name; defaults to the part of the email before `@`.
    #[schema(example = "Grace Hopper")]
    pub name: Option<String>,
    /// At least 10 characters.
    #[schema(example = "a long passphrase", min_length = 10, max_length = 256)]
    pub password: String,
    pub role: Role,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChanges {
    pub name: Option<String>,
    pub role: Option<Role>,
    /// `false` deactivates the user: sign-ins, refresh tokens and their API keys stop working at once.
    pub active: Option<bool>,
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 256)]
    pub password: Option<String>,
}

pub async fn me(hub: &Hub, who: &Principal) -> Result<Me> {
    let user = find(hub, who.organisation_id, who.user_id).await?;
    Ok(Me {
        id: user.id,
        email: user.email,
        name: user.name,
        role: who.role,
        organisation: organisations::get(hub, who.organisation_id).await?,
    })
}

/// Used by the CLI, where the operator is trusted, and by admins through the API.
pub async fn create_in(hub: &Hub, organisation_id: Uuid, input: NewUser) -> Result<User> {
    let mut problems = Problems::default();
    let email = problems.check(validate::email("email", &input.email));
    let name = match input.name.as_deref() {
        Some(name) => problems.check(validate::name("name", name, 200)),
        None => email.as_deref().map(|e| e.split('@').next().unwrap_or(e).to_owned()),
    };
    problems.check(validate::password("password", &input.password));
    problems.finish()?;
    let (email, name) = (email.expect("checked"), name.expect("checked"));
    let now = Utc::now();
    let model = user::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(organisation_id),
        email: Set(email.clone()),
        name: Set(name),
        role: Set(input.role),
        active: Set(true),
        password_hash: Set(auth::hash_password(&input.password).await?),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&hub.db)
    .await;
    match model {
        Ok(model) => Ok(model.into()),
        Err(e) if is_unique_violation(&e) => Err(email_conflict(hub, organisation_id, &email).await),
        Err(e) => Err(e.into()),
    }
}

/// Emails sign people in, so one belongs to one user across the hub. An admin may learn that it is already one of
/// their own organisation's users; that it belongs to someone in another organisation is not theirs to learn, so
/// that answer says only that the address cannot be used.
async fn email_conflict(hub: &Hub, organisation_id: Uuid, email: &str) -> DomainError {
    let ours = user::Entity::find()
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .filter(user::Column::Email.eq(email))
        .count(&hub.db)
        .await;
    match ours {
        Ok(n) if n > 0 => DomainError::conflict(
            "email_taken",
            format!("`{email}` is already a user of this organisation"),
        ),
        _ => DomainError::conflict(
            "email_unavailable",
            "this email address cannot be used for a new user; use another address",
        ),
    }
}

pub async fn create(hub: &Hub, who: &Principal, input: NewUser) -> Result<User> {
    who.require_admin()?;
    create_in(hub, who.organisation_id, input).await
}

pub async fn list(hub: &Hub, who: &Principal, page: &PageRequest) -> Result<Page<User>> {
    who.require_admin()?;
    let select = user::Entity::find().filter(user::Column::OrganisationId.eq(who.organisation_id));
    Ok(
        pagination::fetch(&hub.db, select, user::Column::Id, page.parse()?, |m| m.id)
            .await?
            .map(Into::into),
    )
}

pub async fn get(hub: &Hub, who: &Principal, id: Uuid) -> Result<User> {
    // Anyone may read their own account; only admins read others'.
    if id != who.user_id {
        who.require_admin()?;
    }
    Ok(find(hub, who.organisation_id, id).await?.into())
}

async fn find(hub: &Hub, organisation_id: Uuid, id: Uuid) -> Result<user::Model> {
    user::Entity::find_by_id(id)
        .filter(user::Column::OrganisationId.eq(organisation_id))
        .one(&hub.db)
        .await?
        .ok_or(DomainError::NotFound("user"))
}

pub async fn update(hub: &Hub, who: &Principal, id: Uuid, changes: UserChanges) -> Result<User> {
    who.require_admin()?;
    let mut problems = Problems::default();
    let name = changes
        .name
        .as_deref()
        .and_then(|n| problems.check(validate::name("name", n, 200)));
    if let Some(password) = &changes.password {
        problems.check(validate::password("password", password));
    }
    problems.finish()?;
    let password_hash = match &changes.password {
        Some(p) => Some(auth::hash_password(p).await?),
        None => None,
    };

    let txn = crate::database::begin_write(&hub.db).await?;
    let current = user::Entity::find_by_id(id)
        .filter(user::Column::OrganisationId.eq(who.organisation_id))
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound("user"))?;
    let loses_admin = current.role == Role::Admin
        && current.active
        && (changes.role.is_some_and(|r| r != Role::Admin) || changes.active == Some(false));
    if loses_admin {
        let admins = user::Entity::find()
            .filter(user::Column::OrganisationId.eq(who.organisation_id))
            .filter(user::Column::Role.eq(Role::Admin))
            .filter(user::Column::Active.eq(true))
            .count(&txn)
            .await?;
        if admins <= 1 {
            return Err(DomainError::conflict(
                "last_admin",
                "the organisation must keep at least one active admin; make another user admin first",
            ));
        }
    }
    let deactivating = current.active && changes.active == Some(false);
    let mut model: user::ActiveModel = current.into();
    if let Some(name) = name {
        model.name = Set(name);
    }
    if let Some(role) = changes.role {
        model.role = Set(role);
    }
    if let Some(active) = changes.active {
        model.active = Set(active);
    }
    if let Some(hash) = password_hash {
        model.password_hash = Set(hash);
    }
    model.updated_at = Set(Utc::now());
    let updated = model.update(&txn).await?;
    if deactivating || changes.password.is_some() {
        auth::revoke_all_for_user(&txn, id).await?;
    }
    if loses_admin || deactivating || changes.password.is_some() {
        crate::accounts::api_keys::revoke_all_of_creator(&txn, id).await?;
    }
    txn.commit().await?;
    Ok(updated.into())
}
