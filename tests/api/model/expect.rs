//! The model: what the SCIM target must hold for the people of the source (the expected projection), worked out
//! from the source and what the model knew the target held before, and compared with the whole target.
//!
//! The rules (the integration's defaults: mandatory email, first and last name; users created on creation in the
//! source; deactivated on termination; Employment Hero maps no department; the SCIM connection maps location to
//! [`LOCATION`]):
//! - a due person (active, nothing mandatory missing) has exactly one user, `externalId` = their source id,
//!   userName and primary email = their work email, givenName/familyName, title, location, no department,
//!   `active: true`;
//! - a leaver's user is `active: false`; a leaver who never had a user has none;
//! - someone filtered after they had a user keeps it as it was;
//! - `manager.value` is the SCIM id of the manager's user whenever the manager has one (active or not), absent when
//!   they have none or the person is their own manager;
//! - one work email, one user: a due person whose email another person's user already holds gets none (or keeps
//!   their own user as it was) and fails with a reason; when several claim a free email in the same run, exactly
//!   one of them gets it;
//! - an email or name change updates the same user (same SCIM id).
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use ihub_connectors::scim::ENTERPRISE;
use ihub_simulators::Simulators;
use serde_json::{Map, Value};

/// Where the SCIM connection of the model puts a person's location (`location_attribute`).
pub const LOCATION_URN: &str = "urn:ietf:params:scim:schemas:extension:acme:2.0:User";
pub const LOCATION: &str = "urn:ietf:params:scim:schemas:extension:acme:2.0:User:location";

/// A source person as the hub reads them from Employment Hero.
#[derive(Debug, Clone)]
pub struct Src {
    pub index: u32,
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub first: Option<String>,
    pub last: Option<String>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub manager: Option<u32>,
    pub active: bool,
}

fn non_blank(value: Option<&str>) -> Option<String> {
    value.map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned)
}

/// Everyone in the source now.
pub fn source(sims: &Simulators) -> Vec<Src> {
    let today = super::scenario::today();
    (0..sims.people_count() as u32)
        .map(|index| {
            let p = sims.person(index).expect("nobody is deleted");
            Src {
                index,
                id: sims.employment_hero_employee_id(index),
                name: p.full_name(),
                email: non_blank(p.work_email.as_deref()).map(|e| e.to_lowercase()),
                first: non_blank(p.preferred_name.as_deref()).or_else(|| non_blank(Some(&p.first_name))),
                last: non_blank(Some(&p.last_name)),
                title: non_blank(p.job_title.as_deref()),
                location: non_blank(p.location.as_deref()),
                manager: p.manager,
                active: !p.is_terminated(today),
            }
        })
        .collect()
}

enum Class<'a> {
    Leaver,
    Filtered,
    Due(&'a str),
}

fn class(p: &Src) -> Class<'_> {
    if !p.active {
        return Class::Leaver;
    }
    match (&p.email, &p.first, &p.last) {
        (Some(email), Some(_), Some(_)) => Class::Due(email),
        _ => Class::Filtered,
    }
}

/// A user as the model knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    /// Unknown until the model has seen it created.
    pub scim_id: Option<String>,
    pub user_name: String,
    pub active: bool,
}

/// What the model knows the target holds: each person's user.
pub type State = BTreeMap<u32, Held>;

#[derive(Debug, Clone)]
pub struct ExpUser {
    pub held: Held,
    /// Written from the person as the source has them now; otherwise left as it was (only its userName and
    /// active flag are known).
    pub current: bool,
}

#[derive(Debug, Default)]
pub struct Expected {
    pub users: BTreeMap<u32, ExpUser>,
    /// Due people who cannot have a user with their email: another person's user holds it. Their lines fail.
    pub losers: BTreeSet<u32>,
}

