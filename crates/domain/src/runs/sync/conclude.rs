//! The end of a run: how it ended (done, partial, cancelled, given back at shutdown, or lost to another worker),
//! counted from its record lines; the watermark moved on after a complete read; or, when the run failed as a whole,
//! a retry after a backoff or, on the last attempt, failed for good.

use super::heartbeat::Flags;
use super::record::{self, Recorder};
use super::{Abort, Options};
use crate::Hub;
use crate::connections;
use crate::entities::run;
use crate::error::{DomainError, Result};
use crate::integrations::dates;
use crate::logs::{self, LogLevel, NewLogEntry};
use crate::runs::RunStatus;
use crate::runs::lifecycle::{self, Ending};

/// The run read everything (or was stopped): record how it ended.
pub(super) async fn conclude(run: &run::Model, flags: &Flags, recorder: &Recorder) -> Result<Ending> {
    let (db, worker) = (recorder.db(), recorder.worker());
    let counts = record::counts(db, run.id).await?;
    if Flags::is(&flags.lost) {
        return Ok(Ending::Lost);
    }
    if Flags::is(&flags.cancel) {
        lifecycle::mark_cancelled(db, run.id, worker, counts).await?;
        recorder
            .log(LogLevel::Info, format!("run {} cancelled", run.number), None)
            .await;
        return Ok(Ending::Finished(RunStatus::Cancelled));
    }
    if Flags::is(&flags.stop) {
        lifecycle::release(db, run.id, worker, counts).await?;
        return Ok(Ending::Released);
    }
    let status = if counts.errors == 0 {
        RunStatus::Done
    } else {
        RunStatus::Partial
    };
    let error = match counts.errors {
        0 => None,
        1 => Some("1 record failed".to_owned()),
        n => Some(format!("{n} records failed")),
    };
    if !lifecycle::finish(db, run.id, worker, status, counts, error).await? {
        return Ok(Ending::Lost);
    }
    // A partial run keeps the old watermark, so the next incremental read offers its failed people again.
    if status == RunStatus::Done
        && !run.dry_run
        && run.source_ids.is_none()
        && let Some(read_from) = run.read_started_at
    {
        dates::set(db, run.integration_id, dates::EMPLOYEES_UPDATED_SINCE, read_from).await?;
    }
    let level = if status == RunStatus::Done {
        LogLevel::Info
    } else {
        LogLevel::Warning
    };
    recorder
        .log(
            level,
            format!(
                "run {} finished {}: read {}, filtered {}, {} {}, errors {}",
                run.number,
                if status == RunStatus::Done {
                    "complete"
                } else {
                    "partial"
                },
                counts.read,
                counts.filtered,
                if run.dry_run { "would write" } else { "written" },
                if run.dry_run {
                    counts.would_write
                } else {
                    counts.written
                },
                counts.errors
            ),
            None,
        )
        .await;
    Ok(Ending::Finished(status))
}

/// The run failed as a whole: retry later, or fail for good on the last attempt.
pub(super) async fn give_up(
    hub: &Hub,
    run: &run::Model,
    worker: &str,
    options: &Options,
    abort: Abort,
) -> Result<Ending> {
    let (message, hint) = match abort {
        Abort::Failed { message, retry_after } => (message, retry_after),
        Abort::Auth { connection_id, message } => {
            connections::record_auth_failure(hub, connection_id, &message).await?;
            (format!("access refused: {message}"), None)
        }
        Abort::Db(DomainError::Database(e)) => return Err(e.into()),
        Abort::Db(other) => (other.to_string(), None),
    };
    let delay = lifecycle::backoff(options.retry_base, run.attempt, options.retry_cap).max(hint.unwrap_or_default());
    let ending = lifecycle::fail(&hub.db, run, worker, &message, delay).await?;
    let (level, text) = match ending {
        Ending::Finished(_) => (
            LogLevel::Critical,
            format!("run {} failed after {} attempts: {message}", run.number, run.attempt),
        ),
        _ => (
            LogLevel::Error,
            format!(
                "run {} attempt {} failed, will retry: {message}",
                run.number, run.attempt
            ),
        ),
    };
    let entry = NewLogEntry {
        organisation_id: run.organisation_id,
        level,
        message: text,
        details: None,
        integration_id: Some(run.integration_id),
        run_id: Some(run.id),
        source_id: None,
    };
    if let Err(e) = logs::write(&hub.db, entry).await {
        tracing::warn!(error = %e, "could not write a log entry");
    }
    Ok(ending)
}
