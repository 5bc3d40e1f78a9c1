//! The sync of SPEC.md "Sync semantics", employees → users: read page by page (everyone, the changed since the
//! integration's watermark, or named people), filter, map, decide against the bindings, write with bounded
//! concurrency, and save each binding and record line as soon as its write succeeded, so a crash loses nothing and
//! a rerun writes nothing twice. Memory holds one page, the page's bindings and a bounded manager cache.
mod person;
pub mod plan;
mod store;

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use chrono::Utc;
use futures::StreamExt;
use sea_orm::EntityTrait;
use uuid::Uuid;

use crate::connections::people::{Person, PersonStatus};
use crate::connections::ports::{ConnectorError, PeopleSource, SourcePage, UserTarget};
use crate::entities::{connection, integration, run};
use crate::error::{DomainError, Result};
use crate::integrations::{IntegrationSettings, IntegrationState};
use crate::logs::{LogLevel, NewLogEntry};
use crate::runs::RunStatus;
use crate::runs::lifecycle::{self, Counts, Ending};
use crate::{Hub, connections, integrations::dates, logs};

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
            concurrency: 8,
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

/// What stops the page loop at the next record boundary.
#[derive(Default)]
struct Flags {
    cancel: AtomicBool,
    /// The run was taken away from this worker.
    lost: AtomicBool,
    /// The worker is shutting down.
    stop: AtomicBool,
}

impl Flags {
    fn halted(&self) -> bool {
        self.cancel.load(Ordering::Relaxed) || self.lost.load(Ordering::Relaxed) || self.stop.load(Ordering::Relaxed)
    }
}

/// Everything one run's records share.
struct RunContext {
    hub: Hub,
    run: run::Model,
    worker: String,
    settings: IntegrationSettings,
    source: Arc<dyn PeopleSource>,
    target: Arc<dyn UserTarget>,
    source_connection: Uuid,
    target_connection: Uuid,
    today: chrono::NaiveDate,
    options: Options,
    flags: Flags,
    managers: person::ManagerCache,
    /// People of this run already recorded (a resumed run skips them).
    done: HashSet<String>,
    /// Retryable refusals in a row with nothing written yet.
    refusals: AtomicU32,
    wrote_any: AtomicBool,
    /// Kept in memory between checkpoints; counted again from the record lines at the end.
    counts: std::sync::Mutex<Counts>,
    /// The page's lines with nothing written, saved together at the page's end.
    pending: std::sync::Mutex<Vec<store::Line>>,
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
    let started = match prepare(hub, run, worker, options).await {
        Ok(ctx) => ctx,
        Err((run, abort)) => return give_up(hub, &run, worker, options, abort).await,
    };
    let ctx = Arc::new(started);
    if ctx.done.is_empty() {
        log(
            &ctx,
            LogLevel::Info,
            format!("run {} started: {}", ctx.run.number, describe(&ctx.run)),
            None,
        )
        .await;
    } else {
        log(
            &ctx,
            LogLevel::Info,
            format!(
                "run {} resumed with {} people already done",
                ctx.run.number,
                ctx.done.len()
            ),
            None,
        )
        .await;
    }
    let beat = tokio::spawn(heartbeat(ctx.clone(), stop));
    let outcome = pages(&ctx).await;
    beat.abort();
    match outcome {
        Ok(()) => conclude(&ctx).await,
        Err(abort) => give_up(hub, &ctx.run, worker, options, abort).await,
    }
}

fn describe(run: &run::Model) -> String {
    match (&run.source_ids, run.since) {
        (Some(ids), _) => format!("{} named people", ids.as_array().map_or(0, Vec::len)),
        (None, Some(since)) => format!("people changed since {}", since.to_rfc3339()),
        (None, None) => "everyone".to_owned(),
    }
}

type Prepared = std::result::Result<RunContext, (run::Model, Abort)>;

