//! Employment Hero: OAuth connect with PKCE, refresh before expiry and on 401, refresh failure, 2,500 people in
//! pages of 100, single reads, thin webhooks, and the rate-limit and 5xx answers of its gateway.
use std::sync::Arc;
use std::time::Duration;

use ihub_domain::connections::people::PersonStatus;
use ihub_domain::connections::ports::{ConnectorError, SourceEventKind, WebhookDelivery, WebhookRejection};
use ihub_simulators::employment_hero::webhook::{Event, payload};
use ihub_simulators::{Accepted, Simulators, System};
use serde_json::{Value, json};

use crate::{MemorySink, connector, context, read_all, sims, source, timed};

const REDIRECT: &str = "http://127.0.0.1:9/api/v1/oauth/callback";

fn settings(sims: &Simulators) -> Value {
    json!({
        "api_base_url": sims.employment_hero_api_base_url(),
        "authorize_url": sims.employment_hero_authorize_url(),
        "token_url": sims.employment_hero_token_url(),
        "organisation_id": Accepted::default().employment_hero_organisation_id,
    })
}

fn app() -> Value {
    let accepted = Accepted::default();
    json!({"client_id": accepted.employment_hero_client_id, "client_secret": accepted.employment_hero_client_secret})
}

/// A connection that skips the OAuth dance with the simulator's long-lived token.
fn with_token(sims: &Simulators) -> Value {
    let mut credentials = app();
    credentials["access_token"] = json!(Accepted::default().employment_hero_access_token);
    let _ = sims;
    credentials
}

/// The authorization-code flow as the hub drives it: authorize URL, the provider's approval, code exchange.
async fn connect(sims: &Simulators) -> Value {
    let eh = connector("employment_hero");
    let flow = eh.oauth().expect("Employment Hero connects through OAuth");
    let request = flow
        .authorize(&settings(sims), &app(), REDIRECT)
        .expect("an authorize URL");
    let url = url::Url::parse(&request.url).unwrap();
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    let has = |k: &str, v: &str| query.iter().any(|(qk, qv)| qk == k && qv == v);
    assert!(
        has("code_challenge_method", "S256") && has("response_type", "code"),
        "{url}"
    );
    assert!(has("state", &request.state) && has("redirect_uri", REDIRECT), "{url}");

    // A client of the test's own (not the connector's pool): under nextest this may be the process's first.
    ihub_connectors::http::install_crypto_provider();
    let approval = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(&request.url)
        .send()
        .await
        .unwrap();
    assert_eq!(approval.status(), 302);
    let back = url::Url::parse(approval.headers()["location"].to_str().unwrap()).unwrap();
    let code = back.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let credentials = flow
        .exchange(&settings(sims), &app(), REDIRECT, &code, &request.verifier)
        .await
        .expect("the code is exchanged");
    assert!(credentials["access_token"].is_string() && credentials["refresh_token"].is_string());
    assert!(credentials["expires_at"].is_string(), "{credentials}");
    credentials
}

#[tokio::test]
async fn pages_through_2500_people_in_pages_of_100() {
    let sims = sims().await;
    sims.seed(2_500);
    let sink = Arc::new(MemorySink::default());
    let eh = source("employment_hero", context(settings(&sims), with_token(&sims), &sink));
    let (people, pages) = read_all(eh.as_ref()).await;
    assert_eq!(people.len(), 2_500);
    assert_eq!(pages, 25);
    let mut ids: Vec<_> = people.iter().map(|p| p.source_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 2_500, "no one twice, no one missed");
    assert_eq!(sims.request_count(System::EmploymentHero), 25);
    assert!(people.iter().any(|p| p.status == PersonStatus::Terminated));
    assert!(people.iter().any(|p| p.manager.is_some()));
    // Employment Hero has no changed-since filter; the caller falls back to a full read.
    assert!(eh.changed_page(chrono::Utc::now(), None).await.unwrap().is_none());
}

#[tokio::test]
async fn reads_one_person_by_id_and_knows_when_they_are_gone() {
    let sims = sims().await;
    sims.seed(20);
    let sink = Arc::new(MemorySink::default());
    let eh = source("employment_hero", context(settings(&sims), with_token(&sims), &sink));
    let wanted = sims.person(7).unwrap();
    let id = sims.employment_hero_employee_id(7);
    let person = eh.fetch(&id).await.unwrap().expect("the employee");
    assert_eq!(person.source_id, id);
    assert_eq!(person.first_name.as_deref(), Some(wanted.first_name.as_str()));
    assert_eq!(person.job_title, wanted.job_title);
    assert!(sims.delete_employee(7));
    assert_eq!(eh.fetch(&id).await.unwrap(), None);
}

