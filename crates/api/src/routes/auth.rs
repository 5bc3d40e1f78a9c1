use actix_web::{HttpRequest, HttpResponse, post, web};
use ihub_domain::Hub;
use ihub_domain::accounts::auth::{self, TokenPair};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiResult;
use crate::extract::ApiJson;
use crate::state::LoginLimiter;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(login).service(refresh).service(logout);
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "ada@example.com")]
    pub email: String,
    #[schema(example = "a long passphrase")]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Sign in with email and password.
///
/// Attempts are rate-limited per email and per client address.
#[utoipa::path(
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = TokenPair),
        (status = 401, description = "Email or password is wrong, or the account is deactivated", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many attempts", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/login")]
async fn login(
    hub: web::Data<Hub>,
    limiter: web::Data<LoginLimiter>,
    req: HttpRequest,
    body: ApiJson<LoginRequest>,
) -> ApiResult<web::Json<TokenPair>> {
    let ip = req.peer_addr().map(|a| a.ip());
    limiter.check(&body.0.email, ip)?;
    Ok(web::Json(auth::login(&hub, &body.0.email, &body.0.password).await?))
}

/// Exchange a refresh token for a new token pair. Each refresh token works once.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "New token pair", body = TokenPair),
        (status = 401, description = "Refresh token invalid, spent or expired", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/auth/refresh")]
async fn refresh(hub: web::Data<Hub>, body: ApiJson<RefreshRequest>) -> ApiResult<web::Json<TokenPair>> {
    Ok(web::Json(auth::refresh(&hub, &body.0.refresh_token).await?))
}

/// Sign out: the refresh token and every token rotated from the same sign-in stop working.
#[utoipa::path(
    tag = "auth",
    request_body = RefreshRequest,
    responses((status = 204, description = "Signed out"))
)]
#[post("/auth/logout")]
async fn logout(hub: web::Data<Hub>, body: ApiJson<RefreshRequest>) -> ApiResult<HttpResponse> {
    auth::logout(&hub, &body.0.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}
