//! Permissioned webhooks: created, listed, read, replaced and deleted through the API, and fired when a monitored
//! field of an employee changes in the shared population.
//!
//! Facts, from documentation.bamboohr.com ("Permissioned Webhooks", "Event-Based Webhooks", "Webhooks: Security";
//! reference "Employee Created", "Employee Updated", "Employee Deleted") and BambooHR's generated SDK
//! (github.com/BambooHR/bhr-api-python, docs/WebhooksApi.md, NewWebHook.md, Webhook.md, WebHookResponse.md,
//! WebhooksListWebhooksInner.md, WebHookLogResponse.md, WebhookEventType.md, FieldList.md):
//! - `POST webhooks/` with `{name, monitorFields, postFields?, url, format?, includeCompanyDomain?, events?}` (the
//!   older docs add `frequency` and `limit`) → 201 with the webhook and its `privateKey`, which no other answer
//!   carries. 400 for bad JSON or missing fields, 401 for a bad key, 403 for fields the key may not see.
//! - `GET webhooks/` → `{"webhooks": [{id, name, created, lastSent, url}]}`, the webhooks of the calling key, ids
//!   as strings and times as `YYYY-MM-DD HH:MM:SS` UTC; `GET webhooks/{id}/` → the webhook without its private
//!   key (the id a number); `PUT webhooks/{id}/` replaces it; `DELETE webhooks/{id}/` → 200; unknown ids 404.
//! - `GET webhooks/{id}/log` → `{webhookId, url, lastAttempted, lastSuccess, failureCount, status, employeeIds}`.
//! - `GET webhooks/monitor_fields` → `{"fields": [{id, name, alias}]}`.
//! - `events`: `employee.created`, `employee.updated`, `employee.deleted` (event-based: "the recommended way",
//!   "use this new event for all new development"), or the legacy `employee_with_fields.*` (field-based), which is
//!   what a webhook created without events gets. The two kinds cannot be mixed on one webhook. `employee.updated`
//!   (and a webhook without events) needs at least one monitor field, and fires only when one of them changes;
//!   `changedFields` names the changed monitored fields by alias.
//! - Event-based deliveries are `{"type", "timestamp": "2026-01-31T18:42:00+0000", "data": {"companyId",
//!   "employeeId", "changedFields"}}`, one event each; creating an employee fires `employee.created` and then
//!   `employee.updated`.
//! - Deliveries go to HTTPS URLs only, signed as in `webhook.rs`.
//!
//! Where the simulator departs from BambooHR: plain `http://` is taken for loopback hosts (tests and the demo have
//! no TLS); only the `json` format is sent; each change is sent once, straight away (no batching by `frequency` or
//! `limit`, which are kept and shown, and no retries); effective-dated changes fire when they are made; the
//! company-domain header `includeCompanyDomain` asks for is not sent (its name is not documented); monitor fields
//! the simulator does not know are refused with 400 where BambooHR would say 403.
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;

use super::{error, fields, refusal, webhook};
use crate::SimState;
use crate::people::{Person, Population};

/// The event-based events, recommended for new integrations.
pub const EVENTS: [&str; 3] = ["employee.created", "employee.updated", "employee.deleted"];
/// The legacy field-based events, subscribed to when a webhook is created without `events`.
pub const FIELD_BASED_EVENTS: [&str; 3] = [
    "employee_with_fields.created",
    "employee_with_fields.updated",
    "employee_with_fields.deleted",
];
/// The simulated company's id, as event-based deliveries carry it.
pub const COMPANY_ID: &str = "1";
/// The delivery log keeps this many of the latest attempts.
const LOG_LIMIT: usize = 10_000;

/// Fields that follow from others and so are not offered for monitoring: the display name, the supervisor's ids
/// and email (BambooHR's global webhooks monitor the relation as "Reporting to", here `supervisor`), and the stamp.
const CALCULATED: &[&str] = &[
    "id",
    "displayName",
    "supervisorId",
    "supervisorEId",
    "supervisorEmail",
    "lastChanged",
];

/// (id, alias, name) of every field a webhook can monitor.
pub fn monitorable() -> impl Iterator<Item = (usize, &'static str, &'static str)> {
    fields::FIELDS
        .iter()
        .enumerate()
        .filter(|(_, (alias, _, _))| !CALCULATED.contains(alias))
        .map(|(i, (alias, name, _))| (i + 1, *alias, *name))
}

