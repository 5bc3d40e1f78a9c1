//! What a target says about its limit in its answers: `Retry-After` (RFC 9110 §10.2.3), the de-facto
//! `X-RateLimit-Limit` / `-Remaining` / `-Reset`, and the IETF httpapi drafts' `RateLimit-*` fields, both the older
//! separate fields with `RateLimit-Policy: 100;w=60` and the newer `RateLimit-Policy: "p";q=100;w=60` with
//! `RateLimit: "p";r=50;t=30`.
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::HeaderMap;

/// A `Reset` larger than this is a Unix time, not a number of seconds (GitHub and Okta send the time).
const EPOCH_THRESHOLD: u64 = 1_000_000_000;
/// The window a limit counts over when the target names none: the targets we know publish per-minute limits.
const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// What one answer said about the limit; every part optional, as targets send some or none of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    /// Wait at least this long before the next request (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// Requests per minute the target allows this client.
    pub per_minute: Option<f64>,
    /// Requests that may go now without being refused.
    pub remaining: Option<u32>,
    /// When the quota is fully restored.
    pub reset: Option<Duration>,
}

impl Signals {
    pub fn read(headers: &HeaderMap, now: DateTime<Utc>) -> Self {
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).map(str::trim);
        let number = |name: &str| get(name).and_then(|v| v.parse::<u64>().ok());
        let policy = get("ratelimit-policy").and_then(policy);
        let window = policy.and_then(|(_, w)| w).unwrap_or(DEFAULT_WINDOW);
        let limit = number("x-ratelimit-limit")
            .or_else(|| get("ratelimit-limit").and_then(first_number))
            .or(policy.map(|(q, _)| q));
        let combined = get("ratelimit").map(combined).unwrap_or_default();
        let remaining = number("x-ratelimit-remaining")
            .or_else(|| number("ratelimit-remaining"))
            .or(combined.0);
        let reset = number("x-ratelimit-reset")
            .or_else(|| number("ratelimit-reset"))
            .or(combined.1)
            .map(|n| reset_in(n, now));
        Self {
            retry_after: get("retry-after").and_then(|v| retry_after(v, now)),
            per_minute: limit
                .filter(|&q| q > 0)
                .map(|q| q as f64 * 60.0 / window.as_secs_f64().max(1.0)),
            remaining: remaining.map(|r| r.min(u32::MAX as u64) as u32),
            reset,
        }
    }
}

/// `Retry-After` in either of its forms: seconds, or an HTTP date.
pub fn retry_after(value: &str, now: DateTime<Utc>) -> Option<Duration> {
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = DateTime::parse_from_rfc2822(value).ok()?;
    Some((when.with_timezone(&Utc) - now).to_std().unwrap_or(Duration::ZERO))
}

fn reset_in(value: u64, now: DateTime<Utc>) -> Duration {
    if value < EPOCH_THRESHOLD {
        return Duration::from_secs(value);
    }
    let now = now.timestamp().max(0) as u64;
    Duration::from_secs(value.saturating_sub(now))
}

/// The first policy of `RateLimit-Policy`: its quota and window (`100;w=60` or `"name";q=100;w=60`).
fn policy(value: &str) -> Option<(u64, Option<Duration>)> {
    let item = value.split(',').next()?;
    let mut parts = item.split(';').map(str::trim);
    let head = parts.next()?;
    let mut quota = head.parse::<u64>().ok();
    let mut window = None;
    for (key, value) in parts.filter_map(|p| p.split_once('=')) {
        match key.trim() {
            "q" => quota = value.trim().parse().ok(),
            "w" => window = value.trim().parse().ok().map(Duration::from_secs),
            _ => {}
        }
    }
    Some((quota?, window))
}

/// `RateLimit: "name";r=50;t=30`: remaining and seconds to reset.
fn combined(value: &str) -> (Option<u64>, Option<u64>) {
    let item = value.split(',').next().unwrap_or_default();
    let (mut remaining, mut reset) = (None, None);
    for (key, value) in item.split(';').filter_map(|p| p.split_once('=')) {
        match key.trim() {
            "r" => remaining = value.trim().parse().ok(),
            "t" => reset = value.trim().parse().ok(),
            _ => {}
        }
    }
    (remaining, reset)
}

/// `RateLimit-Limit: 100, 100;w=60` (an early draft): the leading number.
fn first_number(value: &str) -> Option<u64> {
    value.split([',', ';']).next().and_then(|n| n.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use reqwest::header::{HeaderName, HeaderValue};

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z").unwrap().to_utc()
    }

    fn read(pairs: &[(&str, &str)]) -> Signals {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(
                HeaderName::from_bytes(name.as_bytes()).unwrap(),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        Signals::read(&headers, now())
    }

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        assert_eq!(read(&[("Retry-After", "7")]).retry_after, Some(Duration::from_secs(7)));
        assert_eq!(
            read(&[("Retry-After", "Mon, 07 Dec 2026 10:00:30 GMT")]).retry_after,
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            read(&[("Retry-After", "Mon, 07 Dec 2026 09:59:00 GMT")]).retry_after,
            Some(Duration::ZERO),
            "a date already past means now"
        );
        assert_eq!(read(&[("Retry-After", "soon")]).retry_after, None);
    }

    #[test]
    fn x_ratelimit_fields_count_per_minute_with_reset_in_seconds_or_as_a_time() {
        let signals = read(&[
            ("X-RateLimit-Limit", "150"),
            ("X-RateLimit-Remaining", "12"),
            ("X-RateLimit-Reset", "20"),
        ]);
        assert_eq!(
            signals,
            Signals {
                retry_after: None,
                per_minute: Some(150.0),
                remaining: Some(12),
                reset: Some(Duration::from_secs(20)),
            }
        );
        let epoch = (now().timestamp() + 45).to_string();
        assert_eq!(
            read(&[("X-RateLimit-Reset", &epoch)]).reset,
            Some(Duration::from_secs(45))
        );
    }

    #[test]
    fn ietf_fields_name_their_window() {
        let older = read(&[
            ("RateLimit-Limit", "10"),
            ("RateLimit-Remaining", "3"),
            ("RateLimit-Reset", "4"),
            ("RateLimit-Policy", "10;w=1, 300;w=60"),
        ]);
        assert_eq!(older.per_minute, Some(600.0), "10 a second");
        assert_eq!(older.remaining, Some(3));
        assert_eq!(older.reset, Some(Duration::from_secs(4)));

        let newer = read(&[
            ("RateLimit-Policy", "\"hourly\";q=3600;w=3600"),
            ("RateLimit", "\"hourly\";r=100;t=30"),
        ]);
        assert_eq!(newer.per_minute, Some(60.0));
        assert_eq!(newer.remaining, Some(100));
        assert_eq!(newer.reset, Some(Duration::from_secs(30)));
    }

    #[test]
    fn nothing_said_nothing_learnt() {
        assert_eq!(read(&[]), Signals::default());
        assert_eq!(read(&[("X-RateLimit-Limit", "0")]).per_minute, None);
        assert_eq!(read(&[("X-RateLimit-Limit", "lots")]).per_minute, None);
    }
}
