//! Registering the hub's webhook URL through BambooHR's Webhook API (a "permissioned" webhook: it sees what the
//! API key's user may see). Facts from documentation.bamboohr.com ("Permissioned Webhooks", "Event-Based
//! Webhooks", reference "Employee Updated") and BambooHR's generated SDK (github.com/BambooHR/bhr-api-python,
//! docs/WebhooksApi.md, NewWebHook.md, Webhook.md, WebhooksListWebhooksInner.md, WebhookEventType.md):
//!
//! - `GET webhooks/monitor_fields` → `{"fields": [{id, name, alias}]}`: what this key's webhooks may monitor.
//! - `GET webhooks/` → `{"webhooks": [{id, name, created, lastSent, url}]}`: this key's webhooks (ids as strings).
//! - `POST webhooks/` with `{name, monitorFields, url, format, events}` → 201 with the webhook's `id` and its
//!   `privateKey`, which "is included in the create webhook only".
//! - `DELETE webhooks/{id}` → 200; 404 when it is already gone.
//! - Event-based webhooks (`employee.created`, `employee.updated`, `employee.deleted`) are "the recommended way"
//!   and the events BambooHR asks new development to use; `employee.updated` fires when a monitored field changes
//!   and needs at least one. Their deliveries, `{"type", "timestamp", "data": {"employeeId", …}}`, are what
//!   `webhook.rs` reads; a webhook created without `events` would get the legacy field-based ones instead.
//! - BambooHR posts to HTTPS URLs only.
//!
//! Registering again for the same URL replaces the webhook rather than adding one: the private key cannot be
//! read back, so an existing webhook cannot be reused. The new webhook is created and its key stored first, and
//! only then are this key's other webhooks for the same URL deleted, so deliveries never stop; if storing the key
//! fails, the new webhook is deleted again and the old ones stay as they were.
use std::collections::BTreeSet;
use std::sync::Arc;

use ihub_domain::connections::ports::{ConnectorError, CredentialSink, WebhookSetup};
use serde_json::{Value, json};

use super::{Credentials, SYSTEM, Settings};
use crate::http::{Http, Idempotence, RetryPolicy};

/// What the webhook is subscribed to.
pub const EVENTS: [&str; 3] = ["employee.created", "employee.updated", "employee.deleted"];

/// The name the hub's webhooks have in BambooHR.
pub const WEBHOOK_NAME: &str = "Integration Hub";

/// The fields whose changes matter to a sync, by API alias: what `source.rs` reads, with the stored fields behind
/// the calculated ones (`supervisor` and `reportsTo` are the "Reporting to" relation the supervisor's id, name and
/// email follow from; `employmentHistoryStatus` moves with termination). Only those `webhooks/monitor_fields`
/// offers are asked for.
pub const MONITOR_FIELDS: &[&str] = &[
    "firstName",
    "preferredName",
    "lastName",
    "workEmail",
    "jobTitle",
    "department",
    "location",
    "supervisor",
    "reportsTo",
    "supervisorEId",
    "status",
    "employmentHistoryStatus",
    "hireDate",
    "terminationDate",
];

/// BambooHR ids are numbers, sent as strings in some answers and as numbers in others.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

struct Api<'a> {
    http: Http,
    settings: &'a Settings,
    credentials: &'a Credentials,
}

