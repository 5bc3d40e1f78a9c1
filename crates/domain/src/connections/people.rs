//! The canonical person every source maps into and every target maps out of (SPEC.md "Sync semantics", step 3).
use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PersonStatus {
    Active,
    Inactive,
    Terminated,
}

/// The person's manager as the source names them; email may need a second read to resolve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ManagerRef {
    pub source_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    /// The manager's id in the target, where the hub has written them: filled by the sync from its bindings, never
    /// by a source. Targets link the person to this user, and to nobody when it is absent.
    #[serde(default)]
    pub target_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Person {
    /// The source system's id: the key of the binding between source and target.
    pub source_id: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    pub job_title: Option<String>,
    pub location: Option<String>,
    pub department: Option<String>,
    pub manager: Option<ManagerRef>,
    pub status: PersonStatus,
    pub start_date: Option<NaiveDate>,
    pub termination_date: Option<NaiveDate>,
    /// Whether onboarding is complete, where the source knows (for the "on onboarding complete" trigger).
    pub onboarding_complete: Option<bool>,
    /// Source fields without a canonical home, by the source's field name.
    #[serde(default)]
    #[schema(value_type = HashMap<String, serde_json::Value>)]
    pub custom_fields: BTreeMap<String, Value>,
}

impl Person {
    pub fn new(source_id: impl Into<String>) -> Self {
        Self {
            source_id: source_id.into(),
            first_name: None,
            last_name: None,
            email: None,
            job_title: None,
            location: None,
            department: None,
            manager: None,
            status: PersonStatus::Active,
            start_date: None,
            termination_date: None,
            onboarding_complete: None,
            custom_fields: BTreeMap::new(),
        }
    }

    /// "First Last", or whatever part exists, or the source id: always something to show in a report.
    pub fn display_name(&self) -> String {
        let name = [self.first_name.as_deref(), self.last_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|s| !s.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        if name.is_empty() { self.source_id.clone() } else { name }
    }
}

/// A user as the target holds it, reduced to what deciding needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetUser {
    pub target_id: String,
    /// The source id the hub stored on the user, where the target has a place for it.
    pub external_id: Option<String>,
    pub email: Option<String>,
    pub active: bool,
}

/// The writable fields of a target user, named the same for every target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UserField {
    FirstName,
    LastName,
    Email,
    JobTitle,
    Location,
    Department,
    ManagerName,
    ManagerEmail,
    /// The link to the manager's user in the target (its target id).
    Manager,
    Active,
}

/// One field to change: what the target had, what it gets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FieldChange {
    pub field: UserField,
    pub old: Option<String>,
    pub new: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_fall_back_sensibly() {
        let mut p = Person::new("e-1");
        assert_eq!(p.display_name(), "e-1");
        p.last_name = Some("Hopper".into());
        assert_eq!(p.display_name(), "Hopper");
        p.first_name = Some("Grace".into());
        assert_eq!(p.display_name(), "Grace Hopper");
    }
}
