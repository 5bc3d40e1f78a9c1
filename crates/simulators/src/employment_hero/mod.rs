//! Employment Hero: the OAuth 2.0 authorization server (`/oauth2/…`, standing in for oauth.employmenthero.com)
//! and the HR REST API v1 (`/api/v1/…`, for api.employmenthero.com), both on the Employment Hero server.
//!
//! Facts from developer.employmenthero.com/api-references ("Authentication", "Webhook") and APIS.md: bearer
//! access tokens, lists wrapped as `{"data": {"items", "page_index", "item_per_page", "total_items",
//! "total_pages"}}`, PKCE required on the authorization code flow from 2026-09-14. Access tokens live 15 minutes
//! and each refresh returns a new refresh token that replaces the old one (docs.stackone.com, Employment Hero
//! connector guide, "Token Expiry").
use actix_web::web;

pub mod api;
pub mod oauth;
pub mod webhook;

pub use oauth::AuthServer;

pub fn configure_api(cfg: &mut web::ServiceConfig) {
    api::configure(cfg);
}

pub fn configure_oauth(cfg: &mut web::ServiceConfig) {
    oauth::configure(cfg);
}

/// A stable UUID for person `index` of a population seeded with `seed`. The index sits in the last group, so
/// it can be read back; the rest is mixed from the seed so ids look like the real ones.
pub fn employee_id(seed: u64, index: u32) -> String {
    let mut h = seed ^ 0xA076_1D64_78BD_642F ^ u64::from(index).wrapping_mul(0xE703_7ED1_A0B4_28DB);
    h = (h ^ (h >> 29)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    h ^= h >> 32;
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        (h >> 32) as u32,
        (h >> 16) as u16,
        (h as u16) & 0x0fff,
        0x8000 | ((h >> 48) as u16 & 0x3fff),
        u64::from(index)
    )
}

pub fn index_of(seed: u64, id: &str) -> Option<u32> {
    let last = id.rsplit('-').next()?;
    let index = u32::try_from(u64::from_str_radix(last, 16).ok()?).ok()?;
    (employee_id(seed, index) == id).then_some(index)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn employee_ids_round_trip() {
        let id = employee_id(42, 1234);
        assert_eq!(id.len(), 36);
        assert_eq!(index_of(42, &id), Some(1234));
        assert_eq!(index_of(43, &id), None, "another seed's ids are unknown");
        assert_ne!(employee_id(42, 1), employee_id(42, 2));
    }
}
