//! SCIM PATCH (RFC 7644 §3.5.2): `add`, `replace` and `remove` operations, with and without a `path`, on a
//! resource held as a JSON object. Operations apply to a copy; the caller keeps it only if all succeed.
use serde_json::{Map, Value};

use super::ScimError;
use super::filter::{self, AttrPath, Filter, key_of};

/// A PATCH path: `attr`, `attr.sub`, `urn:…:attr[.sub]`, `attr[filter]`, `attr[filter].sub`, or a whole
/// extension (`urn:…:User`).
#[derive(Debug, Clone)]
pub struct PatchPath {
    pub target: AttrPath,
    pub filter: Option<Filter>,
    /// The path names a whole extension object.
    pub extension: Option<String>,
}

fn invalid_path(path: &str, why: &str) -> ScimError {
    ScimError::new(
        400,
        Some("invalidPath"),
        &format!("The path `{path}` is invalid: {why}"),
    )
}

pub fn parse_path(path: &str, schemas: &[String]) -> Result<PatchPath, ScimError> {
    let trimmed = path.trim();
    if let Some(urn) = schemas.iter().find(|s| s.eq_ignore_ascii_case(trimmed)) {
        return Ok(PatchPath {
            target: AttrPath {
                urn: None,
                attr: urn.clone(),
                sub: None,
            },
            filter: None,
            extension: Some(urn.clone()),
        });
    }
    let Some(open) = trimmed.find('[') else {
        let target = AttrPath::parse(trimmed).ok_or_else(|| invalid_path(path, "not an attribute path"))?;
        return Ok(PatchPath {
            target,
            filter: None,
            extension: None,
        });
    };
    let close = trimmed.rfind(']').ok_or_else(|| invalid_path(path, "missing `]`"))?;
    let mut target = AttrPath::parse(&trimmed[..open]).ok_or_else(|| invalid_path(path, "not an attribute path"))?;
    if target.sub.is_some() {
        return Err(invalid_path(path, "a filter follows a sub-attribute"));
    }
    let inner = filter::parse(&trimmed[open + 1..close]).map_err(|e| invalid_path(path, &e))?;
    let rest = &trimmed[close + 1..];
    if !rest.is_empty() {
        let sub = rest
            .strip_prefix('.')
            .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .ok_or_else(|| invalid_path(path, "expected `.subAttribute` after the filter"))?;
        target.sub = Some(sub.to_owned());
    }
    Ok(PatchPath {
        target,
        filter: Some(inner),
        extension: None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Add,
    Replace,
    Remove,
}

/// Attributes the client cannot write (RFC 7643 §3.1: `id` and `meta` are read-only).
fn read_only(path: &PatchPath) -> bool {
    path.target.urn.is_none()
        && path.extension.is_none()
        && (path.target.attr.eq_ignore_ascii_case("id") || path.target.attr.eq_ignore_ascii_case("meta"))
}

fn entry_key(object: &Map<String, Value>, name: &str) -> String {
    key_of(object, name).cloned().unwrap_or_else(|| name.to_owned())
}

/// The object holding the target attribute: the resource, or the extension object named by the path's URN.
fn container<'a>(
    resource: &'a mut Map<String, Value>,
    urn: Option<&str>,
    create: bool,
) -> Option<&'a mut Map<String, Value>> {
    let Some(urn) = urn else {
        return Some(resource);
    };
    let key = entry_key(resource, urn);
    if !resource.contains_key(&key) {
        if !create {
            return None;
        }
        resource.insert(key.clone(), Value::Object(Map::new()));
        let schemas = resource.entry("schemas").or_insert_with(|| Value::Array(vec![]));
        if let Value::Array(list) = schemas
            && !list
                .iter()
                .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn)))
        {
            list.push(Value::String(urn.to_owned()));
        }
    }
    resource.get_mut(&key).and_then(Value::as_object_mut)
}

/// `add` merges objects and appends to lists; `replace` overwrites lists and merges objects (RFC 7644
/// §3.5.2.1 and §3.5.2.3: sub-attributes not given are left as they were).
fn put(slot: &mut Map<String, Value>, key: &str, value: Value, kind: Kind) {
    let key = entry_key(slot, key);
    match (slot.get_mut(&key), value) {
        (Some(Value::Array(existing)), Value::Array(new)) if kind == Kind::Add => {
            for item in new {
                if !existing.contains(&item) {
                    existing.push(item);
                }
            }
        }
        (Some(Value::Array(existing)), new) if kind == Kind::Add && !new.is_array() => {
            if !existing.contains(&new) {
                existing.push(new);
            }
        }
        (Some(Value::Object(existing)), Value::Object(new)) => {
            for (k, v) in new {
                let k = entry_key(existing, &k);
                existing.insert(k, v);
            }
        }
        (_, value) => {
            slot.insert(key, value);
        }
    }
}

fn no_target(path: &str) -> ScimError {
    ScimError::new(
        400,
        Some("noTarget"),
        &format!("The path `{path}` did not match any value"),
    )
}

