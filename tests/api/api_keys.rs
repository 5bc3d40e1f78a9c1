//! API keys: shown once, stored hashed, carrying a role, revocable.
use ihub_domain::Role;
use reqwest::Method;
use serde_json::json;

use crate::harness::TestHub;
use crate::on_both_backends;

on_both_backends!(keys_act_with_their_role_until_revoked);

async fn keys_act_with_their_role_until_revoked(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let created = t
        .post("/api/v1/api-keys", &admin.token, json!({"name": "nightly export"}))
        .await;
    let created = created.expect(201).clone();
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("ihub_"));
    assert_eq!(created["role"], "support", "keys default to the least privilege");
    assert!(secret.starts_with(created["prefix"].as_str().unwrap()));
    t.never_echo(&secret);

    // The key authenticates as its creator's organisation with its own role.
    let me = t.get("/api/v1/me", &secret).await;
    assert_eq!(me.expect(200)["organisation"]["id"], admin.organisation_id.to_string());
    assert_eq!(me.body["role"], "support");
    t.get("/api/v1/connections", &secret).await.expect(200);
    t.post(
        "/api/v1/connections",
        &secret,
        json!({"name": "x", "connector": "scim", "settings": {"base_url": "http://x"}}),
    )
    .await
    .expect_problem(403, "forbidden");

    let admin_key = t
        .post(
            "/api/v1/api-keys",
            &admin.token,
            json!({"name": "provisioning", "role": "admin"}),
        )
        .await;
    let admin_secret = admin_key.expect(201)["secret"].as_str().unwrap().to_owned();
    t.never_echo(&admin_secret);
    t.scim_connection(
        &crate::harness::Session {
            token: admin_secret.clone(),
            ..admin.clone()
        },
        "LMS via key",
    )
    .await;

    // Listing never shows secrets (the harness checks every body for them) but shows the keys.
    let list = t.get("/api/v1/api-keys", &admin.token).await;
    assert_eq!(list.expect(200)["items"].as_array().unwrap().len(), 2);
    assert!(list.body["items"][0].get("secret").is_none());
    // Used keys say when.
    assert!(list.body["items"][0]["last_used_at"].is_string(), "{}", list.text);

    // Revoked keys stop working at once; revoking twice is harmless.
    let id = created["id"].as_str().unwrap();
    let revoked = t
        .post_empty(&format!("/api/v1/api-keys/{id}/revoke"), &admin.token)
        .await;
    assert!(revoked.expect(200)["revoked_at"].is_string());
    t.post_empty(&format!("/api/v1/api-keys/{id}/revoke"), &admin.token)
        .await
        .expect(200);
    t.get("/api/v1/me", &secret)
        .await
        .expect_problem(401, "unauthenticated");
    t.get("/api/v1/me", &format!("{secret}x"))
        .await
        .expect_problem(401, "unauthenticated");

    // Support users cannot manage keys.
    let support = t.user_in(admin.organisation_id, Role::Support).await;
    t.post("/api/v1/api-keys", &support.token, json!({"name": "mine"}))
        .await
        .expect_problem(403, "forbidden");
    t.get("/api/v1/api-keys", &support.token)
        .await
        .expect_problem(403, "forbidden");

    // A key stops working when the user who created it is deactivated.
    let second_admin = t.user_in(admin.organisation_id, Role::Admin).await;
    let their_key = t
        .post(
            "/api/v1/api-keys",
            &second_admin.token,
            json!({"name": "theirs", "role": "admin"}),
        )
        .await;
    let their_secret = their_key.expect(201)["secret"].as_str().unwrap().to_owned();
    t.never_echo(&their_secret);
    t.get("/api/v1/me", &their_secret).await.expect(200);
    t.patch(
        &format!("/api/v1/users/{}", second_admin.user_id),
        &admin.token,
        json!({"active": false}),
    )
    .await
    .expect(200);
    t.call(Method::GET, "/api/v1/me", Some(&their_secret), None)
        .await
        .expect_problem(401, "unauthenticated");
}
