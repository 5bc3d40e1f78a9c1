//! What people do to runs: start one now, cancel, resume a stuck or failed one, replay the failed records. Admins
//! and support users both run jobs (SPEC §1).
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use serde::Deserialize;
use uuid::Uuid;

use super::report::{self, Run};
use super::{Outcome, RunSpec, RunStatus, RunTrigger, insert_queued, lifecycle};
use crate::entities::{integration, run, run_record};
use crate::error::{DomainError, Result};
use crate::integrations::IntegrationState;
use crate::job_queue::Job;
use crate::{Hub, Principal, integrations};

/// Attempts a run gets when it fails as a whole (source unreachable, access lost) before it is `failed`.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 3;

/// A running run whose heartbeat is older than this may be resumed by hand.
const STALE_FOR_HAND_RESUME: chrono::Duration = chrono::Duration::seconds(30);

#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunNow {
    /// Read everyone instead of only the people changed since the last complete run.
    #[serde(default)]
    pub full: bool,
}

fn enabled(integration: &integration::Model) -> Result<()> {
    if integration.state == IntegrationState::Inactive {
        return Err(DomainError::conflict(
            "integration_not_enabled",
            format!(
                "integration `{}` is disabled; enable it before running it",
                integration.name
            ),
        ));
    }
    Ok(())
}

async fn dispatch(hub: &Hub, run_id: Uuid) {
    if let Err(e) = hub.job_queue.push(Job::Run { run_id }).await {
        // The run is queued in the database; the reconciler pushes it again.
        tracing::warn!(%run_id, error = %e, "run queued but not dispatched yet");
    }
}

async fn queue(hub: &Hub, who: &Principal, spec: RunSpec) -> Result<Run> {
    let model = insert_queued(&hub.db, spec).await?;
    dispatch(hub, model.id).await;
    Ok(report::present(model, report::zone_of(hub, who).await?))
}

/// Starts a run now; it does not move any schedule.
pub async fn run_now(hub: &Hub, who: &Principal, integration_id: Uuid, input: RunNow) -> Result<Run> {
    who.require_operator()?;
    let integration = integrations::find(hub, who, integration_id).await?;
    enabled(&integration)?;
    queue(
        hub,
        who,
        RunSpec {
            organisation_id: who.organisation_id,
            integration_id,
            schedule_id: None,
            trigger: RunTrigger::Manual,
            dry_run: integration.state == IntegrationState::Test,
            full: input.full,
            params: serde_json::json!({}),
            source_ids: None,
            replay_of: None,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        },
    )
    .await
}

/// A waiting run ends at once; a running one stops at the next record.
pub async fn cancel(hub: &Hub, who: &Principal, run_id: Uuid) -> Result<Run> {
    who.require_operator()?;
    let current = report::find(hub, who, run_id).await?;
    if current.status.is_finished() {
        return Err(DomainError::conflict(
            "run_finished",
            format!(
                "run {} already ended ({:?}); there is nothing to cancel",
                current.number, current.status
            ),
        ));
    }
    lifecycle::cancel(&hub.db, run_id).await?;
    let zone = report::zone_of(hub, who).await?;
    Ok(report::present(report::find(hub, who, run_id).await?, zone))
}

/// Puts a stuck run (running, but silent) or a failed one back in the queue; it goes on from its checkpoint.
pub async fn resume(hub: &Hub, who: &Principal, run_id: Uuid) -> Result<Run> {
    who.require_operator()?;
    let current = report::find(hub, who, run_id).await?;
    let now = Utc::now();
    let stale = current
        .heartbeat_at
        .is_none_or(|beat| now - beat > STALE_FOR_HAND_RESUME);
    let allowed = match current.status {
        RunStatus::InProgress => stale,
        RunStatus::Failed | RunStatus::Retry => true,
        _ => false,
    };
    if !allowed {
        return Err(DomainError::conflict(
            "run_not_resumable",
            format!(
                "run {} is {:?}; only a failed run, a run waiting to retry, or a running run silent for over 30 s can be resumed",
                current.number, current.status
            ),
        ));
    }
    let attempt = if current.status == RunStatus::Failed {
        current.attempt + 1
    } else {
        current.attempt
    };
    let updated = run::Entity::update_many()
        .col_expr(run::Column::Status, Expr::value(RunStatus::Queued))
        .col_expr(run::Column::Worker, Expr::value(Option::<String>::None))
        .col_expr(run::Column::Attempt, Expr::value(attempt))
        .col_expr(run::Column::MaxAttempts, Expr::value(current.max_attempts.max(attempt)))
        .col_expr(
            run::Column::FinishedAt,
            Expr::value(Option::<chrono::DateTime<Utc>>::None),
        )
        .col_expr(run::Column::NotBefore, Expr::value(now))
        .col_expr(run::Column::QueuedAt, Expr::value(now))
        .col_expr(run::Column::UpdatedAt, Expr::value(now))
        .filter(run::Column::Id.eq(run_id))
        .filter(run::Column::Status.eq(current.status))
        .filter(run::Column::UpdatedAt.eq(current.updated_at))
        .exec(&hub.db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(DomainError::conflict(
            "run_changed",
            "the run changed while resuming it; look at it again",
        ));
    }
    dispatch(hub, run_id).await;
    let zone = report::zone_of(hub, who).await?;
    Ok(report::present(report::find(hub, who, run_id).await?, zone))
}

/// A new run that retries only the people whose records failed in `run_id`.
pub async fn replay_failed(hub: &Hub, who: &Principal, run_id: Uuid) -> Result<Run> {
    who.require_operator()?;
    let original = report::find(hub, who, run_id).await?;
    report::kept(&original)?;
    let failed: Vec<String> = run_record::Entity::find()
        .select_only()
        .column(run_record::Column::SourceId)
        .filter(run_record::Column::RunId.eq(run_id))
        .filter(run_record::Column::Outcome.eq(Outcome::Failed))
        .into_tuple()
        .all(&hub.db)
        .await?;
    if failed.is_empty() {
        return Err(DomainError::conflict(
            "no_failed_records",
            format!("run {} has no failed records to replay", original.number),
        ));
    }
    let integration = integrations::find(hub, who, original.integration_id).await?;
    enabled(&integration)?;
    queue(
        hub,
        who,
        RunSpec {
            organisation_id: who.organisation_id,
            integration_id: original.integration_id,
            schedule_id: None,
            trigger: RunTrigger::Retry,
            dry_run: integration.state == IntegrationState::Test,
            full: false,
            params: original.params.clone(),
            source_ids: Some(failed),
            replay_of: Some(run_id),
            max_attempts: DEFAULT_MAX_ATTEMPTS,
        },
    )
    .await
}
