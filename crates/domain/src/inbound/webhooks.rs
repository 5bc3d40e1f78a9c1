//! Inbound webhooks: each integration's secret URL, and receiving a delivery — verified the way the source signs
//! it, stored as queue items before the hub answers, redeliveries stored once.
use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{EntityTrait, Set};
use serde::Serialize;
use uuid::Uuid;

use subtle::ConstantTimeEq;

use crate::connections::ports::{ConnectionContext, SourceEventKind, WebhookDelivery, WebhookRejection, WebhookSetup};
use crate::entities::{connection, integration, queue_item};
use crate::error::{DomainError, Result};
use crate::inbound::QueueStatus;
use crate::integrations::{IntegrationSettings, IntegrationState};
use crate::logs::{self, LogLevel, NewLogEntry};
use crate::{Hub, Principal, connections, integrations, secrets};

/// Bytes of randomness in a URL token.
const TOKEN_BYTES: usize = 32;

fn context(integration_id: Uuid) -> Vec<u8> {
    [b"webhook-token:".as_slice(), integration_id.as_bytes()].concat()
}

/// A fresh token, sealed for storing.
pub(crate) fn new_sealed_token(hub: &Hub, integration_id: Uuid) -> Vec<u8> {
    hub.keys
        .seal(secrets::random_token(TOKEN_BYTES).as_bytes(), &context(integration_id))
}

fn token(hub: &Hub, model: &integration::Model) -> Result<Option<String>> {
    model
        .webhook_token
        .as_deref()
        .map(|sealed| {
            let plain = hub.keys.open(sealed, &context(model.id))?;
            String::from_utf8(plain).map_err(|_| DomainError::Internal("stored webhook token".into()))
        })
        .transpose()
}

/// The URL a source posts to, with its secret; `None` for an integration made before tokens existed, until an
/// admin rotates one.
pub fn url(hub: &Hub, model: &integration::Model) -> Result<Option<String>> {
    Ok(token(hub, model)?.map(|t| format!("{}/api/v1/hooks/{}/{t}", hub.public_url.trim_end_matches('/'), model.id)))
}

/// Replaces the token: the old URL stops working at once (admins only).
pub async fn rotate(hub: &Hub, who: &Principal, integration_id: Uuid) -> Result<integrations::Integration> {
    who.require_admin()?;
    let current = integrations::find(hub, who, integration_id).await?;
    let mut model: integration::ActiveModel = current.into();
    model.webhook_token = Set(Some(new_sealed_token(hub, integration_id)));
    model.updated_at = Set(Utc::now());
    let updated = sea_orm::ActiveModelTrait::update(model, &hub.db).await?;
    integrations::present(hub, who, updated)
}

/// Why a delivery was refused, for the HTTP layer to answer (401, 400, 404) and log.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("no enabled integration has this webhook URL")]
    Unknown,
    #[error("{0}")]
    Unauthenticated(String),
    #[error("{0}")]
    Malformed(String),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Receipt {
    /// Queue items stored for this delivery.
    pub queued: usize,
    /// Events already stored from an earlier delivery of the same event.
    pub duplicates: usize,
}

/// What receiving needs about an integration, looked up once per delivery (and cacheable for a few seconds).
#[derive(Clone)]
pub struct Receiver {
    pub integration: integration::Model,
    pub source: connection::Model,
    /// The source connection's opened credentials; `None` when it has none stored.
    context: Option<ConnectionContext>,
    token: Option<String>,
    delay: chrono::Duration,
}

/// Looks up the integration behind a hook URL. Unknown and disabled integrations look the same to the caller.
pub async fn receiver(hub: &Hub, integration_id: Uuid) -> std::result::Result<Receiver, Refusal> {
    let integration = integration::Entity::find_by_id(integration_id)
        .one(&hub.db)
        .await
        .map_err(DomainError::from)?
        .filter(|i| i.state != IntegrationState::Inactive)
        .ok_or(Refusal::Unknown)?;
    let source = connection::Entity::find_by_id(integration.source_connection_id)
        .one(&hub.db)
        .await
        .map_err(DomainError::from)?
        .ok_or(Refusal::Unknown)?;
    let delay = IntegrationSettings::parse(&integration.settings)
        .map(|s| chrono::Duration::seconds(i64::from(s.webhook_delay_seconds)))
        .unwrap_or_default();
    Ok(Receiver {
        context: connections::context(hub, &source)?,
        token: token(hub, &integration)?,
        integration,
        source,
        delay,
    })
}

