//! Runs: one execution of an integration's sync, its status machine, and its report (counts and one record line
//! per person). The database row is the truth about a run; the job queue only says "look at this run now".
pub mod actions;
pub mod lifecycle;
pub mod report;
pub mod retention;
pub mod sync;

use chrono::Utc;
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ConnectionTrait, Set};

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
    let now = Utc::now();
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
    let model = run::ActiveModel {
        id: Set(Uuid::now_v7()),
        organisation_id: Set(spec.organisation_id),
        integration_id: Set(spec.integration_id),
        number: Set(number),
        schedule_id: Set(spec.schedule_id),
        trigger: Set(spec.trigger),
        status: Set(RunStatus::Queued),
        attempt: Set(1),
        max_attempts: Set(Ord::max(spec.max_attempts, 1)),
        dry_run: Set(spec.dry_run),
        full: Set(spec.full),
        params: Set(spec.params),
        source_ids: Set(spec.source_ids.map(|ids| serde_json::json!(ids))),
        replay_of: Set(spec.replay_of),
        queued_at: Set(now),
        not_before: Set(now),
        started_at: Set(None),
        finished_at: Set(None),
        heartbeat_at: Set(None),
        worker: Set(None),
        checkpoint: Set(None),
        since: Set(None),
        read_started_at: Set(None),
        records_read: Set(0),
        records_filtered: Set(0),
        records_written: Set(0),
        records_would_write: Set(0),
        records_errors: Set(0),
        error: Set(None),
        cancel_requested: Set(false),
        records_removed_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    };
    Ok(model.insert(db).await?)
}
