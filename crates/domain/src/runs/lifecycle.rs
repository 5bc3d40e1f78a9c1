//! The run's status machine as the worker drives it: claim, heartbeat, finish, retry, give up, and the
//! reconciler's repairs. Every transition is a conditional update, so two workers (or a worker and a person
//! pressing "cancel") never both win.
use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, QueryTrait, Statement,
};
use uuid::Uuid;

use super::RunStatus;
use crate::entities::run;
use crate::error::Result;

/// Takes the run for `worker` if it is waiting and due, no other run of its integration is running (two runs of
/// one integration at once would race between looking a user up and creating it) and none older is waiting;
/// `None` otherwise. A stuck
/// run is first put back to `queued` by the reconciler, never taken over here.
pub async fn claim(
    db: &sea_orm::DatabaseConnection,
    run_id: Uuid,
    worker: &str,
    now: DateTime<Utc>,
) -> Result<Option<run::Model>> {
    let txn = crate::database::begin_write(db).await?;
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        // Under READ COMMITTED two claims for one integration would each miss the other's uncommitted
        // `in_progress`; a lock per integration makes the second see the first. SQLite runs one writer at a time.
        let Some(integration) = run::Entity::find_by_id(run_id)
            .one(&txn)
            .await?
            .map(|r| r.integration_id)
        else {
            return Ok(None);
        };
        let key = i64::from_be_bytes(integration.as_bytes()[..8].try_into().expect("16 bytes"));
        txn.execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [key.into()],
        ))
        .await?;
    }
    // In order: an older run of the integration waiting to run goes first (its job, or the next-run push of the
    // run going now, brings it); this one's job is dropped and it is pushed when its turn comes.
    let Some(this) = run::Entity::find_by_id(run_id).one(&txn).await? else {
        return Ok(None);
    };
    let older = run::Entity::find()
        .filter(run::Column::IntegrationId.eq(this.integration_id))
        .filter(run::Column::Number.lt(this.number))
        .filter(run::Column::Status.is_in([RunStatus::Queued, RunStatus::Retry]))
        .filter(run::Column::NotBefore.lte(now))
        .filter(run::Column::CancelRequested.eq(false))
        .count(&txn)
        .await?;
    if older > 0 {
        return Ok(None);
    }
    let running = run::Entity::find()
        .select_only()
        .column(run::Column::IntegrationId)
        .filter(run::Column::Status.eq(RunStatus::InProgress))
        .into_query();
    let claimed = run::Entity::update_many()
        .col_expr(run::Column::Status, Expr::value(RunStatus::InProgress))
        .col_expr(run::Column::Worker, Expr::value(worker))
        .col_expr(run::Column::UpdatedAt, Expr::value(now))
        .filter(run::Column::Id.eq(run_id))
        .filter(run::Column::Status.is_in([RunStatus::Queued, RunStatus::Retry]))
        .filter(run::Column::NotBefore.lte(now))
        .filter(run::Column::CancelRequested.eq(false))
        .filter(run::Column::IntegrationId.not_in_subquery(running))
        .exec(&txn)
        .await?;
    if claimed.rows_affected == 0 {
        return Ok(None);
    }
    // The start is read from the clock only now: the run that finished before this one committed its end before
    // the claim above could see it gone, so a start stamped here is never earlier than that end.
    let started = Utc::now().max(now);
    run::Entity::update_many()
        .col_expr(
            run::Column::StartedAt,
            Func::coalesce([Expr::col(run::Column::StartedAt), Expr::value(started)]).into(),
        )
        .col_expr(run::Column::HeartbeatAt, Expr::value(started))
        .filter(run::Column::Id.eq(run_id))
        .exec(&txn)
        .await?;
    let claimed = run::Entity::find_by_id(run_id).one(&txn).await?;
    txn.commit().await?;
    Ok(claimed)
}

/// Says the run is alive, with its counts so far (a run reading one long page would otherwise show nothing until
/// the page ends); answers whether someone asked to cancel it. `false` from `held` means the run was taken away
/// (resumed elsewhere after this worker looked dead): the worker must stop without writing more.
pub async fn heartbeat(db: &impl ConnectionTrait, run_id: Uuid, worker: &str, counts: Counts) -> Result<Heartbeat> {
    let now = Utc::now();
    let update = run::Entity::update_many().col_expr(run::Column::HeartbeatAt, Expr::value(now));
    let updated = held(with_counts(update, counts), run_id, worker).exec(db).await?;
    let cancel: Option<bool> = run::Entity::find_by_id(run_id)
        .select_only()
        .column(run::Column::CancelRequested)
        .into_tuple()
        .one(db)
        .await?;
    Ok(Heartbeat {
        held: updated.rows_affected == 1,
        cancel_requested: cancel.unwrap_or(true),
    })
}

