//! How fast each connection may send: the limit its settings allow, lowered to what the target's answers say
//! (headers.rs), paced so that refusals are rare (pace.rs), and shared by every run in the process (one budget per
//! connection id) and, with Redis, by every process (shared.rs).
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use tokio::time::Instant;
use uuid::Uuid;

mod headers;
mod pace;
mod shared;

pub use headers::Signals;
use pace::{Pace, Rate};
use shared::Shared;

/// Requests per minute and burst a connection may send; each connector has a default, settings may override it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
}

impl RateLimit {
    /// This default with what a connection's settings override.
    pub fn overridden(self, per_minute: Option<u32>, burst: Option<u32>) -> Self {
        Self {
            per_minute: per_minute.unwrap_or(self.per_minute),
            burst: burst.unwrap_or(self.burst),
        }
    }
}

/// The share of the limit a connection uses: a target counting by its own clock sees requests sent at exactly its
/// limit arrive, with network jitter, a little faster now and then, and refuses those.
const MARGIN: f64 = 0.98;
/// Above this pace a budget is kept in the process only: such limits belong to self-hosted targets, and a Redis
/// round trip per request would cost more than an occasional refusal.
const SHARED_UP_TO_PER_MINUTE: f64 = 60_000.0;

/// The budget of one connection.
pub struct Budget {
    /// `None` for a budget of its own (a connection test), which nobody shares.
    connection: Option<Uuid>,
    state: Mutex<State>,
    shared: Option<Arc<Shared>>,
}

#[derive(Debug)]
struct State {
    /// What the settings allow; never exceeded.
    ceiling: RateLimit,
    /// The limit the target announced, per minute.
    announced: Option<f64>,
    /// The most the target ever said was left at once, plus the request it answered: its burst, as far as seen.
    seen_burst: Option<u32>,
    pace: Pace,
}

impl State {
    fn rate(&self) -> Rate {
        let per_minute = self.announced.map_or(self.ceiling.per_minute as f64, |a| {
            a.min(self.ceiling.per_minute as f64)
        });
        let burst = self
            .seen_burst
            .map_or(self.ceiling.burst, |b| b.min(self.ceiling.burst));
        Rate::new(per_minute * MARGIN, burst)
    }
}

impl Budget {
    fn new(connection: Option<Uuid>, ceiling: RateLimit, shared: Option<Arc<Shared>>) -> Self {
        Self {
            connection,
            state: Mutex::new(State {
                ceiling,
                announced: None,
                seen_burst: None,
                pace: Pace::new(Instant::now()),
            }),
            shared,
        }
    }

    /// A budget nobody else uses.
    pub fn own(ceiling: RateLimit) -> Self {
        Self::new(None, ceiling, None)
    }

    /// The pace requests go at now, per minute.
    pub fn per_minute(&self) -> f64 {
        60.0 / self.state.lock().expect("lock").rate().interval.as_secs_f64()
    }

    fn shared(&self, rate: Rate) -> Option<(&Shared, Uuid)> {
        let per_minute = 60.0 / rate.interval.as_secs_f64();
        match (&self.shared, self.connection) {
            (Some(shared), Some(id)) if per_minute <= SHARED_UP_TO_PER_MINUTE => Some((shared, id)),
            _ => None,
        }
    }

    /// Waits for the connection's next slot. A pause longer than `longest` is not waited out: its length comes back
    /// for the caller to reschedule instead of holding a worker.
    pub async fn acquire(&self, longest: Duration) -> Result<(), Duration> {
        loop {
            let now = Instant::now();
            let (rate, paused_until) = {
                let state = self.state.lock().expect("lock");
                (state.rate(), state.pace.paused_until())
            };
            if paused_until > now + longest {
                return Err(paused_until - now);
            }
            let at = match self.shared(rate) {
                Some((shared, id)) => match shared.reserve(id, rate).await {
                    // Another process learnt of a pause this one has not seen.
                    Some(wait) if wait > longest => return Err(wait),
                    Some(wait) => Instant::now() + wait,
                    None => self.state.lock().expect("lock").pace.reserve(rate, Instant::now()),
                },
                None => self.state.lock().expect("lock").pace.reserve(rate, now),
            };
            tokio::time::sleep_until(at).await;
            // A pause announced while this request waited for its slot holds it too.
            if self.state.lock().expect("lock").pace.paused_until() <= Instant::now() {
                return Ok(());
            }
        }
    }

