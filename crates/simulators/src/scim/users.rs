//! `/Users`: query (RFC 7644 §3.4.2), create (§3.3), read, replace (§3.5.1), modify (§3.5.2), delete (§3.6).
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{LIST_SCHEMA, ScimError, base_url, error, filter, ok, refusal};
use crate::SimState;

/// Most users one page returns, as advertised in `ServiceProviderConfig.filter.maxResults`.
pub const MAX_RESULTS: usize = 200;
const DEFAULT_COUNT: usize = 100;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/Users", web::get().to(list))
        .route("/Users", web::post().to(create))
        .route("/Users/{id}", web::get().to(read))
        .route("/Users/{id}", web::put().to(replace))
        .route("/Users/{id}", web::patch().to(modify))
        .route("/Users/{id}", web::delete().to(remove));
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Query {
    filter: Option<String>,
    start_index: Option<String>,
    count: Option<String>,
}

async fn list(req: HttpRequest, state: web::Data<SimState>, query: web::Query<Query>) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state) {
        return refused;
    }
    let filter = match query.filter.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => None,
        Some(text) => match filter::parse(text) {
            Ok(f) => Some(f),
            Err(e) => return error(400, Some("invalidFilter"), &format!("The filter is invalid: {e}")),
        },
    };
    // RFC 7644 §3.4.2.4: startIndex below 1 is read as 1, a negative count as 0; more than maxResults is cut.
    let number = |v: &Option<String>| v.as_deref().map(|v| v.trim().parse::<i64>());
    let start = match number(&query.start_index) {
        None => 1,
        Some(Ok(n)) => n.max(1) as usize,
        Some(Err(_)) => return error(400, Some("invalidValue"), "startIndex must be an integer"),
    };
    let count = match number(&query.count) {
        None => DEFAULT_COUNT,
        Some(Ok(n)) => (n.max(0) as usize).min(MAX_RESULTS),
        Some(Err(_)) => return error(400, Some("invalidValue"), "count must be an integer"),
    };
    let store = state.scim.read().expect("lock");
    if store.refuse_or_filters && filter.as_ref().is_some_and(filter::has_or) {
        return error(
            400,
            Some("invalidFilter"),
            "The filter is invalid: `or` is not supported",
        );
    }
    let (total, page) = store.query(filter.as_ref(), start, count);
    ok(
        StatusCode::OK,
        json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": page.len(),
            "Resources": page,
        }),
    )
}

fn parse_body(body: &[u8]) -> Result<Value, ScimError> {
    serde_json::from_slice(body).map_err(|e| {
        ScimError::new(
            400,
            Some("invalidSyntax"),
            &format!("The request body is not JSON: {e}"),
        )
    })
}

fn written(result: Result<serde_json::Map<String, Value>, ScimError>, status: StatusCode) -> HttpResponse {
    match result {
        Ok(user) => {
            let location = user
                .get("meta")
                .and_then(|m| m.get("location"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let version = user
                .get("meta")
                .and_then(|m| m.get("version"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            HttpResponse::build(status)
                .content_type(super::MEDIA_TYPE)
                .insert_header(("Location", location))
                .insert_header(("ETag", version))
                .json(user)
        }
        Err(e) => e.response(),
    }
}

async fn create(req: HttpRequest, state: web::Data<SimState>, body: web::Bytes) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state) {
        return refused;
    }
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return e.response(),
    };
    let result = state.scim.write().expect("lock").create(body, &base_url(&req));
    written(result, StatusCode::CREATED)
}

async fn read(req: HttpRequest, state: web::Data<SimState>, id: web::Path<String>) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state) {
        return refused;
    }
    let store = state.scim.read().expect("lock");
    match store.get(&id) {
        Some(user) => written(Ok(user.clone()), StatusCode::OK),
        None => error(404, None, &format!("Resource {id} not found")),
    }
}

async fn replace(
    req: HttpRequest,
    state: web::Data<SimState>,
    id: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state) {
        return refused;
    }
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return e.response(),
    };
    let result = state.scim.write().expect("lock").replace(&id, body, &base_url(&req));
    written(result, StatusCode::OK)
}

async fn modify(req: HttpRequest, state: web::Data<SimState>, id: web::Path<String>, body: web::Bytes) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state) {
        return refused;
    }
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(e) => return e.response(),
    };
    // RFC 7644 §3.5.2 lets a provider answer 200 with the resource or 204; this one returns the resource.
    let result = state.scim.write().expect("lock").patch(&id, &body, &base_url(&req));
    written(result, StatusCode::OK)
}

async fn remove(req: HttpRequest, state: web::Data<SimState>, id: web::Path<String>) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state) {
        return refused;
    }
    match state.scim.write().expect("lock").delete(&id) {
        Ok(()) => HttpResponse::NoContent().finish(),
        Err(e) => e.response(),
    }
}
