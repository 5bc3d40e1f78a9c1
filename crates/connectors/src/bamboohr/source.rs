//! The BambooHR connection as a people source. Bulk reads use a custom report (`POST reports/custom?format=JSON`
//! with the fields wanted), incremental reads `GET employees/changed/?since=` and then each changed employee,
//! single reads `GET employees/{id}/?fields=` (documentation.bamboohr.com: "Request a custom report", "Get
//! employees changed since", "Get Employee").
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use ihub_domain::connections::people::{ManagerRef, Person, PersonStatus};
use ihub_domain::connections::ports::{ConnectorError, PeopleSource, SourcePage};
use serde_json::{Map, Value, json};

use super::{Credentials, Settings};
use crate::http::{Http, Idempotence};

/// The fields the hub reads, by their API aliases.
pub const FIELDS: &[&str] = &[
    "id",
    "firstName",
    "preferredName",
    "lastName",
    "workEmail",
    "jobTitle",
    "department",
    "location",
    "supervisorEId",
    "supervisor",
    "supervisorEmail",
    "status",
    "hireDate",
    "terminationDate",
];

/// Changed employees are fetched one request each; a page holds this many.
pub const CHANGED_PAGE_SIZE: usize = 100;

pub struct BambooHrSource {
    pub(super) http: Http,
    pub(super) settings: Settings,
    pub(super) credentials: Credentials,
}

fn text(record: &Map<String, Value>, field: &str) -> Option<String> {
    match record.get(field)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// BambooHR writes empty dates as `0000-00-00`.
fn date(record: &Map<String, Value>, field: &str) -> Option<NaiveDate> {
    text(record, field).and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok())
}

pub fn to_person(record: &Map<String, Value>, today: NaiveDate) -> Option<Person> {
    let mut person = Person::new(text(record, "id")?);
    person.first_name = text(record, "preferredName").or_else(|| text(record, "firstName"));
    person.last_name = text(record, "lastName");
    person.email = text(record, "workEmail").map(|e| e.to_lowercase());
    person.job_title = text(record, "jobTitle");
    person.department = text(record, "department");
    person.location = text(record, "location");
    person.start_date = date(record, "hireDate");
    person.termination_date = date(record, "terminationDate");
    let inactive = text(record, "status").is_some_and(|s| s.eq_ignore_ascii_case("inactive"));
    person.status = match (inactive, person.termination_date) {
        (_, Some(day)) if day <= today => PersonStatus::Terminated,
        (true, _) => PersonStatus::Inactive,
        _ => PersonStatus::Active,
    };
    person.manager = text(record, "supervisorEId").map(|id| ManagerRef {
        source_id: id,
        name: text(record, "supervisor"),
        email: text(record, "supervisorEmail").map(|e| e.to_lowercase()),
        target_id: None,
    });
    Some(person)
}

