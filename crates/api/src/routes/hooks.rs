//! Where sources deliver webhooks: no JWT; the URL's secret token and the source's own signature authenticate.
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use actix_web::{HttpRequest, HttpResponse, post, web};
use futures::StreamExt;
use ihub_domain::Hub;
use ihub_domain::inbound::webhooks::{self, Receipt, Receiver};
use utoipa_actix_web::service_config::ServiceConfig;
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::state::Limits;

pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(receive_webhook);
}

/// Integrations as deliveries need them, kept a few seconds: a burst of deliveries reads the database once, and a
/// disabled integration or a rotated token takes effect within that time.
#[derive(Default)]
pub struct Receivers(Mutex<HashMap<Uuid, Cached>>);

struct Cached {
    fetched: Instant,
    /// A delivery is reading the integration again; the others keep using this one meanwhile.
    refreshing: bool,
    receiver: Receiver,
}

const RECEIVER_TTL: Duration = Duration::from_secs(5);

impl Receivers {
    async fn get(&self, hub: &Hub, id: Uuid) -> Result<Receiver, webhooks::Refusal> {
        if let Some(cached) = self.0.lock().expect("lock").get_mut(&id) {
            let age = cached.fetched.elapsed();
            // Once it expires, one delivery reads it again while those arriving meanwhile go on with the one they
            // have: at 1,500 deliveries/s a herd of identical reads every few seconds was a latency spike. Past
            // twice the TTL (a read that hangs) nobody trusts it any more.
            if age < RECEIVER_TTL || (cached.refreshing && age < 2 * RECEIVER_TTL) {
                return Ok(cached.receiver.clone());
            }
            cached.refreshing = true;
        }
        let fresh = webhooks::receiver(hub, id).await;
        let mut cache = self.0.lock().expect("lock");
        let receiver = match fresh {
            Ok(receiver) => receiver,
            Err(refusal) => {
                cache.remove(&id);
                return Err(refusal);
            }
        };
        if cache.len() > 10_000 {
            cache.retain(|_, cached| cached.fetched.elapsed() < RECEIVER_TTL);
        }
        cache.insert(
            id,
            Cached {
                fetched: Instant::now(),
                refreshing: false,
                receiver: receiver.clone(),
            },
        );
        Ok(receiver)
    }
}

/// A source's webhook delivery. It is verified the way the source signs (BambooHR: HMAC of body and timestamp;
/// Employment Hero: the URL's token) and stored as queue items before the answer; redeliveries are stored once.
#[utoipa::path(tag = "webhooks",
    params(("integration_id" = Uuid, Path, description = "Integration id"), ("token" = String, Path, description = "The integration's webhook token")),
    request_body(content = String, description = "The source's payload, as it sends it", content_type = "application/json"),
    responses(
        (status = 202, description = "Stored; processed after the integration's webhook delay", body = Receipt),
        (status = 400, description = "Not a delivery this source sends", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Bad token, bad or missing signature, or a replay", body = crate::error::Problem, content_type = "application/problem+json"),
    ))]
#[post("/hooks/{integration_id}/{token}")]
async fn receive_webhook(
    hub: web::Data<Hub>,
    limits: web::Data<Limits>,
    receivers: web::Data<Receivers>,
    path: web::Path<(Uuid, String)>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let received_at = chrono::Utc::now();
    let (integration_id, token) = path.into_inner();
    let limit = limits.max_body_bytes;
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|len| len > limit) {
        tracing::warn!(%integration_id, "webhook delivery refused: body over the limit");
        return Err(ApiError::PayloadTooLarge { limit });
    }
    let receiver = receivers.get(&hub, integration_id).await.inspect_err(|_| {
        tracing::warn!(%integration_id, "webhook delivery refused: no enabled integration has this URL");
    })?;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::WebhookMalformed(e.to_string()))?;
        if body.len() + chunk.len() > limit {
            tracing::warn!(%integration_id, "webhook delivery refused: body over the limit");
            return Err(ApiError::PayloadTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    let headers: BTreeMap<String, String> = req
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
        .collect();
    let delivery = webhooks::delivery(headers, body.to_vec(), received_at);
    let receipt = webhooks::receive(&hub, &receiver, &token, delivery).await?;
    Ok(HttpResponse::Accepted().json(receipt))
}
