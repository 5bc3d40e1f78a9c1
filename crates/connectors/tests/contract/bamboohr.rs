//! BambooHR: 2,500 people through one custom report, the changed-since feed, single reads, signed webhooks
//! (valid, forged, replayed) over real HTTP, registering the hub's webhook through the API (and then receiving
//! what changes fire), and its throttling (503 with Retry-After).
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use ihub_domain::connections::people::PersonStatus;
use ihub_domain::connections::ports::{
    ConnectionContext, ConnectorError, CredentialSink, SourceEvent, SourceEventKind, WebhookDelivery, WebhookSetup,
};
use ihub_simulators::{Accepted, Simulators, System};
use serde_json::{Value, json};

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
    // The pause is the connection's: its next request is not sent, and says how much of the pause is left.
    let sent = sims.request_count(System::BambooHr);
    match bamboo.fetch(&sims.bamboohr_employee_id(1)).await {
        Err(ConnectorError::Retryable {
            retry_after: Some(left),
            ..
        }) => assert!(
            left > Duration::from_secs(590) && left <= Duration::from_secs(600),
            "{left:?}"
        ),
        other => panic!("expected the connection to be paused, got {other:?}"),
    }
    assert_eq!(sims.request_count(System::BambooHr), sent);

    // Another connection (its own budget) from here on.
    let bamboo = source("bamboohr", connection(&sims, &sink));
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
    receiver_with(move || connection.clone()).await
}

