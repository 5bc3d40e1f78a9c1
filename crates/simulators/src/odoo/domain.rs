//! Odoo search domains: lists in Polish notation of `&`, `|`, `!` and `[field, operator, value]` leaves, with an
//! implicit `&` between consecutive terms (odoo.com documentation, "ORM API: Search domains").
use serde_json::{Map, Value};

use super::OdooError;
use super::models::{Database, Kind, Model};

#[derive(Debug, Clone, PartialEq)]
pub enum Domain {
    True,
    And(Box<Domain>, Box<Domain>),
    Or(Box<Domain>, Box<Domain>),
    Not(Box<Domain>),
    Leaf(String, String, Value),
}

const OPERATORS: &[&str] = &[
    "=",
    "!=",
    "<>",
    "<",
    ">",
    "<=",
    ">=",
    "in",
    "not in",
    "like",
    "not like",
    "ilike",
    "not ilike",
    "=like",
    "=ilike",
];

fn invalid(message: String) -> OdooError {
    OdooError::new("builtins.ValueError", &message)
}

fn leaf(model: &Model, item: &Value) -> Result<Domain, OdooError> {
    let parts = item.as_array().filter(|p| p.len() == 3);
    let Some([field, operator, value]) = parts.map(|p| [&p[0], &p[1], &p[2]]) else {
        return Err(invalid(format!("Invalid leaf {item}")));
    };
    let (Some(field), Some(operator)) = (field.as_str(), operator.as_str()) else {
        return Err(invalid(format!("Invalid leaf {item}")));
    };
    let operator = operator.to_ascii_lowercase();
    if !OPERATORS.contains(&operator.as_str()) {
        return Err(invalid(format!("Invalid leaf {item}: unknown operator '{operator}'")));
    }
    if model.field(field).is_none() {
        return Err(invalid(format!("Invalid field {}.{field} in leaf {item}", model.name)));
    }
    if matches!(operator.as_str(), "in" | "not in") && !value.is_array() && !value.is_boolean() {
        return Err(invalid(format!(
            "Invalid leaf {item}: the value of '{operator}' is a list"
        )));
    }
    Ok(Domain::Leaf(field.to_owned(), operator, value.clone()))
}

fn term<'a>(model: &Model, items: &mut impl Iterator<Item = &'a Value>) -> Result<Domain, OdooError> {
    let Some(item) = items.next() else {
        return Err(invalid("Invalid domain: an operator is missing its operands".into()));
    };
    match item.as_str() {
        Some("&") => Ok(Domain::And(
            Box::new(term(model, items)?),
            Box::new(term(model, items)?),
        )),
        Some("|") => Ok(Domain::Or(Box::new(term(model, items)?), Box::new(term(model, items)?))),
        Some("!") => Ok(Domain::Not(Box::new(term(model, items)?))),
        Some(other) => Err(invalid(format!("Invalid domain operator '{other}'"))),
        None => leaf(model, item),
    }
}

pub fn parse(model: &Model, domain: &Value) -> Result<Domain, OdooError> {
    let items = match domain {
        Value::Array(items) => items,
        Value::Null | Value::Bool(false) => return Ok(Domain::True),
        other => return Err(invalid(format!("Invalid domain {other}"))),
    };
    let mut iter = items.iter().peekable();
    let mut result = Domain::True;
    while iter.peek().is_some() {
        let next = term(model, &mut iter)?;
        result = match result {
            Domain::True => next,
            previous => Domain::And(Box::new(previous), Box::new(next)),
        };
    }
    Ok(result)
}

/// Whether the domain names `field` anywhere (then Odoo does not add its implicit `active = True`).
pub fn mentions(domain: &Domain, field: &str) -> bool {
    match domain {
        Domain::True => false,
        Domain::And(a, b) | Domain::Or(a, b) => mentions(a, field) || mentions(b, field),
        Domain::Not(a) => mentions(a, field),
        Domain::Leaf(f, _, _) => f == field,
    }
}

/// SQL `LIKE` with `%` and `_`, optionally case-insensitive.
fn like(text: &str, pattern: &str, insensitive: bool) -> bool {
    let (text, pattern): (Vec<char>, Vec<char>) = if insensitive {
        (
            text.to_lowercase().chars().collect(),
            pattern.to_lowercase().chars().collect(),
        )
    } else {
        (text.chars().collect(), pattern.chars().collect())
    };
    // Iterative wildcard matching with backtracking to the last `%`. A backslash makes the next character literal
    // (PostgreSQL's default LIKE escape, which Odoo passes through).
    let (mut t, mut p) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let escaped = p + 1 < pattern.len() && pattern[p] == '\\';
        if escaped && pattern[p + 1] == text[t] {
            t += 1;
            p += 2;
        } else if !escaped && p < pattern.len() && (pattern[p] == '_' || pattern[p] == text[t]) {
            t += 1;
            p += 1;
        } else if !escaped && p < pattern.len() && pattern[p] == '%' {
            star = Some((p, t));
            p += 1;
        } else if let Some((sp, st)) = star {
            p = sp + 1;
            t = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|c| *c == '%')
}