#[tokio::test]
async fn connects_refreshes_before_expiry_and_on_401_and_reports_a_lost_grant() {
    let sims = sims().await;
    sims.seed(5);
    let credentials = connect(&sims).await;
    let sink = Arc::new(MemorySink::default());

    // A token about to lapse is refreshed before the call, so the API never sees it refused.
    sims.set_employment_hero_token_lifetime(Duration::from_secs(30));
    let soon = connect(&sims).await;
    let eh = source("employment_hero", context(settings(&sims), soon.clone(), &sink));
    let before = sims.request_count(System::EmploymentHero);
    read_all(eh.as_ref()).await;
    assert_eq!(sink.count(), 1, "the refreshed tokens were stored");
    assert_eq!(
        sims.request_count(System::EmploymentHero) - before,
        1,
        "no refused call first"
    );
    let stored = sink.last().unwrap();
    assert_ne!(stored["refresh_token"], soon["refresh_token"], "refresh tokens rotate");
    sims.set_employment_hero_token_lifetime(Duration::from_secs(3600));

    // A token revoked early is refused; the connector refreshes once and carries on.
    let sink = Arc::new(MemorySink::default());
    let eh = source("employment_hero", context(settings(&sims), credentials, &sink));
    sims.expire_employment_hero_tokens();
    let (people, _) = read_all(eh.as_ref()).await;
    assert_eq!(people.len(), 5);
    assert_eq!(sink.count(), 1);

    // The grant is withdrawn: an auth error, which puts the connection in `error`.
    sims.expire_employment_hero_tokens();
    sims.revoke_employment_hero_refresh_tokens();
    let lost = eh.list_page(None).await.unwrap_err();
    assert!(matches!(lost, ConnectorError::Auth(_)), "{lost:?}");
    let tested = connector("employment_hero")
        .test(&context(settings(&sims), sink.last().unwrap(), &sink))
        .await
        .unwrap_err();
    assert!(matches!(tested, ConnectorError::Auth(_)), "{tested:?}");
}

#[tokio::test]
async fn waits_out_retry_after_and_retries_server_errors() {
    let sims = sims().await;
    sims.seed(5);
    let sink = Arc::new(MemorySink::default());
    let eh = source("employment_hero", context(settings(&sims), with_token(&sims), &sink));

    sims.fail_next(System::EmploymentHero, 1, 429, Some(1));
    let (page, waited) = timed(eh.list_page(None)).await;
    assert_eq!(page.unwrap().people.len(), 5);
    assert!(
        waited >= Duration::from_secs(1),
        "Retry-After: 1 was honoured, waited {waited:?}"
    );

    sims.reset_request_counts();
    sims.fail_next(System::EmploymentHero, 2, 502, None);
    assert_eq!(eh.list_page(None).await.unwrap().people.len(), 5);
    assert_eq!(
        sims.request_count(System::EmploymentHero),
        3,
        "two failures, then the answer"
    );

    // A gateway that keeps failing: the error is retryable, for the run to retry later.
    sims.fail_next(System::EmploymentHero, 10, 503, None);
    let failed = eh.list_page(None).await.unwrap_err();
    assert!(failed.is_retryable(), "{failed:?}");
}

#[tokio::test]
async fn webhook_deliveries_name_the_employee_and_the_event() {
    let sims = sims().await;
    sims.seed(3);
    let sink = Arc::new(MemorySink::default());
    let connection = context(settings(&sims), with_token(&sims), &sink);
    let organisation = Accepted::default().employment_hero_organisation_id;
    let id = sims.employment_hero_employee_id(1);
    let deliver = |body: Value| WebhookDelivery {
        headers: [("content-type".to_owned(), "application/json".to_owned())].into(),
        body: serde_json::to_vec(&body).unwrap(),
        received_at: chrono::Utc::now(),
    };
    for (event, kind) in [
        (Event::EmployeeCreated, SourceEventKind::Created),
        (Event::EmployeeOnboarded, SourceEventKind::OnboardingComplete),
        (Event::EmployeeUpdated, SourceEventKind::Updated),
        (Event::EmployeeOffboarding, SourceEventKind::Terminated),
    ] {
        let events = connector("employment_hero")
            .verify_webhook(&connection, &deliver(payload(event, &organisation, &id)))
            .expect("Employment Hero takes webhooks")
            .expect("a valid delivery");
        assert_eq!(events.len(), 1);
        assert_eq!((events[0].kind, events[0].source_id.as_str()), (kind, id.as_str()));
        assert!(events[0].event_id.is_some(), "redeliveries are recognisable");
    }
    let elsewhere = payload(Event::EmployeeUpdated, "00000000-0000-4000-8000-000000000000", &id);
    let refused = connector("employment_hero")
        .verify_webhook(&connection, &deliver(elsewhere))
        .unwrap();
    assert!(matches!(refused, Err(WebhookRejection::Malformed(_))), "{refused:?}");
}
