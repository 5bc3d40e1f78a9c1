//! Per-process state the handlers share besides the domain's `Hub`.
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// Where OAuth providers send the browser back to.
#[derive(Debug, Clone)]
pub struct OAuthCallback(pub String);

impl OAuthCallback {
    pub fn for_public_url(public_url: &str) -> Self {
        Self(format!("{public_url}/api/v1/oauth/callback"))
    }
}

#[derive(Debug, Clone)]
pub struct Limits {
    pub max_body_bytes: usize,
}

/// Sign-in attempts are limited per email (guessing one account's password) and per client address (spraying many
/// accounts). Limits are per process: a determined attacker against many API processes gets proportionally more.
#[derive(Clone)]
pub struct LoginLimiter {
    by_email: Arc<DefaultKeyedRateLimiter<String>>,
    by_ip: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl LoginLimiter {
    pub fn new(per_email_per_minute: u32, per_ip_per_minute: u32) -> Self {
        let quota = |n: u32| Quota::per_minute(NonZeroU32::new(n.max(1)).expect("at least one"));
        Self {
            by_email: Arc::new(RateLimiter::keyed(quota(per_email_per_minute))),
            by_ip: Arc::new(RateLimiter::keyed(quota(per_ip_per_minute))),
        }
    }

    pub fn check(&self, email: &str, ip: Option<IpAddr>) -> Result<(), ApiError> {
        let clock = DefaultClock::default();
        let wait = |not_until: governor::NotUntil<_>| ApiError::RateLimited {
            retry_after_secs: not_until
                .wait_time_from(clock.now())
                .max(Duration::from_secs(1))
                .as_secs(),
        };
        self.by_email.check_key(&email.trim().to_lowercase()).map_err(wait)?;
        if let Some(ip) = ip {
            self.by_ip.check_key(&ip).map_err(wait)?;
        }
        // Keyed limiters keep a cell per key; shed idle keys so memory stays bounded.
        if self.by_email.len() > 10_000 {
            self.by_email.retain_recent();
        }
        if self.by_ip.len() > 10_000 {
            self.by_ip.retain_recent();
        }
        Ok(())
    }
}
