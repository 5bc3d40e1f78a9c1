//! The api crate's one error type and its single mapping to HTTP: RFC 9457 problem details.
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use ihub_domain::{DomainError, FieldError};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// An RFC 9457 problem document. `code` is stable for scripts; `title` and `detail` are for people.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the problem type.
    #[schema(example = "urn:ihub:problem:validation_error")]
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(example = "Request is invalid")]
    pub title: String,
    #[schema(example = 422)]
    pub status: u16,
    #[schema(example = "settings.base_url: must be an absolute http(s) URL")]
    pub detail: String,
    /// Stable, machine-readable error code.
    #[schema(example = "validation_error")]
    pub code: String,
    /// For validation problems: every offending field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[serde(default)]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request body must be at most {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("the request body must be `application/json`")]
    UnsupportedMediaType,
    #[error("no such resource")]
    NoRoute,
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("{0}")]
    MethodNotAllowed(String),
    /// A webhook delivery not signed (or tokened) the way its source does it.
    #[error("webhook delivery refused: {0}")]
    WebhookUnauthenticated(String),
    #[error("webhook delivery not understood: {0}")]
    WebhookMalformed(String),
}

impl From<ihub_domain::inbound::webhooks::Refusal> for ApiError {
    fn from(refusal: ihub_domain::inbound::webhooks::Refusal) -> Self {
        use ihub_domain::inbound::webhooks::Refusal;
        match refusal {
            Refusal::Unknown => ApiError::Domain(DomainError::NotFound("webhook URL")),
            Refusal::Unauthenticated(reason) => ApiError::WebhookUnauthenticated(reason),
            Refusal::Malformed(reason) => ApiError::WebhookMalformed(reason),
            Refusal::Domain(e) => ApiError::Domain(e),
        }
    }
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Domain(DomainError::invalid(field, message))
    }

    fn code(&self) -> &'static str {
        match self {
            ApiError::Domain(d) => match d {
                DomainError::NotFound(_) => "not_found",
                DomainError::Validation(_) => "validation_error",
                DomainError::Conflict { code, .. } | DomainError::Gone { code, .. } => code,
                DomainError::Unauthenticated(_) => "unauthenticated",
                DomainError::Forbidden(_) => "forbidden",
                DomainError::Database(_) | DomainError::Internal(_) => "internal_error",
            },
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::NoRoute => "not_found",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::WebhookUnauthenticated(_) => "webhook_unauthenticated",
            ApiError::WebhookMalformed(_) => "webhook_malformed",
        }
    }

    fn title(&self) -> &'static str {
        match self.status_code() {
            StatusCode::BAD_REQUEST => "Malformed request",
            StatusCode::UNAUTHORIZED => "Not signed in",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::METHOD_NOT_ALLOWED => "Method not allowed",
            StatusCode::CONFLICT => "Conflict",
            StatusCode::GONE => "Gone",
            StatusCode::PAYLOAD_TOO_LARGE => "Request body too large",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "Unsupported media type",
            StatusCode::UNPROCESSABLE_ENTITY => "Request is invalid",
            StatusCode::TOO_MANY_REQUESTS => "Too many requests",
            _ => "Internal error",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (detail, errors) = match self {
            ApiError::Domain(DomainError::Validation(errors)) => (
                errors
                    .iter()
                    .map(|e| {
                        if e.field.is_empty() {
                            e.message.clone()
                        } else {
                            format!("{}: {}", e.field, e.message)
                        }
                    })
                    .collect::<Vec<_>>()
                    .join("; "),
                errors.clone(),
            ),
            // Internal details go to the log, never to the client.
            ApiError::Domain(DomainError::Database(_) | DomainError::Internal(_)) => {
                ("an internal error occurred; it has been logged".to_owned(), Vec::new())
            }
            other => (other.to_string(), Vec::new()),
        };
        Problem {
            kind: format!("urn:ihub:problem:{}", self.code()),
            title: self.title().to_owned(),
            status: status.as_u16(),
            detail,
            code: self.code().to_owned(),
            errors,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Domain(d) => match d {
                DomainError::NotFound(_) => StatusCode::NOT_FOUND,
                DomainError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
                DomainError::Conflict { .. } => StatusCode::CONFLICT,
                DomainError::Gone { .. } => StatusCode::GONE,
                DomainError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
                DomainError::Forbidden(_) => StatusCode::FORBIDDEN,
                DomainError::Database(_) | DomainError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NoRoute => StatusCode::NOT_FOUND,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::WebhookUnauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::WebhookMalformed(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if self.status_code().is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type(PROBLEM_JSON);
        match self {
            ApiError::Domain(DomainError::Unauthenticated(_)) => {
                response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            ApiError::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
