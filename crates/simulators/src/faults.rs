//! Faults the tests and benchmarks inject per system, and the request counts they measure with. All of it runs
//! in one middleware in front of every simulator server, so a fault looks like the real system's gateway
//! answering.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::SimState;

/// The systems the simulators play; the OAuth server is apart from Employment Hero's API so API faults do not
/// break the connect flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum System {
    EmploymentHero,
    EmploymentHeroAuth,
    #[serde(rename = "bamboohr")]
    BambooHr,
    Scim,
    Odoo,
}

impl System {
    pub const ALL: [System; 5] = [
        System::EmploymentHero,
        System::EmploymentHeroAuth,
        System::BambooHr,
        System::Scim,
        System::Odoo,
    ];

    /// The system a request for `path` to the server that plays `self` is for; `None` for the controls, which
    /// every server serves and no fault should break.
    pub fn on_server(self, path: &str) -> Option<Self> {
        if path == "/_control" || path.starts_with("/_control/") {
            return None;
        }
        match self {
            Self::EmploymentHero | Self::EmploymentHeroAuth if path.starts_with("/oauth2/") => {
                Some(Self::EmploymentHeroAuth)
            }
            Self::EmploymentHeroAuth => Some(Self::EmploymentHero),
            other => Some(other),
        }
    }

    /// The status a rate-limited request gets. BambooHR throttles with 503 until 16 September 2026 and 429 after
    /// (documentation.bamboohr.com, "Planned Changes to the API"); the others answer 429.
    pub fn rate_limit_status(self) -> u16 {
        match self {
            Self::BambooHr => 503,
            _ => 429,
        }
    }
}

/// The system a simulator server plays, in its app data, for the middleware to judge its requests by.
#[derive(Debug, Clone, Copy)]
pub struct Served(pub System);

/// A failure scripted for the next requests of a system.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScriptedFailure {
    pub status: u16,
    /// Seconds, sent as `Retry-After` when set.
    pub retry_after: Option<u64>,
}

/// The faults in force for one system.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FaultPlan {
    /// Added before every answer.
    #[serde(default, with = "millis")]
    pub latency: Duration,
    /// Requests per minute allowed; past that, the system's rate-limit status with `Retry-After`.
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
    /// Overrides the rate-limit status (e.g. 429 for BambooHR after its September 2026 change).
    #[serde(default)]
    pub rate_limit_status: Option<u16>,
    /// Answered, in order, by the next requests.
    #[serde(default)]
    pub scripted: VecDeque<ScriptedFailure>,
    /// A share (0.0–1.0) of requests answered with `status`, spread evenly rather than at random, so runs
    /// repeat.
    #[serde(default)]
    pub error_rate: Option<(f64, u16)>,
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

#[derive(Debug, Default)]
struct SystemState {
    plan: FaultPlan,
    window_start: Option<Instant>,
    window_count: u32,
    error_credit: f64,
    requests: u64,
}

#[derive(Debug, Default)]
pub struct Faults {
    systems: Mutex<HashMap<System, SystemState>>,
}

/// What the middleware decided for one request.
enum Verdict {
    Pass,
    Fail(ScriptedFailure),
}

impl Faults {
    pub fn set(&self, system: System, plan: FaultPlan) {
        let mut systems = self.systems.lock().expect("lock");
        let state = systems.entry(system).or_default();
        state.plan = plan;
        state.window_start = None;
        state.window_count = 0;
        state.error_credit = 0.0;
    }

    pub fn update(&self, system: System, edit: impl FnOnce(&mut FaultPlan)) {
        let mut systems = self.systems.lock().expect("lock");
        edit(&mut systems.entry(system).or_default().plan);
    }

    pub fn clear(&self, system: System) {
        self.set(system, FaultPlan::default());
    }

    pub fn plan(&self, system: System) -> FaultPlan {
        let systems = self.systems.lock().expect("lock");
        systems.get(&system).map(|s| s.plan.clone()).unwrap_or_default()
    }

    pub fn requests(&self, system: System) -> u64 {
        let systems = self.systems.lock().expect("lock");
        systems.get(&system).map_or(0, |s| s.requests)
    }

    pub fn reset_counts(&self) {
        for state in self.systems.lock().expect("lock").values_mut() {
            state.requests = 0;
        }
    }

