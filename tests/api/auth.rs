//! Sign-in, token lifetimes and refresh-token rotation.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use serde_json::json;

use crate::harness::{Backend, Options, PASSWORD, TestHub};
use crate::on_both_backends;

on_both_backends!(
    login_refresh_logout,
    wrong_credentials,
    expired_and_forged_tokens,
    refresh_reuse_revokes_the_sign_in
);

async fn login_refresh_logout(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let me = t.get("/api/v1/me", &admin.token).await;
    let body = me.expect(200);
    assert_eq!(body["email"], admin.email);
    assert_eq!(body["role"], "admin");
    assert_eq!(body["organisation"]["name"], "Acme");
    assert_eq!(body["organisation"]["timezone"], "Australia/Sydney");

    let refreshed = t
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": admin.refresh_token})),
        )
        .await;
    let pair = refreshed.expect(200).clone();
    assert_eq!(pair["token_type"], "Bearer");
    assert_eq!(pair["expires_in"], 900);
    assert_ne!(pair["refresh_token"], admin.refresh_token, "refresh tokens rotate");
    t.get("/api/v1/me", pair["access_token"].as_str().unwrap())
        .await
        .expect(200);

    // The spent token no longer works.
    t.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": admin.refresh_token})),
    )
    .await
    .expect_problem(401, "unauthenticated");

    t.call(
        Method::POST,
        "/api/v1/auth/logout",
        None,
        Some(json!({"refresh_token": pair["refresh_token"]})),
    )
    .await
    .expect(204);
    t.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": pair["refresh_token"]})),
    )
    .await
    .expect_problem(401, "unauthenticated");
    // Logging out an unknown token reveals nothing.
    t.call(
        Method::POST,
        "/api/v1/auth/logout",
        None,
        Some(json!({"refresh_token": "nonsense"})),
    )
    .await
    .expect(204);
}

async fn wrong_credentials(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let wrong_password = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": admin.email, "password": "not the password"})),
        )
        .await;
    wrong_password.expect_problem(401, "unauthenticated");
    let unknown = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "nobody@example.com", "password": PASSWORD})),
        )
        .await;
    unknown.expect_problem(401, "unauthenticated");
    assert_eq!(
        wrong_password.body["detail"], unknown.body["detail"],
        "the answer does not reveal which emails exist"
    );
    // Email matching ignores case.
    t.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": admin.email.to_uppercase(), "password": PASSWORD})),
    )
    .await
    .expect(200);

    let no_token = t.call(Method::GET, "/api/v1/me", None, None).await;
    no_token.expect_problem(401, "unauthenticated");
    assert_eq!(no_token.header("www-authenticate"), Some("Bearer"));
    t.call(Method::GET, "/api/v1/me", Some("garbage"), None)
        .await
        .expect_problem(401, "unauthenticated");
}

async fn expired_and_forged_tokens(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let an_hour_ago = chrono::Utc::now().timestamp() - 3600;
    let expired = ihub_domain::accounts::auth::issue_access_token(
        &t.hub,
        admin.user_id,
        admin.organisation_id,
        ihub_domain::Role::Admin,
        an_hour_ago,
    )
    .unwrap();
    let resp = t.get("/api/v1/me", &expired).await;
    resp.expect_problem(401, "unauthenticated");
    assert!(resp.body["detail"].as_str().unwrap().contains("expired"));

    // A changed payload under the original signature.
    let parts: Vec<&str> = admin.token.split('.').collect();
    let mut claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    claims["exp"] = json!(claims["exp"].as_i64().unwrap() + 86_400);
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    t.get("/api/v1/me", &tampered)
        .await
        .expect_problem(401, "unauthenticated");

    // A flipped signature byte.
    let mut sig = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    sig[0] ^= 1;
    let bad_sig = format!("{}.{}.{}", parts[0], parts[1], URL_SAFE_NO_PAD.encode(sig));
    t.get("/api/v1/me", &bad_sig)
        .await
        .expect_problem(401, "unauthenticated");

    // `alg: none` with no signature at all.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    t.get("/api/v1/me", &unsigned)
        .await
        .expect_problem(401, "unauthenticated");

    // A token signed with another key (another instance's secret).
    let other = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"some other instance's key"),
    )
    .unwrap();
    t.get("/api/v1/me", &other).await.expect_problem(401, "unauthenticated");

    // The untouched token still works.
    t.get("/api/v1/me", &admin.token).await.expect(200);
}

async fn refresh_reuse_revokes_the_sign_in(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let first = t
        .call(
            Method::POST,
            "/api/v1/auth/refresh",
            None,
            Some(json!({"refresh_token": admin.refresh_token})),
        )
        .await
        .expect(200)
        .clone();
    // Someone replays the spent token: the whole chain is revoked, including the legitimately rotated one.
    t.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": admin.refresh_token})),
    )
    .await
    .expect_problem(401, "unauthenticated");
    t.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": first["refresh_token"]})),
    )
    .await
    .expect_problem(401, "unauthenticated");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_attempts_are_rate_limited_per_email() {
    let t = TestHub::start_with(
        Backend::Sqlite,
        Options {
            login_attempts_per_email_per_minute: 3,
            ..Options::default()
        },
    )
    .await;
    let admin = t.organisation("Acme").await;
    let attempt = || {
        t.call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": admin.email, "password": "wrong wrong wrong"})),
        )
    };
    // The organisation() helper already signed in once.
    for _ in 0..2 {
        attempt().await.expect_problem(401, "unauthenticated");
    }
    let limited = attempt().await;
    limited.expect_problem(429, "rate_limited");
    assert!(limited.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // The right password is refused too while limited: the limit is on attempts, not failures.
    t.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": admin.email, "password": PASSWORD})),
    )
    .await
    .expect_problem(429, "rate_limited");
    // Other accounts are unaffected.
    let other = t.user_in(admin.organisation_id, ihub_domain::Role::Support).await;
    t.get("/api/v1/me", &other.token).await.expect(200);
}
