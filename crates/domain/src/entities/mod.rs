//! sea-orm entities: one module a table. Business rules live in the services beside this module, not here.
pub mod api_key;
pub mod binding;
pub mod connection;
pub mod integration;
pub mod integration_date;
pub mod log_entry;
pub mod oauth_state;
pub mod organisation;
pub mod queue_item;
pub mod refresh_token;
pub mod run;
pub mod run_record;
pub mod schedule;
pub mod user;
