//! Typed settings and credentials: parsed from the connection's JSON with errors naming the field, and described
//! to clients as JSON Schema derived from the same types.
use ihub_domain::FieldError;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

pub fn parse<T: DeserializeOwned>(value: &Value) -> Result<T, Vec<FieldError>> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        vec![FieldError::from_serde(&path, &e.into_inner().to_string())]
    })
}

pub fn schema<T: JsonSchema>() -> Value {
    serde_json::to_value(schemars::schema_for!(T)).expect("schemas serialise")
}

/// An absolute https URL (paths are appended to it, so a trailing slash is tolerated and trimmed at use) that this
/// hub may call: not an internal address, and http only where the operator allows it. Host names are checked
/// again at each request, when resolved.
pub fn check_base_url(field: &str, value: &str, errors: &mut Vec<FieldError>) {
    match url::Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            if let Err(refused) = crate::egress::policy().check_url(&url) {
                errors.push(FieldError::new(field, refused.to_string()));
            }
        }
        _ => errors.push(FieldError::new(field, "must be an absolute http(s) URL")),
    }
}

pub fn check_not_blank(field: &str, value: &str, errors: &mut Vec<FieldError>) {
    if value.trim().is_empty() {
        errors.push(FieldError::new(field, "must not be empty"));
    }
}

/// A rate-limit override: at least one request; the ceiling (100,000 a second) is there for self-hosted targets
/// and benchmarks against local simulators, far above any hosted API's limit.
pub fn check_rate_limit(per_minute: Option<u32>, burst: Option<u32>, errors: &mut Vec<FieldError>) {
    if per_minute.is_some_and(|n| !(1..=6_000_000).contains(&n)) {
        errors.push(FieldError::new("requests_per_minute", "must be between 1 and 6000000"));
    }
    if burst.is_some_and(|n| !(1..=10_000).contains(&n)) {
        errors.push(FieldError::new("burst", "must be between 1 and 10000"));
    }
}
