//! Schedules: CRUD and validation over HTTP, and the scheduler tick (`fire_due`) called directly: exactly one run
//! per due occurrence however many ticks race for it, missed occurrences after downtime, and DST in Sydney.
use chrono::{DateTime, Duration, Timelike, Utc};
use ihub_domain::entities::{run, schedule};
use ihub_domain::integrations::schedules::fire_due;
use ihub_domain::{Principal, Role};
use reqwest::Method;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::harness::{Session, TestHub};
use crate::on_both_backends;

on_both_backends!(
    crud_and_cancel,
    fields_are_validated_by_name,
    support_reads_and_other_organisations_see_nothing,
    racing_ticks_queue_one_run,
    a_storm_of_due_schedules_fires_each_once_across_racing_ticks,
    missed_occurrences_run_once_or_are_skipped,
    sydney_daily_fires_at_the_right_local_time_across_spring_forward,
    disabled_integrations_and_call_limits,
);

fn id(v: &Value) -> &str {
    v["id"].as_str().expect("an id")
}

/// Due an hour from now, in whole seconds: nothing but a test's explicit ticks can see it due.
fn in_an_hour() -> DateTime<Utc> {
    (Utc::now() + Duration::hours(1)).with_nanosecond(0).unwrap()
}

fn at(v: &Value) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(v.as_str().expect("a time"))
        .expect("RFC 3339")
        .to_utc()
}

/// An integration with both connections tested and enabled (`active` on this production hub).
async fn enabled_integration(t: &TestHub, admin: &Session, name: &str) -> Value {
    let (source, target, integration) = t.integration(admin, name).await;
    for connection in [&source, &target] {
        let path = format!("/api/v1/connections/{}/test", id(connection));
        t.post_empty(&path, &admin.token).await.expect(200);
    }
    let path = format!("/api/v1/integrations/{}/enable", id(&integration));
    let enabled = t.post_empty(&path, &admin.token).await.expect(200).clone();
    assert_eq!(enabled["state"], "active");
    enabled
}

async fn create(t: &TestHub, admin: &Session, integration: &Value, body: Value) -> Value {
    let path = format!("/api/v1/integrations/{}/schedules", id(integration));
    t.post(&path, &admin.token, body).await.expect(201).clone()
}

async fn stored(t: &TestHub, schedule: &Value) -> schedule::Model {
    schedule::Entity::find_by_id(Uuid::parse_str(id(schedule)).unwrap())
        .one(&t.hub.db)
        .await
        .unwrap()
        .expect("schedule row")
}

async fn runs_of(t: &TestHub, schedule: &Value) -> Vec<run::Model> {
    run::Entity::find()
        .filter(run::Column::ScheduleId.eq(Uuid::parse_str(id(schedule)).unwrap()))
        .all(&t.hub.db)
        .await
        .unwrap()
}

