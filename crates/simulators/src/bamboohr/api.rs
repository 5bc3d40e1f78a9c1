//! BambooHR endpoints: field metadata, the directory, one employee, the change feed and custom reports.
use std::collections::HashMap;
use std::io::Write;

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::{error, fields, refusal, wants_json, xml};
use crate::SimState;
use crate::people::Population;

pub fn configure(cfg: &mut web::ServiceConfig) {
    // The fixed paths go first: `employees/{id}` would otherwise take `directory` and `changed` as ids.
    cfg.route("/{company}/v1/meta/fields", web::get().to(meta_fields))
        .route("/{company}/v1/meta/fields/", web::get().to(meta_fields))
        .route("/{company}/v1/employees/directory", web::get().to(directory))
        .route("/{company}/v1/employees/changed", web::get().to(changed))
        .route("/{company}/v1/employees/changed/", web::get().to(changed))
        .route("/{company}/v1/employees/{id}", web::get().to(employee))
        .route("/{company}/v1/employees/{id}/", web::get().to(employee))
        .route("/{company}/v1/reports/custom", web::post().to(custom_report));
}

fn xml_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/xml; charset=utf-8")
        .body(format!("<?xml version=\"1.0\"?>\n{body}"))
}

async fn meta_fields(req: HttpRequest, state: web::Data<SimState>, company: web::Path<String>) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state, &company) {
        return refused;
    }
    let list: Vec<Value> = fields::FIELDS
        .iter()
        .enumerate()
        .filter(|(_, (alias, _, _))| *alias != "id")
        .map(|(i, (alias, name, kind))| json!({"id": i + 1, "name": name, "type": kind, "alias": alias}))
        .collect();
    if wants_json(&req) {
        return HttpResponse::Ok().json(list);
    }
    let body: String = list
        .iter()
        .map(|f| {
            format!(
                "<field id=\"{}\" type=\"{}\" alias=\"{}\">{}</field>",
                f["id"],
                f["type"].as_str().unwrap_or_default(),
                f["alias"].as_str().unwrap_or_default(),
                xml::escape(f["name"].as_str().unwrap_or_default())
            )
        })
        .collect();
    xml_response(format!("<fields>{body}</fields>"))
}

/// What the directory shows of each employee (documentation.bamboohr.com, "Get Employee Directory").
const DIRECTORY_FIELDS: &[&str] = &[
    "displayName",
    "firstName",
    "lastName",
    "preferredName",
    "jobTitle",
    "workPhone",
    "mobilePhone",
    "workEmail",
    "department",
    "location",
    "division",
    "supervisor",
];

fn record(population: &Population, index: u32, wanted: &[impl AsRef<str>]) -> Option<Map<String, Value>> {
    let person = population.get(index)?;
    let mut record = Map::new();
    record.insert("id".into(), json!(fields::employee_id(index)));
    for alias in wanted {
        let alias = alias.as_ref();
        // BambooHR leaves out fields it does not know rather than failing the request.
        if let Some(value) = fields::value(population, index, &person, alias) {
            record.insert(alias.to_owned(), value);
        }
    }
    Some(record)
}

async fn directory(req: HttpRequest, state: web::Data<SimState>, company: web::Path<String>) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state, &company) {
        return refused;
    }
    if !state.switches.bamboohr_directory_enabled() {
        // A company can turn directory sharing off; the API then refuses the directory.
        return error(403, "The employee directory is not shared in this company");
    }
    let population = state.people.read().expect("lock");
    let today = population.today();
    // The directory lists current employees only.
    let employees: Vec<Map<String, Value>> = population
        .indices()
        .filter(|i| {
            population
                .get(*i)
                .is_some_and(|p| !p.is_terminated(today) && p.hire_date <= today)
        })
        .filter_map(|i| {
            let mut r = record(&population, i, DIRECTORY_FIELDS)?;
            r.insert("photoUploaded".into(), json!(false));
            r.insert(
                "photoUrl".into(),
                json!("https://resources.bamboohr.com/images/photo_person_150x150.png"),
            );
            r.insert("canUploadPhoto".into(), json!(0));
            Some(r)
        })
        .collect();
    let described: Vec<Value> = DIRECTORY_FIELDS.iter().filter_map(|a| fields::describe(a)).collect();
    if wants_json(&req) {
        return HttpResponse::Ok().json(json!({"fields": described, "employees": employees}));
    }
    let fieldset: String = described
        .iter()
        .map(|f| {
            format!(
                "<field id=\"{}\">{}</field>",
                f["id"].as_str().unwrap_or_default(),
                xml::escape(f["name"].as_str().unwrap_or_default())
            )
        })
        .collect();
    let rows: String = employees.iter().map(xml::employee).collect();
    xml_response(format!(
        "<directory><fieldset>{fieldset}</fieldset><employees>{rows}</employees></directory>"
    ))
}

