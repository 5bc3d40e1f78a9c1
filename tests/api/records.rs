//! A run's record lines over time: the CSV export streams however many there are, and retention removes old runs'
//! lines while the runs keep their counts and the report says the lines are gone.
use chrono::{DateTime, Duration, TimeZone, Utc};
use ihub_domain::entities::{run, run_record};
use ihub_domain::runs::retention::{self, Policy, Pruned};
use ihub_domain::runs::{Decision, Outcome, RunSpec, RunStatus, RunTrigger};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::json;
use uuid::Uuid;

use crate::harness::journeys::{parse_csv, records_csv};
use crate::harness::{Session, TestHub};
use crate::on_both_backends;

on_both_backends!(
    the_csv_export_streams_every_line_once_in_order,
    retention_removes_old_runs_lines_in_batches_and_the_report_says_so,
);

/// A run of the integration, ended `status`, created at `created_at`, with these record lines (their run id set here).
async fn insert_run(
    t: &TestHub,
    admin: &Session,
    integration: Uuid,
    status: RunStatus,
    created_at: DateTime<Utc>,
    lines: Vec<run_record::ActiveModel>,
) -> run::Model {
    let spec = RunSpec {
        organisation_id: admin.organisation_id,
        integration_id: integration,
        schedule_id: None,
        trigger: RunTrigger::Manual,
        dry_run: false,
        full: true,
        params: json!({}),
        source_ids: None,
        replay_of: None,
        max_attempts: 3,
    };
    let run = ihub_domain::runs::insert_queued(&t.hub.db, spec).await.unwrap();
    let count = lines.len() as i64;
    let lines: Vec<_> = lines
        .into_iter()
        .map(|mut line| {
            line.run_id = Set(run.id);
            line
        })
        .collect();
    for chunk in lines.chunks(500) {
        run_record::Entity::insert_many(chunk.to_vec())
            .exec(&t.hub.db)
            .await
            .unwrap();
    }
    run::Entity::update_many()
        .col_expr(run::Column::Status, Expr::value(status))
        .col_expr(run::Column::CreatedAt, Expr::value(created_at))
        .col_expr(run::Column::RecordsRead, Expr::value(count))
        .filter(run::Column::Id.eq(run.id))
        .exec(&t.hub.db)
        .await
        .unwrap();
    run
}

/// Lines with ids in ascending order (the export's order), the `i`th person named by `name(i)`, every fifth failed.
fn lines(n: usize, at: DateTime<Utc>, name: impl Fn(usize) -> String) -> Vec<run_record::ActiveModel> {
    let mut ids: Vec<Uuid> = (0..n).map(|_| Uuid::now_v7()).collect();
    ids.sort();
    ids.into_iter()
        .enumerate()
        .map(|(i, id)| {
            let failed = i % 5 == 0;
            run_record::ActiveModel {
                id: Set(id),
                run_id: Set(Uuid::nil()),
                source_id: Set(format!("p{i:05}")),
                target_id: Set((!failed).then(|| format!("t{i}"))),
                name: Set(name(i)),
                decision: Set(if failed { Decision::Update } else { Decision::Create }),
                reason: Set(None),
                outcome: Set(if failed { Outcome::Failed } else { Outcome::Created }),
                error: Set(failed.then(|| "refused: \"email\" taken,\nsee target".to_owned())),
                changes: Set(json!([{"field": "email", "old": null, "new": format!("p{i}@example.com")}])),
                created_at: Set(at),
            }
        })
        .collect()
}

async fn the_csv_export_streams_every_line_once_in_order(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let (_, _, integration) = t.integration(&admin, "Export").await;
    let integration: Uuid = integration["id"].as_str().unwrap().parse().unwrap();
    // Names that need quoting: commas, quotes, line breaks, and plain ones.
    let name = |i: usize| match i % 4 {
        0 => format!("Smith, Jo {i}"),
        1 => format!("Jo \"JJ\" {i}"),
        2 => format!("Line\nbreak {i}"),
        _ => format!("Plain {i}"),
    };
    let at = Utc.with_ymd_and_hms(2026, 7, 1, 9, 30, 0).unwrap();
    let run = insert_run(&t, &admin, integration, RunStatus::Done, at, lines(5_000, at, name)).await;

    let all = records_csv(&t, &admin, run.id, "").await;
    // Streamed: sent in chunks as pages are read, so no length is known up front.
    assert!(all.header("content-length").is_none(), "{:?}", all.headers);
    let rows = parse_csv(&all);
    assert_eq!(rows.len(), 5_000, "every line once");
    for (i, row) in rows.iter().enumerate() {
        assert_eq!(&row[1], format!("p{i:05}"), "in order, none twice");
        assert_eq!(&row[0], name(i), "quoted and read back whole");
    }
    assert_eq!(&rows[0][6], "refused: \"email\" taken,\nsee target");
    assert_eq!(&rows[1][7], "email: ∅ → p1@example.com");
    assert_eq!(&rows[1][8], "2026-07-01T09:30:00+00:00");
    assert_eq!(
        &rows[1][9], "2026-07-01T19:30:00+10:00",
        "the organisation's zone by default"
    );

    let failed = parse_csv(&records_csv(&t, &admin, run.id, "?outcome=failed&tz=Europe/London").await);
    assert_eq!(failed.len(), 1_000);
    for (n, row) in failed.iter().enumerate() {
        assert_eq!(&row[1], format!("p{:05}", n * 5));
        assert_eq!((&row[3], &row[5]), ("update", "failed"));
        assert_eq!(&row[9], "2026-07-01T10:30:00+01:00");
    }
    let created = parse_csv(&records_csv(&t, &admin, run.id, "?decision=create").await);
    assert_eq!(created.len(), 4_000);

    // Another organisation's run is not found, before any byte of CSV.
    let other = t.organisation("Other").await;
    records_csv(&t, &other, run.id, "")
        .await
        .expect_problem(404, "not_found");
}

