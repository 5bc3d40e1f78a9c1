//! A SCIM 2.0 service provider (RFC 7643 schema, RFC 7644 protocol): bearer-token auth, `/Users` with
//! filters, paging, POST, PUT, PATCH and DELETE, the discovery endpoints, and SCIM error objects.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

pub mod discovery;
pub mod filter;
pub mod patch;
pub mod store;
pub mod users;

pub use store::Store;

use crate::SimState;

pub const MEDIA_TYPE: &str = "application/scim+json";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
pub const LIST_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

pub fn configure(cfg: &mut web::ServiceConfig) {
    users::configure(cfg);
    discovery::configure(cfg);
}

/// An error as RFC 7644 §3.12 words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScimError {
    pub status: u16,
    pub scim_type: Option<String>,
    pub detail: String,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<&str>, detail: &str) -> Self {
        Self {
            status,
            scim_type: scim_type.map(str::to_owned),
            detail: detail.to_owned(),
        }
    }

    pub fn response(&self) -> HttpResponse {
        error(self.status, self.scim_type.as_deref(), &self.detail)
    }
}

/// RFC 7644 §3.12: errors carry the error schema, the status as a string, and a detail.
pub fn error(status: u16, scim_type: Option<&str>, detail: &str) -> HttpResponse {
    let mut body = json!({"schemas": [ERROR_SCHEMA], "status": status.to_string(), "detail": detail});
    if let Some(t) = scim_type {
        body["scimType"] = json!(t);
    }
    let mut response = HttpResponse::build(StatusCode::from_u16(status).expect("valid status"));
    if status == 401 {
        response.insert_header(("WWW-Authenticate", "Bearer realm=\"SCIM\""));
    }
    response.content_type(MEDIA_TYPE).json(body)
}

pub fn ok(status: StatusCode, body: impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(status).content_type(MEDIA_TYPE).json(body)
}

/// The 401 a request without the accepted bearer token gets.
pub fn refusal(req: &HttpRequest, state: &SimState) -> Option<HttpResponse> {
    let ok = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|t| t.trim() == state.accepted.scim_token);
    (!ok).then(|| {
        error(
            401,
            None,
            "Authorization failure. The authorization header is invalid or missing.",
        )
    })
}

/// The service's base URL as the client reached it, for `meta.location`.
pub fn base_url(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}/scim/v2", info.scheme(), info.host())
}
