//! SCIM 2.0: the user lifecycle the hub drives, filters, paging, PATCH paths, errors and discovery.
use serde_json::{Value, json};

use crate::{client, start};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const TOKEN: &str = "scim-secret-token";

fn user(n: usize) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": format!("E-{n}"),
        "userName": format!("person{n}@acme.example"),
        "displayName": format!("Person {n}"),
        "name": {"givenName": "Person", "familyName": format!("Number{n}")},
        "emails": [{"value": format!("person{n}@acme.example"), "type": "work", "primary": true}],
        "title": "Engineer",
        "active": true,
        ENTERPRISE: {"department": "Engineering"},
    })
}

struct Scim<'a>(&'a ihub_simulators::Simulators);

impl Scim<'_> {
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut request = client()
            .request(method, format!("{}{path}", self.0.scim_base_url()))
            .bearer_auth(TOKEN)
            .header("Accept", "application/scim+json");
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/scim+json")
                .body(serde_json::to_vec(&body).unwrap());
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        (status, body, headers)
    }

    async fn filter(&self, filter: &str) -> (u16, Value) {
        let response = client()
            .get(format!("{}/Users", self.0.scim_base_url()))
            .query(&[("filter", filter), ("startIndex", "1"), ("count", "10")])
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }

    async fn patch(&self, id: &str, operations: Value) -> (u16, Value) {
        let (status, body, _) = self
            .send(
                reqwest::Method::PATCH,
                &format!("/Users/{id}"),
                Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": operations})),
            )
            .await;
        (status, body)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_user_lifecycle() {
    let sims = start().await;
    let scim = Scim(&sims);

    let (status, created, headers) = scim.send(reqwest::Method::POST, "/Users", Some(user(1))).await;
    assert_eq!(status, 201);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/scim+json")
    );
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        headers["location"].to_str().unwrap(),
        format!("{}/Users/{id}", sims.scim_base_url())
    );
    assert_eq!(created["meta"]["resourceType"], "User");
    assert_eq!(created["meta"]["location"], headers["location"].to_str().unwrap());

    let (status, duplicate, _) = scim
        .send(
            reqwest::Method::POST,
            "/Users",
            Some(
                json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "PERSON1@acme.example"}),
            ),
        )
        .await;
    assert_eq!(
        (status, duplicate["scimType"].as_str()),
        (409, Some("uniqueness")),
        "userName is unique regardless of case"
    );
    assert_eq!(
        duplicate["schemas"],
        json!(["urn:ietf:params:scim:api:messages:2.0:Error"])
    );
    assert_eq!(duplicate["status"], "409");

    // Finding: by externalId, userName, email, and combinations.
    let manager = scim.send(reqwest::Method::POST, "/Users", Some(user(2))).await.1;
    let manager_id = manager["id"].as_str().unwrap().to_owned();
    for (filter, expected) in [
        (r#"externalId eq "E-1""#, 1),
        (r#"externalId eq "e-1""#, 0),
        (r#"userName eq "Person1@Acme.example""#, 1),
        (r#"emails.value eq "person2@acme.example""#, 1),
        (r#"emails[type eq "work" and value ew "@acme.example"]"#, 2),
        (r#"userName sw "person" and externalId eq "E-2""#, 1),
        (r#"externalId eq "E-1" or externalId eq "E-2""#, 2),
    ] {
        let (status, found) = scim.filter(filter).await;
        assert_eq!(status, 200, "{filter}");
        assert_eq!(found["totalResults"], expected, "{filter}");
        assert_eq!(
            found["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"])
        );
    }
    let (status, bad) = scim.filter("userName eq unquoted").await;
    assert_eq!((status, bad["scimType"].as_str()), (400, Some("invalidFilter")));

    // PATCH: changed fields only, the enterprise extension, the manager, deactivation.
    let (status, patched) = scim
        .patch(
            &id,
            json!([
                {"op": "replace", "path": "title", "value": "Lead Engineer"},
                {"op": "replace", "path": "name.givenName", "value": "Pat"},
                {"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "Platform"},
                {"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": {"value": manager_id, "displayName": "Person 2"}},
                {"op": "add", "path": "urn:example:params:scim:schemas:extension:acme:2.0:User:managerEmail", "value": "person2@acme.example"},
            ]),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["title"], "Lead Engineer");
    assert_eq!(patched["name"], json!({"givenName": "Pat", "familyName": "Number1"}));
    assert_eq!(patched[ENTERPRISE]["department"], "Platform");
    assert_eq!(patched[ENTERPRISE]["manager"]["value"], manager_id);
    assert_eq!(
        patched["urn:example:params:scim:schemas:extension:acme:2.0:User"]["managerEmail"],
        "person2@acme.example"
    );
    assert_eq!(patched["meta"]["version"], "W/\"2\"");
    let (_, found) = scim
        .filter(&format!(r#"{ENTERPRISE}:manager.value eq "{manager_id}""#))
        .await;
    assert_eq!(found["totalResults"], 1);

    let (status, email_changed) = scim
        .patch(&id, json!([{"op": "replace", "value": {"userName": "pat@acme.example", "emails": [{"value": "pat@acme.example", "type": "work", "primary": true}]}}]))
        .await;
    assert_eq!(status, 200);
    assert_eq!(email_changed["userName"], "pat@acme.example");
    assert_eq!(
        scim.filter(r#"userName eq "pat@acme.example""#).await.1["totalResults"],
        1,
        "the index follows"
    );
    assert_eq!(
        scim.filter(r#"userName eq "person1@acme.example""#).await.1["totalResults"],
        0
    );
    let (status, clash) = scim
        .patch(
            &id,
            json!([{"op": "replace", "path": "userName", "value": "person2@acme.example"}]),
        )
        .await;
    assert_eq!((status, clash["scimType"].as_str()), (409, Some("uniqueness")));

    let (status, inactive) = scim
        .patch(&id, json!([{"op": "replace", "path": "active", "value": false}]))
        .await;
    assert_eq!((status, &inactive["active"]), (200, &json!(false)));
    assert_eq!(
        sims.scim_user_by_external_id("E-1").unwrap()["active"],
        false,
        "read back by the test"
    );

    // Refusals with their scimType.
    for (operations, status, scim_type) in [
        (json!([{"op": "remove"}]), 400, "noTarget"),
        (
            json!([{"op": "replace", "path": "emails[type eq \"fax\"].value", "value": "x"}]),
            400,
            "noTarget",
        ),
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            400,
            "mutability",
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq", "value": "x"}]),
            400,
            "invalidPath",
        ),
        (
            json!([{"op": "replace", "path": "active", "value": "False"}]),
            400,
            "invalidValue",
        ),
    ] {
        let (got, body) = scim.patch(&id, operations.clone()).await;
        assert_eq!(
            (got, body["scimType"].as_str()),
            (status, Some(scim_type)),
            "{operations}"
        );
    }
    assert_eq!(
        sims.scim_user(&id).unwrap()["active"],
        false,
        "a failed PATCH changes nothing"
    );
    let (status, not_patch, _) = scim
        .send(
            reqwest::Method::PATCH,
            &format!("/Users/{id}"),
            Some(json!({"Operations": []})),
        )
        .await;
    assert_eq!((status, not_patch["scimType"].as_str()), (400, Some("invalidSyntax")));

    // PUT replaces the whole user; DELETE removes it.
    let mut replacement = user(1);
    replacement["userName"] = json!("pat@acme.example");
    replacement.as_object_mut().unwrap().remove("title");
    let (status, replaced, _) = scim
        .send(reqwest::Method::PUT, &format!("/Users/{id}"), Some(replacement))
        .await;
    assert_eq!(status, 200);
    assert!(replaced.get("title").is_none());
    assert_eq!(replaced["id"], id);
    assert_eq!(replaced["meta"]["created"], created["meta"]["created"]);
    assert_eq!(
        scim.send(reqwest::Method::DELETE, &format!("/Users/{id}"), None)
            .await
            .0,
        204
    );
    let (status, missing, _) = scim.send(reqwest::Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!((status, missing["status"].as_str()), (404, Some("404")));

    // A record the target refuses.
    sims.refuse_scim_users_containing("blocked.example");
    let mut refused = user(3);
    refused["userName"] = json!("someone@blocked.example");
    let (status, body, _) = scim.send(reqwest::Method::POST, "/Users", Some(refused)).await;
    assert_eq!((status, body["scimType"].as_str()), (400, Some("invalidValue")));

    let anonymous = client()
        .get(format!("{}/Users", sims.scim_base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    sims.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_and_discovery() {
    let sims = start().await;
    for n in 0..250 {
        sims.add_scim_user(user(n)).unwrap();
    }
    let page = |start: &str, count: &str| {
        client()
            .get(format!("{}/Users", sims.scim_base_url()))
            .query(&[("startIndex", start), ("count", count)])
            .bearer_auth(TOKEN)
            .send()
    };
    let body: Value = page("241", "20").await.unwrap().json().await.unwrap();
    assert_eq!(body["totalResults"], 250);
    assert_eq!(body["startIndex"], 241);
    assert_eq!(body["itemsPerPage"], 10);
    assert_eq!(body["Resources"][0]["externalId"], "E-240", "creation order");
    let capped: Value = page("1", "1000").await.unwrap().json().await.unwrap();
    assert_eq!(capped["itemsPerPage"], 200, "maxResults");
    let zero: Value = page("0", "-5").await.unwrap().json().await.unwrap();
    assert_eq!(
        (zero["startIndex"].clone(), zero["itemsPerPage"].clone()),
        (json!(1), json!(0))
    );

    let get = |path: &str| client().get(format!("{}{path}", sims.scim_base_url())).send();
    let config: Value = get("/ServiceProviderConfig").await.unwrap().json().await.unwrap();
    assert_eq!(config["patch"]["supported"], true);
    assert_eq!(config["filter"]["maxResults"], 200);
    let schemas: Value = get("/Schemas").await.unwrap().json().await.unwrap();
    assert_eq!(schemas["totalResults"], 2);
    let types: Value = get("/ResourceTypes").await.unwrap().json().await.unwrap();
    assert_eq!(types["Resources"][0]["schemaExtensions"][0]["schema"], ENTERPRISE);
    assert_eq!(get("/ResourceTypes/User").await.unwrap().status(), 200);
    sims.stop().await;
}
