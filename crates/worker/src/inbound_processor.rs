//! An inbound processor: takes due webhook events (at most `pass_limit` people a pass), syncs the people of each
//! integration in one `webhook` run through `execute_run`, and settles every item as its person's record line
//! ended; an idle one looks again every pass interval.
use ihub_domain::Hub;
use ihub_domain::inbound::processing::{self, Item};
use ihub_domain::runs::sync;
use tokio::sync::watch;
use uuid::Uuid;

use crate::execute_run;
use crate::settings::InboundSettings;

pub async fn run(
    hub: Hub,
    name: String,
    settings: InboundSettings,
    options: sync::Options,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        if *stop.borrow() {
            return;
        }
        let taken = match processing::claim(&hub, &name, settings.pass_limit, chrono::Utc::now()).await {
            Ok(items) => items,
            Err(e) => {
                tracing::warn!(processor = %name, error = %e, "could not take inbound items");
                Vec::new()
            }
        };
        let full = taken.len() as u64 >= settings.pass_limit;
        if !taken.is_empty() {
            tracing::debug!(processor = %name, items = taken.len(), "processing inbound items");
            if let Err(e) = process(&hub, &name, &options, taken, stop.clone()).await {
                // Items stay `processing`; the reconciler gives them back after the stuck time.
                tracing::error!(processor = %name, error = %e, "processing inbound items failed");
            }
        }
        if full {
            continue;
        }
        tokio::select! {
            _ = tokio::time::sleep(settings.pass) => {}
            _ = stop.changed() => {}
        }
    }
}

/// "Process now": the item's person, unless a processor already has them.
pub async fn process_item(
    hub: &Hub,
    worker: &str,
    options: &sync::Options,
    item_id: Uuid,
    stop: watch::Receiver<bool>,
) -> ihub_domain::Result<()> {
    let items = processing::take_person(hub, item_id, worker).await?;
    process(hub, worker, options, items, stop).await
}

/// What was taken, one integration's people at a time, each batch in one run.
async fn process(
    hub: &Hub,
    worker: &str,
    options: &sync::Options,
    items: Vec<Item>,
    stop: watch::Receiver<bool>,
) -> ihub_domain::Result<()> {
    for batch in processing::by_integration(items) {
        if *stop.borrow() {
            processing::release(hub, &batch).await?;
            continue;
        }
        let batch = processing::still_held(hub, worker, batch).await?;
        if let Some(inbound) = processing::start_run(hub, batch).await? {
            let ending = execute_run(hub, inbound.run_id, worker, options, stop.clone()).await?;
            processing::settle_run(hub, inbound, ending).await?;
        }
    }
    Ok(())
}
