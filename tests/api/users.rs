//! Admins manage the users of their organisation.
use ihub_domain::Role;
use reqwest::Method;
use serde_json::json;

use crate::harness::{PASSWORD, TestHub};
use crate::on_both_backends;

on_both_backends!(admins_manage_users, the_last_admin_stays);

async fn admins_manage_users(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let created = t
        .post(
            "/api/v1/users",
            &admin.token,
            json!({"email": "Grace@Example.com", "name": "Grace Hopper", "password": PASSWORD, "role": "support"}),
        )
        .await;
    let user = created.expect(201).clone();
    assert_eq!(user["email"], "grace@example.com");
    assert_eq!(user["role"], "support");
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
    let id = user["id"].as_str().unwrap();

    t.post(
        "/api/v1/users",
        &admin.token,
        json!({"email": "grace@example.com", "password": PASSWORD, "role": "admin"}),
    )
    .await
    .expect_problem(409, "email_taken");
    let bad = t
        .post(
            "/api/v1/users",
            &admin.token,
            json!({"email": "nope", "password": "short", "role": "admin"}),
        )
        .await;
    assert_eq!(bad.invalid_fields(), vec!["email", "password"]);

    let grace = t
        .call(
            Method::POST,
            "/api/v1/auth/login",
            None,
            Some(json!({"email": "grace@example.com", "password": PASSWORD})),
        )
        .await
        .expect(200)
        .clone();
    let grace_token = grace["access_token"].as_str().unwrap();
    assert_eq!(t.get("/api/v1/me", grace_token).await.expect(200)["role"], "support");
    // Support users may read themselves but not others, nor list.
    t.get(&format!("/api/v1/users/{id}"), grace_token).await.expect(200);
    t.get(&format!("/api/v1/users/{}", admin.user_id), grace_token)
        .await
        .expect_problem(403, "forbidden");
    t.get("/api/v1/users", grace_token)
        .await
        .expect_problem(403, "forbidden");

    // Promotion applies at once, even to tokens already issued.
    t.patch(&format!("/api/v1/users/{id}"), &admin.token, json!({"role": "admin"}))
        .await
        .expect(200);
    t.get("/api/v1/users", grace_token).await.expect(200);

    // Deactivation ends sign-ins and refuses new ones.
    t.patch(&format!("/api/v1/users/{id}"), &admin.token, json!({"active": false}))
        .await
        .expect(200);
    t.get("/api/v1/me", grace_token)
        .await
        .expect_problem(401, "unauthenticated");
    t.call(
        Method::POST,
        "/api/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": grace["refresh_token"]})),
    )
    .await
    .expect_problem(401, "unauthenticated");
    t.call(
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "grace@example.com", "password": PASSWORD})),
    )
    .await
    .expect_problem(401, "unauthenticated");

    let list = t.get("/api/v1/users", &admin.token).await;
    assert_eq!(list.expect(200)["items"].as_array().unwrap().len(), 2);
}

async fn the_last_admin_stays(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let me = format!("/api/v1/users/{}", admin.user_id);
    t.patch(&me, &admin.token, json!({"role": "support"}))
        .await
        .expect_problem(409, "last_admin");
    t.patch(&me, &admin.token, json!({"active": false}))
        .await
        .expect_problem(409, "last_admin");
    let other = t.user_in(admin.organisation_id, Role::Admin).await;
    t.patch(&me, &other.token, json!({"role": "support"})).await.expect(200);
    t.patch(
        &format!("/api/v1/users/{}", other.user_id),
        &other.token,
        json!({"active": false}),
    )
    .await
    .expect_problem(409, "last_admin");
}
