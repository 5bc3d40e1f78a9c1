//! SCIM filter expressions (RFC 7644 §3.4.2.2): parsing and evaluating against a resource.
//!
//! Attribute names are case-insensitive (RFC 7643 §2.1); string comparisons are too, except for attributes with
//! `caseExact` (here `id` and `externalId`, RFC 7643 §3.1).
use std::cmp::Ordering;

use serde_json::{Map, Value};

/// An attribute path: an optional schema URN, an attribute, and an optional sub-attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Parses `attr`, `attr.sub`, `urn:…:attr` or `urn:…:attr.sub`. The core User schema URN is dropped, since
    /// core attributes live at the top of the resource.
    pub fn parse(text: &str) -> Option<Self> {
        let (urn, rest) = if text.to_ascii_lowercase().starts_with("urn:") {
            let split = text.rfind(':')?;
            let urn = &text[..split];
            let urn = (!urn.eq_ignore_ascii_case(super::USER_SCHEMA)).then(|| urn.to_owned());
            (urn, &text[split + 1..])
        } else {
            (None, text)
        };
        let (attr, sub) = match rest.split_once('.') {
            Some((a, s)) => (a, Some(s)),
            None => (rest, None),
        };
        let valid = |s: &str| {
            !s.is_empty()
                && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
        };
        if !valid(attr) || sub.is_some_and(|s| !valid(s)) {
            return None;
        }
        Some(Self {
            urn,
            attr: attr.to_owned(),
            sub: sub.map(str::to_owned),
        })
    }

    fn case_exact(&self) -> bool {
        self.urn.is_none()
            && self.sub.is_none()
            && (self.attr.eq_ignore_ascii_case("id") || self.attr.eq_ignore_ascii_case("externalId"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Lt,
    Ge,
    Le,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Present(AttrPath),
    Compare(AttrPath, Op, Value),
    /// `emails[type eq "work"]`: some value of a multi-valued attribute matches the inner filter.
    ValuePath(AttrPath, Box<Filter>),
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    OpenBracket,
    CloseBracket,
}

fn tokenize(text: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            c if c.is_whitespace() => i += 1,
            '(' => {
                tokens.push(Token::Open);
                i += 1;
            }
            ')' => {
                tokens.push(Token::Close);
                i += 1;
            }
            '[' => {
                tokens.push(Token::OpenBracket);
                i += 1;
            }
            ']' => {
                tokens.push(Token::CloseBracket);
                i += 1;
            }
            '"' => {
                // A JSON string literal, escapes included (RFC 7644 §3.4.2.2 uses JSON's string grammar).
                let start = i;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' {
                        i += 1;
                    }
                    i += 1;
                }
                if i >= chars.len() {
                    return Err("unterminated string".into());
                }
                let literal: String = chars[start..=i].iter().collect();
                let value: String = serde_json::from_str(&literal).map_err(|e| format!("bad string: {e}"))?;
                tokens.push(Token::Str(value));
                i += 1;
            }
            _ => {
                let start = i;
                while i < chars.len() && !chars[i].is_whitespace() && !matches!(chars[i], '(' | ')' | '[' | ']' | '"') {
                    i += 1;
                }
                tokens.push(Token::Word(chars[start..i].iter().collect()));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Filter, String> {
        let mut left = self.and()?;
        while self.keyword("or") {
            self.at += 1;
            left = Filter::Or(Box::new(left), Box::new(self.and()?));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Filter, String> {
        let mut left = self.unary()?;
        while self.keyword("and") {
            self.at += 1;
            left = Filter::And(Box::new(left), Box::new(self.unary()?));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Filter, String> {
        if self.keyword("not") {
            self.at += 1;
            if self.next() != Some(Token::Open) {
                return Err("`not` must be followed by a parenthesised filter".into());
            }
            let inner = self.or()?;
            if self.next() != Some(Token::Close) {
                return Err("missing `)`".into());
            }
            return Ok(Filter::Not(Box::new(inner)));
        }
        if self.peek() == Some(&Token::Open) {
            self.at += 1;
            let inner = self.or()?;
            if self.next() != Some(Token::Close) {
                return Err("missing `)`".into());
            }
            return Ok(inner);
        }
        self.attribute_expression()
    }

    fn attribute_expression(&mut self) -> Result<Filter, String> {
        let Some(Token::Word(word)) = self.next() else {
            return Err("expected an attribute name".into());
        };
        let path = AttrPath::parse(&word).ok_or_else(|| format!("`{word}` is not an attribute path"))?;
        if self.peek() == Some(&Token::OpenBracket) {
            self.at += 1;
            let inner = self.or()?;
            if self.next() != Some(Token::CloseBracket) {
                return Err("missing `]`".into());
            }
            return Ok(Filter::ValuePath(path, Box::new(inner)));
        }
        let Some(Token::Word(op)) = self.next() else {
            return Err(format!("expected an operator after `{word}`"));
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => Op::Eq,
            "ne" => Op::Ne,
            "co" => Op::Co,
            "sw" => Op::Sw,
            "ew" => Op::Ew,
            "gt" => Op::Gt,
            "lt" => Op::Lt,
            "ge" => Op::Ge,
            "le" => Op::Le,
            other => return Err(format!("unknown operator `{other}`")),
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Value::String(s),
            Some(Token::Word(w)) => match w.as_str() {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                "null" => Value::Null,
                number => serde_json::from_str::<serde_json::Number>(number)
                    .map(Value::Number)
                    .map_err(|_| format!("`{number}` is not a value: strings are quoted"))?,
            },
            _ => return Err("expected a value".into()),
        };
        Ok(Filter::Compare(path, op, value))
    }
}

pub fn parse(text: &str) -> Result<Filter, String> {
    let mut parser = Parser {
        tokens: tokenize(text)?,
        at: 0,
    };
    let filter = parser.or()?;
    if parser.at != parser.tokens.len() {
        return Err("unexpected text after the filter".into());
    }
    Ok(filter)
}

/// A key of `object` matching `name` regardless of case.
pub fn key_of<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a String> {
    object.keys().find(|k| k.eq_ignore_ascii_case(name))
}

pub fn get_ci<'a>(object: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    key_of(object, name).and_then(|k| object.get(k))
}

/// The values an attribute path reaches: multi-valued attributes give each of their values.
fn values<'a>(resource: &'a Map<String, Value>, path: &AttrPath) -> Vec<&'a Value> {
    let container = match &path.urn {
        Some(urn) => match get_ci(resource, urn) {
            Some(Value::Object(o)) => o,
            _ => return vec![],
        },
        None => resource,
    };
    let Some(top) = get_ci(container, &path.attr) else {
        return vec![];
    };
    let items: Vec<&Value> = match top {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    match &path.sub {
        None => items,
        Some(sub) => items
            .into_iter()
            .filter_map(|v| v.as_object().and_then(|o| get_ci(o, sub)))
            .flat_map(|v| match v {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            })
            .collect(),
    }
}

fn compare(actual: &Value, op: Op, expected: &Value, case_exact: bool) -> bool {
    match (actual, expected) {
        (Value::String(a), Value::String(e)) => {
            let (a, e) = if case_exact {
                (a.clone(), e.clone())
            } else {
                (a.to_lowercase(), e.to_lowercase())
            };
            match op {
                Op::Eq => a == e,
                Op::Ne => a != e,
                Op::Co => a.contains(&e),
                Op::Sw => a.starts_with(&e),
                Op::Ew => a.ends_with(&e),
                Op::Gt => a > e,
                Op::Lt => a < e,
                Op::Ge => a >= e,
                Op::Le => a <= e,
            }
        }
        (Value::Number(a), Value::Number(e)) => {
            let ordering = a
                .as_f64()
                .zip(e.as_f64())
                .and_then(|(a, e)| a.partial_cmp(&e))
                .unwrap_or(Ordering::Less);
            match op {
                Op::Eq => ordering == Ordering::Equal,
                Op::Ne => ordering != Ordering::Equal,
                Op::Gt => ordering == Ordering::Greater,
                Op::Lt => ordering == Ordering::Less,
                Op::Ge => ordering != Ordering::Less,
                Op::Le => ordering != Ordering::Greater,
                _ => false,
            }
        }
        (Value::Bool(a), Value::Bool(e)) => match op {
            Op::Eq => a == e,
            Op::Ne => a != e,
            _ => false,
        },
        (a, Value::Null) => match op {
            Op::Eq => a.is_null(),
            Op::Ne => !a.is_null(),
            _ => false,
        },
        _ => op == Op::Ne,
    }
}

fn present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        _ => true,
    }
}

pub fn matches(filter: &Filter, resource: &Map<String, Value>) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, resource) && matches(b, resource),
        Filter::Or(a, b) => matches(a, resource) || matches(b, resource),
        Filter::Not(inner) => !matches(inner, resource),
        Filter::Present(path) => values(resource, path).into_iter().any(present),
        Filter::Compare(path, Op::Ne, expected) => {
            let found = values(resource, path);
            // An attribute with no value is "not equal" to anything.
            found.is_empty() || !found.iter().any(|v| compare(v, Op::Eq, expected, path.case_exact()))
        }
        Filter::Compare(path, op, expected) => values(resource, path)
            .into_iter()
            .any(|v| compare(v, *op, expected, path.case_exact())),
        Filter::ValuePath(path, inner) => values(resource, path)
            .into_iter()
            .filter_map(Value::as_object)
            .any(|element| matches(inner, element)),
    }
}

