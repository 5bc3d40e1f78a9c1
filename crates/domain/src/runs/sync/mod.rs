//! The sync of SPEC.md "Sync semantics", employees → users, one file per step, each with its own small state:
//! `start` (the integration, its source and target, the watermark), `read` (step 1: page by page, from a saved
//! position), `decide` (steps 2–4 without I/O: filter, map, decide against the binding; `managers` fills in the
//! manager's name and email), `write` (step 5, with bounded concurrency and retries), `record` (step 6: binding and
//! record line saved together right after the write), `heartbeat` (alive, cancel, shutdown) and `conclude` (how the
//! run ended, the watermark, retries). A crash loses nothing and a rerun writes nothing twice. Memory holds one
//! batch (the pages read so far, up to 500 people) with its bindings, a few pages read ahead, and a bounded manager
//! cache.
mod conclude;
mod decide;
mod heartbeat;
mod links;
mod managers;
mod read;
mod record;
mod start;
mod write;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use futures::StreamExt;
use sea_orm::EntityTrait;
use uuid::Uuid;

use self::decide::Written;
use self::heartbeat::Flags;
use self::managers::Managers;
use self::read::{Page, Position, Reader};
use self::record::{Line, Recorder};
use self::write::{Owners, Writer};
use crate::Hub;
use crate::connections::people::Person;
use crate::connections::ports::ConnectorError;
use crate::entities::run;
use crate::error::{DomainError, Result};
use crate::integrations::IntegrationSettings;
use crate::logs::LogLevel;
use crate::runs::lifecycle::{self, Ending};
use crate::runs::{Outcome, RunStatus};

/// How the engine paces itself; the worker's configuration fills it.
#[derive(Debug, Clone)]
pub struct Options {
    /// Records written at once.
    pub concurrency: usize,
    /// How often a running run says it is alive and looks for a cancel request.
    pub heartbeat: Duration,
    /// Attempts per record at a retryable failure, beyond the connector's own quick retries.
    pub record_attempts: u32,
    /// First wait of the whole-run retry backoff.
    pub retry_base: Duration,
    pub retry_cap: Duration,
    /// A run whose target refuses this many records in a row, none written yet, failed as a whole (the target
    /// is down) rather than record by record.
    pub unavailable_after: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            concurrency: 32,
            heartbeat: Duration::from_secs(5),
            record_attempts: 4,
            retry_base: Duration::from_secs(30),
            retry_cap: Duration::from_secs(30 * 60),
            unavailable_after: 50,
        }
    }
}

/// Why a run stops before its end.
#[derive(Debug)]
enum Abort {
    /// The whole run failed: retried later unless it was the last attempt.
    Failed {
        message: String,
        retry_after: Option<Duration>,
    },
    /// The credentials were refused: the connection goes to `error` and the run fails the same way.
    Auth {
        connection_id: Uuid,
        message: String,
    },
    Db(DomainError),
}

impl From<DomainError> for Abort {
    fn from(e: DomainError) -> Self {
        Self::Db(e)
    }
}

impl From<sea_orm::DbErr> for Abort {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Db(e.into())
    }
}

fn classify(connection_id: Uuid, e: ConnectorError) -> Abort {
    match e {
        ConnectorError::Auth(message) => Abort::Auth { connection_id, message },
        ConnectorError::Retryable { message, retry_after } => Abort::Failed { message, retry_after },
        other => Abort::Failed {
            message: other.to_string(),
            retry_after: None,
        },
    }
}

