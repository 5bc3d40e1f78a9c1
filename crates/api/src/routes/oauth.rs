use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, get, web};
use ihub_domain::connections;
use ihub_domain::{DomainError, Hub};
use serde::Deserialize;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::error::ApiResult;
use crate::state::OAuthCallback;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(oauth_callback);
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// The `state` of the authorize URL the hub issued.
    pub state: String,
    /// The authorisation code, when the user approved.
    pub code: Option<String>,
    /// The provider's error code, when the user or provider refused (RFC 6749 §4.1.2.1).
    pub error: Option<String>,
    pub error_description: Option<String>,
}

/// Where the OAuth provider sends the browser back. Needs no token: the one-time `state` names the flow.
///
/// Stores the tokens, tests the connection, and redirects to the flow's `return_to` with `oauth=connected` or
/// `oauth=error` added.
#[utoipa::path(tag = "connections", params(CallbackQuery),
    responses(
        (status = 303, description = "Back to the web app"),
        (status = 422, description = "Unknown, used or expired state", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[get("/oauth/callback")]
async fn oauth_callback(
    req: HttpRequest,
    hub: web::Data<Hub>,
    callback: web::Data<OAuthCallback>,
    query: web::Query<CallbackQuery>,
) -> ApiResult<HttpResponse> {
    let error = query.error.as_deref().map(|e| match &query.error_description {
        Some(description) => format!("{e}: {description}"),
        None => e.to_owned(),
    });
    let outcome =
        match connections::finish_connect(&hub, &query.state, query.code.as_deref(), error.as_deref(), &callback.0)
            .await
        {
            Ok(outcome) => outcome,
            // A person pressing Back or Reload on the callback reuses a spent state: send them back into the app
            // with the outcome rather than leave them on a JSON document. Scripts asking for JSON get the problem.
            Err(DomainError::Validation(_)) if wants_html(&req) => {
                return Ok(HttpResponse::SeeOther()
                    .insert_header((LOCATION, "/connections?oauth=expired"))
                    .finish());
            }
            Err(e) => return Err(e.into()),
        };
    let result = match outcome.connection.status {
        connections::ConnectionStatus::Connected => "connected",
        _ => "error",
    };
    let separator = if outcome.return_to.contains('?') { '&' } else { '?' };
    let location = format!(
        "{}{separator}oauth={result}&connection={}",
        outcome.return_to, outcome.connection.id
    );
    Ok(HttpResponse::SeeOther().insert_header((LOCATION, location)).finish())
}

fn wants_html(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}