/// The value a filter pins an attribute to with `eq`, when that is all it does: lets the store use an index.
pub fn simple_eq(filter: &Filter) -> Option<(&str, &str)> {
    match filter {
        Filter::Compare(path, Op::Eq, Value::String(value)) if path.urn.is_none() && path.sub.is_none() => {
            Some((path.attr.as_str(), value.as_str()))
        }
        _ => None,
    }
}

/// Whether `or` joins anything anywhere in the filter.
pub fn has_or(filter: &Filter) -> bool {
    match filter {
        Filter::Or(..) => true,
        Filter::And(a, b) => has_or(a) || has_or(b),
        Filter::Not(inner) => has_or(inner),
        _ => false,
    }
}

/// `a eq "x" or b eq "y" or …`: each simple equality of an `or` of them (a single one included), in order.
pub fn simple_eqs(filter: &Filter) -> Option<Vec<(&str, &str)>> {
    match filter {
        Filter::Or(a, b) => {
            let mut eqs = simple_eqs(a)?;
            eqs.extend(simple_eqs(b)?);
            Some(eqs)
        }
        other => simple_eq(other).map(|eq| vec![eq]),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn an_or_of_equalities_is_split_for_the_indexes() {
        let filter = parse(r#"externalId eq "a" or userName eq "b@x" or externalId eq "c""#).unwrap();
        assert_eq!(
            simple_eqs(&filter),
            Some(vec![("externalId", "a"), ("userName", "b@x"), ("externalId", "c")])
        );
        let mixed = parse(r#"externalId eq "a" or title co "b""#).unwrap();
        assert_eq!(simple_eqs(&mixed), None);
    }

    fn user() -> Map<String, Value> {
        json!({
            "id": "abc", "userName": "Peggy@Acme.example", "externalId": "E-1", "active": true,
            "name": {"givenName": "Margaret", "familyName": "Hamilton"},
            "emails": [{"value": "peggy@acme.example", "type": "work", "primary": true},
                       {"value": "peggy@home.example", "type": "home"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Flight", "manager": {"value": "m1"}}
        })
        .as_object()
        .unwrap()
        .clone()
    }

    fn check(filter: &str) -> bool {
        matches(&parse(filter).unwrap_or_else(|e| panic!("{filter}: {e}")), &user())
    }

    #[test]
    fn filters_match_as_rfc_7644_says() {
        assert!(
            check(r#"userName eq "peggy@acme.example""#),
            "userName is not case-exact"
        );
        assert!(!check(r#"externalId eq "e-1""#), "externalId is case-exact");
        assert!(check(r#"externalId eq "E-1""#));
        assert!(check(r#"emails.value eq "peggy@home.example""#));
        assert!(check(r#"emails[type eq "work" and value co "acme"]"#));
        assert!(!check(r#"emails[type eq "home" and value co "acme"]"#));
        assert!(check(r#"name.givenName sw "Mar" and active eq true"#));
        assert!(check(r#"not (active eq false) or title pr"#));
        assert!(check(
            r#"(title pr or userName ew ".example") and name.familyName eq "Hamilton""#
        ));
        assert!(check(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "flight""#
        ));
        assert!(check(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m1""#
        ));
        assert!(check(r#"USERNAME EQ "PEGGY@ACME.EXAMPLE""#));
        assert!(check(r#"title ne "x""#));
        assert!(check(r#"userName eq "a\"b" or id eq "abc""#));
    }

    #[test]
    fn bad_filters_are_refused() {
        for bad in [
            "userName eq peggy",
            "userName equals \"x\"",
            "(userName eq \"x\"",
            "userName eq \"x\" and",
            "",
            "emails[type eq \"work\"",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
