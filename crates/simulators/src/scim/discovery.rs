//! The discovery endpoints (RFC 7644 §4): what the provider supports, its schemas, and its resource types.
//! They answer without authentication, which RFC 7644 §4 allows and most providers do.
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Value, json};

use super::{ENTERPRISE_SCHEMA, LIST_SCHEMA, USER_SCHEMA, base_url, ok, users::MAX_RESULTS};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/ServiceProviderConfig", web::get().to(service_provider_config))
        .route("/Schemas", web::get().to(schemas))
        .route("/Schemas/{id}", web::get().to(schema))
        .route("/ResourceTypes", web::get().to(resource_types))
        .route("/ResourceTypes/{id}", web::get().to(resource_type));
}

async fn service_provider_config(req: HttpRequest) -> HttpResponse {
    ok(
        StatusCode::OK,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": MAX_RESULTS},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": false},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication with a bearer token in the Authorization header",
                "primary": true,
            }],
            "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{}/ServiceProviderConfig", base_url(&req))},
        }),
    )
}

fn attribute(
    name: &str,
    kind: &str,
    multi: bool,
    required: bool,
    case_exact: bool,
    mutability: &str,
    uniqueness: &str,
) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": multi, "required": required, "caseExact": case_exact,
        "mutability": mutability, "returned": "default", "uniqueness": uniqueness,
    })
}

fn complex(name: &str, multi: bool, subs: Vec<Value>) -> Value {
    let mut a = attribute(name, "complex", multi, false, false, "readWrite", "none");
    a["subAttributes"] = Value::Array(subs);
    a
}

fn string(name: &str) -> Value {
    attribute(name, "string", false, false, false, "readWrite", "none")
}

fn user_schema() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": USER_SCHEMA, "name": "User", "description": "User Account",
        "attributes": [
            attribute("userName", "string", false, true, false, "readWrite", "server"),
            attribute("externalId", "string", false, false, true, "readWrite", "none"),
            complex("name", false, vec![string("formatted"), string("familyName"), string("givenName"), string("middleName"), string("honorificPrefix")]),
            string("displayName"), string("nickName"), string("title"), string("userType"),
            string("preferredLanguage"), string("locale"), string("timezone"),
            attribute("active", "boolean", false, false, false, "readWrite", "none"),
            complex("emails", true, vec![string("value"), string("type"), attribute("primary", "boolean", false, false, false, "readWrite", "none")]),
            complex("phoneNumbers", true, vec![string("value"), string("type")]),
            complex("addresses", true, vec![string("formatted"), string("streetAddress"), string("locality"), string("region"), string("postalCode"), string("country"), string("type")]),
        ],
        "meta": {"resourceType": "Schema"},
    })
}

fn enterprise_schema() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": ENTERPRISE_SCHEMA, "name": "EnterpriseUser", "description": "Enterprise User",
        "attributes": [
            string("employeeNumber"), string("costCenter"), string("organization"), string("division"), string("department"),
            complex("manager", false, vec![string("value"), string("$ref"), attribute("displayName", "string", false, false, false, "readOnly", "none")]),
        ],
        "meta": {"resourceType": "Schema"},
    })
}

fn with_location(mut resource: Value, location: String) -> Value {
    resource["meta"]["location"] = json!(location);
    resource
}

fn list(resources: Vec<Value>) -> HttpResponse {
    ok(
        StatusCode::OK,
        json!({"schemas": [LIST_SCHEMA], "totalResults": resources.len(), "startIndex": 1, "itemsPerPage": resources.len(), "Resources": resources}),
    )
}

fn all_schemas(req: &HttpRequest) -> Vec<Value> {
    let base = base_url(req);
    vec![
        with_location(user_schema(), format!("{base}/Schemas/{USER_SCHEMA}")),
        with_location(enterprise_schema(), format!("{base}/Schemas/{ENTERPRISE_SCHEMA}")),
    ]
}

async fn schemas(req: HttpRequest) -> HttpResponse {
    list(all_schemas(&req))
}

async fn schema(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    match all_schemas(&req).into_iter().find(|s| s["id"] == json!(*id)) {
        Some(s) => ok(StatusCode::OK, s),
        None => super::error(404, None, &format!("Schema {id} not found")),
    }
}

fn user_type(req: &HttpRequest) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
        "id": "User", "name": "User", "endpoint": "/Users", "description": "User Account",
        "schema": USER_SCHEMA,
        "schemaExtensions": [{"schema": ENTERPRISE_SCHEMA, "required": false}],
        "meta": {"resourceType": "ResourceType", "location": format!("{}/ResourceTypes/User", base_url(req))},
    })
}

async fn resource_types(req: HttpRequest) -> HttpResponse {
    list(vec![user_type(&req)])
}

async fn resource_type(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    if *id == "User" {
        ok(StatusCode::OK, user_type(&req))
    } else {
        super::error(404, None, &format!("ResourceType {id} not found"))
    }
}
