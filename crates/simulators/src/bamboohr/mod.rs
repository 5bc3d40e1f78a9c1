//! BambooHR's API gateway, `/api/gateway.php/{companyDomain}/v1/…`, with HTTP Basic auth (the API key as user
//! name, any password). Facts from documentation.bamboohr.com ("Technical Overview", "Get Employee", "Get Employee
//! Directory", "Gets all updated employee IDs", "Request a custom report", "Webhooks", "Permissioned Webhooks")
//! and APIS.md.
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;

pub mod api;
pub mod fields;
pub mod hooks;
pub mod webhook;
pub mod xml;

use crate::SimState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    api::configure(cfg);
    hooks::configure(cfg);
}

pub fn api_key(req: &HttpRequest) -> Option<String> {
    let encoded = req
        .headers()
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':').map(|(user, _)| user.to_owned())
}

/// BambooHR puts the reason for an error in `X-BambooHR-Error-Message` and sends no body ("Technical Overview").
pub fn error(status: u16, message: &str) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("valid status"))
        .insert_header(("X-BambooHR-Error-Message", message))
        .finish()
}

/// Why a request is refused, if it is: the company must exist (404) and the key must be the company's (401).
pub fn refusal(req: &HttpRequest, state: &SimState, company: &str) -> Option<HttpResponse> {
    if company != state.accepted.bamboohr_company {
        return Some(error(404, "Company not found"));
    }
    match api_key(req) {
        None => Some(error(401, "API key is missing")),
        Some(key) if key != state.accepted.bamboohr_api_key => Some(error(401, "Invalid API key")),
        Some(_) => None,
    }
}

/// JSON only when asked for: BambooHR's default representation is XML.
pub fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}
