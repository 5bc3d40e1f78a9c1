//! The OAuth connect flow through the hub: the authorize URL it issues, and what the callback does with each
//! answer a provider can give.
use reqwest::Method;
use serde_json::json;

use crate::harness::{Session, TestHub};
use crate::on_both_backends;

on_both_backends!(connect_issues_a_pkce_authorize_url, callback_outcomes);

async fn employment_hero(t: &TestHub, admin: &Session, credentials: serde_json::Value) -> String {
    let created = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({
                "name": "Employment Hero",
                "connector": "employment_hero",
                "settings": {
                    "api_base_url": t.sims.employment_hero_api_base_url(),
                    "authorize_url": "https://login.example.test/oauth2/authorize",
                    "token_url": "http://127.0.0.1:9/oauth2/token",
                },
                "credentials": credentials,
            }),
        )
        .await;
    created.expect(201)["id"].as_str().unwrap().to_owned()
}

fn query_param(url: &reqwest::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

async fn connect_issues_a_pkce_authorize_url(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.never_echo("eh-client-secret");
    let id = employment_hero(
        &t,
        &admin,
        json!({"client_id": "hub-app", "client_secret": "eh-client-secret"}),
    )
    .await;
    let started = t
        .post(
            &format!("/api/v1/connections/{id}/connect"),
            &admin.token,
            json!({"return_to": "/connections"}),
        )
        .await;
    let url = reqwest::Url::parse(started.expect(200)["authorize_url"].as_str().unwrap()).unwrap();
    assert_eq!(url.host_str(), Some("login.example.test"));
    assert_eq!(query_param(&url, "response_type").as_deref(), Some("code"));
    assert_eq!(query_param(&url, "client_id").as_deref(), Some("hub-app"));
    assert_eq!(query_param(&url, "code_challenge_method").as_deref(), Some("S256"));
    assert_eq!(
        query_param(&url, "code_challenge").map(|c| c.len()),
        Some(43),
        "a SHA-256 challenge, base64url"
    );
    assert_eq!(
        query_param(&url, "redirect_uri"),
        Some(format!("{}/api/v1/oauth/callback", t.base))
    );
    assert!(query_param(&url, "state").is_some_and(|s| s.len() >= 16));
    assert!(
        !url.as_str().contains("eh-client-secret"),
        "the secret never goes to the browser"
    );

    // Guards: only paths of the hub to return to; only OAuth connectors; only with the app's credentials stored.
    t.post(
        &format!("/api/v1/connections/{id}/connect"),
        &admin.token,
        json!({"return_to": "https://evil.example"}),
    )
    .await
    .invalid_fields()
    .contains(&"return_to".to_owned())
    .then_some(())
    .expect("return_to named");
    t.post(
        &format!("/api/v1/connections/{id}/connect"),
        &admin.token,
        json!({"return_to": "//evil.example"}),
    )
    .await
    .expect_problem(422, "validation_error");
    let scim = t.scim_connection(&admin, "LMS").await;
    t.post(
        &format!("/api/v1/connections/{}/connect", scim["id"].as_str().unwrap()),
        &admin.token,
        json!({}),
    )
    .await
    .expect_problem(409, "not_oauth");
    let bare = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({"name": "EH bare", "connector": "employment_hero", "settings": {}}),
        )
        .await;
    let bare_id = bare.expect(201)["id"].as_str().unwrap().to_owned();
    t.post(
        &format!("/api/v1/connections/{bare_id}/connect"),
        &admin.token,
        json!({}),
    )
    .await
    .expect_problem(409, "credentials_missing");
    let support = t.user_in(admin.organisation_id, ihub_domain::Role::Support).await;
    t.post(&format!("/api/v1/connections/{id}/connect"), &support.token, json!({}))
        .await
        .expect_problem(403, "forbidden");
}