/// A webhook as registered, private key included.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Webhook {
    pub id: u64,
    pub name: String,
    pub url: String,
    pub monitor_fields: Vec<String>,
    /// Field alias → the name it is posted under, in field-based deliveries.
    pub post_fields: Map<String, Value>,
    pub format: String,
    pub include_company_domain: bool,
    pub events: Vec<String>,
    pub frequency: Option<Value>,
    pub limit: Option<Value>,
    pub private_key: String,
    pub created: DateTime<Utc>,
    pub last_sent: Option<DateTime<Utc>>,
}

impl Webhook {
    fn field_based(&self) -> bool {
        self.events.iter().any(|e| e.starts_with("employee_with_fields."))
    }

    fn subscribed(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

/// One delivery a registered webhook made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeliveryAttempt {
    pub webhook_id: u64,
    pub url: String,
    /// `employee.updated`, or `employee_with_fields.updated` from a field-based webhook.
    pub event: String,
    pub employee_id: String,
    pub attempted_at: DateTime<Utc>,
    /// What the receiver answered; `None` when it could not be reached, and then `error` says why.
    pub status: Option<u16>,
    pub error: Option<String>,
}

impl DeliveryAttempt {
    pub fn succeeded(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// A body waiting to be signed and sent.
#[derive(Debug)]
struct Outgoing {
    event: String,
    employee_id: String,
    body: Vec<u8>,
}

#[derive(Debug)]
struct Entry {
    hook: Webhook,
    /// Sent in order, one at a time, by one task while `sending`.
    outbox: VecDeque<Outgoing>,
    sending: bool,
}

/// The company's webhooks, what they still have to send, and what they sent.
#[derive(Debug, Default)]
pub struct Registry {
    next_id: u64,
    entries: BTreeMap<u64, Entry>,
    log: VecDeque<DeliveryAttempt>,
    senders: Vec<JoinHandle<()>>,
}

pub type Shared = Arc<Mutex<Registry>>;

impl Registry {
    pub fn webhooks(&self) -> Vec<Webhook> {
        self.entries.values().map(|e| e.hook.clone()).collect()
    }

    /// Oldest first.
    pub fn deliveries(&self) -> Vec<DeliveryAttempt> {
        self.log.iter().cloned().collect()
    }

    fn record(&mut self, attempt: DeliveryAttempt) {
        if self.log.len() == LOG_LIMIT {
            self.log.pop_front();
        }
        self.log.push_back(attempt);
    }
}

/// Waits until everything queued so far has been sent and answered, or has failed.
pub async fn flush(registry: &Shared) {
    loop {
        let senders = std::mem::take(&mut registry.lock().expect("lock").senders);
        if senders.is_empty() {
            return;
        }
        for sender in senders {
            // A sender dropped with its runtime (a stopped server) has nothing left to wait for.
            let _ = sender.await;
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Created,
    Updated,
    Deleted,
}

impl Change {
    fn verb(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
        }
    }

    /// As field-based entries spell it.
    fn action(self) -> &'static str {
        match self {
            Self::Created => "Created",
            Self::Updated => "Updated",
            Self::Deleted => "Deleted",
        }
    }
}

/// A value that says something: not null, not empty, not BambooHR's empty date.
fn present(value: Option<Value>) -> Option<Value> {
    value.filter(|v| !v.is_null() && v.as_str().is_none_or(|s| !s.is_empty() && s != "0000-00-00"))
}

/// The monitorable fields whose values differ between `before` and `after` (absent: the person did not exist).
fn changed_fields(
    population: &Population,
    index: u32,
    before: Option<&Person>,
    after: Option<&Person>,
) -> Vec<&'static str> {
    let render =
        |person: Option<&Person>, alias: &str| present(person.and_then(|p| fields::value(population, index, p, alias)));
    monitorable()
        .map(|(_, alias, _)| alias)
        .filter(|alias| render(before, alias) != render(after, alias))
        .collect()
}

fn body(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).expect("JSON serialises")
}

/// What `hook` sends about a change of person `index`.
fn outgoing(
    hook: &Webhook,
    change: Change,
    changed: &[&str],
    population: &Population,
    index: u32,
    after: Option<&Person>,
    at: DateTime<Utc>,
) -> Vec<Outgoing> {
    let watched: Vec<&str> = changed
        .iter()
        .copied()
        .filter(|f| hook.monitor_fields.iter().any(|m| m == f))
        .collect();
    let employee_id = fields::employee_id(index);
    let message = |event: String, body: Vec<u8>| Outgoing {
        event,
        employee_id: employee_id.clone(),
        body,
    };
    if hook.field_based() {
        let event = format!("employee_with_fields.{}", change.verb());
        if !hook.subscribed(&event) || (change == Change::Updated && watched.is_empty()) {
            return Vec::new();
        }
        let mut posted = Map::new();
        for (alias, name) in &hook.post_fields {
            let value = after.and_then(|p| fields::value(population, index, p, alias));
            if let (Some(value), Some(name)) = (value, name.as_str()) {
                posted.insert(name.to_owned(), value);
            }
        }
        let entry = json!({"id": employee_id, "action": change.action(), "timestamp": at.to_rfc3339(),
            "fields": posted, "changedFields": watched});
        return vec![message(event, body(&json!({"employees": [entry]})))];
    }
    let timestamp = at.format("%Y-%m-%dT%H:%M:%S%z").to_string();
    let event = |kind: &str, changed: Option<&[&str]>| {
        let mut data = json!({"companyId": COMPANY_ID, "employeeId": employee_id});
        if let Some(changed) = changed {
            data["changedFields"] = json!(changed);
        }
        let kind = kind.to_owned();
        let payload = json!({"type": kind, "timestamp": timestamp, "data": data});
        message(kind, body(&payload))
    };
    let mut out = Vec::new();
    let updated = hook.subscribed("employee.updated") && !watched.is_empty();
    match change {
        Change::Created => {
            if hook.subscribed("employee.created") {
                out.push(event("employee.created", None));
            }
            // Create-then-initialise: the new record's fields arrive as an update right after.
            if updated {
                out.push(event("employee.updated", Some(&watched)));
            }
        }
        Change::Updated if updated => out.push(event("employee.updated", Some(&watched))),
        Change::Updated => {}
        Change::Deleted if hook.subscribed("employee.deleted") => out.push(event("employee.deleted", None)),
        Change::Deleted => {}
    }
    out
}

/// Queues what a change of person `index` fires on every webhook it concerns and starts sending, without waiting
/// for any receiver. `before` is `None` for a new person, `after` for a deleted one. Called with the population
/// as it is after the change, under its lock, so deliveries go out in the order changes were made.
pub fn employee_changed(
    registry: &Shared,
    population: &Population,
    index: u32,
    before: Option<&Person>,
    after: Option<&Person>,
) {
    let mut guard = registry.lock().expect("lock");
    if guard.entries.is_empty() {
        return;
    }
    let change = match (before, after) {
        (None, Some(_)) => Change::Created,
        (Some(_), Some(_)) => Change::Updated,
        (Some(_), None) => Change::Deleted,
        (None, None) => return,
    };
    let changed = changed_fields(population, index, before, after);
    let now = Utc::now();
    let Registry {
        entries, senders, log, ..
    } = &mut *guard;
    let runtime = tokio::runtime::Handle::try_current();
    for (id, entry) in entries.iter_mut() {
        let queued = outgoing(&entry.hook, change, &changed, population, index, after, now);
        entry.outbox.extend(queued);
        if entry.sending || entry.outbox.is_empty() {
            continue;
        }
        match &runtime {
            Ok(runtime) => {
                entry.sending = true;
                senders.retain(|s| !s.is_finished());
                senders.push(runtime.spawn(send_outbox(registry.clone(), *id)));
            }
            // Outside an async runtime nothing can send: the attempts fail, as a receiver that is down would.
            Err(_) => {
                for message in entry.outbox.drain(..) {
                    log.push_back(DeliveryAttempt {
                        webhook_id: *id,
                        url: entry.hook.url.clone(),
                        event: message.event,
                        employee_id: message.employee_id,
                        attempted_at: now,
                        status: None,
                        error: Some("changed outside an async runtime: nothing could send the webhook".into()),
                    });
                }
            }
        }
    }
    while log.len() > LOG_LIMIT {
        log.pop_front();
    }
}

/// Sends webhook `id`'s outbox in order, one delivery at a time, signed as it leaves.
async fn send_outbox(registry: Shared, id: u64) {
    loop {
        let (url, key, message) = {
            let mut registry = registry.lock().expect("lock");
            let Some(entry) = registry.entries.get_mut(&id) else {
                return;
            };
            match entry.outbox.pop_front() {
                Some(message) => (entry.hook.url.clone(), entry.hook.private_key.clone(), message),
                None => {
                    entry.sending = false;
                    return;
                }
            }
        };
        let attempted_at = Utc::now();
        let delivery = webhook::signed(message.body, &key, attempted_at.timestamp());
        let result = webhook::deliver(&url, &delivery).await;
        let mut registry = registry.lock().expect("lock");
        if let Some(entry) = registry.entries.get_mut(&id) {
            entry.hook.last_sent = Some(attempted_at);
        }
        registry.record(DeliveryAttempt {
            webhook_id: id,
            url,
            event: message.event,
            employee_id: message.employee_id,
            attempted_at,
            status: result.as_ref().ok().copied(),
            error: result.err().map(|e| e.to_string()),
        });
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The fixed path first: `webhooks/{id}` would otherwise take `monitor_fields` as an id.
    for slash in ["", "/"] {
        cfg.route(
            &format!("/{{company}}/v1/webhooks/monitor_fields{slash}"),
            web::get().to(monitor_fields),
        );
    }
    for slash in ["", "/"] {
        cfg.route(&format!("/{{company}}/v1/webhooks{slash}"), web::get().to(list))
            .route(&format!("/{{company}}/v1/webhooks{slash}"), web::post().to(create))
            .route(&format!("/{{company}}/v1/webhooks/{{id}}{slash}"), web::get().to(get))
            .route(
                &format!("/{{company}}/v1/webhooks/{{id}}{slash}"),
                web::put().to(update),
            )
            .route(
                &format!("/{{company}}/v1/webhooks/{{id}}{slash}"),
                web::delete().to(delete),
            )
            .route(
                &format!("/{{company}}/v1/webhooks/{{id}}/log{slash}"),
                web::get().to(log),
            );
    }
}

/// How the webhook API writes times: `YYYY-MM-DD HH:MM:SS`, UTC.
fn stamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The webhook as `GET webhooks/{id}` answers it, and with its private key as the create answers it.
fn render(hook: &Webhook, with_key: bool) -> Value {
    let mut out = json!({
        "id": hook.id,
        "name": hook.name,
        "created": stamp(hook.created),
        "lastSent": hook.last_sent.map(stamp),
        "monitorFields": hook.monitor_fields,
        "postFields": hook.post_fields,
        "url": hook.url,
        "format": hook.format,
        "includeCompanyDomain": hook.include_company_domain,
        "events": hook.events,
    });
    if let Some(frequency) = &hook.frequency {
        out["frequency"] = frequency.clone();
    }
    if let Some(limit) = &hook.limit {
        out["limit"] = limit.clone();
    }
    if with_key {
        out["privateKey"] = json!(hook.private_key);
    }
    out
}

/// HTTPS, or plain HTTP to this machine (see the module's notes).
fn deliverable(url: &str) -> bool {
    let Ok(url) = url::Url::parse(url) else {
        return false;
    };
    match (url.scheme(), url.host()) {
        ("https", Some(_)) => true,
        ("http", Some(url::Host::Domain(name))) => name.eq_ignore_ascii_case("localhost"),
        ("http", Some(url::Host::Ipv4(ip))) => IpAddr::V4(ip).is_loopback(),
        ("http", Some(url::Host::Ipv6(ip))) => IpAddr::V6(ip).is_loopback(),
        _ => false,
    }
}

fn strings(value: Option<&Value>, field: &str) -> Result<Vec<String>, String> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map(str::to_owned))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| format!("{field} must be a list of strings")),
        Some(_) => Err(format!("{field} must be a list of strings")),
    }
}

