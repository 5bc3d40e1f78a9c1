//! The HTTP layer of Integration Hub and the `ihub` command's wiring. Handlers are thin: parse, authorise, call
//! one domain service, map the result.
pub mod app;
pub mod cli;
pub mod config;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod routes;
pub mod runtime;
pub mod spa;
pub mod state;
