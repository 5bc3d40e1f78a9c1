//! The one HTTP setup every connector uses: timeouts and a user agent, the connection's rate-limit budget
//! (limits/), retries with exponential backoff and jitter that honour `Retry-After`, and the classification of what
//! came back.
use std::sync::{Arc, Once, OnceLock};
use std::time::Duration;

use ihub_domain::connections::ports::ConnectorError;
use reqwest::{RequestBuilder, Response, StatusCode};
use uuid::Uuid;

use crate::egress;
pub use crate::limits::RateLimit;
use crate::limits::{self, Budget};

pub const USER_AGENT: &str = concat!("IntegrationHub/", env!("CARGO_PKG_VERSION"));

/// rustls needs a process-wide crypto provider; ring is the one this workspace builds.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// One client for the process: it pools connections and holds the TLS roots, both worth sharing; what differs
/// per connection (the rate limit) lives in `Http`.
pub fn client() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            install_crypto_provider();
            reqwest::Client::builder()
                .user_agent(USER_AGENT)
                .connect_timeout(Duration::from_secs(10))
                .timeout(Duration::from_secs(30))
                .dns_resolver(egress::CheckedResolver)
                .redirect(egress::redirects())
                .build()
                .expect("the HTTP client configuration is valid")
        })
        .clone()
}

#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// A `Retry-After` longer than this is not waited out here: the error goes up with the hint, and the caller
    /// (a run, a queue item) reschedules instead of holding a worker.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(10),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// For a person waiting on "Test connection": one quick retry, and no long waits.
    pub fn interactive() -> Self {
        Self {
            attempts: 2,
            max_retry_after: Duration::from_secs(5),
            ..Self::default()
        }
    }
}

/// Whether sending the same request twice is harmless. Only idempotent requests are retried after an answer that
/// may mean the request took effect (500, 502, 504, a timeout); 429 and 503 mean it did not, so they are retried
/// for every request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotence {
    Idempotent,
    NotIdempotent,
}

/// An HTTP client for one connection of one system.
#[derive(Clone)]
pub struct Http {
    client: reqwest::Client,
    system: &'static str,
    budget: Arc<Budget>,
    retry: RetryPolicy,
}

impl Http {
    /// A client with a budget of its own (a connection test, a one-off call).
    pub fn new(system: &'static str, limit: RateLimit, retry: RetryPolicy) -> Self {
        Self::with_budget(system, Arc::new(Budget::own(limit)), retry)
    }

    /// A client that spends the connection's budget, shared with every other client of the connection (other
    /// runs, other workers).
    pub fn for_connection(system: &'static str, connection: Uuid, limit: RateLimit, retry: RetryPolicy) -> Self {
        Self::with_budget(system, limits::budget(connection, limit), retry)
    }

    fn with_budget(system: &'static str, budget: Arc<Budget>, retry: RetryPolicy) -> Self {
        Self {
            client: client(),
            system,
            budget,
            retry,
        }
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    pub fn system(&self) -> &'static str {
        self.system
    }

    /// Sends what `build` makes (called again for each attempt), retrying what is worth retrying, and answers a
    /// success or the classified failure.
    pub async fn send(
        &self,
        idempotence: Idempotence,
        build: impl Fn(&reqwest::Client) -> RequestBuilder,
    ) -> Result<Response, ConnectorError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Err(paused) = self.budget.acquire(self.retry.max_retry_after).await {
                return Err(ConnectorError::Retryable {
                    message: format!(
                        "{}: rate limited; the target asked for a pause of {} s more",
                        self.system,
                        paused.as_secs()
                    ),
                    retry_after: Some(paused),
                });
            }
            let request = build(&self.client)
                .build()
                .map_err(|_| ConnectorError::Config(format!("{}: the request could not be made", self.system)))?;
            if let Err(refused) = egress::policy().check_url(request.url()) {
                return Err(ConnectorError::Config(format!("{}: {refused}", self.system)));
            }
            let call = Call::of(&request);
            let failure = match self.client.execute(request).await {
                Ok(response) => {
                    // A refusal's Retry-After pauses the whole connection's budget, so the retry below and every
                    // other request wait it out in `acquire`.
                    let retry_after = self.budget.observe(response.status(), response.headers()).await;
                    if response.status().is_success() {
                        return Ok(response);
                    }
                    let status = response.status();
                    let error = classify(self.system, &call, status);
                    let worth_retrying = match status {
                        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE => true,
                        s if s.is_server_error() => idempotence == Idempotence::Idempotent,
                        StatusCode::REQUEST_TIMEOUT => idempotence == Idempotence::Idempotent,
                        _ => false,
                    };
                    if !worth_retrying {
                        return Err(error);
                    }
                    (error, retry_after)
                }
                Err(e) => {
                    // Refused connections never reached the server; anything later may have.
                    let safe = e.is_connect() || idempotence == Idempotence::Idempotent;
                    if let Some(refused) = egress::refusal(&e) {
                        return Err(ConnectorError::Config(format!("{}: {refused}", self.system)));
                    }
                    let error = transport_error(self.system, e);
                    if !safe {
                        return Err(error);
                    }
                    (error, None)
                }
            };
            let (error, hint) = failure;
            if attempt >= self.retry.attempts {
                return Err(with_hint(error, hint));
            }
            let delay = match hint {
                Some(hint) if hint > self.retry.max_retry_after => return Err(with_hint(error, Some(hint))),
                // The budget is paused for as long; `acquire` waits.
                Some(_) => Duration::ZERO,
                None => backoff(self.retry, attempt),
            };
            tracing::debug!(system = self.system, attempt, delay_ms = delay.as_millis() as u64, %error, "retrying");
            tokio::time::sleep(delay).await;
        }
    }
}