impl Api<'_> {
    async fn send(
        &self,
        idempotence: Idempotence,
        request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ConnectorError> {
        self.http
            .send(idempotence, |c| {
                request(c)
                    .basic_auth(&self.credentials.api_key, Some("x"))
                    .header(reqwest::header::ACCEPT, "application/json")
            })
            .await
    }

    async fn json(
        &self,
        idempotence: Idempotence,
        request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Value, ConnectorError> {
        self.send(idempotence, request)
            .await?
            .json()
            .await
            .map_err(|e| ConnectorError::Rejected(format!("BambooHR did not answer with JSON: {e}")))
    }

    /// The aliases this key's webhooks may monitor.
    async fn monitorable(&self) -> Result<BTreeSet<String>, ConnectorError> {
        let url = self.settings.url("webhooks/monitor_fields");
        let answer = self.json(Idempotence::Idempotent, |c| c.get(&url)).await?;
        Ok(answer
            .get("fields")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|f| f.get("alias").and_then(Value::as_str).map(str::to_owned))
            .collect())
    }

    /// The ids of this key's webhooks that post to `url`.
    async fn posting_to(&self, url: &str) -> Result<Vec<String>, ConnectorError> {
        let list_url = self.settings.url("webhooks/");
        let answer = self.json(Idempotence::Idempotent, |c| c.get(&list_url)).await?;
        Ok(answer
            .get("webhooks")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|w| w.get("url").and_then(Value::as_str) == Some(url))
            .filter_map(|w| id_of(w.get("id")))
            .collect())
    }

    /// Creates the webhook; answers its id and private key.
    async fn create(&self, url: &str, monitor_fields: &[&str]) -> Result<(String, String), ConnectorError> {
        let create_url = self.settings.url("webhooks/");
        let body = json!({
            "name": WEBHOOK_NAME,
            "url": url,
            "format": "json",
            "events": EVENTS,
            "monitorFields": monitor_fields,
        });
        // Not repeated after an ambiguous failure: a second webhook could be the result.
        let created = self
            .json(Idempotence::NotIdempotent, |c| c.post(&create_url).json(&body))
            .await
            .map_err(|e| match e {
                ConnectorError::Rejected(message) if !url.starts_with("https://") => ConnectorError::Config(format!(
                    "{message}; BambooHR sends webhooks to HTTPS URLs only, so the hub's public URL must be https://"
                )),
                other => other,
            })?;
        let id = id_of(created.get("id"))
            .ok_or_else(|| ConnectorError::Rejected("BambooHR created a webhook without an id".into()))?;
        let key = created
            .get("privateKey")
            .and_then(Value::as_str)
            .filter(|k| !k.trim().is_empty())
            .ok_or_else(|| ConnectorError::Rejected("BambooHR created a webhook without a private key".into()))?;
        Ok((id, key.to_owned()))
    }

    /// Deletes a webhook; one already gone is fine.
    async fn delete(&self, id: &str) -> Result<(), ConnectorError> {
        let url = self.settings.url(&format!("webhooks/{id}"));
        match self.send(Idempotence::Idempotent, |c| c.delete(&url)).await {
            Ok(_) | Err(ConnectorError::NotFound(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

/// Creates the hub's webhook for `url`, stores its private key through `sink` as `webhook_private_key`, and
/// removes this key's older webhooks for the same URL.
pub async fn register(
    settings: &Settings,
    credentials: &Credentials,
    sink: Arc<dyn CredentialSink>,
    url: &str,
) -> Result<WebhookSetup, ConnectorError> {
    let api = Api {
        // Someone is waiting on this, as on a connection test.
        http: Http::new(SYSTEM, settings.rate_limit(), RetryPolicy::interactive()),
        settings,
        credentials,
    };
    let offered = api.monitorable().await?;
    let monitor_fields: Vec<&str> = MONITOR_FIELDS
        .iter()
        .copied()
        .filter(|f| offered.contains(*f))
        .collect();
    if monitor_fields.is_empty() {
        return Err(ConnectorError::Config(format!(
            "BambooHR lets this API key's webhooks monitor none of the fields a sync reads ({}); the key's user needs \
             access to them",
            MONITOR_FIELDS.join(", ")
        )));
    }
    let replaced = api.posting_to(url).await?;
    let (webhook_id, private_key) = api.create(url, &monitor_fields).await?;

    let mut stored = credentials.clone();
    stored.webhook_private_key = Some(private_key);
    let stored = serde_json::to_value(&stored).expect("credentials serialise");
    if let Err(e) = sink.store(stored).await {
        // Without its key the new webhook's deliveries would all be refused; the old ones still work.
        if let Err(cleanup) = api.delete(&webhook_id).await {
            tracing::warn!(webhook_id, error = %cleanup, "could not delete a BambooHR webhook whose key was not stored");
        }
        return Err(e);
    }
    for old in replaced.iter().filter(|old| **old != webhook_id) {
        // The new webhook works already; a leftover only sends deliveries the hub refuses (their key is gone), so
        // it is worth a warning, not a failed registration. Registering again removes it.
        if let Err(e) = api.delete(old).await {
            tracing::warn!(webhook_id = %old, error = %e, "could not delete a replaced BambooHR webhook");
        }
    }
    Ok(WebhookSetup::Registered {
        webhook_id,
        events: EVENTS.iter().map(|e| (*e).to_owned()).collect(),
    })
}
