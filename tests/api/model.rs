//! Issue 17: a model-based test. The real hub syncs the Employment Hero simulator to the SCIM simulator through
//! rounds generated from a seed (`model/scenario.rs`): each round changes the source (hires, leavers, re-hires,
//! title/location/email/name changes, manager moves, duplicate emails), breaks the target for the round's first run
//! (latency, 429s with Retry-After, 503 storms, refused emails) and runs a full or incremental sync at the case's
//! concurrency. Then:
//! - a `partial` run: everyone whose user differs from the projection has a `failed` line in it;
//! - with the target mended, runs until one is `done` (or `partial` only for people who share an email with
//!   someone who holds it, writing nothing more); then the WHOLE target equals the projection (`model/expect.rs`)
//!   and no two people's lines name one user;
//! - one more run writes nothing: every line `unchanged` (the duplicates' `failed`).
//!
//! CI runs one fixed seed per backend (`model::sqlite`, `model::postgres_redis`; `MODEL_SEED=n` replays another).
//! `just soak [MINUTES] [SEED]` runs larger cases seed after seed (`model::soak`, ignored otherwise) and prints each
//! round and any difference, with the seed to replay it.
mod expect;
mod scenario;

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use ihub_simulators::{Accepted, SeedOptions};
use serde_json::{Value, json};

use self::expect::{Expected, Src, State, Target};
use self::scenario::{Applier, Scenario, Size};
use crate::harness::journeys::{connected, employment_hero_connection, records};
use crate::harness::{Backend, Options, Session, TestHub};

