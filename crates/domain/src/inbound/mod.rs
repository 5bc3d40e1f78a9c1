//! The inbound queue: webhook events waiting to be synced, taken in order of execution time by processors, never
//! one person by two processors, a burst for one person collapsed into one sync of their latest state, the people
//! of one integration taken together synced in one run. Failures are archived
//! with the reason, never deleted.
pub mod webhooks;
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ConnectionTrait, DatabaseBackend, QuerySelect, QueryTrait, Statement, TransactionTrait};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub use crate::entities::queue_item::QueueStatus;
use crate::entities::{integration, queue_item, run, run_record};
use crate::error::{DomainError, Result};
use crate::integrations::IntegrationState;
use crate::pagination::{self, Page, PageRequest};
use crate::runs::lifecycle::{self, Ending};
use crate::runs::{Outcome, RunSpec, RunStatus, RunTrigger, insert_queued};
use crate::{Hub, Principal, runs::sync};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    pub id: Uuid,
    pub integration_id: Uuid,
    /// `created`, `updated`, `onboarding_complete`, `terminated` or `deleted`.
    pub event_type: String,
    /// The person's id in the source.
    pub source_id: String,
    /// The source's id of the delivery, when it gives one.
    pub event_id: Option<String>,
    /// The delivery's body as received.
    pub payload: String,
    pub status: QueueStatus,
    pub attempts: i32,
    pub error: Option<String>,
    /// The sync run that processed it.
    pub run_id: Option<Uuid>,
    pub received_at: DateTime<Utc>,
    /// Not processed before this (received + the integration's webhook delay).
    pub execute_at: DateTime<Utc>,
    pub processed_at: Option<DateTime<Utc>>,
}

