//! Step 6, record: what a run leaves in the hub's own database — per person the binding (what was written) and the
//! record line, together, right after the write, so a crash loses nothing and a rerun writes nothing twice; the
//! position after every page; the counts; the log entries of the run. Also what the decision reads back: the
//! bindings of a page.
use std::collections::{HashMap, HashSet};

use std::sync::Mutex;

use chrono::Utc;
use sea_orm::sea_query::{Expr, Func, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use super::decide::Written;
use crate::connections::people::{FieldChange, Person, UserField};
use crate::entities::{binding, run, run_record};
use crate::error::Result;
use crate::logs::{self, LogLevel, NewLogEntry};
use crate::runs::lifecycle::{self, Counts};
use crate::runs::{Decision, Outcome};

/// How many people this run already has a line for (a resumed run skips them), and the counts so far.
async fn recorded(db: &impl ConnectionTrait, run_id: Uuid) -> Result<(u64, Counts)> {
    let counts = counts(db, run_id).await?;
    Ok((u64::try_from(counts.read).unwrap_or_default(), counts))
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
            Outcome::Created | Outcome::Updated | Outcome::Deactivated => self.written += n,
            Outcome::DryRun => self.would_write += n,
            Outcome::Failed => self.errors += n,
            Outcome::Unchanged => {}
        }
    }
}

/// The bindings of a page's people and of their managers (whose target ids their manager links are), in one
/// query.
pub(super) async fn bindings(
    db: &impl ConnectionTrait,
    integration_id: Uuid,
    people: &[Person],
) -> Result<HashMap<String, Written>> {
    if people.is_empty() {
        return Ok(HashMap::new());
    }
    let mut ids: Vec<&str> = people.iter().map(|p| p.source_id.as_str()).collect();
    ids.extend(
        people
            .iter()
            .filter_map(|p| p.manager.as_ref())
            .map(|m| m.source_id.as_str()),
    );
    ids.sort_unstable();
    ids.dedup();
    // The fields come as text and are parsed only for the people whose hash changed.
    let rows: Vec<(String, String, String, bool, String)> = binding::Entity::find()
        .select_only()
        .column(binding::Column::SourceId)
        .column(binding::Column::TargetId)
        .column(binding::Column::Hash)
        .column(binding::Column::Active)
        .column_as(Expr::cust("CAST(written AS TEXT)"), "written")
        .filter(binding::Column::IntegrationId.eq(integration_id))
        .filter(binding::Column::SourceId.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(source_id, target_id, hash, active, written)| {
            (source_id, Written::stored(target_id, hash, active, written))
        })
        .collect())
}

/// People whose manager is in the target while their own user does not link to that manager's user (the manager
/// got there after them, or a run was stopped before it revisited them): the end of a run writes their links.
pub(super) async fn unlinked(db: &impl ConnectionTrait, integration_id: Uuid, limit: u64) -> Result<Vec<String>> {
    let backend = db.get_database_backend();
    let sql = format!(
        "SELECT b.source_id FROM bindings b JOIN bindings m \
         ON m.integration_id = b.integration_id AND m.source_id = b.manager_source_id \
         WHERE b.integration_id = {p1} AND b.active AND b.manager_source_id <> b.source_id \
         AND (b.manager_target_id IS NULL OR b.manager_target_id <> m.target_id) \
         ORDER BY b.source_id LIMIT {p2}",
        p1 = if backend == sea_orm::DatabaseBackend::Postgres {
            "$1"
        } else {
            "?"
        },
        p2 = if backend == sea_orm::DatabaseBackend::Postgres {
            "$2"
        } else {
            "?"
        },
    );
    let rows = db
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            backend,
            sql,
            [integration_id.into(), i64::try_from(limit).unwrap_or(i64::MAX).into()],
        ))
        .await?;
    rows.iter()
        .map(|row| row.try_get::<String>("", "source_id").map_err(Into::into))
        .collect()
}

/// One person's line in the report.
#[derive(Clone)]
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

