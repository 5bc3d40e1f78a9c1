use actix_web::http::header;
use actix_web::{HttpResponse, get, post, web};
use futures::TryStreamExt;
use ihub_domain::Hub;
use ihub_domain::pagination::{Page, PageRequest};
use ihub_domain::runs::actions::{self, RunNow};
use ihub_domain::runs::report::{self, RecordFilters, Run, RunFilters, RunRecord, Zone};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{Auth, AuthOptionalJson};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(run_integration)
        .service(list_runs)
        .service(get_run)
        .service(list_records)
        .service(records_csv)
        .service(cancel_run)
        .service(resume_run)
        .service(replay_failed);
}

/// Run an integration now (admins and support users). The run is queued and a worker takes it; no schedule moves.
#[utoipa::path(tag = "runs", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Integration id")),
    request_body(content = Option<RunNow>, description = "Optional; `{}` or no body reads only what changed"),
    responses(
        (status = 202, description = "Queued", body = Run),
        (status = 409, description = "The integration is disabled", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/integrations/{id}/run")]
async fn run_integration(
    hub: web::Data<Hub>,
    id: web::Path<Uuid>,
    AuthOptionalJson(who, body): AuthOptionalJson<RunNow>,
) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Accepted().json(actions::run_now(&hub, &who, *id, body).await?))
}

/// The integration's runs, newest first.
#[utoipa::path(tag = "runs", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Integration id"), RunFilters, PageRequest, Zone),
    responses((status = 200, description = "A page of runs", body = Page<Run>)))]
#[get("/integrations/{id}/runs")]
async fn list_runs(
    hub: web::Data<Hub>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    filters: web::Query<RunFilters>,
    page: web::Query<PageRequest>,
    zone: web::Query<Zone>,
) -> ApiResult<web::Json<Page<Run>>> {
    Ok(web::Json(report::list(&hub, &who, *id, &filters, &page, &zone).await?))
}

#[utoipa::path(tag = "runs", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Run id"), Zone),
    responses((status = 200, description = "The run", body = Run)))]
#[get("/runs/{id}")]
async fn get_run(
    hub: web::Data<Hub>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    zone: web::Query<Zone>,
) -> ApiResult<web::Json<Run>> {
    Ok(web::Json(report::get(&hub, &who, *id, &zone).await?))
}

/// The run's record lines: one per person, with the decision, the outcome and the fields changed.
#[utoipa::path(tag = "runs", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Run id"), RecordFilters, PageRequest, Zone),
    responses(
        (status = 200, description = "A page of record lines", body = Page<RunRecord>),
        (status = 410, description = "Retention removed the run's lines (`records_removed`); the run keeps its counts", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/runs/{id}/records")]
async fn list_records(
    hub: web::Data<Hub>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    filters: web::Query<RecordFilters>,
    page: web::Query<PageRequest>,
    zone: web::Query<Zone>,
) -> ApiResult<web::Json<Page<RunRecord>>> {
    Ok(web::Json(
        report::records(&hub, &who, *id, &filters, &page, &zone).await?,
    ))
}

/// The run's record lines as a CSV download, streamed as they are read. 410 once retention removed them.
#[utoipa::path(tag = "runs", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "Run id"), RecordFilters, Zone),
    responses(
        (status = 200, description = "CSV, one line per person", body = String, content_type = "text/csv"),
        (status = 410, description = "Retention removed the run's lines (`records_removed`)", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/runs/{id}/records.csv")]
async fn records_csv(
    hub: web::Data<Hub>,
    Auth(who): Auth,
    id: web::Path<Uuid>,
    filters: web::Query<RecordFilters>,
    zone: web::Query<Zone>,
) -> ApiResult<HttpResponse> {
    let chunks = report::records_csv(&hub, &who, *id, &filters, &zone).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"run-{id}.csv\""),
        ))
        .streaming(chunks.map_ok(web::Bytes::from)))
}

/// Cancel a queued or running run (admins and support users); a running one stops at the next record.
#[utoipa::path(tag = "runs", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Run id")),
    responses(
        (status = 200, description = "The run, cancelled or stopping", body = Run),
        (status = 409, description = "The run already ended", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/runs/{id}/cancel")]
async fn cancel_run(hub: web::Data<Hub>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Run>> {
    Ok(web::Json(actions::cancel(&hub, &who, *id).await?))
}

/// Resume a stuck or failed run from its checkpoint (admins and support users).
#[utoipa::path(tag = "runs", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Run id")),
    responses(
        (status = 200, description = "The run, queued again", body = Run),
        (status = 409, description = "The run is not stuck or failed", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/runs/{id}/resume")]
async fn resume_run(hub: web::Data<Hub>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<Run>> {
    Ok(web::Json(actions::resume(&hub, &who, *id).await?))
}

/// Start a new run that retries only this run's failed records (admins and support users).
#[utoipa::path(tag = "runs", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Run id")),
    responses(
        (status = 202, description = "The new run, queued", body = Run),
        (status = 409, description = "No failed records, or the integration is disabled", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/runs/{id}/replay-failed")]
async fn replay_failed(hub: web::Data<Hub>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Accepted().json(actions::replay_failed(&hub, &who, *id).await?))
}
