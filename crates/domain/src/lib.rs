//! Business types and rules of Integration Hub, and their persistence. Both the api and the worker call these
//! services; nothing here knows about HTTP.
pub mod api_keys;
pub mod auth;
pub mod catalog;
pub mod connections;
pub mod database;
pub mod entities;
pub mod error;
pub mod hub;
pub mod integration_dates;
pub mod integrations;
pub mod jobs;
pub mod logs;
pub mod organisations;
pub mod pagination;
pub mod people;
pub mod queue;
pub mod roles;
pub mod runs;
pub mod schedules;
pub mod secrets;
pub mod sync;
pub mod users;
mod validate;
pub mod webhooks;

pub use error::{DomainError, FieldError, Result};
pub use hub::{Environment, Hub};
pub use roles::{Principal, Role};
