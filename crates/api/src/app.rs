//! Building the actix application and running the HTTP server.
use std::path::PathBuf;
use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServerHandle, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use ihub_domain::Hub;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::ApiError;
use crate::extract::{path_config, query_config};
use crate::openapi;
use crate::routes;
use crate::spa::Spa;
use crate::state::{Limits, LoginLimiter, OAuthCallback};

/// Everything the HTTP app needs, cloned into each server worker thread.
#[derive(Clone)]
pub struct AppContext {
    pub hub: Hub,
    pub limits: Limits,
    pub login_limiter: LoginLimiter,
    pub oauth_callback: OAuthCallback,
    pub spa: Arc<Spa>,
    pub openapi: Arc<utoipa::openapi::OpenApi>,
    pub receivers: web::Data<crate::routes::hooks::Receivers>,
}

impl AppContext {
    pub fn new(
        hub: Hub,
        limits: Limits,
        login_limiter: LoginLimiter,
        oauth_callback: OAuthCallback,
        web_dir: Option<PathBuf>,
    ) -> Self {
        Self {
            hub,
            limits,
            login_limiter,
            oauth_callback,
            spa: Arc::new(Spa::locate(web_dir)),
            openapi: Arc::new(openapi::document()),
            receivers: web::Data::new(crate::routes::hooks::Receivers::default()),
        }
    }
}

pub fn build(
    ctx: AppContext,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let spa = ctx.spa.clone();
    let (app, _) = App::new()
        .app_data(web::Data::new(ctx.hub.clone()))
        .app_data(web::Data::new(ctx.limits.clone()))
        .app_data(web::Data::new(ctx.login_limiter.clone()))
        .app_data(ctx.receivers.clone())
        .app_data(web::Data::new(ctx.oauth_callback.clone()))
        .app_data(path_config())
        .app_data(query_config())
        .into_utoipa_app()
        .service(scope::scope("/api/v1").configure(routes::v1))
        .configure(routes::health::configure)
        .split_for_parts();
    app.service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", (*ctx.openapi).clone()))
        .service(web::redirect("/api/docs", "/api/docs/"))
        .default_service(web::to(move |req: HttpRequest| {
            let spa = spa.clone();
            async move { fallback(&req, &spa).await }
        }))
        .wrap_fn(|req, srv| {
            use actix_web::dev::Service;
            let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
            let fut = srv.call(req);
            async move {
                let mut res = fut.await?;
                if let Some(id) = request_id.and_then(|id: String| HeaderValue::from_str(&id).ok()) {
                    res.headers_mut().insert(HeaderName::from_static("x-request-id"), id);
                }
                Ok(res)
            }
        })
        .wrap(TracingLogger::<crate::request_log::RedactedRootSpan>::new())
}

/// Unknown API paths answer a problem document; everything else belongs to the SPA's client-side routes.
async fn fallback(req: &HttpRequest, spa: &Spa) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    if path.starts_with("/api/") || path == "/api" || path.starts_with("/healthz") || path.starts_with("/readyz") {
        return Err(ApiError::NoRoute);
    }
    if req.method() != actix_web::http::Method::GET && req.method() != actix_web::http::Method::HEAD {
        return Err(ApiError::MethodNotAllowed(format!(
            "{} is not allowed here",
            req.method()
        )));
    }
    Ok(spa.serve(req).await)
}

/// The worker's own small server: `/healthz` and `/readyz` only, on a socket the caller bound.
pub fn serve_health(
    hub: Hub,
    listener: std::net::TcpListener,
) -> std::io::Result<(Server, ServerHandle, std::net::SocketAddr)> {
    let bound = listener.local_addr()?;
    let server = HttpServer::new(move || {
        let (app, _) = App::new()
            .app_data(web::Data::new(hub.clone()))
            .into_utoipa_app()
            .configure(routes::health::configure)
            .split_for_parts();
        app.default_service(web::to(|| async { Err::<HttpResponse, _>(ApiError::NoRoute) }))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(5)
    .listen(listener)?
    .run();
    let handle = server.handle();
    Ok((server, handle, bound))
}

/// Binds and starts the server; the caller stops it through the handle.
pub fn serve(
    ctx: AppContext,
    listen: std::net::SocketAddr,
) -> std::io::Result<(Server, ServerHandle, std::net::SocketAddr)> {
    serve_on(ctx, std::net::TcpListener::bind(listen)?)
}

/// Starts the server on a socket the caller bound (tests bind first to learn the port the hub's URLs need).
pub fn serve_on(
    ctx: AppContext,
    listener: std::net::TcpListener,
) -> std::io::Result<(Server, ServerHandle, std::net::SocketAddr)> {
    let bound = listener.local_addr()?;
    let server = HttpServer::new(move || build(ctx.clone()))
        .disable_signals()
        .shutdown_timeout(30)
        .listen(listener)?
        .run();
    let handle = server.handle();
    Ok((server, handle, bound))
}
