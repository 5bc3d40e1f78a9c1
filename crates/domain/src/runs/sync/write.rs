//! Step 5, write: what was decided, written to the target — create (or link to the user with the same email),
//! update only the changed fields, deactivate — retrying what is worth retrying with backoff that honours the
//! target's Retry-After. One record's failure fails that record; a failure of the whole connection (credentials
//! refused, settings that cannot work, a target refusing everything) stops the run.
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::Abort;
use super::decide::{self, Plan, UserFields, Written};
use super::heartbeat::Flags;
use super::record::Line;
use crate::connections::people::{FieldChange, Person, TargetUser, UserField};
use crate::connections::ports::{ConnectorError, Lookup, UserTarget};
use crate::entities::binding;
use crate::error::DomainError;
use crate::runs::lifecycle::backoff;
use crate::runs::{Decision, Outcome};

enum WriteError {
    Connector(ConnectorError),
    /// The run is stopping; the person is left for the resumed run.
    Halted,
    Db(DomainError),
}

/// Which person holds which target user, so that two people of the source never share one: the bindings, and the
/// links this run is making right now.
pub(super) struct Owners {
    db: DatabaseConnection,
    integration_id: Uuid,
    claims: Mutex<HashMap<String, String>>,
}

impl Owners {
    pub fn new(db: DatabaseConnection, integration_id: Uuid) -> Self {
        Self {
            db,
            integration_id,
            claims: Mutex::default(),
        }
    }

    /// Claims the target user for the person; answers the other person who holds it, if anyone does.
    async fn claim(&self, target_id: &str, source_id: &str) -> Result<Option<String>, WriteError> {
        {
            let mut claims = self.claims.lock().expect("lock");
            match claims.get(target_id) {
                Some(holder) if holder != source_id => return Ok(Some(holder.clone())),
                Some(_) => {}
                None => {
                    claims.insert(target_id.to_owned(), source_id.to_owned());
                }
            }
        }
        let bound = binding::Entity::find()
            .filter(binding::Column::IntegrationId.eq(self.integration_id))
            .filter(binding::Column::TargetId.eq(target_id))
            .filter(binding::Column::SourceId.ne(source_id))
            .one(&self.db)
            .await
            .map_err(|e| WriteError::Db(e.into()))?;
        Ok(bound.map(|b| b.source_id))
    }
}

pub(super) struct Writer {
    target: Arc<dyn UserTarget>,
    target_connection: Uuid,
    /// A test-state integration: decide everything, write nothing.
    dry_run: bool,
    /// Attempts per record at a retryable failure, beyond the connector's own quick retries.
    attempts: u32,
    /// Retryable refusals in a row with nothing written yet after which the target counts as down.
    unavailable_after: u32,
    flags: Arc<Flags>,
    owners: Owners,
    /// Retryable refusals in a row with nothing written yet.
    refusals: AtomicU32,
    wrote_any: AtomicBool,
    /// What the wave's look-up found in the target for the people about to be created (none: not there).
    found: Mutex<HashMap<String, Option<TargetUser>>>,
    /// Whether an archived user found by email may be reactivated for the person (the integration's setting).
    reactivate_archived: bool,
}

impl Writer {
    pub fn new(
        target: Arc<dyn UserTarget>,
        target_connection: Uuid,
        dry_run: bool,
        options: &super::Options,
        flags: Arc<Flags>,
        owners: Owners,
    ) -> Self {
        Self {
            target,
            target_connection,
            dry_run,
            attempts: options.record_attempts,
            unavailable_after: options.unavailable_after,
            flags,
            owners,
            refusals: AtomicU32::new(0),
            wrote_any: AtomicBool::new(false),
            found: Mutex::default(),
            reactivate_archived: false,
        }
    }

    /// Lets an archived user found by the person's email be reactivated and linked (off unless set).
    pub fn reactivating_archived(mut self, allowed: bool) -> Self {
        self.reactivate_archived = allowed;
        self
    }

    /// Looks up the wave's new people in the target at once, where the target can, so that each create need not
    /// ask alone. A look-up that fails leaves each person to ask alone (and meet the failure there).
    pub async fn look_up(&self, people: &[&Person]) {
        let mut found = HashMap::with_capacity(people.len());
        if !people.is_empty() {
            let lookups: Vec<Lookup> = people
                .iter()
                .map(|p| Lookup {
                    external_id: p.source_id.clone(),
                    email: p.email.clone(),
                })
                .collect();
            match self.target.find_many(&lookups).await {
                Ok(Some(mut users)) => {
                    for lookup in lookups {
                        let user = users.remove(&lookup.external_id);
                        found.insert(lookup.external_id, user);
                    }
                }
                Ok(None) => {}
                Err(e) => tracing::debug!(error = %e, "looking up a wave at once failed; each person asks alone"),
            }
        }
        *self.found.lock().expect("lock") = found;
    }

