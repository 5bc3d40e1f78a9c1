//! The controls over HTTP, for the demo and for anyone poking at a running `ihub-simulators` with curl. No
//! authentication: the binary listens on loopback, and these are a test rig's knobs.
//!
//! - `GET /_control/status`: people, users written, and per system the requests and those refused for the rate limit
//! - `POST /_control/people/seed` `{"count": 100, "seed": 42}`
//! - `POST /_control/people` `{"first_name", "last_name", "work_email", "job_title", "department", "location",
//!   "manager": index}` → `{"index", "employment_hero_id", "bamboohr_id"}`
//! - `PATCH /_control/people/{index}` with any of the same fields
//! - `POST /_control/people/{index}/terminate` `{"date": "YYYY-MM-DD"}` (default today)
//! - `PUT /_control/faults/{system}` with a fault plan (`latency` ms, `rate_limit_per_minute`, `rate_limit_burst`,
//!   `rate_limit_silent`, `rate_limit_status`, `scripted`, `error_rate`); `DELETE /_control/faults/{system}`
//! - `POST /_control/webhooks/employment-hero` `{"url", "event": "employee_updated", "index"}`
//! - `POST /_control/webhooks/bamboohr` `{"url", "private_key", "indices": [..], "changed_fields": [..]}`
//! - `GET /_control/webhooks/bamboohr`: the webhooks registered through BambooHR's API and what they sent
//! - `PUT /_control/oauth/employment-hero` `{"refuse_next": true}`: the next authorization is denied (redirect
//!   back with `error=access_denied` and the state, as when the admin presses Deny); `false` takes it back
use actix_web::{HttpResponse, web};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use crate::SimState;
use crate::employment_hero::webhook::Event;
use crate::faults::{FaultPlan, System};
use crate::people::{Person, SeedOptions};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/status", web::get().to(status))
        .route("/people/seed", web::post().to(seed))
        .route("/people", web::post().to(add))
        .route("/people/{index}", web::get().to(person))
        .route("/people/{index}", web::patch().to(change))
        .route("/people/{index}/terminate", web::post().to(terminate))
        .route("/faults/{system}", web::put().to(set_faults))
        .route("/faults/{system}", web::delete().to(clear_faults))
        .route("/webhooks/employment-hero", web::post().to(employment_hero_webhook))
        .route("/webhooks/bamboohr", web::post().to(bamboohr_webhook))
        .route("/webhooks/bamboohr", web::get().to(bamboohr_webhooks))
        .route("/oauth/employment-hero", web::put().to(employment_hero_oauth));
}

fn bad(message: &str) -> HttpResponse {
    HttpResponse::BadRequest().json(json!({"error": message}))
}

async fn status(state: web::Data<SimState>) -> HttpResponse {
    let per_system = |count: &dyn Fn(System) -> u64| -> serde_json::Map<String, serde_json::Value> {
        System::ALL
            .iter()
            .map(|s| {
                (
                    serde_json::to_value(s)
                        .expect("serialises")
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    json!(count(*s)),
                )
            })
            .collect()
    };
    HttpResponse::Ok().json(json!({
        "people": state.people_count(),
        "scim_users": state.scim_users().len(),
        "odoo_employees": state.odoo_employees().len(),
        "requests": per_system(&|s| state.request_count(s)),
        "rate_limited": per_system(&|s| state.rate_limited_count(s)),
    }))
}

#[derive(Deserialize)]
struct Seed {
    count: u32,
    seed: Option<u64>,
}

async fn seed(state: web::Data<SimState>, body: web::Json<Seed>) -> HttpResponse {
    let mut options = SeedOptions::new(body.count);
    if let Some(seed) = body.seed {
        options.seed = seed;
    }
    state.seed_people(&options);
    HttpResponse::Ok().json(json!({"people": state.people_count()}))
}

#[derive(Deserialize, Default)]
struct Fields {
    first_name: Option<String>,
    last_name: Option<String>,
    preferred_name: Option<String>,
    work_email: Option<String>,
    job_title: Option<String>,
    department: Option<String>,
    location: Option<String>,
    manager: Option<u32>,
    hire_date: Option<NaiveDate>,
}

impl Fields {
    fn apply(self, p: &mut Person) {
        if let Some(v) = self.first_name {
            p.first_name = v;
        }
        if let Some(v) = self.last_name {
            p.last_name = v;
        }
        if self.preferred_name.is_some() {
            p.preferred_name = self.preferred_name;
        }
        if self.work_email.is_some() {
            p.work_email = self.work_email;
        }
        if self.job_title.is_some() {
            p.job_title = self.job_title;
        }
        if self.department.is_some() {
            p.department = self.department;
        }
        if self.location.is_some() {
            p.location = self.location;
        }
        if self.manager.is_some() {
            p.manager = self.manager;
        }
        if let Some(d) = self.hire_date {
            p.hire_date = d;
        }
    }
}

