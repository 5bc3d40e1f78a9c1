use actix_web::{HttpResponse, get, post, web};
use ihub_domain::Hub;
use ihub_domain::accounts::api_keys::{self, ApiKey, CreatedApiKey, NewApiKey};
use ihub_domain::pagination::{Page, PageRequest};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{Admin, AdminJson};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_api_keys)
        .service(create_api_key)
        .service(revoke_api_key);
}

/// API keys of the organisation, revoked ones included (admins only). Secrets are never listed.
#[utoipa::path(tag = "api-keys", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, description = "A page of keys", body = Page<ApiKey>)))]
#[get("/api-keys")]
async fn list_api_keys(
    hub: web::Data<Hub>,
    Admin(who): Admin,
    page: web::Query<PageRequest>,
) -> ApiResult<web::Json<Page<ApiKey>>> {
    Ok(web::Json(api_keys::list(&hub, &who, &page).await?))
}

/// Create an API key for scripts (admins only). The answer holds the secret; it is never shown again.
#[utoipa::path(tag = "api-keys", security(("bearer" = [])), request_body = NewApiKey,
    responses((status = 201, description = "Created; `secret` is shown this once", body = CreatedApiKey)))]
#[post("/api-keys")]
async fn create_api_key(hub: web::Data<Hub>, AdminJson(who, body): AdminJson<NewApiKey>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(api_keys::create(&hub, &who, body).await?))
}

/// Revoke an API key (admins only). It stops working at once; revoking again changes nothing.
#[utoipa::path(tag = "api-keys", security(("bearer" = [])), params(("id" = Uuid, Path, description = "API key id")),
    responses((status = 200, description = "Revoked", body = ApiKey)))]
#[post("/api-keys/{id}/revoke")]
async fn revoke_api_key(hub: web::Data<Hub>, Admin(who): Admin, id: web::Path<Uuid>) -> ApiResult<web::Json<ApiKey>> {
    Ok(web::Json(api_keys::revoke(&hub, &who, *id).await?))
}