/// Verifies a delivery and stores its events as pending queue items, before the caller answers 202.
pub async fn receive(
    hub: &Hub,
    receiver: &Receiver,
    presented_token: &str,
    delivery: WebhookDelivery,
) -> std::result::Result<Receipt, Refusal> {
    let integration = &receiver.integration;
    let expected = receiver.token.as_deref().ok_or(Refusal::Unknown)?;
    // Constant time: a timing difference must not reveal how much of a guessed token was right.
    if !bool::from(expected.as_bytes().ct_eq(presented_token.as_bytes())) {
        return Err(refused(
            hub,
            integration,
            Refusal::Unauthenticated("the URL's token is wrong".into()),
        )
        .await);
    }
    let connector = hub.catalog.get(&receiver.source.connector).ok_or_else(|| {
        DomainError::Internal(format!("connector {} is not in this build", receiver.source.connector))
    })?;
    let context = receiver
        .context
        .as_ref()
        .ok_or_else(|| Refusal::Unauthenticated("the source connection has no credentials".into()))?;
    let events = match connector.verify_webhook(context, &delivery) {
        None => {
            return Err(Refusal::Malformed(format!(
                "{} does not send webhooks",
                connector.info().name
            )));
        }
        Some(Ok(events)) => events,
        Some(Err(WebhookRejection::Unauthenticated(reason))) => {
            return Err(refused(hub, integration, Refusal::Unauthenticated(reason)).await);
        }
        Some(Err(WebhookRejection::Malformed(reason))) => {
            return Err(refused(hub, integration, Refusal::Malformed(reason)).await);
        }
    };
    let payload = String::from_utf8_lossy(&delivery.body).into_owned();
    let execute_at = delivery.received_at + receiver.delay;
    let items: Vec<queue_item::ActiveModel> = events
        .iter()
        .map(|event| queue_item::ActiveModel {
            id: Set(Uuid::now_v7()),
            organisation_id: Set(integration.organisation_id),
            integration_id: Set(integration.id),
            event_type: Set(kind_name(event.kind).to_owned()),
            source_id: Set(event.source_id.clone()),
            event_id: Set(event.event_id.clone()),
            payload: Set(payload.clone()),
            received_at: Set(delivery.received_at),
            execute_at: Set(execute_at),
            status: Set(QueueStatus::Pending),
            attempts: Set(0),
            error: Set(None),
            run_id: Set(None),
            locked_by: Set(None),
            locked_at: Set(None),
            processed_at: Set(None),
            updated_at: Set(delivery.received_at),
        })
        .collect();
    let total = items.len();
    if total == 0 {
        return Ok(Receipt {
            queued: 0,
            duplicates: 0,
        });
    }
    let inserted = queue_item::Entity::insert_many(items)
        .on_conflict(
            OnConflict::columns([queue_item::Column::IntegrationId, queue_item::Column::EventId])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&hub.db)
        .await
        .map_err(DomainError::from)?;
    let queued = inserted as usize;
    Ok(Receipt {
        queued,
        duplicates: total - queued,
    })
}

fn kind_name(kind: SourceEventKind) -> &'static str {
    match kind {
        SourceEventKind::Created => "created",
        SourceEventKind::Updated => "updated",
        SourceEventKind::OnboardingComplete => "onboarding_complete",
        SourceEventKind::Terminated => "terminated",
        SourceEventKind::Deleted => "deleted",
    }
}

/// Every refused delivery is a warning in the integration's log, with the reason.
async fn refused(hub: &Hub, integration: &integration::Model, refusal: Refusal) -> Refusal {
    tracing::warn!(integration_id = %integration.id, reason = %refusal, "webhook delivery refused");
    let entry = NewLogEntry {
        organisation_id: integration.organisation_id,
        level: LogLevel::Warning,
        message: format!("webhook delivery refused: {refusal}"),
        details: None,
        integration_id: Some(integration.id),
        run_id: None,
        source_id: None,
    };
    if let Err(e) = logs::write(&hub.db, entry).await {
        tracing::warn!(error = %e, "could not log a refused delivery");
    }
    refusal
}

/// How the hub's URL gets to the source: registered through its API, or the exact URL and events to enter by hand.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Registration {
    /// The URL the source posts to (it carries the integration's secret).
    pub url: String,
    #[serde(flatten)]
    pub setup: WebhookSetup,
}

pub async fn register(hub: &Hub, who: &Principal, integration_id: Uuid) -> Result<Registration> {
    who.require_admin()?;
    let current = integrations::find(hub, who, integration_id).await?;
    let current = if current.webhook_token.is_none() {
        let mut model: integration::ActiveModel = current.into();
        model.webhook_token = Set(Some(new_sealed_token(hub, integration_id)));
        sea_orm::ActiveModelTrait::update(model, &hub.db).await?
    } else {
        current
    };
    let url = url(hub, &current)?.expect("a token was just ensured");
    let source = connections::find(&hub.db, who.organisation_id, current.source_connection_id).await?;
    let connector = hub
        .catalog
        .get(&source.connector)
        .ok_or_else(|| DomainError::Internal(format!("connector {} is not in this build", source.connector)))?;
    let context = connections::context(hub, &source)?.ok_or_else(|| {
        DomainError::conflict(
            "connection_not_connected",
            format!("connection `{}` has no credentials yet", source.name),
        )
    })?;
    let setup = connector.register_webhook(&context, &url).await.map_err(|e| {
        DomainError::conflict(
            "webhook_registration_failed",
            format!("{} did not take the webhook: {e}", connector.info().name),
        )
    })?;
    Ok(Registration { url, setup })
}

/// Headers as the connectors read them: names in lower case.
pub fn delivery(headers: BTreeMap<String, String>, body: Vec<u8>, received_at: DateTime<Utc>) -> WebhookDelivery {
    WebhookDelivery {
        headers: headers.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect(),
        body,
        received_at,
    }
}
