//! Manager links, whatever the order of writes. A person's link is their manager's user in the target as the hub's
//! bindings know it. A person written before their manager reached the target (same page written at once, a later
//! page, a cycle) waits; once the manager is there — at the end of the page, or at the end of the run — they are
//! visited again and linked, and their line says the link was set late. The end of a run also asks the database
//! for anyone still unlinked while their manager is in the target (a run stopped before it revisited them, a
//! previous run's), so a run that ends `done` leaves no link missing.
//!
//! The rules: a report keeps the link to a manager who left (their user is deactivated, not deleted, so the link
//! points at a real user) until the source names another manager; a manager who is not in the target (filtered,
//! never created) is named on the person's user but not linked, and the line says why; a person named as their own
//! manager is not linked; a chain that loops back to the person is linked as the source says, and the line says so.
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use super::decide::Written;
use super::managers::Managers;
use super::record::Line;
use crate::connections::people::Person;

/// People kept in memory while they wait for their manager; beyond it the end-of-run query finds them and the
/// source is asked for them again.
const WAITING_CAP: usize = 10_000;

/// A page in the order that lets managers reach the target before their reports: each wave holds the people whose
/// manager is not among those still to write; what a loop leaves over goes last. Most links are then set on the
/// first write, and fewer people wait.
pub(super) fn waves(people: Vec<Person>) -> Vec<Vec<Person>> {
    let mut waves = Vec::new();
    let mut remaining = people;
    while !remaining.is_empty() {
        let pending: HashSet<String> = remaining.iter().map(|p| p.source_id.clone()).collect();
        let (ready, blocked): (Vec<Person>, Vec<Person>) = remaining.into_iter().partition(|p| {
            p.manager
                .as_ref()
                .is_none_or(|m| m.source_id == p.source_id || !pending.contains(&m.source_id))
        });
        if ready.is_empty() {
            waves.push(blocked);
            break;
        }
        waves.push(ready);
        remaining = blocked;
    }
    waves
}

/// How a person's manager link stands before their write.
pub(super) enum Link {
    /// No manager, or linked to the manager's user.
    Settled,
    /// The manager is not in the target (yet).
    Waiting,
    /// The source names them as their own manager.
    Own,
}

/// Sets the manager's target id on the person from the bindings, and says how the link stands.
pub(super) fn resolve(person: &mut Person, bindings: &HashMap<String, Written>) -> Link {
    let Some(manager) = person.manager.as_mut() else {
        return Link::Settled;
    };
    if manager.source_id == person.source_id {
        manager.target_id = None;
        return Link::Own;
    }
    manager.target_id = bindings.get(&manager.source_id).map(|w| w.target_id.clone());
    if manager.target_id.is_some() {
        Link::Settled
    } else {
        Link::Waiting
    }
}

/// What the line says about the link, if anything.
pub(super) fn note(person: &Person, link: &Link, managers: &Managers) -> Option<String> {
    let manager = person.manager.as_ref()?;
    let named = manager
        .name
        .as_deref()
        .map_or_else(|| manager.source_id.clone(), |n| format!("{n} ({})", manager.source_id));
    let mut note = match link {
        Link::Settled => None,
        Link::Own => Some("the source names them as their own manager: no manager link".to_owned()),
        Link::Waiting => Some(format!("no manager link: their manager {named} is not in the target")),
    };
    if !matches!(link, Link::Own)
        && let Some(chain) = managers.loop_back(&person.source_id)
    {
        let looped = format!("their manager chain loops back to them: {}", chain.join(" → "));
        note = Some(match note {
            Some(n) => format!("{n}; {looped}"),
            None => looped,
        });
    }
    note
}

pub(super) fn add_reason(line: &mut Line, note: String) {
    line.reason = Some(match line.reason.take() {
        Some(reason) => format!("{reason}; {note}"),
        None => note,
    });
}

/// Written without their manager link: the person and their line as saved, to be visited again.
pub(super) struct Waiter {
    pub person: Person,
    pub line: Line,
}

#[derive(Default)]
pub(super) struct Waiting(Mutex<HashMap<String, Waiter>>);

impl Waiting {
    pub fn add(&self, person: Person, line: Line) {
        let mut waiting = self.0.lock().expect("lock");
        if waiting.len() < WAITING_CAP {
            waiting.insert(person.source_id.clone(), Waiter { person, line });
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.lock().expect("lock").is_empty()
    }

    /// Everyone waiting, taken out.
    pub fn take_all(&self) -> Vec<Waiter> {
        std::mem::take(&mut *self.0.lock().expect("lock"))
            .into_values()
            .collect()
    }

    /// Puts back those still waiting.
    pub fn put_back(&self, waiters: Vec<Waiter>) {
        let mut waiting = self.0.lock().expect("lock");
        for w in waiters {
            waiting.insert(w.person.source_id.clone(), w);
        }
    }

    pub fn take(&self, source_id: &str) -> Option<Waiter> {
        self.0.lock().expect("lock").remove(source_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connections::people::ManagerRef;

    fn person(id: &str, manager: Option<&str>) -> Person {
        let mut p = Person::new(id);
        p.manager = manager.map(|m| ManagerRef {
            source_id: m.into(),
            name: None,
            email: None,
            target_id: None,
        });
        p
    }

    fn ids(waves: &[Vec<Person>]) -> Vec<Vec<&str>> {
        waves
            .iter()
            .map(|w| {
                let mut ids: Vec<&str> = w.iter().map(|p| p.source_id.as_str()).collect();
                ids.sort_unstable();
                ids
            })
            .collect()
    }

    #[test]
    fn managers_go_before_their_reports_and_loops_go_last() {
        let page = vec![
            person("c", Some("b")),
            person("b", Some("a")),
            person("a", None),
            person("d", Some("outside")),
            person("self", Some("self")),
            person("x", Some("y")),
            person("y", Some("x")),
        ];
        assert_eq!(
            ids(&waves(page)),
            vec![vec!["a", "d", "self"], vec!["b"], vec!["c"], vec!["x", "y"]]
        );
    }

    #[test]
    fn links_come_from_the_bindings_and_nobody_manages_themselves() {
        let written = HashMap::from([("a".to_owned(), Written::new("u-a".into(), Default::default(), false))]);
        let mut b = person("b", Some("a"));
        assert!(matches!(resolve(&mut b, &written), Link::Settled));
        assert_eq!(
            b.manager.unwrap().target_id.as_deref(),
            Some("u-a"),
            "a manager who left stays linked"
        );
        let mut c = person("c", Some("z"));
        assert!(matches!(resolve(&mut c, &written), Link::Waiting));
        let mut own = person("a", Some("a"));
        assert!(matches!(resolve(&mut own, &written), Link::Own));
        assert_eq!(own.manager.unwrap().target_id, None);
    }
}