async fn retention_removes_old_runs_lines_in_batches_and_the_report_says_so(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let (_, _, busy) = t.integration(&admin, "Busy").await;
    let busy: Uuid = busy["id"].as_str().unwrap().parse().unwrap();
    let (_, _, quiet) = t.integration(&admin, "Quiet").await;
    let quiet: Uuid = quiet["id"].as_str().unwrap().parse().unwrap();
    let now = Utc::now();
    let old = now - Duration::days(40);
    let young = now - Duration::days(5);
    let policy = Policy {
        keep_runs: 2,
        keep_days: 30,
        batch: 7,
    };
    let mut busy_runs = Vec::new();
    for (status, created_at) in [
        (RunStatus::Done, old),       // past both limits: removed
        (RunStatus::Failed, old),     // past both limits: removed
        (RunStatus::Done, young),     // within the days: kept
        (RunStatus::InProgress, old), // not finished: kept
        (RunStatus::Done, old),       // one of the last 2 runs: kept
        (RunStatus::Partial, old),    // one of the last 2 runs: kept
    ] {
        let lines = lines(20, created_at, |i| format!("Person {i}"));
        busy_runs.push(insert_run(&t, &admin, busy, status, created_at, lines).await.id);
    }
    // An integration with only 2 runs keeps them, however old.
    let mut quiet_runs = Vec::new();
    for _ in 0..2 {
        let lines = lines(3, old, |i| format!("Person {i}"));
        quiet_runs.push(insert_run(&t, &admin, quiet, RunStatus::Done, old, lines).await.id);
    }

    let pruned = retention::prune(&t.hub.db, &policy, now).await.unwrap();
    assert_eq!(pruned, Pruned { runs: 2, lines: 40 });
    assert_eq!(
        retention::prune(&t.hub.db, &policy, now).await.unwrap(),
        Pruned::default(),
        "a second pass finds nothing more"
    );

    for (n, run) in busy_runs.iter().enumerate() {
        let left = run_record::Entity::find()
            .filter(run_record::Column::RunId.eq(*run))
            .count(&t.hub.db)
            .await
            .unwrap();
        let shown = t
            .get(&format!("/api/v1/runs/{run}"), &admin.token)
            .await
            .expect(200)
            .clone();
        assert_eq!(shown["records_read"], 20, "the counts stay");
        if n < 2 {
            assert_eq!(left, 0, "run {n}");
            assert!(shown["records_removed_at"].is_string(), "{shown}");
            let gone = t.get(&format!("/api/v1/runs/{run}/records"), &admin.token).await;
            let problem = gone.expect_problem(410, "records_removed");
            assert!(
                problem["detail"].as_str().unwrap().contains("removed by retention"),
                "{problem}"
            );
            records_csv(&t, &admin, *run, "")
                .await
                .expect_problem(410, "records_removed");
            t.post_empty(&format!("/api/v1/runs/{run}/replay-failed"), &admin.token)
                .await
                .expect_problem(410, "records_removed");
        } else {
            assert_eq!(left, 20, "run {n}");
            assert!(shown["records_removed_at"].is_null(), "{shown}");
            let page = t
                .get(&format!("/api/v1/runs/{run}/records?limit=50"), &admin.token)
                .await;
            assert_eq!(page.expect(200)["items"].as_array().unwrap().len(), 20);
        }
    }
    for run in quiet_runs {
        let shown = t
            .get(&format!("/api/v1/runs/{run}"), &admin.token)
            .await
            .expect(200)
            .clone();
        assert!(shown["records_removed_at"].is_null(), "{shown}");
    }
}
