//! Schedules (scheduled actions): when an integration's sync runs by itself. A cron expression or "every N
//! minutes/hours/days" in an IANA time zone, with a priority, a limit on the number of calls, what to do about
//! occurrences missed while the hub was down, and custom parameters handed to the run.
//!
//! The scheduler tick ([`fire_due`]) may run in any number of processes at once: each due occurrence is claimed by
//! a conditional update of the schedule in the same transaction that queues its run, so exactly one tick wins it.
pub mod timing;

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, Timelike, Utc};
use chrono_tz::Tz;
use futures::StreamExt;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{DatabaseTransaction, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::accounts::roles::Principal;
use crate::entities::{integration, organisation, run, schedule};
use crate::error::{DomainError, Problems, Result};
use crate::integrations::IntegrationState;
use crate::job_queue::Job;
use crate::pagination::{self, Page, PageRequest};
use crate::runs::{self, RunSpec, RunStatus, RunTrigger};
use crate::{Hub, validate};
pub use timing::IntervalUnit;
use timing::{CronExpr, Recurrence, Timing};

/// What a schedule runs. Only syncs for now.
pub const ACTION_SYNC: &str = "sync";
/// Priority of a schedule created without one (0 is the highest, 10 the lowest).
pub const DEFAULT_PRIORITY: i32 = 5;
/// How often a scheduled run is tried before it fails for good.
pub const SCHEDULED_RUN_MAX_ATTEMPTS: i32 = 3;
/// How many due schedules one transaction fires; the scheduler fires batch after batch while schedules are due,
/// and the first batch's runs start while the next is fired.
pub const TICK_BATCH: u64 = 100;
/// Jobs pushed at once after a batch is committed: each push is a round trip to Redis.
const PUSH_AT_ONCE: usize = 16;
/// An occurrence handled later than this after its time was missed (the hub was down or the tick far behind):
/// it runs late only if the schedule repeats missed occurrences.
pub const MISSED_AFTER_SECS: i64 = 5 * 60;

/// "Every N units".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Every {
    /// At least 1 (and at most about a year).
    #[schema(example = 6, minimum = 1)]
    pub n: i32,
    pub unit: IntervalUnit,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Schedule {
    pub id: Uuid,
    pub integration_id: Uuid,
    /// What runs: `sync`.
    #[schema(example = "sync")]
    pub action: String,
    /// Five-field cron expression (`minute hour day-of-month month day-of-week`), read in `timezone`.
    #[schema(example = "30 2 * * *")]
    pub cron: Option<String>,
    /// Set instead of `cron`: every N minutes or hours of real time, or every N days at the same wall-clock time.
    pub every: Option<Every>,
    /// IANA time zone of the cron expression and of day intervals.
    #[schema(example = "Australia/Sydney")]
    pub timezone: String,
    /// Only active schedules run; cancelling a schedule deactivates it.
    pub active: bool,
    /// When it runs next; null while inactive.
    pub next_run_at: Option<DateTime<Utc>>,
    pub last_run_at: Option<DateTime<Utc>>,
    /// 0 (highest) to 10: due schedules are queued in this order.
    #[schema(example = 5, minimum = 0, maximum = 10)]
    pub priority: i32,
    /// How many runs the schedule makes before it deactivates itself; -1: no limit.
    #[schema(example = -1)]
    pub max_calls: i64,
    /// How many runs it has made.
    pub calls: i64,
    /// After downtime, run a missed occurrence once on start (true) or skip to the next future one (false).
    pub repeat_missed: bool,
    /// Custom parameters handed to each run.
    #[schema(value_type = Object)]
    pub params: Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<schedule::Model> for Schedule {
    fn from(m: schedule::Model) -> Self {
        let every = match (m.every_n, m.every_unit.as_deref().and_then(IntervalUnit::parse)) {
            (Some(n), Some(unit)) => Some(Every { n, unit }),
            _ => None,
        };
        Self {
            id: m.id,
            integration_id: m.integration_id,
            action: m.action,
            cron: m.cron,
            every,
            timezone: m.timezone,
            active: m.active,
            next_run_at: m.next_run_at,
            last_run_at: m.last_run_at,
            priority: m.priority,
            max_calls: m.max_calls,
            calls: m.calls,
            repeat_missed: m.repeat_missed,
            params: m.params,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// A schedule to create, or the changes to one. On create, omitted fields take their defaults; on change, they
/// stay as they are, and naming `cron` replaces `every` (and the other way round).
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleInput {
    /// Five-field cron expression (`minute hour day-of-month month day-of-week`, or `@daily` and the like).
    /// A new schedule needs this or `every`.
    #[schema(example = "30 2 * * *")]
    pub cron: Option<String>,
    pub every: Option<Every>,
    /// IANA time zone; by default the organisation's.
    #[schema(example = "Australia/Sydney")]
    pub timezone: Option<String>,
    /// Default true. (Re-)activating computes the next run from now.
    pub active: Option<bool>,
    /// 0 (highest) to 10; default 5.
    #[schema(minimum = 0, maximum = 10)]
    pub priority: Option<i32>,
    /// -1 (no limit, the default) or at least 1.
    pub max_calls: Option<i64>,
    /// Default false.
    pub repeat_missed: Option<bool>,
    /// A JSON object handed to each run, replaced as a whole; default `{}`.
    #[schema(value_type = Option<Object>)]
    pub params: Option<Value>,
    /// When it runs next; by default the next cron occurrence, or one interval from now.
    pub next_run_at: Option<DateTime<Utc>>,
}

/// Filters of the list of all schedules.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScheduleFilter {
    /// Only this integration's schedules.
    pub integration_id: Option<Uuid>,
    /// Only active (true) or inactive (false) schedules.
    #[serde(default, deserialize_with = "flag")]
    pub active: Option<bool>,
}

/// `true` or `false` in a query string, with an error that names the field.
fn flag<'de, D: serde::Deserializer<'de>>(de: D) -> std::result::Result<Option<bool>, D::Error> {
    match String::deserialize(de)?.as_str() {
        "true" => Ok(Some(true)),
        "false" => Ok(Some(false)),
        other => Err(serde::de::Error::custom(format!(
            "field `active` must be `true` or `false`, not `{other}`"
        ))),
    }
}

/// The schedule's timing, as columns.
struct TimingColumns {
    cron: Option<String>,
    every: Option<Every>,
    recurrence: Recurrence,
}

fn parse_timing(cron: Option<&str>, every: Option<Every>, zone: Tz) -> Result<TimingColumns> {
    let timing = match (cron, every) {
        (Some(_), Some(_)) => return Err(DomainError::invalid("every", "give either `cron` or `every`, not both")),
        (None, None) => return Err(DomainError::invalid("cron", "give either `cron` or `every`")),
        (Some(expr), None) => Timing::Cron(CronExpr::parse(expr).map_err(|e| DomainError::invalid("cron", e))?),
        (None, Some(Every { n, unit })) => {
            if n < 1 || n > unit.max_n() {
                return Err(DomainError::invalid(
                    "every.n",
                    format!("must be between 1 and {} {}", unit.max_n(), unit.as_str()),
                ));
            }
            Timing::Every {
                n: n.unsigned_abs(),
                unit,
            }
        }
    };
    Ok(TimingColumns {
        cron: cron.map(|c| c.split_whitespace().collect::<Vec<_>>().join(" ")),
        every,
        recurrence: Recurrence::new(timing, zone),
    })
}

fn check_priority(priority: i32) -> Result<i32> {
    if (0..=10).contains(&priority) {
        Ok(priority)
    } else {
        Err(DomainError::invalid(
            "priority",
            "must be between 0 (highest) and 10 (lowest)",
        ))
    }
}

fn check_max_calls(max_calls: i64) -> Result<i64> {
    if max_calls == -1 || max_calls >= 1 {
        Ok(max_calls)
    } else {
        Err(DomainError::invalid("max_calls", "must be -1 (no limit) or at least 1"))
    }
}

fn check_params(params: Value) -> Result<Value> {
    if params.is_object() {
        Ok(params)
    } else {
        Err(DomainError::invalid("params", "must be a JSON object"))
    }
}

/// The recurrence of a stored schedule.
pub fn recurrence_of(m: &schedule::Model) -> Result<Recurrence> {
    let bad = |what: String| DomainError::Internal(format!("stored schedule {}: {what}", m.id));
    let zone: Tz = m
        .timezone
        .parse()
        .map_err(|_| bad(format!("time zone `{}`", m.timezone)))?;
    let every = match (m.every_n, m.every_unit.as_deref()) {
        (Some(n), Some(unit)) => Some(Every {
            n,
            unit: IntervalUnit::parse(unit).ok_or_else(|| bad(format!("unit `{unit}`")))?,
        }),
        _ => None,
    };
    parse_timing(m.cron.as_deref(), every, zone)
        .map(|t| t.recurrence)
        .map_err(|e| bad(format!("{e:?}")))
}

async fn find_integration(hub: &Hub, who: &Principal, id: Uuid) -> Result<integration::Model> {
    integration::Entity::find_by_id(id)
        .filter(integration::Column::OrganisationId.eq(who.organisation_id))
        .one(&hub.db)
        .await?
        .ok_or(DomainError::NotFound("integration"))
}

async fn find(hub: &Hub, who: &Principal, id: Uuid) -> Result<schedule::Model> {
    schedule::Entity::find_by_id(id)
        .filter(schedule::Column::OrganisationId.eq(who.organisation_id))
        .one(&hub.db)
        .await?
        .ok_or(DomainError::NotFound("schedule"))
}

async fn organisation_timezone(hub: &Hub, organisation_id: Uuid) -> Result<String> {
    Ok(organisation::Entity::find_by_id(organisation_id)
        .one(&hub.db)
        .await?
        .map(|o| o.timezone)
        .unwrap_or_else(|| crate::accounts::organisations::DEFAULT_TIMEZONE.to_owned()))
}

/// An active schedule must have runs left to make.
fn check_calls_left(active: bool, max_calls: i64, calls: i64) -> Result<()> {
    if active && max_calls != -1 && calls >= max_calls {
        return Err(DomainError::invalid(
            "max_calls",
            format!(
                "the schedule has made {calls} of its {max_calls} calls; raise max_calls (or -1) to keep it active"
            ),
        ));
    }
    Ok(())
}

fn whole_seconds(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_nanosecond(0).unwrap_or(t)
}

/// The next run of a schedule that is (re)starting now.
fn first_run(recurrence: &Recurrence, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    recurrence
        .first(now)
        .ok_or_else(|| DomainError::invalid("cron", "has no occurrence in the coming years"))
}

/// Admins and support users (SPEC §1) create schedules.
pub async fn create(hub: &Hub, who: &Principal, integration_id: Uuid, input: ScheduleInput) -> Result<Schedule> {
    who.require_operator()?;
    let integration = find_integration(hub, who, integration_id).await?;
    let cap = hub.quotas.schedules_per_integration;
    let mut problems = Problems::default();
    let timezone = match &input.timezone {
        Some(tz) => tz.clone(),
        None => organisation_timezone(hub, who.organisation_id).await?,
    };
    let zone = problems.check(validate::timezone("timezone", &timezone));
    let timing = zone.and_then(|zone| problems.check(parse_timing(input.cron.as_deref(), input.every, zone)));
    let priority = problems.check(check_priority(input.priority.unwrap_or(DEFAULT_PRIORITY)));
    let max_calls = problems.check(check_max_calls(input.max_calls.unwrap_or(-1)));
    let params = problems.check(check_params(
        input.params.unwrap_or_else(|| Value::Object(Default::default())),
    ));
    problems.finish()?;
    let (zone, timing) = (zone.expect("checked"), timing.expect("checked"));
    let active = input.active.unwrap_or(true);
    let now = Utc::now();
    let next_run_at = match (active, input.next_run_at) {
        (false, _) => None,
        (true, Some(at)) => Some(whole_seconds(at)),
        (true, None) => Some(first_run(&timing.recurrence, now)?),
    };
    // Counted and inserted in one write transaction, the integration's row locked on PostgreSQL (SQLite has one
    // writer), so that creates racing each other cannot pass the ceiling together.
    let txn = crate::database::begin_write(&hub.db).await?;
    if crate::database::is_postgres(&hub.db) {
        integration::Entity::find_by_id(integration.id)
            .lock_exclusive()
            .one(&txn)
            .await?;
    }
    let existing = schedule::Entity::find()
        .filter(schedule::Column::IntegrationId.eq(integration.id))
        .count(&txn)
        .await?;
    if existing >= cap {
        return Err(DomainError::conflict(
            "too_many_schedules",
            format!(
                "integration `{}` already has {existing} schedules, the most one integration may have ({cap}); \
                 change or delete one instead",
                integration.name
            ),
        ));
    }
    let model = schedule::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(who.organisation_id),
        integration_id: Set(integration.id),
        action: Set(ACTION_SYNC.to_owned()),
        cron: Set(timing.cron),
        every_n: Set(timing.every.map(|e| e.n)),
        every_unit: Set(timing.every.map(|e| e.unit.as_str().to_owned())),
        timezone: Set(zone.name().to_owned()),
        active: Set(active),
        next_run_at: Set(next_run_at),
        last_run_at: Set(None),
        priority: Set(priority.expect("checked")),
        max_calls: Set(max_calls.expect("checked")),
        calls: Set(0),
        repeat_missed: Set(input.repeat_missed.unwrap_or(false)),
        params: Set(params.expect("checked")),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(model.into())
}

pub async fn get(hub: &Hub, who: &Principal, id: Uuid) -> Result<Schedule> {
    Ok(find(hub, who, id).await?.into())
}

/// The schedules of one integration.
pub async fn list_for_integration(
    hub: &Hub,
    who: &Principal,
    integration_id: Uuid,
    page: &PageRequest,
) -> Result<Page<Schedule>> {
    find_integration(hub, who, integration_id).await?;
    let filter = ScheduleFilter {
        integration_id: Some(integration_id),
        active: None,
    };
    list(hub, who, &filter, page).await
}

/// The organisation's schedules, oldest first.
pub async fn list(hub: &Hub, who: &Principal, filter: &ScheduleFilter, page: &PageRequest) -> Result<Page<Schedule>> {
    let mut select = schedule::Entity::find().filter(schedule::Column::OrganisationId.eq(who.organisation_id));
    if let Some(integration_id) = filter.integration_id {
        select = select.filter(schedule::Column::IntegrationId.eq(integration_id));
    }
    if let Some(active) = filter.active {
        select = select.filter(schedule::Column::Active.eq(active));
    }
    let page = pagination::fetch(&hub.db, select, schedule::Column::Id, page.parse()?, |m| m.id).await?;
    Ok(page.map(Schedule::from))
}

pub async fn update(hub: &Hub, who: &Principal, id: Uuid, changes: ScheduleInput) -> Result<Schedule> {
    who.require_admin()?;
    let current = find(hub, who, id).await?;
    let mut problems = Problems::default();
    let timezone = changes.timezone.clone().unwrap_or_else(|| current.timezone.clone());
    let zone = problems.check(validate::timezone("timezone", &timezone));
    let retimed = changes.cron.is_some() || changes.every.is_some() || timezone != current.timezone;
    let (cron, every) = match (&changes.cron, changes.every) {
        (None, None) => (current.cron.clone(), Schedule::from(current.clone()).every),
        (cron, every) => (cron.clone(), every),
    };
    let timing = zone.and_then(|zone| problems.check(parse_timing(cron.as_deref(), every, zone)));
    let priority = changes.priority.and_then(|p| problems.check(check_priority(p)));
    let max_calls = changes.max_calls.and_then(|m| problems.check(check_max_calls(m)));
    let params = changes.params.clone().and_then(|p| problems.check(check_params(p)));
    problems.finish()?;
    let (zone, timing) = (zone.expect("checked"), timing.expect("checked"));
    let active = changes.active.unwrap_or(current.active);
    check_calls_left(active, max_calls.unwrap_or(current.max_calls), current.calls)?;
    let now = Utc::now();
    let next_run_at = if !active {
        None
    } else if let Some(at) = changes.next_run_at {
        Some(whole_seconds(at))
    } else if !current.active || retimed || current.next_run_at.is_none() {
        Some(first_run(&timing.recurrence, now)?)
    } else {
        current.next_run_at
    };
    let mut model: schedule::ActiveModel = current.into();
    model.cron = Set(timing.cron);
    model.every_n = Set(timing.every.map(|e| e.n));
    model.every_unit = Set(timing.every.map(|e| e.unit.as_str().to_owned()));
    model.timezone = Set(zone.name().to_owned());
    model.active = Set(active);
    model.next_run_at = Set(next_run_at);
    if let Some(priority) = priority {
        model.priority = Set(priority);
    }
    if let Some(max_calls) = max_calls {
        model.max_calls = Set(max_calls);
    }
    if let Some(repeat_missed) = changes.repeat_missed {
        model.repeat_missed = Set(repeat_missed);
    }
    if let Some(params) = params {
        model.params = Set(params);
    }
    model.updated_at = Set(now);
    Ok(model.update(&hub.db).await?.into())
}

/// Cancels (deactivates) an active schedule; its runs already queued go ahead. Admins and support users.
pub async fn cancel(hub: &Hub, who: &Principal, id: Uuid) -> Result<Schedule> {
    who.require_operator()?;
    let current = find(hub, who, id).await?;
    if !current.active {
        return Err(DomainError::conflict(
            "schedule_not_active",
            "the schedule is not active; only an active schedule can be cancelled",
        ));
    }
    let mut model: schedule::ActiveModel = current.into();
    model.active = Set(false);
    model.next_run_at = Set(None);
    model.updated_at = Set(Utc::now());
    Ok(model.update(&hub.db).await?.into())
}

/// Deletes a schedule; its past runs stay, no longer linked to it.
pub async fn delete(hub: &Hub, who: &Principal, id: Uuid) -> Result<()> {
    who.require_admin()?;
    let current = find(hub, who, id).await?;
    schedule::Entity::delete_by_id(current.id).exec(&hub.db).await?;
    Ok(())
}

/// The scheduler tick: queues a run for every active schedule whose next run is due at `now` (the most urgent
/// first, at most [`TICK_BATCH`]), moves each schedule to its next occurrence, and dispatches the runs. Any number
/// of processes may call this at once; each due occurrence is queued exactly once. Answers the runs queued.
///
/// - An occurrence more than [`MISSED_AFTER_SECS`] late (the hub was down) runs once, however many occurrences
///   were missed, if the schedule repeats missed occurrences; otherwise it is skipped without a run.
/// - A schedule of an integration that is not enabled moves on without a run.
/// - A schedule that reaches its `max_calls` deactivates itself.
/// - An occurrence whose integration already has a run waiting or running moves on without a run, logged.
///
/// The batch is one transaction (its claims, the runs' numbers, one insert of the runs): a thousand schedules
/// due in the same minute were a thousand transactions, and on SQLite each waited for the one writer behind the
/// runs already going.
pub async fn fire_due(hub: &Hub, now: DateTime<Utc>) -> Result<Vec<run::Model>> {
    let due = schedule::Entity::find()
        .filter(schedule::Column::Active.eq(true))
        .filter(schedule::Column::NextRunAt.lte(now))
        .order_by_asc(schedule::Column::Priority)
        .order_by_asc(schedule::Column::NextRunAt)
        .order_by_asc(schedule::Column::Id)
        .limit(TICK_BATCH)
        .all(&hub.db)
        .await?;
    if due.is_empty() {
        return Ok(Vec::new());
    }
    let states: HashMap<Uuid, IntegrationState> = integration::Entity::find()
        .select_only()
        .column(integration::Column::Id)
        .column(integration::Column::State)
        .filter(integration::Column::Id.is_in(due.iter().map(|s| s.integration_id)))
        .into_tuple::<(Uuid, IntegrationState)>()
        .all(&hub.db)
        .await?
        .into_iter()
        .collect();
    // Claims go in the order read, the same in every process, so racing ticks wait on each other's rows rather
    // than deadlock.
    let txn = crate::database::begin_write(&hub.db).await?;
    // An integration with a run waiting or running gets no second one from a schedule: the occurrence is skipped
    // (and logged), so a slow sync or a stopped worker cannot pile runs up behind it. On PostgreSQL the
    // integrations are locked first (in id order, so racing ticks queue rather than deadlock): a tick whose batch
    // holds other schedules of the same integration then sees the run the first one queued.
    if crate::database::is_postgres(&hub.db) {
        let mut ids: Vec<Uuid> = due.iter().map(|s| s.integration_id).collect();
        ids.sort_unstable();
        ids.dedup();
        integration::Entity::find()
            .select_only()
            .column(integration::Column::Id)
            .filter(integration::Column::Id.is_in(ids))
            .order_by_asc(integration::Column::Id)
            .lock_exclusive()
            .into_tuple::<Uuid>()
            .all(&txn)
            .await?;
    }
    let mut busy: HashSet<Uuid> = run::Entity::find()
        .select_only()
        .column(run::Column::IntegrationId)
        .filter(run::Column::IntegrationId.is_in(due.iter().map(|s| s.integration_id)))
        .filter(run::Column::Status.is_in([RunStatus::Queued, RunStatus::Retry, RunStatus::InProgress]))
        .into_tuple::<Uuid>()
        .all(&txn)
        .await?
        .into_iter()
        .collect();
    let mut specs = Vec::new();
    let mut skipped = Vec::new();
    for s in &due {
        let state = states.get(&s.integration_id).copied();
        let waiting = busy.contains(&s.integration_id);
        match claim(&txn, s, state, now, waiting).await? {
            Claimed::Run(spec) => {
                busy.insert(s.integration_id);
                specs.push(spec);
            }
            Claimed::SkippedBusy => skipped.push(s),
            Claimed::Nothing => {}
        }
    }
    for s in skipped {
        let entry = crate::logs::NewLogEntry {
            organisation_id: s.organisation_id,
            level: crate::logs::LogLevel::Info,
            message: "a scheduled sync was skipped: a run of this integration is already waiting or running".into(),
            details: Some(serde_json::json!({"schedule_id": s.id, "due_at": s.next_run_at})),
            integration_id: Some(s.integration_id),
            run_id: None,
            source_id: None,
        };
        crate::logs::write(&txn, entry).await?;
    }
    let queued = runs::insert_queued_many(&txn, specs).await?;
    txn.commit().await?;
    futures::stream::iter(&queued)
        .for_each_concurrent(PUSH_AT_ONCE, |run| async move {
            if let Err(e) = hub.job_queue.push(Job::Run { run_id: run.id }).await {
                tracing::warn!(run_id = %run.id, error = %e, "scheduled run queued but not dispatched; the reconciler will");
            }
        })
        .await;
    Ok(queued)
}

/// When the next active schedule is due, so the scheduler can wake for it rather than a tick later.
pub async fn next_due(hub: &Hub) -> Result<Option<DateTime<Utc>>> {
    Ok(schedule::Entity::find()
        .select_only()
        .column(schedule::Column::NextRunAt)
        .filter(schedule::Column::Active.eq(true))
        .filter(schedule::Column::NextRunAt.is_not_null())
        .order_by_asc(schedule::Column::NextRunAt)
        .limit(1)
        .into_tuple::<Option<DateTime<Utc>>>()
        .one(&hub.db)
        .await?
        .flatten())
}

/// What claiming a due occurrence came to.
enum Claimed {
    Run(RunSpec),
    /// Moved on without a run because the integration already has one waiting or running.
    SkippedBusy,
    /// Another tick won it, or it was skipped for another reason (disabled, missed).
    Nothing,
}

/// Claims one due occurrence inside `txn`: moves the schedule on and answers the run to queue, if it runs.
async fn claim(
    txn: &DatabaseTransaction,
    s: &schedule::Model,
    state: Option<IntegrationState>,
    now: DateTime<Utc>,
    busy: bool,
) -> Result<Claimed> {
    let Some(due) = s.next_run_at else {
        return Ok(Claimed::Nothing);
    };
    let next = match recurrence_of(s) {
        Ok(recurrence) => recurrence.following(due, now),
        Err(e) => {
            tracing::warn!(schedule_id = %s.id, error = %e, "deactivating a schedule whose timing cannot be read");
            None
        }
    };
    let enabled = state.is_some_and(IntegrationState::is_enabled);
    let missed = now - due > Duration::seconds(MISSED_AFTER_SECS);
    let wanted = enabled && (s.repeat_missed || !missed);
    let runs = wanted && !busy;
    let calls = s.calls + i64::from(runs);
    let active = next.is_some() && (s.max_calls == -1 || calls < s.max_calls);
    let next_run_at = next.filter(|_| active);
    let mut claim = schedule::Entity::update_many()
        .col_expr(schedule::Column::NextRunAt, Expr::value(next_run_at))
        .col_expr(schedule::Column::Active, Expr::value(active))
        .col_expr(schedule::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(schedule::Column::Id.eq(s.id))
        .filter(schedule::Column::Active.eq(true))
        .filter(schedule::Column::NextRunAt.eq(due));
    if runs {
        claim = claim
            .col_expr(schedule::Column::Calls, Expr::col(schedule::Column::Calls).add(1))
            .col_expr(schedule::Column::LastRunAt, Expr::value(now));
    }
    // Whoever moves the schedule off `due` first owns the occurrence; the others update nothing.
    if claim.exec(txn).await?.rows_affected != 1 {
        return Ok(Claimed::Nothing);
    }
    if !runs {
        return Ok(if wanted { Claimed::SkippedBusy } else { Claimed::Nothing });
    }
    Ok(Claimed::Run(RunSpec {
        organisation_id: s.organisation_id,
        integration_id: s.integration_id,
        schedule_id: Some(s.id),
        trigger: RunTrigger::Scheduled,
        dry_run: state == Some(IntegrationState::Test),
        full: false,
        params: s.params.clone(),
        source_ids: None,
        replay_of: None,
        max_attempts: SCHEDULED_RUN_MAX_ATTEMPTS,
    }))
}
