//! The Employment Hero connection as a people source: employees of one organisation, page by page
//! (`page_index` from 1, `item_per_page`), with the OAuth access token refreshed before it expires and once on 401.
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use ihub_domain::connections::people::{ManagerRef, Person, PersonStatus};
use ihub_domain::connections::ports::{Choice, ConnectorError, CredentialSink, PeopleSource, SourcePage};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use super::{Credentials, Settings};
use crate::http::{Http, Idempotence};

/// The page size Employment Hero's list endpoints accept at most (developer docs, "Pagination").
pub const PAGE_SIZE: u32 = 100;
/// Refresh this long before the access token's stated expiry, so no request goes out with a token about to lapse.
const REFRESH_MARGIN: chrono::Duration = chrono::Duration::seconds(60);

pub struct EmploymentHeroSource {
    http: Http,
    settings: Settings,
    credentials: Mutex<Credentials>,
    sink: Arc<dyn CredentialSink>,
}

/// An employee as `GET organisations/{id}/employees` returns it; fields the hub does not copy are not read.
#[derive(Debug, Deserialize)]
struct Employee {
    id: String,
    first_name: Option<String>,
    last_name: Option<String>,
    known_as: Option<String>,
    company_email: Option<String>,
    account_email: Option<String>,
    job_title: Option<String>,
    location: Option<String>,
    start_date: Option<String>,
    termination_date: Option<String>,
    primary_manager: Option<ManagerField>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ManagerField {
    id: Option<String>,
    name: Option<String>,
}

fn date(value: Option<&str>) -> Option<NaiveDate> {
    // Dates come as `YYYY-MM-DD`, sometimes with a time part.
    value.and_then(|v| NaiveDate::parse_from_str(v.get(..10).unwrap_or(v), "%Y-%m-%d").ok())
}

fn non_blank(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl Employee {
    fn into_person(self, today: NaiveDate) -> Person {
        let termination_date = date(self.termination_date.as_deref());
        let status = match (self.status.as_deref(), termination_date) {
            (_, Some(day)) if day <= today => PersonStatus::Terminated,
            (Some(s), _) if s.eq_ignore_ascii_case("terminated") => PersonStatus::Terminated,
            (Some(s), _) if s.eq_ignore_ascii_case("inactive") => PersonStatus::Inactive,
            _ => PersonStatus::Active,
        };
        let mut person = Person::new(self.id);
        person.first_name = non_blank(self.known_as).or(non_blank(self.first_name));
        person.last_name = non_blank(self.last_name);
        // The work address is the company email; the account email is the sign-in, often the same person's.
        person.email = non_blank(self.company_email)
            .or(non_blank(self.account_email))
            .map(|e| e.to_lowercase());
        person.job_title = non_blank(self.job_title);
        person.location = non_blank(self.location);
        person.start_date = date(self.start_date.as_deref());
        person.termination_date = termination_date;
        person.status = status;
        // The manager reference has no email: the sync resolves it by fetching the manager.
        person.manager = self.primary_manager.and_then(|m| {
            m.id.map(|id| ManagerRef {
                source_id: id,
                name: non_blank(m.name),
                email: None,
                target_id: None,
            })
        });
        person
    }
}

impl EmploymentHeroSource {
    pub fn new(settings: Settings, credentials: Credentials, sink: Arc<dyn CredentialSink>, http: Http) -> Self {
        Self {
            http,
            settings,
            credentials: Mutex::new(credentials),
            sink,
        }
    }

    /// `GET organisations`: what the token can see, as choices for the organisation setting.
    pub async fn organisations(&self) -> Result<Vec<Choice>, ConnectorError> {
        let url = format!("{}/organisations", self.settings.api_base_url.trim_end_matches('/'));
        let mut choices = Vec::new();
        let mut page_index = 1u64;
        loop {
            let body = self
                .get(
                    &url,
                    &[
                        ("page_index", page_index.to_string()),
                        ("item_per_page", PAGE_SIZE.to_string()),
                    ],
                )
                .await?;
            let data = body.get("data").cloned().unwrap_or_default();
            for org in data.get("items").and_then(Value::as_array).into_iter().flatten() {
                if let Some(id) = org.get("id").and_then(Value::as_str) {
                    let label = org.get("name").and_then(Value::as_str).unwrap_or(id);
                    choices.push(Choice {
                        value: id.to_owned(),
                        label: label.to_owned(),
                    });
                }
            }
            if page_index >= data.get("total_pages").and_then(Value::as_u64).unwrap_or(1) {
                return Ok(choices);
            }
            page_index += 1;
        }
    }

    fn organisation(&self) -> Result<&str, ConnectorError> {
        self.settings.organisation_id.as_deref().ok_or_else(|| {
            ConnectorError::Config("choose the Employment Hero organisation in the connection's settings".into())
        })
    }

    /// A token good for the next minute, refreshing (and storing) it first when needed.
    async fn token(&self, force_refresh: bool) -> Result<String, ConnectorError> {
        let mut credentials = self.credentials.lock().await;
        let expires_soon = credentials
            .expires_at
            .as_deref()
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .is_some_and(|t| t.with_timezone(&Utc) - REFRESH_MARGIN <= Utc::now());
        if force_refresh || expires_soon || credentials.access_token.is_none() {
            let refresh_token = credentials.refresh_token.clone().ok_or_else(|| {
                ConnectorError::Auth("not connected: connect through Employment Hero's sign-in again".into())
            })?;
            let tokens = self.settings.app(&credentials).refresh(&refresh_token).await?;
            credentials.access_token = Some(tokens.access_token);
            credentials.refresh_token = tokens.refresh_token;
            credentials.expires_at = tokens.expires_at.map(|t| t.to_rfc3339());
            self.sink
                .store(serde_json::to_value(&*credentials).expect("credentials serialise"))
                .await?;
        }
        Ok(credentials.access_token.clone().expect("set above"))
    }

    /// GET with the bearer token; a 401 refreshes once and tries again, since tokens can be revoked early.
    async fn get(&self, url: &str, query: &[(&str, String)]) -> Result<Value, ConnectorError> {
        let mut refreshed = false;
        loop {
            let token = self.token(false).await?;
            let result = self
                .http
                .send(Idempotence::Idempotent, |c| c.get(url).query(query).bearer_auth(&token))
                .await;
            match result {
                Ok(response) => {
                    return response.json().await.map_err(|e| {
                        ConnectorError::Rejected(format!("Employment Hero did not answer with JSON: {e}"))
                    });
                }
                Err(ConnectorError::Auth(_)) if !refreshed => {
                    refreshed = true;
                    self.token(true).await?;
                }
                Err(other) => return Err(other),
            }
        }
    }

    fn employees_url(&self) -> Result<String, ConnectorError> {
        Ok(format!(
            "{}/organisations/{}/employees",
            self.settings.api_base_url.trim_end_matches('/'),
            self.organisation()?
        ))
    }
}

#[async_trait::async_trait]
impl PeopleSource for EmploymentHeroSource {
    async fn list_page(&self, cursor: Option<&str>) -> Result<SourcePage, ConnectorError> {
        let page_index: u32 = match cursor {
            None => 1,
            Some(c) => c
                .parse()
                .map_err(|_| ConnectorError::Config(format!("bad page cursor `{c}`")))?,
        };
        let body = self
            .get(
                &self.employees_url()?,
                &[
                    ("page_index", page_index.to_string()),
                    ("item_per_page", PAGE_SIZE.to_string()),
                ],
            )
            .await?;
        let data = body
            .get("data")
            .ok_or_else(|| ConnectorError::Rejected("no `data` in the employee list".into()))?;
        let items: Vec<Employee> = serde_json::from_value(data.get("items").cloned().unwrap_or(Value::Array(vec![])))
            .map_err(|e| ConnectorError::Rejected(format!("unexpected employee shape: {e}")))?;
        let total_pages = data.get("total_pages").and_then(Value::as_u64).unwrap_or(0);
        let today = Utc::now().date_naive();
        Ok(SourcePage {
            people: items.into_iter().map(|e| e.into_person(today)).collect(),
            next: (u64::from(page_index) < total_pages).then(|| (page_index + 1).to_string()),
            numbered: Some(total_pages),
        })
    }

    /// Employment Hero's API has no changed-since filter; webhooks carry changes instead.
    async fn changed_page(
        &self,
        _since: DateTime<Utc>,
        _cursor: Option<&str>,
    ) -> Result<Option<SourcePage>, ConnectorError> {
        Ok(None)
    }

    async fn fetch(&self, source_id: &str) -> Result<Option<Person>, ConnectorError> {
        let url = format!("{}/{source_id}", self.employees_url()?);
        match self.get(&url, &[]).await {
            Ok(body) => {
                let employee: Employee = serde_json::from_value(body.get("data").cloned().unwrap_or(body))
                    .map_err(|e| ConnectorError::Rejected(format!("unexpected employee shape: {e}")))?;
                Ok(Some(employee.into_person(Utc::now().date_naive())))
            }
            Err(ConnectorError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn employees_map_to_people() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let employee: Employee = serde_json::from_value(json!({
            "id": "e-1", "first_name": "Margaret", "known_as": "Peggy", "last_name": "Hamilton",
            "company_email": "Peggy@Acme.example", "account_email": "peggy@home.example", "job_title": "Engineer",
            "location": "Sydney", "start_date": "2020-02-03", "termination_date": null,
            "primary_manager": {"id": "e-0", "name": "Grace Hopper"}, "date_of_birth": "1936-08-17"
        }))
        .unwrap();
        let person = employee.into_person(today);
        assert_eq!(person.first_name.as_deref(), Some("Peggy"));
        assert_eq!(person.email.as_deref(), Some("peggy@acme.example"));
        assert_eq!(person.manager.as_ref().map(|m| m.source_id.as_str()), Some("e-0"));
        assert_eq!(person.status, PersonStatus::Active);
        assert_eq!(person.start_date, NaiveDate::from_ymd_opt(2020, 2, 3));
        assert!(
            !serde_json::to_string(&person).unwrap().contains("1936"),
            "personal fields are not copied"
        );

        let leaver: Employee =
            serde_json::from_value(json!({"id": "e-2", "termination_date": "2026-11-01T00:00:00+11:00"})).unwrap();
        assert_eq!(leaver.into_person(today).status, PersonStatus::Terminated);
        let future_leaver: Employee =
            serde_json::from_value(json!({"id": "e-3", "termination_date": "2027-01-01"})).unwrap();
        assert_eq!(future_leaver.into_person(today).status, PersonStatus::Active);
    }
}