/// The value compared for a field: many2one compare by id with numbers and by name with text.
fn equals(db: &Database, kind: Kind, raw: &Value, expected: &Value) -> bool {
    match (kind, expected) {
        (_, Value::Bool(false)) if kind != Kind::Boolean => raw == &Value::Bool(false) || raw.as_str() == Some(""),
        (Kind::Many2one(target), Value::String(name)) => raw
            .as_i64()
            .and_then(|id| db.display_name(target, id))
            .is_some_and(|n| &n == name),
        (Kind::Many2one(_), Value::Number(n)) => raw.as_i64() == n.as_i64(),
        (Kind::Integer, Value::Number(n)) => raw.as_i64() == n.as_i64(),
        _ => raw == expected,
    }
}

fn text_of(db: &Database, kind: Kind, raw: &Value) -> Option<String> {
    match kind {
        Kind::Many2one(target) => raw.as_i64().and_then(|id| db.display_name(target, id)),
        _ => raw.as_str().map(str::to_owned),
    }
}

fn order(raw: &Value, expected: &Value) -> Option<std::cmp::Ordering> {
    match (raw, expected) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

fn leaf_matches(
    db: &Database,
    model: &Model,
    row: &Map<String, Value>,
    field: &str,
    operator: &str,
    value: &Value,
) -> bool {
    let kind = model.field(field).map_or(Kind::Char, |f| f.kind);
    let raw = match field {
        "display_name" => db
            .display_name(model.name, row.get("id").and_then(Value::as_i64).unwrap_or_default())
            .map_or(Value::Bool(false), Value::String),
        _ => row.get(field).cloned().unwrap_or(Value::Bool(false)),
    };
    use std::cmp::Ordering::{Greater, Less};
    match operator {
        "=" => equals(db, kind, &raw, value),
        "!=" | "<>" => !equals(db, kind, &raw, value),
        "in" | "not in" => {
            let list = value.as_array().cloned().unwrap_or_else(|| vec![value.clone()]);
            let found = list.iter().any(|v| equals(db, kind, &raw, v));
            found == (operator == "in")
        }
        "<" => order(&raw, value) == Some(Less),
        ">" => order(&raw, value) == Some(Greater),
        "<=" => matches!(order(&raw, value), Some(o) if o != Greater),
        ">=" => matches!(order(&raw, value), Some(o) if o != Less),
        _ => {
            let pattern = value.as_str().unwrap_or_default();
            let text = text_of(db, kind, &raw);
            let insensitive = operator.contains("ilike");
            // `like`/`ilike` look for the value anywhere; `=like`/`=ilike` take it as the whole pattern.
            let pattern = if operator.starts_with('=') {
                pattern.to_owned()
            } else {
                format!("%{pattern}%")
            };
            let hit = text.is_some_and(|t| like(&t, &pattern, insensitive));
            if operator.starts_with("not") { !hit } else { hit }
        }
    }
}

pub fn matches(db: &Database, model: &Model, domain: &Domain, row: &Map<String, Value>) -> bool {
    match domain {
        Domain::True => true,
        Domain::And(a, b) => matches(db, model, a, row) && matches(db, model, b, row),
        Domain::Or(a, b) => matches(db, model, a, row) || matches(db, model, b, row),
        Domain::Not(a) => !matches(db, model, a, row),
        Domain::Leaf(field, operator, value) => leaf_matches(db, model, row, field, operator, value),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::models::EMPLOYEE;
    use super::*;

    #[test]
    fn domains_parse_in_polish_notation() {
        let d = parse(
            &EMPLOYEE,
            &json!(["|", ["name", "=", "a"], "!", ["active", "=", false], ["id", ">", 3]]),
        )
        .unwrap();
        assert!(matches!(d, Domain::And(_, _)), "{d:?}");
        assert!(parse(&EMPLOYEE, &json!(["&", ["name", "=", "a"]])).is_err());
        assert!(parse(&EMPLOYEE, &json!([["nope", "=", "a"]])).is_err());
        assert!(parse(&EMPLOYEE, &json!([["name", "~", "a"]])).is_err());
        assert_eq!(parse(&EMPLOYEE, &json!([])).unwrap(), Domain::True);
    }

    #[test]
    fn like_follows_sql() {
        assert!(like("Peggy@Acme.example", "%acme%", true));
        assert!(!like("Peggy@Acme.example", "%acme%", false));
        assert!(like("peggy@acme.example", "peggy@acme.example", true));
        assert!(like("abc", "a_c", false));
        assert!(!like("abcd", "a_c", false));
        assert!(like("a_c", "a\\_c", false));
        assert!(!like("abc", "a\\_c", false));
        assert!(!like("ceo@acme.example", "\\%@acme.example", true));
        assert!(like("%@acme.example", "\\%@acme.example", true));
    }
}
