//! Which of a connection's URL settings now point somewhere else. Stored credentials were given for the hosts the
//! settings named when they were entered; sending them to another host would hand a bearer token, an API key or an
//! OAuth client secret to whoever an admin names. So a changed origin (scheme, host or port) drops them.
use serde_json::Value;
use url::Url;

/// A URL setting whose origin changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moved {
    pub setting: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The settings, top-level, that hold a URL in either version and whose origins differ (one missing counts).
pub fn moved(old: &Value, new: &Value) -> Vec<Moved> {
    let (Some(old), Some(new)) = (old.as_object(), new.as_object()) else {
        return Vec::new();
    };
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|key| {
            let (from, to) = (origin(old.get(key)), origin(new.get(key)));
            (from.is_some() || to.is_some())
                .then_some(())
                .filter(|()| from != to)
                .map(|()| Moved {
                    setting: key.clone(),
                    from,
                    to,
                })
        })
        .collect()
}

fn origin(value: Option<&Value>) -> Option<String> {
    let url = Url::parse(value?.as_str()?.trim()).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_path_or_another_setting_changing_keeps_the_origin() {
        let old = json!({"base_url": "https://lms.example.com/scim/v2", "requests_per_minute": 60});
        let new = json!({"base_url": "https://LMS.example.com:443/other/", "requests_per_minute": 120});
        assert!(moved(&old, &new).is_empty());
    }

    #[test]
    fn another_host_port_or_scheme_is_a_move() {
        let old = json!({"api_base_url": "https://api.example.com", "token_url": "https://auth.example.com/t"});
        for (setting, to) in [
            ("api_base_url", "https://attacker.example.net"),
            ("api_base_url", "https://api.example.com:8443"),
            ("api_base_url", "http://api.example.com"),
            ("token_url", "https://auth.example.com.attacker.net/t"),
        ] {
            let mut new = old.clone();
            new[setting] = json!(to);
            let found = moved(&old, &new);
            assert_eq!(found.len(), 1, "{setting} → {to}");
            assert_eq!(found[0].setting, setting);
        }
        let removed = moved(&old, &json!({"api_base_url": "https://api.example.com"}));
        assert_eq!(removed[0].to, None);
    }
}