fn apply_at(
    resource: &mut Map<String, Value>,
    raw: &str,
    path: &PatchPath,
    kind: Kind,
    value: Option<Value>,
) -> Result<(), ScimError> {
    if read_only(path) {
        return Err(ScimError::new(
            400,
            Some("mutability"),
            &format!("The attribute `{}` is read-only", path.target.attr),
        ));
    }
    if let Some(urn) = &path.extension {
        let key = entry_key(resource, urn);
        match (kind, value) {
            (Kind::Remove, _) => {
                resource.remove(&key);
            }
            (_, Some(Value::Object(new))) => {
                let slot = container(resource, Some(urn), true).expect("created");
                for (k, v) in new {
                    put(slot, &k, v, kind);
                }
            }
            _ => {
                return Err(ScimError::new(
                    400,
                    Some("invalidValue"),
                    "An extension is set with an object",
                ));
            }
        }
        return Ok(());
    }
    let target = &path.target;
    let create = kind != Kind::Remove;
    let Some(slot) = container(resource, target.urn.as_deref(), create) else {
        return Ok(());
    };
    let key = entry_key(slot, &target.attr);
    if let Some(filter) = &path.filter {
        let Some(Value::Array(items)) = slot.get_mut(&key) else {
            return match kind {
                Kind::Remove => Ok(()),
                _ => Err(no_target(raw)),
            };
        };
        let mut matched = 0;
        let mut kept = Vec::with_capacity(items.len());
        for mut item in std::mem::take(items) {
            let hit = item.as_object().is_some_and(|o| filter::matches(filter, o));
            if !hit {
                kept.push(item);
                continue;
            }
            matched += 1;
            match (kind, &target.sub) {
                (Kind::Remove, None) => continue,
                (Kind::Remove, Some(sub)) => {
                    if let Some(o) = item.as_object_mut() {
                        let k = entry_key(o, sub);
                        o.remove(&k);
                    }
                }
                (_, Some(sub)) => {
                    if let Some(o) = item.as_object_mut() {
                        put(o, sub, value.clone().unwrap_or(Value::Null), Kind::Replace);
                    }
                }
                (Kind::Replace, None) => item = value.clone().unwrap_or(Value::Null),
                (Kind::Add, None) => {
                    if let (Some(o), Some(Value::Object(new))) = (item.as_object_mut(), value.clone()) {
                        for (k, v) in new {
                            put(o, &k, v, Kind::Replace);
                        }
                    }
                }
            }
            kept.push(item);
        }
        let empty = kept.is_empty();
        *items = kept;
        if empty {
            slot.remove(&key);
        }
        // RFC 7644 §3.5.2.3: a value filter that selects nothing is a `noTarget` failure.
        return if matched == 0 && kind != Kind::Remove {
            Err(no_target(raw))
        } else {
            Ok(())
        };
    }
    match (&target.sub, kind) {
        (None, Kind::Remove) => match (value, slot.get_mut(&key)) {
            // Removing given values from a multi-valued attribute, as some clients do for members.
            (Some(Value::Array(gone)), Some(Value::Array(items))) => {
                items.retain(|item| !gone.contains(item));
                if items.is_empty() {
                    slot.remove(&key);
                }
            }
            _ => {
                slot.remove(&key);
            }
        },
        (None, _) => put(slot, &key, value.unwrap_or(Value::Null), kind),
        (Some(sub), Kind::Remove) => {
            if let Some(Value::Object(inner)) = slot.get_mut(&key) {
                let sub_key = entry_key(inner, sub);
                inner.remove(&sub_key);
                if inner.is_empty() {
                    slot.remove(&key);
                }
            }
        }
        (Some(sub), _) => {
            let inner = slot.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if !inner.is_object() {
                *inner = Value::Object(Map::new());
            }
            put(
                inner.as_object_mut().expect("object"),
                sub,
                value.unwrap_or(Value::Null),
                kind,
            );
        }
    }
    Ok(())
}

