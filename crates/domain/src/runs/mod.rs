//! Runs: one execution of an integration's sync, its status machine, and its report (counts and one record line
//! per person). The database row is the truth about a run; the job queue only says "look at this run now".
pub mod actions;
pub mod lifecycle;
pub mod report;
pub mod retention;
pub mod sync;

use std::collections::HashMap;

use chrono::Utc;
use sea_orm::ConnectionTrait;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};

use serde_json::Value;

pub use crate::entities::run::{RunStatus, RunTrigger};
pub use crate::entities::run_record::{Decision, Outcome};
use crate::entities::{integration, run};
use crate::error::{DomainError, Result};

/// A run to be queued.
#[derive(Debug, Clone)]
pub struct RunSpec {
    pub organisation_id: Uuid,
    pub integration_id: Uuid,
    pub schedule_id: Option<Uuid>,
    pub trigger: RunTrigger,
    pub dry_run: bool,
    /// Read everyone even when an incremental read is possible.
    pub full: bool,
    /// The schedule's custom parameters, handed to the action.
    pub params: Value,
    /// Only these people (a replay, a webhook); `None`: everyone.
    pub source_ids: Option<Vec<String>>,
    pub replay_of: Option<Uuid>,
    pub max_attempts: i32,
}

/// Inserts a `queued` run inside the caller's transaction (so a schedule's move and its run commit together) and
/// answers it; the caller dispatches its job after committing.
pub async fn insert_queued(db: &impl ConnectionTrait, spec: RunSpec) -> Result<run::Model> {
    let numbered = integration::Entity::update_many()
        .col_expr(
            integration::Column::RunCounter,
            Expr::col(integration::Column::RunCounter).add(1),
        )
        .filter(integration::Column::Id.eq(spec.integration_id))
        .exec_with_returning(db)
        .await?;
    let number = numbered
        .first()
        .map(|i| i.run_counter)
        .ok_or(DomainError::NotFound("integration"))?;
    Ok(run::ActiveModel::from(queued(spec, number, Utc::now()))
        .insert(db)
        .await?)
}

/// Runs inserted by one multi-row statement: a scheduler storm of a thousand due schedules queues them in a few
/// statements instead of a transaction each.
const INSERT_CHUNK: usize = 200;

/// Inserts many `queued` runs inside the caller's transaction, numbered per integration in the order given, and
/// answers them; a spec whose integration is gone is left out.
pub async fn insert_queued_many(db: &impl ConnectionTrait, specs: Vec<RunSpec>) -> Result<Vec<run::Model>> {
    let now = Utc::now();
    // An integration's k-th run of the batch takes its number in the k-th round, so each round is one statement
    // numbering every integration with that many runs here (almost always a single round).
    let mut per_integration: HashMap<Uuid, Vec<RunSpec>> = HashMap::new();
    let mut order = Vec::new();
    for spec in specs {
        let entry = per_integration.entry(spec.integration_id).or_default();
        if entry.is_empty() {
            order.push(spec.integration_id);
        }
        entry.push(spec);
    }
    let mut numbers: HashMap<Uuid, Vec<i64>> = HashMap::new();
    for round in 0.. {
        let ids: Vec<Uuid> = order
            .iter()
            .filter(|id| per_integration[id].len() > round)
            .copied()
            .collect();
        if ids.is_empty() {
            break;
        }
        let numbered = integration::Entity::update_many()
            .col_expr(
                integration::Column::RunCounter,
                Expr::col(integration::Column::RunCounter).add(1),
            )
            .filter(integration::Column::Id.is_in(ids))
            .exec_with_returning(db)
            .await?;
        for i in numbered {
            numbers.entry(i.id).or_default().push(i.run_counter);
        }
    }
    let mut models = Vec::new();
    for id in order {
        let specs = per_integration.remove(&id).unwrap_or_default();
        let numbers = numbers.remove(&id).unwrap_or_default();
        models.extend(
            specs
                .into_iter()
                .zip(numbers)
                .map(|(spec, number)| queued(spec, number, now)),
        );
    }
    for chunk in models.chunks(INSERT_CHUNK) {
        run::Entity::insert_many(chunk.iter().cloned().map(run::ActiveModel::from))
            .exec_without_returning(db)
            .await?;
    }
    Ok(models)
}

/// A run as it is queued.
fn queued(spec: RunSpec, number: i64, now: chrono::DateTime<Utc>) -> run::Model {
    run::Model {
        id: Uuid::now_v7(),
        organisation_id: spec.organisation_id,
        integration_id: spec.integration_id,
        number,
        schedule_id: spec.schedule_id,
        trigger: spec.trigger,
        status: RunStatus::Queued,
        attempt: 1,
        max_attempts: Ord::max(spec.max_attempts, 1),
        dry_run: spec.dry_run,
        full: spec.full,
        params: spec.params,
        source_ids: spec.source_ids.map(|ids| serde_json::json!(ids)),
        replay_of: spec.replay_of,
        queued_at: now,
        not_before: now,
        started_at: None,
        finished_at: None,
        heartbeat_at: None,
        worker: None,
        checkpoint: None,
        since: None,
        read_started_at: None,
        records_read: 0,
        records_filtered: 0,
        records_written: 0,
        records_would_write: 0,
        records_errors: 0,
        error: None,
        cancel_requested: false,
        records_removed_at: None,
        created_at: now,
        updated_at: now,
    }
}
