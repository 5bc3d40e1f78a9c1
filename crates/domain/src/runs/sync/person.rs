//! One person through steps 3–6: the manager resolved, the decision, the write (with retries of what is worth
//! retrying) and the line and binding saved.
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

use super::plan::{self, Plan, UserFields, Written};
use super::store::{self, Line};
use super::{Abort, RunContext, log};
use crate::connections::people::{FieldChange, Person, UserField};
use crate::connections::ports::ConnectorError;
use crate::logs::LogLevel;
use crate::runs::lifecycle::backoff;
use crate::runs::{Decision, Outcome};

/// Managers' names and emails by source id, learnt from the pages read and, for managers on pages not read yet,
/// fetched once. Capped so a huge source cannot grow it without bound.
#[derive(Default)]
pub(super) struct ManagerCache(Mutex<HashMap<String, NameAndEmail>>);

/// What a manager is known by: their display name and email, where the source has them.
type NameAndEmail = (Option<String>, Option<String>);

const MANAGER_CACHE_CAP: usize = 200_000;

impl ManagerCache {
    pub(super) fn learn(&self, people: &[Person]) {
        let mut known = self.0.lock().expect("lock");
        if known.len() + people.len() > MANAGER_CACHE_CAP {
            known.clear();
        }
        for p in people {
            known.insert(p.source_id.clone(), (Some(p.display_name()), p.email.clone()));
        }
    }

    fn get(&self, id: &str) -> Option<NameAndEmail> {
        self.0.lock().expect("lock").get(id).cloned()
    }

    fn put(&self, id: &str, value: NameAndEmail) {
        self.0.lock().expect("lock").insert(id.to_owned(), value);
    }
}

