//! The sync end to end: a worker beside the API (embedded queue on SQLite, Redis on PostgreSQL), Employment Hero
//! simulator as the source and the SCIM simulator as the target, over real HTTP.
use std::time::{Duration, Instant};

use ihub_simulators::System;
use serde_json::{Value, json};

use crate::harness::journeys::{
    SCIM_ENTERPRISE, enabled_bamboohr_integration, enabled_integration, records, run_now, wait_for,
};
use crate::harness::{Session, TestHub};
use crate::with_worker_on_both_backends;

/// A run row whose job never reached the queue (Redis flushed, a process killed between commit and push).
async fn queued_without_dispatch(t: &TestHub, admin: &Session, integration: &str) -> ihub_domain::entities::run::Model {
    let spec = ihub_domain::runs::RunSpec {
        organisation_id: admin.organisation_id,
        integration_id: integration.parse().unwrap(),
        schedule_id: None,
        trigger: ihub_domain::runs::RunTrigger::Manual,
        dry_run: false,
        full: false,
        params: json!({}),
        source_ids: None,
        replay_of: None,
        max_attempts: 3,
    };
    ihub_domain::runs::insert_queued(&t.hub.db, spec).await.unwrap()
}

fn count(lines: &[Value], key: &str, value: &str) -> usize {
    lines.iter().filter(|l| l[key] == value).count()
}

with_worker_on_both_backends!(
    syncs_create_then_nothing_then_only_what_changed_then_deactivate,
    a_refused_record_makes_the_run_partial_and_replay_retries_only_it,
    every_record_lands_through_429s_and_503_storms,
    a_queued_run_whose_job_was_lost_is_pushed_again,
    a_source_that_refuses_access_fails_the_run_after_retries,
    a_source_failing_mid_read_keeps_what_was_written_before,
    a_stopping_worker_gives_its_run_back_and_another_finishes_it,
    cancel_stops_a_running_run_and_resume_takes_a_stuck_one,
    incremental_runs_read_only_the_changed_since_the_last_complete_run,
    runs_of_one_integration_never_overlap,
);

async fn runs_of_one_integration_never_overlap(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(40);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    t.sims.set_latency(System::Scim, Duration::from_millis(20));
    let mut ids = Vec::new();
    for _ in 0..2 {
        let run = t
            .post(
                &format!("/api/v1/integrations/{integration}/run"),
                &admin.token,
                json!({}),
            )
            .await;
        ids.push(run.expect(202)["id"].as_str().unwrap().to_owned());
    }
    let first = wait_for(&t, &admin, &ids[0]).await;
    let second = wait_for(&t, &admin, &ids[1]).await;
    t.sims.set_latency(System::Scim, Duration::ZERO);
    assert_eq!(
        (first["status"].as_str(), second["status"].as_str()),
        (Some("done"), Some("done"))
    );
    let (a, b) = if first["started_at"].as_str() < second["started_at"].as_str() {
        (&first, &second)
    } else {
        (&second, &first)
    };
    assert!(
        b["started_at"].as_str().unwrap() >= a["finished_at"].as_str().unwrap(),
        "the second run started after the first finished: {a} {b}"
    );
    assert_eq!(
        t.sims.scim_users().len() as i64,
        a["records_written"].as_i64().unwrap(),
        "nobody twice"
    );
}

mod staging_runs_are_dry {
    use crate::harness::{Backend, Options, TestHub};

