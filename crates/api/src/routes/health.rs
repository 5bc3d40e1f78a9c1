use actix_web::{HttpResponse, get, web};
use ihub_domain::Hub;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    /// `ready` when every dependency answered.
    #[schema(example = "ready")]
    pub status: &'static str,
    #[schema(example = "ok")]
    pub database: String,
    #[schema(example = "ok")]
    pub queue: String,
    /// This process's job consumer: `ok`, `down` (ended, being started again) or `none` (no worker here).
    #[schema(example = "ok")]
    pub consumer: &'static str,
}

/// The process is up.
#[utoipa::path(tag = "health", responses((status = 200, description = "Up", body = Health)))]
#[get("/healthz")]
async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// The database and the job queue are reachable, and this process's job consumer (if it runs one) takes jobs.
#[utoipa::path(tag = "health", responses(
    (status = 200, description = "Ready", body = Readiness),
    (status = 503, description = "A dependency is unreachable", body = Readiness),
))]
#[get("/readyz")]
async fn readyz(hub: web::Data<Hub>) -> HttpResponse {
    let database = ihub_domain::database::ping(&hub.db)
        .await
        .map(|_| "ok".to_owned())
        .unwrap_or_else(|e| {
            tracing::warn!(error = %e, "readiness: database unreachable");
            "unreachable".to_owned()
        });
    let queue = hub.job_queue.ping().await.map(|_| "ok".to_owned()).unwrap_or_else(|e| {
        tracing::warn!(error = %e, "readiness: queue unreachable");
        "unreachable".to_owned()
    });
    let consumer = match hub.consumer.is_up() {
        None => "none",
        Some(true) => "ok",
        Some(false) => "down",
    };
    let ready = database == "ok" && queue == "ok" && consumer != "down";
    let body = Readiness {
        status: if ready { "ready" } else { "not_ready" },
        database,
        queue,
        consumer,
    };
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}
