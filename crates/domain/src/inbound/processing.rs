//! How inbound processors take and settle webhook events: in order of execution time, never one person by two
//! processors, a burst for one person collapsed into one sync of their latest state, the people of one
//! integration taken together synced in one `webhook` run (a run per person would make a burst across many people
//! queue behind itself, since runs of one integration never overlap). The worker runs the loop and the run; these
//! are the steps around it.
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ConnectionTrait, DatabaseBackend, QuerySelect, QueryTrait, Statement};
use serde_json::json;

use super::QueueStatus;
use crate::Hub;
use crate::entities::{integration, queue_item, run, run_record};
use crate::error::Result;
use crate::integrations::IntegrationState;
use crate::runs::lifecycle::{self, Ending};
use crate::runs::{Outcome, RunSpec, RunStatus, RunTrigger, insert_queued};

pub type Item = queue_item::Model;

/// Takes due pending items for at most `persons` people, every waiting item of each (a burst collapses into one
/// sync), skipping people a processor is working on. Claims are serialised, so two processors never take the same
/// item nor the same person.
pub async fn claim(hub: &Hub, worker: &str, persons: u64, now: DateTime<Utc>) -> Result<Vec<Item>> {
    let backend = hub.db.get_database_backend();
    let sql = match backend {
        DatabaseBackend::Postgres => {
            "UPDATE queue_items SET status = 'processing', locked_by = $1, locked_at = $2, updated_at = $2, \
             attempts = attempts + 1 \
             WHERE status = 'pending' AND (integration_id, source_id) IN ( \
               SELECT q.integration_id, q.source_id FROM queue_items q \
               WHERE q.status = 'pending' AND q.execute_at <= $2 AND NOT EXISTS ( \
                 SELECT 1 FROM queue_items p WHERE p.integration_id = q.integration_id \
                 AND p.source_id = q.source_id AND p.status = 'processing') \
               GROUP BY q.integration_id, q.source_id ORDER BY MIN(q.execute_at) LIMIT $3) \
             RETURNING *"
        }
        _ => {
            "UPDATE queue_items SET status = 'processing', locked_by = ?1, locked_at = ?2, updated_at = ?2, \
             attempts = attempts + 1 \
             WHERE status = 'pending' AND (integration_id, source_id) IN ( \
               SELECT q.integration_id, q.source_id FROM queue_items q \
               WHERE q.status = 'pending' AND q.execute_at <= ?2 AND NOT EXISTS ( \
                 SELECT 1 FROM queue_items p WHERE p.integration_id = q.integration_id \
                 AND p.source_id = q.source_id AND p.status = 'processing') \
               GROUP BY q.integration_id, q.source_id ORDER BY MIN(q.execute_at) LIMIT ?3) \
             RETURNING *"
        }
    };
    let statement = Statement::from_sql_and_values(
        backend,
        sql,
        [
            worker.into(),
            now.into(),
            i64::try_from(persons).unwrap_or(i64::MAX).into(),
        ],
    );
    let txn = crate::database::begin_write(&hub.db).await?;
    if backend == DatabaseBackend::Postgres {
        // One claim at a time: a claim then sees every person the previous one took.
        txn.execute_raw(Statement::from_string(
            backend,
            "SELECT pg_advisory_xact_lock(72707001)",
        ))
        .await?;
    }
    let items = queue_item::Entity::find().from_raw_sql(statement).all(&txn).await?;
    txn.commit().await?;
    Ok(items)
}

