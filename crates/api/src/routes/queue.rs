use actix_web::{HttpResponse, get, post, web};
use ihub_domain::Hub;
use ihub_domain::inbound::{self, QueueFilters, QueueItem};
use ihub_domain::pagination::{Page, PageRequest};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::ApiResult;
use crate::extract::{Admin, Auth};

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_queue)
        .service(get_queue_item)
        .service(reactivate_queue_item)
        .service(process_queue_item);
}

/// Webhook events waiting, done and failed, newest first.
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(QueueFilters, PageRequest),
    responses((status = 200, description = "A page of queue items", body = Page<QueueItem>)))]
#[get("/queue")]
async fn list_queue(
    hub: web::Data<Hub>,
    Auth(who): Auth,
    filters: web::Query<QueueFilters>,
    page: web::Query<PageRequest>,
) -> ApiResult<web::Json<Page<QueueItem>>> {
    Ok(web::Json(inbound::list(&hub, &who, &filters, &page).await?))
}

#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Queue item id")),
    responses((status = 200, description = "The queue item", body = QueueItem)))]
#[get("/queue/{id}")]
async fn get_queue_item(hub: web::Data<Hub>, Auth(who): Auth, id: web::Path<Uuid>) -> ApiResult<web::Json<QueueItem>> {
    Ok(web::Json(inbound::get(&hub, &who, *id).await?))
}

/// Put a failed item back in the queue, due now (admins only).
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Queue item id")),
    responses(
        (status = 200, description = "Pending again", body = QueueItem),
        (status = 409, description = "The item has not failed", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/queue/{id}/reactivate")]
async fn reactivate_queue_item(
    hub: web::Data<Hub>,
    Admin(who): Admin,
    id: web::Path<Uuid>,
) -> ApiResult<web::Json<QueueItem>> {
    Ok(web::Json(inbound::reactivate(&hub, &who, *id).await?))
}

/// Process a pending or failed item now: a worker takes it (with the person's other waiting items) at once; the
/// answer comes before it is processed, and the item then moves on to done or failed (admins only).
#[utoipa::path(tag = "queue", security(("bearer" = [])), params(("id" = Uuid, Path, description = "Queue item id")),
    responses(
        (status = 202, description = "Due now and handed to a worker", body = QueueItem),
        (status = 409, description = "The item is being processed or done", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/queue/{id}/process")]
async fn process_queue_item(hub: web::Data<Hub>, Admin(who): Admin, id: web::Path<Uuid>) -> ApiResult<HttpResponse> {
    Ok(HttpResponse::Accepted().json(inbound::process_now(&hub, &who, *id).await?))
}
