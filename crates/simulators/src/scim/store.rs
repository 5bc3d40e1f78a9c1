//! The users a SCIM service provider holds, in creation order, with the indexes the common filters need.
use std::collections::{BTreeMap, HashMap};

use chrono::{SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::filter::{self, Filter, get_ci};
use super::{ENTERPRISE_SCHEMA, ScimError, USER_SCHEMA, patch};

#[derive(Debug, Default)]
pub struct Store {
    next: u64,
    users: BTreeMap<u64, Map<String, Value>>,
    by_id: HashMap<String, u64>,
    /// Lower-cased: `userName` is unique regardless of case (RFC 7643 §4.1.1, `caseExact` false).
    by_user_name: HashMap<String, u64>,
    by_external_id: HashMap<String, Vec<u64>>,
    /// Users whose `userName` or email contains one of these are refused (the "record the target refuses" fault).
    pub refused: Vec<String>,
    /// Answer filters joined by `or` with 400 invalidFilter, as some providers do (their filter support is limited
    /// to single equalities).
    pub refuse_or_filters: bool,
}

fn text<'a>(user: &'a Map<String, Value>, attr: &str) -> Option<&'a str> {
    get_ci(user, attr).and_then(Value::as_str)
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn invalid_value(detail: &str) -> ScimError {
    ScimError::new(400, Some("invalidValue"), detail)
}

impl Store {
    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    pub fn get(&self, id: &str) -> Option<&Map<String, Value>> {
        self.by_id.get(id).and_then(|seq| self.users.get(seq))
    }

    pub fn all(&self) -> impl Iterator<Item = &Map<String, Value>> {
        self.users.values()
    }

    fn index(&mut self, seq: u64, user: &Map<String, Value>) {
        if let Some(name) = text(user, "userName") {
            self.by_user_name.insert(name.to_lowercase(), seq);
        }
        if let Some(external) = text(user, "externalId") {
            self.by_external_id.entry(external.to_owned()).or_default().push(seq);
        }
    }

    fn unindex(&mut self, seq: u64, user: &Map<String, Value>) {
        if let Some(name) = text(user, "userName") {
            self.by_user_name.remove(&name.to_lowercase());
        }
        if let Some(external) = text(user, "externalId")
            && let Some(list) = self.by_external_id.get_mut(external)
        {
            list.retain(|s| *s != seq);
            if list.is_empty() {
                self.by_external_id.remove(external);
            }
        }
    }

