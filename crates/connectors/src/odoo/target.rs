//! The Odoo connection as a user target: `hr.employee` records, archived (`active = false`) to deactivate.
use ihub_domain::connections::people::{FieldChange, Person, PersonStatus, TargetUser, UserField};
use ihub_domain::connections::ports::{ConnectorError, UserTarget};
use serde_json::{Map, Value, json};

use super::rpc::Rpc;
use crate::http::Idempotence;

const MODEL: &str = "hr.employee";

pub struct OdooTarget {
    pub(super) rpc: Rpc,
    /// The `hr.employee` field that holds the source's id.
    pub(super) external_id_field: String,
}

/// Archived employees count: a person who comes back is reactivated, not created twice.
fn with_archived() -> Value {
    json!({"context": {"active_test": false}})
}

/// Odoo has no exact case-insensitive operator: `=ilike` is SQL `ILIKE`, where `%` and `_` are wildcards, so an
/// HR email holding them would match other people's. They are escaped, and the rows are compared again here.
fn ilike_literal(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Of the rows found by email, the one whose email is the same, case-folded; an active one before an archived one.
fn same_email(rows: Vec<Map<String, Value>>, email: &str) -> Option<Map<String, Value>> {
    let wanted = email.trim().to_lowercase();
    let mut same: Vec<Map<String, Value>> = rows
        .into_iter()
        .filter(|row| {
            row.get("work_email")
                .and_then(Value::as_str)
                .is_some_and(|e| e.trim().to_lowercase() == wanted)
        })
        .collect();
    same.sort_by_key(|row| !row.get("active").and_then(Value::as_bool).unwrap_or(true));
    same.into_iter().next()
}

impl OdooTarget {
    async fn search(&self, domain: Value, limit: u32) -> Result<Vec<Map<String, Value>>, ConnectorError> {
        let mut kwargs = with_archived();
        kwargs["fields"] = json!(["id", "work_email", "active", self.external_id_field]);
        kwargs["limit"] = json!(limit);
        let found = self
            .rpc
            .execute_kw(MODEL, "search_read", json!([domain]), kwargs, Idempotence::Idempotent)
            .await?;
        Ok(found
            .as_array()
            .map(|rows| rows.iter().filter_map(Value::as_object).cloned().collect())
            .unwrap_or_default())
    }

    /// The manager's employee, where the hub has written them; `false` (no manager) otherwise.
    fn manager_id(person: &Person) -> Value {
        person
            .manager
            .as_ref()
            .and_then(|m| m.target_id.as_deref())
            .and_then(|id| id.parse::<i64>().ok())
            .map_or(Value::Bool(false), |id| json!(id))
    }

    async fn values(&self, person: &Person, fields: &[UserField]) -> Result<Map<String, Value>, ConnectorError> {
        let mut values = Map::new();
        for field in fields {
            match field {
                UserField::FirstName | UserField::LastName => {
                    values.insert("name".into(), json!(person.display_name()));
                }
                UserField::Email => {
                    values.insert("work_email".into(), json!(person.email.clone().unwrap_or_default()));
                }
                UserField::JobTitle => {
                    values.insert("job_title".into(), json!(person.job_title.clone().unwrap_or_default()));
                }
                UserField::ManagerName | UserField::ManagerEmail | UserField::Manager => {
                    values.insert("parent_id".into(), Self::manager_id(person));
                }
                UserField::Active => {
                    values.insert("active".into(), json!(person.status == PersonStatus::Active));
                }
                // Odoo keeps departments and work locations as records of their own; they are mapped by the
                // mappers, not written as free text.
                UserField::Department | UserField::Location => {}
            }
        }
        Ok(values)
    }
}

#[async_trait::async_trait]
impl UserTarget for OdooTarget {
    async fn find(&self, external_id: &str, email: Option<&str>) -> Result<Option<TargetUser>, ConnectorError> {
        let mut found = self
            .search(json!([[self.external_id_field, "=", external_id]]), 1)
            .await?
            .into_iter()
            .next();
        if found.is_none()
            && let Some(email) = email
        {
            let rows = self
                .search(json!([["work_email", "=ilike", ilike_literal(email)]]), 10)
                .await?;
            found = same_email(rows, email);
        }
        Ok(found.and_then(|row| {
            Some(TargetUser {
                target_id: row.get("id")?.as_i64()?.to_string(),
                external_id: row
                    .get(&self.external_id_field)
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                email: row.get("work_email").and_then(Value::as_str).map(str::to_owned),
                active: row.get("active").and_then(Value::as_bool).unwrap_or(true),
            })
        }))
    }

    async fn create(&self, person: &Person) -> Result<String, ConnectorError> {
        let mut values = self
            .values(
                person,
                &[
                    UserField::FirstName,
                    UserField::Email,
                    UserField::JobTitle,
                    UserField::ManagerName,
                    UserField::Active,
                ],
            )
            .await?;
        values.insert(self.external_id_field.clone(), json!(person.source_id));
        let id = self
            .rpc
            .execute_kw(MODEL, "create", json!([values]), json!({}), Idempotence::NotIdempotent)
            .await?;
        // `create` answers the new id, or a list of ids when given a list.
        let id = id
            .as_i64()
            .or_else(|| id.as_array().and_then(|ids| ids.first()).and_then(Value::as_i64));
        id.map(|id| id.to_string())
            .ok_or_else(|| ConnectorError::Rejected("Odoo created the employee but sent no id".into()))
    }

    async fn update(&self, target_id: &str, person: &Person, changes: &[FieldChange]) -> Result<(), ConnectorError> {
        let fields: Vec<UserField> = changes.iter().map(|c| c.field).collect();
        let values = self.values(person, &fields).await?;
        if values.is_empty() {
            return Ok(());
        }
        self.write(target_id, values).await
    }

    async fn deactivate(&self, target_id: &str) -> Result<(), ConnectorError> {
        let mut values = Map::new();
        values.insert("active".into(), json!(false));
        self.write(target_id, values).await
    }
}

impl OdooTarget {
    async fn write(&self, target_id: &str, values: Map<String, Value>) -> Result<(), ConnectorError> {
        let id: i64 = target_id
            .parse()
            .map_err(|_| ConnectorError::NotFound(format!("`{target_id}` is not an Odoo id")))?;
        // `write` sets values; doing it twice leaves the same record.
        self.rpc
            .execute_kw(
                MODEL,
                "write",
                json!([[id], values]),
                json!({}),
                Idempotence::Idempotent,
            )
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_in_an_email_are_taken_literally() {
        assert_eq!(ilike_literal("a_b%c\\d@x.example"), "a\\_b\\%c\\\\d@x.example");
    }

    #[test]
    fn only_the_same_email_matches_and_active_comes_first() {
        let row = |id: i64, email: &str, active: bool| {
            json!({"id": id, "work_email": email, "active": active})
                .as_object()
                .unwrap()
                .clone()
        };
        let rows = vec![
            row(1, "ceo@acme.example", true),
            row(2, "Pat@Acme.example", false),
            row(3, "pat@acme.example", true),
        ];
        assert_eq!(same_email(rows.clone(), "PAT@acme.example").unwrap()["id"], 3);
        assert!(same_email(rows, "%@acme.example").is_none());
    }
}
