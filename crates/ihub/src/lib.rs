//! The `ihub` binary: its command line, its configuration, and the roles it runs (`serve`, `api`, `worker`,
//! `migrate`, `admin`, `openapi`). It wires the HTTP layer (`ihub-api`), the worker (`ihub-worker`) and the domain
//! together; each of those knows nothing of the others' configuration.
pub mod cli;
pub mod config;
pub mod runtime;
