//! Sync correctness at the edges: whatever the order of writes, after a run that ends `done` the target is the
//! source's projection — manager links included — and a rerun writes nothing. Employment Hero simulator → SCIM
//! simulator over real HTTP, a worker beside the API, on SQLite and on PostgreSQL + Redis.
use chrono::NaiveDate;
use serde_json::json;

use crate::harness::TestHub;
use crate::harness::journeys::{RecordLine, ScimUser, enabled_integration, scim_users, sync};
use crate::with_worker_on_both_backends;

with_worker_on_both_backends!(
    a_person_written_before_their_manager_is_linked_in_the_same_run,
    a_manager_who_leaves_keeps_their_reports_linked,
    loops_own_managers_and_filtered_managers_give_reasons,
    two_people_with_one_email_never_share_a_user,
    an_email_or_name_change_updates_the_same_user,
    a_rehired_leaver_is_active_again,
    new_people_are_looked_up_in_the_target_a_page_at_a_time,
    a_target_that_refuses_or_filters_gets_one_look_up_per_person,
);

/// Active people with a work email: the ones every run creates.
fn due(t: &TestHub, range: std::ops::Range<u32>) -> Vec<u32> {
    range
        .filter(|i| {
            let p = t.sims.person(*i).unwrap();
            p.termination_date.is_none() && p.work_email.is_some()
        })
        .collect()
}

fn user(t: &TestHub, index: u32) -> ScimUser {
    let id = t.sims.employment_hero_employee_id(index);
    ScimUser::from_json(
        &t.sims
            .scim_user_by_external_id(&id)
            .unwrap_or_else(|| panic!("{id} has no user")),
    )
}

fn line(lines: &std::collections::BTreeMap<String, RecordLine>, t: &TestHub, index: u32) -> RecordLine {
    let id = t.sims.employment_hero_employee_id(index);
    lines.get(&id).unwrap_or_else(|| panic!("no line for {id}")).clone()
}

fn reason(line: &RecordLine) -> &str {
    line.reason.as_deref().unwrap_or("")
}

/// Every user whose source person names a manager with a user of their own links to that user.
fn every_link_is_set(t: &TestHub, count: u32) {
    let users = scim_users(t);
    for i in 0..count {
        let Some(person) = t.sims.person(i) else { continue };
        let Some(me) = users.get(&t.sims.employment_hero_employee_id(i)) else {
            continue;
        };
        let manager = person
            .manager
            .filter(|m| *m != i)
            .and_then(|m| users.get(&t.sims.employment_hero_employee_id(m)));
        assert_eq!(
            me.manager.as_ref(),
            manager.map(|m| &m.id),
            "person {i}: {me:?} should link to {manager:?}"
        );
    }
}

async fn a_person_written_before_their_manager_is_linked_in_the_same_run(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(250);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    // Read in index order, 100 a page: the report on page 1, their manager on page 3.
    let report = due(&t, 0..20)[0];
    let boss = *due(&t, 220..250).last().unwrap();
    t.sims.update_employee(report, |p| p.manager = Some(boss));

    let (run, lines) = sync(&t, &admin, &integration).await;
    assert_eq!(run.status, "done", "{run:?}");
    assert_eq!(
        user(&t, report).manager,
        Some(user(&t, boss).id),
        "linked in the same run"
    );
    let late = line(&lines, &t, report);
    assert_eq!(
        (late.decision.as_str(), late.outcome.as_str()),
        ("create", "created"),
        "{late:?}"
    );
    assert!(reason(&late).contains("manager link set late"), "{late:?}");
    assert!(
        late.changes.iter().any(|c| c.field == "manager" && c.new.is_some()),
        "{late:?}"
    );
    every_link_is_set(&t, 250);

    let (again, _) = sync(&t, &admin, &integration).await;
    assert_eq!((again.status.as_str(), again.records_written), ("done", 0), "{again:?}");
}

async fn a_manager_who_leaves_keeps_their_reports_linked(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(40);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let people = due(&t, 0..40);
    let (boss, reports) = (people[0], &people[1..4]);
    for r in reports {
        t.sims.update_employee(*r, |p| p.manager = Some(boss));
    }
    let (first, _) = sync(&t, &admin, &integration).await;
    assert_eq!(first.status, "done", "{first:?}");
    let boss_user = user(&t, boss);

    t.sims
        .terminate_employee(boss, NaiveDate::from_ymd_opt(2020, 1, 31).unwrap());
    let (run, lines) = sync(&t, &admin, &integration).await;
    assert_eq!(run.status, "done", "{run:?}");
    assert_eq!(line(&lines, &t, boss).outcome, "deactivated");
    let gone = user(&t, boss);
    assert_eq!((gone.id.as_str(), gone.active), (boss_user.id.as_str(), false));
    // The documented rule: reports keep the link to their manager's (deactivated, not deleted) user until the
    // source names another manager; the link never points at a user that is not there.
    for r in reports {
        assert_eq!(user(&t, *r).manager.as_deref(), Some(boss_user.id.as_str()));
    }
    every_link_is_set(&t, 40);
    let (again, _) = sync(&t, &admin, &integration).await;
    assert_eq!(again.records_written, 0, "{again:?}");

    // The source names a new manager: the link follows.
    let new_boss = people[5];
    t.sims.update_employee(reports[0], |p| p.manager = Some(new_boss));
    let (moved, _) = sync(&t, &admin, &integration).await;
    assert_eq!(moved.records_written, 1, "{moved:?}");
    assert_eq!(user(&t, reports[0]).manager, Some(user(&t, new_boss).id));
}

