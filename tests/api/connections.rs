//! Connections: write-only credentials, tests against the simulators, status, and the delete guard.
use ihub_domain::entities::connection;
use ihub_simulators::Accepted;
use sea_orm::EntityTrait;
use serde_json::json;

use crate::harness::TestHub;
use crate::on_both_backends;

on_both_backends!(
    employment_hero_lists_its_organisations,
    connection_lifecycle,
    every_connector_tests_against_its_simulator,
    catalog_describes_connectors,
    lists_page_with_cursors
);

async fn connection_lifecycle(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let created = t.scim_connection(&admin, "LMS").await;
    assert_eq!(created["status"], "disconnected");
    assert_eq!(created["has_credentials"], true);
    assert!(created.get("credentials").is_none());
    let id = created["id"].as_str().unwrap();
    let path = format!("/api/v1/connections/{id}");

    // Stored sealed: the token's bytes are nowhere in the database row.
    let row = connection::Entity::find_by_id(id.parse::<uuid::Uuid>().unwrap())
        .one(&t.hub.db)
        .await
        .unwrap()
        .unwrap();
    let raw = row.credentials.expect("sealed credentials stored");
    assert!(
        !raw.windows(Accepted::default().scim_token.len())
            .any(|w| w == Accepted::default().scim_token.as_bytes())
    );

    let tested = t.post_empty(&format!("{path}/test"), &admin.token).await;
    let tested = tested.expect(200).clone();
    assert_eq!(tested["status"], "connected", "{tested}");
    assert!(tested["checked_at"].is_string());
    assert!(tested["last_error"].is_null());

    // Wrong credentials: the test fails, the status says why, and the new secret is never echoed.
    t.never_echo("a-wrong-scim-token");
    t.put(
        &format!("{path}/credentials"),
        &admin.token,
        json!({"credentials": {"token": "a-wrong-scim-token"}}),
    )
    .await
    .expect(200);
    let failed = t.post_empty(&format!("{path}/test"), &admin.token).await;
    let failed = failed.expect(200).clone();
    assert_eq!(failed["status"], "error");
    assert!(failed["last_error"].as_str().unwrap().contains("401"), "{failed}");

    // Settings changes make the connection unverified again.
    t.put(
        &format!("{path}/credentials"),
        &admin.token,
        json!({"credentials": {"token": Accepted::default().scim_token}}),
    )
    .await
    .expect(200);
    assert_eq!(
        t.post_empty(&format!("{path}/test"), &admin.token).await.expect(200)["status"],
        "connected"
    );
    let renamed = t.patch(&path, &admin.token, json!({"name": "Learning platform"})).await;
    assert_eq!(renamed.expect(200)["status"], "connected", "a rename keeps the status");
    let moved = t
        .patch(
            &path,
            &admin.token,
            json!({"settings": {"base_url": format!("{}/", t.sims.scim_base_url())}}),
        )
        .await;
    assert_eq!(moved.expect(200)["status"], "disconnected");

    // Unreachable systems are an error status with a reason, not a failed request. (Another host drops the
    // stored credentials, so they are given again.)
    t.patch(
        &path,
        &admin.token,
        json!({"settings": {"base_url": "http://127.0.0.1:9/scim/v2"}}),
    )
    .await
    .expect(200);
    t.put(
        &format!("{path}/credentials"),
        &admin.token,
        json!({"credentials": {"token": Accepted::default().scim_token}}),
    )
    .await
    .expect(200);
    let unreachable = t.post_empty(&format!("{path}/test"), &admin.token).await;
    assert_eq!(unreachable.expect(200)["status"], "error");
    assert!(
        unreachable.body["last_error"]
            .as_str()
            .unwrap()
            .contains("could not connect"),
        "{}",
        unreachable.text
    );

    // Names are unique within the organisation.
    t.post(
        "/api/v1/connections",
        &admin.token,
        json!({"name": "Learning platform", "connector": "scim", "settings": {"base_url": "http://x"}}),
    )
    .await
    .expect_problem(409, "name_taken");

    // A connection without credentials tests as an error, not a crash.
    let bare = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({"name": "Bare", "connector": "scim", "settings": {"base_url": "http://x"}}),
        )
        .await;
    let bare_id = bare.expect(201)["id"].as_str().unwrap().to_owned();
    assert_eq!(bare.body["has_credentials"], false);
    let bare_test = t
        .post_empty(&format!("/api/v1/connections/{bare_id}/test"), &admin.token)
        .await;
    assert_eq!(bare_test.expect(200)["status"], "error");

    t.delete(&format!("/api/v1/connections/{bare_id}"), &admin.token)
        .await
        .expect(204);
    t.get(&format!("/api/v1/connections/{bare_id}"), &admin.token)
        .await
        .expect_problem(404, "not_found");
}