/// The CI cases' seeds: between them every kind of change and fault, at concurrency 8 and 32.
const SQLITE_SEED: u64 = 9;
const POSTGRES_SEED: u64 = 170;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite() {
    ci(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_redis() {
    ci(Backend::Postgres).await
}

fn seed_from(var: &str) -> Option<u64> {
    let text = std::env::var(var).ok()?;
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{var}={text} is not a number")))
}

async fn ci(backend: Backend) {
    let fixed = match backend {
        Backend::Sqlite => SQLITE_SEED,
        Backend::Postgres => POSTGRES_SEED,
    };
    let seed = seed_from("MODEL_SEED").unwrap_or(fixed);
    let started = Instant::now();
    let scenario = scenario::generate(seed, scenario::CI);
    let played = play(backend, &scenario, scenario::CI, false).await;
    println!(
        "model {backend:?}: seed {seed}, {} rounds, {} changes, {} runs in {:.0?}",
        played.rounds,
        played.changes,
        played.runs,
        started.elapsed()
    );
    if let Some(found) = played.found.first() {
        panic!(
            "{found}\nreplay: MODEL_SEED={seed} cargo nextest run -p ihub-tests --test api --no-capture -E 'test(=model::{})'",
            if backend == Backend::Sqlite {
                "sqlite"
            } else {
                "postgres_redis"
            }
        );
    }
}

/// `just soak`: seed after seed until `SOAK_MINUTES` (10) have passed, from `SOAK_SEED` (else the clock), on
/// `SOAK_BACKEND` (`sqlite`, `postgres` or `both`, taking turns; `sqlite` unless set). A seed whose target differs
/// from the model stops there, unless `SOAK_KEEP_GOING=1` (then the model takes the target as it is and the seed
/// goes on, to see what else differs). Fails at the end if any seed found a difference.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "long: run by `just soak`"]
async fn soak() {
    let minutes: u64 = std::env::var("SOAK_MINUTES")
        .ok()
        .filter(|m| !m.trim().is_empty())
        .map(|m| m.trim().parse().expect("SOAK_MINUTES is a number of minutes"))
        .unwrap_or(10);
    let first = seed_from("SOAK_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_secs()
    });
    let backends = match std::env::var("SOAK_BACKEND").as_deref().map(str::trim) {
        Ok("postgres") => vec![Backend::Postgres],
        Ok("both") => vec![Backend::Sqlite, Backend::Postgres],
        Ok("sqlite") | Ok("") | Err(_) => vec![Backend::Sqlite],
        Ok(other) => panic!("SOAK_BACKEND={other}: sqlite, postgres or both"),
    };
    let keep_going = std::env::var("SOAK_KEEP_GOING").is_ok_and(|v| !v.is_empty() && v != "0");
    let deadline = Instant::now() + Duration::from_secs(minutes * 60);
    let started = Instant::now();
    let (mut seeds, mut rounds, mut changes, mut runs) = (0, 0, 0, 0);
    let mut found = Vec::new();
    let mut seed = first;
    loop {
        let backend = backends[seeds % backends.len()];
        let scenario = scenario::generate(seed, scenario::SOAK);
        let played = play(backend, &scenario, scenario::SOAK, keep_going).await;
        seeds += 1;
        rounds += played.rounds;
        changes += played.changes;
        runs += played.runs;
        for f in &played.found {
            if !keep_going {
                println!("{f}");
            }
            found.push(format!(
                "seed {seed} ({backend:?}) round {}: {} differences — replay: SOAK_BACKEND={} just soak 0 {seed}",
                f.round,
                f.problems.len(),
                if backend == Backend::Sqlite {
                    "sqlite"
                } else {
                    "postgres"
                },
            ));
        }
        if !played.found.is_empty() {
            println!(
                "replay: SOAK_BACKEND={} just soak 0 {seed}\n",
                if backend == Backend::Sqlite {
                    "sqlite"
                } else {
                    "postgres"
                }
            );
        }
        if Instant::now() >= deadline {
            break;
        }
        seed = seed.wrapping_add(1);
    }
    println!(
        "soak: {seeds} seeds ({first}..={seed}), {rounds} rounds, {changes} changes, {runs} runs in {:.0?}; {} rounds with differences",
        started.elapsed(),
        found.len()
    );
    assert!(found.is_empty(), "differences found:\n{}", found.join("\n"));
}

/// One way the hub differed from the model: what kind of thing (for the summary) and the details.
struct Problem {
    kind: String,
    text: String,
}

impl Problem {
    fn new(kind: &str, text: String) -> Self {
        Self {
            kind: kind.to_owned(),
            text,
        }
    }
}

/// A round of a case whose target differed from the model.
struct Found {
    seed: u64,
    size: Size,
    round: usize,
    of: usize,
    concurrency: usize,
    changes: Vec<String>,
    faults: String,
    problems: Vec<Problem>,
}

impl std::fmt::Display for Found {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "DIFFERENCE: seed {} ({:?}), round {}/{}, concurrency {}",
            self.seed, self.size, self.round, self.of, self.concurrency
        )?;
        writeln!(f, "  changes: {}", self.changes.join("; "))?;
        writeln!(f, "  faults: {}", self.faults)?;
        let mut kinds: Vec<(&str, usize)> = Vec::new();
        for problem in &self.problems {
            match kinds.iter_mut().find(|(k, _)| *k == problem.kind) {
                Some((_, n)) => *n += 1,
                None => kinds.push((&problem.kind, 1)),
            }
        }
        let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} ×{n}")).collect();
        writeln!(f, "  {} differences: {}", self.problems.len(), kinds.join(", "))?;
        const SHOWN: usize = 40;
        for problem in self.problems.iter().take(SHOWN) {
            writeln!(f, "  - {}", problem.text)?;
        }
        if self.problems.len() > SHOWN {
            writeln!(f, "  … and {} more", self.problems.len() - SHOWN)?;
        }
        Ok(())
    }
}

#[derive(Default)]
struct Played {
    rounds: usize,
    changes: usize,
    runs: usize,
    /// The rounds that differed from the model (at most one unless the case kept going).
    found: Vec<Found>,
}