/// Applies one operation from a PatchOp request.
pub fn apply(resource: &mut Map<String, Value>, operation: &Value) -> Result<(), ScimError> {
    let invalid = |detail: &str| ScimError::new(400, Some("invalidSyntax"), detail);
    let op = operation
        .get("op")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("Each operation needs an `op`"))?;
    // Operation names are case-insensitive: several identity providers send `Replace` and `Add`.
    let kind = match op.to_ascii_lowercase().as_str() {
        "add" => Kind::Add,
        "replace" => Kind::Replace,
        "remove" => Kind::Remove,
        other => return Err(invalid(&format!("Unknown operation `{other}`"))),
    };
    let value = operation.get("value").cloned();
    let schemas: Vec<String> = resource
        .get("schemas")
        .and_then(Value::as_array)
        .map(|s| {
            s.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
        .into_iter()
        .chain([super::ENTERPRISE_SCHEMA.to_owned()])
        .collect();
    match operation.get("path").and_then(Value::as_str) {
        Some(raw) => {
            let path = parse_path(raw, &schemas)?;
            if kind != Kind::Remove && value.is_none() {
                return Err(invalid("`add` and `replace` need a `value`"));
            }
            apply_at(resource, raw, &path, kind, value)
        }
        None if kind == Kind::Remove => Err(ScimError::new(
            400,
            Some("noTarget"),
            "A `remove` operation needs a `path`",
        )),
        None => {
            // Without a path the value is an object of attributes, each of them a path of its own (some
            // clients send `name.givenName` as a key), and extension URNs hold objects of theirs.
            let Some(Value::Object(attributes)) = value else {
                return Err(ScimError::new(
                    400,
                    Some("invalidValue"),
                    "Without a `path`, `value` must be an object of attributes",
                ));
            };
            for (key, v) in attributes {
                let path = parse_path(&key, &schemas)?;
                apply_at(resource, &key, &path, kind, Some(v))?;
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

    fn user() -> Map<String, Value> {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "id": "u1", "userName": "a@x", "active": true, "title": "Engineer",
            "name": {"givenName": "Ada", "familyName": "Byron"},
            "emails": [{"value": "a@x", "type": "work", "primary": true}, {"value": "a@home", "type": "home"}],
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn patch(user: &mut Map<String, Value>, op: Value) -> Result<(), ScimError> {
        apply(user, &op)
    }

    #[test]
    fn operations_with_paths() {
        let mut u = user();
        patch(
            &mut u,
            json!({"op": "replace", "path": "name.givenName", "value": "Augusta"}),
        )
        .unwrap();
        assert_eq!(u["name"], json!({"givenName": "Augusta", "familyName": "Byron"}));
        patch(&mut u, json!({"op": "Replace", "path": "active", "value": false})).unwrap();
        assert_eq!(u["active"], false);
        patch(
            &mut u,
            json!({"op": "replace", "path": format!("{ENTERPRISE}:department"), "value": "R&D"}),
        )
        .unwrap();
        patch(&mut u, json!({"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": {"value": "m1", "displayName": "Charles"}})).unwrap();
        assert_eq!(
            u[ENTERPRISE],
            json!({"department": "R&D", "manager": {"value": "m1", "displayName": "Charles"}})
        );
        assert!(
            u["schemas"].as_array().unwrap().contains(&json!(ENTERPRISE)),
            "the extension joins schemas"
        );
        patch(&mut u, json!({"op": "remove", "path": format!("{ENTERPRISE}:manager")})).unwrap();
        assert_eq!(u[ENTERPRISE], json!({"department": "R&D"}));
        patch(
            &mut u,
            json!({"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ada@x"}),
        )
        .unwrap();
        assert_eq!(u["emails"][0]["value"], "ada@x");
        patch(&mut u, json!({"op": "remove", "path": "emails[type eq \"home\"]"})).unwrap();
        assert_eq!(u["emails"].as_array().unwrap().len(), 1);
        patch(
            &mut u,
            json!({"op": "add", "path": "emails", "value": [{"value": "b@x", "type": "other"}]}),
        )
        .unwrap();
        assert_eq!(u["emails"].as_array().unwrap().len(), 2);
        patch(&mut u, json!({"op": "remove", "path": "title"})).unwrap();
        assert!(u.get("title").is_none());
        patch(&mut u, json!({"op": "add", "path": "title", "value": "Countess"})).unwrap();
        assert_eq!(u["title"], "Countess");
    }

    #[test]
    fn operations_without_paths() {
        let mut u = user();
        patch(&mut u, json!({"op": "replace", "value": {"title": "Lead", "name": {"familyName": "King"}, ENTERPRISE: {"department": "Ops"}}})).unwrap();
        assert_eq!(u["title"], "Lead");
        assert_eq!(
            u["name"],
            json!({"givenName": "Ada", "familyName": "King"}),
            "sub-attributes not given stay"
        );
        assert_eq!(u[ENTERPRISE]["department"], "Ops");
        patch(
            &mut u,
            json!({"op": "add", "value": {"name.givenName": "Augusta", "nickName": "Ada"}}),
        )
        .unwrap();
        assert_eq!(u["name"]["givenName"], "Augusta");
        assert_eq!(u["nickName"], "Ada");
    }

    #[test]
    fn refusals_carry_scim_types() {
        let scim_type = |op: Value| patch(&mut user(), op).unwrap_err().scim_type;
        assert_eq!(scim_type(json!({"op": "remove"})).as_deref(), Some("noTarget"));
        assert_eq!(
            scim_type(json!({"op": "replace", "path": "emails[type eq \"fax\"].value", "value": "x"})).as_deref(),
            Some("noTarget")
        );
        assert_eq!(
            scim_type(json!({"op": "replace", "path": "id", "value": "x"})).as_deref(),
            Some("mutability")
        );
        assert_eq!(
            scim_type(json!({"op": "replace", "path": "emails[type eq", "value": "x"})).as_deref(),
            Some("invalidPath")
        );
        assert_eq!(
            scim_type(json!({"op": "replace", "path": "9lives", "value": "x"})).as_deref(),
            Some("invalidPath")
        );
        assert_eq!(
            scim_type(json!({"op": "move", "path": "title"})).as_deref(),
            Some("invalidSyntax")
        );
    }
}