/// The user of each person that the target shows, with its parts the model checks.
#[derive(Debug, Clone)]
pub struct Seen {
    pub id: String,
    pub external_id: Option<String>,
    pub user_name: Option<String>,
    pub email: Option<String>,
    pub given: Option<String>,
    pub family: Option<String>,
    pub title: Option<String>,
    pub location: Option<String>,
    pub department: Option<String>,
    pub manager: Option<String>,
    pub active: bool,
}

fn text(value: Option<&Value>) -> Option<String> {
    value.and_then(Value::as_str).map(str::to_owned)
}

impl Seen {
    fn of(user: &Map<String, Value>) -> Self {
        let enterprise = user.get(ENTERPRISE);
        let email = user
            .get("emails")
            .and_then(Value::as_array)
            .and_then(|e| e.iter().find(|e| e["primary"] == true).or_else(|| e.first()))
            .and_then(|e| text(e.get("value")));
        Self {
            id: text(user.get("id")).unwrap_or_default(),
            external_id: text(user.get("externalId")),
            user_name: text(user.get("userName")),
            email,
            given: text(user.get("name").and_then(|n| n.get("givenName"))),
            family: text(user.get("name").and_then(|n| n.get("familyName"))),
            title: text(user.get("title")),
            location: text(user.get(LOCATION_URN).and_then(|e| e.get("location"))),
            department: text(enterprise.and_then(|e| e.get("department"))),
            manager: text(enterprise.and_then(|e| e.get("manager")).and_then(|m| m.get("value"))),
            active: user.get("active").and_then(Value::as_bool).unwrap_or(true),
        }
    }
}

/// The whole target, by the source person each user names.
pub struct Target {
    pub users: Vec<Seen>,
    by_person: HashMap<u32, Vec<usize>>,
}

impl Target {
    pub fn read(sims: &Simulators, src: &[Src]) -> Self {
        let index_of: HashMap<&str, u32> = src.iter().map(|p| (p.id.as_str(), p.index)).collect();
        let users: Vec<Seen> = sims.scim_users().iter().map(Seen::of).collect();
        let mut by_person: HashMap<u32, Vec<usize>> = HashMap::new();
        for (at, user) in users.iter().enumerate() {
            if let Some(index) = user.external_id.as_deref().and_then(|e| index_of.get(e)) {
                by_person.entry(*index).or_default().push(at);
            }
        }
        Self { users, by_person }
    }

    pub fn of(&self, person: u32) -> Vec<&Seen> {
        self.by_person
            .get(&person)
            .into_iter()
            .flatten()
            .map(|at| &self.users[*at])
            .collect()
    }

    /// Whose user holds each userName (lower-cased), as far as the target shows.
    pub fn holders(&self) -> HashMap<String, u32> {
        self.by_person
            .iter()
            .flat_map(|(person, ats)| {
                ats.iter()
                    .filter_map(|at| self.users[*at].user_name.as_deref())
                    .map(|name| (name.to_lowercase(), *person))
            })
            .collect()
    }

    /// A person's user as the model would hold it (for people whose run failed: the target's word counts).
    pub fn held(&self, person: u32) -> Option<Held> {
        self.of(person).first().map(|u| Held {
            scim_id: Some(u.id.clone()),
            user_name: u.user_name.clone().unwrap_or_default().to_lowercase(),
            active: u.active,
        })
    }
}

