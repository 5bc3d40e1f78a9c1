//! BambooHR: 2,500 people through one custom report, the changed-since feed, single reads, signed webhooks
//! (valid, forged, replayed) over real HTTP, and its throttling (503 with Retry-After).
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use ihub_domain::catalog::{ConnectionContext, ConnectorError, SourceEvent, SourceEventKind, WebhookDelivery};
use ihub_domain::people::PersonStatus;
use ihub_simulators::{Accepted, Simulators, System};
use serde_json::json;

use crate::{MemorySink, connector, context, read_all, sims, source, timed};

const PRIVATE_KEY: &str = "bamboo-webhook-private-key";

fn connection(sims: &Simulators, sink: &Arc<MemorySink>) -> ConnectionContext {
    let accepted = Accepted::default();
    context(
        json!({"company_domain": accepted.bamboohr_company, "api_base_url": sims.bamboohr_api_base_url()}),
        json!({"api_key": accepted.bamboohr_api_key, "webhook_private_key": PRIVATE_KEY}),
        sink,
    )
}

#[tokio::test]
async fn reads_2500_people_and_then_only_the_changed_ones() {
    let sims = sims().await;
    sims.seed(2_500);
    let sink = Arc::new(MemorySink::default());
    let bamboo = source("bamboohr", connection(&sims, &sink));
    let (people, _) = read_all(bamboo.as_ref()).await;
    assert_eq!(people.len(), 2_500);
    assert!(people.iter().any(|p| p.status == PersonStatus::Terminated));
    assert!(people.iter().filter(|p| p.manager.is_some()).count() > 2_000);

    let since = chrono::Utc::now() - chrono::Duration::seconds(1);
    assert_eq!(bamboo.changed_page(since, None).await.unwrap().unwrap().people.len(), 0);
    sims.update_employee(3, |p| p.job_title = Some("Chief Cartographer".into()));
    sims.terminate_employee(4, sims.today());
    sims.delete_employee(5);
    let changed = bamboo
        .changed_page(since, None)
        .await
        .unwrap()
        .expect("BambooHR has a change feed");
    let by_id = |index: u32| {
        let id = sims.bamboohr_employee_id(index);
        changed.people.iter().find(move |p| p.source_id == id).cloned()
    };
    assert_eq!(changed.people.len(), 3);
    assert_eq!(by_id(3).unwrap().job_title.as_deref(), Some("Chief Cartographer"));
    assert_eq!(by_id(4).unwrap().status, PersonStatus::Terminated);
    assert_eq!(
        by_id(5).unwrap().status,
        PersonStatus::Terminated,
        "deleted people leave"
    );
    assert!(changed.next.is_none());

    let one = bamboo.fetch(&sims.bamboohr_employee_id(3)).await.unwrap().unwrap();
    assert_eq!(one.job_title.as_deref(), Some("Chief Cartographer"));
    assert_eq!(bamboo.fetch(&sims.bamboohr_employee_id(5)).await.unwrap(), None);
}

#[tokio::test]
async fn honours_retry_after_on_throttling_and_retries_server_errors() {
    let sims = sims().await;
    sims.seed(10);
    let sink = Arc::new(MemorySink::default());
    let bamboo = source("bamboohr", connection(&sims, &sink));

    // A hint longer than a run should sit out in place: the error carries it up instead, for a rescheduled retry.
    sims.fail_next(System::BambooHr, 1, 503, Some(600));
    let (page, waited) = timed(bamboo.list_page(None)).await;
    match page {
        Err(ConnectorError::Retryable { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(600)));
            assert!(waited < Duration::from_secs(5), "did not sit it out: {waited:?}");
        }
        other => panic!("expected a retryable error with the hint, got {other:?}"),
    }

    sims.fail_next(System::BambooHr, 1, 503, Some(2));
    let (page, waited) = timed(bamboo.list_page(None)).await;
    assert_eq!(page.unwrap().people.len(), 10);
    assert!(
        waited >= Duration::from_secs(2),
        "Retry-After: 2 was honoured, waited {waited:?}"
    );

    sims.reset_request_counts();
    sims.fail_next(System::BambooHr, 2, 500, None);
    bamboo.fetch(&sims.bamboohr_employee_id(1)).await.unwrap().unwrap();
    assert_eq!(sims.request_count(System::BambooHr), 3);

    let wrong_key = context(
        json!({"company_domain": "acme", "api_base_url": sims.bamboohr_api_base_url()}),
        json!({"api_key": "not-the-key"}),
        &sink,
    );
    let refused = connector("bamboohr").test(&wrong_key).await.unwrap_err();
    assert!(matches!(refused, ConnectorError::Auth(_)), "{refused:?}");
}