fn with_hint(error: ConnectorError, hint: Option<Duration>) -> ConnectorError {
    match error {
        ConnectorError::Retryable { message, retry_after } => ConnectorError::Retryable {
            message,
            retry_after: hint.or(retry_after),
        },
        other => other,
    }
}

/// Full jitter: a random delay up to the exponential bound, so many clients backing off do not retry in step.
fn backoff(policy: RetryPolicy, attempt: u32) -> Duration {
    let bound = policy
        .base_delay
        .saturating_mul(1 << attempt.min(16))
        .min(policy.max_delay);
    let random = getrandom::u64().unwrap_or(u64::MAX / 2);
    let fraction = (random >> 11) as f64 / (1u64 << 53) as f64;
    bound.mul_f64(fraction.max(0.1))
}

/// Describes a transport failure without echoing the URL's query (it may carry secrets).
pub fn transport_error(system: &str, err: reqwest::Error) -> ConnectorError {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else {
        "request failed"
    };
    let host = err
        .url()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_default();
    ConnectorError::retryable(format!("{system}: {what} ({host})"))
}

/// Which request failed, as a tenant may be told: the method and the path, never the query (it may carry secrets)
/// nor anything the remote answered.
pub struct Call {
    method: reqwest::Method,
    path: String,
}

impl Call {
    pub fn of(request: &reqwest::Request) -> Self {
        Self {
            method: request.method().clone(),
            path: request.url().path().to_owned(),
        }
    }
}

