//! The XML BambooHR answers with when a client does not ask for JSON (documentation.bamboohr.com, "Technical
//! Overview": XML is the default, `Accept: application/json` selects JSON). Only the shapes the simulator serves.
use serde_json::Value;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// `<field id="alias">value</field>` for each value of a JSON object, `id` excepted.
pub fn fields(record: &serde_json::Map<String, Value>) -> String {
    let mut out = String::new();
    for (key, value) in record {
        if key == "id" {
            continue;
        }
        let text = match value {
            Value::String(s) => escape(s),
            Value::Null => String::new(),
            other => escape(&other.to_string()),
        };
        out.push_str(&format!("<field id=\"{}\">{text}</field>", escape(key)));
    }
    out
}

pub fn employee(record: &serde_json::Map<String, Value>) -> String {
    let id = record.get("id").and_then(Value::as_str).unwrap_or_default();
    format!("<employee id=\"{}\">{}</employee>", escape(id), fields(record))
}

/// The `id` attributes of the `<field>` elements of an XML report request (`<report><fields><field
/// id="firstName" />…`), which older clients post instead of JSON.
pub fn requested_fields(body: &str) -> Vec<String> {
    body.split("<field")
        .skip(1)
        .filter_map(|rest| {
            let start = rest.find("id=\"")? + 4;
            let end = rest[start..].find('"')? + start;
            Some(rest[start..end].to_owned())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_requests_and_answers() {
        assert_eq!(
            requested_fields(
                r#"<report><title>t</title><fields><field id="firstName" /><field id="lastName"/></fields></report>"#
            ),
            vec!["firstName", "lastName"]
        );
        let record = serde_json::json!({"id": "3", "firstName": "Ann & Co", "middleName": null});
        assert_eq!(
            employee(record.as_object().unwrap()),
            r#"<employee id="3"><field id="firstName">Ann &amp; Co</field><field id="middleName"></field></employee>"#
        );
    }
}