#[derive(Debug, Clone, Copy)]
pub struct Heartbeat {
    pub held: bool,
    pub cancel_requested: bool,
}

/// Counts and the place to go on from, stored after every page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub read: i64,
    pub filtered: i64,
    /// Created, updated or deactivated in the target.
    pub written: i64,
    /// A dry run's: what would have been written.
    pub would_write: i64,
    pub errors: i64,
}

/// The update with the run's counts set.
fn with_counts(update: sea_orm::UpdateMany<run::Entity>, counts: Counts) -> sea_orm::UpdateMany<run::Entity> {
    update
        .col_expr(run::Column::RecordsRead, Expr::value(counts.read))
        .col_expr(run::Column::RecordsFiltered, Expr::value(counts.filtered))
        .col_expr(run::Column::RecordsWritten, Expr::value(counts.written))
        .col_expr(run::Column::RecordsWouldWrite, Expr::value(counts.would_write))
        .col_expr(run::Column::RecordsErrors, Expr::value(counts.errors))
}

/// Only while this worker holds the run: a run taken away (cancelled, resumed elsewhere) is not touched.
fn held(update: sea_orm::UpdateMany<run::Entity>, run_id: Uuid, worker: &str) -> sea_orm::UpdateMany<run::Entity> {
    update
        .filter(run::Column::Id.eq(run_id))
        .filter(run::Column::Status.eq(RunStatus::InProgress))
        .filter(run::Column::Worker.eq(worker))
}

pub async fn checkpoint(
    db: &impl ConnectionTrait,
    run_id: Uuid,
    worker: &str,
    counts: Counts,
    next: Option<&str>,
) -> Result<bool> {
    let now = Utc::now();
    let update = run::Entity::update_many()
        .col_expr(run::Column::Checkpoint, Expr::value(next.map(str::to_owned)))
        .col_expr(run::Column::HeartbeatAt, Expr::value(now))
        .col_expr(run::Column::UpdatedAt, Expr::value(now));
    let updated = held(with_counts(update, counts), run_id, worker).exec(db).await?;
    Ok(updated.rows_affected == 1)
}

/// Where the run ended up, for the worker to log and for tests to wait on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    Finished(RunStatus),
    /// Put back to `queued` for any worker to go on with (this one is shutting down).
    Released,
    /// Failed as a whole; another attempt is due at this time.
    WillRetry(DateTime<Utc>),
    /// The run was no longer this worker's (cancelled meanwhile, or resumed elsewhere).
    Lost,
    /// Still queued: another run of the integration is running. Try again shortly.
    Waiting,
}

/// Ends a run this worker holds with a final status.
pub async fn finish(
    db: &impl ConnectionTrait,
    run_id: Uuid,
    worker: &str,
    status: RunStatus,
    counts: Counts,
    error: Option<String>,
) -> Result<bool> {
    let now = Utc::now();
    let update = run::Entity::update_many()
        .col_expr(run::Column::Status, Expr::value(status))
        .col_expr(run::Column::FinishedAt, Expr::value(now))
        .col_expr(run::Column::Error, Expr::value(error))
        .col_expr(run::Column::Worker, Expr::value(Option::<String>::None))
        .col_expr(run::Column::UpdatedAt, Expr::value(now));
    let updated = held(with_counts(update, counts), run_id, worker).exec(db).await?;
    Ok(updated.rows_affected == 1)
}

/// Gives the run back to the queue, keeping its checkpoint (graceful shutdown).
pub async fn release(db: &impl ConnectionTrait, run_id: Uuid, worker: &str, counts: Counts) -> Result<bool> {
    let now = Utc::now();
    let update = run::Entity::update_many()
        .col_expr(run::Column::Status, Expr::value(RunStatus::Queued))
        .col_expr(run::Column::Worker, Expr::value(Option::<String>::None))
        .col_expr(run::Column::QueuedAt, Expr::value(now))
        .col_expr(run::Column::UpdatedAt, Expr::value(now));
    let updated = held(with_counts(update, counts), run_id, worker).exec(db).await?;
    Ok(updated.rows_affected == 1)
}

