//! Odoo: `common.authenticate` then `object.execute_kw` on `hr.employee`: create with the manager as
//! `parent_id`, find by the external id field or work email, write only what changed, archive; refused records,
//! wrong keys, and a proxy's 5xx pages.
use std::sync::Arc;

use ihub_domain::connections::people::{FieldChange, ManagerRef, Person, UserField};
use ihub_domain::connections::ports::{ConnectionContext, ConnectorError, UserTarget};
use ihub_simulators::{Accepted, Simulators, System};
use serde_json::json;

use crate::{MemorySink, connector, context, sims, target};

fn connection(sims: &Simulators, api_key: &str, sink: &Arc<MemorySink>) -> ConnectionContext {
    let accepted = Accepted::default();
    context(
        json!({"base_url": sims.odoo_base_url(), "database": accepted.odoo_database}),
        json!({"login": accepted.odoo_login, "api_key": api_key}),
        sink,
    )
}

fn odoo(sims: &Simulators) -> Arc<dyn UserTarget> {
    let sink = Arc::new(MemorySink::default());
    target("odoo", connection(sims, &Accepted::default().odoo_api_key, &sink))
}

fn person(id: &str, first: &str, last: &str) -> Person {
    let mut p = Person::new(id);
    p.first_name = Some(first.into());
    p.last_name = Some(last.into());
    p.email = Some(format!("{}@acme.example", first.to_lowercase()));
    p.job_title = Some("Engineer".into());
    p
}

#[tokio::test]
async fn creates_finds_writes_changes_and_archives_employees() {
    let sims = sims().await;
    let odoo = odoo(&sims);
    let boss_id = odoo.create(&person("e-1", "Ada", "Lovelace")).await.unwrap();
    let mut grace = person("e-2", "Grace", "Hopper");
    grace.manager = Some(ManagerRef {
        source_id: "e-1".into(),
        name: Some("Ada Lovelace".into()),
        email: None,
        // The hub links the person to the manager's employee it wrote; the connector does not go looking.
        target_id: Some(boss_id.clone()),
    });
    let id = odoo.create(&grace).await.unwrap();
    let row = sims.odoo_employee_where("barcode", &json!("e-2")).unwrap();
    assert_eq!(row["name"], "Grace Hopper");
    assert_eq!(row["work_email"], "grace@acme.example");
    assert_eq!(row["job_title"], "Engineer");
    assert_eq!(row["parent_id"][0], json!(boss_id.parse::<i64>().unwrap()), "{row}");

    let found = odoo.find("e-2", None).await.unwrap().unwrap();
    assert_eq!((found.target_id.as_str(), found.active), (id.as_str(), true));
    let by_email = odoo.find("e-99", Some("ada@acme.example")).await.unwrap().unwrap();
    assert_eq!(by_email.target_id, boss_id);

    grace.job_title = Some("Rear Admiral".into());
    let change = FieldChange {
        field: UserField::JobTitle,
        old: Some("Engineer".into()),
        new: Some("Rear Admiral".into()),
    };
    odoo.update(&id, &grace, &[change]).await.unwrap();
    let row = sims.odoo_employee_where("barcode", &json!("e-2")).unwrap();
    assert_eq!(
        (row["job_title"].as_str(), row["name"].as_str()),
        (Some("Rear Admiral"), Some("Grace Hopper"))
    );

    odoo.deactivate(&id).await.unwrap();
    let row = sims.odoo_employee_where("barcode", &json!("e-2")).unwrap();
    assert_eq!(row["active"], false);
    assert!(
        !odoo.find("e-2", None).await.unwrap().unwrap().active,
        "archived people are still found"
    );
}

#[tokio::test]
async fn refused_records_wrong_keys_and_proxy_errors_are_classified() {
    let sims = sims().await;
    let odoo = odoo(&sims);
    sims.refuse_odoo_employees_containing("mallory");
    let refused = odoo.create(&person("e-9", "Mallory", "Doe")).await.unwrap_err();
    assert!(matches!(refused, ConnectorError::Rejected(_)), "{refused:?}");
    odoo.create(&person("e-10", "Bob", "Doe")).await.unwrap();

    sims.reset_request_counts();
    sims.fail_next(System::Odoo, 2, 502, None);
    assert!(odoo.find("e-10", None).await.unwrap().is_some());
    assert!(
        sims.request_count(System::Odoo) >= 3,
        "two proxy errors, then the answer"
    );

    let sink = Arc::new(MemorySink::default());
    let wrong = connection(&sims, "not-the-key", &sink);
    let denied = connector("odoo").test(&wrong).await.unwrap_err();
    assert!(matches!(denied, ConnectorError::Auth(_)), "{denied:?}");
}
