//! The OpenAPI document: collected from the routes by utoipa-actix-web, plus the parts no single route owns
//! (security scheme, the standard problem responses).
use actix_web::App;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Content, OpenApi as OpenApiDoc, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi, PartialSchema, ToSchema};
use utoipa_actix_web::{AppExt, scope};

use crate::error::{PROBLEM_JSON, Problem};
use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Integration Hub API",
        description = "Keeps people data in sync between an HR system (the source of truth) and the systems that \
                       need it. Authenticate with `POST /api/v1/auth/login` and send `Authorization: Bearer <token>`, \
                       or use an API key the same way. Errors are RFC 9457 problem documents with a stable `code`.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "auth", description = "Sign-in and tokens"),
        (name = "users", description = "The caller and the organisation's users"),
        (name = "api-keys", description = "Keys for scripts"),
        (name = "connections", description = "Connector catalog and configured connections"),
        (name = "integrations", description = "Source-to-target syncs and their lifecycle"),
        (name = "logs", description = "What runs did and what went wrong; mark entries checked"),
        (name = "schedules", description = "When integrations sync by themselves: cron or every N units, in a time zone"),
        (name = "runs", description = "Runs of integrations and their reports: record lines, CSV, cancel, resume, replay"),
        (name = "webhooks", description = "Deliveries from sources, and each integration's webhook URL"),
        (name = "queue", description = "Webhook events waiting to be synced, done, or archived as failed"),
        (name = "health", description = "Liveness and readiness"),
    ),
    modifiers(&Standard),
)]
struct ApiDoc;

/// The document as the running app serves it.
pub fn document() -> OpenApiDoc {
    let (_, mut doc) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .service(scope::scope("/api/v1").configure(routes::v1))
        .configure(routes::health::configure)
        .split_for_parts();
    Standard.modify(&mut doc);
    doc
}

pub fn to_json(doc: &OpenApiDoc) -> String {
    doc.to_pretty_json().expect("the OpenAPI document serialises") + "\n"
}

/// Adds the bearer scheme and, to every operation, the problem responses its shape implies, so each route need
/// only declare the answers that are particular to it.
struct Standard;

const STANDARD: &[(&str, &str, &str)] = &[
    ("400", "BadRequest", "The body is not valid JSON"),
    ("401", "Unauthorized", "No valid access token or API key"),
    ("403", "Forbidden", "The caller's role does not allow this"),
    ("404", "NotFound", "No such object in the caller's organisation"),
    ("413", "PayloadTooLarge", "The body is over the size limit"),
    ("415", "UnsupportedMediaType", "The body is not `application/json`"),
    ("422", "Unprocessable", "A field is invalid; `errors` names each one"),
];

impl Modify for Standard {
    fn modify(&self, doc: &mut OpenApiDoc) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.security_schemes.insert(
            "bearer".into(),
            RefOr::T(SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT access token or ihub_ API key")
                    .build(),
            )),
        );
        let mut schemas = vec![("Problem".to_owned(), <Problem as PartialSchema>::schema())];
        <Problem as ToSchema>::schemas(&mut schemas);
        components.schemas.extend(schemas);
        for (_, name, description) in STANDARD {
            let response: Response = ResponseBuilder::new()
                .description(*description)
                .content(PROBLEM_JSON, Content::new(Some(Ref::from_schema_name("Problem"))))
                .build();
            components.responses.insert((*name).into(), RefOr::T(response));
        }
        for item in doc.paths.paths.values_mut() {
            for op in [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                add_standard_responses(op);
            }
        }
    }
}

fn add_standard_responses(op: &mut Operation) {
    let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
    let params = op.parameters.as_deref().unwrap_or_default();
    let has_path = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Path));
    let has_query = params
        .iter()
        .any(|p| matches!(p, RefOr::T(p) if p.parameter_in == ParameterIn::Query));
    let has_body = op.request_body.is_some();
    for (status, name, _) in STANDARD {
        let applies = match *status {
            "401" | "403" => secured,
            "404" => has_path,
            "400" | "413" | "415" => has_body,
            "422" => has_body || has_query,
            _ => false,
        };
        if applies {
            op.responses
                .responses
                .entry((*status).into())
                .or_insert_with(|| RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))));
        }
    }
}
