//! The HTTP layer of Integration Hub: routes, extractors, the one mapping of domain errors to problem+json, the
//! OpenAPI document and serving the web app. Handlers are thin: parse, authorise, call one domain service, map the
//! result. The `ihub` crate decides when and where it listens.
pub mod app;
pub mod error;
pub mod extract;
pub mod openapi;
mod request_log;
pub mod routes;
pub mod spa;
pub mod state;