/// A binding waiting to be saved with its person's line.
struct Bound {
    source_id: String,
    written: Written,
    manager: Option<String>,
}

/// What waits for the next flush: lines, the bindings of those written, and how the counts change once saved.
#[derive(Default)]
struct Pending {
    lines: Vec<Line>,
    bindings: Vec<Bound>,
    tally: Vec<(Decision, Outcome, i64)>,
}

/// One run's record keeper.
pub(super) struct Recorder {
    db: DatabaseConnection,
    run_id: Uuid,
    organisation_id: Uuid,
    integration_id: Uuid,
    worker: String,
    /// How many people the run had recorded before this attempt, and when this attempt began: a resumed run skips
    /// the people recorded before it, looked up page by page so that memory does not grow with the run.
    resumed_with: u64,
    opened_at: chrono::DateTime<Utc>,
    /// Of the page being written, those recorded before this attempt.
    done: Mutex<HashSet<String>>,
    /// Kept in memory between checkpoints; counted again from the record lines at the end.
    counts: Mutex<Counts>,
    pending: Mutex<Pending>,
    /// Bindings saved by this attempt, and at how many the table's statistics are renewed.
    grown: Mutex<Growth>,
}

/// PostgreSQL plans the read of a batch's bindings from the table's statistics. A run that fills the table faster
/// than autovacuum looks (or where it is off) leaves them describing a nearly empty one, and each read then scans
/// every binding of the integration: 56 ms a batch at 90,000 bindings, found by the benchmark, where the planned
/// index look-up takes 3 ms. So a run renews them itself each time the bindings it saved double; only the two
/// columns the look-up filters on, which costs a few milliseconds.
struct Growth {
    saved: u64,
    analyse_at: u64,
}

impl Default for Growth {
    fn default() -> Self {
        Self {
            saved: 0,
            analyse_at: 1_000,
        }
    }
}

