//! The HR REST API v1: organisations and their employees, behind bearer tokens.
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};

use super::oauth::TokenCheck;
use super::{employee_id, index_of};
use crate::SimState;
use crate::people::{Person, Population};

/// Employment Hero's default and largest page sizes (APIS.md; the connector's reading of the "Pagination" docs).
const DEFAULT_PAGE_SIZE: usize = 20;
const MAX_PAGE_SIZE: usize = 100;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/organisations", web::get().to(organisations))
        .route("/organisations/{org}", web::get().to(organisation))
        .route("/organisations/{org}/employees", web::get().to(employees))
        .route("/organisations/{org}/employees/{id}", web::get().to(employee));
}

/// RFC 6750 §3.1: a refused bearer token gets 401 with a `WWW-Authenticate` challenge naming the error.
fn unauthorised(description: &str) -> HttpResponse {
    HttpResponse::Unauthorized()
        .insert_header((
            "WWW-Authenticate",
            format!("Bearer realm=\"Employment Hero\", error=\"invalid_token\", error_description=\"{description}\""),
        ))
        .json(json!({"error": "invalid_token", "error_description": description}))
}

fn not_found(what: &str) -> HttpResponse {
    HttpResponse::NotFound().json(json!({"error": format!("{what} not found")}))
}

fn refusal(req: &HttpRequest, state: &SimState) -> Option<HttpResponse> {
    let token = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(token) = token else {
        return Some(unauthorised("The access token is missing"));
    };
    if token == state.accepted.employment_hero_access_token {
        return None;
    }
    match state.eh_auth.lock().expect("lock").check(token) {
        TokenCheck::Valid => None,
        TokenCheck::Expired => Some(unauthorised("The access token expired")),
        TokenCheck::Unknown => Some(unauthorised("The access token is invalid")),
    }
}

#[derive(Deserialize)]
struct Paging {
    page_index: Option<String>,
    item_per_page: Option<String>,
}

impl Paging {
    /// Unparseable or out-of-range values fall back to the defaults rather than failing, as Rails apps tend to.
    fn resolve(&self) -> (usize, usize) {
        let page = self
            .page_index
            .as_deref()
            .and_then(|p| p.parse::<usize>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1);
        let size = self
            .item_per_page
            .as_deref()
            .and_then(|p| p.parse::<usize>().ok())
            .filter(|p| *p >= 1)
            .map_or(DEFAULT_PAGE_SIZE, |p| p.min(MAX_PAGE_SIZE));
        (page, size)
    }
}

fn list(items: Vec<Value>, page: usize, size: usize, total: usize) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "data": {
            "items": items,
            "page_index": page,
            "item_per_page": size,
            "total_items": total,
            "total_pages": total.div_ceil(size),
        }
    }))
}

fn organisation_json(state: &SimState) -> Value {
    json!({
        "id": state.accepted.employment_hero_organisation_id,
        "name": crate::people::COMPANY,
        "phone": "+61 2 5550 0000",
        "country": "AU",
        "logo_url": null,
    })
}

async fn organisations(req: HttpRequest, state: web::Data<SimState>, paging: web::Query<Paging>) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state) {
        return refused;
    }
    let (page, size) = paging.resolve();
    let items = if page == 1 {
        vec![organisation_json(&state)]
    } else {
        vec![]
    };
    list(items, page, size, 1)
}

async fn organisation(req: HttpRequest, state: web::Data<SimState>, org: web::Path<String>) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state) {
        return refused;
    }
    if *org != state.accepted.employment_hero_organisation_id {
        return not_found("Organisation");
    }
    HttpResponse::Ok().json(json!({"data": organisation_json(&state)}))
}

fn date_time(date: chrono::NaiveDate) -> String {
    format!("{date}T00:00:00+00:00")
}

/// An employee as `GET organisations/{id}/employees` renders one (fields per APIS.md).
pub fn render(population: &Population, index: u32, person: &Person) -> Value {
    let seed = population.seed();
    let manager = person
        .manager
        .and_then(|m| population.get(m).map(|p| (m, p)))
        .map(|(m, p)| json!({"id": employee_id(seed, m), "name": p.full_name()}));
    let manages = population.has_reports(index);
    json!({
        "id": employee_id(seed, index),
        "account_email": person.work_email,
        "title": person.honorific,
        "role": if index == 0 { "owner" } else if manages { "manager" } else { "employee" },
        "first_name": person.first_name,
        "middle_name": person.middle_name,
        "last_name": person.last_name,
        "known_as": person.preferred_name,
        "full_name": format!("{} {}", person.first_name, person.last_name),
        "job_title": person.job_title,
        "company_email": person.work_email,
        "personal_email": person.personal_email,
        "code": format!("EMP{}", person.employee_number),
        "location": person.location,
        "employing_entity": person.employing_entity,
        "country": person.country,
        "start_date": date_time(person.hire_date),
        "termination_date": person.termination_date.map(date_time),
        "date_of_birth": person.date_of_birth.map(date_time),
        "primary_manager": manager,
        "secondary_manager": null,
    })
}

async fn employees(
    req: HttpRequest,
    state: web::Data<SimState>,
    org: web::Path<String>,
    paging: web::Query<Paging>,
) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state) {
        return refused;
    }
    if *org != state.accepted.employment_hero_organisation_id {
        return not_found("Organisation");
    }
    let (page, size) = paging.resolve();
    let population = state.people.read().expect("lock");
    let total = population.len();
    let start = (page - 1).saturating_mul(size);
    let mut items = Vec::with_capacity(size.min(total.saturating_sub(start)));
    if start < total
        && let Some(first) = population.nth(start)
    {
        for index in population.indices().skip_while(|i| *i < first).take(size) {
            if let Some(person) = population.get(index) {
                items.push(render(&population, index, &person));
            }
        }
    }
    list(items, page, size, total)
}

async fn employee(req: HttpRequest, state: web::Data<SimState>, path: web::Path<(String, String)>) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state) {
        return refused;
    }
    let (org, id) = path.into_inner();
    if org != state.accepted.employment_hero_organisation_id {
        return not_found("Organisation");
    }
    let population = state.people.read().expect("lock");
    match index_of(population.seed(), &id).and_then(|i| population.get(i).map(|p| (i, p))) {
        Some((index, person)) => HttpResponse::Ok().json(json!({"data": render(&population, index, &person)})),
        None => not_found("Employee"),
    }
}
