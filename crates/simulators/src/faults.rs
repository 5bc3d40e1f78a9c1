//! Faults the tests and benchmarks inject per system, and the request counts they measure with. All of it runs
//! in one middleware in front of every simulator server, so a fault looks like the real system's gateway
//! answering.
use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
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
    /// Requests per minute allowed, as a token bucket refilled at this pace; past that, the system's rate-limit
    /// status with `Retry-After` (seconds until a request would pass). Every answer carries `X-RateLimit-Limit`
    /// (this), `X-RateLimit-Remaining` (requests that would pass now), `X-RateLimit-Reset` (seconds until the
    /// bucket is full) and `RateLimit-Policy: <limit>;w=60`, as gateways that publish their limit do.
    #[serde(default)]
    pub rate_limit_per_minute: Option<u32>,
    /// Requests that may go at once, the bucket's size (default: the per-minute limit).
    #[serde(default)]
    pub rate_limit_burst: Option<u32>,
    /// Sends none of the rate-limit headers, only `Retry-After` on refusals, like targets that publish nothing.
    #[serde(default)]
    pub rate_limit_silent: bool,
    /// Overrides the rate-limit status (e.g. 429 for BambooHR after its September 2026 change).
    #[serde(default)]
    pub rate_limit_status: Option<u16>,
    /// Answered, in order, by the next requests.
    #[serde(default)]
    pub scripted: VecDeque<ScriptedFailure>,
    /// Requests that pass before the scripted failures begin (a source failing on its third page, say).
    #[serde(default)]
    pub scripted_after: u32,
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
    /// The token bucket: whole and part requests that may go, as of `refilled` (`None`: full).
    tokens: f64,
    refilled: Option<Instant>,
    error_credit: f64,
    requests: u64,
    rate_limited: u64,
}

/// What the rate limit says about one answer, for its headers.
#[derive(Debug, Clone, Copy)]
struct LimitState {
    per_minute: u32,
    remaining: u32,
    reset_secs: u64,
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

/// One request against the plan's token bucket: whether it passes, and what the headers should say.
fn take_token(state: &mut SystemState, per_minute: u32, now: Instant) -> (bool, LimitState) {
    let burst = state.plan.rate_limit_burst.unwrap_or(per_minute) as f64;
    let per_second = per_minute as f64 / 60.0;
    let tokens = match state.refilled {
        None => burst,
        Some(at) => (state.tokens + now.duration_since(at).as_secs_f64() * per_second).min(burst),
    };
    let passes = tokens >= 1.0;
    state.tokens = if passes { tokens - 1.0 } else { tokens };
    state.refilled = Some(now);
    let seconds_to = |tokens_short: f64| {
        if per_second > 0.0 {
            (tokens_short.max(0.0) / per_second).ceil() as u64
        } else {
            60
        }
    };
    let limit = LimitState {
        per_minute,
        remaining: state.tokens.floor() as u32,
        reset_secs: if passes {
            seconds_to(burst - state.tokens)
        } else {
            seconds_to(1.0 - state.tokens).max(1)
        },
    };
    (passes, limit)
}

impl Faults {
    pub fn set(&self, system: System, plan: FaultPlan) {
        let mut systems = self.systems.lock().expect("lock");
        let state = systems.entry(system).or_default();
        state.plan = plan;
        state.tokens = 0.0;
        state.refilled = None;
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

    /// Requests `system` refused for its rate limit.
    pub fn rate_limited(&self, system: System) -> u64 {
        let systems = self.systems.lock().expect("lock");
        systems.get(&system).map_or(0, |s| s.rate_limited)
    }

    pub fn reset_counts(&self) {
        for state in self.systems.lock().expect("lock").values_mut() {
            state.requests = 0;
            state.rate_limited = 0;
        }
    }

    fn judge(&self, system: System) -> (Duration, Verdict, Option<LimitState>) {
        let mut systems = self.systems.lock().expect("lock");
        let state = systems.entry(system).or_default();
        state.requests += 1;
        let latency = state.plan.latency;
        if !state.plan.scripted.is_empty() {
            if state.plan.scripted_after > 0 {
                state.plan.scripted_after -= 1;
            } else if let Some(failure) = state.plan.scripted.pop_front() {
                return (latency, Verdict::Fail(failure), None);
            }
        }
        let mut announced = None;
        if let Some(per_minute) = state.plan.rate_limit_per_minute {
            let (passes, limit) = take_token(state, per_minute, Instant::now());
            announced = (!state.plan.rate_limit_silent).then_some(limit);
            if !passes {
                state.rate_limited += 1;
                let status = state.plan.rate_limit_status.unwrap_or(system.rate_limit_status());
                return (
                    latency,
                    Verdict::Fail(ScriptedFailure {
                        status,
                        retry_after: Some(limit.reset_secs),
                    }),
                    announced,
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
                    announced,
                );
            }
        }
        (latency, Verdict::Pass, announced)
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
    let (latency, verdict, limit) = state.faults.judge(system);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let mut response = match verdict {
        Verdict::Pass => next.call(req).await?.map_into_boxed_body(),
        Verdict::Fail(failure) => req.into_response(failure_response(system, failure)),
    };
    if let Some(limit) = limit {
        let headers = response.headers_mut();
        for (name, value) in [
            ("x-ratelimit-limit", limit.per_minute.to_string()),
            ("x-ratelimit-remaining", limit.remaining.to_string()),
            ("x-ratelimit-reset", limit.reset_secs.to_string()),
            ("ratelimit-policy", format!("{};w=60", limit.per_minute)),
        ] {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
    Ok(response)
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

    #[test]
    fn the_rate_limit_is_a_token_bucket_that_says_what_is_left() {
        let mut state = SystemState {
            plan: FaultPlan {
                rate_limit_per_minute: Some(150),
                rate_limit_burst: Some(15),
                ..FaultPlan::default()
            },
            ..SystemState::default()
        };
        let start = Instant::now();
        for left in (0..15).rev() {
            let (passes, limit) = take_token(&mut state, 150, start);
            assert!(passes);
            assert_eq!(limit.remaining, left);
        }
        let (passes, refused) = take_token(&mut state, 150, start);
        assert!(!passes, "the burst is spent");
        assert_eq!(refused.reset_secs, 1, "a token comes every 0.4 s: Retry-After 1");
        let (passes, _) = take_token(&mut state, 150, start + Duration::from_millis(400));
        assert!(passes, "one token a 0.4 s");
        let (passes, _) = take_token(&mut state, 150, start + Duration::from_millis(500));
        assert!(!passes);
        let (_, full) = take_token(&mut state, 150, start + Duration::from_secs(600));
        assert_eq!(full.remaining, 14, "the bucket holds no more than the burst");
    }
}