impl Recorder {
    /// Picks up what the run recorded before, if it is resumed.
    pub async fn open(db: DatabaseConnection, run: &run::Model, worker: &str) -> Result<Self> {
        let opened_at = Utc::now();
        let (resumed_with, counts) = recorded(&db, run.id).await?;
        Ok(Self {
            db,
            run_id: run.id,
            organisation_id: run.organisation_id,
            integration_id: run.integration_id,
            worker: worker.to_owned(),
            resumed_with,
            opened_at,
            done: Mutex::default(),
            counts: Mutex::new(counts),
            pending: Mutex::default(),
            grown: Mutex::default(),
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
    pub fn resumed_with(&self) -> u64 {
        self.resumed_with
    }

    /// Learns which of a page's people the run recorded before this attempt (nothing to look up for a run that
    /// was not resumed).
    pub async fn load_done(&self, people: &[Person]) -> Result<()> {
        if self.resumed_with == 0 {
            return Ok(());
        }
        let ids: Vec<&str> = people.iter().map(|p| p.source_id.as_str()).collect();
        let done: Vec<String> = run_record::Entity::find()
            .select_only()
            .column(run_record::Column::SourceId)
            .filter(run_record::Column::RunId.eq(self.run_id))
            .filter(run_record::Column::SourceId.is_in(ids))
            .filter(run_record::Column::CreatedAt.lt(self.opened_at))
            .into_tuple()
            .all(&self.db)
            .await?;
        *self.done.lock().expect("lock") = done.into_iter().collect();
        Ok(())
    }

    pub fn is_done(&self, source_id: &str) -> bool {
        self.done.lock().expect("lock").contains(source_id)
    }

    /// Saves the position to go on from; false when the run is no longer this worker's.
    pub async fn checkpoint(&self, next: Option<&str>) -> Result<bool> {
        lifecycle::checkpoint(&self.db, self.run_id, &self.worker, self.counts(), next).await
    }

    /// Keeps the record line, and the binding when something was written, for the next flush, which saves a
    /// wave's bindings and lines in one transaction: a crash leaves both or neither. A person written to the target
    /// whose binding a crash lost is found there again by the resumed run (by external id or email) and linked,
    /// never created twice.
    pub fn save(&self, line: Line, binding: Option<Written>, manager: Option<&str>) {
        self.save_over(line, binding, manager, None);
    }

    /// Keeps a line that replaces one this run saved before (a person visited again for their manager link);
    /// `replaces` is what the old line counted as.
    pub fn save_over(
        &self,
        line: Line,
        binding: Option<Written>,
        manager: Option<&str>,
        replaces: Option<(Decision, Outcome)>,
    ) {
        let mut pending = self.pending.lock().expect("lock");
        if let Some((decision, outcome)) = replaces {
            pending.tally.push((decision, outcome, -1));
        }
        pending.tally.push((line.decision, line.outcome, 1));
        if let Some(written) = binding {
            pending.bindings.push(Bound {
                source_id: line.source_id.clone(),
                written,
                manager: manager.map(str::to_owned),
            });
        }
        pending.lines.push(line);
    }

    /// Saves what waited if a binding is among it (the next wave needs to read it); true when it did.
    pub async fn flush_written(&self) -> Result<bool> {
        if self.pending.lock().expect("lock").bindings.is_empty() {
            return Ok(false);
        }
        self.flush().await?;
        Ok(true)
    }

    /// Saves what waited: the bindings and the lines in one transaction, each kind in one statement.
    pub async fn flush(&self) -> Result<()> {
        let Pending { lines, bindings, tally } = std::mem::take(&mut *self.pending.lock().expect("lock"));
        if lines.is_empty() {
            return Ok(());
        }
        let saved = bindings.len();
        if bindings.is_empty() {
            insert_lines(&self.db, self.run_id, lines).await?;
        } else {
            let txn = crate::database::begin_write(&self.db).await?;
            upsert_bindings(&txn, self.integration_id, bindings).await?;
            insert_lines(&txn, self.run_id, lines).await?;
            txn.commit().await?;
        }
        self.tally(tally);
        self.grew(saved).await;
        Ok(())
    }

    /// Saves what waited and the position to go on from, in one transaction; false when the run is no longer this
    /// worker's. What was written is saved either way: the target holds it.
    pub async fn flush_and_checkpoint(&self, next: &str) -> Result<bool> {
        let Pending { lines, bindings, tally } = std::mem::take(&mut *self.pending.lock().expect("lock"));
        let mut counts = self.counts();
        for (decision, outcome, n) in &tally {
            counts.add(*decision, *outcome, *n);
        }
        let saved = bindings.len();
        let txn = crate::database::begin_write(&self.db).await?;
        if !bindings.is_empty() {
            upsert_bindings(&txn, self.integration_id, bindings).await?;
        }
        if !lines.is_empty() {
            insert_lines(&txn, self.run_id, lines).await?;
        }
        let held = lifecycle::checkpoint(&txn, self.run_id, &self.worker, counts, Some(next)).await?;
        txn.commit().await?;
        self.tally(tally);
        self.grew(saved).await;
        Ok(held)
    }

    /// Renews PostgreSQL's statistics of the bindings once those this run saved have doubled (see `Growth`). Only
    /// a speed-up: a refusal (a database user that may not ANALYZE, say) is logged and the run goes on.
    async fn grew(&self, saved: usize) {
        let due = {
            let mut grown = self.grown.lock().expect("lock");
            grown.saved += saved as u64;
            let due = grown.saved >= grown.analyse_at;
            if due {
                grown.analyse_at = grown.saved * 2;
            }
            due
        };
        if due
            && crate::database::is_postgres(&self.db)
            && let Err(e) = self
                .db
                .execute_unprepared("ANALYZE bindings (integration_id, source_id)")
                .await
        {
            tracing::warn!(error = %e, "could not renew the bindings' statistics");
        }
    }

    fn tally(&self, tally: Vec<(Decision, Outcome, i64)>) {
        let mut counts = self.counts.lock().expect("lock");
        for (decision, outcome, n) in tally {
            counts.add(decision, outcome, n);
        }
    }

    /// The person's line in this run so far, if it has one (a resumed run revisiting someone an earlier attempt
    /// wrote).
    pub async fn line_of(&self, source_id: &str) -> Result<Option<Line>> {
        let row = run_record::Entity::find()
            .filter(run_record::Column::RunId.eq(self.run_id))
            .filter(run_record::Column::SourceId.eq(source_id))
            .one(&self.db)
            .await?;
        Ok(row.map(|r| Line {
            source_id: r.source_id,
            name: r.name,
            target_id: r.target_id,
            decision: r.decision,
            reason: r.reason,
            outcome: r.outcome,
            error: r.error,
            changes: serde_json::from_value(r.changes).unwrap_or_default(),
        }))
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

/// Rows per insert statement: each size of statement is prepared and cached per database connection, and a few
/// hundred rows' worth of statement costs megabytes there (a batch of 500 in one statement raised the hub's peak
/// memory by 70 MB).
const ROWS_PER_STATEMENT: usize = 100;

/// Saves bindings; one already there for the person is replaced. A person saved twice since the last flush keeps
/// the later (one statement may not touch a row twice).
async fn upsert_bindings(db: &impl ConnectionTrait, integration_id: Uuid, bindings: Vec<Bound>) -> Result<()> {
    let now = Utc::now();
    let models = last_of_each(bindings, |b| b.source_id.clone()).map(|b| {
        let fields = b.written.fields();
        binding::ActiveModel {
            id: Set(Uuid::now_v7()),
            integration_id: Set(integration_id),
            source_id: Set(b.source_id),
            manager_target_id: Set(fields.get(&UserField::Manager).cloned().flatten()),
            written: Set(serde_json::to_value(fields).expect("fields serialise")),
            target_id: Set(b.written.target_id),
            hash: Set(b.written.hash),
            active: Set(b.written.active),
            manager_source_id: Set(b.manager),
            updated_at: Set(now),
        }
    });
    let conflict = OnConflict::columns([binding::Column::IntegrationId, binding::Column::SourceId])
        .update_columns([
            binding::Column::TargetId,
            binding::Column::Hash,
            binding::Column::Written,
            binding::Column::Active,
            binding::Column::ManagerSourceId,
            binding::Column::ManagerTargetId,
            binding::Column::UpdatedAt,
        ])
        .to_owned();
    upsert_in_statements(db, models, conflict).await
}

/// Inserts the rows `ROWS_PER_STATEMENT` a statement, replacing on `conflict`.
async fn upsert_in_statements<A>(
    db: &impl ConnectionTrait,
    mut rows: impl Iterator<Item = A>,
    conflict: OnConflict,
) -> Result<()>
where
    A: sea_orm::ActiveModelTrait + Send,
{
    loop {
        let chunk: Vec<A> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        A::Entity::insert_many(chunk)
            .on_conflict(conflict.clone())
            .exec(db)
            .await?;
    }
}

/// The items in their order, each key's last only.
pub(super) fn last_of_each<T>(items: Vec<T>, key: impl Fn(&T) -> String) -> impl Iterator<Item = T> {
    let mut last: HashMap<String, usize> = HashMap::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        last.insert(key(item), i);
    }
    items
        .into_iter()
        .enumerate()
        .filter(move |(i, item)| last.get(&key(item)) == Some(i))
        .map(|(_, item)| item)
}

/// Inserts lines; a line already there for the person (a page read again after a resume) is replaced.
async fn insert_lines(db: &impl ConnectionTrait, run_id: Uuid, lines: Vec<Line>) -> Result<()> {
    let now = Utc::now();
    let records = last_of_each(lines, |l| l.source_id.clone()).map(|line| run_record::ActiveModel {
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
    let conflict = OnConflict::columns([run_record::Column::RunId, run_record::Column::SourceId])
        .update_columns([
            run_record::Column::TargetId,
            run_record::Column::Name,
            run_record::Column::Decision,
            run_record::Column::Reason,
            run_record::Column::Outcome,
            run_record::Column::Error,
            run_record::Column::Changes,
        ])
        .to_owned();
    upsert_in_statements(db, records, conflict).await
}
