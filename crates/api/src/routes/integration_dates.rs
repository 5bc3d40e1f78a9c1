use actix_web::{get, put, web};
use ihub_domain::Hub;
use ihub_domain::integrations::dates::{self, IntegrationDates, IntegrationDatesUpdate};
use serde_json::{Map, Value};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{AdminJson, Auth};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_integration_dates).service(update_integration_dates);
}

/// The integration's dates (watermarks of incremental reads), every known one, set or not.
#[utoipa::path(tag = "integrations", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Integration id")),
    responses((status = 200, description = "Every known date and the warning editors must see", body = IntegrationDates)))]
#[get("/integrations/{id}/dates")]
async fn get_integration_dates(
    hub: web::Data<Hub>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<IntegrationDates>> {
    Ok(web::Json(dates::list(&hub, &who, *id).await?))
}

/// Set or clear dates (admins only): name only those that change; null clears one, so the next run reads everyone.
/// Moving a date back re-imports people, moving it forward skips changes; a date in the future is refused.
#[utoipa::path(tag = "integrations", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Integration id")),
    request_body = IntegrationDatesUpdate,
    responses((status = 200, description = "Every known date after the change", body = IntegrationDates)))]
#[put("/integrations/{id}/dates")]
async fn update_integration_dates(
    hub: web::Data<Hub>,
    id: web::Path<Uuid>,
    AdminJson(who, body): AdminJson<Map<String, Value>>,
) -> ApiResult<web::Json<IntegrationDates>> {
    Ok(web::Json(dates::update(&hub, &who, *id, body).await?))
}
