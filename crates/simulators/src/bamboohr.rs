//! BambooHR API gateway: `/{companyDomain}/v1/…`, HTTP Basic with the API key as user name.
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use serde_json::json;

use crate::SimState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/{company}/v1/meta/fields", web::get().to(meta_fields));
}

pub fn api_key(req: &HttpRequest) -> Option<String> {
    let encoded = req
        .headers()
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    text.split_once(':').map(|(user, _)| user.to_owned())
}

async fn meta_fields(req: HttpRequest, state: web::Data<SimState>, company: web::Path<String>) -> HttpResponse {
    if *company != state.accepted.bamboohr_company {
        return HttpResponse::NotFound().finish();
    }
    if api_key(&req).as_deref() != Some(state.accepted.bamboohr_api_key.as_str()) {
        return HttpResponse::Unauthorized().finish();
    }
    HttpResponse::Ok().json(json!([
        {"id": 1, "name": "First Name", "type": "text", "alias": "firstName"},
        {"id": 2, "name": "Last Name", "type": "text", "alias": "lastName"},
        {"id": 15, "name": "Work Email", "type": "email", "alias": "workEmail"},
        {"id": 17, "name": "Job Title", "type": "list", "alias": "jobTitle"},
    ]))
}
