//! Employment Hero: the OAuth connect flow with PKCE, token refresh and expiry, paged employees, webhooks.
use std::time::Duration;

use base64::Engine;
use ihub_simulators::employment_hero::webhook::Event;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{FormBody, Receiver, client, start};

const VERIFIER: &str = "dBjftJeZ4CQP-0123456789abcdefghijklmnopqrstuvwxyz";
const REDIRECT: &str = "http://127.0.0.1:9/api/v1/oauth/callback";

fn challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

fn query(location: &str, name: &str) -> Option<String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

async fn authorize(sims: &ihub_simulators::Simulators, params: &[(&str, &str)]) -> reqwest::Response {
    client()
        .get(sims.employment_hero_authorize_url())
        .query(params)
        .send()
        .await
        .unwrap()
}

async fn code(sims: &ihub_simulators::Simulators) -> String {
    let c = challenge(VERIFIER);
    let answer = authorize(
        sims,
        &[
            ("client_id", "eh-client-id"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("state", "s-123"),
            ("code_challenge", &c),
            ("code_challenge_method", "S256"),
        ],
    )
    .await;
    assert_eq!(answer.status(), 302, "the simulated admin approves at once");
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT));
    assert_eq!(query(&location, "state").as_deref(), Some("s-123"));
    query(&location, "code").expect("a code")
}