impl BambooHrSource {
    async fn json(
        &self,
        request: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<Value, ConnectorError> {
        let response = self
            .http
            .send(Idempotence::Idempotent, |c| {
                request(c)
                    .basic_auth(&self.credentials.api_key, Some("x"))
                    .header(reqwest::header::ACCEPT, "application/json")
            })
            .await?;
        response
            .json()
            .await
            .map_err(|e| ConnectorError::Rejected(format!("BambooHR did not answer with JSON: {e}")))
    }
}

#[async_trait::async_trait]
impl PeopleSource for BambooHrSource {
    /// The report is one document: BambooHR does not page it, so everyone arrives as one page.
    async fn list_page(&self, _cursor: Option<&str>) -> Result<SourcePage, ConnectorError> {
        let url = self.settings.url("reports/custom");
        let body = json!({"title": "Integration Hub", "fields": FIELDS});
        // A custom report reads and changes nothing, so repeating it is harmless.
        let report = self
            .json(|c| {
                c.post(&url)
                    .query(&[("format", "JSON"), ("onlyCurrent", "false")])
                    .json(&body)
            })
            .await?;
        let today = Utc::now().date_naive();
        let people = report
            .get("employees")
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .filter_map(Value::as_object)
                    .filter_map(|r| to_person(r, today))
                    .collect()
            })
            .unwrap_or_default();
        Ok(SourcePage::chained(people, None))
    }

    async fn changed_page(
        &self,
        since: DateTime<Utc>,
        cursor: Option<&str>,
    ) -> Result<Option<SourcePage>, ConnectorError> {
        let offset: usize = match cursor {
            None => 0,
            Some(c) => c
                .parse()
                .map_err(|_| ConnectorError::Config(format!("bad page cursor `{c}`")))?,
        };
        let url = self.settings.url("employees/changed/");
        let since = since.to_rfc3339_opts(SecondsFormat::Secs, true);
        let changed = self.json(|c| c.get(&url).query(&[("since", since.as_str())])).await?;
        let mut entries: Vec<(String, String)> = changed
            .get("employees")
            .and_then(Value::as_object)
            .map(|map| {
                map.values()
                    .filter_map(|e| {
                        Some((
                            text(e.as_object()?, "id")?,
                            text(e.as_object()?, "action").unwrap_or_default(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        // The feed is a map; a stable order makes the offset cursor mean the same on every call.
        entries.sort();
        let mut people = Vec::new();
        for (id, action) in entries.iter().skip(offset).take(CHANGED_PAGE_SIZE) {
            if action.eq_ignore_ascii_case("deleted") {
                let mut gone = Person::new(id.clone());
                gone.status = PersonStatus::Terminated;
                people.push(gone);
            } else if let Some(person) = self.fetch(id).await? {
                people.push(person);
            }
        }
        let next = offset + CHANGED_PAGE_SIZE;
        Ok(Some(SourcePage::chained(
            people,
            (next < entries.len()).then(|| next.to_string()),
        )))
    }

    async fn fetch(&self, source_id: &str) -> Result<Option<Person>, ConnectorError> {
        let url = self.settings.url(&format!("employees/{source_id}/"));
        let fields = FIELDS.join(",");
        match self.json(|c| c.get(&url).query(&[("fields", fields.as_str())])).await {
            Ok(Value::Object(mut record)) => {
                // The single-employee answer carries the id as a field; make sure it is there.
                record.entry("id").or_insert_with(|| json!(source_id));
                Ok(to_person(&record, Utc::now().date_naive()))
            }
            Ok(_) => Err(ConnectorError::Rejected(
                "BambooHR answered an employee that is not an object".into(),
            )),
            Err(ConnectorError::NotFound(_)) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_rows_map_to_people() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let row = json!({"id": "42", "firstName": "Katherine", "preferredName": "", "lastName": "Johnson",
            "workEmail": "KJ@acme.example", "jobTitle": "Mathematician", "department": "Flight", "location": "Hampton",
            "supervisorEId": "7", "supervisor": "Dorothy Vaughan", "status": "Active", "hireDate": "1953-06-01",
            "terminationDate": "0000-00-00"});
        let person = to_person(row.as_object().unwrap(), today).unwrap();
        assert_eq!(person.first_name.as_deref(), Some("Katherine"));
        assert_eq!(person.email.as_deref(), Some("kj@acme.example"));
        assert_eq!(person.termination_date, None);
        assert_eq!(person.status, PersonStatus::Active);
        assert_eq!(person.manager.unwrap().name.as_deref(), Some("Dorothy Vaughan"));

        let leaver = json!({"id": 43, "status": "Inactive", "terminationDate": "2026-10-31"});
        assert_eq!(
            to_person(leaver.as_object().unwrap(), today).unwrap().status,
            PersonStatus::Terminated
        );
        assert!(to_person(json!({"firstName": "no id"}).as_object().unwrap(), today).is_none());
    }
}
