//! sea-orm entities: one module a table. Business rules live in the services beside this module, not here.
pub mod api_key;
pub mod connection;
pub mod integration;
pub mod organisation;
pub mod refresh_token;
pub mod user;
