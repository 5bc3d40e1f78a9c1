//! Reading Employment Hero webhook deliveries.
//!
//! The Developer Portal offers employee events (developer.employmenthero.com/api-references, "Webhook": Employee
//! Created, Employee Onboarded, Employee Updated, Employee Offboarding) but does not publish the payload, and it
//! signs nothing: the hub's secret rides in the URL it is given. So this reader is tolerant of the spellings such
//! payloads use (`event`/`event_type`/`type`; the employee's id in `data.id`, `data.employee_id`, `employee_id` or
//! `data.employee.id`), takes only the event and the id, and the hub re-fetches the employee for everything else.
use ihub_domain::connections::ports::{SourceEvent, SourceEventKind, WebhookRejection};
use serde_json::Value;

/// The portal's employee events a sync needs, as the portal names them.
pub const EVENTS: &[&str] = &[
    "Employee Created",
    "Employee Onboarded",
    "Employee Updated",
    "Employee Offboarding",
];

/// The events in one delivery (Employment Hero sends one per request), checked to be about `organisation_id` when
/// the payload names an organisation.
pub fn events(body: &[u8], organisation_id: Option<&str>) -> Result<Vec<SourceEvent>, WebhookRejection> {
    let malformed = |m: &str| WebhookRejection::Malformed(format!("not an Employment Hero employee event: {m}"));
    let payload: Value = serde_json::from_slice(body).map_err(|e| malformed(&e.to_string()))?;
    if !payload.is_object() {
        return Err(malformed("the body is not a JSON object"));
    }
    let name = first_string(&payload, &["/event", "/event_type", "/type"]).ok_or_else(|| malformed("no event name"))?;
    let kind = kind_of(&name).ok_or_else(|| malformed(&format!("unknown event `{name}`")))?;
    let employee = first_string(
        &payload,
        &[
            "/data/id",
            "/data/employee_id",
            "/employee_id",
            "/data/employee/id",
            "/employee/id",
        ],
    )
    .ok_or_else(|| malformed("no employee id"))?;
    if let (Some(wanted), Some(sent)) = (
        organisation_id,
        first_string(&payload, &["/organisation_id", "/data/organisation_id"]),
    ) && !sent.eq_ignore_ascii_case(wanted)
    {
        return Err(WebhookRejection::Malformed(format!(
            "the delivery is about organisation {sent}, not this connection's {wanted}"
        )));
    }
    let event_id = first_string(&payload, &["/id", "/event_id", "/uuid"]).or_else(|| {
        first_string(&payload, &["/timestamp", "/created_at", "/data/updated_at"])
            .map(|when| format!("{name}:{employee}@{when}"))
    });
    Ok(vec![SourceEvent {
        event_id,
        kind,
        source_id: employee,
    }])
}

/// `employee_created`, `employee.created`, `Employee Created` and the like.
fn kind_of(name: &str) -> Option<SourceEventKind> {
    let name = name.to_ascii_lowercase().replace(['.', ' ', '-'], "_");
    if !name.starts_with("employee") {
        return None;
    }
    if name.contains("offboard") || name.contains("terminat") {
        Some(SourceEventKind::Terminated)
    } else if name.contains("onboard") {
        Some(SourceEventKind::OnboardingComplete)
    } else if name.contains("creat") {
        Some(SourceEventKind::Created)
    } else if name.contains("delet") {
        Some(SourceEventKind::Deleted)
    } else if name.contains("updat") {
        Some(SourceEventKind::Updated)
    } else {
        None
    }
}

fn first_string(payload: &Value, pointers: &[&str]) -> Option<String> {
    pointers.iter().find_map(|p| match payload.pointer(p)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORG: &str = "7b1e5f7c-2a43-4a36-9a8e-0c6f1f4bb001";

    fn one(body: &str) -> Result<SourceEvent, WebhookRejection> {
        events(body.as_bytes(), Some(ORG)).map(|mut e| e.remove(0))
    }

    #[test]
    fn each_portal_event_maps_to_its_kind() {
        for (name, kind) in [
            ("employee_created", SourceEventKind::Created),
            ("employee_onboarded", SourceEventKind::OnboardingComplete),
            ("Employee Onboarding Complete", SourceEventKind::OnboardingComplete),
            ("employee.updated", SourceEventKind::Updated),
            ("employee_offboarding", SourceEventKind::Terminated),
            ("employee_terminated", SourceEventKind::Terminated),
        ] {
            let event = one(&format!(r#"{{"event":"{name}","data":{{"id":"e-1"}}}}"#)).unwrap();
            assert_eq!((event.kind, event.source_id.as_str()), (kind, "e-1"), "{name}");
        }
    }

    #[test]
    fn redeliveries_share_an_event_id() {
        let body = format!(
            r#"{{"event":"employee_updated","organisation_id":"{ORG}","data":{{"id":"e-1"}},"timestamp":"2026-11-25T10:00:00Z"}}"#
        );
        assert_eq!(
            one(&body).unwrap().event_id.as_deref(),
            Some("employee_updated:e-1@2026-11-25T10:00:00Z")
        );
        let with_id = r#"{"id":"evt-9","event_type":"employee_created","employee_id":42}"#;
        let event = one(with_id).unwrap();
        assert_eq!(
            (event.event_id.as_deref(), event.source_id.as_str()),
            (Some("evt-9"), "42")
        );
    }

    #[test]
    fn other_organisations_and_shapes_are_refused() {
        let other = r#"{"event":"employee_updated","organisation_id":"00000000-0000-0000-0000-000000000000","data":{"id":"e"}}"#;
        assert!(matches!(one(other), Err(WebhookRejection::Malformed(m)) if m.contains("organisation")));
        for body in [
            "not json",
            "[]",
            r#"{"data":{"id":"e"}}"#,
            r#"{"event":"payslip_published","data":{"id":"e"}}"#,
            r#"{"event":"employee_updated","data":{}}"#,
        ] {
            assert!(matches!(one(body), Err(WebhookRejection::Malformed(_))), "{body}");
        }
    }
}