async fn every_connector_tests_against_its_simulator(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let accepted = Accepted::default();
    let cases = [
        (
            "odoo",
            json!({"base_url": t.sims.odoo_base_url(), "database": accepted.odoo_database}),
            json!({"login": accepted.odoo_login, "api_key": accepted.odoo_api_key}),
            json!({"login": accepted.odoo_login, "api_key": "wrong-odoo-key"}),
        ),
        (
            "bamboohr",
            json!({"company_domain": accepted.bamboohr_company, "api_base_url": t.sims.bamboohr_api_base_url()}),
            json!({"api_key": accepted.bamboohr_api_key}),
            json!({"api_key": "wrong-bamboo-key"}),
        ),
        (
            "employment_hero",
            json!({"organisation_id": accepted.employment_hero_organisation_id, "api_base_url": t.sims.employment_hero_api_base_url()}),
            json!({"client_id": "client", "client_secret": "eh-client-secret", "access_token": accepted.employment_hero_access_token}),
            json!({"client_id": "client", "client_secret": "eh-client-secret", "access_token": "wrong-eh-token"}),
        ),
    ];
    t.never_echo("eh-client-secret");
    for (connector, settings, good, bad) in cases {
        for (label, credentials, expected) in [("good", good, "connected"), ("bad", bad, "error")] {
            let created = t
                .post(
                    "/api/v1/connections",
                    &admin.token,
                    json!({"name": format!("{connector} {label}"), "connector": connector, "settings": settings, "credentials": credentials}),
                )
                .await;
            let id = created.expect(201)["id"].as_str().unwrap().to_owned();
            let tested = t
                .post_empty(&format!("/api/v1/connections/{id}/test"), &admin.token)
                .await;
            assert_eq!(
                tested.expect(200)["status"],
                expected,
                "{connector} with {label} credentials: {}",
                tested.text
            );
        }
    }
}

async fn catalog_describes_connectors(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let catalog = t.get("/api/v1/connectors", &admin.token).await;
    let items = catalog.expect(200)["items"].as_array().unwrap().clone();
    let kinds: Vec<&str> = items.iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, vec!["bamboohr", "employment_hero", "odoo", "scim"]);
    let by_kind = |k: &str| items.iter().find(|c| c["kind"] == k).unwrap().clone();
    assert_eq!(by_kind("employment_hero")["auth"], "oauth2");
    assert_eq!(by_kind("employment_hero")["roles"], json!(["source"]));
    assert_eq!(by_kind("employment_hero")["webhooks"], true);
    assert_eq!(by_kind("scim")["roles"], json!(["target"]));
    let schema = &by_kind("scim")["settings_schema"];
    assert_eq!(schema["type"], "object");
    assert_eq!(schema["required"], json!(["base_url"]));
    assert!(schema["properties"]["base_url"]["description"].is_string());
    assert_eq!(
        by_kind("bamboohr")["settings_schema"]["properties"]["api_base_url"]["default"],
        "https://api.bamboohr.com/api/gateway.php"
    );
    assert_eq!(
        by_kind("odoo")["credentials_schema"]["required"],
        json!(["login", "api_key"])
    );
}

async fn lists_page_with_cursors(t: TestHub) {
    let admin = t.organisation("Acme").await;
    for n in 0..5 {
        t.post(
            "/api/v1/connections",
            &admin.token,
            json!({"name": format!("c{n}"), "connector": "scim", "settings": {"base_url": "http://x"}}),
        )
        .await
        .expect(201);
    }
    let mut names = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/connections?limit=2&cursor={c}"),
            None => "/api/v1/connections?limit=2".into(),
        };
        let page = t.get(&path, &admin.token).await;
        page.expect(200);
        pages += 1;
        names.extend(
            page.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["name"].as_str().unwrap().to_owned()),
        );
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(names, vec!["c0", "c1", "c2", "c3", "c4"]);
}

async fn employment_hero_lists_its_organisations(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let accepted = Accepted::default();
    t.never_echo("eh-client-secret");
    let created = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({
                "name": "EH",
                "connector": "employment_hero",
                "settings": {"api_base_url": t.sims.employment_hero_api_base_url()},
                "credentials": {"client_id": "c", "client_secret": "eh-client-secret", "access_token": accepted.employment_hero_access_token},
            }),
        )
        .await;
    let id = created.expect(201)["id"].as_str().unwrap().to_owned();
    let choices = t
        .get(
            &format!("/api/v1/connections/{id}/settings/organisation_id/choices"),
            &admin.token,
        )
        .await;
    assert_eq!(
        choices.expect(200)["items"],
        json!([{"value": accepted.employment_hero_organisation_id, "label": "Acme Pty Ltd"}])
    );
    t.get(
        &format!("/api/v1/connections/{id}/settings/api_base_url/choices"),
        &admin.token,
    )
    .await
    .expect_problem(404, "not_found");
    let scim = t.scim_connection(&admin, "LMS").await;
    t.get(
        &format!(
            "/api/v1/connections/{}/settings/base_url/choices",
            scim["id"].as_str().unwrap()
        ),
        &admin.token,
    )
    .await
    .expect_problem(404, "not_found");
    let support = t.user_in(admin.organisation_id, ihub_domain::Role::Support).await;
    t.get(
        &format!("/api/v1/connections/{id}/settings/organisation_id/choices"),
        &support.token,
    )
    .await
    .expect_problem(403, "forbidden");
}
