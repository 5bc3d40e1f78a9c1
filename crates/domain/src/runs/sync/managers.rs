//! Part of step 3, map: sources often name a person's manager without an email (Employment Hero's
//! `primary_manager` is `{id, name}`); the target still gets both. A manager's name and email come from, in turn:
//! the people read lately (a small cache), the binding of the manager written earlier in this run or unchanged
//! since the last (the batch reads managers' bindings anyway), and at last the source, fetched once. Every map here
//! is capped so a huge source cannot grow memory without bound.
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::decide::Written;
use crate::connections::people::{Person, UserField};
use crate::connections::ports::PeopleSource;

/// What a manager is known by: their display name and email, where the source has them.
type NameAndEmail = (Option<String>, Option<String>);

/// People read lately whose names and emails are kept, about 4 MB. Past it the cache starts over; a manager read
/// long before their reports is then found in their binding. (With no binding to fall back on, a cap of 50,000 cost
/// 0.3–0.4 source requests per record and a third of the sync's speed, so the cap was 200,000 and 170 MB of peak
/// memory at 1,000,000 people.)
const CAP: usize = 20_000;
/// Whom each person names as manager, kept to see chains that loop: loops among people read this far apart are
/// seen.
const CHAIN_CAP: usize = 100_000;
/// People read in this run whose binding does not hold what was read (filtered, failed): theirs is not trusted for
/// their reports. Past this many, no binding is.
const DISTRUST_CAP: usize = 50_000;

pub(super) struct Managers {
    source: Arc<dyn PeopleSource>,
    known: Mutex<HashMap<String, NameAndEmail>>,
    /// Whom each person read in this run names as manager, to see chains that loop.
    reports_to: Mutex<HashMap<String, String>>,
    /// Whose binding does not say what this run read of them; `None` once too many to keep, or when the run
    /// writes no bindings (a dry run).
    distrusted: Mutex<Option<HashSet<String>>>,
}

impl Managers {
    pub fn new(source: Arc<dyn PeopleSource>, dry_run: bool) -> Self {
        Self {
            source,
            known: Mutex::default(),
            reports_to: Mutex::default(),
            distrusted: Mutex::new((!dry_run).then(HashSet::new)),
        }
    }

    /// This person's binding no longer says what the run read of them (they were filtered or their write failed).
    pub fn distrust(&self, source_id: &str) {
        let mut distrusted = self.distrusted.lock().expect("lock");
        if let Some(set) = distrusted.as_mut() {
            if set.len() >= DISTRUST_CAP {
                *distrusted = None;
            } else {
                set.insert(source_id.to_owned());
            }
        }
    }

    /// The manager's name and email as their binding holds them, when it holds what the source says now.
    fn in_binding(&self, source_id: &str, written: &HashMap<String, Written>) -> Option<NameAndEmail> {
        let binding = written.get(source_id)?;
        let trusted = self
            .distrusted
            .lock()
            .expect("lock")
            .as_ref()
            .is_some_and(|set| !set.contains(source_id));
        if !trusted {
            return None;
        }
        let fields = binding.fields();
        let field = |f: UserField| fields.get(&f).cloned().flatten();
        // As `Person::display_name` makes it of the same first and last names.
        let mut named = Person::new(source_id);
        named.first_name = field(UserField::FirstName);
        named.last_name = field(UserField::LastName);
        Some((Some(named.display_name()), field(UserField::Email)))
    }

    pub fn learn(&self, people: &[Person]) {
        let mut known = self.known.lock().expect("lock");
        if known.len() + people.len() > CAP {
            known.clear();
        }
        for p in people {
            known.insert(p.source_id.clone(), (Some(p.display_name()), p.email.clone()));
        }
        drop(known);
        let mut reports_to = self.reports_to.lock().expect("lock");
        if reports_to.len() + people.len() > CHAIN_CAP {
            reports_to.clear();
        }
        for p in people {
            match &p.manager {
                Some(m) => reports_to.insert(p.source_id.clone(), m.source_id.clone()),
                None => reports_to.remove(&p.source_id),
            };
        }
    }

    /// The chain of managers from this person back to them, by name, when the chain the run has seen loops.
    pub fn loop_back(&self, source_id: &str) -> Option<Vec<String>> {
        let reports_to = self.reports_to.lock().expect("lock");
        let mut chain = vec![source_id.to_owned()];
        let mut at = source_id;
        for _ in 0..64 {
            let next = reports_to.get(at)?;
            chain.push(next.clone());
            if next == source_id {
                let known = self.known.lock().expect("lock");
                let name = |id: &String| known.get(id).and_then(|k| k.0.clone()).unwrap_or_else(|| id.clone());
                return (chain.len() > 2).then(|| chain.iter().map(name).collect());
            }
            at = next;
        }
        None
    }