    /// Checks what every written user must satisfy: a `userName` no one else has, a boolean `active`, and
    /// not being refused.
    fn validate(&self, user: &Map<String, Value>, own: Option<u64>) -> Result<(), ScimError> {
        let Some(user_name) = text(user, "userName").filter(|n| !n.trim().is_empty()) else {
            return Err(invalid_value(
                "Attribute 'userName' is required and must be a non-empty string",
            ));
        };
        if let Some(active) = get_ci(user, "active")
            && !active.is_boolean()
        {
            return Err(invalid_value("Attribute 'active' must be a boolean"));
        }
        if let Some(emails) = get_ci(user, "emails")
            && !emails.is_array()
        {
            return Err(invalid_value("Attribute 'emails' must be multi-valued"));
        }
        if let Some(other) = self.by_user_name.get(&user_name.to_lowercase())
            && Some(*other) != own
        {
            return Err(ScimError::new(
                409,
                Some("uniqueness"),
                &format!("User with userName '{user_name}' already exists"),
            ));
        }
        let emails = get_ci(user, "emails")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|e| e.get("value").and_then(Value::as_str));
        let mut addresses = std::iter::once(user_name).chain(emails);
        if let Some(refused) = addresses.find_map(|a| {
            self.refused
                .iter()
                .find(|r| a.to_lowercase().contains(&r.to_lowercase()))
        }) {
            return Err(invalid_value(&format!(
                "The user was refused by the service provider's policy ({refused})"
            )));
        }
        Ok(())
    }

    /// Keeps what the client may set and puts the server's own attributes back.
    fn normalise(
        mut user: Map<String, Value>,
        id: &str,
        created: &str,
        version: u64,
        base: &str,
    ) -> Map<String, Value> {
        for readonly in ["id", "meta"] {
            if let Some(key) = filter::key_of(&user, readonly).cloned() {
                user.remove(&key);
            }
        }
        if filter::key_of(&user, "active").is_none() {
            user.insert("active".into(), json!(true));
        }
        let mut schemas: Vec<Value> = vec![json!(USER_SCHEMA)];
        if filter::key_of(&user, ENTERPRISE_SCHEMA).is_some() {
            schemas.push(json!(ENTERPRISE_SCHEMA));
        }
        if let Some(Value::Array(given)) = user.get("schemas") {
            for s in given {
                if !schemas.iter().any(|k| {
                    k.as_str()
                        .zip(s.as_str())
                        .is_some_and(|(a, b)| a.eq_ignore_ascii_case(b))
                }) {
                    schemas.push(s.clone());
                }
            }
        }
        user.insert("schemas".into(), Value::Array(schemas));
        user.insert("id".into(), json!(id));
        user.insert(
            "meta".into(),
            json!({
                "resourceType": "User",
                "created": created,
                "lastModified": now(),
                "location": format!("{base}/Users/{id}"),
                "version": format!("W/\"{version}\""),
            }),
        );
        user
    }

    pub fn create(&mut self, body: Value, base: &str) -> Result<Map<String, Value>, ScimError> {
        let Value::Object(user) = body else {
            return Err(ScimError::new(
                400,
                Some("invalidSyntax"),
                "The body must be a User object",
            ));
        };
        let schemas_ok = user.get("schemas").and_then(Value::as_array).is_some_and(|s| {
            s.iter()
                .any(|v| v.as_str().is_some_and(|v| v.eq_ignore_ascii_case(USER_SCHEMA)))
        });
        if !schemas_ok {
            return Err(ScimError::new(
                400,
                Some("invalidSyntax"),
                &format!("'schemas' must include {USER_SCHEMA}"),
            ));
        }
        self.validate(&user, None)?;
        self.next += 1;
        let seq = self.next;
        let id = uuid::Uuid::new_v4().to_string();
        let user = Self::normalise(user, &id, &now(), 1, base);
        self.index(seq, &user);
        self.by_id.insert(id, seq);
        self.users.insert(seq, user.clone());
        Ok(user)
    }

    fn version(user: &Map<String, Value>) -> u64 {
        user.get("meta")
            .and_then(|m| m.get("version"))
            .and_then(Value::as_str)
            .and_then(|v| v.trim_start_matches("W/").trim_matches('"').parse().ok())
            .unwrap_or(1)
    }

    fn commit(
        &mut self,
        seq: u64,
        old: &Map<String, Value>,
        user: Map<String, Value>,
        base: &str,
    ) -> Map<String, Value> {
        let id = text(old, "id").unwrap_or_default().to_owned();
        let created = old
            .get("meta")
            .and_then(|m| m.get("created"))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let user = Self::normalise(user, &id, &created, Self::version(old) + 1, base);
        self.unindex(seq, old);
        self.index(seq, &user);
        self.users.insert(seq, user.clone());
        user
    }

    fn not_found(id: &str) -> ScimError {
        ScimError::new(404, None, &format!("Resource {id} not found"))
    }

    pub fn replace(&mut self, id: &str, body: Value, base: &str) -> Result<Map<String, Value>, ScimError> {
        let seq = *self.by_id.get(id).ok_or_else(|| Self::not_found(id))?;
        let Value::Object(user) = body else {
            return Err(ScimError::new(
                400,
                Some("invalidSyntax"),
                "The body must be a User object",
            ));
        };
        self.validate(&user, Some(seq))?;
        let old = self.users.get(&seq).cloned().expect("indexed");
        Ok(self.commit(seq, &old, user, base))
    }

    pub fn patch(&mut self, id: &str, body: &Value, base: &str) -> Result<Map<String, Value>, ScimError> {
        let seq = *self.by_id.get(id).ok_or_else(|| Self::not_found(id))?;
        let is_patch_op = body.get("schemas").and_then(Value::as_array).is_some_and(|s| {
            s.iter()
                .any(|v| v.as_str().is_some_and(|v| v.eq_ignore_ascii_case(super::PATCH_SCHEMA)))
        });
        let operations = body
            .get("Operations")
            .or_else(|| body.get("operations"))
            .and_then(Value::as_array);
        let (true, Some(operations)) = (is_patch_op, operations) else {
            return Err(ScimError::new(
                400,
                Some("invalidSyntax"),
                &format!("A PATCH body is a {} message with `Operations`", super::PATCH_SCHEMA),
            ));
        };
        let old = self.users.get(&seq).cloned().expect("indexed");
        let mut user = old.clone();
        for operation in operations {
            patch::apply(&mut user, operation)?;
        }
        self.validate(&user, Some(seq))?;
        Ok(self.commit(seq, &old, user, base))
    }

    pub fn delete(&mut self, id: &str) -> Result<(), ScimError> {
        let seq = self.by_id.remove(id).ok_or_else(|| Self::not_found(id))?;
        if let Some(old) = self.users.remove(&seq) {
            self.unindex(seq, &old);
        }
        Ok(())
    }

    /// Users matching `filter`, as (total, the page from `start` (1-based) of at most `count`).
    pub fn query(&self, filter: Option<&Filter>, start: usize, count: usize) -> (usize, Vec<Map<String, Value>>) {
        // Equalities on indexed attributes, alone or joined by `or`, are answered from the indexes (as a real
        // service's database would); the users come in the order they were created.
        let indexed: Option<Vec<u64>> = filter.and_then(filter::simple_eqs).and_then(|eqs| {
            let mut seqs = Vec::new();
            for (attr, value) in eqs {
                if attr.eq_ignore_ascii_case("userName") {
                    seqs.extend(self.by_user_name.get(&value.to_lowercase()).copied());
                } else if attr.eq_ignore_ascii_case("externalId") {
                    seqs.extend(self.by_external_id.get(value).cloned().unwrap_or_default());
                } else if attr.eq_ignore_ascii_case("id") {
                    seqs.extend(self.by_id.get(value).copied());
                } else {
                    return None;
                }
            }
            seqs.sort_unstable();
            seqs.dedup();
            Some(seqs)
        });
        let matching: Vec<&Map<String, Value>> = match indexed {
            Some(seqs) => seqs.iter().filter_map(|s| self.users.get(s)).collect(),
            None => self
                .users
                .values()
                .filter(|u| filter.is_none_or(|f| filter::matches(f, u)))
                .collect(),
        };
        let page = matching
            .iter()
            .skip(start.saturating_sub(1))
            .take(count)
            .map(|u| (*u).clone())
            .collect();
        (matching.len(), page)
    }
}
