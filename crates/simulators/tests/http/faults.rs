//! Injected faults: scripted failures with Retry-After, rate limits, latency, error rates, and request counts.
use std::time::{Duration, Instant};

use ihub_simulators::System;

use crate::{FormBody, client, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_failures_rate_limits_latency_and_counts() {
    let sims = start().await;
    sims.seed(10);
    let scim_list = || {
        client()
            .get(format!("{}/Users", sims.scim_base_url()))
            .bearer_auth("scim-secret-token")
            .send()
    };

    // The next two SCIM requests are throttled, then the service answers again.
    sims.fail_next(System::Scim, 2, 429, Some(3));
    for _ in 0..2 {
        let throttled = scim_list().await.unwrap();
        assert_eq!(throttled.status(), 429);
        assert_eq!(throttled.headers()["retry-after"], "3");
        let body: serde_json::Value = throttled.json().await.unwrap();
        assert_eq!(body["status"], "429", "a SCIM error object");
    }
    assert_eq!(scim_list().await.unwrap().status(), 200);
    assert_eq!(sims.request_count(System::Scim), 3);

    // BambooHR throttles with 503 and Retry-After past its rate.
    sims.set_rate_limit(System::BambooHr, Some(3));
    let bamboo = || {
        client()
            .get(format!("{}/acme/v1/employees/1/", sims.bamboohr_api_base_url()))
            .basic_auth("bamboo-secret-key", Some("x"))
            .header("Accept", "application/json")
            .send()
    };
    for _ in 0..3 {
        assert_eq!(bamboo().await.unwrap().status(), 200);
    }
    let limited = bamboo().await.unwrap();
    assert_eq!(limited.status(), 503);
    let retry_after: u64 = limited.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after));
    assert!(limited.headers().contains_key("x-bamboohr-error-message"));
    sims.set_faults(
        System::BambooHr,
        ihub_simulators::FaultPlan {
            rate_limit_per_minute: Some(0),
            rate_limit_status: Some(429),
            ..Default::default()
        },
    );
    assert_eq!(
        bamboo().await.unwrap().status(),
        429,
        "BambooHR's 429 from September 2026"
    );
    sims.clear_faults(System::BambooHr);
    assert_eq!(bamboo().await.unwrap().status(), 200);

    // Employment Hero rate limits answer 429; the OAuth server is a system of its own and stays up.
    sims.set_rate_limit(System::EmploymentHero, Some(0));
    let eh = client()
        .get(format!("{}/organisations", sims.employment_hero_api_base_url()))
        .bearer_auth("eh-secret-access-token")
        .send()
        .await
        .unwrap();
    assert_eq!(eh.status(), 429);
    assert!(eh.headers().contains_key("retry-after"));
    let token = client()
        .post(sims.employment_hero_token_url())
        .form_body(&[("grant_type", "refresh_token")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        token.status(),
        401,
        "the token endpoint is not rate limited with the API"
    );

    // Latency is added to every answer.
    sims.set_latency(System::Odoo, Duration::from_millis(300));
    let started = Instant::now();
    let version = client()
        .post(format!("{}/jsonrpc", sims.odoo_base_url()))
        .json(&serde_json::json!({"jsonrpc": "2.0", "method": "call", "params": {"service": "common", "method": "version", "args": []}, "id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(version.status(), 200);
    assert!(started.elapsed() >= Duration::from_millis(300));

    // A share of 5xx, spread evenly so runs repeat.
    sims.clear_all_faults();
    sims.reset_request_counts();
    sims.set_error_rate(System::Scim, 0.25, 502);
    let mut failures = 0;
    for _ in 0..20 {
        if scim_list().await.unwrap().status() == 502 {
            failures += 1;
        }
    }
    assert_eq!(failures, 5);
    assert_eq!(sims.request_count(System::Scim), 20);
    sims.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limit_with_a_burst_publishes_its_headers_unless_silent() {
    let sims = start().await;
    sims.set_faults(
        System::Scim,
        ihub_simulators::FaultPlan {
            rate_limit_per_minute: Some(60),
            rate_limit_burst: Some(2),
            ..Default::default()
        },
    );
    let scim_list = || {
        client()
            .get(format!("{}/Users", sims.scim_base_url()))
            .bearer_auth("scim-secret-token")
            .send()
    };
    let first = scim_list().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(first.headers()["x-ratelimit-limit"], "60");
    assert_eq!(first.headers()["x-ratelimit-remaining"], "1");
    assert_eq!(first.headers()["ratelimit-policy"], "60;w=60");
    assert_eq!(scim_list().await.unwrap().status(), 200);
    let refused = scim_list().await.unwrap();
    assert_eq!(refused.status(), 429);
    assert_eq!(refused.headers()["retry-after"], "1", "one request a second");
    assert_eq!(refused.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(sims.rate_limited_count(System::Scim), 1);

    sims.set_faults(
        System::Scim,
        ihub_simulators::FaultPlan {
            rate_limit_per_minute: Some(60),
            rate_limit_silent: true,
            ..Default::default()
        },
    );
    let silent = scim_list().await.unwrap();
    assert_eq!(silent.status(), 200);
    assert!(!silent.headers().contains_key("x-ratelimit-limit"));
}
