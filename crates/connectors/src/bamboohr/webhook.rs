//! Verifying and reading BambooHR webhook deliveries: `X-BambooHR-Signature` is the hex HMAC-SHA256, keyed with
//! the webhook's private key, of the body followed by the `X-BambooHR-Timestamp` value (documentation.bamboohr.com,
//! "Webhooks: Security"). A delivery too far from now is refused, so a captured one cannot be replayed later;
//! inside the window, redeliveries are recognised by their event id.
use chrono::{DateTime, Utc};
use hmac::{Hmac, KeyInit, Mac};
use ihub_domain::connections::ports::{SourceEvent, SourceEventKind};
use serde_json::Value;
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "X-BambooHR-Signature";
pub const TIMESTAMP_HEADER: &str = "X-BambooHR-Timestamp";
/// How far a delivery's timestamp may be from the hub's clock.
pub const TOLERANCE: chrono::Duration = chrono::Duration::minutes(5);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error("the delivery is not signed ({0} is missing)")]
    Unsigned(&'static str),
    #[error("the signature does not match the body")]
    BadSignature,
    #[error("the delivery's timestamp is outside the accepted window; replays are refused")]
    Stale,
    #[error("the body is not a BambooHR webhook: {0}")]
    Malformed(String),
}

/// Checks the signature and the timestamp, then reads the events.
pub fn verify(
    body: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    private_key: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SourceEvent>, WebhookError> {
    let signature = signature.ok_or(WebhookError::Unsigned(SIGNATURE_HEADER))?;
    let timestamp = timestamp.ok_or(WebhookError::Unsigned(TIMESTAMP_HEADER))?;
    let expected = hex::decode(signature.trim()).map_err(|_| WebhookError::BadSignature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(private_key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.update(timestamp.trim().as_bytes());
    // Constant-time comparison: a timing difference must not reveal how much of a forged signature was right.
    mac.verify_slice(&expected).map_err(|_| WebhookError::BadSignature)?;
    let sent = timestamp
        .trim()
        .parse::<i64>()
        .ok()
        .and_then(|secs| DateTime::from_timestamp(secs, 0))
        .ok_or(WebhookError::Stale)?;
    if (now - sent).abs() > TOLERANCE {
        return Err(WebhookError::Stale);
    }
    events(body)
}

/// Reads both payload formats a BambooHR webhook may be set up with (documentation.bamboohr.com, "Webhooks"):
/// field-based `{"employees": [{"id", "timestamp", "fields", "changedFields"}]}`, and event-based
/// `{"type": "employee.updated", "timestamp", "data": {"companyId", "employeeId", "changedFields"}}`.
fn events(body: &[u8]) -> Result<Vec<SourceEvent>, WebhookError> {
    let payload: Value = serde_json::from_slice(body).map_err(|e| WebhookError::Malformed(e.to_string()))?;
    if let Some(kind) = payload.get("type").and_then(Value::as_str) {
        return event_based(kind, &payload).map(|e| vec![e]);
    }
    let employees = payload
        .get("employees")
        .and_then(Value::as_array)
        .ok_or_else(|| WebhookError::Malformed("neither an `employees` list nor an event `type`".into()))?;
    employees
        .iter()
        .map(|employee| {
            let id =
                id_of(employee.get("id")).ok_or_else(|| WebhookError::Malformed("an employee without an id".into()))?;
            let inactive = posted_status(employee)
                .is_some_and(|s| s.eq_ignore_ascii_case("inactive") || s.eq_ignore_ascii_case("terminated"));
            let when = employee.get("timestamp").and_then(Value::as_str).unwrap_or_default();
            Ok(SourceEvent {
                event_id: (!when.is_empty()).then(|| format!("{id}@{when}")),
                kind: if inactive {
                    SourceEventKind::Terminated
                } else {
                    SourceEventKind::Updated
                },
                source_id: id,
            })
        })
        .collect()
}

/// The status a field-based entry posts: under its alias, or under the name the webhook's `postFields` gave it,
/// which is BambooHR's English field name ("Status", "Employment Status") unless someone chose another.
fn posted_status(employee: &Value) -> Option<&str> {
    let fields = employee.get("fields")?.as_object()?;
    let squeezed = |name: &str| -> String {
        name.chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_ascii_lowercase()
    };
    ["status", "employmenthistorystatus", "employmentstatus"]
        .iter()
        .find_map(|wanted| {
            fields
                .iter()
                .find(|(name, _)| squeezed(name) == *wanted)
                .and_then(|(_, value)| value.as_str())
        })
}

fn event_based(kind: &str, payload: &Value) -> Result<SourceEvent, WebhookError> {
    let kind = match kind {
        "employee.created" => SourceEventKind::Created,
        "employee.updated" => SourceEventKind::Updated,
        "employee.deleted" => SourceEventKind::Deleted,
        other => return Err(WebhookError::Malformed(format!("unknown event type `{other}`"))),
    };
    let id = id_of(payload.pointer("/data/employeeId"))
        .ok_or_else(|| WebhookError::Malformed("an event without `data.employeeId`".into()))?;
    let when = payload.get("timestamp").and_then(Value::as_str).unwrap_or_default();
    let name = payload.get("type").and_then(Value::as_str).unwrap_or_default();
    Ok(SourceEvent {
        event_id: (!when.is_empty()).then(|| format!("{name}:{id}@{when}")),
        kind,
        source_id: id,
    })
}

/// BambooHR ids are numbers, sent as strings in some payloads and as numbers in others.
fn id_of(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The signature a sender computes; the simulators and tests sign with it.
pub fn sign(body: &[u8], timestamp: &str, private_key: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(private_key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    mac.update(timestamp.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "webhook-private-key";

    fn delivery(now: DateTime<Utc>) -> (Vec<u8>, String, String) {
        let body = br#"{"employees":[{"id":"42","timestamp":"2026-11-25T10:00:00+00:00","fields":{"jobTitle":"Lead"},"changedFields":["jobTitle"]},
            {"id":7,"timestamp":"2026-11-25T10:00:01+00:00","fields":{"status":"Inactive"},"changedFields":["status"]}]}"#
            .to_vec();
        let timestamp = now.timestamp().to_string();
        let signature = sign(&body, &timestamp, KEY);
        (body, timestamp, signature)
    }

    #[test]
    fn valid_deliveries_yield_events() {
        let now = Utc::now();
        let (body, ts, sig) = delivery(now);
        let events = verify(&body, Some(&sig), Some(&ts), KEY, now).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(
            (events[0].source_id.as_str(), events[0].kind),
            ("42", SourceEventKind::Updated)
        );
        assert_eq!(
            (events[1].source_id.as_str(), events[1].kind),
            ("7", SourceEventKind::Terminated)
        );
        assert_eq!(events[0].event_id.as_deref(), Some("42@2026-11-25T10:00:00+00:00"));

        // Fields posted under BambooHR's field names rather than their aliases.
        for fields in [r#"{"Status":"Inactive"}"#, r#"{"Employment Status":"Terminated"}"#] {
            let body = format!(r#"{{"employees":[{{"id":"9","fields":{fields}}}]}}"#).into_bytes();
            let sig = sign(&body, &ts, KEY);
            let events = verify(&body, Some(&sig), Some(&ts), KEY, now).unwrap();
            assert_eq!(events[0].kind, SourceEventKind::Terminated, "{fields}");
        }
    }

    #[test]
    fn forged_tampered_unsigned_and_replayed_deliveries_are_refused() {
        let now = Utc::now();
        let (body, ts, sig) = delivery(now);
        assert_eq!(
            verify(&body, Some(&sig), Some(&ts), "another key", now),
            Err(WebhookError::BadSignature)
        );
        let mut tampered = body.clone();
        tampered[20] ^= 1;
        assert_eq!(
            verify(&tampered, Some(&sig), Some(&ts), KEY, now),
            Err(WebhookError::BadSignature)
        );
        assert_eq!(
            verify(&body, None, Some(&ts), KEY, now),
            Err(WebhookError::Unsigned(SIGNATURE_HEADER))
        );
        assert_eq!(
            verify(&body, Some(&sig), None, KEY, now),
            Err(WebhookError::Unsigned(TIMESTAMP_HEADER))
        );
        // The same signed delivery an hour later.
        let later = now + chrono::Duration::hours(1);
        assert_eq!(
            verify(&body, Some(&sig), Some(&ts), KEY, later),
            Err(WebhookError::Stale)
        );
        // A re-signed timestamp changes the signature, so it cannot be moved forward either.
        let moved = (now + chrono::Duration::hours(1)).timestamp().to_string();
        assert_eq!(
            verify(&body, Some(&sig), Some(&moved), KEY, later),
            Err(WebhookError::BadSignature)
        );
    }

    #[test]
    fn event_based_deliveries_yield_one_event() {
        let now = Utc::now();
        let body = br#"{"type":"employee.created","timestamp":"2026-01-31T18:42:00+0000","data":{"companyId":"12345","employeeId":"67890","changedFields":[]}}"#;
        let ts = now.timestamp().to_string();
        let events = verify(body, Some(&sign(body, &ts, KEY)), Some(&ts), KEY, now).unwrap();
        assert_eq!(
            events,
            vec![SourceEvent {
                event_id: Some("employee.created:67890@2026-01-31T18:42:00+0000".into()),
                kind: SourceEventKind::Created,
                source_id: "67890".into(),
            }]
        );
        let unknown = br#"{"type":"payroll.closed","data":{"employeeId":"1"}}"#;
        assert!(matches!(
            verify(unknown, Some(&sign(unknown, &ts, KEY)), Some(&ts), KEY, now),
            Err(WebhookError::Malformed(_))
        ));
    }
}
