//! Accounts: organisations (tenants), their users, sign-in with rotating refresh tokens, API keys, and roles.
pub mod api_keys;
pub mod auth;
pub mod organisations;
pub mod roles;
pub mod users;