/// Items a processor took and never finished (its process died): back to pending, unless their run is still to
/// end — running, or waiting its turn or its retry (a slow target or a busy integration is not a dead processor;
/// taken again, the items would only queue another run behind the same wait, and under load those piled up).
pub async fn reclaim_stale(hub: &Hub, older_than: std::time::Duration) -> Result<u64> {
    let cutoff = Utc::now() - chrono::Duration::from_std(older_than).unwrap_or_default();
    let running = run::Entity::find()
        .select_only()
        .column(run::Column::Id)
        .filter(run::Column::Status.is_in([RunStatus::Queued, RunStatus::InProgress, RunStatus::Retry]))
        .into_query();
    let updated = queue_item::Entity::update_many()
        .col_expr(queue_item::Column::Status, Expr::value(QueueStatus::Pending))
        .col_expr(queue_item::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(queue_item::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(queue_item::Column::Status.eq(QueueStatus::Processing))
        .filter(queue_item::Column::LockedAt.lte(cutoff))
        .filter(
            queue_item::Column::RunId
                .is_null()
                .or(queue_item::Column::RunId.not_in_subquery(running)),
        )
        .exec(&hub.db)
        .await?;
    Ok(updated.rows_affected)
}

/// The person of this item, with every waiting item of theirs, taken for `worker` ("Process now" as a job). Empty
/// when a processor took them first or they are no longer waiting.
pub async fn take_person(hub: &Hub, item_id: Uuid, worker: &str) -> Result<Vec<Item>> {
    let Some(item) = queue_item::Entity::find_by_id(item_id).one(&hub.db).await? else {
        return Ok(Vec::new());
    };
    let now = Utc::now();
    let txn = crate::database::begin_write(&hub.db).await?;
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        // The same lock as `claim`: a processor's claim and this take never split one person.
        txn.execute_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT pg_advisory_xact_lock(72707001)",
        ))
        .await?;
    }
    let busy = queue_item::Entity::find()
        .filter(queue_item::Column::IntegrationId.eq(item.integration_id))
        .filter(queue_item::Column::SourceId.eq(item.source_id.clone()))
        .filter(queue_item::Column::Status.eq(QueueStatus::Processing))
        .one(&txn)
        .await?
        .is_some();
    if busy {
        txn.commit().await?;
        return Ok(Vec::new());
    }
    queue_item::Entity::update_many()
        .col_expr(queue_item::Column::Status, Expr::value(QueueStatus::Processing))
        .col_expr(queue_item::Column::LockedBy, Expr::value(worker))
        .col_expr(queue_item::Column::LockedAt, Expr::value(now))
        .col_expr(
            queue_item::Column::Attempts,
            Expr::col(queue_item::Column::Attempts).add(1),
        )
        .col_expr(queue_item::Column::UpdatedAt, Expr::value(now))
        .filter(queue_item::Column::IntegrationId.eq(item.integration_id))
        .filter(queue_item::Column::SourceId.eq(item.source_id.clone()))
        .filter(queue_item::Column::Status.eq(QueueStatus::Pending))
        .filter(queue_item::Column::ExecuteAt.lte(now))
        .exec(&txn)
        .await?;
    let taken = queue_item::Entity::find()
        .filter(queue_item::Column::LockedBy.eq(worker))
        .filter(queue_item::Column::Status.eq(QueueStatus::Processing))
        .filter(queue_item::Column::SourceId.eq(item.source_id))
        .filter(queue_item::Column::IntegrationId.eq(item.integration_id))
        .all(&txn)
        .await?;
    txn.commit().await?;
    Ok(taken)
}

/// What a processor took, as one batch per integration, the batch whose first item fell due first first.
pub fn by_integration(items: Vec<Item>) -> Vec<Vec<Item>> {
    let mut integrations: BTreeMap<Uuid, Vec<Item>> = BTreeMap::new();
    for item in items {
        integrations.entry(item.integration_id).or_default().push(item);
    }
    let mut order: Vec<Vec<Item>> = integrations.into_values().collect();
    order.sort_by_key(|batch| batch.iter().map(|i| i.execute_at).min());
    order
}

/// Shutting down: what was not started waits for the next processor.
pub async fn release(hub: &Hub, batch: &[Item]) -> Result<()> {
    let ids: Vec<Uuid> = batch.iter().map(|i| i.id).collect();
    settle(hub, &ids, QueueStatus::Pending, None, None).await
}

