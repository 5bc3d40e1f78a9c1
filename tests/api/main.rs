//! The hub over real HTTP, each test on SQLite and on PostgreSQL.
mod harness;

mod api_keys;
mod auth;
mod connections;
mod docs;
mod integration_dates;
mod integrations;
mod logs;
mod model;
mod oauth;
mod records;
mod roles;
mod schedules;
mod security;
mod sync;
mod sync_edges;
mod tenancy;
mod users;
mod validation;
mod webhooks;
