//! Steps 2–4 of the sync for one person, without I/O: filter with a reason, the user fields the person maps to,
//! and the decision against what the hub last wrote (the binding).
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::OnceLock;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::connections::people::{FieldChange, Person, PersonStatus, UserField};
use crate::integrations::{DeactivationPolicy, IntegrationSettings, NewPersonTrigger, PersonField};

/// The user fields a person maps to, as written to the target and remembered in the binding.
pub type UserFields = BTreeMap<UserField, Option<String>>;

/// What the hub last wrote for a person, as far as deciding needs. The fields as stored are parsed only when the
/// hash says something changed: an unchanged resync never parses them.
#[derive(Debug, Clone)]
pub struct Written {
    pub target_id: String,
    pub hash: String,
    pub active: bool,
    stored: Option<String>,
    fields: OnceLock<UserFields>,
}

impl Written {
    pub fn new(target_id: String, fields: UserFields, active: bool) -> Self {
        Self {
            target_id,
            hash: hash(&fields, active),
            active,
            stored: None,
            fields: OnceLock::from(fields),
        }
    }

    /// A binding as the database holds it: the fields as their JSON text.
    pub fn stored(target_id: String, hash: String, active: bool, fields_json: String) -> Self {
        Self {
            target_id,
            hash,
            active,
            stored: Some(fields_json),
            fields: OnceLock::new(),
        }
    }

    pub fn fields(&self) -> &UserFields {
        self.fields.get_or_init(|| {
            self.stored
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or_default()
        })
    }
}

impl PartialEq for Written {
    fn eq(&self, other: &Self) -> bool {
        self.target_id == other.target_id
            && self.hash == other.hash
            && self.active == other.active
            && self.fields() == other.fields()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Dropped before writing.
    Filter(String),
    /// New to the target (or to be linked to an existing user with the same email).
    Create,
    Update {
        changes: Vec<FieldChange>,
    },
    Deactivate,
    /// Nothing to write; the reason says why.
    Skip(String),
}

/// The reason of a skip because the target already holds what was read.
pub const UNCHANGED: &str = "unchanged";

pub fn fields(person: &Person) -> UserFields {
    let manager = person.manager.as_ref();
    BTreeMap::from([
        (UserField::FirstName, person.first_name.clone()),
        (UserField::LastName, person.last_name.clone()),
        (UserField::Email, person.email.clone()),
        (UserField::JobTitle, person.job_title.clone()),
        (UserField::Location, person.location.clone()),
        (UserField::Department, person.department.clone()),
        (UserField::ManagerName, manager.and_then(|m| m.name.clone())),
        (UserField::ManagerEmail, manager.and_then(|m| m.email.clone())),
        (UserField::Manager, manager.and_then(|m| m.target_id.clone())),
    ])
}

/// A stable digest of the fields: equal digests mean nothing to write, without comparing field by field.
pub fn hash(fields: &UserFields, active: bool) -> String {
    let mut digest = Sha256::new();
    for (field, value) in fields {
        // Written straight into the digest: a resync hashes every person, and this was an allocation each.
        write!(Feed(&mut digest), "{field:?}").expect("a digest takes any bytes");
        digest.update([0]);
        if let Some(value) = value {
            digest.update([1]);
            digest.update(value.as_bytes());
        }
        digest.update([0xff]);
    }
    digest.update([u8::from(active)]);
    hex::encode(&digest.finalize()[..16])
}

/// Formats straight into a digest.
struct Feed<'a>(&'a mut Sha256);

impl std::fmt::Write for Feed<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

/// Every field as a change from nothing: what a create (or a link) writes.
pub fn all_as_changes(fields: &UserFields) -> Vec<FieldChange> {
    fields
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(field, value)| FieldChange {
            field: *field,
            old: None,
            new: value.clone(),
        })
        .collect()
}

fn missing(person: &Person, field: PersonField) -> bool {
    let blank = |v: &Option<String>| v.as_deref().is_none_or(|s| s.trim().is_empty());
    match field {
        PersonField::Email => blank(&person.email),
        PersonField::FirstName => blank(&person.first_name),
        PersonField::LastName => blank(&person.last_name),
        PersonField::JobTitle => blank(&person.job_title),
        PersonField::Location => blank(&person.location),
        PersonField::Department => blank(&person.department),
        PersonField::Manager => person.manager.is_none(),
        PersonField::StartDate => person.start_date.is_none(),
    }
}

fn field_name(field: PersonField) -> &'static str {
    match field {
        PersonField::Email => "email",
        PersonField::FirstName => "first_name",
        PersonField::LastName => "last_name",
        PersonField::JobTitle => "job_title",
        PersonField::Location => "location",
        PersonField::Department => "department",
        PersonField::Manager => "manager",
        PersonField::StartDate => "start_date",
    }
}

/// Whether the person has left, as far as the deactivation policy is concerned.
fn leaving(person: &Person, policy: DeactivationPolicy, today: NaiveDate) -> bool {
    if person.status == PersonStatus::Active {
        return false;
    }
    match policy {
        DeactivationPolicy::OnTermination => true,
        DeactivationPolicy::OnTerminationDate => person.termination_date.is_none_or(|d| d <= today),
        DeactivationPolicy::Never => false,
    }
}

