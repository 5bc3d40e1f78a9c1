//! The SCIM connection as a user target (RFC 7644 §3.3 create, §3.4.2 filtered query, §3.5.2 PATCH).
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use futures::StreamExt;
use ihub_domain::connections::people::{FieldChange, Person, PersonStatus, TargetUser, UserField};
use ihub_domain::connections::ports::{ConnectorError, Lookup, UserTarget};
use serde_json::{Map, Value, json};

use super::{Credentials, MEDIA_TYPE, Settings};
use crate::http::{Http, Idempotence};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// People per `or` filter: 50 quoted ids or emails keep the query string under the 8 KB that servers commonly take.
const LOOKUP_CHUNK: usize = 50;
/// Groups of `LOOKUP_CHUNK` looked up at once (the connection's rate limit paces them further).
const LOOKUPS_AT_ONCE: usize = 4;

pub struct ScimTarget {
    pub(super) http: Http,
    pub(super) settings: Settings,
    pub(super) credentials: Credentials,
    /// The service refused an `or` filter (optional in RFC 7644 for some providers): people are looked up alone.
    pub(super) no_or_filters: AtomicBool,
}

impl ScimTarget {
    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.settings.base_url.trim_end_matches('/'))
    }

    async fn query(&self, filter: &str) -> Result<Option<Value>, ConnectorError> {
        let url = self.url("Users");
        let response = self
            .http
            .send(Idempotence::Idempotent, |c| {
                c.get(&url)
                    .query(&[("filter", filter), ("startIndex", "1"), ("count", "2")])
                    .bearer_auth(&self.credentials.token)
                    .header(reqwest::header::ACCEPT, MEDIA_TYPE)
            })
            .await?;
        let body: Value = response.json().await.map_err(|e| not_scim(&e))?;
        Ok(body
            .get("Resources")
            .and_then(Value::as_array)
            .and_then(|r| r.first())
            .cloned())
    }

    /// Every user matching the filter, page by page (RFC 7644 §3.4.2.4); `expected` sizes the pages.
    async fn query_all(&self, filter: &str, expected: usize) -> Result<Vec<Value>, ConnectorError> {
        let url = self.url("Users");
        let count = expected.max(1).to_string();
        let mut users = Vec::new();
        loop {
            let start = (users.len() + 1).to_string();
            let response = self
                .http
                .send(Idempotence::Idempotent, |c| {
                    c.get(&url)
                        .query(&[("filter", filter), ("startIndex", &start), ("count", &count)])
                        .bearer_auth(&self.credentials.token)
                        .header(reqwest::header::ACCEPT, MEDIA_TYPE)
                })
                .await?;
            let body: Value = response.json().await.map_err(|e| not_scim(&e))?;
            let page = match body.get("Resources").and_then(Value::as_array) {
                Some(page) if !page.is_empty() => page.clone(),
                _ => return Ok(users),
            };
            users.extend(page);
            let total = body.get("totalResults").and_then(Value::as_u64).unwrap_or(0);
            if users.len() as u64 >= total {
                return Ok(users);
            }
        }
    }

    /// One `or` filter over many values of one attribute, where the service takes it. `Ok(None)`: it refused.
    async fn query_any(&self, attribute: &str, values: &[&str]) -> Result<Option<Vec<Value>>, ConnectorError> {
        let filter = values
            .iter()
            .map(|v| filter_eq(attribute, v))
            .collect::<Vec<_>>()
            .join(" or ");
        match self.query_all(&filter, values.len()).await {
            Ok(users) => Ok(Some(users)),
            // 400 invalidFilter (or 501) for a filter it cannot run; anything else is a real failure.
            Err(ConnectorError::Rejected(reason)) if values.len() > 1 => {
                tracing::info!(%reason, "the SCIM service refused an `or` filter; looking people up one at a time");
                self.no_or_filters.store(true, Ordering::Relaxed);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// One group of `find_many`: `None` when the service refuses `or` filters.
    async fn find_chunk(&self, chunk: &[Lookup]) -> Result<Option<HashMap<String, TargetUser>>, ConnectorError> {
        if self.no_or_filters.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let mut found: HashMap<String, TargetUser> = HashMap::with_capacity(chunk.len());
        let ids: Vec<&str> = chunk.iter().map(|l| l.external_id.as_str()).collect();
        let Some(users) = self.query_any("externalId", &ids).await? else {
            return Ok(None);
        };
        for user in users.iter().filter_map(to_target_user) {
            if let Some(id) = user.external_id.clone()
                && ids.contains(&id.as_str())
            {
                found.entry(id).or_insert(user);
            }
        }
        let by_email: Vec<(&str, &str)> = chunk
            .iter()
            .filter(|l| !found.contains_key(&l.external_id))
            .filter_map(|l| l.email.as_deref().map(|e| (l.external_id.as_str(), e)))
            .collect();
        if by_email.is_empty() {
            return Ok(Some(found));
        }
        let emails: Vec<&str> = by_email.iter().map(|(_, e)| *e).collect();
        let Some(users) = self.query_any("userName", &emails).await? else {
            return Ok(None);
        };
        // userName is not case-exact (RFC 7643 §4.1.1).
        let mut by_user_name: HashMap<String, TargetUser> = HashMap::new();
        for user in &users {
            if let (Some(name), Some(found_user)) = (user.get("userName").and_then(Value::as_str), to_target_user(user))
            {
                by_user_name.entry(name.to_lowercase()).or_insert(found_user);
            }
        }
        for (id, email) in by_email {
            if let Some(user) = by_user_name.get(&email.to_lowercase()) {
                found.insert(id.to_owned(), user.clone());
            }
        }
        Ok(Some(found))
    }

    /// The enterprise `manager`: the link to the manager's user where the hub has written them (a manager not in
    /// the target yet is named, not linked), or nothing.
    fn manager_value(person: &Person) -> Value {
        let Some(manager) = &person.manager else {
            return Value::Null;
        };
        let mut value = Map::new();
        if let Some(id) = &manager.target_id {
            value.insert("value".into(), json!(id));
        }
        if let Some(name) = &manager.name {
            value.insert("displayName".into(), json!(name));
        }
        if value.is_empty() {
            Value::Null
        } else {
            Value::Object(value)
        }
    }

    async fn patch(&self, id: &str, operations: Vec<Value>) -> Result<(), ConnectorError> {
        let url = self.url(&format!("Users/{id}"));
        let body = json!({"schemas": [PATCH_OP], "Operations": operations});
        // Replacing attributes with the same values twice leaves the same user: safe to retry.
        self.http
            .send(Idempotence::Idempotent, |c| {
                c.patch(&url)
                    .bearer_auth(&self.credentials.token)
                    .header(reqwest::header::ACCEPT, MEDIA_TYPE)
                    .header(reqwest::header::CONTENT_TYPE, MEDIA_TYPE)
                    .json(&body)
            })
            .await
            .map(drop)
    }

    /// The operations that write one field.
    fn operations(&self, person: &Person, change: &FieldChange) -> Vec<Value> {
        let replace_or_remove = |path: &str, value: Value| {
            if value.is_null() {
                json!({"op": "remove", "path": path})
            } else {
                json!({"op": "replace", "path": path, "value": value})
            }
        };
        // The display name follows the name.
        let display_name = json!({"op": "replace", "path": "displayName", "value": person.display_name()});
        match change.field {
            UserField::FirstName => vec![
                replace_or_remove("name.givenName", json!(person.first_name)),
                display_name,
            ],
            UserField::LastName => vec![
                replace_or_remove("name.familyName", json!(person.last_name)),
                display_name,
            ],
            // userName follows the work email; the emails list is replaced whole, since filtered paths
            // (`emails[type eq "work"]`) are optional in RFC 7644 and not every provider supports them.
            UserField::Email => vec![json!({"op": "replace", "value": {
                "userName": person.email,
                "emails": [{"value": person.email, "type": "work", "primary": true}],
            }})],
            UserField::JobTitle => vec![replace_or_remove("title", json!(person.job_title))],
            UserField::Department => vec![replace_or_remove(
                &format!("{ENTERPRISE}:department"),
                json!(person.department),
            )],
            // A replace leaves the sub-attributes it does not name (RFC 7644 §3.5.2.3): the old link would survive a
            // manager named without one. The manager is removed first, then written whole.
            UserField::ManagerName | UserField::Manager => {
                let path = format!("{ENTERPRISE}:manager");
                let mut ops = vec![json!({"op": "remove", "path": path})];
                let value = Self::manager_value(person);
                if !value.is_null() {
                    ops.push(json!({"op": "replace", "path": path, "value": value}));
                }
                ops
            }
            UserField::ManagerEmail => match &self.settings.manager_email_attribute {
                Some(path) => vec![replace_or_remove(
                    path,
                    json!(person.manager.as_ref().and_then(|m| m.email.clone())),
                )],
                None => Vec::new(),
            },
            UserField::Location => match &self.settings.location_attribute {
                Some(path) => vec![replace_or_remove(path, json!(person.location))],
                None => Vec::new(),
            },
            UserField::Active => vec![replace_or_remove(
                "active",
                json!(person.status == PersonStatus::Active),
            )],
        }
    }

    async fn user_body(&self, person: &Person) -> Result<Value, ConnectorError> {
        let email = person
            .email
            .as_deref()
            .ok_or_else(|| ConnectorError::Rejected("SCIM needs an email to use as userName".into()))?;
        let mut user = json!({
            "schemas": [USER_SCHEMA, ENTERPRISE],
            "externalId": person.source_id,
            "userName": email,
            "displayName": person.display_name(),
            "name": {"givenName": person.first_name, "familyName": person.last_name},
            "emails": [{"value": email, "type": "work", "primary": true}],
            "active": person.status == PersonStatus::Active,
        });
        if let Some(title) = &person.job_title {
            user["title"] = json!(title);
        }
        let mut enterprise = Map::new();
        if let Some(department) = &person.department {
            enterprise.insert("department".into(), json!(department));
        }
        let manager = Self::manager_value(person);
        if !manager.is_null() {
            enterprise.insert("manager".into(), manager);
        }
        if !enterprise.is_empty() {
            user[ENTERPRISE] = Value::Object(enterprise);
        }
        if let (Some(path), Some(email)) = (
            &self.settings.manager_email_attribute,
            person.manager.as_ref().and_then(|m| m.email.as_ref()),
        ) {
            set_path(&mut user, path, json!(email));
        }
        if let (Some(path), Some(location)) = (&self.settings.location_attribute, &person.location) {
            set_path(&mut user, path, json!(location));
        }
        Ok(user)
    }
}

/// Places a value at a SCIM attribute path: `attr`, `attr.sub`, or `urn:…:attr` for an extension.
fn set_path(user: &mut Value, path: &str, value: Value) {
    let (container, attribute) = match path.rfind(':') {
        Some(idx) if path.starts_with("urn:") => (Some(&path[..idx]), &path[idx + 1..]),
        _ => (None, path),
    };
    let mut target = match container {
        Some(urn) => user
            .as_object_mut()
            .expect("object")
            .entry(urn)
            .or_insert_with(|| json!({})),
        None => user,
    };
    let mut parts = attribute.split('.').peekable();
    while let Some(part) = parts.next() {
        let object = target.as_object_mut().expect("object");
        if parts.peek().is_none() {
            object.insert(part.to_owned(), value);
            return;
        }
        target = object.entry(part).or_insert_with(|| json!({}));
    }
}

/// RFC 7644 §3.4.2.2: string values are quoted, with `"` and `\` escaped.
fn filter_eq(attribute: &str, value: &str) -> String {
    format!(
        "{attribute} eq \"{}\"",
        value.replace('\\', "\\\\").replace('"', "\\\"")
    )
}

fn not_scim(e: &reqwest::Error) -> ConnectorError {
    ConnectorError::Rejected(format!("the SCIM service did not answer with JSON: {e}"))
}

fn to_target_user(user: &Value) -> Option<TargetUser> {
    let primary_email = user
        .get("emails")
        .and_then(Value::as_array)
        .and_then(|emails| emails.iter().find(|e| e["primary"] == true).or_else(|| emails.first()))
        .and_then(|e| e.get("value"))
        .and_then(Value::as_str)
        .or_else(|| user.get("userName").and_then(Value::as_str));
    Some(TargetUser {
        target_id: user.get("id")?.as_str()?.to_owned(),
        external_id: user.get("externalId").and_then(Value::as_str).map(str::to_owned),
        email: primary_email.map(str::to_owned),
        active: user.get("active").and_then(Value::as_bool).unwrap_or(true),
    })
}

#[async_trait::async_trait]
impl UserTarget for ScimTarget {
    async fn find(&self, external_id: &str, email: Option<&str>) -> Result<Option<TargetUser>, ConnectorError> {
        if let Some(user) = self.query(&filter_eq("externalId", external_id)).await? {
            return Ok(to_target_user(&user));
        }
        match email {
            Some(email) => Ok(self
                .query(&filter_eq("userName", email))
                .await?
                .as_ref()
                .and_then(to_target_user)),
            None => Ok(None),
        }
    }

    /// Two requests per 50 people (external ids, then the emails of those not found) instead of two per person;
    /// a few groups of 50 at once.
    async fn find_many(&self, lookups: &[Lookup]) -> Result<Option<HashMap<String, TargetUser>>, ConnectorError> {
        // Boxed, because a closure over `chunks()` is not general enough for the `Send` check of async_trait.
        let finds: Vec<futures::future::BoxFuture<'_, _>> = lookups
            .chunks(LOOKUP_CHUNK)
            .map(|chunk| Box::pin(self.find_chunk(chunk)) as _)
            .collect();
        let mut chunks = futures::stream::iter(finds).buffer_unordered(LOOKUPS_AT_ONCE);
        let mut found: HashMap<String, TargetUser> = HashMap::with_capacity(lookups.len());
        while let Some(chunk) = chunks.next().await {
            let Some(chunk) = chunk? else {
                return Ok(None);
            };
            found.extend(chunk);
        }
        Ok(Some(found))
    }

    async fn create(&self, person: &Person) -> Result<String, ConnectorError> {
        let body = self.user_body(person).await?;
        let url = self.url("Users");
        // A repeated create could make a second user; the binding saved after each write is what prevents repeats.
        let response = self
            .http
            .send(Idempotence::NotIdempotent, |c| {
                c.post(&url)
                    .bearer_auth(&self.credentials.token)
                    .header(reqwest::header::ACCEPT, MEDIA_TYPE)
                    .header(reqwest::header::CONTENT_TYPE, MEDIA_TYPE)
                    .json(&body)
            })
            .await?;
        let created: Value = response.json().await.map_err(|e| not_scim(&e))?;
        created
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| ConnectorError::Rejected("the SCIM service created the user but sent no id".into()))
    }

    async fn update(&self, target_id: &str, person: &Person, changes: &[FieldChange]) -> Result<(), ConnectorError> {
        let mut operations: Vec<Value> = Vec::new();
        for op in changes.iter().flat_map(|change| self.operations(person, change)) {
            // The manager's name and link go to one attribute, and both names to the display name: written once.
            if !operations.contains(&op) {
                operations.push(op);
            }
        }
        if operations.is_empty() {
            return Ok(());
        }
        self.patch(target_id, operations).await
    }

    async fn deactivate(&self, target_id: &str) -> Result<(), ConnectorError> {
        self.patch(
            target_id,
            vec![json!({"op": "replace", "path": "active", "value": false})],
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_escape_quotes() {
        assert_eq!(filter_eq("userName", r#"a"b\c"#), r#"userName eq "a\"b\\c""#);
    }

    #[test]
    fn attribute_paths_place_values() {
        let mut user = json!({"userName": "x"});
        set_path(
            &mut user,
            "urn:example:params:scim:schemas:extension:acme:2.0:User:managerEmail",
            json!("m@x"),
        );
        set_path(&mut user, "addresses.locality", json!("Sydney"));
        assert_eq!(
            user["urn:example:params:scim:schemas:extension:acme:2.0:User"]["managerEmail"],
            "m@x"
        );
        assert_eq!(user["addresses"]["locality"], "Sydney");
    }
}