    /// Learns from an answer: the announced limit, what is left, and for a refusal how long to stop every request
    /// of the connection. Answers that wait, if the target named one.
    pub async fn observe(&self, status: StatusCode, headers: &HeaderMap) -> Option<Duration> {
        let signals = Signals::read(headers, chrono::Utc::now());
        let refused = matches!(status, StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE);
        // Without `Retry-After`, a refusal that says nothing is left waits for the reset instead.
        let wait = signals
            .retry_after
            .or(signals.reset.filter(|_| signals.remaining == Some(0)))
            .filter(|_| refused);
        let now = Instant::now();
        let rate = {
            let mut state = self.state.lock().expect("lock");
            if let Some(per_minute) = signals.per_minute {
                if state.announced != Some(per_minute) {
                    tracing::debug!(per_minute, "the target announced its rate limit");
                }
                state.announced = Some(per_minute);
            }
            if let Some(remaining) = signals.remaining {
                let burst = remaining.saturating_add(1);
                state.seen_burst = Some(state.seen_burst.map_or(burst, |seen| seen.max(burst)));
            }
            let rate = state.rate();
            if let Some(remaining) = signals.remaining {
                state.pace.hold(rate, remaining, now);
            }
            if let Some(wait) = wait {
                state.pace.pause_until(now + wait);
            }
            rate
        };
        if let Some((shared, id)) = self.shared(rate) {
            if let Some(wait) = wait {
                shared.pause(id, rate, wait).await;
            }
            if let Some(remaining) = signals.remaining {
                shared.hold(id, rate, pace::hold_ahead(rate, remaining)).await;
            }
        }
        wait
    }

    fn set_ceiling(&self, ceiling: RateLimit) {
        self.state.lock().expect("lock").ceiling = ceiling;
    }
}

/// Every connection's budget in this process.
struct Limits {
    budgets: Mutex<HashMap<Uuid, Arc<Budget>>>,
    shared: Option<Arc<Shared>>,
}

static LIMITS: OnceLock<Limits> = OnceLock::new();

fn limits() -> &'static Limits {
    LIMITS.get_or_init(|| Limits {
        budgets: Mutex::default(),
        shared: None,
    })
}

/// Shares every connection's budget with the other processes using this Redis; once, at start-up, before any
/// connection sends. Without it budgets are kept in the process.
pub fn share_through_redis(url: &str) -> Result<(), redis::RedisError> {
    let shared = Arc::new(Shared::connect(url)?);
    let fresh = Limits {
        budgets: Mutex::default(),
        shared: Some(shared),
    };
    if LIMITS.set(fresh).is_err() {
        tracing::warn!("rate limits were already in use in this process; they stay local");
    }
    Ok(())
}