impl From<queue_item::Model> for QueueItem {
    fn from(m: queue_item::Model) -> Self {
        Self {
            id: m.id,
            integration_id: m.integration_id,
            event_type: m.event_type,
            source_id: m.source_id,
            event_id: m.event_id,
            payload: m.payload,
            status: m.status,
            attempts: m.attempts,
            error: m.error,
            run_id: m.run_id,
            received_at: m.received_at,
            execute_at: m.execute_at,
            processed_at: m.processed_at,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueFilters {
    pub integration_id: Option<Uuid>,
    pub status: Option<QueueStatus>,
}

pub async fn list(hub: &Hub, who: &Principal, filters: &QueueFilters, page: &PageRequest) -> Result<Page<QueueItem>> {
    let cursor = page.parse()?;
    let mut select = queue_item::Entity::find().filter(queue_item::Column::OrganisationId.eq(who.organisation_id));
    if let Some(integration) = filters.integration_id {
        select = select.filter(queue_item::Column::IntegrationId.eq(integration));
    }
    if let Some(status) = filters.status {
        select = select.filter(queue_item::Column::Status.eq(status));
    }
    let page = pagination::fetch_newest_first(&hub.db, select, queue_item::Column::Id, cursor, |m| m.id).await?;
    Ok(page.map(QueueItem::from))
}

async fn find(hub: &Hub, who: &Principal, id: Uuid) -> Result<queue_item::Model> {
    queue_item::Entity::find_by_id(id)
        .filter(queue_item::Column::OrganisationId.eq(who.organisation_id))
        .one(&hub.db)
        .await?
        .ok_or(DomainError::NotFound("queue item"))
}

pub async fn get(hub: &Hub, who: &Principal, id: Uuid) -> Result<QueueItem> {
    Ok(find(hub, who, id).await?.into())
}

/// Puts a failed item back as pending, due now (admins only).
pub async fn reactivate(hub: &Hub, who: &Principal, id: Uuid) -> Result<QueueItem> {
    who.require_admin()?;
    let current = find(hub, who, id).await?;
    let now = Utc::now();
    let updated = queue_item::Entity::update_many()
        .col_expr(queue_item::Column::Status, Expr::value(QueueStatus::Pending))
        .col_expr(queue_item::Column::ExecuteAt, Expr::value(now))
        .col_expr(queue_item::Column::Error, Expr::value(Option::<String>::None))
        .col_expr(queue_item::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(queue_item::Column::UpdatedAt, Expr::value(now))
        .filter(queue_item::Column::Id.eq(id))
        .filter(queue_item::Column::Status.eq(QueueStatus::Failed))
        .exec(&hub.db)
        .await?;
    if updated.rows_affected == 0 {
        return Err(DomainError::conflict(
            "queue_item_not_failed",
            format!(
                "the item is {:?}; only failed items can be re-activated",
                current.status
            ),
        ));
    }
    get(hub, who, id).await
}

/// Processes one pending or failed item now, in this process, and answers how it ended (admins only).
pub async fn process_now(hub: &Hub, who: &Principal, id: Uuid, options: &sync::Options) -> Result<QueueItem> {
    who.require_admin()?;
    let current = find(hub, who, id).await?;
    let worker = format!("api-{}", Uuid::new_v4().simple());
    let now = Utc::now();
    // Takes the person's other waiting items with it, as a processor would.
    let taken = queue_item::Entity::update_many()
        .col_expr(queue_item::Column::Status, Expr::value(QueueStatus::Processing))
        .col_expr(queue_item::Column::LockedBy, Expr::value(worker.clone()))
        .col_expr(queue_item::Column::LockedAt, Expr::value(now))
        .col_expr(
            queue_item::Column::Attempts,
            Expr::col(queue_item::Column::Attempts).add(1),
        )
        .col_expr(queue_item::Column::UpdatedAt, Expr::value(now))
        .filter(queue_item::Column::IntegrationId.eq(current.integration_id))
        .filter(queue_item::Column::SourceId.eq(current.source_id.clone()))
        .filter(
            queue_item::Column::Status
                .eq(QueueStatus::Pending)
                .or(queue_item::Column::Id
                    .eq(id)
                    .and(queue_item::Column::Status.eq(QueueStatus::Failed))),
        )
        .exec(&hub.db)
        .await?;
    if taken.rows_affected == 0 {
        return Err(DomainError::conflict(
            "queue_item_not_waiting",
            format!(
                "the item is {:?}; only pending or failed items can be processed",
                current.status
            ),
        ));
    }
    let items = queue_item::Entity::find()
        .filter(queue_item::Column::LockedBy.eq(worker.clone()))
        .filter(queue_item::Column::Status.eq(QueueStatus::Processing))
        .all(&hub.db)
        .await?;
    // Held until the end: a dropped sender reads as "shutting down" to the run.
    let (running, stop) = tokio::sync::watch::channel(false);
    process_people(hub, &worker, options, items, stop).await?;
    drop(running);
    get(hub, who, id).await
}

/// Takes due pending items for at most `persons` people, every waiting item of each (a burst collapses into one
/// sync), skipping people a processor is working on. Claims are serialised, so two processors never take the same
/// item nor the same person.
pub async fn claim(hub: &Hub, worker: &str, persons: u64, now: DateTime<Utc>) -> Result<Vec<queue_item::Model>> {
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
    let txn = hub.db.begin().await?;
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

/// Items a processor took and never finished (its process died): back to pending, unless their run is still
/// going (a slow target is not a dead processor).
pub async fn reclaim_stale(hub: &Hub, older_than: std::time::Duration) -> Result<u64> {
    let cutoff = Utc::now() - chrono::Duration::from_std(older_than).unwrap_or_default();
    let running = run::Entity::find()
        .select_only()
        .column(run::Column::Id)
        .filter(run::Column::Status.eq(RunStatus::InProgress))
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

/// Processes what `claim` took: the people of each integration in one `webhook` run (a run per person would make
/// a burst across many people queue behind itself, since runs of one integration never overlap).
pub async fn process(
    hub: &Hub,
    worker: &str,
    options: &sync::Options,
    items: Vec<queue_item::Model>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<()> {
    let mut integrations: BTreeMap<Uuid, Vec<queue_item::Model>> = BTreeMap::new();
    for item in items {
        integrations.entry(item.integration_id).or_default().push(item);
    }
    let mut order: Vec<Vec<queue_item::Model>> = integrations.into_values().collect();
    order.sort_by_key(|batch| batch.iter().map(|i| i.execute_at).min());
    for batch in order {
        let ids: Vec<Uuid> = batch.iter().map(|i| i.id).collect();
        if *stop.borrow() {
            // Shutting down: what was not started waits for the next processor.
            settle(hub, &ids, QueueStatus::Pending, None, None).await?;
            continue;
        }
        // Still ours? A batch that took longer than the stuck time may have been handed out again; refreshing the
        // lock both keeps a live processor's items and tells it which ones it lost.
        let held = queue_item::Entity::update_many()
            .col_expr(queue_item::Column::LockedAt, Expr::value(Utc::now()))
            .filter(queue_item::Column::Id.is_in(ids.clone()))
            .filter(queue_item::Column::Status.eq(QueueStatus::Processing))
            .filter(queue_item::Column::LockedBy.eq(worker))
            .exec(&hub.db)
            .await?;
        let batch = if held.rows_affected < ids.len() as u64 {
            let mine: std::collections::HashSet<Uuid> = queue_item::Entity::find()
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
            // A person with any item handed out again is for whoever takes them next; ours wait with them.
            let mut kept = Vec::new();
            for person in by_person(batch) {
                if person.iter().all(|i| mine.contains(&i.id)) {
                    kept.extend(person);
                } else {
                    let ours: Vec<Uuid> = person.iter().map(|i| i.id).filter(|id| mine.contains(id)).collect();
                    settle(hub, &ours, QueueStatus::Pending, None, None).await?;
                }
            }
            kept
        } else {
            batch
        };
        process_people(hub, worker, options, batch, stop.clone()).await?;
    }
    Ok(())
}

/// The items grouped per person, in the order their first item fell due.
fn by_person(items: Vec<queue_item::Model>) -> Vec<Vec<queue_item::Model>> {
    let mut people: BTreeMap<String, Vec<queue_item::Model>> = BTreeMap::new();
    for item in items {
        people.entry(item.source_id.clone()).or_default().push(item);
    }
    let mut order: Vec<Vec<queue_item::Model>> = people.into_values().collect();
    order.sort_by_key(|person| person.iter().map(|i| i.execute_at).min());
    order
}

/// The people of one integration: fetch each one's current record from the source and sync them, as one run with
/// trigger `webhook`; every item of a person ends as that person's record line did.
async fn process_people(
    hub: &Hub,
    worker: &str,
    options: &sync::Options,
    items: Vec<queue_item::Model>,
    stop: tokio::sync::watch::Receiver<bool>,
) -> Result<()> {
    let Some(first) = items.first() else { return Ok(()) };
    let ids: Vec<Uuid> = items.iter().map(|i| i.id).collect();
    let integration = integration::Entity::find_by_id(first.integration_id)
        .one(&hub.db)
        .await?;
    let Some(integration) = integration.filter(|i| i.state != IntegrationState::Inactive) else {
        return settle(
            hub,
            &ids,
            QueueStatus::Failed,
            None,
            Some("the integration is disabled".into()),
        )
        .await;
    };
    // A run of the integration is going (a scheduled sync, say): the people wait for it rather than racing it.
    let busy = run::Entity::find()
        .filter(run::Column::IntegrationId.eq(integration.id))
        .filter(run::Column::Status.eq(RunStatus::InProgress))
        .one(&hub.db)
        .await?
        .is_some();
    if busy {
        return defer(hub, &ids).await;
    }
    let people = by_person(items);
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
    let ending = sync::execute(hub, run.id, worker, options, stop).await?;
    match ending {
        Ending::Finished(RunStatus::Done) => settle(hub, &ids, QueueStatus::Done, Some(run.id), None).await,
        Ending::Finished(RunStatus::Partial) => {
            // Only the people whose line failed are archived, with their line's error.
            let errors = record_errors(hub, run.id).await?;
            for person in people {
                let ids: Vec<Uuid> = person.iter().map(|i| i.id).collect();
                match errors.get(&person[0].source_id) {
                    Some(error) => settle(hub, &ids, QueueStatus::Failed, Some(run.id), Some(error.clone())).await?,
                    None => settle(hub, &ids, QueueStatus::Done, Some(run.id), None).await?,
                }
            }
            Ok(())
        }
        Ending::Finished(_) | Ending::WillRetry(_) => {
            // The run failed as a whole (source unreachable, access refused): archived with the reason.
            let error = run::Entity::find_by_id(run.id)
                .one(&hub.db)
                .await?
                .and_then(|r| r.error)
                .unwrap_or_else(|| "the sync failed".into());
            settle(hub, &ids, QueueStatus::Failed, Some(run.id), Some(error)).await
        }
        // Shutting down or taken elsewhere: the items wait for the next processor; the run is resumed on its own.
        Ending::Released | Ending::Lost => settle(hub, &ids, QueueStatus::Pending, Some(run.id), None).await,
        // Another run of the integration started meanwhile: this one never did; it is dropped and the items wait.
        Ending::Waiting => {
            lifecycle::cancel(&hub.db, run.id).await?;
            defer(hub, &ids).await
        }
    }
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
async fn record_errors(hub: &Hub, run_id: Uuid) -> Result<std::collections::HashMap<String, String>> {
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
