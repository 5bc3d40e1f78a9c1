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

const CAP: usize = 200_000;

pub(super) struct Managers {
    source: Arc<dyn PeopleSource>,
    known: Mutex<HashMap<String, NameAndEmail>>,
}

impl Managers {
    pub fn new(source: Arc<dyn PeopleSource>) -> Self {
        Self {
            source,
            known: Mutex::default(),
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