/// The budget of a connection, one per connection id for the whole process, with its settings' current limit.
pub fn budget(connection: Uuid, ceiling: RateLimit) -> Arc<Budget> {
    let limits = limits();
    let mut budgets = limits.budgets.lock().expect("lock");
    let budget = budgets
        .entry(connection)
        .or_insert_with(|| Arc::new(Budget::new(Some(connection), ceiling, limits.shared.clone())));
    budget.set_ceiling(ceiling);
    budget.clone()
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderName, HeaderValue};

    use super::*;

    const GENEROUS: RateLimit = RateLimit {
        per_minute: 6000,
        burst: 20,
    };

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| {
                (
                    HeaderName::from_bytes(n.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn one_budget_per_connection_with_its_latest_settings() {
        let id = Uuid::new_v4();
        let first = budget(id, GENEROUS);
        let again = budget(
            id,
            RateLimit {
                per_minute: 600,
                burst: 5,
            },
        );
        assert!(Arc::ptr_eq(&first, &again));
        assert!(
            (first.per_minute() - 600.0 * MARGIN).abs() < 0.01,
            "{}",
            first.per_minute()
        );
        assert!(!Arc::ptr_eq(&first, &budget(Uuid::new_v4(), GENEROUS)));
    }

    #[tokio::test]
    async fn an_announced_limit_lowers_the_pace_and_never_raises_it_past_the_settings() {
        let budget = Budget::own(GENEROUS);
        budget
            .observe(StatusCode::OK, &headers(&[("X-RateLimit-Limit", "600")]))
            .await;
        assert!((budget.per_minute() - 588.0).abs() < 0.01, "{}", budget.per_minute());
        budget
            .observe(StatusCode::OK, &headers(&[("RateLimit-Policy", "100000;w=60")]))
            .await;
        assert!((budget.per_minute() - 5880.0).abs() < 0.01, "{}", budget.per_minute());
    }

    #[tokio::test]
    async fn a_refusal_with_retry_after_pauses_every_request_of_the_connection() {
        let budget = Budget::own(GENEROUS);
        let wait = budget
            .observe(StatusCode::TOO_MANY_REQUESTS, &headers(&[("Retry-After", "1")]))
            .await;
        assert_eq!(wait, Some(Duration::from_secs(1)));
        let longest = budget.acquire(Duration::from_millis(100)).await.unwrap_err();
        assert!(longest > Duration::from_millis(900), "{longest:?}");
        let started = Instant::now();
        budget.acquire(Duration::from_secs(60)).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{:?}",
            started.elapsed()
        );

        let ok = Budget::own(GENEROUS);
        let said = ok.observe(StatusCode::OK, &headers(&[("Retry-After", "30")])).await;
        assert_eq!(said, None, "a success's Retry-After pauses nothing");
    }

    #[tokio::test]
    async fn a_refusal_that_says_nothing_is_left_waits_for_the_reset() {
        let budget = Budget::own(GENEROUS);
        let wait = budget
            .observe(
                StatusCode::TOO_MANY_REQUESTS,
                &headers(&[("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", "42")]),
            )
            .await;
        assert_eq!(wait, Some(Duration::from_secs(42)));
    }

    fn redis_url() -> String {
        std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    }

    /// Two processes: two budgets for one connection, each with its own Redis connection.
    #[tokio::test]
    async fn budgets_in_two_processes_share_one_pace_through_redis() {
        let id = Uuid::new_v4();
        let limit = RateLimit {
            per_minute: 600,
            burst: 1,
        };
        let process = || Budget::new(Some(id), limit, Some(Arc::new(Shared::connect(&redis_url()).unwrap())));
        let (a, b) = (process(), process());
        let started = Instant::now();
        for _ in 0..3 {
            a.acquire(Duration::from_secs(60)).await.unwrap();
            b.acquire(Duration::from_secs(60)).await.unwrap();
        }
        // One at once, then one every ~102 ms (600 a minute less the margin), whoever asks.
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_millis(500), "{elapsed:?}");

        // A pause one process learns holds the other, which hands back a pause longer than it may wait.
        a.observe(StatusCode::TOO_MANY_REQUESTS, &headers(&[("Retry-After", "1")]))
            .await;
        let told = b.acquire(Duration::from_millis(100)).await.unwrap_err();
        assert!(told > Duration::from_millis(500), "{told:?}");
        let started = Instant::now();
        b.acquire(Duration::from_secs(60)).await.unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(800),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn without_redis_the_budget_paces_locally() {
        let shared = Arc::new(Shared::connect("redis://127.0.0.1:1").unwrap());
        let budget = Budget::new(
            Some(Uuid::new_v4()),
            RateLimit {
                per_minute: 600,
                burst: 1,
            },
            Some(shared),
        );
        let started = Instant::now();
        for _ in 0..4 {
            budget.acquire(Duration::from_secs(60)).await.unwrap();
        }
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(2),
            "{elapsed:?}"
        );
    }
}
