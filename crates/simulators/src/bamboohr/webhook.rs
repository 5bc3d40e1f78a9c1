//! BambooHR webhook deliveries. Field-based ones (documentation.bamboohr.com, "Webhooks"; the api-evangelist
//! AsyncAPI description of them) are `{"employees": [{"id", "action", "timestamp", "fields", "changedFields"}]}`;
//! event-based ones are built in `hooks.rs`. Both are signed with `X-BambooHR-Signature` = hex HMAC-SHA256 keyed with the webhook's private key over the body
//! followed by `X-BambooHR-Timestamp`.
//!
//! The timestamp header's format is not spelled out in the docs; public verifiers sign and check it as Unix
//! seconds (`1700000000`), which is what this sends.
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::fields;
use crate::people::{ChangeAction, Population};

/// The fields a webhook posts unless told otherwise, under their API aliases (a webhook can post any field, under
/// any name; these are what the hub reads).
pub const DEFAULT_POST_FIELDS: &[&str] = &[
    "firstName",
    "lastName",
    "preferredName",
    "workEmail",
    "jobTitle",
    "department",
    "location",
    "supervisorEId",
    "status",
    "hireDate",
    "terminationDate",
];

/// BambooHR's webhook user agent, as public receivers check it.
pub const USER_AGENT: &str = "BambooHR-WebHooks/1.0 (+https://www.bamboohr.com)";

pub fn sign(body: &[u8], timestamp: &str, private_key: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(private_key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.update(timestamp.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// One `employees[]` entry for person `index`, with the current values of `post_fields`.
pub fn entry(population: &Population, index: u32, changed_fields: &[&str], post_fields: &[&str]) -> Value {
    let change = population.last_change(index);
    let action = match change.map(|c| c.action) {
        Some(ChangeAction::Inserted) => "Created",
        Some(ChangeAction::Deleted) => "Deleted",
        _ => "Updated",
    };
    let mut values = Map::new();
    if let Some(person) = population.get(index) {
        for alias in post_fields {
            if let Some(value) = fields::value(population, index, &person, alias) {
                values.insert((*alias).to_owned(), value);
            }
        }
    }
    json!({
        "id": fields::employee_id(index),
        "action": action,
        "timestamp": change.map_or_else(|| chrono::Utc::now().to_rfc3339(), |c| c.at.to_rfc3339()),
        "fields": values,
        "changedFields": changed_fields,
    })
}

/// A signed delivery as sent: the body and the headers that go with it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub body: Vec<u8>,
    pub timestamp: String,
    pub signature: String,
}

/// A field-based delivery of `employees` entries.
pub fn prepare(employees: Vec<Value>, private_key: &str, timestamp: i64) -> Delivery {
    let body = serde_json::to_vec(&json!({"employees": employees})).expect("JSON serialises");
    signed(body, private_key, timestamp)
}

/// Any body, signed as sent at `timestamp` (Unix seconds).
pub fn signed(body: Vec<u8>, private_key: &str, timestamp: i64) -> Delivery {
    let timestamp = timestamp.to_string();
    let signature = sign(&body, &timestamp, private_key);
    Delivery {
        body,
        timestamp,
        signature,
    }
}

/// Posts a prepared delivery; returns the status the receiver answered.
pub async fn deliver(url: &str, delivery: &Delivery) -> Result<u16, reqwest::Error> {
    let response = crate::delivery::client()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(reqwest::header::USER_AGENT, USER_AGENT)
        .header("X-BambooHR-Timestamp", &delivery.timestamp)
        .header("X-BambooHR-Signature", &delivery.signature)
        .body(delivery.body.clone())
        .send()
        .await?;
    Ok(response.status().as_u16())
}
