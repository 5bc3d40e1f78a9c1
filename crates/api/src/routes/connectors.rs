use actix_web::{get, web};
use ihub_domain::Hub;
use ihub_domain::connections::ports::ConnectorInfo;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiResult;
use crate::extract::Auth;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_connectors);
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorList {
    pub items: Vec<ConnectorInfo>,
}

/// The kinds of systems the hub can connect to, with the JSON Schema of each one's settings and credentials.
#[utoipa::path(tag = "connections", security(("bearer" = [])),
    responses((status = 200, description = "The connector catalog", body = ConnectorList)))]
#[get("/connectors")]
async fn list_connectors(hub: web::Data<Hub>, Auth(_who): Auth) -> ApiResult<web::Json<ConnectorList>> {
    Ok(web::Json(ConnectorList {
        items: hub.catalog.list().cloned().collect(),
    }))
}