/// A run that failed as a whole: another attempt after `delay`, from the start of the read (the bindings make
/// the repeat write nothing twice), unless it was the last.
pub async fn fail(
    db: &impl ConnectionTrait,
    current: &run::Model,
    worker: &str,
    error: &str,
    delay: Duration,
) -> Result<Ending> {
    let now = Utc::now();
    let last = current.attempt >= current.max_attempts;
    let at = now + chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::seconds(60));
    let mut update = run::Entity::update_many()
        .col_expr(run::Column::Error, Expr::value(error))
        .col_expr(run::Column::Worker, Expr::value(Option::<String>::None))
        .col_expr(run::Column::UpdatedAt, Expr::value(now));
    update = if last {
        update
            .col_expr(run::Column::Status, Expr::value(RunStatus::Failed))
            .col_expr(run::Column::FinishedAt, Expr::value(now))
    } else {
        update
            .col_expr(run::Column::Status, Expr::value(RunStatus::Retry))
            .col_expr(run::Column::Attempt, Expr::value(current.attempt + 1))
            .col_expr(run::Column::NotBefore, Expr::value(at))
            .col_expr(run::Column::QueuedAt, Expr::value(at))
            .col_expr(run::Column::Checkpoint, Expr::value(Option::<String>::None))
    };
    let updated = update
        .filter(run::Column::Id.eq(current.id))
        .filter(run::Column::Status.eq(RunStatus::InProgress))
        .filter(run::Column::Worker.eq(worker))
        .exec(db)
        .await?;
    Ok(match (updated.rows_affected, last) {
        (0, _) => Ending::Lost,
        (_, true) => Ending::Finished(RunStatus::Failed),
        (_, false) => Ending::WillRetry(at),
    })
}

/// Runs the queue may have lost: the oldest waiting run (`queued`, or `retry` and due) of each integration with
/// no run going, when it was last dispatched longer than `after` ago. Only the oldest: the others could not be
/// claimed before it (`claim`), and each is pushed when the run before it ends (`next_waiting`). Answers their ids
/// and marks them dispatched now, so each is pushed again at most once per `after` (`JobQueue::push_again`: a job
/// taken by a worker killed before it started the run leaves a pending mark behind).
pub async fn lost_in_queue(db: &impl ConnectionTrait, after: Duration, limit: u64) -> Result<Vec<Uuid>> {
    let now = Utc::now();
    let cutoff = now - chrono::Duration::from_std(after).unwrap_or_default();
    let running = run::Entity::find()
        .select_only()
        .column(run::Column::IntegrationId)
        .filter(run::Column::Status.eq(RunStatus::InProgress))
        .into_query();
    let heads: Vec<(Uuid, i64)> = run::Entity::find()
        .select_only()
        .column(run::Column::IntegrationId)
        .expr(Func::min(Expr::col(run::Column::Number)))
        .filter(run::Column::IntegrationId.not_in_subquery(running))
        .filter(run::Column::Status.is_in([RunStatus::Queued, RunStatus::Retry]))
        .filter(run::Column::NotBefore.lte(now))
        .filter(run::Column::CancelRequested.eq(false))
        .group_by(run::Column::IntegrationId)
        .order_by_asc(Func::min(Expr::col(run::Column::QueuedAt)))
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if heads.is_empty() {
        return Ok(Vec::new());
    }
    let mut which = Condition::any();
    for (integration, number) in heads {
        which = which.add(
            Condition::all()
                .add(run::Column::IntegrationId.eq(integration))
                .add(run::Column::Number.eq(number)),
        );
    }
    let ids: Vec<Uuid> = run::Entity::find()
        .select_only()
        .column(run::Column::Id)
        .filter(which)
        .filter(run::Column::QueuedAt.lte(cutoff))
        .into_tuple()
        .all(db)
        .await?;
    if !ids.is_empty() {
        run::Entity::update_many()
            .col_expr(run::Column::QueuedAt, Expr::value(now))
            .filter(run::Column::Id.is_in(ids.clone()))
            .exec(db)
            .await?;
    }
    Ok(ids)
}

/// The run to push when a run of this integration ended: its oldest waiting run (`queued`, or `retry` and due; by
/// number), unless another of its runs is running (that one pushes the next when it ends). Runs that found their
/// integration busy dropped their job; this is how they are taken again, one at a time and in order.
pub async fn next_waiting(db: &impl ConnectionTrait, ended: Uuid) -> Result<Option<Uuid>> {
    let Some(integration) = run::Entity::find_by_id(ended)
        .select_only()
        .column(run::Column::IntegrationId)
        .into_tuple::<Uuid>()
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let running = run::Entity::find()
        .filter(run::Column::IntegrationId.eq(integration))
        .filter(run::Column::Status.eq(RunStatus::InProgress))
        .count(db)
        .await?;
    if running > 0 {
        return Ok(None);
    }
    Ok(run::Entity::find()
        .select_only()
        .column(run::Column::Id)
        .filter(run::Column::IntegrationId.eq(integration))
        .filter(run::Column::Status.is_in([RunStatus::Queued, RunStatus::Retry]))
        .filter(run::Column::NotBefore.lte(Utc::now()))
        .filter(run::Column::CancelRequested.eq(false))
        .order_by_asc(run::Column::Number)
        .into_tuple()
        .one(db)
        .await?)
}

