//! What the engine reads and writes in the hub's own database: the run's start of reading, its position, the
//! bindings of a page, and per record the binding and the record line together.
use std::collections::{HashMap, HashSet};

use chrono::Utc;
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::RunContext;
use super::plan::{UserFields, Written};
use crate::connections::people::{FieldChange, Person};
use crate::entities::{binding, run, run_record};
use crate::error::{DomainError, Result};
use crate::runs::lifecycle::{self, Counts};
use crate::runs::{Decision, Outcome};
use crate::{Hub, integrations::dates};

/// On the first claim: fixes the watermark this run reads from and when its reading started (the next
/// watermark). A resumed run keeps both.
pub(super) async fn begin_reading(
    hub: &Hub,
    run: run::Model,
) -> std::result::Result<run::Model, (run::Model, DomainError)> {
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

/// The people this run already has a line for (a resumed run skips them), and the counts so far.
pub(super) async fn recorded(db: &impl ConnectionTrait, run_id: Uuid) -> Result<(HashSet<String>, Counts)> {
    let ids: Vec<String> = run_record::Entity::find()
        .select_only()
        .column(run_record::Column::SourceId)
        .filter(run_record::Column::RunId.eq(run_id))
        .into_tuple()
        .all(db)
        .await?;
    let counts = if ids.is_empty() {
        Counts::default()
    } else {
        counts(db, run_id).await?
    };
    Ok((ids.into_iter().collect(), counts))
}

/// Counts from the record lines themselves: exact whatever happened to the in-memory ones.
pub async fn counts(db: &impl ConnectionTrait, run_id: Uuid) -> Result<Counts> {
    let rows: Vec<(Decision, Outcome, i64)> = run_record::Entity::find()
        .select_only()
        .column(run_record::Column::Decision)
        .column(run_record::Column::Outcome)
        .column_as(Expr::expr(Func::count(Expr::col(run_record::Column::Id))), "n")
        .filter(run_record::Column::RunId.eq(run_id))
        .group_by(run_record::Column::Decision)
        .group_by(run_record::Column::Outcome)
        .into_tuple()
        .all(db)
        .await?;
    let mut counts = Counts::default();
    for (decision, outcome, n) in rows {
        counts.add(decision, outcome, n);
    }
    Ok(counts)
}

impl Counts {
    pub fn add(&mut self, decision: Decision, outcome: Outcome, n: i64) {
        self.read += n;
        if decision == Decision::Filter {
            self.filtered += n;
        }
        match outcome {
            Outcome::Created | Outcome::Updated | Outcome::Deactivated | Outcome::DryRun => self.written += n,
            Outcome::Failed => self.errors += n,
            Outcome::Unchanged => {}
        }
    }
}

/// The bindings of a page's people, in one query.
pub(super) async fn bindings(
    db: &impl ConnectionTrait,
    integration_id: Uuid,
    people: &[Person],
) -> Result<HashMap<String, Written>> {
    if people.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<&str> = people.iter().map(|p| p.source_id.as_str()).collect();
    let rows = binding::Entity::find()
        .filter(binding::Column::IntegrationId.eq(integration_id))
        .filter(binding::Column::SourceId.is_in(ids))
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|b| {
            let fields: UserFields = serde_json::from_value(b.written).unwrap_or_default();
            (
                b.source_id,
                Written {
                    target_id: b.target_id,
                    hash: b.hash,
                    fields,
                    active: b.active,
                },
            )
        })
        .collect())
}

pub(super) async fn save_position(ctx: &RunContext, next: Option<&str>) -> Result<bool> {
    let counts = *ctx.counts.lock().expect("lock");
    lifecycle::checkpoint(&ctx.hub.db, ctx.run.id, &ctx.worker, counts, next).await
}

/// One person's line in the report.
pub(super) struct Line {
    pub source_id: String,
    pub name: String,
    pub target_id: Option<String>,
    pub decision: Decision,
    pub reason: Option<String>,
    pub outcome: Outcome,
    pub error: Option<String>,
    pub changes: Vec<FieldChange>,
}

/// Saves the record line, and the binding when something was written, in one transaction: a crash leaves both or
/// neither. Lines with nothing written wait for the page's end and go in one insert (a resumed run reads the page
/// again and writes them then), which is what makes an unchanged resync cheap.
pub(super) async fn save(ctx: &RunContext, line: Line, binding: Option<Written>) -> Result<()> {
    if binding.is_none() {
        ctx.pending.lock().expect("lock").push(line);
        return Ok(());
    }
    let now = Utc::now();
    let (decision, outcome) = (line.decision, line.outcome);
    let txn = ctx.hub.db.begin().await?;
    if let Some(written) = binding {
        let model = binding::ActiveModel {
            id: Set(Uuid::now_v7()),
            integration_id: Set(ctx.run.integration_id),
            source_id: Set(line.source_id.clone()),
            target_id: Set(written.target_id),
            hash: Set(written.hash),
            written: Set(serde_json::to_value(&written.fields).expect("fields serialise")),
            active: Set(written.active),
            updated_at: Set(now),
        };
        binding::Entity::insert(model)
            .on_conflict(
                OnConflict::columns([binding::Column::IntegrationId, binding::Column::SourceId])
                    .update_columns([
                        binding::Column::TargetId,
                        binding::Column::Hash,
                        binding::Column::Written,
                        binding::Column::Active,
                        binding::Column::UpdatedAt,
                    ])
                    .to_owned(),
            )
            .exec(&txn)
            .await?;
    }
    insert_lines(&txn, ctx.run.id, vec![line]).await?;
    txn.commit().await?;
    ctx.counts.lock().expect("lock").add(decision, outcome, 1);
    Ok(())
}

/// Writes the page's lines that waited (nothing written for them) in one statement.
pub(super) async fn flush(ctx: &RunContext) -> Result<()> {
    let lines = std::mem::take(&mut *ctx.pending.lock().expect("lock"));
    if lines.is_empty() {
        return Ok(());
    }
    let tally: Vec<(Decision, Outcome)> = lines.iter().map(|l| (l.decision, l.outcome)).collect();
    insert_lines(&ctx.hub.db, ctx.run.id, lines).await?;
    let mut counts = ctx.counts.lock().expect("lock");
    for (decision, outcome) in tally {
        counts.add(decision, outcome, 1);
    }
    Ok(())
}

/// Inserts lines; a line already there for the person (a page read again after a resume) is replaced.
async fn insert_lines(db: &impl ConnectionTrait, run_id: Uuid, lines: Vec<Line>) -> Result<()> {
    let now = Utc::now();
    let records = lines.into_iter().map(|line| run_record::ActiveModel {
        id: Set(Uuid::now_v7()),
        run_id: Set(run_id),
        source_id: Set(line.source_id),
        target_id: Set(line.target_id),
        name: Set(line.name),
        decision: Set(line.decision),
        reason: Set(line.reason),
        outcome: Set(line.outcome),
        error: Set(line.error),
        changes: Set(serde_json::to_value(&line.changes).expect("changes serialise")),
        created_at: Set(now),
    });
    run_record::Entity::insert_many(records)
        .on_conflict(
            OnConflict::columns([run_record::Column::RunId, run_record::Column::SourceId])
                .update_columns([
                    run_record::Column::TargetId,
                    run_record::Column::Name,
                    run_record::Column::Decision,
                    run_record::Column::Reason,
                    run_record::Column::Outcome,
                    run_record::Column::Error,
                    run_record::Column::Changes,
                ])
                .to_owned(),
        )
        .exec(db)
        .await?;
    Ok(())
}
