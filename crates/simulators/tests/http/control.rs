//! The controls over HTTP that the demo uses, and the request log the hub's own tests read.
use std::collections::HashSet;
use std::net::Ipv4Addr;

use ihub_simulators::{Accepted, Ports, Simulators, System};
use serde_json::{Value, json};

use crate::{Receiver, client, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controls_over_http() {
    let sims = start().await;
    let control = |path: &str| format!("{}{path}", sims.control_url());
    let seeded: Value = client()
        .post(control("/people/seed"))
        .json(&json!({"count": 40}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(seeded["people"], 40);

    let added: Value = client()
        .post(control("/people"))
        .json(&json!({"first_name": "Ada", "last_name": "Lovelace", "work_email": "ada@acme.example", "manager": 0}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(added["index"], 40);
    assert_eq!(added["bamboohr_id"], "41");
    let changed = client()
        .patch(control("/people/40"))
        .json(&json!({"job_title": "Analyst"}))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    assert_eq!(sims.person(40).unwrap().job_title.as_deref(), Some("Analyst"));
    let terminated = client().post(control("/people/40/terminate")).send().await.unwrap();
    assert_eq!(terminated.status(), 200);
    assert!(sims.person(40).unwrap().is_terminated(sims.today()));

    let faults = client()
        .put(control("/faults/scim"))
        .json(&json!({"scripted": [{"status": 503, "retry_after": 1}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(faults.status(), 200);
    let refused = client()
        .get(format!("{}/Users", sims.scim_base_url()))
        .bearer_auth("scim-secret-token")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 503);
    assert_eq!(
        client().delete(control("/faults/scim")).send().await.unwrap().status(),
        204
    );

    let hub = Receiver::start().await;
    let sent: Value = client()
        .post(control("/webhooks/employment-hero"))
        .json(&json!({"url": format!("{}/hook", hub.url), "event": "employee_offboarding", "index": 40}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(sent["delivered"], 202);
    assert_eq!(hub.all()[0].json()["event"], "employee_offboarding");

    let status: Value = client()
        .get(control("/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["people"], 41);
    assert_eq!(status["requests"]["scim"], 1);
    assert!(sims.requests().contains(&"GET /scim/v2/Users".to_owned()));

    // Every provider's server has the controls too, and using them there is no request to that provider.
    for system in [System::BambooHr, System::Scim, System::Odoo] {
        let elsewhere: Value = client()
            .get(format!("{}/_control/status", sims.url(system)))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(elsewhere["people"], 41);
    }
    assert_eq!(sims.request_count(System::Scim), 1);
    sims.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_per_provider_on_chosen_ports() {
    let sims = start().await;
    let ports: HashSet<u16> = [System::EmploymentHero, System::BambooHr, System::Scim, System::Odoo]
        .into_iter()
        .map(|s| sims.addr(s).port())
        .collect();
    assert_eq!(ports.len(), 4);
    assert_eq!(
        sims.addr(System::EmploymentHeroAuth),
        sims.addr(System::EmploymentHero),
        "one server for Employment Hero's API and its OAuth server"
    );

    // A port already taken fails the start, and leaves none of the other servers listening.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let chosen = sims.addr(System::EmploymentHero).port();
    sims.stop().await;
    let ports = Ports {
        employment_hero: chosen,
        odoo: taken.local_addr().unwrap().port(),
        ..Ports::FREE
    };
    let refused = Simulators::start_with(ports, Ipv4Addr::LOCALHOST.into(), Accepted::default()).await;
    assert!(refused.is_err());
    let released = std::net::TcpListener::bind(("127.0.0.1", chosen));
    assert!(released.is_ok(), "the Employment Hero server did not stay up");
    drop(released);

    let sims = Simulators::start_with(
        Ports {
            employment_hero: chosen,
            ..Ports::FREE
        },
        Ipv4Addr::LOCALHOST.into(),
        Accepted::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        sims.employment_hero_api_base_url(),
        format!("http://127.0.0.1:{chosen}/api/v1")
    );
    sims.stop().await;
}
