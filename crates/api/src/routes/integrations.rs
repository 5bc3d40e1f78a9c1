use actix_web::{HttpResponse, delete, get, patch, post, web};
use ihub_domain::Hub;
use ihub_domain::inbound::webhooks::{self, Registration};
use ihub_domain::integrations::{self, Integration, IntegrationChanges, NewIntegration};
use ihub_domain::pagination::{Page, PageRequest};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{Admin, AdminJson, Auth};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_integrations)
        .service(create_integration)
        .service(get_integration)
        .service(update_integration)
        .service(delete_integration)
        .service(enable_integration)
        .service(disable_integration)
        .service(rotate_webhook_token)
        .service(register_webhook);
}

#[utoipa::path(tag = "integrations", security(("bearer" = [])), params(PageRequest),
    responses((status = 200, description = "A page of integrations", body = Page<Integration>)))]
#[get("/integrations")]
async fn list_integrations(
    hub: web::Data<Hub>,
    Auth(who): Auth,
    page: web::Query<PageRequest>,
) -> ApiResult<web::Json<Page<Integration>>> {
    Ok(web::Json(integrations::list(&hub, &who, &page).await?))
}

/// Create an integration between a source and a target connection (admins only). It starts `inactive`.
#[utoipa::path(tag = "integrations", security(("bearer" = [])), request_body = NewIntegration,
    responses(
        (status = 201, description = "Created", body = Integration),
        (status = 409, description = "The name is taken", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/integrations")]
async fn create_integration(
    hub: web::Data<Hub>,
    AdminJson(who, body): AdminJson<NewIntegration>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(integrations::create(&hub, &who, body).await?))
}

#[utoipa::path(tag = "integrations", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Integration id")),
    responses((status = 200, description = "The integration", body = Integration)))]
#[get("/integrations/{id}")]
async fn get_integration(
    hub: web::Data<Hub>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Integration>> {
    Ok(web::Json(integrations::get(&hub, &who, *id).await?))
}

/// Change name, settings, or (while inactive) connections (admins only).
#[utoipa::path(tag = "integrations", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Integration id")),
    request_body = IntegrationChanges,
    responses(
        (status = 200, description = "Updated", body = Integration),
        (status = 409, description = "Connections of an enabled integration cannot change, or the name is taken", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[patch("/integrations/{id}")]
async fn update_integration(
    hub: web::Data<Hub>,
    id: web::Path<Uuid>,
    AdminJson(who, body): AdminJson<IntegrationChanges>,
) -> ApiResult<web::Json<Integration>> {
    Ok(web::Json(integrations::update(&hub, &who, *id, body).await?))
}

/// Delete an integration (admins only); refused while it is enabled.
#[utoipa::path(tag = "integrations", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Integration id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 409, description = "The integration is enabled; disable it first", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[delete("/integrations/{id}")]
async fn delete_integration(hub: web::Data<Hub>, Admin(who): Admin, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    integrations::delete(&hub, &who, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Enable (admins only): `active` on a production instance, `test` (dry runs) on staging. Both connections must
/// be connected.
#[utoipa::path(tag = "integrations", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Integration id")),
    responses(
        (status = 200, description = "The integration in its new state", body = Integration),
        (status = 409, description = "A connection is not connected", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/integrations/{id}/enable")]
async fn enable_integration(
    hub: web::Data<Hub>,
    Admin(who): Admin,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Integration>> {
    Ok(web::Json(integrations::enable(&hub, &who, *id).await?))
}

/// Disable (admins only): the integration returns to `inactive`.
#[utoipa::path(tag = "integrations", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Integration id")),
    responses((status = 200, description = "The integration, now inactive", body = Integration)))]
#[post("/integrations/{id}/disable")]
async fn disable_integration(
    hub: web::Data<Hub>,
    Admin(who): Admin,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Integration>> {
    Ok(web::Json(integrations::disable(&hub, &who, *id).await?))
}

/// Replace the integration's webhook token (admins only): the old URL stops working.
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Integration id")),
    responses((status = 200, description = "The integration with its new `webhook_url`", body = Integration)))]
#[post("/integrations/{id}/webhooks/rotate-token")]
async fn rotate_webhook_token(
    hub: web::Data<Hub>,
    Admin(who): Admin,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Integration>> {
    Ok(web::Json(webhooks::rotate(&hub, &who, *id).await?))
}

/// Register the integration's webhook URL with its source where the source's API allows it; otherwise answer the
/// URL and events for the source's admin to enter by hand (admins only).
#[utoipa::path(tag = "webhooks", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Integration id")),
    responses(
        (status = 200, description = "Registered, or what to enter by hand", body = Registration),
        (status = 409, description = "The source refused or cannot take webhooks", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/integrations/{id}/webhooks/register")]
async fn register_webhook(
    hub: web::Data<Hub>,
    Admin(who): Admin,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<Registration>> {
    Ok(web::Json(webhooks::register(&hub, &who, *id).await?))
}
