//! The ORM methods `object.execute_kw` reaches: `search_read`, `search`, `search_count`, `read`, `create`,
//! `write`, `unlink` and `fields_get`, taking their parameters positionally or by keyword as Odoo does.
use std::cmp::Ordering;

use serde_json::{Map, Value, json};

use super::OdooError;
use super::domain::{self, Domain};
use super::models::{Database, Kind, Model, missing};

/// Positional argument `i`, or the keyword `name`.
fn param<'a>(args: &'a [Value], kwargs: &'a Map<String, Value>, i: usize, name: &str) -> Option<&'a Value> {
    args.get(i).or_else(|| kwargs.get(name)).filter(|v| !v.is_null())
}

fn type_error(message: &str) -> OdooError {
    OdooError::new("builtins.TypeError", message)
}

fn ids_of(value: Option<&Value>) -> Result<Vec<i64>, OdooError> {
    match value {
        Some(Value::Number(n)) => n
            .as_i64()
            .map(|i| vec![i])
            .ok_or_else(|| type_error("ids are integers")),
        Some(Value::Array(list)) => list
            .iter()
            .map(|v| v.as_i64().ok_or_else(|| type_error("ids are integers")))
            .collect(),
        _ => Err(type_error("missing the record ids")),
    }
}

fn active_test(kwargs: &Map<String, Value>) -> bool {
    kwargs
        .get("context")
        .and_then(|c| c.get("active_test"))
        .and_then(Value::as_bool)
        .unwrap_or(true)
}

fn sort_key(db: &Database, model: &Model, row: &Map<String, Value>, field: &str) -> Option<String> {
    let raw = row.get(field)?;
    match model.field(field).map(|f| f.kind) {
        Some(Kind::Many2one(target)) => raw
            .as_i64()
            .and_then(|id| db.display_name(target, id))
            .map(|n| n.to_lowercase()),
        Some(Kind::Integer) => raw.as_i64().map(|n| format!("{:020}", n + (1 << 40))),
        Some(Kind::Boolean) => raw.as_bool().map(|b| u8::from(b).to_string()),
        _ => raw.as_str().map(str::to_lowercase),
    }
}

fn parse_order(model: &Model, order: Option<&Value>) -> Result<Vec<(String, bool)>, OdooError> {
    let text = order.and_then(Value::as_str).unwrap_or(model.order);
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|part| {
            let mut words = part.split_whitespace();
            let field = words.next().unwrap_or_default();
            let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
                None | Some("asc") => false,
                Some("desc") => true,
                Some(other) => {
                    return Err(OdooError::new(
                        "builtins.ValueError",
                        &format!("Invalid order direction: {other}"),
                    ));
                }
            };
            if model.field(field).is_none() {
                return Err(OdooError::new(
                    "builtins.ValueError",
                    &format!("Invalid field {field:?} on model {:?}", model.name),
                ));
            }
            Ok((field.to_owned(), descending))
        })
        .collect()
}