/// An enabled Employment Hero → SCIM integration; the SCIM connection maps location and is not paced (the model
/// runs hundreds of writes a minute).
async fn integration(t: &TestHub, admin: &Session) -> String {
    let accepted = Accepted::default();
    let source = employment_hero_connection(t, admin).await;
    let target = t
        .post(
            "/api/v1/connections",
            &admin.token,
            json!({
                "name": "Learning platform",
                "connector": "scim",
                "settings": {
                    "base_url": t.sims.scim_base_url(),
                    "location_attribute": expect::LOCATION,
                    "requests_per_minute": 600_000,
                    "burst": 1000,
                },
                "credentials": {"token": accepted.scim_token},
            }),
        )
        .await
        .expect(201)
        .clone();
    connected(t, admin, &[&source, &target]).await;
    let created = t
        .post(
            "/api/v1/integrations",
            &admin.token,
            json!({
                "name": "EH → LMS (model)",
                "kind": "employees_to_users",
                "source_connection_id": source["id"],
                "target_connection_id": target["id"],
            }),
        )
        .await;
    let id = created.expect(201)["id"].as_str().unwrap().to_owned();
    t.post_empty(&format!("/api/v1/integrations/{id}/enable"), &admin.token)
        .await
        .expect(200);
    id
}

/// A run, started and waited for (longer than other tests wait: a storm with Retry-After takes a while).
async fn run(t: &TestHub, admin: &Session, integration: &str, full: bool) -> Value {
    let started = t
        .post(
            &format!("/api/v1/integrations/{integration}/run"),
            &admin.token,
            json!({ "full": full }),
        )
        .await;
    let id = started.expect(202)["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let current = t
            .get(&format!("/api/v1/runs/{id}"), &admin.token)
            .await
            .expect(200)
            .clone();
        if ["done", "partial", "failed", "cancelled"].contains(&current["status"].as_str().unwrap_or_default()) {
            return current;
        }
        assert!(Instant::now() < deadline, "run did not end in 10 minutes: {current}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn status(run: &Value) -> &str {
    run["status"].as_str().unwrap_or_default()
}

fn written(run: &Value) -> i64 {
    run["records_written"].as_i64().unwrap_or(-1)
}

fn describe(run: &Value) -> String {
    format!(
        "run {} {} (written {}, errors {})",
        run["number"],
        status(run),
        written(run),
        run["records_errors"]
    )
}

/// The people whose line in `lines` failed.
fn failed(lines: &[Value], index_of: &HashMap<String, u32>) -> BTreeSet<u32> {
    lines
        .iter()
        .filter(|l| l["outcome"] == "failed")
        .filter_map(|l| l["source_id"].as_str().and_then(|id| index_of.get(id)).copied())
        .collect()
}

fn line_of<'a>(lines: &'a [Value], p: &Src) -> Option<&'a Value> {
    lines.iter().find(|l| l["source_id"] == p.id.as_str())
}

fn brief(line: &Value) -> String {
    let mut out = format!(
        "{}/{}",
        line["decision"].as_str().unwrap_or("?"),
        line["outcome"].as_str().unwrap_or("?")
    );
    for key in ["reason", "error"] {
        if let Some(text) = line[key].as_str() {
            out.push_str(&format!(" {key}: {text:?}"));
        }
    }
    out
}