/// The projection: from what the model knew before (`before`) and the source now, with `failed` people (whose
/// writes failed in the run being judged) taken as the target shows them.
pub fn expect(src: &[Src], before: &State, failed: &BTreeSet<u32>, target: &Target) -> Expected {
    let mut users: BTreeMap<u32, ExpUser> = before
        .iter()
        .filter(|(p, _)| !failed.contains(p))
        .map(|(p, held)| {
            (
                *p,
                ExpUser {
                    held: held.clone(),
                    current: false,
                },
            )
        })
        .collect();
    for p in failed {
        if let Some(held) = target.held(*p) {
            users.insert(*p, ExpUser { held, current: false });
        }
    }
    let holders = target.holders();
    let movable = |p: &Src| !failed.contains(&p.index);
    // Leavers are deactivated and people keeping their email written, whatever else happens.
    for p in src.iter().filter(|p| movable(p)) {
        match class(p) {
            Class::Leaver => {
                if let Some(user) = users.get_mut(&p.index) {
                    user.held.active = false;
                }
            }
            Class::Filtered => {}
            Class::Due(email) => {
                if let Some(user) = users.get_mut(&p.index)
                    && user.held.user_name == email
                {
                    user.held.active = true;
                    user.current = true;
                }
            }
        }
    }
    // Free emails go to one of those who claim them, until no email moves (a user moving to a new email frees its
    // old one for someone else).
    loop {
        let held: BTreeSet<String> = users.values().map(|u| u.held.user_name.clone()).collect();
        let mut claims: BTreeMap<&str, Vec<u32>> = BTreeMap::new();
        for p in src.iter().filter(|p| movable(p)) {
            if let Class::Due(email) = class(p)
                && !held.contains(email)
            {
                claims.entry(email).or_default().push(p.index);
            }
        }
        if claims.is_empty() {
            break;
        }
        for (email, claimants) in claims {
            // Which of several gets it depends on the order of writes: the one the target shows, if it is one.
            let winner = holders
                .get(email)
                .copied()
                .filter(|w| claimants.contains(w))
                .unwrap_or(claimants[0]);
            let user = users.entry(winner).or_insert_with(|| ExpUser {
                held: Held {
                    scim_id: None,
                    user_name: String::new(),
                    active: true,
                },
                current: true,
            });
            user.held.user_name = email.to_owned();
            user.held.active = true;
            user.current = true;
        }
    }
    let losers = src
        .iter()
        .filter(|p| movable(p))
        .filter(|p| match class(p) {
            Class::Due(email) => users.get(&p.index).is_none_or(|u| u.held.user_name != email),
            _ => false,
        })
        .map(|p| p.index)
        .collect();
    Expected { users, losers }
}

/// One way the target differs from the model.
#[derive(Debug, Clone)]
pub struct Diff {
    pub person: String,
    pub field: String,
    pub expected: String,
    pub actual: String,
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {}: expected {}, actual {}",
            self.person, self.field, self.expected, self.actual
        )
    }
}

pub fn who(p: &Src) -> String {
    format!("#{} {} ({})", p.index, p.name, p.id)
}

fn shown(value: &Option<String>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => "none".into(),
    }
}