/// What the receiver concluded of each delivery: its events, or why it was refused.
type Verdicts = Arc<Mutex<Vec<Result<Vec<SourceEvent>, String>>>>;

/// A receiver standing in for the hub's webhook endpoint: it verifies each delivery with the connector.
struct Receiver {
    url: String,
    verdicts: Verdicts,
}

async fn receiver(connection: ConnectionContext) -> Receiver {
    let verdicts: Verdicts = Arc::default();
    let kept = verdicts.clone();
    let connection = Arc::new(connection);
    let server = HttpServer::new(move || {
        let kept = kept.clone();
        let connection = connection.clone();
        App::new().default_service(web::to(move |req: HttpRequest, body: web::Bytes| {
            let kept = kept.clone();
            let connection = connection.clone();
            async move {
                let delivery = WebhookDelivery {
                    headers: req
                        .headers()
                        .iter()
                        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                        .collect(),
                    body: body.to_vec(),
                    received_at: chrono::Utc::now(),
                };
                let verdict = connector("bamboohr")
                    .verify_webhook(&connection, &delivery)
                    .expect("BambooHR takes webhooks")
                    .map_err(|e| e.to_string());
                let status = if verdict.is_ok() { 202 } else { 401 };
                kept.lock().unwrap().push(verdict);
                HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap()).finish()
            }
        }))
    })
    .workers(1)
    .disable_signals()
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/hooks", server.addrs()[0]);
    tokio::spawn(server.run());
    Receiver { url, verdicts }
}

#[tokio::test]
async fn signed_webhooks_are_verified_and_forgeries_and_replays_refused() {
    let sims = sims().await;
    sims.seed(10);
    let sink = Arc::new(MemorySink::default());
    let hub = receiver(connection(&sims, &sink)).await;

    assert_eq!(
        sims.send_bamboohr_webhook(&hub.url, PRIVATE_KEY, &[2, 3], &["jobTitle"])
            .await
            .unwrap(),
        202
    );
    let events = hub.verdicts.lock().unwrap()[0].clone().expect("verified");
    let ids: Vec<_> = events.iter().map(|e| e.source_id.clone()).collect();
    assert_eq!(ids, [sims.bamboohr_employee_id(2), sims.bamboohr_employee_id(3)]);
    assert!(
        events
            .iter()
            .all(|e| e.kind == SourceEventKind::Updated && e.event_id.is_some())
    );

    // Signed with another key.
    assert_eq!(
        sims.send_bamboohr_webhook(&hub.url, "someone else's key", &[2], &["jobTitle"])
            .await
            .unwrap(),
        401
    );
    // Captured and replayed ten minutes later.
    let old = sims.bamboohr_webhook_delivery(
        PRIVATE_KEY,
        &[2],
        &["jobTitle"],
        (chrono::Utc::now() - chrono::Duration::minutes(10)).timestamp(),
    );
    assert_eq!(sims.resend_bamboohr_webhook(&hub.url, &old).await.unwrap(), 401);
    // Body altered after signing.
    let mut tampered = sims.bamboohr_webhook_delivery(PRIVATE_KEY, &[2], &["jobTitle"], chrono::Utc::now().timestamp());
    tampered.body = String::from_utf8(tampered.body.clone())
        .unwrap()
        .replacen("jobTitle", "jobTitlf", 1)
        .into_bytes();
    assert_eq!(sims.resend_bamboohr_webhook(&hub.url, &tampered).await.unwrap(), 401);

    let verdicts = hub.verdicts.lock().unwrap().clone();
    let reasons: Vec<String> = verdicts[1..].iter().map(|v| v.clone().unwrap_err()).collect();
    assert!(reasons[0].contains("signature"), "{reasons:?}");
    assert!(reasons[1].contains("replays"), "{reasons:?}");
    assert!(reasons[2].contains("signature"), "{reasons:?}");
}
