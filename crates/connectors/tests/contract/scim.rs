//! SCIM 2.0: find by externalId or userName, create with the enterprise manager, PATCH only what changed,
//! deactivate, refused records, and the service's 429/5xx answers.
use std::sync::Arc;
use std::time::Duration;

use ihub_domain::connections::people::{FieldChange, ManagerRef, Person, UserField};
use ihub_domain::connections::ports::{ConnectionContext, ConnectorError, UserTarget};
use ihub_simulators::{Accepted, Simulators, System};
use serde_json::{Value, json};

use crate::{MemorySink, connector, context, sims, target, timed};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn connection(sims: &Simulators, sink: &Arc<MemorySink>) -> ConnectionContext {
    context(
        json!({"base_url": sims.scim_base_url(), "manager_email_attribute": "managerEmail"}),
        json!({"token": Accepted::default().scim_token}),
        sink,
    )
}

fn person(id: &str, first: &str, last: &str) -> Person {
    let mut p = Person::new(id);
    p.first_name = Some(first.into());
    p.last_name = Some(last.into());
    p.email = Some(format!("{}@acme.example", first.to_lowercase()));
    p.job_title = Some("Engineer".into());
    p
}

fn scim(sims: &Simulators) -> Arc<dyn UserTarget> {
    let sink = Arc::new(MemorySink::default());
    target("scim", connection(sims, &sink))
}

#[tokio::test]
async fn creates_finds_updates_only_what_changed_and_deactivates() {
    let sims = sims().await;
    let scim = scim(&sims);
    let boss = person("e-1", "Ada", "Lovelace");
    let boss_id = scim.create(&boss).await.unwrap();
    let mut grace = person("e-2", "Grace", "Hopper");
    grace.manager = Some(ManagerRef {
        source_id: "e-1".into(),
        name: Some("Ada Lovelace".into()),
        email: Some("ada@acme.example".into()),
        // The hub links the person to the manager's user it wrote; the connector does not go looking.
        target_id: Some(boss_id.clone()),
    });
    let id = scim.create(&grace).await.unwrap();
    let stored = sims.scim_user(&id).unwrap();
    assert_eq!(stored["externalId"], "e-2");
    assert_eq!(stored["userName"], "grace@acme.example");
    assert_eq!(stored[ENTERPRISE]["manager"]["value"], json!(boss_id));
    assert_eq!(stored[ENTERPRISE]["manager"]["displayName"], "Ada Lovelace");

    let by_external = scim.find("e-2", None).await.unwrap().unwrap();
    assert_eq!(
        (by_external.target_id.as_str(), by_external.active),
        (id.as_str(), true)
    );
    // A user made before the hub, found by email to be linked rather than duplicated.
    let existing = sims
        .add_scim_user(
            json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "alan@acme.example"}),
        )
        .unwrap();
    let linked = scim.find("e-3", Some("ALAN@acme.example")).await.unwrap().unwrap();
    assert_eq!(Some(&Value::String(linked.target_id)), existing.get("id"));
    assert_eq!(scim.find("e-404", Some("nobody@acme.example")).await.unwrap(), None);

    grace.job_title = Some("Rear Admiral".into());
    let before = sims.scim_user(&id).unwrap();
    let change = FieldChange {
        field: UserField::JobTitle,
        old: Some("Engineer".into()),
        new: Some("Rear Admiral".into()),
    };
    sims.reset_request_counts();
    scim.update(&id, &grace, &[change]).await.unwrap();
    assert_eq!(sims.request_count(System::Scim), 1, "one PATCH");
    let after = sims.scim_user(&id).unwrap();
    assert_eq!(after["title"], "Rear Admiral");
    assert_eq!(after["name"], before["name"], "untouched fields stay");
    let requests = sims.requests();
    assert!(requests.last().unwrap().starts_with("PATCH "), "{requests:?}");

    let manager_email = FieldChange {
        field: UserField::ManagerEmail,
        old: None,
        new: Some("ada@acme.example".into()),
    };
    scim.update(&id, &grace, &[manager_email]).await.unwrap();
    let stored = sims.scim_user(&id).unwrap();
    assert_eq!(
        stored.get("managerEmail"),
        Some(&json!("ada@acme.example")),
        "{stored:?}"
    );

    scim.deactivate(&id).await.unwrap();
    assert_eq!(sims.scim_user(&id).unwrap()["active"], false);
    assert!(!scim.find("e-2", None).await.unwrap().unwrap().active);
}

#[tokio::test]
async fn a_refused_record_is_rejected_and_the_next_one_goes_through() {
    let sims = sims().await;
    let scim = scim(&sims);
    sims.refuse_scim_users_containing("mallory");
    let refused = scim.create(&person("e-9", "Mallory", "Doe")).await.unwrap_err();
    assert!(matches!(refused, ConnectorError::Rejected(_)), "{refused:?}");
    scim.create(&person("e-10", "Bob", "Doe")).await.unwrap();
    assert_eq!(sims.scim_users().len(), 1);
}

#[tokio::test]
async fn honours_retry_after_and_retries_server_errors_without_creating_twice() {
    let sims = sims().await;
    let scim = scim(&sims);
    sims.fail_next(System::Scim, 1, 429, Some(1));
    let (created, waited) = timed(scim.create(&person("e-1", "Ada", "Lovelace"))).await;
    created.unwrap();
    assert!(
        waited >= Duration::from_secs(1),
        "Retry-After: 1 was honoured, waited {waited:?}"
    );

    sims.reset_request_counts();
    sims.fail_next(System::Scim, 2, 503, None);
    assert!(scim.find("e-1", None).await.unwrap().is_some());
    assert_eq!(sims.request_count(System::Scim), 3);

    // A 500 after a POST may mean the user exists: not retried in place, so never created twice.
    sims.reset_request_counts();
    sims.fail_next(System::Scim, 1, 500, None);
    let failed = scim.create(&person("e-2", "Grace", "Hopper")).await.unwrap_err();
    assert!(failed.is_retryable(), "{failed:?}");
    assert_eq!(sims.request_count(System::Scim), 1);

    let sink = Arc::new(MemorySink::default());
    let wrong = context(
        json!({"base_url": sims.scim_base_url()}),
        json!({"token": "wrong"}),
        &sink,
    );
    let refused = connector("scim").test(&wrong).await.unwrap_err();
    assert!(matches!(refused, ConnectorError::Auth(_)), "{refused:?}");
}