async fn employee(
    req: HttpRequest,
    state: web::Data<SimState>,
    path: web::Path<(String, String)>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    let (company, id) = path.into_inner();
    if let Some(refused) = refusal(&req, &state, &company) {
        return refused;
    }
    let population = state.people.read().expect("lock");
    // Employee 0 is the owner of the API key; here, the first employee.
    let index = if id == "0" { Some(0) } else { fields::index_of(&id) };
    let wanted: Vec<&str> = match query.get("fields") {
        Some(list) => list.split(',').map(str::trim).filter(|f| !f.is_empty()).collect(),
        None => vec!["firstName", "lastName"],
    };
    let Some(record) = index.and_then(|i| record(&population, i, &wanted)) else {
        return error(404, "Employee not found");
    };
    if wants_json(&req) {
        HttpResponse::Ok().json(record)
    } else {
        xml_response(xml::employee(&record))
    }
}

/// The `since` formats BambooHR accepts ("Gets all updated employee IDs", Date Format): seconds, then `Z`,
/// `±hh:mm` or `±hhmm`. An unencoded `+` arrives as a space and is refused, as the docs warn.
fn parse_since(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .or_else(|_| DateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%z"))
        .ok()
        .filter(|_| text.len() >= 20 && !text.contains('.'))
        .map(|d| d.with_timezone(&Utc))
}

async fn changed(
    req: HttpRequest,
    state: web::Data<SimState>,
    company: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state, &company) {
        return refused;
    }
    let Some(since) = query.get("since").and_then(|s| parse_since(s)) else {
        return error(400, "The since parameter is missing or is not a valid ISO 8601 date");
    };
    let wanted_action = match query.get("type").map(|t| t.to_ascii_lowercase()) {
        None => None,
        Some(t) if t == "inserted" || t == "updated" || t == "deleted" => Some(t),
        Some(_) => return error(400, "The type parameter is invalid"),
    };
    let population = state.people.read().expect("lock");
    let changes: Vec<_> = population
        .changed_since(since)
        .into_iter()
        .filter(|(_, c)| {
            wanted_action
                .as_deref()
                .is_none_or(|t| c.action.as_str().eq_ignore_ascii_case(t))
        })
        .collect();
    let stamp = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Secs, false);
    let latest = changes.iter().map(|(_, c)| c.at).max().unwrap_or(since);
    if wants_json(&req) {
        let employees: Map<String, Value> = changes
            .iter()
            .map(|(i, c)| {
                let id = fields::employee_id(*i);
                let entry = json!({"id": id, "action": c.action.as_str(), "lastChanged": stamp(c.at)});
                (id, entry)
            })
            .collect();
        return HttpResponse::Ok().json(json!({"latest": stamp(latest), "employees": employees}));
    }
    let rows: String = changes
        .iter()
        .map(|(i, c)| {
            format!(
                "<employee id=\"{}\" action=\"{}\" lastChanged=\"{}\"/>",
                fields::employee_id(*i),
                c.action.as_str(),
                stamp(c.at)
            )
        })
        .collect();
    xml_response(format!("<employees latest=\"{}\">{rows}</employees>", stamp(latest)))
}