fn described(state: &SimState, index: u32) -> serde_json::Value {
    json!({
        "index": index,
        "employment_hero_id": state.employment_hero_employee_id(index),
        "bamboohr_id": state.bamboohr_employee_id(index),
    })
}

async fn add(state: web::Data<SimState>, body: web::Json<Fields>) -> HttpResponse {
    let (Some(first), Some(last)) = (body.first_name.clone(), body.last_name.clone()) else {
        return bad("first_name and last_name are required");
    };
    let mut person = Person::new(&first, &last, state.today());
    body.into_inner().apply(&mut person);
    let index = state.add_employee(person);
    HttpResponse::Created().json(described(&state, index))
}

async fn person(state: web::Data<SimState>, index: web::Path<u32>) -> HttpResponse {
    match state.person(*index) {
        Some(p) => HttpResponse::Ok().json(json!({
            "ids": described(&state, *index),
            "name": p.full_name(),
            "work_email": p.work_email,
            "job_title": p.job_title,
            "department": p.department,
            "location": p.location,
            "manager": p.manager,
            "hire_date": p.hire_date,
            "termination_date": p.termination_date,
        })),
        None => HttpResponse::NotFound().json(json!({"error": "no such person"})),
    }
}

async fn change(state: web::Data<SimState>, index: web::Path<u32>, body: web::Json<Fields>) -> HttpResponse {
    match state.update_employee(*index, |p| body.into_inner().apply(p)) {
        Some(_) => HttpResponse::Ok().json(described(&state, *index)),
        None => HttpResponse::NotFound().json(json!({"error": "no such person"})),
    }
}

#[derive(Deserialize, Default)]
struct Terminate {
    date: Option<NaiveDate>,
}

async fn terminate(
    state: web::Data<SimState>,
    index: web::Path<u32>,
    body: Option<web::Json<Terminate>>,
) -> HttpResponse {
    let date = body.and_then(|b| b.date).unwrap_or_else(|| state.today());
    if state.terminate_employee(*index, date) {
        HttpResponse::Ok().json(described(&state, *index))
    } else {
        HttpResponse::NotFound().json(json!({"error": "no such person"}))
    }
}

fn system(name: &str) -> Option<System> {
    serde_json::from_value(json!(name.replace('-', "_"))).ok()
}

async fn set_faults(state: web::Data<SimState>, name: web::Path<String>, plan: web::Json<FaultPlan>) -> HttpResponse {
    let Some(system) = system(&name) else {
        return bad("unknown system: employment_hero, employment_hero_auth, bamboohr, scim or odoo");
    };
    state.set_faults(system, plan.into_inner());
    HttpResponse::Ok().json(state.faults(system))
}

async fn clear_faults(state: web::Data<SimState>, name: web::Path<String>) -> HttpResponse {
    let Some(system) = system(&name) else {
        return bad("unknown system");
    };
    state.clear_faults(system);
    HttpResponse::NoContent().finish()
}

#[derive(Deserialize)]
struct EhWebhook {
    url: String,
    event: Event,
    index: u32,
}

async fn employment_hero_webhook(state: web::Data<SimState>, body: web::Json<EhWebhook>) -> HttpResponse {
    match state
        .send_employment_hero_webhook(&body.url, body.event, body.index)
        .await
    {
        Ok(status) => HttpResponse::Ok().json(json!({"delivered": status})),
        Err(e) => HttpResponse::BadGateway().json(json!({"error": e.to_string()})),
    }
}

#[derive(Deserialize)]
struct BambooWebhook {
    url: String,
    private_key: String,
    indices: Vec<u32>,
    #[serde(default)]
    changed_fields: Vec<String>,
}

async fn bamboohr_webhook(state: web::Data<SimState>, body: web::Json<BambooWebhook>) -> HttpResponse {
    let changed: Vec<&str> = body.changed_fields.iter().map(String::as_str).collect();
    match state
        .send_bamboohr_webhook(&body.url, &body.private_key, &body.indices, &changed)
        .await
    {
        Ok(status) => HttpResponse::Ok().json(json!({"delivered": status})),
        Err(e) => HttpResponse::BadGateway().json(json!({"error": e.to_string()})),
    }
}

async fn bamboohr_webhooks(state: web::Data<SimState>) -> HttpResponse {
    HttpResponse::Ok().json(json!({
        "webhooks": state.bamboohr_webhooks(),
        "deliveries": state.bamboohr_webhook_deliveries(),
    }))
}

#[derive(Deserialize)]
struct OAuthControls {
    refuse_next: bool,
}

async fn employment_hero_oauth(state: web::Data<SimState>, body: web::Json<OAuthControls>) -> HttpResponse {
    state.refuse_next_employment_hero_authorization(body.refuse_next);
    HttpResponse::Ok().json(json!({"refuse_next": state.eh_auth.lock().expect("lock").refuse_next}))
}
