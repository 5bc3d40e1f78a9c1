//! Inbound-queue processors: each takes due webhook events (at most 100 people a pass) and syncs those people one
//! by one; an idle one looks again every pass interval.
use ihub_domain::Hub;
use tokio::sync::watch;

use crate::role::WorkerSettings;

/// People one pass takes at most.
pub const PASS_LIMIT: u64 = 100;

pub async fn run(hub: Hub, name: String, settings: WorkerSettings, mut stop: watch::Receiver<bool>) {
    loop {
        if *stop.borrow() {
            return;
        }
        let taken = match ihub_domain::inbound::claim(&hub, &name, PASS_LIMIT, chrono::Utc::now()).await {
            Ok(items) => items,
            Err(e) => {
                tracing::warn!(processor = %name, error = %e, "could not take queue items");
                Vec::new()
            }
        };
        let full = taken.len() as u64 >= PASS_LIMIT;
        if !taken.is_empty() {
            tracing::debug!(processor = %name, items = taken.len(), "processing inbound items");
            if let Err(e) = ihub_domain::inbound::process(&hub, &name, &settings.sync, taken, stop.clone()).await {
                // Items stay `processing`; the reconciler gives them back after `stuck_after`.
                tracing::error!(processor = %name, error = %e, "processing inbound items failed");
            }
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(settings.queue_pass) => {}
            _ = stop.changed() => {}
        }
    }
}
