//! Sign-in, access tokens (JWT, HS256 pinned), rotating refresh tokens, and resolving a bearer credential into a
//! principal.
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::Utc;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::Hub;
use crate::accounts::api_keys;
use crate::accounts::roles::{Principal, Role};
use crate::entities::{refresh_token, user};
use crate::error::{DomainError, Result};
use crate::secrets::{fill_random, random_token, token_hash};

const ISSUER: &str = "integration-hub";
const AUDIENCE: &str = "integration-hub-api";

#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
}

impl Default for TokenSettings {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub org: Uuid,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenPair {
    /// Short-lived JWT for the `Authorization: Bearer` header.
    pub access_token: String,
    /// Opaque; exchange at `/auth/refresh` for a new pair. Each refresh token works once.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: u64,
}

pub async fn hash_password(password: &str) -> Result<String> {
    let password = password.to_owned();
    // Argon2 is deliberately slow; keep it off the async executor.
    tokio::task::spawn_blocking(move || {
        let mut salt = [0u8; 16];
        fill_random(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(|e| DomainError::Internal(e.to_string()))?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| DomainError::Internal(e.to_string()))
    })
    .await
    .map_err(|e| DomainError::Internal(e.to_string()))?
}

async fn verify_password(password: &str, hash: &str) -> bool {
    let (password, hash) = (password.to_owned(), hash.to_owned());
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .is_ok_and(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
    })
    .await
    .unwrap_or(false)
}

/// Verified against when the email is unknown, so a wrong email costs as long as a wrong password.
const DECOY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$tQKvu8QPCyVPrHbWkT2Ie+MGB8mA5Lc0GoC6/RQ4Hrw";

pub async fn login(hub: &Hub, email: &str, password: &str) -> Result<TokenPair> {
    let email = email.trim().to_lowercase();
    let found = user::Entity::find()
        .filter(user::Column::Email.eq(&email))
        .one(&hub.db)
        .await?;
    let Some(user) = found else {
        verify_password(password, DECOY_HASH).await;
        return Err(DomainError::Unauthenticated("email or password is wrong"));
    };
    if !verify_password(password, &user.password_hash).await {
        return Err(DomainError::Unauthenticated("email or password is wrong"));
    }
    if !user.active {
        return Err(DomainError::Unauthenticated("this account is deactivated"));
    }
    issue_pair(hub, &user, Uuid::now_v7()).await
}

async fn issue_pair(hub: &Hub, user: &user::Model, family_id: Uuid) -> Result<TokenPair> {
    let now = Utc::now();
    let refresh = random_token(32);
    refresh_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user.id),
        family_id: Set(family_id),
        token_hash: Set(token_hash(&refresh)),
        expires_at: Set(now + hub.tokens.refresh_ttl),
        revoked_at: Set(None),
        created_at: Set(now),
    }
    .insert(&hub.db)
    .await?;
    Ok(TokenPair {
        access_token: issue_access_token(hub, user.id, user.organisation_id, user.role, now.timestamp())?,
        refresh_token: refresh,
        token_type: "Bearer",
        expires_in: hub.tokens.access_ttl.as_secs(),
    })
}

/// `issued_at` is a parameter so tests can mint tokens that have already expired.
pub fn issue_access_token(
    hub: &Hub,
    user_id: Uuid,
    organisation_id: Uuid,
    role: Role,
    issued_at: i64,
) -> Result<String> {
    let claims = Claims {
        sub: user_id,
        org: organisation_id,
        role,
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        iat: issued_at,
        exp: issued_at + hub.tokens.access_ttl.as_secs() as i64,
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(hub.keys.jwt_key()),
    )
    .map_err(|e| DomainError::Internal(e.to_string()))
}

/// Exchanges a refresh token for a new pair. A token is good once: presenting a spent one means it leaked, so
/// the whole family from that sign-in is revoked.
pub async fn refresh(hub: &Hub, presented: &str) -> Result<TokenPair> {
    let invalid = DomainError::Unauthenticated("refresh token is invalid or expired");
    let txn = crate::database::begin_write(&hub.db).await?;
    let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash(presented)))
        .one(&txn)
        .await?
    else {
        return Err(invalid);
    };
    let now = Utc::now();
    if token.revoked_at.is_some() {
        revoke_family(&txn, token.family_id).await?;
        txn.commit().await?;
        return Err(invalid);
    }
    if token.expires_at <= now {
        return Err(invalid);
    }
    // Only one of two concurrent refreshes with the same token may win.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::RevokedAt, sea_orm::sea_query::Expr::value(now))
        .filter(refresh_token::Column::Id.eq(token.id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(invalid);
    }
    txn.commit().await?;
    let user = user::Entity::find_by_id(token.user_id).one(&hub.db).await?;
    match user {
        Some(user) if user.active => issue_pair(hub, &user, token.family_id).await,
        _ => Err(invalid),
    }
}

async fn revoke_family(db: &impl sea_orm::ConnectionTrait, family_id: Uuid) -> Result<()> {
    refresh_token::Entity::update_many()
        .col_expr(
            refresh_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(refresh_token::Column::FamilyId.eq(family_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends the sign-in the refresh token belongs to. Unknown tokens are ignored so logout never reveals anything.
pub async fn logout(hub: &Hub, presented: &str) -> Result<()> {
    if let Some(token) = refresh_token::Entity::find()
        .filter(refresh_token::Column::TokenHash.eq(token_hash(presented)))
        .one(&hub.db)
        .await?
    {
        revoke_family(&hub.db, token.family_id).await?;
    }
    Ok(())
}

pub async fn revoke_all_for_user(db: &impl sea_orm::ConnectionTrait, user_id: Uuid) -> Result<()> {
    refresh_token::Entity::update_many()
        .col_expr(
            refresh_token::Column::RevokedAt,
            sea_orm::sea_query::Expr::value(Utc::now()),
        )
        .filter(refresh_token::Column::UserId.eq(user_id))
        .filter(refresh_token::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Resolves an `Authorization: Bearer` value: an API key (recognised by its prefix) or an access token. The
/// user behind either must still be active, so deactivation takes effect at once.
pub async fn authenticate(hub: &Hub, bearer: &str) -> Result<Principal> {
    if bearer.starts_with(api_keys::KEY_PREFIX) {
        return api_keys::authenticate(hub, bearer).await;
    }
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 5;
    let claims = jsonwebtoken::decode::<Claims>(bearer, &DecodingKey::from_secret(hub.keys.jwt_key()), &validation)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                DomainError::Unauthenticated("access token has expired")
            }
            _ => DomainError::Unauthenticated("access token is invalid"),
        })?
        .claims;
    let user = user::Entity::find_by_id(claims.sub).one(&hub.db).await?;
    match user {
        Some(user) if user.active && user.organisation_id == claims.org => Ok(Principal {
            organisation_id: user.organisation_id,
            user_id: user.id,
            // The stored role wins over the token's, so a demotion applies before the token expires.
            role: user.role,
            api_key_id: None,
        }),
        _ => Err(DomainError::Unauthenticated("access token is invalid")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn passwords_hash_with_argon2id_and_verify() {
        let hash = hash_password("correct horse battery").await.unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash).await);
        assert!(!verify_password("wrong horse battery", &hash).await);
        assert!(PasswordHash::new(DECOY_HASH).is_ok());
    }
}
