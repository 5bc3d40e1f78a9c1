//! Business types and rules of Integration Hub, and their persistence, grouped by what they are about. Both the api
//! and the worker call these services; nothing here knows about HTTP.
//!
//! - `accounts`: organisations, users, sign-in and tokens, API keys, roles.
//! - `connections`: configured accounts of external systems, and the connector ports (sources, targets, the
//!   canonical person) that `ihub-connectors` implements.
//! - `integrations`: a source joined to a target, with its schedules and dates.
//! - `runs`: one execution of an integration's sync, its lifecycle, the sync itself and its report.
//! - `inbound`: the inbound queue (webhook events waiting to be synced) and the webhook receivers.
//! - `logs`: what happened, for people to read and check.
//! - `job_queue`: the work for workers, as the domain pushes it.
pub mod accounts;
pub mod connections;
pub mod database;
pub mod entities;
pub mod error;
pub mod hub;
pub mod inbound;
pub mod integrations;
pub mod job_queue;
pub mod logs;
pub mod pagination;
pub mod runs;
pub mod secrets;
mod validate;

pub use accounts::roles::{Principal, Role};
pub use error::{DomainError, FieldError, Result};
pub use hub::{Environment, Hub};