/// `POST reports/custom?format=JSON` with `{"title", "fields": [...]}` (or the older XML body). Everyone is in
/// the report, leavers included; `onlyCurrent` (default true) holds back values not in effect yet, which here
/// means people whose start date is still to come.
async fn custom_report(
    req: HttpRequest,
    state: web::Data<SimState>,
    company: web::Path<String>,
    query: web::Query<HashMap<String, String>>,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(refused) = refusal(&req, &state, &company) {
        return refused;
    }
    let format = query.get("format").map(|f| f.to_ascii_uppercase());
    let json_out = match format.as_deref() {
        Some("JSON") => true,
        Some("XML") => false,
        Some(_) => return error(400, "Unsupported report format for this simulator: use JSON or XML"),
        None => return error(400, "The format parameter is required"),
    };
    let only_current = query
        .get("onlyCurrent")
        .is_none_or(|v| !matches!(v.as_str(), "false" | "0" | "no"));
    let text = String::from_utf8_lossy(&body);
    let (title, wanted): (String, Vec<String>) = match serde_json::from_slice::<Value>(&body) {
        Ok(request) => (
            request
                .get("title")
                .and_then(Value::as_str)
                .unwrap_or("Report")
                .to_owned(),
            request
                .get("fields")
                .and_then(Value::as_array)
                .map(|f| f.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
        ),
        Err(_) if text.trim_start().starts_with('<') => ("Report".to_owned(), xml::requested_fields(&text)),
        Err(_) => return error(400, "The request body is not a report request"),
    };
    if wanted.is_empty() {
        return error(400, "The report has no fields");
    }
    let known: Vec<String> = wanted
        .into_iter()
        .filter(|f| f != "id" && fields::describe(f).is_some())
        .collect();
    let described: Vec<Value> = known.iter().filter_map(|f| fields::describe(f)).collect();
    let population = state.people.read().expect("lock");
    let today = population.today();
    let rows = population
        .indices()
        .filter(|i| !only_current || population.get(*i).is_some_and(|p| p.hire_date <= today));
    // Written as it goes: a 100,000-person report should not be built as one JSON tree first.
    let mut out = Vec::with_capacity(256 * population.len().min(100_000));
    if json_out {
        write!(
            out,
            "{{\"title\":{},\"fields\":{},\"employees\":[",
            json!(title),
            Value::Array(described)
        )
        .expect("writing to memory");
        let mut first = true;
        for index in rows {
            if let Some(r) = record(&population, index, &known) {
                if !first {
                    out.push(b',');
                }
                first = false;
                serde_json::to_writer(&mut out, &r).expect("JSON serialises");
            }
        }
        out.extend_from_slice(b"]}");
        return HttpResponse::Ok().content_type("application/json").body(out);
    }
    let field_list: String = described
        .iter()
        .map(|f| {
            format!(
                "<field id=\"{}\" type=\"{}\">{}</field>",
                f["id"].as_str().unwrap_or_default(),
                f["type"].as_str().unwrap_or_default(),
                xml::escape(f["name"].as_str().unwrap_or_default())
            )
        })
        .collect();
    write!(
        out,
        "<?xml version=\"1.0\"?>\n<report><title>{}</title><fields>{field_list}</fields><employees>",
        xml::escape(&title)
    )
    .expect("writing to memory");
    for index in rows {
        if let Some(r) = record(&population, index, &known) {
            out.extend_from_slice(xml::employee(&r).as_bytes());
        }
    }
    out.extend_from_slice(b"</employees></report>");
    HttpResponse::Ok().content_type("text/xml; charset=utf-8").body(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_takes_the_documented_formats_only() {
        for ok in [
            "2026-11-01T10:00:00Z",
            "2026-11-01T10:00:00+10:00",
            "2026-11-01T10:00:00-0500",
        ] {
            assert!(parse_since(ok).is_some(), "{ok}");
        }
        for bad in ["2026-11-01", "2026-11-01T10:00:00 10:00", "yesterday"] {
            assert!(parse_since(bad).is_none(), "{bad}");
        }
    }
}
