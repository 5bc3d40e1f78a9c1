//! Record-line retention. A run's lines are kept while the run is one of its integration's last `keep_runs` runs
//! or younger than `keep_days` (whichever keeps more: a busy webhook integration keeps its recent days, a nightly
//! one its recent runs). Older lines are deleted in small batches, each its own statement, so neither database
//! holds a long lock; the run row stays with its counts and `records_removed_at` says when its lines went.
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Expr};
use uuid::Uuid;

use super::RunStatus;
use crate::entities::{integration, run, run_record};
use crate::error::Result;

#[derive(Debug, Clone)]
pub struct Policy {
    /// An integration's newest runs whose lines are kept whatever their age.
    pub keep_runs: u64,
    /// Lines younger than this are kept whatever the number of runs since.
    pub keep_days: u32,
    /// Lines one delete statement removes at most.
    pub batch: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            keep_runs: 100,
            keep_days: 30,
            batch: 1_000,
        }
    }
}

/// What one pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pruned {
    pub runs: u64,
    pub lines: u64,
}

/// Expired runs read at once.
const RUNS_PER_SLICE: u64 = 100;

/// One pass over every integration: removes the lines of runs past both limits at `now`.
pub async fn prune(db: &DatabaseConnection, policy: &Policy, now: DateTime<Utc>) -> Result<Pruned> {
    let cutoff = now - Duration::days(i64::from(policy.keep_days));
    let integrations: Vec<Uuid> = integration::Entity::find()
        .select_only()
        .column(integration::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let mut pruned = Pruned::default();
    for integration_id in integrations {
        // A webhook integration makes thousands of runs a day: go on until none is left, a slice at a time.
        loop {
            let expired = expired_runs(db, integration_id, policy.keep_runs, cutoff).await?;
            for &run_id in &expired {
                pruned.lines += remove_lines(db, run_id, policy.batch.max(1), now).await?;
                pruned.runs += 1;
            }
            if (expired.len() as u64) < RUNS_PER_SLICE {
                break;
            }
        }
    }
    Ok(pruned)
}

/// Finished runs of the integration past both limits whose lines are still there, oldest first.
async fn expired_runs(
    db: &DatabaseConnection,
    integration_id: Uuid,
    keep_runs: u64,
    cutoff: DateTime<Utc>,
) -> Result<Vec<Uuid>> {
    // The number of the newest run that is not among the last `keep_runs`: it and every older one are past the
    // count limit (numbers only grow, so this is one step down the (integration, number) index).
    let newest_past_count: Option<i64> = run::Entity::find()
        .select_only()
        .column(run::Column::Number)
        .filter(run::Column::IntegrationId.eq(integration_id))
        .order_by_desc(run::Column::Number)
        .offset(keep_runs)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let Some(newest_past_count) = newest_past_count else {
        return Ok(Vec::new());
    };
    Ok(run::Entity::find()
        .select_only()
        .column(run::Column::Id)
        .filter(run::Column::IntegrationId.eq(integration_id))
        .filter(run::Column::RecordsRemovedAt.is_null())
        .filter(run::Column::Number.lte(newest_past_count))
        .filter(run::Column::CreatedAt.lt(cutoff))
        .filter(run::Column::Status.is_in([
            RunStatus::Done,
            RunStatus::Partial,
            RunStatus::Failed,
            RunStatus::Cancelled,
        ]))
        .order_by_asc(run::Column::Number)
        .limit(RUNS_PER_SLICE)
        .into_tuple()
        .all(db)
        .await?)
}

/// Deletes the run's lines `batch` at a time, then marks the run. Marked last, so a pass cut short (shutdown, a
/// lost connection) leaves the run to the next pass rather than lines nobody removes.
async fn remove_lines(db: &DatabaseConnection, run_id: Uuid, batch: u64, now: DateTime<Utc>) -> Result<u64> {
    let mut removed = 0;
    loop {
        let slice = Query::select()
            .column(run_record::Column::Id)
            .from(run_record::Entity)
            .and_where(run_record::Column::RunId.eq(run_id))
            .limit(batch)
            .to_owned();
        let deleted = run_record::Entity::delete_many()
            .filter(run_record::Column::Id.in_subquery(slice))
            .exec(db)
            .await?
            .rows_affected;
        removed += deleted;
        if deleted < batch {
            break;
        }
        // Between batches, let the runs writing lines take the (SQLite) write lock.
        tokio::task::yield_now().await;
    }
    run::Entity::update_many()
        .col_expr(run::Column::RecordsRemovedAt, Expr::value(now))
        .filter(run::Column::Id.eq(run_id))
        .exec(db)
        .await?;
    Ok(removed)
}