/// The ids a search finds, ordered and paged.
fn search_ids(
    db: &Database,
    model: &Model,
    args: &[Value],
    kwargs: &Map<String, Value>,
    positions: (usize, usize, usize),
) -> Result<Vec<i64>, OdooError> {
    let mut domain = domain::parse(model, param(args, kwargs, 0, "domain").unwrap_or(&Value::Null))?;
    // Archived records stay out unless asked for, or unless the domain is about `active` itself.
    if active_test(kwargs) && model.field("active").is_some() && !domain::mentions(&domain, "active") {
        domain = Domain::And(
            Box::new(domain),
            Box::new(Domain::Leaf("active".into(), "=".into(), json!(true))),
        );
    }
    let table = db.table(model.name).expect("known model");
    let mut rows: Vec<&Map<String, Value>> = table
        .rows
        .values()
        .filter(|row| domain::matches(db, model, &domain, row))
        .collect();
    let order = parse_order(model, param(args, kwargs, positions.2, "order"))?;
    rows.sort_by(|a, b| {
        for (field, descending) in &order {
            // PostgreSQL puts NULLs last when ascending and first when descending.
            let ordering = match (sort_key(db, model, a, field), sort_key(db, model, b, field)) {
                (Some(x), Some(y)) => x.cmp(&y),
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (None, None) => Ordering::Equal,
            };
            let ordering = if *descending { ordering.reverse() } else { ordering };
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        a.get("id")
            .and_then(Value::as_i64)
            .cmp(&b.get("id").and_then(Value::as_i64))
    });
    let offset = param(args, kwargs, positions.0, "offset")
        .and_then(Value::as_u64)
        .unwrap_or(0) as usize;
    let limit = param(args, kwargs, positions.1, "limit")
        .and_then(Value::as_u64)
        .map(|l| l as usize);
    Ok(rows
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .filter_map(|r| r.get("id").and_then(Value::as_i64))
        .collect())
}

fn field_names(model: &Model, fields: Option<&Value>) -> Result<Vec<String>, OdooError> {
    let names: Vec<String> = match fields.and_then(Value::as_array) {
        Some(list) if !list.is_empty() => list.iter().filter_map(Value::as_str).map(str::to_owned).collect(),
        _ => model.fields.iter().map(|f| f.name.to_owned()).collect(),
    };
    for name in &names {
        if model.field(name).is_none() {
            return Err(OdooError::new(
                "builtins.ValueError",
                &format!("Invalid field '{name}' on model '{}'", model.name),
            ));
        }
    }
    Ok(names)
}

fn read_rows(db: &Database, model: &Model, ids: &[i64], fields: &[String]) -> Vec<Value> {
    let table = db.table(model.name).expect("known model");
    ids.iter()
        .filter_map(|id| table.rows.get(id))
        .map(|row| {
            let mut out = Map::new();
            out.insert("id".into(), row.get("id").cloned().unwrap_or(Value::Null));
            for name in fields {
                out.insert(name.clone(), db.render(model, row, name));
            }
            Value::Object(out)
        })
        .collect()
}

fn vals_of(value: &Value) -> Result<&Map<String, Value>, OdooError> {
    value
        .as_object()
        .ok_or_else(|| type_error("values are a dictionary of fields"))
}

pub fn execute(
    db: &mut Database,
    uid: i64,
    model_name: &str,
    method: &str,
    args: &[Value],
    kwargs: &Map<String, Value>,
) -> Result<Value, OdooError> {
    let Some(model) = db.table(model_name).map(|t| t.model) else {
        return Err(OdooError::new(
            "odoo.exceptions.UserError",
            &format!("Object {model_name} doesn't exist"),
        ));
    };
    match method {
        "search_read" => {
            let fields = field_names(model, param(args, kwargs, 1, "fields"))?;
            let ids = search_ids(db, model, args, kwargs, (2, 3, 4))?;
            Ok(Value::Array(read_rows(db, model, &ids, &fields)))
        }
        "search" => Ok(json!(search_ids(db, model, args, kwargs, (1, 2, 3))?)),
        "search_count" => {
            let mut kw = kwargs.clone();
            kw.remove("limit");
            Ok(json!(
                search_ids(db, model, &args[..args.len().min(1)], &kw, (9, 9, 9))?.len()
            ))
        }
        "read" => {
            let ids = ids_of(param(args, kwargs, 0, "ids"))?;
            let table = db.table(model.name).expect("known model");
            let absent: Vec<i64> = ids.iter().copied().filter(|id| !table.exists(*id)).collect();
            if !absent.is_empty() {
                return Err(missing(model, &absent, uid));
            }
            let fields = field_names(model, param(args, kwargs, 1, "fields"))?;
            Ok(Value::Array(read_rows(db, model, &ids, &fields)))
        }
        "create" => {
            // A dictionary creates one record and answers its id; a list creates each and answers the ids.
            match param(args, kwargs, 0, "vals_list") {
                Some(Value::Array(list)) => {
                    let mut ids = Vec::new();
                    for vals in list {
                        ids.push(db.write(model.name, None, vals_of(vals)?)?);
                    }
                    Ok(json!(ids))
                }
                Some(vals) => Ok(json!(db.write(model.name, None, vals_of(vals)?)?)),
                None => Err(type_error(
                    "create() missing 1 required positional argument: 'vals_list'",
                )),
            }
        }
        "write" => {
            let ids = ids_of(param(args, kwargs, 0, "ids"))?;
            let vals = vals_of(
                param(args, kwargs, 1, "vals")
                    .ok_or_else(|| type_error("write() missing 1 required positional argument: 'vals'"))?,
            )?;
            let table = db.table(model.name).expect("known model");
            let absent: Vec<i64> = ids.iter().copied().filter(|id| !table.exists(*id)).collect();
            if !absent.is_empty() {
                return Err(missing(model, &absent, uid));
            }
            // All or nothing, as one database transaction.
            let before = db.table(model.name).expect("known model").rows.clone();
            for id in &ids {
                if let Err(e) = db.write(model.name, Some(*id), vals) {
                    db.table_mut(model.name).expect("known model").rows = before;
                    return Err(e);
                }
            }
            Ok(json!(true))
        }
        "unlink" => {
            let ids = ids_of(param(args, kwargs, 0, "ids"))?;
            let table = db.table_mut(model.name).expect("known model");
            let absent: Vec<i64> = ids.iter().copied().filter(|id| !table.exists(*id)).collect();
            if !absent.is_empty() {
                return Err(missing(model, &absent, uid));
            }
            for id in ids {
                table.rows.remove(&id);
            }
            Ok(json!(true))
        }
        "fields_get" => {
            let mut out = Map::new();
            for f in model.fields {
                let mut description = json!({"type": f.kind.type_name(), "string": f.label, "required": f.required, "readonly": f.readonly});
                if let Kind::Many2one(target) = f.kind {
                    description["relation"] = json!(target);
                }
                if let Kind::Selection(options) = f.kind {
                    description["selection"] = json!(options.iter().map(|o| [o, o]).collect::<Vec<_>>());
                }
                out.insert(f.name.to_owned(), description);
            }
            Ok(Value::Object(out))
        }
        other => Err(OdooError::new(
            "builtins.AttributeError",
            &format!("The method '{other}' does not exist on the model '{model_name}'"),
        )),
    }
}
