//! Before the first page: the integration loaded, its source and target built from the connections (credentials
//! opened), and on a first claim the watermark fixed. A failure here fails the run as a whole.
use std::sync::Arc;

use chrono::Utc;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use uuid::Uuid;

use super::{Abort, classify};
use crate::Hub;
use crate::connections;
use crate::connections::ports::{ConnectionContext, Connector, ConnectorError, PeopleSource, UserTarget};
use crate::entities::{connection, integration, run};
use crate::error::DomainError;
use crate::integrations::{IntegrationSettings, IntegrationState, dates};

/// The two ends of the sync.
pub(super) struct Endpoints {
    pub source: Arc<dyn PeopleSource>,
    pub source_connection: Uuid,
    pub target: Arc<dyn UserTarget>,
    pub target_connection: Uuid,
}

pub(super) struct Started {
    pub run: run::Model,
    pub settings: IntegrationSettings,
    pub endpoints: Endpoints,
}

pub(super) async fn start(hub: &Hub, run: run::Model) -> Result<Started, (run::Model, Abort)> {
    let loaded = async {
        let integration = integration::Entity::find_by_id(run.integration_id)
            .one(&hub.db)
            .await?
            .ok_or(DomainError::NotFound("integration"))?;
        let source = connection::Entity::find_by_id(integration.source_connection_id)
            .one(&hub.db)
            .await?
            .ok_or(DomainError::NotFound("connection"))?;
        let target = connection::Entity::find_by_id(integration.target_connection_id)
            .one(&hub.db)
            .await?
            .ok_or(DomainError::NotFound("connection"))?;
        Ok::<_, DomainError>((integration, source, target))
    }
    .await;
    let (integration, source_model, target_model) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return Err((run, Abort::Db(e))),
    };
    if integration.state == IntegrationState::Inactive {
        return Err((
            run,
            Abort::Failed {
                message: "the integration is disabled".into(),
                retry_after: None,
            },
        ));
    }
    let settings = match IntegrationSettings::parse(&integration.settings) {
        Ok(s) => s,
        Err(e) => return Err((run, Abort::Db(e))),
    };
    let source = match endpoint(hub, &source_model, |c, ctx| c.source(ctx)) {
        Ok(s) => s,
        Err(abort) => return Err((run, abort)),
    };
    let target = match endpoint(hub, &target_model, |c, ctx| c.target(ctx)) {
        Ok(t) => t,
        Err(abort) => return Err((run, abort)),
    };
    let run = begin_reading(hub, run).await.map_err(|(run, e)| (run, Abort::Db(e)))?;
    Ok(Started {
        run,
        settings,
        endpoints: Endpoints {
            source,
            source_connection: source_model.id,
            target,
            target_connection: target_model.id,
        },
    })
}

/// The connection as a source or target, with the stored credentials opened.
fn endpoint<T: ?Sized>(
    hub: &Hub,
    model: &connection::Model,
    pick: impl Fn(&dyn Connector, ConnectionContext) -> Option<Result<Arc<T>, ConnectorError>>,
) -> Result<Arc<T>, Abort> {
    let failed = |message: String| Abort::Failed {
        message,
        retry_after: None,
    };
    let connector = hub
        .catalog
        .get(&model.connector)
        .ok_or_else(|| failed(format!("connector `{}` is not in this build", model.connector)))?;
    let context = connections::context(hub, model)?
        .ok_or_else(|| failed(format!("connection `{}` has no credentials stored", model.name)))?;
    match pick(connector.as_ref(), context) {
        None => Err(failed(format!(
            "connection `{}` cannot play this part in a sync",
            model.name
        ))),
        Some(Ok(endpoint)) => Ok(endpoint),
        Some(Err(e)) => Err(classify(model.id, e)),
    }
}

/// On the first claim: fixes the watermark this run reads from and when its reading started (the next
/// watermark). A resumed run keeps both.
async fn begin_reading(hub: &Hub, run: run::Model) -> Result<run::Model, (run::Model, DomainError)> {
    if run.read_started_at.is_some() {
        return Ok(run);
    }
    let now = Utc::now();
    // A schedule can ask for full reads through its custom parameters: `{"full": true}`.
    let full = run.full || run.params.get("full").and_then(serde_json::Value::as_bool) == Some(true);
    let since = if full || run.source_ids.is_some() {
        None
    } else {
        match dates::get(&hub.db, run.integration_id, dates::EMPLOYEES_UPDATED_SINCE).await {
            Ok(since) => since,
            Err(e) => return Err((run, e)),
        }
    };
    let mut model: run::ActiveModel = run.clone().into();
    model.since = Set(since);
    model.read_started_at = Set(Some(now));
    model.updated_at = Set(now);
    model.update(&hub.db).await.map_err(|e| (run, e.into()))
}
