//! Employment Hero REST API v1: bearer access tokens, lists wrapped as `{"data": {"items": [...], paging}}`.
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::SimState;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organisations", web::get().to(organisations));
}

async fn organisations(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if token != Some(state.accepted.employment_hero_access_token.as_str()) {
        return HttpResponse::Unauthorized().json(json!({"error": "invalid_token"}));
    }
    HttpResponse::Ok().json(json!({
        "data": {
            "items": [{
                "id": state.accepted.employment_hero_organisation_id,
                "name": "Acme Pty Ltd",
                "phone": "+61 2 5550 0000",
                "country": "AU",
                "logo_url": null,
            }],
            "page_index": 1,
            "item_per_page": 20,
            "total_items": 1,
            "total_pages": 1,
        }
    }))
}
