//! The inbound queue: webhook events waiting to be synced (`webhooks` receives them, `processing` is how the
//! worker's inbound processors take and settle them). Here: what people see and do with the items. Failures are
//! archived with the reason, never deleted.
pub mod processing;
pub mod webhooks;

use chrono::{DateTime, Utc};
use sea_orm::entity::prelude::*;
use sea_orm::sea_query::Expr;
use serde::{Deserialize, Serialize};

use crate::entities::queue_item;
pub use crate::entities::queue_item::QueueStatus;
use crate::error::{DomainError, Result};
use crate::job_queue::Job;
use crate::pagination::{self, Page, PageRequest};
use crate::{Hub, Principal};

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

/// "Process now": the item (and the person's other waiting items) due at once, and a job that has a worker take
/// them now; answers at once with the item, which then moves on as a processor's would (admins only).
pub async fn process_now(hub: &Hub, who: &Principal, id: Uuid) -> Result<QueueItem> {
    who.require_admin()?;
    let current = find(hub, who, id).await?;
    let now = Utc::now();
    let due = queue_item::Entity::update_many()
        .col_expr(queue_item::Column::Status, Expr::value(QueueStatus::Pending))
        .col_expr(queue_item::Column::ExecuteAt, Expr::value(now))
        .col_expr(queue_item::Column::Error, Expr::value(Option::<String>::None))
        .col_expr(queue_item::Column::UpdatedAt, Expr::value(now))
        .filter(queue_item::Column::Id.eq(id))
        .filter(queue_item::Column::Status.is_in([QueueStatus::Pending, QueueStatus::Failed]))
        .exec(&hub.db)
        .await?;
    if due.rows_affected == 0 {
        return Err(DomainError::conflict(
            "queue_item_not_waiting",
            format!(
                "the item is {:?}; only pending or failed items can be processed",
                current.status
            ),
        ));
    }
    // The person's other waiting items go with it, as a processor would take them.
    queue_item::Entity::update_many()
        .col_expr(queue_item::Column::ExecuteAt, Expr::value(now))
        .filter(queue_item::Column::IntegrationId.eq(current.integration_id))
        .filter(queue_item::Column::SourceId.eq(current.source_id.clone()))
        .filter(queue_item::Column::Status.eq(QueueStatus::Pending))
        .filter(queue_item::Column::ExecuteAt.gt(now))
        .exec(&hub.db)
        .await?;
    // The answer is the item as handed over, not read back: a worker may already have taken it by then.
    let handed_over = QueueItem {
        status: QueueStatus::Pending,
        execute_at: now,
        error: None,
        ..QueueItem::from(current)
    };
    // Lost, the job is no loss: the item is due now and any inbound processor takes it on its next pass.
    if let Err(e) = hub.job_queue.push(Job::ProcessInbound { item_id: id }).await {
        tracing::warn!(item_id = %id, error = %e, "could not push the job; an inbound processor takes the item");
    }
    Ok(handed_over)
}