    fn judge(&self, system: System) -> (Duration, Verdict) {
        let mut systems = self.systems.lock().expect("lock");
        let state = systems.entry(system).or_default();
        state.requests += 1;
        let latency = state.plan.latency;
        if let Some(failure) = state.plan.scripted.pop_front() {
            return (latency, Verdict::Fail(failure));
        }
        if let Some(limit) = state.plan.rate_limit_per_minute {
            let now = Instant::now();
            let start = *state.window_start.get_or_insert(now);
            let elapsed = now.duration_since(start);
            if elapsed >= Duration::from_secs(60) {
                state.window_start = Some(now);
                state.window_count = 0;
            }
            state.window_count += 1;
            if state.window_count > limit {
                let left =
                    Duration::from_secs(60).saturating_sub(now.duration_since(state.window_start.unwrap_or(now)));
                let status = state.plan.rate_limit_status.unwrap_or(system.rate_limit_status());
                return (
                    latency,
                    Verdict::Fail(ScriptedFailure {
                        status,
                        retry_after: Some(left.as_secs_f64().ceil().max(1.0) as u64),
                    }),
                );
            }
        }
        if let Some((rate, status)) = state.plan.error_rate {
            state.error_credit += rate.clamp(0.0, 1.0);
            if state.error_credit >= 1.0 {
                state.error_credit -= 1.0;
                return (
                    latency,
                    Verdict::Fail(ScriptedFailure {
                        status,
                        retry_after: None,
                    }),
                );
            }
        }
        (latency, Verdict::Pass)
    }
}

/// How each system's gateway words a refusal: what a client sees when the fault fires.
fn failure_response(system: System, failure: ScriptedFailure) -> HttpResponse {
    let status = StatusCode::from_u16(failure.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    let reason = status.canonical_reason().unwrap_or("Error");
    let mut response = HttpResponse::build(status);
    if let Some(seconds) = failure.retry_after {
        response.insert_header(("Retry-After", seconds.to_string()));
    }
    match system {
        System::Scim => response.content_type(crate::scim::MEDIA_TYPE).json(
            json!({"schemas": [crate::scim::ERROR_SCHEMA], "status": failure.status.to_string(), "detail": reason}),
        ),
        // BambooHR explains errors in a header and leaves the body empty (documentation.bamboohr.com,
        // "Technical Overview": the X-BambooHR-Error-Message header).
        System::BambooHr => response.insert_header(("X-BambooHR-Error-Message", reason)).finish(),
        System::EmploymentHero | System::EmploymentHeroAuth => response.json(json!({"error": reason})),
        // Odoo sits behind a proxy that answers these itself, in HTML, before any JSON-RPC happens.
        System::Odoo => response.content_type("text/html; charset=utf-8").body(format!(
            "<html><body><h1>{} {reason}</h1></body></html>",
            failure.status
        )),
    }
}

/// Records the request, then applies the system's faults before the simulator sees it.
pub async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<SimState>>().cloned();
    let system = req
        .app_data::<Served>()
        .and_then(|served| served.0.on_server(req.path()));
    if let Some(state) = &state {
        state
            .recorded
            .lock()
            .expect("lock")
            .requests
            .push(format!("{} {}", req.method(), req.path()));
    }
    let (Some(state), Some(system)) = (state, system) else {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    };
    let (latency, verdict) = state.faults.judge(system);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match verdict {
        Verdict::Pass => next.call(req).await.map(ServiceResponse::map_into_boxed_body),
        Verdict::Fail(failure) => Ok(req.into_response(failure_response(system, failure))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_belong_to_the_server_that_got_them_except_controls_and_oauth() {
        assert_eq!(
            System::EmploymentHero.on_server("/api/v1/organisations"),
            Some(System::EmploymentHero)
        );
        assert_eq!(
            System::EmploymentHero.on_server("/oauth2/token"),
            Some(System::EmploymentHeroAuth)
        );
        assert_eq!(
            System::BambooHr.on_server("/api/gateway.php/acme/v1/employees/1"),
            Some(System::BambooHr)
        );
        assert_eq!(System::Scim.on_server("/oauth2/token"), Some(System::Scim));
        assert_eq!(System::Odoo.on_server("/jsonrpc"), Some(System::Odoo));
        for server in System::ALL {
            assert_eq!(server.on_server("/_control/status"), None);
        }
    }
}
