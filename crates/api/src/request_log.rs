//! What each request's log span holds. Paths carry secrets here: a webhook's URL ends in its token and the OAuth
//! callback's query holds the code and state. So the span names the route pattern (`/api/v1/webhooks/{token}`)
//! instead of the path, and never the query.
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{Error, HttpMessage};
use tracing::Span;
use tracing::field::Empty;
use tracing_actix_web::{DefaultRootSpanBuilder, RequestId, RootSpanBuilder};

pub struct RedactedRootSpan;

impl RootSpanBuilder for RedactedRootSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let route = route_of(request);
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.client_ip = %request.connection_info().realip_remote_addr().unwrap_or(""),
            request_id = %request_id,
            http.status_code = Empty,
            otel.status_code = Empty,
            exception.message = Empty,
            exception.details = Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, Error>) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// The matched route's pattern; a path that matches no route (the SPA's, an unknown one) is named by its first
/// segment only.
fn route_of(request: &ServiceRequest) -> String {
    request.match_pattern().unwrap_or_else(|| unmatched(request.path()))
}

fn unmatched(path: &str) -> String {
    match path.trim_start_matches('/').split('/').next() {
        Some(first) if !first.is_empty() && !path.starts_with("/api/") => format!("/{first}/…"),
        _ if path == "/" => "/".to_owned(),
        _ => "unmatched".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unmatched_paths_keep_no_more_than_their_first_segment() {
        assert_eq!(unmatched("/"), "/");
        assert_eq!(unmatched("/assets/app-123.js"), "/assets/…");
        assert_eq!(unmatched("/api/v1/webhooks/secret-token/extra"), "unmatched");
    }
}