/// A webhook from a create or update body, not yet given an id or key; `Err` is the 400's message.
fn parse(body: &[u8]) -> Result<Webhook, String> {
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(body) else {
        return Err("The request body is not a JSON object".into());
    };
    let text = |field: &str| request.get(field).and_then(Value::as_str).map(str::trim);
    let name = text("name")
        .filter(|n| !n.is_empty())
        .ok_or("name is required")?
        .to_owned();
    let url = text("url").ok_or("url is required")?.to_owned();
    if !deliverable(&url) {
        return Err("url must begin with https://".into());
    }
    let format = match text("format").unwrap_or("json") {
        "json" => "json".to_owned(),
        "form-encoded" => return Err("This simulator sends JSON webhooks only: use format json".into()),
        _ => return Err("format must be json or form-encoded".into()),
    };
    let mut events = strings(request.get("events"), "events")?;
    if let Some(unknown) = events
        .iter()
        .find(|e| !EVENTS.contains(&e.as_str()) && !FIELD_BASED_EVENTS.contains(&e.as_str()))
    {
        return Err(format!("Unknown event: {unknown}"));
    }
    let event_based = events.iter().filter(|e| EVENTS.contains(&e.as_str())).count();
    if event_based > 0 && event_based < events.len() {
        return Err("Cannot mix employee_with_fields events with employee events".into());
    }
    if events.is_empty() {
        events = FIELD_BASED_EVENTS.iter().map(|e| (*e).to_owned()).collect();
    }
    let monitor_fields = strings(request.get("monitorFields"), "monitorFields")?;
    if let Some(unknown) = monitor_fields
        .iter()
        .find(|f| !monitorable().any(|(_, alias, _)| alias == f.as_str()))
    {
        return Err(format!("Field {unknown} cannot be monitored"));
    }
    if monitor_fields.is_empty() && events.iter().any(|e| e.ends_with(".updated")) {
        return Err("At least one monitor field is required for update events".into());
    }
    let post_fields = match request.get("postFields") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err("postFields must be an object of field alias to name".into()),
    };
    if let Some((field, _)) = post_fields
        .iter()
        .find(|(alias, name)| fields::describe(alias).is_none() || !name.is_string())
    {
        return Err(format!(
            "postFields: {field} is not a field that can be posted under a name"
        ));
    }
    Ok(Webhook {
        id: 0,
        name,
        url,
        monitor_fields,
        post_fields,
        format,
        include_company_domain: request
            .get("includeCompanyDomain")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        events,
        frequency: request.get("frequency").cloned(),
        limit: request.get("limit").cloned(),
        private_key: String::new(),
        created: Utc::now(),
        last_sent: None,
    })
}