/// A receiver that verifies with the connection as `connection` makes it at each delivery (credentials change when
/// a webhook is registered).
async fn receiver_with(connection: impl Fn() -> ConnectionContext + Send + Sync + 'static) -> Receiver {
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
                    .verify_webhook(&connection(), &delivery)
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

/// A sink that cannot store, as when the hub's database is down.
struct BrokenSink;

#[async_trait::async_trait]
impl CredentialSink for BrokenSink {
    async fn store(&self, _credentials: Value) -> Result<(), ConnectorError> {
        Err(ConnectorError::retryable("the database is away"))
    }
}

#[tokio::test]
async fn registers_its_webhook_through_the_api_and_verifies_what_bamboohr_then_sends() {
    let sims = sims().await;
    sims.seed(20);
    let sink = Arc::new(MemorySink::default());
    let settings = json!({"company_domain": "acme", "api_base_url": sims.bamboohr_api_base_url()});
    let first = json!({"api_key": Accepted::default().bamboohr_api_key});
    // The hub verifies with what it stored last, as a connection read back from the database would.
    let current = {
        let (sink, settings, first) = (sink.clone(), settings.clone(), first.clone());
        move || context(settings.clone(), sink.last().unwrap_or_else(|| first.clone()), &sink)
    };
    let hub = receiver_with(current.clone()).await;

    // A webhook for another URL (nobody listens there) is left alone.
    let bamboo = connector("bamboohr");
    let other_url = "http://127.0.0.1:9/someone-else";
    let elsewhere = context(settings.clone(), first.clone(), &Arc::new(MemorySink::default()));
    bamboo.register_webhook(&elsewhere, other_url).await.unwrap();
    let other = sims.bamboohr_webhooks();

    let setup = bamboo.register_webhook(&current(), &hub.url).await.expect("registered");
    let WebhookSetup::Registered { webhook_id, events } = setup else {
        panic!("BambooHR webhooks are registered through its API: {setup:?}");
    };
    assert_eq!(events, ["employee.created", "employee.updated", "employee.deleted"]);
    let stored = sink.last().expect("the private key was stored");
    let registered = sims.bamboohr_webhooks();
    let ours = registered
        .iter()
        .find(|w| w.url == hub.url)
        .expect("a webhook for the hub's URL");
    assert_eq!(ours.id.to_string(), webhook_id);
    assert_eq!(stored["webhook_private_key"], ours.private_key.as_str());
    assert_eq!(
        stored["api_key"], first["api_key"],
        "the rest of the credentials is kept"
    );
    assert_eq!(ours.events, events, "event-based, as BambooHR recommends");
    for field in [
        "firstName",
        "workEmail",
        "jobTitle",
        "department",
        "location",
        "supervisor",
        "status",
        "terminationDate",
    ] {
        assert!(
            ours.monitor_fields.iter().any(|f| f == field),
            "{field}: {:?}",
            ours.monitor_fields
        );
    }

    // Registering again replaces the webhook: one for the URL, with the new key stored.
    let again = bamboo.register_webhook(&current(), &hub.url).await.unwrap();
    let WebhookSetup::Registered {
        webhook_id: replaced_by,
        ..
    } = again
    else {
        panic!("{again:?}")
    };
    assert_ne!(replaced_by, webhook_id);
    let registered = sims.bamboohr_webhooks();
    let for_hub: Vec<_> = registered.iter().filter(|w| w.url == hub.url).collect();
    assert_eq!(for_hub.len(), 1, "{registered:?}");
    assert_eq!(for_hub[0].id.to_string(), replaced_by);
    assert_eq!(sink.count(), 2);
    assert_eq!(
        sink.last().unwrap()["webhook_private_key"],
        for_hub[0].private_key.as_str()
    );
    assert!(registered.iter().any(|w| w.url == other_url && w.id == other[0].id));

    // A change in BambooHR now reaches the hub, signed with the stored key.
    sims.update_employee(3, |p| p.job_title = Some("Chief Cartographer".into()));
    sims.terminate_employee(3, sims.today());
    sims.delete_employee(5);
    sims.flush_bamboohr_webhooks().await;
    let verdicts = hub.verdicts.lock().unwrap().clone();
    let events: Vec<SourceEvent> = verdicts
        .into_iter()
        .flat_map(|v| v.expect("verified with the stored key"))
        .collect();
    let seen: Vec<(String, SourceEventKind)> = events.iter().map(|e| (e.source_id.clone(), e.kind)).collect();
    assert_eq!(
        seen,
        [
            (sims.bamboohr_employee_id(3), SourceEventKind::Updated),
            (sims.bamboohr_employee_id(3), SourceEventKind::Updated),
            (sims.bamboohr_employee_id(5), SourceEventKind::Deleted),
        ]
    );
    assert!(events.iter().all(|e| e.event_id.is_some()));
    let to_hub: Vec<_> = sims
        .bamboohr_webhook_deliveries()
        .into_iter()
        .filter(|d| d.url == hub.url)
        .collect();
    assert_eq!(to_hub.len(), 3);
    assert!(to_hub.iter().all(|d| d.status == Some(202)), "{to_hub:?}");
}

#[tokio::test]
async fn registration_failures_are_classified_and_leave_nothing_behind() {
    let sims = sims().await;
    let settings = json!({"company_domain": "acme", "api_base_url": sims.bamboohr_api_base_url()});
    let sink = Arc::new(MemorySink::default());
    let bamboo = connector("bamboohr");

    let wrong_key = context(settings.clone(), json!({"api_key": "not-the-key"}), &sink);
    let refused = bamboo
        .register_webhook(&wrong_key, "https://hub.example/api/v1/hooks/1/t")
        .await
        .unwrap_err();
    assert!(matches!(refused, ConnectorError::Auth(_)), "{refused:?}");

    let credentials = json!({"api_key": Accepted::default().bamboohr_api_key});
    let plain = bamboo
        .register_webhook(
            &context(settings.clone(), credentials.clone(), &sink),
            "http://hub.example/hooks/1",
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&plain, ConnectorError::Config(m) if m.contains("HTTPS")),
        "{plain:?}"
    );

    // The key cannot be stored: the webhook it belongs to is removed again.
    let broken = ConnectionContext {
        id: uuid::Uuid::new_v4(),
        settings: settings.clone(),
        credentials: credentials.clone(),
        sink: Arc::new(BrokenSink),
    };
    let failed = bamboo
        .register_webhook(&broken, "https://hub.example/api/v1/hooks/1/t")
        .await
        .unwrap_err();
    assert!(failed.is_retryable(), "{failed:?}");
    assert!(sims.bamboohr_webhooks().is_empty(), "{:?}", sims.bamboohr_webhooks());

    sims.fail_next(System::BambooHr, 5, 503, Some(600));
    let throttled = bamboo
        .register_webhook(
            &context(settings, credentials, &sink),
            "https://hub.example/api/v1/hooks/1/t",
        )
        .await
        .unwrap_err();
    assert!(throttled.is_retryable(), "{throttled:?}");
    assert_eq!(sink.count(), 0, "nothing was stored by failed registrations");
}