impl std::fmt::Display for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// Turns a non-success answer into the error class the caller acts on. The answer's body is not quoted: whatever a
/// remote server says (an internal page, a stack trace) is not passed on to the organisation.
pub fn classify(system: &str, call: &Call, status: StatusCode) -> ConnectorError {
    let message = format!("{system} answered {status} to {call}");
    match status {
        StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN => ConnectorError::Auth(message),
        StatusCode::NOT_FOUND => ConnectorError::NotFound(message),
        StatusCode::TOO_MANY_REQUESTS | StatusCode::REQUEST_TIMEOUT => ConnectorError::retryable(message),
        s if s.is_server_error() => ConnectorError::retryable(message),
        _ => ConnectorError::Rejected(message),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use actix_web::{App, HttpResponse, HttpServer, web};

    use super::*;

    /// A server whose first `failures` answers are `status` with `Retry-After: retry_after`, then 200.
    async fn flaky(status: u16, failures: u32, retry_after: Option<&'static str>) -> (String, Arc<AtomicU32>) {
        serve(status, failures, retry_after, &[]).await
    }

    /// As `flaky`, its successes carrying `headers`.
    async fn serve(
        status: u16,
        failures: u32,
        retry_after: Option<&'static str>,
        headers: &'static [(&'static str, &'static str)],
    ) -> (String, Arc<AtomicU32>) {
        // These servers listen on loopback, which the hub calls only when allowed.
        crate::egress::configure(crate::egress::Egress::open());
        let calls = Arc::new(AtomicU32::new(0));
        let counter = calls.clone();
        let server = HttpServer::new(move || {
            let counter = counter.clone();
            App::new().default_service(web::to(move || {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < failures {
                        let mut response = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
                        if let Some(after) = retry_after {
                            response.insert_header(("Retry-After", after));
                        }
                        response.body("busy")
                    } else {
                        let mut response = HttpResponse::Ok();
                        for &header in headers {
                            response.insert_header(header);
                        }
                        response.body("ok")
                    }
                }
            }))
        })
        .workers(1)
        .disable_signals()
        .bind("127.0.0.1:0")
        .unwrap();
        let addr = server.addrs()[0];
        tokio::spawn(server.run());
        (format!("http://{addr}/"), calls)
    }

    fn http() -> Http {
        crate::egress::configure(crate::egress::Egress::open());
        let retry = RetryPolicy {
            base_delay: Duration::from_millis(10),
            ..RetryPolicy::default()
        };
        Http::new(
            "Test system",
            RateLimit {
                per_minute: 6000,
                burst: 100,
            },
            retry,
        )
    }

    #[tokio::test]
    async fn retry_after_is_honoured() {
        let (url, calls) = flaky(429, 1, Some("1")).await;
        let started = std::time::Instant::now();
        let response = http().send(Idempotence::NotIdempotent, |c| c.post(&url)).await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(
            started.elapsed() >= Duration::from_secs(1),
            "waited {:?}",
            started.elapsed()
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn server_errors_are_retried_only_when_repeating_is_harmless() {
        let (url, calls) = flaky(500, 3, None).await;
        assert_eq!(
            http()
                .send(Idempotence::Idempotent, |c| c.get(&url))
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(calls.load(Ordering::SeqCst), 4);

        let (url, calls) = flaky(500, 3, None).await;
        let err = http()
            .send(Idempotence::NotIdempotent, |c| c.post(&url))
            .await
            .unwrap_err();
        assert!(err.is_retryable(), "{err:?}");
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "a create is not repeated after an ambiguous failure"
        );
    }

    #[tokio::test]
    async fn storms_longer_than_the_budget_return_a_retryable_error_with_the_hint() {
        let (url, calls) = flaky(503, 100, None).await;
        let err = http().send(Idempotence::Idempotent, |c| c.get(&url)).await.unwrap_err();
        assert!(err.is_retryable());
        assert_eq!(calls.load(Ordering::SeqCst), RetryPolicy::default().attempts);

        let (url, _) = flaky(429, 1, Some("3600")).await;
        match http().send(Idempotence::Idempotent, |c| c.get(&url)).await.unwrap_err() {
            ConnectorError::Retryable { retry_after, .. } => assert_eq!(retry_after, Some(Duration::from_secs(3600))),
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn answers_are_classified() {
        for (status, check) in [
            (401u16, ConnectorError::Auth as fn(String) -> ConnectorError),
            (404, ConnectorError::NotFound),
            (422, ConnectorError::Rejected),
        ] {
            let (url, _) = flaky(status, 100, None).await;
            let err = http().send(Idempotence::Idempotent, |c| c.get(&url)).await.unwrap_err();
            assert_eq!(
                std::mem::discriminant(&err),
                std::mem::discriminant(&check(String::new())),
                "{status}"
            );
        }
        let refused = http()
            .send(Idempotence::NotIdempotent, |c| c.get("http://127.0.0.1:9/"))
            .await
            .unwrap_err();
        assert!(refused.is_retryable() && refused.to_string().contains("could not connect"));
    }

    /// A client allowed `per_minute` requests with no burst.
    fn one_at_a_time(per_minute: u32) -> Http {
        let limit = RateLimit { per_minute, burst: 1 };
        Http::new("Test system", limit, RetryPolicy::default())
    }

    #[tokio::test]
    async fn the_rate_limit_spaces_requests() {
        let (url, calls) = flaky(200, 0, None).await;
        let took = one_after_another(&one_at_a_time(600), &url, 4).await;
        // One at once, then one every 100 ms.
        assert!(took >= Duration::from_millis(290), "{took:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 4);
    }

    /// How long `n` requests one after another take.
    async fn one_after_another(http: &Http, url: &str, n: usize) -> Duration {
        let started = std::time::Instant::now();
        for _ in 0..n {
            http.send(Idempotence::Idempotent, |c| c.get(url)).await.unwrap();
        }
        started.elapsed()
    }

    #[tokio::test]
    async fn the_limit_a_target_announces_paces_requests_below_generous_settings() {
        let announcing = &[("X-RateLimit-Limit", "600"), ("X-RateLimit-Remaining", "100")];
        let (url, _) = serve(200, 0, None, announcing).await;
        let took = one_after_another(&one_at_a_time(60_000), &url, 5).await;
        // The first answer teaches 600 a minute: the second request still had its slot at the old pace, the three
        // after it go ~102 ms apart, not 1 ms.
        assert!(took >= Duration::from_millis(300), "{took:?}");
    }

    #[tokio::test]
    async fn a_refusal_pauses_the_connection_not_just_the_refused_request() {
        let (url, calls) = flaky(429, 1, Some("1")).await;
        let connection = Uuid::new_v4();
        let limit = RateLimit {
            per_minute: 60_000,
            burst: 100,
        };
        let refused = Http::for_connection("Test system", connection, limit, RetryPolicy::default());
        let other_run = Http::for_connection("Test system", connection, limit, RetryPolicy::default());
        refused.send(Idempotence::Idempotent, |c| c.get(&url)).await.unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
        // Another run's client of the same connection, asking while the pause holds, waits too.
        let (url, _) = flaky(429, 1, Some("2")).await;
        let first = refused.clone();
        let hit = tokio::spawn(async move { first.send(Idempotence::Idempotent, |c| c.get(&url)).await });
        tokio::time::sleep(Duration::from_millis(300)).await;
        let (plain, _) = flaky(200, 0, None).await;
        let started = std::time::Instant::now();
        other_run
            .send(Idempotence::Idempotent, |c| c.get(&plain))
            .await
            .unwrap();
        assert!(
            started.elapsed() >= Duration::from_millis(1500),
            "{:?}",
            started.elapsed()
        );
        hit.await.unwrap().unwrap();
    }
}