/// The part of a batch still `worker`'s. A batch that took longer than the stuck time may have been handed out
/// again; refreshing the lock both keeps a live processor's items and tells it which ones it lost. A person with
/// any item handed out again is for whoever takes them next; ours wait with them.
pub async fn still_held(hub: &Hub, worker: &str, batch: Vec<Item>) -> Result<Vec<Item>> {
    let ids: Vec<Uuid> = batch.iter().map(|i| i.id).collect();
    let held = queue_item::Entity::update_many()
        .col_expr(queue_item::Column::LockedAt, Expr::value(Utc::now()))
        .filter(queue_item::Column::Id.is_in(ids.clone()))
        .filter(queue_item::Column::Status.eq(QueueStatus::Processing))
        .filter(queue_item::Column::LockedBy.eq(worker))
        .exec(&hub.db)
        .await?;
    if held.rows_affected >= ids.len() as u64 {
        return Ok(batch);
    }
    let mine: HashSet<Uuid> = queue_item::Entity::find()
        .select_only()
        .column(queue_item::Column::Id)
        .filter(queue_item::Column::Id.is_in(ids))
        .filter(queue_item::Column::Status.eq(QueueStatus::Processing))
        .filter(queue_item::Column::LockedBy.eq(worker))
        .into_tuple()
        .all(&hub.db)
        .await?
        .into_iter()
        .collect();
    let mut kept = Vec::new();
    for person in by_person(batch) {
        if person.iter().all(|i| mine.contains(&i.id)) {
            kept.extend(person);
        } else {
            let ours: Vec<Uuid> = person.iter().map(|i| i.id).filter(|id| mine.contains(id)).collect();
            settle(hub, &ours, QueueStatus::Pending, None, None).await?;
        }
    }
    Ok(kept)
}

/// A batch's `webhook` run, queued and linked to its items, for the worker to execute.
pub struct InboundRun {
    pub run_id: Uuid,
    /// The items, grouped per person.
    people: Vec<Vec<Item>>,
}

impl InboundRun {
    fn ids(&self) -> Vec<Uuid> {
        self.people.iter().flatten().map(|i| i.id).collect()
    }
}

/// Turns one integration's batch into a queued `webhook` run, or settles it without one: a disabled integration
/// fails its items; a running run of the integration (a scheduled sync, say) makes them wait rather than race it.
pub async fn start_run(hub: &Hub, batch: Vec<Item>) -> Result<Option<InboundRun>> {
    let Some(first) = batch.first() else { return Ok(None) };
    let ids: Vec<Uuid> = batch.iter().map(|i| i.id).collect();
    let integration = integration::Entity::find_by_id(first.integration_id)
        .one(&hub.db)
        .await?;
    let Some(integration) = integration.filter(|i| i.state != IntegrationState::Inactive) else {
        settle(
            hub,
            &ids,
            QueueStatus::Failed,
            None,
            Some("the integration is disabled".into()),
        )
        .await?;
        return Ok(None);
    };
    let busy = run::Entity::find()
        .filter(run::Column::IntegrationId.eq(integration.id))
        .filter(run::Column::Status.eq(RunStatus::InProgress))
        .one(&hub.db)
        .await?
        .is_some();
    if busy {
        defer(hub, &ids).await?;
        return Ok(None);
    }
    let people = by_person(batch);
    let source_ids: Vec<String> = people.iter().map(|p| p[0].source_id.clone()).collect();
    // An onboarding-complete event says what the source's record may not (Employment Hero's employee has no such
    // field): the person has finished onboarding.
    let onboarded: Vec<&str> = people
        .iter()
        .filter(|p| p.iter().any(|i| i.event_type == "onboarding_complete"))
        .map(|p| p[0].source_id.as_str())
        .collect();
    let events: BTreeMap<&str, Vec<&str>> = people
        .iter()
        .map(|p| {
            (
                p[0].source_id.as_str(),
                p.iter().map(|i| i.event_type.as_str()).collect(),
            )
        })
        .collect();
    let run = insert_queued(
        &hub.db,
        RunSpec {
            organisation_id: integration.organisation_id,
            integration_id: integration.id,
            schedule_id: None,
            trigger: RunTrigger::Webhook,
            dry_run: integration.state == IntegrationState::Test,
            full: false,
            params: json!({"events": events, "onboarded": onboarded}),
            source_ids: Some(source_ids),
            replay_of: None,
            // The item is the thing to retry (re-activate); the run does not retry on its own.
            max_attempts: 1,
        },
    )
    .await?;
    link(hub, &ids, run.id).await?;
    Ok(Some(InboundRun { run_id: run.id, people }))
}

