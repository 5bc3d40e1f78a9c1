use actix_web::{get, post, web};
use ihub_domain::Hub;
use ihub_domain::logs::{self, LogEntry, LogFilters};
use ihub_domain::pagination::{Page, PageRequest};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::Auth;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_logs).service(get_log).service(check_log);
}

/// The organisation's log, newest first; filters combine.
#[utoipa::path(tag = "logs", security(("bearer" = [])), params(LogFilters, PageRequest),
    responses((status = 200, description = "A page of log entries, newest first", body = Page<LogEntry>)))]
#[get("/logs")]
async fn list_logs(
    hub: web::Data<Hub>,
    Auth(who): Auth,
    filters: web::Query<LogFilters>,
    page: web::Query<PageRequest>,
) -> ApiResult<web::Json<Page<LogEntry>>> {
    Ok(web::Json(logs::list(&hub, &who, &filters, &page).await?))
}

#[utoipa::path(tag = "logs", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Log entry id")),
    responses((status = 200, description = "The log entry", body = LogEntry)))]
#[get("/logs/{id}")]
async fn get_log(hub: web::Data<Hub>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<LogEntry>> {
    Ok(web::Json(logs::get(&hub, &who, *id).await?))
}

/// Mark an entry checked by the caller (admins and support users). Checking it again keeps the first who and when.
#[utoipa::path(tag = "logs", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Log entry id")),
    responses((status = 200, description = "The entry, checked", body = LogEntry)))]
#[post("/logs/{id}/check")]
async fn check_log(hub: web::Data<Hub>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<LogEntry>> {
    Ok(web::Json(logs::check(&hub, &who, *id).await?))
}