    /// Carries out the plan for one person: their record line and, when something was written, what the binding
    /// now holds. `None`: the run is stopping and the person is left for the resumed run.
    pub async fn write(
        &self,
        person: &Person,
        fields: &UserFields,
        current: Option<&Written>,
        plan: Plan,
    ) -> Result<Option<(Line, Option<Written>)>, Abort> {
        let mut line = Line {
            source_id: person.source_id.clone(),
            name: person.display_name(),
            target_id: current.map(|w| w.target_id.clone()),
            decision: Decision::Skip,
            reason: None,
            outcome: Outcome::Unchanged,
            error: None,
            changes: Vec::new(),
        };
        let result = match plan {
            Plan::Filter(reason) => {
                line.decision = Decision::Filter;
                line.reason = Some(reason);
                Ok(None)
            }
            Plan::Skip(reason) => {
                line.reason = (reason != decide::UNCHANGED).then_some(reason);
                Ok(None)
            }
            Plan::Create => self.create(person, fields, &mut line).await,
            Plan::Update { changes } => {
                let current = current.expect("an update has a binding");
                self.update(person, fields, current, changes, &mut line).await
            }
            Plan::Deactivate => {
                self.deactivate(current.expect("a deactivation has a binding"), &mut line)
                    .await
            }
        };
        let binding = match result {
            Ok(binding) => binding,
            Err(WriteError::Halted) => return Ok(None),
            Err(WriteError::Db(e)) => return Err(Abort::Db(e)),
            Err(WriteError::Connector(e)) => self.fail(&mut line, e)?,
        };
        Ok(Some((line, binding)))
    }

    /// A user found by the person's email may be linked to them only if no other person of the source holds it:
    /// never two people on one user.
    async fn linkable(&self, existing: &TargetUser, person: &Person) -> Result<(), WriteError> {
        let ours = existing.external_id.as_deref() == Some(person.source_id.as_str());
        // An archived account that merely shares the email may be someone else's past account (an email reused,
        // a contractor's old login): bringing it back takes the integration's say-so. One that carries this
        // person's id is theirs, deactivated when they left.
        if !existing.active && !ours && !self.reactivate_archived {
            return Err(WriteError::Connector(ConnectorError::Rejected(format!(
                "refused: the target user with the email {} is archived, and this integration does not reactivate \
                 archived users (settings.reactivate_archived_users)",
                person.email.as_deref().unwrap_or("?")
            ))));
        }
        let holder = match existing.external_id.as_deref() {
            Some(other) if other != person.source_id => Some(other.to_owned()),
            _ => self.owners.claim(&existing.target_id, &person.source_id).await?,
        };
        match holder {
            None => Ok(()),
            Some(other) => Err(WriteError::Connector(ConnectorError::Rejected(format!(
                "refused: the target user with the email {} belongs to another person of the source ({other})",
                person.email.as_deref().unwrap_or("?")
            )))),
        }
    }

    /// Calls the target, retrying retryable failures with backoff that honours the target's Retry-After.
    async fn attempt<T, F, Fut>(&self, mut call: F) -> Result<T, WriteError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ConnectorError>>,
    {
        let mut tries = 0;
        loop {
            tries += 1;
            match call().await {
                Ok(value) => {
                    self.wrote_any.store(true, Ordering::Relaxed);
                    self.refusals.store(0, Ordering::Relaxed);
                    return Ok(value);
                }
                Err(ConnectorError::Retryable { message, retry_after }) if tries < self.attempts => {
                    let wait = backoff(Duration::from_millis(500), tries as i32, Duration::from_secs(30))
                        .max(retry_after.unwrap_or_default())
                        .min(Duration::from_secs(300));
                    tracing::debug!(%message, ?wait, "target busy; retrying the record");
                    let deadline = tokio::time::Instant::now() + wait;
                    while tokio::time::Instant::now() < deadline {
                        if self.flags.halted() {
                            return Err(WriteError::Halted);
                        }
                        tokio::time::sleep(Duration::from_millis(200).min(wait)).await;
                    }
                }
                Err(e) => return Err(WriteError::Connector(e)),
            }
        }
    }

    /// A write that failed for this record: the record fails and the run goes on, unless the failure is the whole
    /// connection's.
    fn fail(&self, line: &mut Line, e: ConnectorError) -> Result<Option<Written>, Abort> {
        match e {
            ConnectorError::Auth(message) => {
                return Err(Abort::Auth {
                    connection_id: self.target_connection,
                    message,
                });
            }
            ConnectorError::Config(message) => {
                return Err(Abort::Failed {
                    message,
                    retry_after: None,
                });
            }
            ConnectorError::Retryable {
                ref message,
                retry_after,
            } => {
                let refusals = self.refusals.fetch_add(1, Ordering::Relaxed) + 1;
                if !self.wrote_any.load(Ordering::Relaxed) && refusals >= self.unavailable_after {
                    return Err(Abort::Failed {
                        message: format!("the target is unavailable: {message}"),
                        retry_after,
                    });
                }
            }
            ConnectorError::Rejected(_) | ConnectorError::NotFound(_) => {}
        }
        line.outcome = Outcome::Failed;
        line.error = Some(e.to_string());
        Ok(None)
    }