/// Retries whose backoff just ended: they were never in the queue, so they are dispatched when due.
pub async fn due_retries(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Uuid>> {
    let now = Utc::now();
    let ids: Vec<Uuid> = run::Entity::find()
        .select_only()
        .column(run::Column::Id)
        .filter(run::Column::Status.eq(RunStatus::Retry))
        .filter(run::Column::NotBefore.lte(now))
        .filter(run::Column::QueuedAt.lte(now))
        .order_by_asc(run::Column::NotBefore)
        .limit(limit)
        .into_tuple()
        .all(db)
        .await?;
    if !ids.is_empty() {
        // Moves them past `now` so the next pass does not dispatch them again; `lost_in_queue` covers a loss.
        run::Entity::update_many()
            .col_expr(
                run::Column::QueuedAt,
                Expr::value(now + chrono::Duration::milliseconds(1)),
            )
            .filter(run::Column::Id.is_in(ids.clone()))
            .exec(db)
            .await?;
    }
    Ok(ids)
}

/// Runs `in_progress` whose worker stopped saying it is alive: put back to `queued`, checkpoint kept, for any
/// worker to resume.
pub async fn requeue_stuck(db: &impl ConnectionTrait, silent_for: Duration) -> Result<Vec<Uuid>> {
    let now = Utc::now();
    let cutoff = now - chrono::Duration::from_std(silent_for).unwrap_or_default();
    let ids: Vec<Uuid> = run::Entity::find()
        .select_only()
        .column(run::Column::Id)
        .filter(run::Column::Status.eq(RunStatus::InProgress))
        .filter(run::Column::HeartbeatAt.lte(cutoff))
        .into_tuple()
        .all(db)
        .await?;
    let mut requeued = Vec::new();
    for id in ids {
        let updated = run::Entity::update_many()
            .col_expr(run::Column::Status, Expr::value(RunStatus::Queued))
            .col_expr(run::Column::Worker, Expr::value(Option::<String>::None))
            .col_expr(run::Column::QueuedAt, Expr::value(now))
            .col_expr(run::Column::NotBefore, Expr::value(now))
            .col_expr(run::Column::UpdatedAt, Expr::value(now))
            .filter(run::Column::Id.eq(id))
            .filter(run::Column::Status.eq(RunStatus::InProgress))
            .filter(run::Column::HeartbeatAt.lte(cutoff))
            .exec(db)
            .await?;
        if updated.rows_affected == 1 {
            requeued.push(id);
        }
    }
    Ok(requeued)
}

/// Cancels a run that no worker holds; a held one gets `cancel_requested` and stops at the next record.
pub async fn cancel(db: &impl ConnectionTrait, run_id: Uuid) -> Result<bool> {
    let now = Utc::now();
    let waiting = run::Entity::update_many()
        .col_expr(run::Column::Status, Expr::value(RunStatus::Cancelled))
        .col_expr(run::Column::CancelRequested, Expr::value(true))
        .col_expr(run::Column::FinishedAt, Expr::value(now))
        .col_expr(run::Column::UpdatedAt, Expr::value(now))
        .filter(run::Column::Id.eq(run_id))
        .filter(run::Column::Status.is_in([RunStatus::Queued, RunStatus::Retry]))
        .exec(db)
        .await?;
    if waiting.rows_affected == 1 {
        return Ok(true);
    }
    let running = run::Entity::update_many()
        .col_expr(run::Column::CancelRequested, Expr::value(true))
        .col_expr(run::Column::UpdatedAt, Expr::value(now))
        .filter(run::Column::Id.eq(run_id))
        .filter(run::Column::Status.eq(RunStatus::InProgress))
        .exec(db)
        .await?;
    Ok(running.rows_affected == 1)
}

/// A worker saw the cancel request: the run ends `cancelled` with what it did so far.
pub async fn mark_cancelled(db: &impl ConnectionTrait, run_id: Uuid, worker: &str, counts: Counts) -> Result<bool> {
    finish(db, run_id, worker, RunStatus::Cancelled, counts, None).await
}

/// Full-jitter exponential backoff for whole-run retries: a random wait up to base·2^(attempt−1), capped.
pub fn backoff(base: Duration, attempt: i32, cap: Duration) -> Duration {
    let exp = base
        .saturating_mul(1u32 << attempt.clamp(1, 16).saturating_sub(1) as u32)
        .min(cap);
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    let fraction = (u64::from_le_bytes(bytes) as f64) / (u64::MAX as f64);
    // At least half the step, so retries spread out instead of piling up near zero.
    exp.mul_f64(0.5 + fraction / 2.0)
}
