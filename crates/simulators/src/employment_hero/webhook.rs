//! Employment Hero webhook deliveries.
//!
//! The events are those the Developer Portal offers (developer.employmenthero.com/api-references, "Webhook":
//! Employee Created, Employee Onboarded, Employee Updated, Employee Offboarding). The payload is not published;
//! this simulator assumes a thin one, which is all the hub relies on (it re-fetches the employee):
//!
//! `{"event": "employee_updated", "organisation_id": "<uuid>", "data": {"id": "<employee uuid>"},
//!   "timestamp": "<RFC 3339>"}`
//!
//! Deliveries carry no signature: Employment Hero's portal takes only a URL, so the hub's secret rides in it.
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    EmployeeCreated,
    EmployeeOnboarded,
    EmployeeUpdated,
    EmployeeOffboarding,
}

impl Event {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::EmployeeCreated => "employee_created",
            Self::EmployeeOnboarded => "employee_onboarded",
            Self::EmployeeUpdated => "employee_updated",
            Self::EmployeeOffboarding => "employee_offboarding",
        }
    }
}

pub fn payload(event: Event, organisation_id: &str, employee_id: &str) -> Value {
    json!({
        "event": event.as_str(),
        "organisation_id": organisation_id,
        "data": {"id": employee_id},
        "timestamp": chrono::Utc::now().to_rfc3339(),
    })
}

/// Posts one event to `url`; returns the status the receiver answered.
pub async fn deliver(url: &str, event: Event, organisation_id: &str, employee_id: &str) -> Result<u16, reqwest::Error> {
    let body = serde_json::to_vec(&payload(event, organisation_id, employee_id)).expect("JSON serialises");
    let response = crate::delivery::client()
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await?;
    Ok(response.status().as_u16())
}