/// Executes (or resumes) a run. `stop` turns true when the worker shuts down: the run is then checkpointed and
/// given back to the queue.
pub async fn execute(
    hub: &Hub,
    run_id: Uuid,
    worker: &str,
    options: &Options,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<Ending> {
    let Some(run) = lifecycle::claim(&hub.db, run_id, worker, Utc::now()).await? else {
        let waiting = run::Entity::find_by_id(run_id)
            .one(&hub.db)
            .await?
            .is_some_and(|r| r.status == RunStatus::Queued && !r.cancel_requested);
        return Ok(if waiting { Ending::Waiting } else { Ending::Lost });
    };
    let started = match start::start(hub, run).await {
        Ok(started) => started,
        Err((run, abort)) => return conclude::give_up(hub, &run, worker, options, abort).await,
    };
    let run = started.run;
    let recorder = match Recorder::open(hub.db.clone(), &run, worker).await {
        Ok(recorder) => Arc::new(recorder),
        Err(e) => return conclude::give_up(hub, &run, worker, options, Abort::Db(e)).await,
    };
    let message = match recorder.resumed_with() {
        0 => format!("run {} started: {}", run.number, describe(&run)),
        n => format!("run {} resumed with {n} people already done", run.number),
    };
    recorder.log(LogLevel::Info, message, None).await;
    let flags = Arc::new(Flags::default());
    let endpoints = started.endpoints;
    let reactivate_archived = started.settings.reactivate_archived_users;
    let steps = Steps {
        reader: Arc::new(Reader::new(&run, endpoints.source.clone(), endpoints.source_connection)),
        managers: Managers::new(endpoints.source, run.dry_run),
        settings: started.settings,
        today: Utc::now().date_naive(),
        writer: Writer::new(
            endpoints.target,
            endpoints.target_connection,
            run.dry_run,
            options,
            flags.clone(),
            Owners::new(hub.db.clone(), run.integration_id),
        )
        .reactivating_archived(reactivate_archived),
        recorder: recorder.clone(),
        flags: flags.clone(),
        waiting: links::Waiting::default(),
        integration_id: run.integration_id,
        dry_run: run.dry_run,
    };
    let beat = heartbeat::Beating::start(options.heartbeat, recorder.clone(), flags.clone(), stop);
    let outcome = pages(&steps, &run, options.concurrency).await;
    drop(beat);
    match outcome {
        Ok(()) => conclude::conclude(&run, &flags, &recorder).await,
        Err(abort) => conclude::give_up(hub, &run, worker, options, abort).await,
    }
}

fn describe(run: &run::Model) -> String {
    match (&run.source_ids, run.since) {
        (Some(ids), _) => format!("{} named people", ids.as_array().map_or(0, Vec::len)),
        (None, Some(since)) => format!("people changed since {}", since.to_rfc3339()),
        (None, None) => "everyone".to_owned(),
    }
}

/// The steps of one run, each holding its own state.
struct Steps {
    reader: Arc<Reader>,
    managers: Managers,
    settings: IntegrationSettings,
    today: NaiveDate,
    writer: Writer,
    recorder: Arc<Recorder>,
    flags: Arc<Flags>,
    waiting: links::Waiting,
    integration_id: Uuid,
    dry_run: bool,
}

/// Source pages read ahead of the writer.
const READ_AHEAD: usize = 8;
/// Numbered source pages read at once (the source connection's rate limit paces them further).
const PAGES_AT_ONCE: usize = 4;
/// The most people written as one batch: the pages already read, up to this, share one bindings read, one look-up
/// in the target, one concurrent write and one transaction with the position after them.
const BATCH: usize = 500;

/// What the reader hands the writer: a page and where the one after it is.
type Read = std::result::Result<Page, Abort>;

/// Batch after batch until the source has no more or the run is halted; the position is saved with each batch. The
/// source is read a few pages ahead by a task of its own, so parsing pages and deciding on people use two cores.
async fn pages(steps: &Steps, run: &run::Model, concurrency: usize) -> std::result::Result<(), Abort> {
    let start = Position::start(run);
    let (pages_read, mut read) = tokio::sync::mpsc::channel(READ_AHEAD);
    // The writer decides when the run ends; the reader, if still reading, is stopped with it.
    let _reader = Reading(tokio::spawn(read_ahead(
        steps.reader.clone(),
        steps.flags.clone(),
        start.clone(),
        pages_read,
    )));
    let mut at = start;
    // A failed read behind the pages of a batch: it stops the run once they are saved.
    let mut failed = None;
    loop {
        if steps.flags.halted() {
            return Ok(());
        }
        // The reader stops only at a halt, after the last page or after a failure, all seen here first.
        let Some(first) = read.recv().await else {
            return Ok(());
        };
        let Page {
            mut people, mut next, ..
        } = first?;
        while people.len() < BATCH && next.is_some() {
            match read.try_recv() {
                Ok(Ok(more)) => {
                    people.extend(more.people);
                    next = more.next;
                }
                Ok(Err(abort)) => {
                    failed = Some(abort);
                    break;
                }
                Err(_) => break,
            }
        }
        batch(steps, run, last_of_each_person(people), concurrency).await?;
        if steps.flags.halted() {
            // Records done in this batch are skipped on resume; its pages are read again from the first.
            steps.recorder.flush().await?;
            steps.recorder.checkpoint(Some(&at.encode())).await?;
            return Ok(());
        }
        let Some(next) = next else {
            steps.recorder.flush().await?;
            return link_the_rest(steps).await;
        };
        if !steps.recorder.flush_and_checkpoint(&next.encode()).await? {
            Flags::raise(&steps.flags.lost);
            return Ok(());
        }
        if let Some(abort) = failed.take() {
            return Err(abort);
        }
        at = next;
    }
}

/// The reading task, stopped when the run's writer is done with it.
struct Reading(tokio::task::JoinHandle<()>);

impl Drop for Reading {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Reads page after page from `at` into the channel, which holds a few: it stops after the last page, a failed
/// read, a halt, or when the writer is gone. Pages the source numbers are read several at once, handed on in order.
async fn read_ahead(reader: Arc<Reader>, flags: Arc<Flags>, mut at: Position, pages: tokio::sync::mpsc::Sender<Read>) {
    loop {
        if flags.halted() {
            return;
        }
        let read = reader.page(&at).await;
        let later = read.as_ref().map(Page::numbered_from_next).unwrap_or_default();
        let Some(next) = hand_on(read, &pages).await else {
            return;
        };
        at = next;
        let mut reads = futures::stream::iter(later)
            .map(|at| {
                let reader = reader.clone();
                async move { reader.page(&at).await }
            })
            .buffered(PAGES_AT_ONCE);
        while let Some(read) = reads.next().await {
            if flags.halted() {
                return;
            }
            // A numbered page that says it is the last (the source shrank while read) ends the read early; after
            // the last numbered one, one that names a next (it grew) is followed in turn from there.
            let Some(next) = hand_on(read, &pages).await else {
                return;
            };
            at = next;
        }
    }
}

/// Gives the writer a read; where to read next, unless the read failed, was the last or the writer is gone.
async fn hand_on(read: Read, pages: &tokio::sync::mpsc::Sender<Read>) -> Option<Position> {
    let next = read.as_ref().ok().and_then(|page| page.next.clone());
    pages.send(read).await.ok()?;
    next
}

/// A person on two pages of one batch (the source's pages shifted while read) is written once, as last read.
fn last_of_each_person(people: Vec<Person>) -> Vec<Person> {
    record::last_of_each(people, |p| p.source_id.clone()).collect()
}

/// One batch: wave after wave (managers before their reports), each wave's new people looked up in the target at
/// once and written concurrently; a wave's bindings are saved before the next wave reads them. What the last wave
/// wrote is saved by the caller, with the position.
async fn batch(
    steps: &Steps,
    run: &run::Model,
    people: Vec<Person>,
    concurrency: usize,
) -> std::result::Result<(), Abort> {
    steps.recorder.load_done(&people).await?;
    steps.managers.learn(&people);
    let mut written = record::bindings(steps.recorder.db(), run.integration_id, &people).await?;
    let waves = if steps.dry_run {
        vec![people]
    } else {
        links::waves(people)
    };
    let last = waves.len().saturating_sub(1);
    let mut stale = false;
    for (i, wave) in waves.into_iter().enumerate() {
        // A wave reads the bindings again after one before it saved some: its people's managers are there now.
        // A batch with nothing to write (an unchanged resync) reads them once.
        if stale {
            written.extend(record::bindings(steps.recorder.db(), run.integration_id, &wave).await?);
        }
        let new: Vec<&Person> = wave.iter().filter(|p| steps.creates(p, &written)).collect();
        steps.writer.look_up(&new).await;
        let results: Vec<std::result::Result<(), Abort>> = futures::stream::iter(wave)
            .map(|p| person(steps, p, &written))
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
        if let Some(abort) = results.into_iter().find_map(std::result::Result::err) {
            steps.recorder.flush().await?;
            return Err(abort);
        }
        if i < last || !steps.waiting.is_empty() {
            stale = steps.recorder.flush_written().await?;
        }
    }
    revisit_waiting(steps).await
}

impl Steps {
    /// Whether the person is new to the target and about to be created.
    fn creates(&self, person: &Person, written: &HashMap<String, Written>) -> bool {
        !written.contains_key(&person.source_id)
            && !self.recorder.is_done(&person.source_id)
            && decide::decide(person, &decide::fields(person), None, &self.settings, self.today) == decide::Plan::Create
    }
}

/// One person through steps 2–6.
async fn person(
    steps: &Steps,
    mut person: Person,
    written: &HashMap<String, Written>,
) -> std::result::Result<(), Abort> {
    if steps.flags.halted() || steps.recorder.is_done(&person.source_id) {
        return Ok(());
    }
    steps.managers.resolve(&mut person, written).await;
    let link = links::resolve(&mut person, written);
    let fields = decide::fields(&person);
    let current = written.get(&person.source_id);
    let plan = decide::decide(&person, &fields, current, &steps.settings, steps.today);
    let unchanged = matches!(&plan, decide::Plan::Skip(reason) if reason == decide::UNCHANGED);
    let Some((mut line, binding)) = steps.writer.write(&person, &fields, current, plan).await? else {
        return Ok(());
    };
    // Their binding now holds what was read of them only if it was written or found equal.
    let bound = match line.outcome {
        Outcome::Created | Outcome::Updated => true,
        Outcome::Unchanged => unchanged,
        _ => false,
    };
    if !bound {
        steps.managers.distrust(&person.source_id);
    }
    let wrote = matches!(line.outcome, Outcome::Created | Outcome::Updated | Outcome::DryRun);
    if wrote && let Some(note) = links::note(&person, &link, &steps.managers) {
        links::add_reason(&mut line, note);
    }
    if line.outcome == Outcome::Failed {
        let message = format!("{}: {}", line.name, line.error.as_deref().unwrap_or("failed"));
        steps
            .recorder
            .log(LogLevel::Error, message, Some(line.source_id.clone()))
            .await;
    }
    let manager = person.manager.as_ref().map(|m| m.source_id.clone());
    if matches!(link, links::Link::Waiting) && matches!(line.outcome, Outcome::Created | Outcome::Updated) {
        steps.waiting.add(person, line.clone());
    }
    steps.recorder.save(line, binding, manager.as_deref());
    Ok(())
}

/// Those written without their manager link whose manager has since reached the target: linked now. The others
/// go on waiting.
async fn revisit_waiting(steps: &Steps) -> std::result::Result<(), Abort> {
    if steps.dry_run || steps.waiting.is_empty() || steps.flags.halted() {
        return Ok(());
    }
    let waiters = steps.waiting.take_all();
    let people: Vec<Person> = waiters.iter().map(|w| w.person.clone()).collect();
    let written = record::bindings(steps.recorder.db(), steps.integration_id, &people).await?;
    let mut still = Vec::new();
    for waiter in waiters {
        let manager = waiter.person.manager.as_ref().map(|m| m.source_id.as_str());
        if manager.is_some_and(|m| written.contains_key(m)) {
            relink(steps, waiter.person, Some(waiter.line), &written).await?;
        } else {
            still.push(waiter);
        }
    }
    steps.waiting.put_back(still);
    steps.recorder.flush().await?;
    Ok(())
}

/// The end of a complete read: the waiting ones whose manager arrived, then anyone the database still shows
/// unlinked while their manager is in the target (fetched again from the source unless still in memory).
async fn link_the_rest(steps: &Steps) -> std::result::Result<(), Abort> {
    if steps.dry_run {
        return Ok(());
    }
    revisit_waiting(steps).await?;
    let unlinked = record::unlinked(steps.recorder.db(), steps.integration_id, 10_000).await?;
    for source_id in unlinked {
        if steps.flags.halted() {
            return Ok(());
        }
        let (person, line) = match steps.waiting.take(&source_id) {
            Some(waiter) => (waiter.person, Some(waiter.line)),
            None => match steps.reader.fetch(&source_id).await? {
                Some(person) => (person, steps.recorder.line_of(&source_id).await?),
                // Gone from the source: the next run deactivates them.
                None => continue,
            },
        };
        let written =
            record::bindings(steps.recorder.db(), steps.integration_id, std::slice::from_ref(&person)).await?;
        relink(steps, person, line, &written).await?;
    }
    // Lines with nothing written (a link the target refused, say) wait in memory until flushed.
    steps.recorder.flush().await?;
    Ok(())
}

/// Visits a person again now that their manager is in the target: the update writes the link (and whatever else
/// changed), and their line for this run says the link was set late.
async fn relink(
    steps: &Steps,
    mut person: Person,
    earlier: Option<Line>,
    written: &HashMap<String, Written>,
) -> std::result::Result<(), Abort> {
    steps.managers.resolve(&mut person, written).await;
    let link = links::resolve(&mut person, written);
    let fields = decide::fields(&person);
    let current = written.get(&person.source_id);
    let plan = decide::decide(&person, &fields, current, &steps.settings, steps.today);
    let Some((line, binding)) = steps.writer.write(&person, &fields, current, plan).await? else {
        return Ok(());
    };
    if line.outcome == Outcome::Unchanged {
        // Nothing was missing after all (linked meanwhile): the line stays as it was.
        return Ok(());
    }
    let late = "manager link set late: their manager reached the target after them".to_owned();
    let (line, replaces) = match earlier {
        // The line of this run's first write stays, with the link added to its changes.
        Some(mut first) => {
            let replaces = (first.decision, first.outcome);
            first
                .changes
                .retain(|c| !line.changes.iter().any(|n| n.field == c.field));
            first.changes.extend(line.changes);
            first.reason = first.reason.take().and_then(|r| {
                let kept: Vec<&str> = r
                    .split("; ")
                    .filter(|part| !part.starts_with("no manager link"))
                    .collect();
                (!kept.is_empty()).then(|| kept.join("; "))
            });
            links::add_reason(&mut first, late);
            if line.outcome == Outcome::Failed {
                first.outcome = Outcome::Failed;
                first.error = line.error;
            }
            (first, Some(replaces))
        }
        None => {
            let mut line = line;
            links::add_reason(&mut line, late);
            (line, None)
        }
    };
    if !matches!(link, links::Link::Settled) {
        tracing::debug!(source_id = %person.source_id, "manager link still not settled on a second visit");
    }
    let manager = person.manager.as_ref().map(|m| m.source_id.clone());
    steps.recorder.save_over(line, binding, manager.as_deref(), replaces);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(id: &str, title: &str) -> Person {
        let mut person = Person::new(id);
        person.job_title = Some(title.to_owned());
        person
    }

    #[test]
    fn a_person_on_two_pages_of_a_batch_is_kept_once_as_last_read() {
        let people = vec![named("a", "old"), named("b", "b"), named("a", "new"), named("c", "c")];
        let kept = last_of_each_person(people);
        let seen: Vec<(&str, &str)> = kept
            .iter()
            .map(|p| (p.source_id.as_str(), p.job_title.as_deref().unwrap()))
            .collect();
        assert_eq!(seen, [("b", "b"), ("a", "new"), ("c", "c")]);
    }

    #[test]
    fn a_batch_without_repeats_is_kept_as_read() {
        let people = vec![named("a", "1"), named("b", "2")];
        let kept = last_of_each_person(people);
        assert_eq!(kept.len(), 2);
        assert_eq!(kept[0].source_id, "a");
    }
}