/// The checks of a settled run's lines: the duplicates fail with a reason, nobody else fails, no two people are
/// bound to one user.
fn check_lines(src: &[Src], expected: &Expected, lines: &[Value], problems: &mut Vec<Problem>) {
    let index_of: HashMap<&str, &Src> = src.iter().map(|p| (p.id.as_str(), p)).collect();
    for p in src.iter().filter(|p| expected.losers.contains(&p.index)) {
        let ok = line_of(lines, p).is_some_and(|l| {
            l["outcome"] == "failed"
                && [&l["error"], &l["reason"]]
                    .iter()
                    .any(|t| t.as_str().is_some_and(|t| !t.trim().is_empty()))
        });
        if !ok {
            let held_by = expected
                .users
                .iter()
                .find(|(_, u)| Some(u.held.user_name.as_str()) == p.email.as_deref())
                .and_then(|(holder, _)| src.iter().find(|s| s.index == *holder))
                .map_or_else(|| "someone".to_owned(), expect::who);
            problems.push(Problem::new(
                "duplicate email not failed",
                format!(
                    "{}: record line: expected failed with a reason (their email {:?} is held by {held_by}), actual {}",
                    expect::who(p),
                    p.email.as_deref().unwrap_or_default(),
                    line_of(lines, p).map_or_else(|| "no line".to_owned(), brief)
                ),
            ));
        }
    }
    for line in lines.iter().filter(|l| l["outcome"] == "failed") {
        if let Some(p) = line["source_id"].as_str().and_then(|id| index_of.get(id))
            && !expected.losers.contains(&p.index)
        {
            problems.push(Problem::new(
                "failed line",
                format!(
                    "{}: record line: expected not failed, actual {}",
                    expect::who(p),
                    brief(line)
                ),
            ));
        }
    }
    let mut by_user: HashMap<&str, Vec<&str>> = HashMap::new();
    for line in lines {
        if let (Some(target), Some(source)) = (line["target_id"].as_str(), line["source_id"].as_str()) {
            by_user.entry(target).or_default().push(source);
        }
    }
    for (user, people) in by_user.into_iter().filter(|(_, p)| p.len() > 1) {
        let named: Vec<String> = people
            .iter()
            .map(|id| index_of.get(id).map_or_else(|| (*id).to_owned(), |p| expect::who(p)))
            .collect();
        problems.push(Problem::new(
            "two people on one user",
            format!(
                "user {user}: people bound to it: expected one, actual {}: {}",
                named.len(),
                named.join(", ")
            ),
        ));
    }
}

