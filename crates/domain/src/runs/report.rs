//! Run reports: runs of an integration, one run, its record lines (also as CSV), with times in UTC and in the zone
//! asked for (the organisation's by default).
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use futures::{Stream, StreamExt, stream};
use sea_orm::{ActiveEnum, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Decision, Outcome, RunStatus, RunTrigger};
use crate::connections::people::FieldChange;
use crate::entities::{organisation, run, run_record};
use crate::error::{DomainError, Result};
use crate::pagination::{self, Page, PageRequest};
use crate::{Hub, Principal, integrations, validate};

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Run {
    pub id: Uuid,
    /// Counts up per integration from 1.
    pub number: i64,
    pub integration_id: Uuid,
    pub schedule_id: Option<Uuid>,
    pub trigger: RunTrigger,
    pub status: RunStatus,
    pub attempt: i32,
    pub max_attempts: i32,
    /// The integration was in `test`: nothing was written to the target.
    pub dry_run: bool,
    /// Everyone was read, not only the changed.
    pub full: bool,
    /// For a replay: the run whose failed records it retries.
    pub replay_of: Option<Uuid>,
    /// The incremental read's watermark, when the run read only the changed.
    pub since: Option<DateTime<Utc>>,
    pub queued_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub heartbeat_at: Option<DateTime<Utc>>,
    pub records_read: i64,
    pub records_filtered: i64,
    /// Created, updated or deactivated in the target (a dry run writes nothing: 0).
    pub records_written: i64,
    /// A dry run's count of what it would have written; 0 for a run that writes.
    pub records_would_write: i64,
    pub records_errors: i64,
    /// Why the run failed, or how many records did.
    pub error: Option<String>,
    pub cancel_requested: bool,
    /// When retention removed this run's record lines (the counts above stay); null while they are kept.
    pub records_removed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    /// The same times in the zone asked for.
    pub local: LocalTimes,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LocalTimes {
    #[schema(example = "Australia/Sydney")]
    pub timezone: String,
    #[schema(example = "2026-11-25T21:00:00+11:00")]
    pub queued_at: Option<String>,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
}

impl Run {
    fn from_model(m: run::Model, zone: Tz) -> Self {
        let local = |t: Option<DateTime<Utc>>| t.map(|t| t.with_timezone(&zone).to_rfc3339());
        Self {
            local: LocalTimes {
                timezone: zone.name().to_owned(),
                queued_at: local(Some(m.queued_at)),
                started_at: local(m.started_at),
                finished_at: local(m.finished_at),
            },
            id: m.id,
            number: m.number,
            integration_id: m.integration_id,
            schedule_id: m.schedule_id,
            trigger: m.trigger,
            status: m.status,
            attempt: m.attempt,
            max_attempts: m.max_attempts,
            dry_run: m.dry_run,
            full: m.full,
            replay_of: m.replay_of,
            since: m.since,
            queued_at: m.queued_at,
            started_at: m.started_at,
            finished_at: m.finished_at,
            heartbeat_at: m.heartbeat_at,
            records_read: m.records_read,
            records_filtered: m.records_filtered,
            records_written: m.records_written,
            records_would_write: m.records_would_write,
            records_errors: m.records_errors,
            error: m.error,
            cancel_requested: m.cancel_requested,
            records_removed_at: m.records_removed_at,
            created_at: m.created_at,
        }
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunRecord {
    pub id: Uuid,
    /// The person's display name.
    #[schema(example = "Grace Hopper")]
    pub name: String,
    pub source_id: String,
    pub target_id: Option<String>,
    pub decision: Decision,
    /// Why a record was filtered, linked or skipped.
    pub reason: Option<String>,
    pub outcome: Outcome,
    pub error: Option<String>,
    /// Fields written (or that would have been, in a dry run), old → new.
    pub changes: Vec<FieldChange>,
    pub created_at: DateTime<Utc>,
    pub local_created_at: String,
}

impl RunRecord {
    fn from_model(m: run_record::Model, zone: Tz) -> Self {
        Self {
            id: m.id,
            name: m.name,
            source_id: m.source_id,
            target_id: m.target_id,
            decision: m.decision,
            reason: m.reason,
            outcome: m.outcome,
            error: m.error,
            changes: serde_json::from_value(m.changes).unwrap_or_default(),
            local_created_at: m.created_at.with_timezone(&zone).to_rfc3339(),
            created_at: m.created_at,
        }
    }
}

/// `tz=Area/City` on every report endpoint.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Zone {
    /// IANA time zone for the local times (default: the organisation's).
    #[param(example = "Australia/Sydney")]
    pub tz: Option<String>,
}

async fn zone(hub: &Hub, who: &Principal, asked: &Zone) -> Result<Tz> {
    if let Some(tz) = asked.tz.as_deref() {
        return validate::timezone("tz", tz);
    }
    let org = organisation::Entity::find_by_id(who.organisation_id)
        .one(&hub.db)
        .await?
        .ok_or(DomainError::NotFound("organisation"))?;
    Ok(org.timezone.parse().unwrap_or(chrono_tz::Australia::Sydney))
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RunFilters {
    pub status: Option<RunStatus>,
    pub trigger: Option<RunTrigger>,
    /// Runs created at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Runs created before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RecordFilters {
    pub decision: Option<Decision>,
    pub outcome: Option<Outcome>,
}

pub async fn list(
    hub: &Hub,
    who: &Principal,
    integration_id: Uuid,
    filters: &RunFilters,
    page: &PageRequest,
    asked: &Zone,
) -> Result<Page<Run>> {
    let cursor = page.parse()?;
    let zone = zone(hub, who, asked).await?;
    if let (Some(from), Some(to)) = (filters.from, filters.to)
        && from > to
    {
        return Err(DomainError::invalid("from", "must not be after `to`"));
    }
    integrations::find(hub, who, integration_id).await?;
    let mut select = run::Entity::find().filter(run::Column::IntegrationId.eq(integration_id));
    if let Some(status) = filters.status {
        select = select.filter(run::Column::Status.eq(status));
    }
    if let Some(trigger) = filters.trigger {
        select = select.filter(run::Column::Trigger.eq(trigger));
    }
    if let Some(from) = filters.from {
        select = select.filter(run::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filters.to {
        select = select.filter(run::Column::CreatedAt.lt(to));
    }
    let page = pagination::fetch_newest_first(&hub.db, select, run::Column::Id, cursor, |m| m.id).await?;
    Ok(page.map(|m| Run::from_model(m, zone)))
}

pub(crate) async fn find(hub: &Hub, who: &Principal, id: Uuid) -> Result<run::Model> {
    run::Entity::find_by_id(id)
        .filter(run::Column::OrganisationId.eq(who.organisation_id))
        .one(&hub.db)
        .await?
        .ok_or(DomainError::NotFound("run"))
}

pub async fn get(hub: &Hub, who: &Principal, id: Uuid, asked: &Zone) -> Result<Run> {
    let zone = zone(hub, who, asked).await?;
    Ok(Run::from_model(find(hub, who, id).await?, zone))
}

pub(crate) fn present(model: run::Model, zone: Tz) -> Run {
    Run::from_model(model, zone)
}

pub(crate) async fn zone_of(hub: &Hub, who: &Principal) -> Result<Tz> {
    zone(hub, who, &Zone::default()).await
}

fn records_query(run_id: Uuid, filters: &RecordFilters) -> Select<run_record::Entity> {
    let mut select = run_record::Entity::find().filter(run_record::Column::RunId.eq(run_id));
    if let Some(decision) = filters.decision {
        select = select.filter(run_record::Column::Decision.eq(decision));
    }
    if let Some(outcome) = filters.outcome {
        select = select.filter(run_record::Column::Outcome.eq(outcome));
    }
    select
}

pub async fn records(
    hub: &Hub,
    who: &Principal,
    run_id: Uuid,
    filters: &RecordFilters,
    page: &PageRequest,
    asked: &Zone,
) -> Result<Page<RunRecord>> {
    let cursor = page.parse()?;
    let zone = zone(hub, who, asked).await?;
    kept(&find(hub, who, run_id).await?)?;
    let page = pagination::fetch(
        &hub.db,
        records_query(run_id, filters),
        run_record::Column::Id,
        cursor,
        |m| m.id,
    )
    .await?;
    Ok(page.map(|m| RunRecord::from_model(m, zone)))
}

/// Lines one query of the CSV export reads: what the export holds in memory at once, whatever the run's size.
const CSV_PAGE: u64 = 1000;

const CSV_HEADER: [&str; 10] = [
    "name",
    "source_id",
    "target_id",
    "decision",
    "reason",
    "outcome",
    "error",
    "changes",
    "time_utc",
    "time_local",
];

/// Every record line as CSV, a chunk per page of lines read in id order (keyset, never OFFSET), so a run of a
/// million people streams in constant memory. The run, the zone and retention are checked before the first byte;
/// a database error later ends the stream (the client sees a cut-off download, not a 200 with half a file marked
/// complete).
pub async fn records_csv(
    hub: &Hub,
    who: &Principal,
    run_id: Uuid,
    filters: &RecordFilters,
    asked: &Zone,
) -> Result<impl Stream<Item = Result<Vec<u8>>> + Send + 'static> {
    let zone = zone(hub, who, asked).await?;
    kept(&find(hub, who, run_id).await?)?;
    let header = csv_rows(std::iter::once(CSV_HEADER.map(str::to_owned)))?;
    let pages = CsvPages {
        db: hub.db.clone(),
        run_id,
        filters: filters.clone(),
        zone,
        after: None,
        done: false,
    };
    let rows = stream::try_unfold(pages, |mut pages| async move {
        if pages.done {
            return Ok(None);
        }
        let mut select = records_query(pages.run_id, &pages.filters)
            .order_by_asc(run_record::Column::Id)
            .limit(CSV_PAGE);
        if let Some(after) = pages.after {
            select = select.filter(run_record::Column::Id.gt(after));
        }
        let slice = select.all(&pages.db).await?;
        pages.done = (slice.len() as u64) < CSV_PAGE;
        let Some(last) = slice.last() else {
            return Ok(None);
        };
        pages.after = Some(last.id);
        let zone = pages.zone;
        let chunk = csv_rows(slice.into_iter().map(|m| csv_line(RunRecord::from_model(m, zone))))?;
        Ok(Some((chunk, pages)))
    });
    Ok(stream::once(async { Ok(header) }).chain(rows))
}

struct CsvPages {
    db: DatabaseConnection,
    run_id: Uuid,
    filters: RecordFilters,
    zone: Tz,
    after: Option<Uuid>,
    done: bool,
}

fn csv_line(r: RunRecord) -> [String; 10] {
    let changes = r
        .changes
        .iter()
        .map(|c| {
            format!(
                "{}: {} → {}",
                serde_json::to_value(c.field)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                c.old.as_deref().unwrap_or("∅"),
                c.new.as_deref().unwrap_or("∅")
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    [
        r.name,
        r.source_id,
        r.target_id.unwrap_or_default(),
        r.decision.to_value(),
        r.reason.unwrap_or_default(),
        r.outcome.to_value(),
        r.error.unwrap_or_default(),
        changes,
        r.created_at.to_rfc3339(),
        r.local_created_at,
    ]
}

/// Rows as CSV bytes (quoted where a field needs it), every cell inert in a spreadsheet.
fn csv_rows(rows: impl IntoIterator<Item = [String; 10]>) -> Result<Vec<u8>> {
    let mut out = csv::Writer::from_writer(Vec::new());
    for mut row in rows {
        row.iter_mut().for_each(make_inert);
        out.write_record(&row).map_err(csv_error)?;
    }
    out.into_inner()
        .map_err(|e| DomainError::Internal(format!("writing CSV: {e}")))
}

/// A run whose lines retention removed answers that, not an empty list.
pub(crate) fn kept(run: &run::Model) -> Result<()> {
    match run.records_removed_at {
        None => Ok(()),
        Some(at) => Err(DomainError::Gone {
            code: "records_removed",
            message: format!(
                "the record lines of run {} were removed by retention on {}; its counts remain",
                run.number,
                at.format("%Y-%m-%d %H:%M UTC")
            ),
        }),
    }
}

/// A cell a spreadsheet would read as a formula (names and errors come from the HR system and the target, which an
/// outsider may write to) is given a leading `'`, which spreadsheets show as text (OWASP, "CSV Injection").
fn make_inert(cell: &mut String) {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        cell.insert(0, '\'');
    }
}

fn csv_error(e: csv::Error) -> DomainError {
    DomainError::Internal(format!("writing CSV: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_a_spreadsheet_would_run_are_exported_as_text() {
        let inert = |cell: &str| {
            let mut cell = cell.to_owned();
            make_inert(&mut cell);
            cell
        };
        for formula in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(inert(formula), format!("'{formula}"));
        }
        assert_eq!(inert("Grace Hopper"), "Grace Hopper");
        assert_eq!(inert(""), "");
    }
}