async fn loops_own_managers_and_filtered_managers_give_reasons(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(30);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let people = due(&t, 0..30);
    let (a, b, own, report, filtered) = (people[0], people[1], people[2], people[3], people[4]);
    t.sims.update_employee(a, |p| p.manager = Some(b));
    t.sims.update_employee(b, |p| p.manager = Some(a));
    t.sims.update_employee(own, |p| p.manager = Some(own));
    t.sims.update_employee(report, |p| p.manager = Some(filtered));
    // No email: filtered out by the mandatory fields, so never in the target.
    t.sims.update_employee(filtered, |p| p.work_email = None);

    let (run, lines) = sync(&t, &admin, &integration).await;
    assert_eq!(run.status, "done", "{run:?}");
    // A loop: linked as the source says, once each, and the lines say so.
    assert_eq!(user(&t, a).manager, Some(user(&t, b).id));
    assert_eq!(user(&t, b).manager, Some(user(&t, a).id));
    for p in [a, b] {
        assert!(
            reason(&line(&lines, &t, p)).contains("loops back"),
            "{:?}",
            line(&lines, &t, p)
        );
    }
    assert_eq!(user(&t, own).manager, None);
    assert!(reason(&line(&lines, &t, own)).contains("own manager"));
    assert_eq!(line(&lines, &t, filtered).decision, "filter");
    assert_eq!(user(&t, report).manager, None);
    let unlinked = line(&lines, &t, report);
    assert!(reason(&unlinked).contains("not in the target"), "{unlinked:?}");
    every_link_is_set(&t, 30);
    let (again, _) = sync(&t, &admin, &integration).await;
    assert_eq!((again.status.as_str(), again.records_written), ("done", 0), "{again:?}");

    // The manager gets an email: created, and the report linked by the same run.
    t.sims
        .update_employee(filtered, |p| p.work_email = Some("found@acme.example".into()));
    let (fixed, lines) = sync(&t, &admin, &integration).await;
    assert_eq!(fixed.status, "done", "{fixed:?}");
    assert_eq!(user(&t, report).manager, Some(user(&t, filtered).id));
    assert!(reason(&line(&lines, &t, report)).contains("manager link set late"));
}

async fn two_people_with_one_email_never_share_a_user(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(20);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let people = due(&t, 0..20);
    let (first, second) = (people[0], people[1]);
    let email = t.sims.person(first).unwrap().work_email.unwrap();
    t.sims.update_employee(second, |p| p.work_email = Some(email.clone()));

    for _ in 0..2 {
        let (run, lines) = sync(&t, &admin, &integration).await;
        let users = scim_users(&t);
        let holders: Vec<&ScimUser> = users.values().filter(|u| u.user_name == email).collect();
        assert_eq!(holders.len(), 1, "{holders:?}");
        let holder = holders[0].external_id.clone().unwrap();
        let ids = [first, second].map(|i| t.sims.employment_hero_employee_id(i));
        assert!(ids.contains(&holder));
        let refused = ids.iter().find(|id| **id != holder).unwrap();
        assert!(!users.contains_key(refused), "the other person has no user");
        let line = &lines[refused];
        assert_eq!(line.outcome, "failed", "{line:?}");
        assert!(
            line.error.as_deref().unwrap_or("").contains("another person"),
            "{line:?}"
        );
        assert_eq!((run.status.as_str(), run.records_errors), ("partial", 1), "{run:?}");
    }
}