    fn staging() -> Options {
        Options {
            environment: ihub_domain::Environment::Staging,
            ..Options::with_worker()
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn sqlite() {
        super::staging_runs_are_dry(TestHub::start_with(Backend::Sqlite, staging()).await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn postgres_redis() {
        super::staging_runs_are_dry(TestHub::start_with(Backend::Postgres, staging()).await).await
    }
}

async fn staging_runs_are_dry(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(30);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let state = t
        .get(&format!("/api/v1/integrations/{integration}"), &admin.token)
        .await;
    assert_eq!(state.expect(200)["state"], "test");
    let run = run_now(&t, &admin, &integration).await;
    assert_eq!(
        (run["status"].as_str(), run["dry_run"].as_bool()),
        (Some("done"), Some(true)),
        "{run}"
    );
    assert!(t.sims.scim_users().is_empty(), "a dry run writes nothing");
    let lines = records(&t, &admin, &run, "").await;
    let rehearsed: Vec<&Value> = lines.iter().filter(|l| l["outcome"] == "dry_run").collect();
    assert!(!rehearsed.is_empty());
    assert!(
        rehearsed
            .iter()
            .all(|l| l["decision"] == "create" && !l["changes"].as_array().unwrap().is_empty())
    );
    assert_eq!(count(&lines, "outcome", "created"), 0);
    // Only real writes count as written; what a dry run would write is counted apart.
    assert_eq!(run["records_written"], 0, "{run}");
    assert_eq!(
        run["records_would_write"].as_i64(),
        Some(rehearsed.len() as i64),
        "{run}"
    );
    // Nothing was bound: the next dry run would create them all again.
    let again = run_now(&t, &admin, &integration).await;
    assert_eq!(again["records_would_write"], run["records_would_write"]);
    assert_eq!(again["records_written"], 0);
}

async fn incremental_runs_read_only_the_changed_since_the_last_complete_run(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(80);
    let integration = enabled_bamboohr_integration(&t, &admin, json!({})).await;

    let first = run_now(&t, &admin, &integration).await;
    assert_eq!(
        (first["records_read"].as_i64(), first["since"].as_str()),
        (Some(80), None),
        "{first}"
    );
    let dates = t
        .get(&format!("/api/v1/integrations/{integration}/dates"), &admin.token)
        .await;
    let watermark = dates.expect(200)["items"][0]["value"]
        .as_str()
        .expect("set by the complete run")
        .to_owned();

    t.sims
        .update_employee(5, |p| p.job_title = Some("Harbour Master".into()));
    let second = run_now(&t, &admin, &integration).await;
    assert_eq!(second["since"].as_str(), Some(watermark.as_str()), "{second}");
    assert_eq!(
        (second["records_read"].as_i64(), second["records_written"].as_i64()),
        (Some(1), Some(1)),
        "{second}"
    );
    let changed = records(&t, &admin, &second, "").await;
    assert_eq!(changed[0]["changes"][0]["new"], "Harbour Master");

    // `full` reads everyone again, and writes nothing that did not change.
    let full = t
        .post(
            &format!("/api/v1/integrations/{integration}/run"),
            &admin.token,
            json!({"full": true}),
        )
        .await;
    let full = wait_for(&t, &admin, full.expect(202)["id"].as_str().unwrap()).await;
    assert_eq!(
        (full["records_read"].as_i64(), full["records_written"].as_i64()),
        (Some(80), Some(0)),
        "{full}"
    );
}

/// Waits until the run is running and has written something.
async fn wait_until_writing(t: &TestHub, admin: &Session, run: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let current = t
            .get(&format!("/api/v1/runs/{run}"), &admin.token)
            .await
            .expect(200)
            .clone();
        if current["status"] == "in_progress" && t.sims.scim_users().len() >= 3 {
            return current;
        }
        assert!(Instant::now() < deadline, "run never got going: {current}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_stopping_worker_gives_its_run_back_and_another_finishes_it(mut t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(150);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    t.sims.set_latency(System::Scim, Duration::from_millis(40));
    let run = t
        .post(
            &format!("/api/v1/integrations/{integration}/run"),
            &admin.token,
            json!({}),
        )
        .await
        .expect(202)
        .clone();
    let id = run["id"].as_str().unwrap().to_owned();
    wait_until_writing(&t, &admin, &id).await;

    // SIGTERM: the worker stops taking work, checkpoints and gives the run back instead of leaving it stuck.
    t.stop_worker().await;
    let released = t
        .get(&format!("/api/v1/runs/{id}"), &admin.token)
        .await
        .expect(200)
        .clone();
    assert_eq!(released["status"], "queued", "{released}");
    let done_before = records(&t, &admin, &released, "").await.len();
    assert!(done_before > 0 && done_before < 150, "{done_before} lines kept");
    t.sims.set_latency(System::Scim, Duration::ZERO);

    if t.queue.kind() == "redis" {
        t.start_redis_worker();
        let ended = wait_for(&t, &admin, &id).await;
        assert_eq!(ended["status"], "done", "{ended}");
        let lines = records(&t, &admin, &ended, "").await;
        assert_eq!(lines.len(), 150, "every person once, none lost");
        let created = count(&lines, "outcome", "created");
        assert_eq!(t.sims.scim_users().len(), created, "nobody created twice");
    }
}

async fn cancel_stops_a_running_run_and_resume_takes_a_stuck_one(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(150);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    t.sims.set_latency(System::Scim, Duration::from_millis(40));
    let run = t
        .post(
            &format!("/api/v1/integrations/{integration}/run"),
            &admin.token,
            json!({}),
        )
        .await
        .expect(202)
        .clone();
    let id = run["id"].as_str().unwrap().to_owned();
    wait_until_writing(&t, &admin, &id).await;
    t.post_empty(&format!("/api/v1/runs/{id}/resume"), &admin.token)
        .await
        .expect_problem(409, "run_not_resumable");
    let cancelling = t.post_empty(&format!("/api/v1/runs/{id}/cancel"), &admin.token).await;
    assert_eq!(cancelling.expect(200)["cancel_requested"], true);
    let ended = wait_for(&t, &admin, &id).await;
    assert_eq!(ended["status"], "cancelled", "{ended}");
    assert!(ended["records_read"].as_i64().unwrap() < 150, "stopped early: {ended}");
    t.post_empty(&format!("/api/v1/runs/{id}/cancel"), &admin.token)
        .await
        .expect_problem(409, "run_finished");
    t.sims.set_latency(System::Scim, Duration::ZERO);

    // A run left `in_progress` by a worker that died (no heartbeat for a minute): resumed by hand, it finishes.
    let stuck = queued_without_dispatch(&t, &admin, &integration).await;
    use sea_orm::{ActiveModelTrait, Set};
    let mut dead: ihub_domain::entities::run::ActiveModel = stuck.into();
    dead.status = Set(ihub_domain::runs::RunStatus::InProgress);
    dead.worker = Set(Some("a-worker-that-died".into()));
    dead.heartbeat_at = Set(Some(chrono::Utc::now() - chrono::Duration::minutes(1)));
    let dead = dead.update(&t.hub.db).await.unwrap();
    let resumed = t
        .post_empty(&format!("/api/v1/runs/{}/resume", dead.id), &admin.token)
        .await;
    // Queued again, and perhaps taken by the worker already. The test worker's reconciler (a run silent for 2 s is
    // stuck) may requeue it first, and then the resume finds nothing to resume.
    let taken_by_the_reconciler = resumed.status == 409 && resumed.body["code"] == "run_not_resumable";
    assert!(
        taken_by_the_reconciler || ["queued", "in_progress"].contains(&resumed.expect(200)["status"].as_str().unwrap()),
        "{}",
        resumed.text
    );
    let ended = wait_for(&t, &admin, &dead.id.to_string()).await;
    assert_eq!(ended["status"], "done", "{ended}");
}

async fn syncs_create_then_nothing_then_only_what_changed_then_deactivate(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(120);
    let integration = enabled_integration(&t, &admin, json!({})).await;

    let first = run_now(&t, &admin, &integration).await;
    assert_eq!(first["status"], "done", "{first}");
    assert_eq!(first["records_read"], 120);
    let lines = records(&t, &admin, &first, "").await;
    assert_eq!(lines.len(), 120, "one line per person");
    let created = count(&lines, "outcome", "created");
    assert_eq!(first["records_written"], created);
    assert_eq!(
        t.sims.scim_users().len(),
        created,
        "every created user is in the target"
    );
    let filtered: Vec<&Value> = lines.iter().filter(|l| l["decision"] == "filter").collect();
    assert_eq!(first["records_filtered"], filtered.len());
    assert!(
        !filtered.is_empty(),
        "the generated people include leavers and people missing fields"
    );
    assert!(
        filtered
            .iter()
            .all(|l| l["reason"].as_str().is_some_and(|r| !r.is_empty()))
    );
    // Managers are resolved to name and email even when they are on another page.
    let with_manager = t
        .sims
        .scim_users()
        .into_iter()
        .filter(|u| {
            u.get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
                .is_some()
        })
        .count();
    assert!(with_manager > 0);

    let second = run_now(&t, &admin, &integration).await;
    assert_eq!(
        (second["status"].as_str(), second["records_written"].as_i64()),
        (Some("done"), Some(0)),
        "{second}"
    );
    assert_eq!(second["number"], 2);

    // One person's job title changes: only that field is written.
    let index = (0..120)
        .find(|i| {
            let id = t.sims.employment_hero_employee_id(*i);
            lines.iter().any(|l| l["source_id"] == id && l["outcome"] == "created")
        })
        .unwrap();
    let before = t.sims.person(index).unwrap().job_title;
    t.sims
        .update_employee(index, |p| p.job_title = Some("Chief Cartographer".into()));
    let third = run_now(&t, &admin, &integration).await;
    assert_eq!(third["records_written"], 1, "{third}");
    let updated = records(&t, &admin, &third, "&outcome=updated").await;
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["decision"], "update");
    assert_eq!(
        updated[0]["changes"],
        json!([{"field": "job_title", "old": before, "new": "Chief Cartographer"}])
    );
    let source_id = t.sims.employment_hero_employee_id(index);
    assert_eq!(
        t.sims.scim_user_by_external_id(&source_id).unwrap()["title"],
        "Chief Cartographer"
    );

    // They leave: deactivated.
    t.sims.terminate_employee(index, t.sims.today());
    let fourth = run_now(&t, &admin, &integration).await;
    let deactivated = records(&t, &admin, &fourth, "&decision=deactivate").await;
    assert_eq!(deactivated.len(), 1, "{fourth}");
    assert_eq!(deactivated[0]["outcome"], "deactivated");
    assert_eq!(t.sims.scim_user_by_external_id(&source_id).unwrap()["active"], false);

    // The report: runs newest first, filters, local times, CSV.
    let runs = t
        .get(
            &format!("/api/v1/integrations/{integration}/runs?tz=Europe/London"),
            &admin.token,
        )
        .await
        .expect(200)
        .clone();
    let numbers: Vec<i64> = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, [4, 3, 2, 1]);
    assert_eq!(runs["items"][0]["local"]["timezone"], "Europe/London");
    let default_zone = t
        .get(&format!("/api/v1/runs/{}", first["id"].as_str().unwrap()), &admin.token)
        .await;
    assert_eq!(default_zone.expect(200)["local"]["timezone"], "Australia/Sydney");
    t.get(
        &format!("/api/v1/runs/{}?tz=Mars/Olympus", first["id"].as_str().unwrap()),
        &admin.token,
    )
    .await
    .invalid_fields()
    .contains(&"tz".to_owned())
    .then_some(())
    .expect("the bad zone is named");
    let csv = t
        .send(t.request(
            reqwest::Method::GET,
            &format!("/api/v1/runs/{}/records.csv", first["id"].as_str().unwrap()),
            Some(&admin.token),
        ))
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.content_type().starts_with("text/csv"));
    assert_eq!(csv.text.lines().count(), 121, "a header and one line per person");
    assert!(csv.text.starts_with("name,source_id,target_id,decision,reason,outcome"));

    // Logs tell the same story.
    let logs = t
        .get(
            &format!("/api/v1/logs?run_id={}", first["id"].as_str().unwrap()),
            &admin.token,
        )
        .await
        .expect(200)
        .clone();
    assert!(
        logs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["message"].as_str().unwrap().contains("finished"))
    );
}

async fn a_refused_record_makes_the_run_partial_and_replay_retries_only_it(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(40);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let victim_index = (0..40)
        .find(|i| {
            let p = t.sims.person(*i).unwrap();
            p.work_email.is_some() && p.termination_date.is_none()
        })
        .unwrap();
    let victim = t.sims.person(victim_index).unwrap();
    let email = victim.work_email.clone().unwrap();
    t.sims.refuse_scim_users_containing(&email);

    let run = run_now(&t, &admin, &integration).await;
    assert_eq!(run["status"], "partial", "{run}");
    assert_eq!(run["records_errors"], 1);
    let failed = records(&t, &admin, &run, "&outcome=failed").await;
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0]["error"].as_str().unwrap().contains("refused") || !failed[0]["error"].as_str().unwrap().is_empty()
    );
    assert_eq!(
        t.sims.scim_users().len() as i64,
        run["records_written"].as_i64().unwrap(),
        "everyone else was written"
    );
    let errors = t
        .get("/api/v1/logs?level=error", &admin.token)
        .await
        .expect(200)
        .clone();
    assert!(
        errors["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["source_id"] == failed[0]["source_id"])
    );

    let replay = t
        .post_empty(
            &format!("/api/v1/runs/{}/replay-failed", run["id"].as_str().unwrap()),
            &admin.token,
        )
        .await;
    let replay = replay.expect(202).clone();
    assert_eq!(replay["trigger"], "retry");
    assert_eq!(replay["replay_of"], run["id"]);
    let replayed = wait_for(&t, &admin, replay["id"].as_str().unwrap()).await;
    assert_eq!(replayed["records_read"], 1, "only the failed person: {replayed}");
    assert_eq!(replayed["status"], "partial", "the target still refuses them");

    // The target's admin fixes it: a replay writes the person, and that replay has nothing left to replay.
    t.sims.accept_all_scim_users();
    let again = t
        .post_empty(
            &format!("/api/v1/runs/{}/replay-failed", replayed["id"].as_str().unwrap()),
            &admin.token,
        )
        .await;
    let again = wait_for(&t, &admin, again.expect(202)["id"].as_str().unwrap()).await;
    // The person, and their reports: written without the manager link while the target refused their manager,
    // linked now that the manager is there.
    let victim_id = failed[0]["source_id"].as_str().unwrap();
    let reports: Vec<String> = (0..40)
        .filter(|i| t.sims.person(*i).unwrap().manager == Some(victim_index))
        .map(|i| t.sims.employment_hero_employee_id(i))
        .filter(|id| t.sims.scim_user_by_external_id(id).is_some())
        .collect();
    assert_eq!(
        (again["status"].as_str(), again["records_written"].as_i64()),
        (Some("done"), Some(1 + reports.len() as i64)),
        "{again}"
    );
    let boss = t.sims.scim_user_by_external_id(victim_id).expect("written now");
    for report in &reports {
        let user = t.sims.scim_user_by_external_id(report).unwrap();
        assert_eq!(user[SCIM_ENTERPRISE]["manager"]["value"], boss["id"], "{user:?}");
    }
    let lines = records(&t, &admin, &again, "").await;
    assert!(
        lines.iter().filter(|l| l["source_id"] != victim_id).all(|l| l["reason"]
            .as_str()
            .is_some_and(|r| r.contains("manager link set late"))),
        "{lines:?}"
    );
    t.post_empty(
        &format!("/api/v1/runs/{}/replay-failed", again["id"].as_str().unwrap()),
        &admin.token,
    )
    .await
    .expect_problem(409, "no_failed_records");
}

