//! sea-orm entities: one module a table. Business rules live in the services beside this module, not here.
pub mod api_key;
pub mod connection;
pub mod integration;
pub mod oauth_state;
pub mod organisation;
pub mod refresh_token;
pub mod user;