/// Loads the integration and builds its source and target; a failure here fails the run as a whole.
async fn prepare(hub: &Hub, run: run::Model, worker: &str, options: &Options) -> Prepared {
    let loaded = async {
        let integration = integration::Entity::find_by_id(run.integration_id)
            .one(&hub.db)
            .await?
            .ok_or(DomainError::NotFound("integration"))?;
        let source_model = connection::Entity::find_by_id(integration.source_connection_id)
            .one(&hub.db)
            .await?
            .ok_or(DomainError::NotFound("connection"))?;
        let target_model = connection::Entity::find_by_id(integration.target_connection_id)
            .one(&hub.db)
            .await?
            .ok_or(DomainError::NotFound("connection"))?;
        Ok::<_, DomainError>((integration, source_model, target_model))
    }
    .await;
    let (integration, source_model, target_model) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return Err((run, Abort::Db(e))),
    };
    if integration.state == IntegrationState::Inactive {
        return Err((
            run,
            Abort::Failed {
                message: "the integration is disabled".into(),
                retry_after: None,
            },
        ));
    }
    let settings = match IntegrationSettings::parse(&integration.settings) {
        Ok(s) => s,
        Err(e) => return Err((run, Abort::Db(e))),
    };
    let source = match endpoint(hub, &source_model, |c, ctx| c.source(ctx)) {
        Ok(s) => s,
        Err(abort) => return Err((run, abort)),
    };
    let target = match endpoint(hub, &target_model, |c, ctx| c.target(ctx)) {
        Ok(t) => t,
        Err(abort) => return Err((run, abort)),
    };
    let run = match store::begin_reading(hub, run).await {
        Ok(run) => run,
        Err((run, e)) => return Err((run, Abort::Db(e))),
    };
    let (done, counts) = match store::recorded(&hub.db, run.id).await {
        Ok(done) => done,
        Err(e) => return Err((run, Abort::Db(e))),
    };
    Ok(RunContext {
        hub: hub.clone(),
        worker: worker.to_owned(),
        settings,
        source,
        target,
        source_connection: source_model.id,
        target_connection: target_model.id,
        today: Utc::now().date_naive(),
        options: options.clone(),
        flags: Flags::default(),
        managers: person::ManagerCache::default(),
        done,
        refusals: AtomicU32::new(0),
        wrote_any: AtomicBool::new(false),
        counts: std::sync::Mutex::new(counts),
        pending: std::sync::Mutex::default(),
        run,
    })
}

/// The connection as a source or target, with the stored credentials opened.
fn endpoint<T: ?Sized>(
    hub: &Hub,
    model: &connection::Model,
    pick: impl Fn(
        &dyn crate::connections::ports::Connector,
        crate::connections::ports::ConnectionContext,
    ) -> Option<std::result::Result<Arc<T>, ConnectorError>>,
) -> std::result::Result<Arc<T>, Abort> {
    let failed = |message: String| Abort::Failed {
        message,
        retry_after: None,
    };
    let connector = hub
        .catalog
        .get(&model.connector)
        .ok_or_else(|| failed(format!("connector `{}` is not in this build", model.connector)))?;
    let context = connections::context(hub, model)?
        .ok_or_else(|| failed(format!("connection `{}` has no credentials stored", model.name)))?;
    match pick(connector.as_ref(), context) {
        None => Err(failed(format!(
            "connection `{}` cannot play this part in a sync",
            model.name
        ))),
        Some(Ok(endpoint)) => Ok(endpoint),
        Some(Err(e)) => Err(classify(model.id, e)),
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

/// Says the run is alive every few seconds and watches for cancel requests and shutdown.
async fn heartbeat(ctx: Arc<RunContext>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(ctx.options.heartbeat);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    ctx.flags.stop.store(true, Ordering::Relaxed);
                }
                if changed.is_err() {
                    return;
                }
                continue;
            }
        }
        let counts = *ctx.counts.lock().expect("lock");
        match lifecycle::heartbeat(&ctx.hub.db, ctx.run.id, &ctx.worker, counts).await {
            Ok(beat) => {
                if !beat.held {
                    ctx.flags.lost.store(true, Ordering::Relaxed);
                }
                if beat.cancel_requested {
                    ctx.flags.cancel.store(true, Ordering::Relaxed);
                }
            }
            Err(e) => tracing::warn!(run_id = %ctx.run.id, error = %e, "heartbeat failed"),
        }
    }
}

/// Where the read is: the mode and the cursor of the page to read next.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Position {
    Ids(usize),
    Changed(Option<String>),
    Full(Option<String>),
}

impl Position {
    fn encode(&self) -> String {
        match self {
            Self::Ids(offset) => format!("ids:{offset}"),
            Self::Changed(cursor) => format!("changed:{}", cursor.as_deref().unwrap_or("")),
            Self::Full(cursor) => format!("full:{}", cursor.as_deref().unwrap_or("")),
        }
    }