pub fn decide(
    person: &Person,
    fields: &UserFields,
    written: Option<&Written>,
    settings: &IntegrationSettings,
    today: NaiveDate,
) -> Plan {
    if leaving(person, settings.deactivation_policy, today) {
        return match written {
            None => Plan::Filter("left before the hub created a user for them".into()),
            Some(w) if w.active => Plan::Deactivate,
            Some(_) => Plan::Skip("already deactivated".into()),
        };
    }
    if person.status != PersonStatus::Active && settings.deactivation_policy == DeactivationPolicy::Never {
        return Plan::Skip("has left; the deactivation policy leaves leavers to the target's admins".into());
    }
    let absent: Vec<&str> = settings
        .mandatory_fields
        .iter()
        .filter(|f| missing(person, **f))
        .map(|f| field_name(*f))
        .collect();
    if !absent.is_empty() {
        return Plan::Filter(format!("missing mandatory field: {}", absent.join(", ")));
    }
    let Some(written) = written else {
        return match settings.new_person_trigger {
            NewPersonTrigger::OnOnboardingComplete if person.onboarding_complete == Some(false) => {
                Plan::Filter("onboarding is not complete yet".into())
            }
            NewPersonTrigger::FromStartDate if person.start_date.is_some_and(|d| d > today) => {
                Plan::Filter(format!("starts on {}", person.start_date.expect("checked")))
            }
            _ => Plan::Create,
        };
    };
    if written.active && written.hash == hash(fields, true) {
        return Plan::Skip(UNCHANGED.into());
    }
    let mut changes: Vec<FieldChange> = fields
        .iter()
        .filter(|(field, value)| written.fields().get(field).cloned().flatten() != **value)
        .map(|(field, value)| FieldChange {
            field: *field,
            old: written.fields().get(field).cloned().flatten(),
            new: value.clone(),
        })
        .collect();
    if !written.active {
        changes.push(FieldChange {
            field: UserField::Active,
            old: Some("false".into()),
            new: Some("true".into()),
        });
    }
    if changes.is_empty() {
        Plan::Skip(UNCHANGED.into())
    } else {
        Plan::Update { changes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connections::people::ManagerRef;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 25).unwrap()
    }

    fn grace() -> Person {
        let mut p = Person::new("e-1");
        p.first_name = Some("Grace".into());
        p.last_name = Some("Hopper".into());
        p.email = Some("grace@acme.example".into());
        p.job_title = Some("Engineer".into());
        p.manager = Some(ManagerRef {
            source_id: "e-0".into(),
            name: Some("Ada Lovelace".into()),
            email: Some("ada@acme.example".into()),
            target_id: None,
        });
        p
    }

    fn written(person: &Person, active: bool) -> Written {
        Written::new("u-1".into(), fields(person), active)
    }

    fn plan(person: &Person, w: Option<&Written>, settings: &IntegrationSettings) -> Plan {
        decide(person, &fields(person), w, settings, today())
    }

    #[test]
    fn new_people_are_created_and_unchanged_ones_skipped() {
        let s = IntegrationSettings::default();
        let p = grace();
        assert_eq!(plan(&p, None, &s), Plan::Create);
        assert_eq!(plan(&p, Some(&written(&p, true)), &s), Plan::Skip("unchanged".into()));
    }

    #[test]
    fn only_changed_fields_are_updated_with_old_and_new() {
        let s = IntegrationSettings::default();
        let before = grace();
        let mut after = grace();
        after.job_title = Some("Rear Admiral".into());
        assert_eq!(
            plan(&after, Some(&written(&before, true)), &s),
            Plan::Update {
                changes: vec![FieldChange {
                    field: UserField::JobTitle,
                    old: Some("Engineer".into()),
                    new: Some("Rear Admiral".into()),
                }]
            }
        );
        // A deactivated user whose person is back is reactivated.
        match plan(&before, Some(&written(&before, false)), &s) {
            Plan::Update { changes } => assert_eq!(changes[0].field, UserField::Active),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn leavers_follow_the_deactivation_policy() {
        let mut s = IntegrationSettings::default();
        let mut p = grace();
        p.status = PersonStatus::Terminated;
        p.termination_date = Some(today() + chrono::Duration::days(3));
        let w = written(&grace(), true);
        assert_eq!(plan(&p, Some(&w), &s), Plan::Deactivate);
        assert!(matches!(plan(&p, None, &s), Plan::Filter(_)));
        assert!(matches!(plan(&p, Some(&written(&grace(), false)), &s), Plan::Skip(_)));
        s.deactivation_policy = DeactivationPolicy::OnTerminationDate;
        assert_eq!(
            plan(&p, Some(&w), &s),
            Plan::Skip("unchanged".into()),
            "not gone until the date"
        );
        p.termination_date = Some(today());
        assert_eq!(plan(&p, Some(&w), &s), Plan::Deactivate);
        s.deactivation_policy = DeactivationPolicy::Never;
        assert!(matches!(plan(&p, Some(&w), &s), Plan::Skip(_)));
    }

    #[test]
    fn filters_say_why() {
        let mut s = IntegrationSettings::default();
        let mut p = grace();
        p.email = Some("  ".into());
        p.last_name = None;
        assert_eq!(
            plan(&p, None, &s),
            Plan::Filter("missing mandatory field: email, last_name".into())
        );
        let mut p = grace();
        s.new_person_trigger = NewPersonTrigger::FromStartDate;
        p.start_date = NaiveDate::from_ymd_opt(2026, 12, 1);
        assert_eq!(plan(&p, None, &s), Plan::Filter("starts on 2026-12-01".into()));
        s.new_person_trigger = NewPersonTrigger::OnOnboardingComplete;
        p.onboarding_complete = Some(false);
        assert_eq!(
            plan(&p, None, &s),
            Plan::Filter("onboarding is not complete yet".into())
        );
        // Triggers only hold back people not yet in the target.
        assert_eq!(plan(&p, Some(&written(&p, true)), &s), Plan::Skip("unchanged".into()));
    }
}