/// One case from start to end. A round whose target differs from the model ends the case, unless `keep_going`:
/// then the model takes the target's users as they are and the case goes on.
async fn play(backend: Backend, scenario: &Scenario, size: Size, keep_going: bool) -> Played {
    let seed = scenario.seed;
    println!(
        "== seed {seed} on {backend:?}: {} people, concurrency {}, {} rounds",
        scenario.people,
        scenario.concurrency,
        scenario.rounds.len()
    );
    let options = Options {
        sync_concurrency: Some(scenario.concurrency),
        ..Options::with_worker()
    };
    let t = TestHub::start_with(backend, options).await;
    let admin = t.organisation("Acme").await;
    t.sims.seed_people(&SeedOptions {
        count: scenario.people,
        seed,
        today: scenario::today(),
    });
    let integration = integration(&t, &admin).await;
    let mut applier = Applier::new(&t.sims);
    let mut state = State::new();
    let mut played = Played::default();
    let of = scenario.rounds.len();
    for (number, round) in scenario.rounds.iter().enumerate() {
        let number = number + 1;
        let day = scenario::today();
        let round_started = Instant::now();
        let changes: Vec<String> = round.changes.iter().map(|c| applier.apply(c)).collect();
        played.changes += changes.len();
        let faults = applier.break_target(&round.faults);
        let first = run(&t, &admin, &integration, round.full).await;
        applier.mend_target();
        played.runs += 1;
        let mut story = vec![format!(
            "{} {}",
            if round.full { "full" } else { "incremental" },
            describe(&first)
        )];

        let src = expect::source(&t.sims);
        let index_of: HashMap<String, u32> = src.iter().map(|p| (p.id.clone(), p.index)).collect();
        let none = BTreeSet::new();

        // A partial run: whoever differs from the projection failed in it.
        let mut after_partial = Vec::new();
        if status(&first) == "partial" {
            let lines = records(&t, &admin, &first, "").await;
            let failed = failed(&lines, &index_of);
            let target = Target::read(&t.sims, &src);
            let expected = expect::expect(&src, &state, &failed, &target);
            after_partial = expect::compare(&src, &expected, &target, &failed);
        }

        // The target mended: run until settled.
        let mut last = first;
        let mut settled = false;
        for attempt in 0..6 {
            if attempt > 0 {
                last = run(&t, &admin, &integration, round.full).await;
                played.runs += 1;
                story.push(describe(&last));
            }
            match status(&last) {
                "done" => {
                    settled = true;
                    break;
                }
                "partial" if written(&last) == 0 => {
                    let lines = records(&t, &admin, &last, "").await;
                    let target = Target::read(&t.sims, &src);
                    let expected = expect::expect(&src, &state, &none, &target);
                    if failed(&lines, &index_of).is_subset(&expected.losers) {
                        settled = true;
                        break;
                    }
                }
                _ => {}
            }
        }
        let mut problems = Vec::new();
        if !settled {
            problems.push(Problem::new(
                "runs did not settle",
                format!(
                    "runs: expected one to end done (or partial only for duplicate emails, writing nothing), actual {}",
                    story.join(", ")
                ),
            ));
        }

        // The whole target against the projection.
        let target = Target::read(&t.sims, &src);
        let expected = expect::expect(&src, &state, &none, &target);
        let whole = expect::compare(&src, &expected, &target, &none);
        problems.extend(whole.iter().map(|d| Problem::new(&d.field, d.to_string())));
        let lines = records(&t, &admin, &last, "").await;
        check_lines(&src, &expected, &lines, &mut problems);

        // Once more: nothing to write.
        let again = run(&t, &admin, &integration, true).await;
        played.runs += 1;
        story.push(format!("again: {}", describe(&again)));
        if written(&again) != 0 {
            problems.push(Problem::new(
                "the run after wrote",
                format!("the run after: records_written: expected 0, actual {}", written(&again)),
            ));
        }
        for line in records(&t, &admin, &again, "").await {
            let loser = line["source_id"]
                .as_str()
                .and_then(|id| index_of.get(id))
                .is_some_and(|p| expected.losers.contains(p));
            let fine = line["outcome"] == "unchanged" || (loser && line["outcome"] == "failed");
            if !fine {
                let who = line["source_id"]
                    .as_str()
                    .and_then(|id| src.iter().find(|p| p.id == id))
                    .map_or_else(|| line["source_id"].to_string(), expect::who);
                problems.push(Problem::new(
                    "the run after wrote",
                    format!("{who}: the run after: line expected unchanged, actual {}", brief(&line)),
                ));
            }
        }
        // Last, what the partial run left that the mended runs did not put right either way (the rest is above).
        for diff in after_partial {
            if !whole.iter().any(|w| w.person == diff.person && w.field == diff.field) {
                problems.push(Problem::new(
                    &format!("partial run: {}", diff.field),
                    format!("after the partial run, not failed in it: {diff}"),
                ));
            } else {
                problems.push(Problem::new(
                    &format!("partial run: {}", diff.field),
                    format!(
                        "after the partial run too, not failed in it: {}: {}",
                        diff.person, diff.field
                    ),
                ));
            }
        }

        played.rounds += 1;
        let judged = scenario::today() == day;
        println!(
            "seed {seed} round {number}/{of} [{:.1?}] · changes: {} · faults: {faults} · {} · {}",
            round_started.elapsed(),
            changes.join("; "),
            story.join(" → "),
            match (judged, problems.len()) {
                (false, _) => "not judged: the day changed during the round".to_owned(),
                (true, 0) => format!(
                    "target = model ({} users, {} duplicates failing)",
                    target.users.len(),
                    expected.losers.len()
                ),
                (true, n) => format!("{n} DIFFERENCES"),
            }
        );
        if judged && !problems.is_empty() {
            let found = Found {
                seed,
                size,
                round: number,
                of,
                concurrency: scenario.concurrency,
                changes,
                faults,
                problems,
            };
            if !keep_going {
                played.found.push(found);
                break;
            }
            println!("{found}");
            played.found.push(found);
            state = expect::resync(&target);
        } else {
            state = expect::learn(&expected, &target);
        }
    }
    played
}