    fn decode(text: &str) -> Option<Self> {
        let (mode, cursor) = text.split_once(':')?;
        let cursor = (!cursor.is_empty()).then(|| cursor.to_owned());
        match mode {
            "ids" => cursor.unwrap_or_default().parse().ok().map(Self::Ids),
            "changed" => Some(Self::Changed(cursor)),
            "full" => Some(Self::Full(cursor)),
            _ => None,
        }
    }
}

const IDS_PAGE: usize = 100;

async fn read(ctx: &RunContext, at: &Position) -> std::result::Result<(Vec<Person>, Option<Position>), Abort> {
    let source_error = |e| classify(ctx.source_connection, e);
    match at {
        Position::Ids(offset) => {
            let ids: Vec<String> = ctx
                .run
                .source_ids
                .as_ref()
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            let mut people = Vec::new();
            // A webhook's events may say what the record cannot (Employment Hero's employee has no onboarding field).
            let webhook = ctx.run.trigger == crate::runs::RunTrigger::Webhook;
            let onboarded: Vec<&str> = ctx
                .run
                .params
                .get("onboarded")
                .and_then(serde_json::Value::as_array)
                .map(|ids| ids.iter().filter_map(serde_json::Value::as_str).collect())
                .unwrap_or_default();
            for id in ids.iter().skip(*offset).take(IDS_PAGE) {
                match ctx.source.fetch(id).await.map_err(source_error)? {
                    Some(mut person) => {
                        if person.onboarding_complete.is_none() && webhook {
                            // `onboarding_complete: true` is how runs queued by an earlier version said it.
                            let all = ctx.run.params.get("onboarding_complete") == Some(&serde_json::Value::Bool(true));
                            person.onboarding_complete = Some(all || onboarded.contains(&id.as_str()));
                        }
                        people.push(person)
                    }
                    // Gone from the source: a leaver as far as the target is concerned.
                    None => {
                        let mut gone = Person::new(id.clone());
                        gone.status = PersonStatus::Terminated;
                        people.push(gone);
                    }
                }
            }
            let next = offset + IDS_PAGE;
            Ok((people, (next < ids.len()).then_some(Position::Ids(next))))
        }
        Position::Changed(cursor) => {
            let since = ctx.run.since.expect("an incremental read has a watermark");
            match ctx
                .source
                .changed_page(since, cursor.as_deref())
                .await
                .map_err(source_error)?
            {
                Some(SourcePage { people, next }) => Ok((people, next.map(|c| Position::Changed(Some(c))))),
                // The source cannot say what changed: read everyone instead.
                None => Box::pin(read(ctx, &Position::Full(None))).await,
            }
        }
        Position::Full(cursor) => {
            let SourcePage { people, next } = ctx.source.list_page(cursor.as_deref()).await.map_err(source_error)?;
            Ok((people, next.map(|c| Position::Full(Some(c)))))
        }
    }
}

fn start_position(run: &run::Model) -> Position {
    if let Some(at) = run.checkpoint.as_deref().and_then(Position::decode) {
        return at;
    }
    match (&run.source_ids, run.since) {
        (Some(_), _) => Position::Ids(0),
        (None, Some(_)) => Position::Changed(None),
        (None, None) => Position::Full(None),
    }
}

async fn pages(ctx: &Arc<RunContext>) -> std::result::Result<(), Abort> {
    let mut at = start_position(&ctx.run);
    loop {
        if ctx.flags.halted() {
            return Ok(());
        }
        let (people, next) = read(ctx, &at).await?;
        ctx.managers.learn(&people);
        let written = store::bindings(&ctx.hub.db, ctx.run.integration_id, &people).await?;
        let written = Arc::new(written);
        let results: Vec<std::result::Result<(), Abort>> = futures::stream::iter(people)
            .map(|p| {
                let (ctx, written) = (ctx.clone(), written.clone());
                async move { person::process(&ctx, p, &written).await }
            })
            .buffer_unordered(ctx.options.concurrency.max(1))
            .collect()
            .await;
        store::flush(ctx).await?;
        if let Some(abort) = results.into_iter().find_map(std::result::Result::err) {
            return Err(abort);
        }
        if ctx.flags.halted() {
            // Records done in this page are skipped on resume; the page is read again from its start.
            store::save_position(ctx, Some(&at.encode())).await?;
            return Ok(());
        }
        match next {
            Some(next) => {
                if !store::save_position(ctx, Some(&next.encode())).await? {
                    ctx.flags.lost.store(true, Ordering::Relaxed);
                    return Ok(());
                }
                at = next;
            }
            None => return Ok(()),
        }
    }
}

