//! The retention loop: every tick, removes the record lines of runs past the retention policy (see
//! `runs::retention`), in small batches so the runs writing lines meanwhile are never held up for long.
use ihub_domain::Hub;
use ihub_domain::runs::retention;
use tokio::sync::watch;

use crate::settings::RetentionSettings;
use crate::tick;

pub async fn run(hub: Hub, settings: RetentionSettings, stop: watch::Receiver<bool>) {
    tick::every(settings.tick, "retention", stop, || async {
        let pruned = retention::prune(&hub.db, &settings.policy, chrono::Utc::now()).await?;
        if pruned.runs > 0 {
            tracing::info!(
                runs = pruned.runs,
                lines = pruned.lines,
                "removed record lines past retention"
            );
        }
        Ok(())
    })
    .await;
}
