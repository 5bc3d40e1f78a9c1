//! Step 6, record: what a run leaves in the hub's own database — per person the binding (what was written) and the
//! record line, together, right after the write, so a crash loses nothing and a rerun writes nothing twice; the
//! position after every page; the counts; the log entries of the run. Also what the decision reads back: the
//! bindings of a page.
use std::collections::{HashMap, HashSet};

use std::sync::Mutex;

use chrono::Utc;
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set, TransactionTrait,
};
use uuid::Uuid;

use super::decide::{UserFields, Written};
use crate::connections::people::{FieldChange, Person};
use crate::entities::{binding, run, run_record};
use crate::error::Result;
use crate::logs::{self, LogLevel, NewLogEntry};
use crate::runs::lifecycle::{self, Counts};
use crate::runs::{Decision, Outcome};

/// The people this run already has a line for (a resumed run skips them), and the counts so far.
async fn recorded(db: &impl ConnectionTrait, run_id: Uuid) -> Result<(HashSet<String>, Counts)> {
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

/// One run's record keeper.
pub(super) struct Recorder {
    db: DatabaseConnection,
    run_id: Uuid,
    organisation_id: Uuid,
    integration_id: Uuid,
    worker: String,
    /// People of this run already recorded (a resumed run skips them).
    done: HashSet<String>,
    /// Kept in memory between checkpoints; counted again from the record lines at the end.
    counts: Mutex<Counts>,
    /// The page's lines with nothing written, saved together at the page's end.
    pending: Mutex<Vec<Line>>,
}

impl Recorder {
    /// Picks up what the run recorded before, if it is resumed.
    pub async fn open(db: DatabaseConnection, run: &run::Model, worker: &str) -> Result<Self> {
        let (done, counts) = recorded(&db, run.id).await?;
        Ok(Self {
            db,
            run_id: run.id,
            organisation_id: run.organisation_id,
            integration_id: run.integration_id,
            worker: worker.to_owned(),
            done,
            counts: Mutex::new(counts),
            pending: Mutex::default(),
        })
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn run_id(&self) -> Uuid {
        self.run_id
    }

    pub fn worker(&self) -> &str {
        &self.worker
    }

    pub fn counts(&self) -> Counts {
        *self.counts.lock().expect("lock")
    }

    /// How many people a resumed run had already recorded.
    pub fn resumed_with(&self) -> usize {
        self.done.len()
    }

    pub fn is_done(&self, source_id: &str) -> bool {
        self.done.contains(source_id)
    }

    /// Saves the position to go on from; false when the run is no longer this worker's.
    pub async fn checkpoint(&self, next: Option<&str>) -> Result<bool> {
        lifecycle::checkpoint(&self.db, self.run_id, &self.worker, self.counts(), next).await
    }

    /// Saves the record line, and the binding when something was written, in one transaction: a crash leaves both
    /// or neither. Lines with nothing written wait for the page's end and go in one insert (a resumed run reads
    /// the page again and writes them then), which is what makes an unchanged resync cheap.
    pub async fn save(&self, line: Line, binding: Option<Written>) -> Result<()> {
        let Some(written) = binding else {
            self.pending.lock().expect("lock").push(line);
            return Ok(());
        };
        let now = Utc::now();
        let (decision, outcome) = (line.decision, line.outcome);
        let txn = self.db.begin().await?;
        let model = binding::ActiveModel {
            id: Set(Uuid::now_v7()),
            integration_id: Set(self.integration_id),
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
        insert_lines(&txn, self.run_id, vec![line]).await?;
        txn.commit().await?;
        self.counts.lock().expect("lock").add(decision, outcome, 1);
        Ok(())
    }

    /// Writes the page's lines that waited (nothing written for them) in one statement.
    pub async fn flush(&self) -> Result<()> {
        let lines = std::mem::take(&mut *self.pending.lock().expect("lock"));
        if lines.is_empty() {
            return Ok(());
        }
        let tally: Vec<(Decision, Outcome)> = lines.iter().map(|l| (l.decision, l.outcome)).collect();
        insert_lines(&self.db, self.run_id, lines).await?;
        let mut counts = self.counts.lock().expect("lock");
        for (decision, outcome) in tally {
            counts.add(decision, outcome, 1);
        }
        Ok(())
    }

    /// A log entry about this run (and the person, when it is about one).
    pub async fn log(&self, level: LogLevel, message: String, source_id: Option<String>) {
        let entry = NewLogEntry {
            organisation_id: self.organisation_id,
            level,
            message,
            details: None,
            integration_id: Some(self.integration_id),
            run_id: Some(self.run_id),
            source_id,
        };
        if let Err(e) = logs::write(&self.db, entry).await {
            tracing::warn!(error = %e, "could not write a log entry");
        }
    }
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