/// Sources often name the manager without an email (Employment Hero's `primary_manager` is `{id, name}`): the
/// target still gets both.
async fn resolve_manager(ctx: &RunContext, person: &mut Person) {
    let Some(manager) = person.manager.as_mut() else {
        return;
    };
    if manager.email.is_some() && manager.name.is_some() {
        return;
    }
    let known = match ctx.managers.get(&manager.source_id) {
        Some(known) => known,
        None => {
            let fetched = match ctx.source.fetch(&manager.source_id).await {
                Ok(Some(m)) => (Some(m.display_name()), m.email),
                Ok(None) => (None, None),
                Err(e) => {
                    tracing::debug!(manager = %manager.source_id, error = %e, "manager not resolved");
                    return;
                }
            };
            ctx.managers.put(&manager.source_id, fetched.clone());
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

enum WriteError {
    Connector(ConnectorError),
    /// The run is stopping; the person is left for the resumed run.
    Halted,
}

/// Calls the target, retrying retryable failures with backoff that honours the target's Retry-After.
async fn attempt<T, F, Fut>(ctx: &RunContext, mut call: F) -> Result<T, WriteError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ConnectorError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match call().await {
            Ok(value) => {
                ctx.wrote_any.store(true, Ordering::Relaxed);
                ctx.refusals.store(0, Ordering::Relaxed);
                return Ok(value);
            }
            Err(ConnectorError::Retryable { message, retry_after }) if tries < ctx.options.record_attempts => {
                let wait = backoff(Duration::from_millis(500), tries as i32, Duration::from_secs(30))
                    .max(retry_after.unwrap_or_default())
                    .min(Duration::from_secs(300));
                tracing::debug!(%message, ?wait, "target busy; retrying the record");
                let deadline = tokio::time::Instant::now() + wait;
                while tokio::time::Instant::now() < deadline {
                    if ctx.flags.halted() {
                        return Err(WriteError::Halted);
                    }
                    tokio::time::sleep(Duration::from_millis(200).min(wait)).await;
                }
            }
            Err(e) => return Err(WriteError::Connector(e)),
        }
    }
}

pub(super) async fn process(
    ctx: &RunContext,
    mut person: Person,
    written: &HashMap<String, Written>,
) -> Result<(), Abort> {
    if ctx.flags.halted() || ctx.done.contains(&person.source_id) {
        return Ok(());
    }
    resolve_manager(ctx, &mut person).await;
    let fields = plan::fields(&person);
    let current = written.get(&person.source_id);
    let decided = plan::decide(&person, &fields, current, &ctx.settings, ctx.today);
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
    let result = match decided {
        Plan::Filter(reason) => {
            line.decision = Decision::Filter;
            line.reason = Some(reason);
            Ok(None)
        }
        Plan::Skip(reason) => {
            line.reason = (reason != "unchanged").then_some(reason);
            Ok(None)
        }
        Plan::Create => create(ctx, &person, &fields, &mut line).await,
        Plan::Update { changes } => {
            let current = current.expect("an update has a binding");
            update(ctx, &person, &fields, current, changes, &mut line).await
        }
        Plan::Deactivate => deactivate(ctx, current.expect("a deactivation has a binding"), &mut line).await,
    };
    let binding = match result {
        Ok(binding) => binding,
        Err(WriteError::Halted) => return Ok(()),
        Err(WriteError::Connector(e)) => fail(ctx, &mut line, e)?,
    };
    if line.outcome == Outcome::Failed {
        let message = format!("{}: {}", line.name, line.error.as_deref().unwrap_or("failed"));
        log(ctx, LogLevel::Error, message, Some(line.source_id.clone())).await;
    }
    store::save(ctx, line, binding).await?;
    Ok(())
}

/// A write that failed for this record: the record fails and the run goes on, unless the failure is the whole
/// connection's (refused credentials, settings that cannot work, a target that refuses everything).
fn fail(ctx: &RunContext, line: &mut Line, e: ConnectorError) -> Result<Option<Written>, Abort> {
    match e {
        ConnectorError::Auth(message) => {
            return Err(Abort::Auth {
                connection_id: ctx.target_connection,
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
            let refusals = ctx.refusals.fetch_add(1, Ordering::Relaxed) + 1;
            if !ctx.wrote_any.load(Ordering::Relaxed) && refusals >= ctx.options.unavailable_after {
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

fn bound(target_id: String, fields: &UserFields, active: bool) -> Written {
    Written {
        target_id,
        hash: plan::hash(fields, active),
        fields: fields.clone(),
        active,
    }
}

async fn create(
    ctx: &RunContext,
    person: &Person,
    fields: &UserFields,
    line: &mut Line,
) -> Result<Option<Written>, WriteError> {
    line.decision = Decision::Create;
    line.changes = plan::all_as_changes(fields);
    let email = person.email.as_deref();
    let existing = attempt(ctx, || ctx.target.find(&person.source_id, email)).await?;
    if let Some(existing) = &existing {
        line.target_id = Some(existing.target_id.clone());
        line.reason = Some(if existing.external_id.as_deref() == Some(person.source_id.as_str()) {
            "found in the target by its external id; linked".into()
        } else {
            "linked to the existing user with the same email".into()
        });
    }
    if ctx.run.dry_run {
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
            attempt(ctx, || ctx.target.update(&id, person, &changes)).await?;
            line.outcome = Outcome::Updated;
            Ok(Some(bound(id, fields, true)))
        }
        None => match attempt(ctx, || ctx.target.create(person)).await {
            Ok(id) => {
                line.target_id = Some(id.clone());
                line.outcome = Outcome::Created;
                Ok(Some(bound(id, fields, true)))
            }
            // Someone created a user with this email meanwhile (another person of the source sharing it, being
            // written at the same moment): link to it, as the find would have.
            Err(WriteError::Connector(ConnectorError::Rejected(reason))) => {
                match attempt(ctx, || ctx.target.find(&person.source_id, email)).await? {
                    Some(existing) => {
                        let id = existing.target_id;
                        attempt(ctx, || ctx.target.update(&id, person, &line.changes)).await?;
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
    ctx: &RunContext,
    person: &Person,
    fields: &UserFields,
    current: &Written,
    changes: Vec<FieldChange>,
    line: &mut Line,
) -> Result<Option<Written>, WriteError> {
    line.decision = Decision::Update;
    line.changes = changes;
    if ctx.run.dry_run {
        line.outcome = Outcome::DryRun;
        return Ok(None);
    }
    match attempt(ctx, || ctx.target.update(&current.target_id, person, &line.changes)).await {
        Ok(()) => {
            line.outcome = Outcome::Updated;
            Ok(Some(bound(current.target_id.clone(), fields, true)))
        }
        // Someone deleted the user in the target: the source still has the person, so they come back.
        Err(WriteError::Connector(ConnectorError::NotFound(_))) => {
            let id = attempt(ctx, || ctx.target.create(person)).await?;
            line.target_id = Some(id.clone());
            line.decision = Decision::Create;
            line.reason = Some("the user was gone from the target and was created again".into());
            line.changes = plan::all_as_changes(fields);
            line.outcome = Outcome::Created;
            Ok(Some(bound(id, fields, true)))
        }
        Err(other) => Err(other),
    }
}

async fn deactivate(ctx: &RunContext, current: &Written, line: &mut Line) -> Result<Option<Written>, WriteError> {
    line.decision = Decision::Deactivate;
    line.changes = vec![FieldChange {
        field: UserField::Active,
        old: Some("true".into()),
        new: Some("false".into()),
    }];
    if ctx.run.dry_run {
        line.outcome = Outcome::DryRun;
        return Ok(None);
    }
    let inactive = Some(bound(current.target_id.clone(), &current.fields, false));
    match attempt(ctx, || ctx.target.deactivate(&current.target_id)).await {
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