/// The run read everything (or was stopped): record how it ended.
async fn conclude(ctx: &Arc<RunContext>) -> Result<Ending> {
    let db = &ctx.hub.db;
    let counts = store::counts(db, ctx.run.id).await?;
    if ctx.flags.lost.load(Ordering::Relaxed) {
        return Ok(Ending::Lost);
    }
    if ctx.flags.cancel.load(Ordering::Relaxed) {
        lifecycle::mark_cancelled(db, ctx.run.id, &ctx.worker, counts).await?;
        log(ctx, LogLevel::Info, format!("run {} cancelled", ctx.run.number), None).await;
        return Ok(Ending::Finished(RunStatus::Cancelled));
    }
    if ctx.flags.stop.load(Ordering::Relaxed) {
        lifecycle::release(db, ctx.run.id, &ctx.worker, counts).await?;
        return Ok(Ending::Released);
    }
    let status = if counts.errors == 0 {
        RunStatus::Done
    } else {
        RunStatus::Partial
    };
    let error = match counts.errors {
        0 => None,
        1 => Some("1 record failed".to_owned()),
        n => Some(format!("{n} records failed")),
    };
    if !lifecycle::finish(db, ctx.run.id, &ctx.worker, status, counts, error).await? {
        return Ok(Ending::Lost);
    }
    // A partial run keeps the old watermark, so the next incremental read offers its failed people again.
    if status == RunStatus::Done
        && !ctx.run.dry_run
        && ctx.run.source_ids.is_none()
        && let Some(read_from) = ctx.run.read_started_at
    {
        dates::set(db, ctx.run.integration_id, dates::EMPLOYEES_UPDATED_SINCE, read_from).await?;
    }
    let level = if status == RunStatus::Done {
        LogLevel::Info
    } else {
        LogLevel::Warning
    };
    log(
        ctx,
        level,
        format!(
            "run {} finished {}: read {}, filtered {}, written {}, errors {}",
            ctx.run.number,
            if status == RunStatus::Done {
                "complete"
            } else {
                "partial"
            },
            counts.read,
            counts.filtered,
            counts.written,
            counts.errors
        ),
        None,
    )
    .await;
    Ok(Ending::Finished(status))
}

/// The run failed as a whole: retry later, or fail for good on the last attempt.
async fn give_up(hub: &Hub, run: &run::Model, worker: &str, options: &Options, abort: Abort) -> Result<Ending> {
    let (message, hint) = match abort {
        Abort::Failed { message, retry_after } => (message, retry_after),
        Abort::Auth { connection_id, message } => {
            connections::record_auth_failure(hub, connection_id, &message).await?;
            (format!("access refused: {message}"), None)
        }
        Abort::Db(DomainError::Database(e)) => return Err(e.into()),
        Abort::Db(other) => (other.to_string(), None),
    };
    let delay = lifecycle::backoff(options.retry_base, run.attempt, options.retry_cap).max(hint.unwrap_or_default());
    let ending = lifecycle::fail(&hub.db, run, worker, &message, delay).await?;
    let (level, text) = match ending {
        Ending::Finished(_) => (
            LogLevel::Critical,
            format!("run {} failed after {} attempts: {message}", run.number, run.attempt),
        ),
        _ => (
            LogLevel::Error,
            format!(
                "run {} attempt {} failed, will retry: {message}",
                run.number, run.attempt
            ),
        ),
    };
    let entry = NewLogEntry {
        organisation_id: run.organisation_id,
        level,
        message: text,
        details: None,
        integration_id: Some(run.integration_id),
        run_id: Some(run.id),
        source_id: None,
    };
    if let Err(e) = logs::write(&hub.db, entry).await {
        tracing::warn!(error = %e, "could not write a log entry");
    }
    Ok(ending)
}

async fn log(ctx: &RunContext, level: LogLevel, message: String, source_id: Option<String>) {
    let entry = NewLogEntry {
        organisation_id: ctx.run.organisation_id,
        level,
        message,
        details: None,
        integration_id: Some(ctx.run.integration_id),
        run_id: Some(ctx.run.id),
        source_id,
    };
    if let Err(e) = logs::write(&ctx.hub.db, entry).await {
        tracing::warn!(error = %e, "could not write a log entry");
    }
}