async fn callback_outcomes(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let id = employment_hero(
        &t,
        &admin,
        json!({"client_id": "hub-app", "client_secret": "eh-client-secret"}),
    )
    .await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let connect_path = format!("/api/v1/connections/{id}/connect");
    let start = |return_to: serde_json::Value| t.post(&connect_path, &admin.token, json!({"return_to": return_to}));

    // The user refuses at the provider: back to the app with the outcome; the connection says why.
    let url = reqwest::Url::parse(
        start(json!("/connections")).await.expect(200)["authorize_url"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    let state = query_param(&url, "state").unwrap();
    let back = no_redirects
        .get(format!("{}/api/v1/oauth/callback", t.base))
        .query(&[
            ("state", state.as_str()),
            ("error", "access_denied"),
            ("error_description", "The user said no"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    let location = back.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/connections?oauth=error&connection={id}"));
    let conn = t.get(&format!("/api/v1/connections/{id}"), &admin.token).await;
    assert_eq!(conn.expect(200)["status"], "error");
    assert!(
        conn.body["last_error"].as_str().unwrap().contains("access_denied"),
        "{}",
        conn.text
    );

    // A state works once.
    let again = t
        .call(
            Method::GET,
            &format!("/api/v1/oauth/callback?state={state}&code=abc"),
            None,
            None,
        )
        .await;
    again.expect_problem(422, "validation_error");
    let unknown = t
        .call(Method::GET, "/api/v1/oauth/callback?state=made-up&code=abc", None, None)
        .await;
    assert_eq!(unknown.invalid_fields(), vec!["state"]);
    // A browser (Back or Reload on a spent callback) is taken back into the app instead.
    let browser = no_redirects
        .get(format!("{}/api/v1/oauth/callback?state={state}&code=abc", t.base))
        .header("accept", "text/html,application/xhtml+xml")
        .send()
        .await
        .unwrap();
    assert_eq!(browser.status(), 303);
    assert_eq!(browser.headers()["location"], "/connections?oauth=expired");
    t.post(
        &format!("/api/v1/connections/{id}/connect"),
        &admin.token,
        json!({"return_to": "/connections#x"}),
    )
    .await
    .expect_problem(422, "validation_error");

    // The token endpoint is unreachable: the connection is in error with the reason, the browser goes back.
    let url = reqwest::Url::parse(start(json!(null)).await.expect(200)["authorize_url"].as_str().unwrap()).unwrap();
    let state = query_param(&url, "state").unwrap();
    let back = no_redirects
        .get(format!("{}/api/v1/oauth/callback", t.base))
        .query(&[("state", state.as_str()), ("code", "a-code")])
        .send()
        .await
        .unwrap();
    assert_eq!(back.status(), 303);
    assert_eq!(
        back.headers()["location"].to_str().unwrap(),
        format!("/connections/{id}?oauth=error&connection={id}")
    );
    let conn = t.get(&format!("/api/v1/connections/{id}"), &admin.token).await;
    assert!(
        conn.expect(200)["last_error"]
            .as_str()
            .unwrap()
            .contains("token endpoint"),
        "{}",
        conn.text
    );
}

on_both_backends!(connect_refresh_and_lose_access_against_the_simulator);

/// The whole flow against the Employment Hero simulator's OAuth server: connect, use, refresh, lose access.
async fn connect_refresh_and_lose_access_against_the_simulator(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let accepted = ihub_simulators::Accepted::default();
    t.never_echo(&accepted.employment_hero_client_secret);
    let created = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({
                "name": "Employment Hero",
                "connector": "employment_hero",
                "settings": {
                    "api_base_url": t.sims.employment_hero_api_base_url(),
                    "authorize_url": t.sims.employment_hero_authorize_url(),
                    "token_url": t.sims.employment_hero_token_url(),
                    "organisation_id": accepted.employment_hero_organisation_id,
                },
                "credentials": {
                    "client_id": accepted.employment_hero_client_id,
                    "client_secret": accepted.employment_hero_client_secret,
                },
            }),
        )
        .await;
    let id = created.expect(201)["id"].as_str().unwrap().to_owned();
    let started = t
        .post(&format!("/api/v1/connections/{id}/connect"), &admin.token, json!({}))
        .await;
    let authorize_url = started.expect(200)["authorize_url"].as_str().unwrap().to_owned();

    // The browser: to the provider, which approves and sends it to the hub's callback, which sends it home.
    let browser = reqwest::Client::new();
    let landed = browser.get(&authorize_url).send().await.unwrap();
    assert_eq!(landed.status(), 200);
    assert_eq!(landed.url().path(), format!("/connections/{id}"));
    assert!(
        landed.url().query().unwrap().contains("oauth=connected"),
        "{}",
        landed.url()
    );

    let conn = t.get(&format!("/api/v1/connections/{id}"), &admin.token).await;
    assert_eq!(conn.expect(200)["status"], "connected", "{}", conn.text);
    let choices = t
        .get(
            &format!("/api/v1/connections/{id}/settings/organisation_id/choices"),
            &admin.token,
        )
        .await;
    assert_eq!(
        choices.expect(200)["items"][0]["value"],
        accepted.employment_hero_organisation_id
    );

    // The access token lapses: the connector refreshes it (rotating the refresh token) and carries on.
    t.sims.expire_employment_hero_tokens();
    let choices = t
        .get(
            &format!("/api/v1/connections/{id}/settings/organisation_id/choices"),
            &admin.token,
        )
        .await;
    choices.expect(200);
    let tested = t
        .post_empty(&format!("/api/v1/connections/{id}/test"), &admin.token)
        .await;
    assert_eq!(
        tested.expect(200)["status"],
        "connected",
        "the rotated refresh token was stored: {}",
        tested.text
    );

    // Access is withdrawn at the provider: the connection goes to error and says why.
    t.sims.expire_employment_hero_tokens();
    t.sims.revoke_employment_hero_refresh_tokens();
    let lost = t
        .post_empty(&format!("/api/v1/connections/{id}/test"), &admin.token)
        .await;
    assert_eq!(lost.expect(200)["status"], "error");
    assert!(
        lost.body["last_error"].as_str().unwrap().contains("refused the grant"),
        "{}",
        lost.text
    );
}
