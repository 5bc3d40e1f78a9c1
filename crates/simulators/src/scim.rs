//! SCIM 2.0 service provider (RFC 7644): bearer-token auth, `ListResponse` paging, SCIM error objects.
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::json;

use crate::SimState;

pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/Users", web::get().to(list_users))
        .route("/ServiceProviderConfig", web::get().to(service_provider_config));
}

/// RFC 7644 §3.12: errors carry the error schema, the status as a string, and a detail.
pub fn error(status: u16, scim_type: Option<&str>, detail: &str) -> HttpResponse {
    let mut body = json!({"schemas": [ERROR_SCHEMA], "status": status.to_string(), "detail": detail});
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("valid status"))
        .content_type("application/scim+json")
        .json(body)
}

fn authorised(req: &HttpRequest, state: &SimState) -> bool {
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t == state.accepted.scim_token)
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Paging {
    start_index: Option<i64>,
    count: Option<i64>,
}

async fn list_users(req: HttpRequest, state: web::Data<SimState>, paging: web::Query<Paging>) -> HttpResponse {
    if !authorised(&req, &state) {
        return error(
            401,
            None,
            "Authorization failure. The authorization header is invalid or missing.",
        );
    }
    // RFC 7644 §3.4.2.4: startIndex below 1 is read as 1; count below 0 as 0.
    let start = paging.start_index.unwrap_or(1).max(1);
    let count = paging.count.unwrap_or(100).max(0);
    HttpResponse::Ok().content_type("application/scim+json").json(json!({
        "schemas": [LIST_SCHEMA],
        "totalResults": 0,
        "startIndex": start,
        "itemsPerPage": count.min(0),
        "Resources": [],
    }))
}

async fn service_provider_config() -> HttpResponse {
    HttpResponse::Ok().content_type("application/scim+json").json(json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": true},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": 200},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{"type": "oauthbearertoken", "name": "OAuth Bearer Token", "description": "Bearer token"}],
    }))
}