    /// Fills the person's manager's name and email where the source left them out; `written` holds the bindings
    /// of the batch's people and their managers.
    pub async fn resolve(&self, person: &mut Person, written: &HashMap<String, Written>) {
        let Some(manager) = person.manager.as_mut() else {
            return;
        };
        if manager.email.is_some() && manager.name.is_some() {
            return;
        }
        let cached = self.known.lock().expect("lock").get(&manager.source_id).cloned();
        let known = match cached.or_else(|| self.in_binding(&manager.source_id, written)) {
            Some(known) => known,
            None => {
                let fetched = match self.source.fetch(&manager.source_id).await {
                    Ok(Some(m)) => (Some(m.display_name()), m.email),
                    Ok(None) => (None, None),
                    Err(e) => {
                        tracing::debug!(manager = %manager.source_id, error = %e, "manager not resolved");
                        return;
                    }
                };
                self.known
                    .lock()
                    .expect("lock")
                    .insert(manager.source_id.clone(), fetched.clone());
                fetched
            }
        };
        if manager.name.is_none() {
            manager.name = known.0;
        }
        if manager.email.is_none() {
            manager.email = known.1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::{DateTime, Utc};

    use super::*;
    use crate::connections::people::ManagerRef;
    use crate::connections::ports::{ConnectorError, SourcePage};

    /// A source that knows one manager, as they are now, and counts how often it is asked.
    #[derive(Default)]
    struct Source {
        fetched: AtomicUsize,
    }

    #[async_trait::async_trait]
    impl PeopleSource for Source {
        async fn list_page(&self, _: Option<&str>) -> Result<SourcePage, ConnectorError> {
            Ok(SourcePage::default())
        }

        async fn changed_page(&self, _: DateTime<Utc>, _: Option<&str>) -> Result<Option<SourcePage>, ConnectorError> {
            Ok(None)
        }

        async fn fetch(&self, source_id: &str) -> Result<Option<Person>, ConnectorError> {
            self.fetched.fetch_add(1, Ordering::SeqCst);
            let mut person = Person::new(source_id);
            person.first_name = Some("Grace".into());
            person.last_name = Some("Hopper-Now".into());
            person.email = Some("grace.now@example.com".into());
            Ok(Some(person))
        }
    }

    fn report() -> Person {
        let mut person = Person::new("e-9");
        person.manager = Some(ManagerRef {
            source_id: "e-1".into(),
            name: None,
            email: None,
            target_id: None,
        });
        person
    }

    fn bindings() -> HashMap<String, Written> {
        let fields = BTreeMap::from([
            (UserField::FirstName, Some("Grace".to_owned())),
            (UserField::LastName, Some("Hopper".to_owned())),
            (UserField::Email, Some("grace@example.com".to_owned())),
        ]);
        HashMap::from([("e-1".to_owned(), Written::new("u-1".into(), fields, true))])
    }

    async fn resolved(managers: &Managers) -> (Option<String>, Option<String>) {
        let mut person = report();
        managers.resolve(&mut person, &bindings()).await;
        let manager = person.manager.unwrap();
        (manager.name, manager.email)
    }

    #[tokio::test]
    async fn a_manager_read_long_ago_is_found_in_their_binding_without_a_request() {
        let source = Arc::new(Source::default());
        let managers = Managers::new(source.clone(), false);
        assert_eq!(
            resolved(&managers).await,
            (Some("Grace Hopper".into()), Some("grace@example.com".into()))
        );
        assert_eq!(source.fetched.load(Ordering::SeqCst), 0);
    }

    #[tokio::test]
    async fn a_binding_that_no_longer_says_what_was_read_is_passed_over_for_the_source() {
        let source = Arc::new(Source::default());
        let managers = Managers::new(source.clone(), false);
        // Filtered or failed in this run: their binding still holds what an earlier run wrote.
        managers.distrust("e-1");
        assert_eq!(
            resolved(&managers).await,
            (Some("Grace Hopper-Now".into()), Some("grace.now@example.com".into()))
        );
        assert_eq!(source.fetched.load(Ordering::SeqCst), 1);
        // Fetched once, then known.
        resolved(&managers).await;
        assert_eq!(source.fetched.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_dry_run_which_saves_no_bindings_trusts_none() {
        let source = Arc::new(Source::default());
        let managers = Managers::new(source.clone(), true);
        assert_eq!(resolved(&managers).await.1, Some("grace.now@example.com".into()));
        assert_eq!(source.fetched.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn past_the_cap_of_distrusted_people_no_binding_is_trusted() {
        let source = Arc::new(Source::default());
        let managers = Managers::new(source.clone(), false);
        for i in 0..=DISTRUST_CAP {
            managers.distrust(&format!("x-{i}"));
        }
        assert_eq!(resolved(&managers).await.1, Some("grace.now@example.com".into()));
    }
}