/// Every difference between the target and the expected projection, leaving out the people in `skip` (their
/// write failed: their line says so).
pub fn compare(src: &[Src], expected: &Expected, target: &Target, skip: &BTreeSet<u32>) -> Vec<Diff> {
    let mut diffs = Vec::new();
    let by_index: HashMap<u32, &Src> = src.iter().map(|p| (p.index, p)).collect();
    let mut diff = |p: &Src, field: &str, expected: String, actual: String| {
        diffs.push(Diff {
            person: who(p),
            field: field.to_owned(),
            expected,
            actual,
        });
    };
    for p in src {
        if skip.contains(&p.index) {
            continue;
        }
        let seen = target.of(p.index);
        let Some(exp) = expected.users.get(&p.index) else {
            if let Some(user) = seen.first() {
                diff(
                    p,
                    "user",
                    "none".into(),
                    format!("{} ({}, active {})", user.id, shown(&user.user_name), user.active),
                );
            }
            continue;
        };
        let user = match seen.as_slice() {
            [] => {
                diff(
                    p,
                    "user",
                    format!("one with userName {:?}", exp.held.user_name),
                    "none".into(),
                );
                continue;
            }
            [one] => *one,
            many => {
                let ids: Vec<&str> = many.iter().map(|u| u.id.as_str()).collect();
                diff(
                    p,
                    "user",
                    "one".into(),
                    format!("{} users: {}", many.len(), ids.join(", ")),
                );
                many[0]
            }
        };
        if let Some(id) = &exp.held.scim_id
            && *id != user.id
        {
            diff(p, "SCIM id", format!("{id} (the same user as before)"), user.id.clone());
        }
        if user.user_name.as_deref().map(str::to_lowercase).as_deref() != Some(exp.held.user_name.as_str()) {
            diff(
                p,
                "userName",
                format!("{:?}", exp.held.user_name),
                shown(&user.user_name),
            );
        }
        if user.active != exp.held.active {
            diff(p, "active", exp.held.active.to_string(), user.active.to_string());
        }
        if !exp.current {
            continue;
        }
        let mut field = |name: &str, expected: &Option<String>, actual: &Option<String>| {
            if expected != actual {
                diff(p, name, shown(expected), shown(actual));
            }
        };
        field("emails[primary]", &p.email, &user.email);
        field("name.givenName", &p.first, &user.given);
        field("name.familyName", &p.last, &user.family);
        field("title", &p.title, &user.title);
        field("location", &p.location, &user.location);
        field("enterprise department", &None, &user.department);
        // The manager link: to the manager's user wherever they have one.
        let manager = p
            .manager
            .filter(|m| *m != p.index)
            .filter(|m| expected.users.contains_key(m));
        let expected_link = manager.map(|m| {
            let id = expected.users[&m]
                .held
                .scim_id
                .clone()
                .or_else(|| target.of(m).first().map(|u| u.id.clone()));
            let name = by_index.get(&m).map_or_else(|| format!("#{m}"), |s| who(s));
            (id, name)
        });
        match (&expected_link, &user.manager) {
            (None, None) => {}
            (Some((Some(id), _)), Some(actual)) if id == actual => {}
            (expected, actual) => {
                let expected = match expected {
                    None if p.manager == Some(p.index) => "none (they are their own manager)".to_owned(),
                    None => match p.manager {
                        Some(m) => format!("none (manager #{m} has no user)"),
                        None => "none (no manager)".to_owned(),
                    },
                    Some((Some(id), name)) => format!("{id} (the user of {name})"),
                    Some((None, name)) => format!("the user of {name}, which is missing"),
                };
                let actual = match actual {
                    None => "none".to_owned(),
                    Some(id) => {
                        let owner = target
                            .users
                            .iter()
                            .find(|u| u.id == *id)
                            .and_then(|u| u.external_id.clone())
                            .and_then(|e| src.iter().find(|s| s.id == e))
                            .map_or_else(|| "no such user".to_owned(), who);
                        format!("{id} (the user of {owner})")
                    }
                };
                diff(p, "manager.value", expected, actual);
            }
        }
    }
    // Users nobody in the source explains.
    let ids: BTreeSet<&str> = src.iter().map(|p| p.id.as_str()).collect();
    for user in &target.users {
        if user.external_id.as_deref().is_none_or(|e| !ids.contains(e)) {
            diffs.push(Diff {
                person: format!("user {}", user.id),
                field: "externalId".into(),
                expected: "a source person's id".into(),
                actual: shown(&user.external_id),
            });
        }
    }
    diffs
}

/// What the model knows after a settled round: the expected users, with the ids of new ones as created.
pub fn learn(expected: &Expected, target: &Target) -> State {
    expected
        .users
        .iter()
        .map(|(p, user)| {
            let mut held = user.held.clone();
            if held.scim_id.is_none() {
                held.scim_id = target.of(*p).first().map(|u| u.id.clone());
            }
            (*p, held)
        })
        .collect()
}

/// What the model takes as known when it goes on after a difference: the target's users as they are.
pub fn resync(target: &Target) -> State {
    target
        .by_person
        .keys()
        .filter_map(|p| target.held(*p).map(|held| (*p, held)))
        .collect()
}
