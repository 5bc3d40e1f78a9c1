//! The controls over HTTP that the demo uses, and the request log the hub's own tests read.
use serde_json::{Value, json};

use crate::{Receiver, client, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controls_over_http() {
    let sims = start().await;
    let control = |path: &str| format!("{}/_control{path}", sims.base());
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
    sims.stop().await;
}