async fn token(sims: &ihub_simulators::Simulators, form: &[(&str, &str)]) -> (u16, Value) {
    let response = client()
        .post(sims.employment_hero_token_url())
        .form_body(form)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn organisations(sims: &ihub_simulators::Simulators, token: &str) -> reqwest::Response {
    client()
        .get(format!("{}/organisations", sims.employment_hero_api_base_url()))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_refresh_expiry_and_revocation() {
    let sims = start().await;

    // Refusals before any redirect: an unknown app is told so on the page, never sent back.
    let unknown = authorize(
        &sims,
        &[
            ("client_id", "nope"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
        ],
    )
    .await;
    assert_eq!(unknown.status(), 400);
    let no_pkce = authorize(
        &sims,
        &[
            ("client_id", "eh-client-id"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("state", "x"),
        ],
    )
    .await;
    assert_eq!(no_pkce.status(), 302);
    let location = no_pkce.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(
        query(&location, "error").as_deref(),
        Some("invalid_request"),
        "PKCE is mandatory"
    );
    assert_eq!(query(&location, "state").as_deref(), Some("x"));

    // A wrong verifier spends the code.
    let first = code(&sims).await;
    let base = [
        ("grant_type", "authorization_code"),
        ("redirect_uri", REDIRECT),
        ("client_id", "eh-client-id"),
        ("client_secret", "eh-client-secret"),
    ];
    let mut wrong = base.to_vec();
    wrong.extend([
        ("code", first.as_str()),
        ("code_verifier", "not-the-verifier-000000000000000000000000000"),
    ]);
    let (status, body) = token(&sims, &wrong).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));
    let mut again = base.to_vec();
    again.extend([("code", first.as_str()), ("code_verifier", VERIFIER)]);
    assert_eq!(token(&sims, &again).await.0, 400, "a code is good once");

    // Wrong client secret.
    let second = code(&sims).await;
    let (status, body) = token(
        &sims,
        &[
            ("grant_type", "authorization_code"),
            ("code", &second),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            ("client_id", "eh-client-id"),
            ("client_secret", "wrong"),
        ],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));

    // The exchange, with client credentials in HTTP Basic this time.
    let third = code(&sims).await;
    let response = client()
        .post(sims.employment_hero_token_url())
        .basic_auth("eh-client-id", Some("eh-client-secret"))
        .form_body(&[
            ("grant_type", "authorization_code"),
            ("code", third.as_str()),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    assert_eq!(tokens["token_type"], "bearer");
    assert_eq!(tokens["expires_in"], 900, "15-minute access tokens");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(organisations(&sims, &access).await.status(), 200);

    // Refresh rotates the refresh token; the old one is spent.
    let form: Vec<(&str, &str)> = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", "eh-client-id"),
        ("client_secret", "eh-client-secret"),
    ];
    let (status, renewed) = token(&sims, &form).await;
    assert_eq!(status, 200);
    let new_refresh = renewed["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(new_refresh, refresh);
    assert_eq!(token(&sims, &form).await.0, 400, "the old refresh token is spent");

    // Expiry: every issued access token answers 401 with a Bearer challenge until refreshed.
    sims.expire_employment_hero_tokens();
    let expired = organisations(&sims, renewed["access_token"].as_str().unwrap()).await;
    assert_eq!(expired.status(), 401);
    assert!(
        expired.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
    let form: Vec<(&str, &str)> = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", new_refresh.as_str()),
        ("client_id", "eh-client-id"),
        ("client_secret", "eh-client-secret"),
    ];
    let (status, fresh) = token(&sims, &form).await;
    assert_eq!(status, 200);
    assert_eq!(
        organisations(&sims, fresh["access_token"].as_str().unwrap())
            .await
            .status(),
        200
    );

    // Revocation: the next refresh fails, as when the customer removes the app.
    sims.revoke_employment_hero_refresh_tokens();
    let form: Vec<(&str, &str)> = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", fresh["refresh_token"].as_str().unwrap()),
        ("client_id", "eh-client-id"),
        ("client_secret", "eh-client-secret"),
    ];
    let (status, body) = token(&sims, &form).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")));

    // A short lifetime makes tokens lapse by themselves.
    sims.set_employment_hero_token_lifetime(Duration::from_secs(1));
    let fourth = code(&sims).await;
    let mut exchange = base.to_vec();
    exchange.extend([("code", fourth.as_str()), ("code_verifier", VERIFIER)]);
    let (_, short) = token(&sims, &exchange).await;
    assert_eq!(short["expires_in"], 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(
        organisations(&sims, short["access_token"].as_str().unwrap())
            .await
            .status(),
        401
    );
    sims.stop().await;
}

/// The admin pressing Deny, set up through the control: the next sound authorization request goes back to the
/// redirect URI with `access_denied` and the state, and only that one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuse_next_authorization_over_the_control() {
    let sims = start().await;
    let set: Value = client()
        .put(format!("{}/oauth/employment-hero", sims.control_url()))
        .json(&serde_json::json!({"refuse_next": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(set["refuse_next"], true);

    // An unsound request is still refused on the page, and does not use up the refusal.
    let unknown = authorize(&sims, &[("client_id", "nope"), ("redirect_uri", REDIRECT)]).await;
    assert_eq!(unknown.status(), 400);

    let c = challenge(VERIFIER);
    let params = [
        ("client_id", "eh-client-id"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("state", "s-denied"),
        ("code_challenge", c.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let denied = authorize(&sims, &params).await;
    assert_eq!(denied.status(), 302);
    let location = denied.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with(REDIRECT));
    assert_eq!(query(&location, "error").as_deref(), Some("access_denied"));
    assert_eq!(query(&location, "state").as_deref(), Some("s-denied"));
    assert_eq!(query(&location, "code"), None);

    // Once: the next request is approved again.
    code(&sims).await;

    // And `false` takes a refusal back before it is used.
    sims.refuse_next_employment_hero_authorization(true);
    let cleared = client()
        .put(format!("{}/oauth/employment-hero", sims.control_url()))
        .json(&serde_json::json!({"refuse_next": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(cleared.status(), 200);
    code(&sims).await;
    sims.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn employees_page_by_page_and_one_by_one() {
    let sims = start().await;
    sims.seed(2_500);
    let org = ihub_simulators::Accepted::default().employment_hero_organisation_id;
    let list = |page: &str, size: &str| {
        client()
            .get(format!(
                "{}/organisations/{org}/employees",
                sims.employment_hero_api_base_url()
            ))
            .query(&[("page_index", page), ("item_per_page", size)])
            .bearer_auth("eh-secret-access-token")
            .send()
    };

    let mut seen = std::collections::HashSet::new();
    let mut page = 1;
    loop {
        let body: Value = list(&page.to_string(), "100").await.unwrap().json().await.unwrap();
        let data = &body["data"];
        assert_eq!(data["total_items"], 2_500);
        assert_eq!(data["total_pages"], 25);
        assert_eq!(data["page_index"], page);
        for item in data["items"].as_array().unwrap() {
            assert!(seen.insert(item["id"].as_str().unwrap().to_owned()), "no one twice");
        }
        if page == data["total_pages"].as_u64().unwrap() {
            break;
        }
        page += 1;
    }
    assert_eq!(seen.len(), 2_500);

    let beyond: Value = list("26", "100").await.unwrap().json().await.unwrap();
    assert_eq!(beyond["data"]["items"], serde_json::json!([]));
    let clamped: Value = list("1", "1000").await.unwrap().json().await.unwrap();
    assert_eq!(clamped["data"]["item_per_page"], 100, "at most 100 a page");
    let default: Value = client()
        .get(format!(
            "{}/organisations/{org}/employees",
            sims.employment_hero_api_base_url()
        ))
        .bearer_auth("eh-secret-access-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(default["data"]["item_per_page"], 20);

    // One employee, with the fields the hub maps and a manager who can be fetched in turn.
    let id = sims.employment_hero_employee_id(10);
    let get = |id: String| {
        client()
            .get(format!(
                "{}/organisations/{org}/employees/{id}",
                sims.employment_hero_api_base_url()
            ))
            .bearer_auth("eh-secret-access-token")
            .send()
    };
    let one: Value = get(id.clone()).await.unwrap().json().await.unwrap();
    let employee = &one["data"];
    assert_eq!(employee["id"], id);
    for field in [
        "first_name",
        "last_name",
        "known_as",
        "company_email",
        "account_email",
        "personal_email",
        "job_title",
        "location",
        "role",
        "code",
        "start_date",
        "termination_date",
        "primary_manager",
        "employing_entity",
        "country",
        "date_of_birth",
        "middle_name",
        "title",
    ] {
        assert!(employee.get(field).is_some(), "{field} is there");
    }
    let manager_id = employee["primary_manager"]["id"].as_str().unwrap().to_owned();
    let manager: Value = get(manager_id).await.unwrap().json().await.unwrap();
    assert_eq!(manager["data"]["id"], employee["primary_manager"]["id"]);
    assert!(
        manager["data"]["company_email"].is_string(),
        "managers have work emails"
    );

    assert_eq!(
        get("00000000-0000-4000-8000-000000000000".into())
            .await
            .unwrap()
            .status(),
        404
    );
    let other_org = client()
        .get(format!(
            "{}/organisations/not-ours/employees",
            sims.employment_hero_api_base_url()
        ))
        .bearer_auth("eh-secret-access-token")
        .send()
        .await
        .unwrap();
    assert_eq!(other_org.status(), 404);
    let anonymous = client()
        .get(format!(
            "{}/organisations/{org}/employees",
            sims.employment_hero_api_base_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);

    // Changes show at once; a leaver keeps appearing, with a termination date.
    let today = sims.today();
    sims.terminate_employee(10, today);
    let after: Value = get(id).await.unwrap().json().await.unwrap();
    assert_eq!(after["data"]["termination_date"], format!("{today}T00:00:00+00:00"));
    sims.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_reach_the_hub() {
    let sims = start().await;
    sims.seed(20);
    let hub = Receiver::start().await;
    let url = format!("{}/api/v1/webhooks/some-integration?token=secret", hub.url);
    let status = sims
        .send_employment_hero_webhook(&url, Event::EmployeeUpdated, 3)
        .await
        .unwrap();
    assert_eq!(status, 202);
    let received = hub.all();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/api/v1/webhooks/some-integration?token=secret");
    let body = received[0].json();
    assert_eq!(body["event"], "employee_updated");
    assert_eq!(body["data"]["id"], sims.employment_hero_employee_id(3));
    assert_eq!(
        body["organisation_id"],
        ihub_simulators::Accepted::default().employment_hero_organisation_id
    );
    sims.stop().await;
}