async fn an_email_or_name_change_updates_the_same_user(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(15);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let person = due(&t, 0..15)[0];
    sync(&t, &admin, &integration).await;
    let before = user(&t, person);
    let count = t.sims.scim_users().len();

    t.sims.update_employee(person, |p| {
        p.work_email = Some("renamed.person@acme.example".into());
        p.first_name = "Renamed".into();
    });
    let (run, lines) = sync(&t, &admin, &integration).await;
    // The person, and their reports, whose manager's name changed with them.
    let reports = (0..15)
        .filter(|i| t.sims.person(*i).unwrap().manager == Some(person))
        .filter(|i| scim_users(&t).contains_key(&t.sims.employment_hero_employee_id(*i)))
        .count() as i64;
    assert_eq!(
        (run.status.as_str(), run.records_written),
        ("done", 1 + reports),
        "{run:?}"
    );
    let after = user(&t, person);
    assert_eq!(after.id, before.id, "the same user, linked by id");
    assert_eq!(
        (after.user_name.as_str(), after.given_name.as_deref()),
        ("renamed.person@acme.example", Some("Renamed"))
    );
    assert_eq!(t.sims.scim_users().len(), count, "nobody created");
    let changed = line(&lines, &t, person);
    let changed: Vec<&str> = changed.changes.iter().map(|c| c.field.as_str()).collect();
    assert!(
        changed.contains(&"email") && changed.contains(&"first_name"),
        "{changed:?}"
    );
}

async fn a_rehired_leaver_is_active_again(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(15);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let person = due(&t, 0..15)[0];
    sync(&t, &admin, &integration).await;
    let hired = user(&t, person);

    t.sims
        .terminate_employee(person, NaiveDate::from_ymd_opt(2020, 6, 30).unwrap());
    sync(&t, &admin, &integration).await;
    assert!(!user(&t, person).active);

    // Re-hired: the termination date is removed.
    t.sims.update_employee(person, |p| p.termination_date = None);
    let (run, lines) = sync(&t, &admin, &integration).await;
    assert_eq!(run.status, "done", "{run:?}");
    let back = user(&t, person);
    assert_eq!(
        (back.id.as_str(), back.active),
        (hired.id.as_str(), true),
        "the same user, active"
    );
    let rehired = line(&lines, &t, person);
    assert_eq!(
        (rehired.decision.as_str(), rehired.outcome.as_str()),
        ("update", "updated")
    );
    assert!(
        rehired
            .changes
            .iter()
            .any(|c| c.field == "active" && c.new.as_deref() == Some("true"))
    );
    let (again, _) = sync(&t, &admin, &integration).await;
    assert_eq!(again.records_written, 0, "{again:?}");
}

/// SCIM requests of each kind since the simulators started.
fn scim_requests(t: &TestHub) -> (usize, usize) {
    let requests = t.sims.requests();
    let gets = requests.iter().filter(|r| *r == "GET /scim/v2/Users").count();
    let posts = requests.iter().filter(|r| *r == "POST /scim/v2/Users").count();
    (gets, posts)
}

async fn new_people_are_looked_up_in_the_target_a_page_at_a_time(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(300);
    let integration = enabled_integration(&t, &admin, json!({})).await;
    // Two of them already have users (made by hand in the target): found by the look-up and linked, not duplicated.
    let existing = due(&t, 0..300);
    let (pre_a, pre_b) = (existing[3], existing[150]);
    for index in [pre_a, pre_b] {
        let email = t.sims.person(index).unwrap().work_email.unwrap();
        let body = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": email,
            "emails": [{"value": email, "primary": true}],
        });
        t.sims
            .scim
            .write()
            .unwrap()
            .create(body, "http://made.by.hand")
            .unwrap();
    }
    let (gets_before, _) = scim_requests(&t);

    let (run, lines) = sync(&t, &admin, &integration).await;
    assert_eq!(run.status, "done", "{run:?}");
    let (gets, posts) = scim_requests(&t);
    let created = lines.values().filter(|l| l.outcome == "created").count();
    assert_eq!(posts, created, "one POST per new person and none for the two linked");
    for index in [pre_a, pre_b] {
        assert_eq!(
            reason(&line(&lines, &t, index)),
            "linked to the existing user with the same email"
        );
        assert_eq!(line(&lines, &t, index).outcome, "updated");
    }
    // Per wave at most two look-ups per 50 people (external ids, then emails), not two per person.
    let lookups = gets - gets_before;
    assert!(
        lookups * 5 <= created,
        "{lookups} look-ups for {created} people: the target should be asked a page at a time"
    );
    assert_eq!(scim_users(&t).len(), created + 2);
}

async fn a_target_that_refuses_or_filters_gets_one_look_up_per_person(t: TestHub) {
    let admin = t.organisation("Acme").await;
    t.sims.seed(60);
    t.sims.scim.write().unwrap().refuse_or_filters = true;
    let integration = enabled_integration(&t, &admin, json!({})).await;
    let (gets_before, _) = scim_requests(&t);

    let (run, lines) = sync(&t, &admin, &integration).await;
    assert_eq!(run.status, "done", "{run:?}");
    let (gets, posts) = scim_requests(&t);
    let created = lines.values().filter(|l| l.outcome == "created").count();
    assert!(created >= 40, "{created}");
    assert_eq!(posts, created);
    assert!(
        gets - gets_before >= created,
        "{} look-ups for {created} people: each is looked up alone once `or` is refused",
        gets - gets_before
    );
    assert_eq!(scim_users(&t).len(), created);
}