/// 64 hex digits.
fn new_private_key() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

async fn monitor_fields(req: HttpRequest, state: web::Data<SimState>, company: web::Path<String>) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state, &company) {
        return refused;
    }
    let fields: Vec<Value> = monitorable()
        .map(|(id, alias, name)| json!({"id": id, "name": name, "alias": alias}))
        .collect();
    HttpResponse::Ok().json(json!({"fields": fields}))
}

async fn list(req: HttpRequest, state: web::Data<SimState>, company: web::Path<String>) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state, &company) {
        return refused;
    }
    let registry = state.bamboohr_hooks.lock().expect("lock");
    let webhooks: Vec<Value> = registry
        .entries
        .values()
        .map(|e| {
            let hook = &e.hook;
            json!({"id": hook.id.to_string(), "name": hook.name, "created": stamp(hook.created),
                "lastSent": hook.last_sent.map(stamp), "url": hook.url})
        })
        .collect();
    HttpResponse::Ok().json(json!({"webhooks": webhooks}))
}

async fn create(
    req: HttpRequest,
    state: web::Data<SimState>,
    company: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state, &company) {
        return refused;
    }
    let mut hook = match parse(&body) {
        Ok(hook) => hook,
        Err(message) => return error(400, &message),
    };
    let mut registry = state.bamboohr_hooks.lock().expect("lock");
    registry.next_id += 1;
    hook.id = registry.next_id;
    hook.private_key = new_private_key();
    let answer = render(&hook, true);
    registry.entries.insert(
        hook.id,
        Entry {
            hook,
            outbox: VecDeque::new(),
            sending: false,
        },
    );
    HttpResponse::Created().json(answer)
}