async fn crud_and_cancel(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let (_, _, integration) = t.integration(&admin, "HR to LMS").await;
    let before = Utc::now();
    let nightly = create(
        &t,
        &admin,
        &integration,
        json!({"cron": "30  2 * * *", "timezone": "Australia/Sydney", "params": {"full_every": 7}}),
    )
    .await;
    assert_eq!(nightly["cron"], "30 2 * * *");
    assert_eq!(nightly["every"], Value::Null);
    assert_eq!(nightly["action"], "sync");
    assert_eq!(nightly["active"], true);
    assert_eq!(nightly["priority"], 5);
    assert_eq!(nightly["max_calls"], -1);
    assert_eq!(nightly["calls"], 0);
    assert_eq!(nightly["repeat_missed"], false);
    assert_eq!(nightly["params"], json!({"full_every": 7}));
    assert_eq!(nightly["last_run_at"], Value::Null);
    let next = at(&nightly["next_run_at"]);
    assert!(next > before && next <= before + Duration::days(1), "{next}");
    // 02:30 in Sydney: 15:30 UTC in summer (AEDT), 16:30 in winter (AEST).
    assert!(matches!((next.hour(), next.minute()), (15 | 16, 30)), "{next}");

    // The organisation's zone when none is given; every N units.
    let hourly = create(
        &t,
        &admin,
        &integration,
        json!({"every": {"n": 6, "unit": "hours"}, "priority": 0}),
    )
    .await;
    assert_eq!(hourly["timezone"], "Australia/Sydney");
    assert_eq!(hourly["every"], json!({"n": 6, "unit": "hours"}));
    assert_eq!(hourly["cron"], Value::Null);
    let next = at(&hourly["next_run_at"]);
    assert!(
        (next - (before + Duration::hours(6))).num_seconds().abs() < 60,
        "{next}"
    );

    let integration_path = format!("/api/v1/integrations/{}/schedules", id(&integration));
    let listed = t.get(&integration_path, &admin.token).await.expect(200).clone();
    assert_eq!(listed["items"].as_array().unwrap().len(), 2);
    assert_eq!(listed["next_cursor"], Value::Null);
    let paged = t
        .get("/api/v1/schedules?limit=1", &admin.token)
        .await
        .expect(200)
        .clone();
    assert_eq!(paged["items"][0]["id"], nightly["id"]);
    let cursor = paged["next_cursor"].as_str().expect("a next page");
    let rest = t
        .get(&format!("/api/v1/schedules?limit=1&cursor={cursor}"), &admin.token)
        .await
        .expect(200)
        .clone();
    assert_eq!(rest["items"][0]["id"], hourly["id"]);
    let filtered = t
        .get(
            &format!("/api/v1/schedules?integration_id={}&active=true", id(&integration)),
            &admin.token,
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(filtered["items"].as_array().unwrap().len(), 2);
    let none = t
        .get("/api/v1/schedules?active=false", &admin.token)
        .await
        .expect(200)
        .clone();
    assert_eq!(none["items"], json!([]));

    // PATCH: naming `every` replaces the cron expression; a new timing computes the next run from now.
    let path = format!("/api/v1/schedules/{}", id(&nightly));
    let changed = t
        .patch(
            &path,
            &admin.token,
            json!({"every": {"n": 2, "unit": "days"}, "priority": 1, "repeat_missed": true}),
        )
        .await
        .expect(200)
        .clone();
    assert_eq!(changed["cron"], Value::Null);
    assert_eq!(changed["every"], json!({"n": 2, "unit": "days"}));
    assert_eq!(changed["priority"], 1);
    assert_eq!(changed["repeat_missed"], true);
    assert_eq!(changed["params"], json!({"full_every": 7}), "untouched");
    assert!(at(&changed["next_run_at"]) > before + Duration::days(1));
    // Only a change of timing moves the next run.
    let renamed = t
        .patch(&path, &admin.token, json!({"params": {}}))
        .await
        .expect(200)
        .clone();
    assert_eq!(renamed["next_run_at"], changed["next_run_at"]);
    assert_eq!(renamed["params"], json!({}));

    // Cancel: only while active.
    let cancelled = t
        .post_empty(&format!("{path}/cancel"), &admin.token)
        .await
        .expect(200)
        .clone();
    assert_eq!(cancelled["active"], false);
    assert_eq!(cancelled["next_run_at"], Value::Null);
    let again = t.post_empty(&format!("{path}/cancel"), &admin.token).await;
    again.expect_problem(409, "schedule_not_active");
    let inactive = t
        .get("/api/v1/schedules?active=false", &admin.token)
        .await
        .expect(200)
        .clone();
    assert_eq!(inactive["items"][0]["id"], nightly["id"]);
    // Re-activating computes the next run from now.
    let back = t
        .patch(&path, &admin.token, json!({"active": true}))
        .await
        .expect(200)
        .clone();
    assert_eq!(back["active"], true);
    assert!(at(&back["next_run_at"]) > Utc::now());

    t.get(&path, &admin.token).await.expect(200);
    t.delete(&path, &admin.token).await.expect(204);
    t.get(&path, &admin.token).await.expect_problem(404, "not_found");
    t.delete(&path, &admin.token).await.expect_problem(404, "not_found");

    // Deleting the integration takes its schedules with it.
    let integration_path = format!("/api/v1/integrations/{}", id(&integration));
    t.delete(&integration_path, &admin.token).await.expect(204);
    let hourly_path = format!("/api/v1/schedules/{}", id(&hourly));
    t.get(&hourly_path, &admin.token).await.expect_problem(404, "not_found");
}

async fn fields_are_validated_by_name(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let (_, _, integration) = t.integration(&admin, "HR to LMS").await;
    let path = format!("/api/v1/integrations/{}/schedules", id(&integration));
    let cases = [
        (json!({"cron": "61 * * * *"}), vec!["cron"]),
        (json!({"cron": "0 0 * *"}), vec!["cron"]),
        (json!({"cron": "0 0 30 2 *"}), vec!["cron"]),
        (
            json!({"cron": "@daily", "timezone": "Mars/Olympus_Mons"}),
            vec!["timezone"],
        ),
        (json!({"cron": "@daily", "priority": 11}), vec!["priority"]),
        (json!({"cron": "@daily", "priority": -1}), vec!["priority"]),
        (json!({"cron": "@daily", "max_calls": 0}), vec!["max_calls"]),
        (json!({"cron": "@daily", "max_calls": -2}), vec!["max_calls"]),
        (json!({"cron": "@daily", "params": [1, 2]}), vec!["params"]),
        (json!({"cron": "@daily", "params": "x"}), vec!["params"]),
        (json!({}), vec!["cron"]),
        (
            json!({"cron": "@daily", "every": {"n": 1, "unit": "days"}}),
            vec!["every"],
        ),
        (json!({"every": {"n": 0, "unit": "minutes"}}), vec!["every.n"]),
        (json!({"every": {"n": 400, "unit": "days"}}), vec!["every.n"]),
        (json!({"every": {"n": 1, "unit": "weeks"}}), vec!["every.unit"]),
        (json!({"every": {"n": 1}}), vec!["every.unit"]),
        (
            json!({"cron": "@daily", "next_run_at": "tomorrow"}),
            vec!["next_run_at"],
        ),
        // Everything wrong at once is reported at once.
        (
            json!({"cron": "nope", "timezone": "Nowhere", "priority": 99, "params": []}),
            vec!["timezone", "priority", "params"],
        ),
        (
            json!({"cron": "nope", "priority": 99, "max_calls": 0}),
            vec!["cron", "priority", "max_calls"],
        ),
    ];
    for (body, fields) in cases {
        let resp = t.post(&path, &admin.token, body.clone()).await;
        assert_eq!(resp.invalid_fields(), fields, "{body}");
    }
    let listed = t.get(&path, &admin.token).await.expect(200).clone();
    assert_eq!(listed["items"], json!([]), "nothing invalid was stored");

    let schedule = create(&t, &admin, &integration, json!({"cron": "@hourly", "max_calls": 3})).await;
    let path = format!("/api/v1/schedules/{}", id(&schedule));
    for (body, fields) in [
        (json!({"cron": "* * * * * * *"}), vec!["cron"]),
        (json!({"timezone": "Australia/Sidney"}), vec!["timezone"]),
        (json!({"priority": 11}), vec!["priority"]),
        (json!({"params": null, "max_calls": 0}), vec!["max_calls"]),
        (json!({"params": 5}), vec!["params"]),
        (
            json!({"cron": "@daily", "every": {"n": 1, "unit": "days"}}),
            vec!["every"],
        ),
        (json!({"next_run_at": 5}), vec!["next_run_at"]),
    ] {
        let resp = t.patch(&path, &admin.token, body.clone()).await;
        assert_eq!(resp.invalid_fields(), fields, "{body}");
    }
    let unknown = t.patch(&path, &admin.token, json!({"colour": "blue"})).await;
    unknown.expect_problem(422, "validation_error");
    assert_eq!(t.get(&path, &admin.token).await.expect(200)["cron"], "@hourly");

    // Lists validate their query too.
    let resp = t.get("/api/v1/schedules?active=maybe", &admin.token).await;
    assert_eq!(resp.invalid_fields(), vec!["active"]);
    let resp = t.get("/api/v1/schedules?limit=0", &admin.token).await;
    assert_eq!(resp.invalid_fields(), vec!["limit"]);
}

async fn support_reads_and_other_organisations_see_nothing(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let support = t.user_in(admin.organisation_id, Role::Support).await;
    let globex = t.organisation("Globex").await;
    let (_, _, integration) = t.integration(&admin, "HR to LMS").await;
    let schedule = create(&t, &admin, &integration, json!({"cron": "0 6 * * 1-5"})).await;
    let (i, s) = (id(&integration), id(&schedule));

    // Support users run jobs (SPEC §1): they create and cancel schedules, but change and delete none.
    let made = t
        .post(
            &format!("/api/v1/integrations/{i}/schedules"),
            &support.token,
            json!({"cron": "@daily"}),
        )
        .await;
    let made = id(made.expect(201));
    t.post_empty(&format!("/api/v1/schedules/{made}/cancel"), &support.token)
        .await
        .expect(200);
    let mutations: Vec<(Method, String, Option<Value>)> = vec![
        (
            Method::PATCH,
            format!("/api/v1/schedules/{s}"),
            Some(json!({"priority": 1})),
        ),
        (Method::DELETE, format!("/api/v1/schedules/{s}"), None),
    ];
    for (method, path, body) in &mutations {
        let resp = t.call(method.clone(), path, Some(&support.token), body.clone()).await;
        resp.expect_problem(403, "forbidden");
        let resp = t.call(method.clone(), path, Some(&globex.token), body.clone()).await;
        assert_eq!(
            resp.status, 404,
            "{method} {path} from another organisation: {}",
            resp.text
        );
        resp.expect_problem(404, "not_found");
    }
    // The role is checked before the body.
    let resp = t
        .patch(&format!("/api/v1/schedules/{s}"), &support.token, json!({"cron": 5}))
        .await;
    resp.expect_problem(403, "forbidden");

    for path in [
        format!("/api/v1/integrations/{i}/schedules"),
        format!("/api/v1/schedules/{s}"),
        "/api/v1/schedules".to_owned(),
    ] {
        t.get(&path, &support.token).await.expect(200);
    }
    for path in [
        format!("/api/v1/integrations/{i}/schedules"),
        format!("/api/v1/schedules/{s}"),
    ] {
        t.get(&path, &globex.token).await.expect_problem(404, "not_found");
    }
    let theirs = t.get("/api/v1/schedules", &globex.token).await.expect(200).clone();
    assert_eq!(theirs["items"], json!([]));
    let theirs = t
        .get(&format!("/api/v1/schedules?integration_id={i}"), &globex.token)
        .await
        .expect(200)
        .clone();
    assert_eq!(theirs["items"], json!([]));
    t.get(&format!("/api/v1/schedules/{}", Uuid::now_v7()), &admin.token)
        .await
        .expect_problem(404, "not_found");

    // The services check the role themselves too, whoever calls them.
    let who = Principal {
        organisation_id: admin.organisation_id,
        user_id: support.user_id,
        role: Role::Support,
        api_key_id: None,
    };
    let err = ihub_domain::integrations::schedules::delete(&t.hub, &who, Uuid::parse_str(s).unwrap())
        .await
        .unwrap_err();
    assert!(matches!(err, ihub_domain::DomainError::Forbidden(_)), "{err:?}");
    assert!(stored(&t, &schedule).await.active);
}

/// Several workers tick at once: the due occurrence is queued once.
async fn racing_ticks_queue_one_run(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let integration = enabled_integration(&t, &admin, "HR to LMS").await;
    let due = in_an_hour();
    let schedule = create(
        &t,
        &admin,
        &integration,
        json!({"every": {"n": 15, "unit": "minutes"}, "next_run_at": due, "params": {"department": "Sales"}}),
    )
    .await;
    assert_eq!(at(&schedule["next_run_at"]), due);
    let tick = due + Duration::seconds(5);

    assert!(
        fire_due(&t.hub, due - Duration::seconds(1)).await.unwrap().is_empty(),
        "not due yet"
    );
    let (a, b, c) = tokio::join!(fire_due(&t.hub, tick), fire_due(&t.hub, tick), fire_due(&t.hub, tick));
    let queued: Vec<run::Model> = [a.unwrap(), b.unwrap(), c.unwrap()].into_iter().flatten().collect();
    assert_eq!(queued.len(), 1, "exactly one tick wins: {queued:?}");
    let runs = runs_of(&t, &schedule).await;
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(run.id, queued[0].id);
    assert_eq!(run.trigger, ihub_domain::runs::RunTrigger::Scheduled);
    assert_eq!(run.status, ihub_domain::runs::RunStatus::Queued);
    assert_eq!(run.integration_id.to_string(), id(&integration));
    assert_eq!(run.params, json!({"department": "Sales"}));
    assert!(!run.dry_run && !run.full);

    let after = stored(&t, &schedule).await;
    assert_eq!(after.calls, 1);
    assert_eq!(after.last_run_at, Some(tick));
    assert_eq!(
        after.next_run_at,
        Some(due + Duration::minutes(15)),
        "intervals stay on their series"
    );
    assert!(after.active);
    // The same tick again finds nothing more to do.
    assert!(fire_due(&t.hub, tick).await.unwrap().is_empty());

    // More rounds, more chances for the racers to interleave: still one run an occurrence.
    for round in 1..=5 {
        finish_runs(&t).await;
        let tick = due + Duration::minutes(15 * round) + Duration::seconds(1);
        let (a, b, c) = tokio::join!(fire_due(&t.hub, tick), fire_due(&t.hub, tick), fire_due(&t.hub, tick));
        let won = [a.unwrap(), b.unwrap(), c.unwrap()].iter().map(Vec::len).sum::<usize>();
        assert_eq!(won, 1, "round {round}");
    }
    assert_eq!(runs_of(&t, &schedule).await.len(), 6);
    assert_eq!(stored(&t, &schedule).await.calls, 6);
    assert_eq!(run::Entity::find().count(&t.hub.db).await.unwrap(), 6);
}

/// Ends every run, as a worker would have: an occurrence that comes while the integration's run still waits is
/// skipped, so tests of successive occurrences end the one before.
async fn finish_runs(t: &TestHub) {
    run::Entity::update_many()
        .col_expr(run::Column::Status, Expr::value(ihub_domain::runs::RunStatus::Done))
        .exec(&t.hub.db)
        .await
        .unwrap();
}

/// Fires batch after batch until nothing more is queued, as the worker's scheduler does in one pass.
async fn fire_all(t: &TestHub, tick: DateTime<Utc>) -> Vec<run::Model> {
    let mut queued = Vec::new();
    loop {
        let batch = fire_due(&t.hub, tick).await.unwrap();
        if batch.is_empty() {
            return queued;
        }
        queued.extend(batch);
    }
}

/// More schedules due at once than one batch fires (several per integration, one integration not enabled), with
/// three schedulers racing: every occurrence is claimed once, and each integration gets one run, numbered 1 (the
/// others due with it are skipped: it already has one waiting).
async fn a_storm_of_due_schedules_fires_each_once_across_racing_ticks(t: TestHub) {
    const INTEGRATIONS: usize = 6;
    const PER_INTEGRATION: usize = 18;
    let admin = t.organisation("Acme").await;
    let due = in_an_hour();
    let mut integrations = Vec::new();
    for n in 0..INTEGRATIONS {
        integrations.push(enabled_integration(&t, &admin, &format!("HR to LMS {n}")).await);
    }
    let (_, _, inactive) = t.integration(&admin, "Not enabled").await;
    let mut schedules = Vec::new();
    for integration in integrations.iter().chain([&inactive]) {
        for _ in 0..PER_INTEGRATION {
            let body = json!({"every": {"n": 15, "unit": "minutes"}, "next_run_at": due});
            schedules.push(create(&t, &admin, integration, body).await);
        }
    }
    assert!(schedules.len() as u64 > ihub_domain::integrations::schedules::TICK_BATCH);
    let tick = due + Duration::seconds(2);
    let (a, b, c) = tokio::join!(fire_all(&t, tick), fire_all(&t, tick), fire_all(&t, tick));
    let queued: Vec<run::Model> = [a, b, c].into_iter().flatten().collect();
    assert_eq!(
        queued.len(),
        INTEGRATIONS,
        "one run per enabled integration: its other schedules due with it are skipped"
    );
    let mut runs_per_integration: std::collections::HashMap<String, usize> = Default::default();
    for schedule in &schedules {
        let after = stored(&t, schedule).await;
        assert_eq!(
            after.next_run_at,
            Some(due + Duration::minutes(15)),
            "every schedule moved on"
        );
        let runs = runs_of(&t, schedule).await;
        if schedule["integration_id"] == inactive["id"] {
            assert_eq!((after.calls, runs.len()), (0, 0), "not enabled: moved on without a run");
        } else {
            assert_eq!(after.calls, runs.len() as i64);
            *runs_per_integration
                .entry(schedule["integration_id"].as_str().unwrap().to_owned())
                .or_default() += runs.len();
            for run in &runs {
                assert_eq!(run.status, ihub_domain::runs::RunStatus::Queued);
                assert!(queued.iter().any(|q| q.id == run.id), "answered as queued");
            }
        }
    }
    assert_eq!(runs_per_integration.len(), INTEGRATIONS);
    assert!(
        runs_per_integration.values().all(|n| *n == 1),
        "{runs_per_integration:?}"
    );
    for integration in &integrations {
        let mut numbers: Vec<i64> = run::Entity::find()
            .filter(run::Column::IntegrationId.eq(Uuid::parse_str(id(integration)).unwrap()))
            .all(&t.hub.db)
            .await
            .unwrap()
            .iter()
            .map(|r| r.number)
            .collect();
        numbers.sort_unstable();
        assert_eq!(numbers, vec![1]);
    }
    assert!(fire_all(&t, tick).await.is_empty(), "nothing left due");
}

/// The hub was down for a month: with repeat_missed the schedule runs once on start, without it it only moves on.
async fn missed_occurrences_run_once_or_are_skipped(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let integration = enabled_integration(&t, &admin, "HR to LMS").await;
    let due = in_an_hour();
    let repeat = create(
        &t,
        &admin,
        &integration,
        json!({"cron": "0 * * * *", "repeat_missed": true, "next_run_at": due, "priority": 3}),
    )
    .await;
    // On an integration of its own: two schedules of one integration due together start one run.
    let other = enabled_integration(&t, &admin, "HR to ERP").await;
    let skip = create(
        &t,
        &admin,
        &other,
        json!({"cron": "0 * * * *", "repeat_missed": false, "next_run_at": due}),
    )
    .await;
    let back_up = due + Duration::days(30) + Duration::minutes(7);
    let queued = fire_due(&t.hub, back_up).await.unwrap();
    assert_eq!(queued.len(), 1, "{queued:?}");
    assert_eq!(
        queued[0].schedule_id.map(|s| s.to_string()).as_deref(),
        Some(id(&repeat))
    );

    let repeated = stored(&t, &repeat).await;
    assert_eq!(runs_of(&t, &repeat).await.len(), 1, "a month of missed hours runs once");
    assert_eq!(repeated.calls, 1);
    assert_eq!(repeated.last_run_at, Some(back_up));
    let next = repeated.next_run_at.unwrap();
    assert!(next > back_up && next <= back_up + Duration::hours(1), "{next}");

    let skipped = stored(&t, &skip).await;
    assert_eq!(runs_of(&t, &skip).await.len(), 0, "missed occurrences are skipped");
    assert_eq!(skipped.calls, 0);
    assert_eq!(skipped.last_run_at, None);
    assert_eq!(skipped.next_run_at, Some(next), "moved to the next future occurrence");
    assert!(skipped.active);

    // A tick a few seconds late is not downtime: the schedule without repeat_missed runs as usual.
    finish_runs(&t).await;
    let on_time = fire_due(&t.hub, next + Duration::seconds(20)).await.unwrap();
    assert_eq!(on_time.len(), 2);
    // The more urgent priority is queued first.
    assert_eq!(
        on_time[0].schedule_id.map(|s| s.to_string()).as_deref(),
        Some(id(&repeat))
    );
    assert_eq!(runs_of(&t, &skip).await.len(), 1);
}

/// A nightly 02:30 sync in Sydney across the spring-forward of 3 October 2027 (02:00 AEST → 03:00 AEDT): 02:30
/// does not exist that night, so it runs at 03:30 AEDT, once, and at 02:30 AEDT from then on.
async fn sydney_daily_fires_at_the_right_local_time_across_spring_forward(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let integration = enabled_integration(&t, &admin, "HR to LMS").await;
    let first = DateTime::parse_from_rfc3339("2027-10-02T02:30:00+10:00")
        .unwrap()
        .to_utc();
    let schedule = create(
        &t,
        &admin,
        &integration,
        json!({"cron": "30 2 * * *", "timezone": "Australia/Sydney", "next_run_at": first}),
    )
    .await;
    let mut due = first;
    let mut fired = Vec::new();
    for _ in 0..4 {
        finish_runs(&t).await;
        let queued = fire_due(&t.hub, due + Duration::seconds(3)).await.unwrap();
        assert_eq!(queued.len(), 1, "due at {due}");
        fired.push(due);
        due = stored(&t, &schedule).await.next_run_at.expect("still active");
    }
    let expected = [
        "2027-10-02T02:30:00+10:00",
        "2027-10-03T03:30:00+11:00",
        "2027-10-04T02:30:00+11:00",
        "2027-10-05T02:30:00+11:00",
    ]
    .map(|s| DateTime::parse_from_rfc3339(s).unwrap().to_utc());
    assert_eq!(fired, expected);
    assert_eq!(runs_of(&t, &schedule).await.len(), 4);
    let api = t
        .get(&format!("/api/v1/schedules/{}", id(&schedule)), &admin.token)
        .await
        .expect(200)
        .clone();
    assert_eq!(
        at(&api["next_run_at"]),
        DateTime::parse_from_rfc3339("2027-10-06T02:30:00+11:00").unwrap()
    );
    assert_eq!(api["calls"], 4);
}

async fn disabled_integrations_and_call_limits(t: TestHub) {
    let admin = t.organisation("Acme").await;
    let (_, _, inactive) = t.integration(&admin, "Not yet").await;
    let enabled = enabled_integration(&t, &admin, "HR to LMS").await;
    let due = in_an_hour();
    let waiting = create(
        &t,
        &admin,
        &inactive,
        json!({"every": {"n": 1, "unit": "hours"}, "next_run_at": due}),
    )
    .await;
    let twice = create(
        &t,
        &admin,
        &enabled,
        json!({"every": {"n": 1, "unit": "hours"}, "next_run_at": due, "max_calls": 2}),
    )
    .await;

    let queued = fire_due(&t.hub, due).await.unwrap();
    assert_eq!(queued.len(), 1);
    // The inactive integration's schedule moved on without a run.
    let moved = stored(&t, &waiting).await;
    assert_eq!(moved.next_run_at, Some(due + Duration::hours(1)));
    assert_eq!((moved.calls, moved.active), (0, true));
    assert!(runs_of(&t, &waiting).await.is_empty());

    finish_runs(&t).await;
    fire_due(&t.hub, due + Duration::hours(1)).await.unwrap();
    let done = stored(&t, &twice).await;
    assert_eq!(
        (done.calls, done.active, done.next_run_at),
        (2, false, None),
        "max_calls reached"
    );
    assert_eq!(runs_of(&t, &twice).await.len(), 2);
    assert!(
        fire_due(&t.hub, due + Duration::hours(5))
            .await
            .unwrap()
            .iter()
            .all(|r| r.schedule_id != Some(done.id))
    );

    // An exhausted schedule cannot be re-activated without raising its limit; cancelling it is a conflict.
    let path = format!("/api/v1/schedules/{}", id(&twice));
    let resp = t.patch(&path, &admin.token, json!({"active": true})).await;
    assert_eq!(resp.invalid_fields(), vec!["max_calls"]);
    t.post_empty(&format!("{path}/cancel"), &admin.token)
        .await
        .expect_problem(409, "schedule_not_active");
    let again = t
        .patch(&path, &admin.token, json!({"active": true, "max_calls": 3}))
        .await
        .expect(200)
        .clone();
    assert_eq!(again["active"], true);
    assert!(at(&again["next_run_at"]) > Utc::now());
}