    async fn create(
        &self,
        person: &Person,
        fields: &UserFields,
        line: &mut Line,
    ) -> Result<Option<Written>, WriteError> {
        line.decision = Decision::Create;
        line.changes = decide::all_as_changes(fields);
        let email = person.email.as_deref();
        let looked_up = self.found.lock().expect("lock").remove(&person.source_id);
        let existing = match looked_up {
            Some(existing) => existing,
            None => self.attempt(|| self.target.find(&person.source_id, email)).await?,
        };
        if let Some(existing) = &existing {
            self.linkable(existing, person).await?;
            line.target_id = Some(existing.target_id.clone());
            line.reason = Some(if existing.external_id.as_deref() == Some(person.source_id.as_str()) {
                "found in the target by its external id; linked".into()
            } else {
                "linked to the existing user with the same email".into()
            });
        }
        if self.dry_run {
            line.outcome = Outcome::DryRun;
            return Ok(None);
        }
        match existing {
            Some(existing) => {
                let mut changes = line.changes.clone();
                if !existing.active {
                    changes.push(FieldChange {
                        field: UserField::Active,
                        old: Some("false".into()),
                        new: Some("true".into()),
                    });
                }
                let id = existing.target_id;
                self.attempt(|| self.target.update(&id, person, &changes)).await?;
                line.outcome = Outcome::Updated;
                Ok(Some(bound(id, fields, true)))
            }
            None => match self.attempt(|| self.target.create(person)).await {
                Ok(id) => {
                    line.target_id = Some(id.clone());
                    line.outcome = Outcome::Created;
                    Ok(Some(bound(id, fields, true)))
                }
                // Someone created a user with this email meanwhile (another person of the source sharing it, being
                // written at the same moment): link to it, as the find would have.
                Err(WriteError::Connector(ConnectorError::Rejected(reason))) => {
                    match self.attempt(|| self.target.find(&person.source_id, email)).await? {
                        Some(existing) => {
                            self.linkable(&existing, person).await?;
                            let id = existing.target_id;
                            self.attempt(|| self.target.update(&id, person, &line.changes)).await?;
                            line.target_id = Some(id.clone());
                            line.reason = Some("linked to the existing user with the same email".into());
                            line.outcome = Outcome::Updated;
                            Ok(Some(bound(id, fields, true)))
                        }
                        None => Err(WriteError::Connector(ConnectorError::Rejected(reason))),
                    }
                }
                Err(other) => Err(other),
            },
        }
    }

    async fn update(
        &self,
        person: &Person,
        fields: &UserFields,
        current: &Written,
        changes: Vec<FieldChange>,
        line: &mut Line,
    ) -> Result<Option<Written>, WriteError> {
        line.decision = Decision::Update;
        line.changes = changes;
        if self.dry_run {
            line.outcome = Outcome::DryRun;
            return Ok(None);
        }
        match self
            .attempt(|| self.target.update(&current.target_id, person, &line.changes))
            .await
        {
            Ok(()) => {
                line.outcome = Outcome::Updated;
                Ok(Some(bound(current.target_id.clone(), fields, true)))
            }
            // Someone deleted the user in the target: the source still has the person, so they come back.
            Err(WriteError::Connector(ConnectorError::NotFound(_))) => {
                let id = self.attempt(|| self.target.create(person)).await?;
                line.target_id = Some(id.clone());
                line.decision = Decision::Create;
                line.reason = Some("the user was gone from the target and was created again".into());
                line.changes = decide::all_as_changes(fields);
                line.outcome = Outcome::Created;
                Ok(Some(bound(id, fields, true)))
            }
            Err(other) => Err(other),
        }
    }

    async fn deactivate(&self, current: &Written, line: &mut Line) -> Result<Option<Written>, WriteError> {
        line.decision = Decision::Deactivate;
        line.changes = vec![FieldChange {
            field: UserField::Active,
            old: Some("true".into()),
            new: Some("false".into()),
        }];
        if self.dry_run {
            line.outcome = Outcome::DryRun;
            return Ok(None);
        }
        let inactive = Some(bound(current.target_id.clone(), current.fields(), false));
        match self.attempt(|| self.target.deactivate(&current.target_id)).await {
            Ok(()) => {
                line.outcome = Outcome::Deactivated;
                Ok(inactive)
            }
            Err(WriteError::Connector(ConnectorError::NotFound(_))) => {
                line.reason = Some("the user is already gone from the target".into());
                line.changes.clear();
                Ok(inactive)
            }
            Err(other) => Err(other),
        }
    }
}

fn bound(target_id: String, fields: &UserFields, active: bool) -> Written {
    Written::new(target_id, fields.clone(), active)
}
