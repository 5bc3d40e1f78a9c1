//! Part of step 3, map: sources often name a person's manager without an email (Employment Hero's
//! `primary_manager` is `{id, name}`); the target still gets both. Managers' names and emails are learnt from the
//! pages read and, for managers on pages not read yet, fetched once. The cache is capped so a huge source cannot
//! grow it without bound.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::connections::people::Person;
use crate::connections::ports::PeopleSource;

/// What a manager is known by: their display name and email, where the source has them.
type NameAndEmail = (Option<String>, Option<String>);

/// About 40 MB of names and emails at most. Past it the cache starts over, and managers are learnt again from the
/// pages read or fetched once more (a request each). 50,000 was tried: at 100,000 people it cost 0.3–0.4 source
/// requests per record and a third of the sync's speed; an eviction that keeps the managers is the way to go lower.
const CAP: usize = 200_000;

pub(super) struct Managers {
    source: Arc<dyn PeopleSource>,
    known: Mutex<HashMap<String, NameAndEmail>>,
    /// Whom each person read in this run names as manager, to see chains that loop.
    reports_to: Mutex<HashMap<String, String>>,
}

impl Managers {
    pub fn new(source: Arc<dyn PeopleSource>) -> Self {
        Self {
            source,
            known: Mutex::default(),
            reports_to: Mutex::default(),
        }
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
        if reports_to.len() + people.len() > CAP {
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

    /// Fills the person's manager's name and email where the source left them out.
    pub async fn resolve(&self, person: &mut Person) {
        let Some(manager) = person.manager.as_mut() else {
            return;
        };
        if manager.email.is_some() && manager.name.is_some() {
            return;
        }
        let cached = self.known.lock().expect("lock").get(&manager.source_id).cloned();
        let known = match cached {
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