/// Every item of a person ends as that person's record line did.
pub async fn settle_run(hub: &Hub, inbound: InboundRun, ending: Ending) -> Result<()> {
    let (run_id, ids) = (inbound.run_id, inbound.ids());
    match ending {
        Ending::Finished(RunStatus::Done) => settle(hub, &ids, QueueStatus::Done, Some(run_id), None).await,
        Ending::Finished(RunStatus::Partial) => {
            // Only the people whose line failed are archived, with their line's error.
            let errors = record_errors(hub, run_id).await?;
            for person in inbound.people {
                let ids: Vec<Uuid> = person.iter().map(|i| i.id).collect();
                match errors.get(&person[0].source_id) {
                    Some(error) => settle(hub, &ids, QueueStatus::Failed, Some(run_id), Some(error.clone())).await?,
                    None => settle(hub, &ids, QueueStatus::Done, Some(run_id), None).await?,
                }
            }
            Ok(())
        }
        Ending::Finished(_) | Ending::WillRetry(_) => {
            // The run failed as a whole (source unreachable, access refused): archived with the reason.
            let error = run::Entity::find_by_id(run_id)
                .one(&hub.db)
                .await?
                .and_then(|r| r.error)
                .unwrap_or_else(|| "the sync failed".into());
            settle(hub, &ids, QueueStatus::Failed, Some(run_id), Some(error)).await
        }
        // Shutting down or taken elsewhere: the items wait for the next processor; the run is resumed on its own.
        Ending::Released | Ending::Lost => settle(hub, &ids, QueueStatus::Pending, Some(run_id), None).await,
        // Another run of the integration started meanwhile: this one never did; it is dropped and the items wait.
        Ending::Waiting => {
            lifecycle::cancel(&hub.db, run_id).await?;
            defer(hub, &ids).await
        }
    }
}

/// The items grouped per person, in the order their first item fell due.
fn by_person(items: Vec<Item>) -> Vec<Vec<Item>> {
    let mut people: BTreeMap<String, Vec<Item>> = BTreeMap::new();
    for item in items {
        people.entry(item.source_id.clone()).or_default().push(item);
    }
    let mut order: Vec<Vec<Item>> = people.into_values().collect();
    order.sort_by_key(|person| person.iter().map(|i| i.execute_at).min());
    order
}

/// Back to pending, due a little later.
async fn defer(hub: &Hub, ids: &[Uuid]) -> Result<()> {
    let later = Utc::now() + chrono::Duration::seconds(2);
    queue_item::Entity::update_many()
        .col_expr(queue_item::Column::Status, Expr::value(QueueStatus::Pending))
        .col_expr(queue_item::Column::ExecuteAt, Expr::value(later))
        .col_expr(queue_item::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(queue_item::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(queue_item::Column::Id.is_in(ids.to_vec()))
        .exec(&hub.db)
        .await?;
    Ok(())
}

/// The error of each person whose line failed in the run.
async fn record_errors(hub: &Hub, run_id: Uuid) -> Result<HashMap<String, String>> {
    let failed = run_record::Entity::find()
        .filter(run_record::Column::RunId.eq(run_id))
        .filter(run_record::Column::Outcome.eq(Outcome::Failed))
        .all(&hub.db)
        .await?;
    Ok(failed
        .into_iter()
        .map(|r| {
            let error = r.error.unwrap_or_else(|| "the target refused the record".into());
            (r.source_id, error)
        })
        .collect())
}

async fn link(hub: &Hub, ids: &[Uuid], run_id: Uuid) -> Result<()> {
    queue_item::Entity::update_many()
        .col_expr(queue_item::Column::RunId, Expr::value(run_id))
        .filter(queue_item::Column::Id.is_in(ids.to_vec()))
        .exec(&hub.db)
        .await?;
    Ok(())
}

async fn settle(
    hub: &Hub,
    ids: &[Uuid],
    status: QueueStatus,
    run_id: Option<Uuid>,
    error: Option<String>,
) -> Result<()> {
    let now = Utc::now();
    let finished = matches!(status, QueueStatus::Done | QueueStatus::Failed);
    queue_item::Entity::update_many()
        .col_expr(queue_item::Column::Status, Expr::value(status))
        .col_expr(queue_item::Column::RunId, Expr::value(run_id))
        .col_expr(queue_item::Column::Error, Expr::value(error))
        .col_expr(queue_item::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(queue_item::Column::ProcessedAt, Expr::value(finished.then_some(now)))
        .col_expr(queue_item::Column::UpdatedAt, Expr::value(now))
        .filter(queue_item::Column::Id.is_in(ids.to_vec()))
        .exec(&hub.db)
        .await?;
    Ok(())
}
