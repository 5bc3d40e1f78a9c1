use actix_web::{HttpResponse, delete, get, patch, post, web};
use ihub_domain::Hub;
use ihub_domain::integrations::schedules::{self, Schedule, ScheduleFilter, ScheduleInput};
use ihub_domain::pagination::{Page, PageRequest};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{Admin, AdminJson, Auth, AuthJson};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_integration_schedules)
        .service(create_schedule)
        .service(list_schedules)
        .service(get_schedule)
        .service(update_schedule)
        .service(delete_schedule)
        .service(cancel_schedule);
}

#[utoipa::path(tag = "schedules", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Integration id"), PageRequest),
    responses((status = 200, description = "A page of the integration's schedules", body = Page<Schedule>)))]
#[get("/integrations/{id}/schedules")]
async fn list_integration_schedules(
    hub: web::Data<Hub>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    page: web::Query<PageRequest>,
) -> ApiResult<web::Json<Page<Schedule>>> {
    Ok(web::Json(
        schedules::list_for_integration(&hub, &who, *id, &page).await?,
    ))
}

/// Schedule an integration's sync (admins only): a cron expression or `every` N minutes/hours/days, read in an
/// IANA time zone (the organisation's by default). The answer says when it runs next.
#[utoipa::path(tag = "schedules", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Integration id")),
    request_body = ScheduleInput,
    responses((status = 201, description = "Created", body = Schedule),
        (status = 409, description = "The integration has as many schedules as it may (`too_many_schedules`)", body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/integrations/{id}/schedules")]
async fn create_schedule(
    hub: web::Data<Hub>,
    id: web::Path<Uuid>,
    AuthJson(who, body): AuthJson<ScheduleInput>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Created().json(schedules::create(&hub, &who, *id, body).await?))
}

/// All schedules of the organisation.
#[utoipa::path(tag = "schedules", security(("bearer" = [])), params(ScheduleFilter, PageRequest),
    responses((status = 200, description = "A page of schedules", body = Page<Schedule>)))]
#[get("/schedules")]
async fn list_schedules(
    hub: web::Data<Hub>,
    Auth(who): Auth,
    filter: web::Query<ScheduleFilter>,
    page: web::Query<PageRequest>,
) -> ApiResult<web::Json<Page<Schedule>>> {
    Ok(web::Json(schedules::list(&hub, &who, &filter, &page).await?))
}

#[utoipa::path(tag = "schedules", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Schedule id")),
    responses((status = 200, description = "The schedule", body = Schedule)))]
#[get("/schedules/{id}")]
async fn get_schedule(hub: web::Data<Hub>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Schedule>> {
    Ok(web::Json(schedules::get(&hub, &who, *id).await?))
}

/// Change a schedule (admins only). A new timing or time zone, or re-activation, computes the next run from now.
#[utoipa::path(tag = "schedules", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Schedule id")),
    request_body = ScheduleInput,
    responses((status = 200, description = "Updated", body = Schedule)))]
#[patch("/schedules/{id}")]
async fn update_schedule(
    hub: web::Data<Hub>,
    id: web::Path<Uuid>,
    AdminJson(who, body): AdminJson<ScheduleInput>,
) -> ApiResult<web::Json<Schedule>> {
    Ok(web::Json(schedules::update(&hub, &who, *id, body).await?))
}

/// Delete a schedule (admins only). Its past runs stay.
#[utoipa::path(tag = "schedules", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Schedule id")),
    responses((status = 204, description = "Deleted")))]
#[delete("/schedules/{id}")]
async fn delete_schedule(hub: web::Data<Hub>, Admin(who): Admin, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    schedules::delete(&hub, &who, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Cancel a schedule (admins only): it stops running. Only an active schedule can be cancelled.
#[utoipa::path(tag = "schedules", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Schedule id")),
    responses(
        (status = 200, description = "The schedule, now inactive", body = Schedule),
        (status = 409, description = "The schedule is not active", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/schedules/{id}/cancel")]
async fn cancel_schedule(hub: web::Data<Hub>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Schedule>> {
    Ok(web::Json(schedules::cancel(&hub, &who, *id).await?))
}