/// The webhook id in the path, or the answer to give when the request is refused or names no webhook.
fn webhook_id(
    req: &HttpRequest,
    state: &SimState,
    path: web::Path<(String, String)>,
) -> Result<u64, Box<HttpResponse>> {
    let (company, id) = path.into_inner();
    if let Some(refused) = refusal(req, state, &company) {
        return Err(Box::new(refused));
    }
    id.parse().map_err(|_| Box::new(error(404, "Webhook not found")))
}

async fn get(req: HttpRequest, state: web::Data<SimState>, path: web::Path<(String, String)>) -> HttpResponse {
    let id = match webhook_id(&req, &state, path) {
        Ok(id) => id,
        Err(refused) => return *refused,
    };
    match state.bamboohr_hooks.lock().expect("lock").entries.get(&id) {
        Some(entry) => HttpResponse::Ok().json(render(&entry.hook, false)),
        None => error(404, "Webhook not found"),
    }
}

async fn update(
    req: HttpRequest,
    state: web::Data<SimState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> HttpResponse {
    let id = match webhook_id(&req, &state, path) {
        Ok(id) => id,
        Err(refused) => return *refused,
    };
    let mut registry = state.bamboohr_hooks.lock().expect("lock");
    let Some(entry) = registry.entries.get_mut(&id) else {
        return error(404, "Webhook not found");
    };
    let mut hook = match parse(&body) {
        Ok(hook) => hook,
        Err(message) => return error(400, &message),
    };
    hook.id = id;
    hook.private_key = std::mem::take(&mut entry.hook.private_key);
    hook.created = entry.hook.created;
    hook.last_sent = entry.hook.last_sent;
    entry.hook = hook;
    HttpResponse::Ok().json(render(&entry.hook, false))
}

async fn delete(req: HttpRequest, state: web::Data<SimState>, path: web::Path<(String, String)>) -> HttpResponse {
    let id = match webhook_id(&req, &state, path) {
        Ok(id) => id,
        Err(refused) => return *refused,
    };
    // What was still queued is dropped with it; a delivery already on its way finishes.
    match state.bamboohr_hooks.lock().expect("lock").entries.remove(&id) {
        Some(_) => HttpResponse::Ok().finish(),
        None => error(404, "Webhook not found"),
    }
}

async fn log(req: HttpRequest, state: web::Data<SimState>, path: web::Path<(String, String)>) -> HttpResponse {
    let id = match webhook_id(&req, &state, path) {
        Ok(id) => id,
        Err(refused) => return *refused,
    };
    let registry = state.bamboohr_hooks.lock().expect("lock");
    let Some(entry) = registry.entries.get(&id) else {
        return error(404, "Webhook not found");
    };
    let attempts: Vec<&DeliveryAttempt> = registry.log.iter().filter(|a| a.webhook_id == id).collect();
    let last = attempts.last();
    let employee_ids: Vec<u64> = last.and_then(|a| a.employee_id.parse().ok()).into_iter().collect();
    HttpResponse::Ok().json(json!({
        "webhookId": id,
        "url": entry.hook.url,
        "lastAttempted": last.map(|a| stamp(a.attempted_at)),
        "lastSuccess": attempts.iter().rev().find(|a| a.succeeded()).map(|a| stamp(a.attempted_at)),
        "failureCount": attempts.iter().rev().take_while(|a| !a.succeeded()).count(),
        "status": last.and_then(|a| a.status),
        "employeeIds": employee_ids,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::people::SeedOptions;

    fn hook(events: &[&str], monitor: &[&str]) -> Webhook {
        let body = json!({"name": "Hub", "url": "https://hub.example/hooks", "events": events,
            "monitorFields": monitor, "postFields": {"jobTitle": "Job Title", "status": "Status"}});
        parse(&serde_json::to_vec(&body).unwrap()).expect("a valid webhook")
    }

    #[test]
    fn bodies_are_checked_as_bamboohr_checks_them() {
        let parsed = |v: Value| parse(&serde_json::to_vec(&v).unwrap());
        let ok = json!({"name": "Hub", "url": "https://hub.example/x", "monitorFields": ["jobTitle"]});
        let legacy = parsed(ok.clone()).unwrap();
        assert_eq!(
            legacy.events, FIELD_BASED_EVENTS,
            "no events: the legacy field-based ones"
        );
        assert_eq!(legacy.format, "json");
        for (bad, why) in [
            (
                json!({"url": "https://hub.example/x", "monitorFields": ["jobTitle"]}),
                "name",
            ),
            (
                json!({"name": "Hub", "url": "http://hub.example/x", "monitorFields": ["jobTitle"]}),
                "https",
            ),
            (json!({"name": "Hub", "url": "https://hub.example/x"}), "monitor field"),
            (
                json!({"name": "Hub", "url": "https://hub.example/x", "monitorFields": ["salary"]}),
                "salary",
            ),
            (
                json!({"name": "Hub", "url": "https://hub.example/x", "monitorFields": ["jobTitle"],
                "events": ["employee.updated", "employee_with_fields.deleted"]}),
                "mix",
            ),
            (
                json!({"name": "Hub", "url": "https://hub.example/x", "events": ["employee.fired"]}),
                "Unknown event",
            ),
        ] {
            let message = parsed(bad).unwrap_err();
            assert!(message.contains(why), "{message}");
        }
        // Created and deleted events alone need no monitor fields; loopback HTTP is taken.
        let thin =
            json!({"name": "Hub", "url": "http://127.0.0.1:9/x", "events": ["employee.created", "employee.deleted"]});
        assert!(parsed(thin).is_ok());
        assert!(deliverable("http://localhost:8080/x") && deliverable("http://[::1]/x"));
    }

    #[test]
    fn changes_fire_the_events_their_webhook_subscribes_to() {
        let mut population = Population::generate(&SeedOptions::new(20));
        let events = hook(&EVENTS, &["jobTitle", "status", "terminationDate"]);
        let at = Utc::now();
        let kinds = |out: Vec<Outgoing>| -> Vec<(String, Value)> {
            out.into_iter()
                .map(|o| (o.event, serde_json::from_slice(&o.body).unwrap()))
                .collect()
        };

        // People 1 and 2 manage others, so they are neither leavers nor future starters.
        let (before, after) = population.update(1, |p| p.location = Some("Hobart".into())).unwrap();
        let changed = changed_fields(&population, 1, Some(&before), Some(&after));
        assert_eq!(changed, ["location"]);
        let fired = outgoing(&events, Change::Updated, &changed, &population, 1, Some(&after), at);
        assert!(fired.is_empty(), "location is not monitored");

        let today = population.today();
        let (before, after) = population.update(1, |p| p.termination_date = Some(today)).unwrap();
        let changed = changed_fields(&population, 1, Some(&before), Some(&after));
        let fired = kinds(outgoing(
            &events,
            Change::Updated,
            &changed,
            &population,
            1,
            Some(&after),
            at,
        ));
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].0, "employee.updated");
        assert_eq!(fired[0].1["data"]["employeeId"], "2");
        assert_eq!(fired[0].1["data"]["companyId"], COMPANY_ID);
        assert_eq!(
            fired[0].1["data"]["changedFields"],
            json!(["status", "terminationDate"])
        );
        assert!(fired[0].1["timestamp"].as_str().unwrap().ends_with("+0000"));

        let added = population.add(Person::new("Ada", "Lovelace", today));
        let person = population.get(added).unwrap();
        let changed = changed_fields(&population, added, None, Some(&person));
        let fired = kinds(outgoing(
            &events,
            Change::Created,
            &changed,
            &population,
            added,
            Some(&person),
            at,
        ));
        let names: Vec<&str> = fired.iter().map(|(e, _)| e.as_str()).collect();
        assert_eq!(
            names,
            ["employee.created", "employee.updated"],
            "create, then initialise"
        );
        assert_eq!(fired[1].1["data"]["changedFields"], json!(["status"]));

        let fired = kinds(outgoing(&events, Change::Deleted, &[], &population, added, None, at));
        assert_eq!(fired[0].0, "employee.deleted");

        let legacy = hook(&[], &["jobTitle"]);
        let (before, after) = population.update(2, |p| p.job_title = Some("Lead".into())).unwrap();
        let changed = changed_fields(&population, 2, Some(&before), Some(&after));
        let fired = kinds(outgoing(
            &legacy,
            Change::Updated,
            &changed,
            &population,
            2,
            Some(&after),
            at,
        ));
        assert_eq!(fired[0].0, "employee_with_fields.updated");
        let entry = &fired[0].1["employees"][0];
        assert_eq!(
            entry["fields"],
            json!({"Job Title": "Lead", "Status": "Active"}),
            "under the post names"
        );
        assert_eq!(entry["changedFields"], json!(["jobTitle"]));
    }
}
