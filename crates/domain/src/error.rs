use serde::Serialize;

/// One thing wrong with the input, named by where it is (`email`, `settings.base_url`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// Dotted path of the offending field in the request.
    #[schema(example = "email")]
    pub field: String,
    /// What is wrong with it, in words.
    #[schema(example = "is not a valid email address")]
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// From a deserialisation failure at `path` (serde_path_to_error's form, `.` for the top): a missing field is
    /// named by itself rather than by its parent, and the parser's line/column position is dropped, since it means
    /// nothing to someone who sent a form.
    pub fn from_serde(path: &str, message: &str) -> Self {
        let message = match message.rfind(" at line ") {
            Some(idx) => &message[..idx],
            None => message,
        };
        let parent = if path == "." { "" } else { path };
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next());
        let field = match (parent, missing) {
            ("", Some(name)) => name.to_owned(),
            (parent, Some(name)) => format!("{parent}.{name}"),
            (parent, None) => parent.to_owned(),
        };
        let message = if missing.is_some() { "is required" } else { message };
        Self::new(field, message)
    }

    /// The same error nested under a parent field, e.g. `base_url` inside `settings`.
    pub fn under(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() {
            parent.to_owned()
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

/// Every way a domain operation can fail. The api crate maps each variant to an HTTP answer once.
#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The request is well formed but the object's state forbids it (`code` is stable for scripts).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    /// What was asked for existed and was removed on purpose (record lines past retention).
    #[error("{message}")]
    Gone { code: &'static str, message: String },
    #[error("{0}")]
    Unauthenticated(&'static str),
    #[error("this action needs the {0} role")]
    Forbidden(&'static str),
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("internal error: {0}")]
    Internal(String),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict {
            code,
            message: message.into(),
        }
    }
}

pub type Result<T, E = DomainError> = std::result::Result<T, E>;

/// Collects field errors so a request reports everything wrong with it at once, not one field per round trip.
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_failures_name_the_field() {
        assert_eq!(
            FieldError::from_serde(".", "missing field `kind` at line 1 column 12"),
            FieldError::new("kind", "is required")
        );
        assert_eq!(
            FieldError::from_serde("settings", "missing field `base_url`").field,
            "settings.base_url"
        );
        let typed = FieldError::from_serde(
            "name",
            "invalid type: integer `42`, expected a string at line 1 column 11",
        );
        assert_eq!(
            typed,
            FieldError::new("name", "invalid type: integer `42`, expected a string")
        );
    }
}

#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldError::new(field, message));
    }

    pub fn extend(&mut self, errors: impl IntoIterator<Item = FieldError>) {
        self.0.extend(errors);
    }

    /// Records the error of a parse step and yields its value when it succeeded.
    pub fn check<T>(&mut self, result: Result<T>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(DomainError::Validation(errors)) => {
                self.0.extend(errors);
                None
            }
            Err(other) => {
                self.0.push(FieldError::new("", other.to_string()));
                None
            }
        }
    }

    pub fn finish(self) -> Result<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Validation(self.0))
        }
    }
}