async fn every_record_lands_through_429s_and_503_storms(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(60);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    t.sims.fail_next(System::Scim, 5, 429, Some(1));
    t.sims.set_error_rate(System::Scim, 0.3, 503);
    let run = run_now(&t, &admin, &integration).await;
    t.sims.clear_faults(System::Scim);
    assert_eq!(run["status"], "done", "{run}");
    assert_eq!(run["records_errors"], 0);
    assert_eq!(
        t.sims.scim_users().len() as i64,
        run["records_written"].as_i64().unwrap()
    );
    // Nobody twice: a retried create never duplicated a user.
    let mut names: Vec<String> = t
        .sims
        .scim_users()
        .iter()
        .map(|u| u["externalId"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), t.sims.scim_users().len());
}

async fn a_queued_run_whose_job_was_lost_is_pushed_again(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(10);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let run = queued_without_dispatch(&t, &admin, &integration).await;
    let ended = wait_for(&t, &admin, &run.id.to_string()).await;
    assert_eq!(ended["status"], "done", "{ended}");
}

async fn a_source_that_refuses_access_fails_the_run_after_retries(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(5);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    // The provider revokes everything: the stored token stops working and cannot be refreshed.
    t.sims.fail_next(System::EmploymentHero, 100, 401, None);
    let run = run_now(&t, &admin, &integration).await;
    t.sims.clear_faults(System::EmploymentHero);
    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!(run["attempt"], 3, "tried three times");
    assert!(run["error"].as_str().unwrap().contains("access refused"), "{run}");
    let source = t.get("/api/v1/connections", &admin.token).await.expect(200).clone();
    let eh = source["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["connector"] == "employment_hero")
        .unwrap();
    assert_eq!(eh["status"], "error");
    let critical = t
        .get("/api/v1/logs?level=critical", &admin.token)
        .await
        .expect(200)
        .clone();
    assert_eq!(critical["items"].as_array().unwrap().len(), 1);
}

/// Pages are read ahead and written in batches: a read that fails behind them still leaves every page before it
/// written and recorded, and the next run creates only the rest.
async fn a_source_failing_mid_read_keeps_what_was_written_before(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(350);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    // Two requests for a page of 100 come through, then the source fails every request until the run has given up.
    // The pages after the first are read several at once, so the second answer may be page 2's or page 3's: the
    // run writes the pages that came through in order, one or two, and none after a gap.
    t.sims.fail_after(System::EmploymentHero, 2, 10_000, 500);
    let failed = run_now(&t, &admin, &integration).await;
    t.sims.clear_faults(System::EmploymentHero);
    assert_eq!(failed["status"], "failed", "{failed}");
    let lines = records(&t, &admin, &failed, "").await;
    assert!(
        lines.len() == 100 || lines.len() == 200,
        "a line for each person of the pages read in order: {}",
        lines.len()
    );
    let in_order = (0..lines.len() as u32)
        .map(|i| t.sims.employment_hero_employee_id(i))
        .collect::<std::collections::HashSet<_>>();
    assert!(
        lines
            .iter()
            .all(|l| in_order.contains(l["source_id"].as_str().unwrap())),
        "only the first pages' people"
    );
    let created = count(&lines, "outcome", "created");
    assert!(
        created > lines.len() * 3 / 4,
        "most of them are created (leavers are not): {created}"
    );
    assert_eq!(count(&lines, "outcome", "failed"), 0);
    assert_eq!(failed["records_written"], created as i64, "{failed}");
    assert_eq!(t.sims.scim_users().len(), created);
    let first: std::collections::HashSet<String> = lines
        .iter()
        .map(|l| l["source_id"].as_str().unwrap().to_owned())
        .collect();

    let next = run_now(&t, &admin, &integration).await;
    assert_eq!(next["status"], "done", "{next}");
    let lines = records(&t, &admin, &next, "").await;
    assert_eq!(lines.len(), 350);
    let rewritten: Vec<&Value> = lines
        .iter()
        .filter(|l| first.contains(l["source_id"].as_str().unwrap()) && l["outcome"] != "unchanged")
        .collect();
    assert!(
        rewritten.is_empty(),
        "the people written before are not written again: {rewritten:?}"
    );
    let written = next["records_written"].as_i64().unwrap() as usize;
    assert!(written > 100, "the rest are created: {next}");
    assert_eq!(t.sims.scim_users().len(), created + written, "nobody twice");
}
