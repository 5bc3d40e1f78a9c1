//! The Markdown report: printed, and written to BENCHMARKS.md above the line that keeps hand-written notes.
use std::collections::BTreeSet;
use std::fmt::Write;

use crate::jobs::{Drain, JobsResult, LATENCY_JOBS, PUSHERS};
use crate::machine::Machine;
use crate::rate_limit::{AIM_REFUSED, AIM_USED, RateLimitResult};
use crate::sync::{BackendResult, Phase};
use crate::webhooks::{BODY_BYTES, CLIENTS, Load, WARM_UP};

/// Whatever follows this line in the existing file is kept when the file is written again.
pub const KEEP_MARKER: &str = "<!-- Everything below this line is kept when ihub-bench rewrites the file. -->";

pub const AIM_RECORDS_PER_SEC: f64 = 5_000.0;
pub const AIM_RESYNC_SHARE: f64 = 0.10;
pub const AIM_PEAK_RSS_MB: f64 = 150.0;

pub struct Report<'a> {
    pub date: String,
    pub machine: &'a Machine,
    pub invocation: String,
    pub total_secs: f64,
    pub backends: &'a [BackendResult],
    /// One full sync per backend at a larger scale (`--big-people`), for its memory.
    pub big: &'a [BackendResult],
    pub jobs: Option<&'a JobsResult>,
    pub webhooks: &'a [Load],
    pub rate_limit: Option<&'a RateLimitResult>,
}

fn mb(kb: u64) -> f64 {
    kb as f64 * 1024.0 / 1e6
}

fn verdict(pass: bool) -> &'static str {
    if pass { "**pass**" } else { "**miss**" }
}

fn thousands(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn outcome(phase: &Phase) -> String {
    let r = &phase.run;
    format!(
        "{}: read {}, written {}, errors {}",
        r["status"].as_str().unwrap_or("?"),
        r["records_read"],
        r["records_written"],
        r["records_errors"]
    )
}

impl Report<'_> {
    pub fn markdown(&self) -> String {
        let mut md = String::new();
        let m = self.machine;
        let people = self.backends.first().map_or(0, |b| b.people);
        let _ = writeln!(md, "# Benchmarks\n");
        let _ = writeln!(
            md,
            "Written by `ihub-bench` (`crates/bench`); `just bench` measures again and rewrites everything above the \
             notes at the end. Aims from issue 4: full sync ≥ 5,000 records/s, no-change resync ≤ 10% of the full \
             sync's time, peak RSS of the hub ≤ 150 MB, at 100,000 people.\n"
        );
        let _ = writeln!(md, "## Run\n");
        let _ = writeln!(md, "- Date: {}", self.date);
        let _ = writeln!(
            md,
            "- Machine: {} CPUs ({}), {:.1} GiB RAM, {}, Linux {}",
            m.cpus, m.cpu_model, m.ram_gib, m.os, m.kernel
        );
        let _ = writeln!(md, "- Toolchain: {}", m.rustc);
        let dirty = if m.dirty.is_empty() {
            String::new()
        } else {
            format!(
                ", with uncommitted changes in {} (they were in the build measured)",
                m.dirty.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
            )
        };
        let _ = writeln!(md, "- Code: `{}`{dirty}", m.commit);
        let _ = writeln!(
            md,
            "- Load average before the run: {} (the benchmark shares the machine with whatever else runs)",
            m.load_before
        );
        let _ = writeln!(md, "- The whole benchmark took {:.0} s\n", self.total_secs);

        let _ = writeln!(md, "## Commands\n");
        let _ = writeln!(md, "```sh\njust bench    # which runs:");
        let _ = writeln!(
            md,
            "cargo build --release -p ihub --bin ihub -p ihub-bench --bin ihub-bench"
        );
        let _ = writeln!(md, "{}\n```\n", self.invocation);
        let _ = writeln!(
            md,
            "The simulators (Employment Hero as the source, SCIM as the target) run inside `ihub-bench`, seeded with \
             the people; the hub runs as its own release process, set up through its HTTP API like \
             `tests/api/sync.rs` does (`ihub admin create-org` / `create-user`, sign in, both connections created \
             and tested, integration enabled), then `POST /api/v1/integrations/{{id}}/run {{\"full\": true}}` twice, \
             polling `GET /api/v1/runs/{{id}}` every 100 ms. The hub was started as:\n"
        );
        let _ = writeln!(md, "```sh");
        for b in self.backends {
            let _ = writeln!(md, "# {}\n{}", b.backend.title(), b.command);
        }
        if let Some(j) = self.jobs {
            let _ = writeln!(
                md,
                "# jobs through the Redis queue\n{}\n{}",
                j.worker_command, j.redis_benchmark_command
            );
        }
        let _ = writeln!(md, "```\n");

        if !self.backends.is_empty() {
            self.sync_tables(&mut md, people);
        }
        if let Some(j) = self.jobs {
            jobs_table(&mut md, j);
        }
        if !self.webhooks.is_empty() {
            md.push_str(&webhooks_section(
                self.webhooks,
                &self.invocation,
                &self.date,
                self.total_secs,
            ));
        }
        if let Some(r) = self.rate_limit {
            md.push_str(&rate_limit_section(r, &self.invocation, &self.date));
        }
        md
    }

    fn sync_tables(&self, md: &mut String, people: u32) {
        let _ = writeln!(
            md,
            "## Sync of {} people, Employment Hero simulator → SCIM simulator\n",
            thousands(people as f64)
        );
        let header: Vec<String> = self.backends.iter().map(|b| b.backend.title().to_owned()).collect();
        let _ = writeln!(md, "| | {} | aim |", header.join(" | "));
        let _ = writeln!(md, "|---|{}---|", "---|".repeat(self.backends.len()));
        let row = |md: &mut String, name: &str, aim: &str, cell: &dyn Fn(&BackendResult) -> String| {
            let cells: Vec<String> = self.backends.iter().map(cell).collect();
            let _ = writeln!(md, "| {name} | {} | {aim} |", cells.join(" | "));
        };
        let full_at_scale = people >= 100_000;
        let scale_note = if full_at_scale { "" } else { " (aim is at 100k)" };
        row(md, "full sync: wall time", "", &|b| format!("{:.1} s", b.full.wall));
        row(
            md,
            "full sync: records/s, median",
            &format!("≥ 5,000{scale_note}"),
            &|b| {
                let r = b.full.records_per_sec();
                format!("{} {}", thousands(r), verdict(r >= AIM_RECORDS_PER_SEC))
            },
        );
        row(md, "full sync: records/s, each run", "", &|b| {
            let each: Vec<String> = b.repeats.iter().map(|r| thousands(r.0)).collect();
            each.join(", ")
        });
        row(
            md,
            "full sync: peak RSS of the hub",
            &format!("≤ 150 MB{scale_note}"),
            &|b| {
                let p = mb(b.full.peak_rss_kb);
                format!("{p:.0} MB {}", verdict(p <= AIM_PEAK_RSS_MB))
            },
        );
        row(md, "full sync: run", "", &|b| outcome(&b.full));
        row(md, "no-change resync: wall time", "", &|b| {
            format!("{:.1} s", b.resync.wall)
        });
        row(md, "no-change resync: records/s", "", &|b| {
            thousands(b.resync.records_per_sec())
        });
        row(md, "no-change resync ÷ full sync, median", "≤ 10%", &|b| {
            let share = b.resync_share();
            format!("{:.1}% {}", 100.0 * share, verdict(share <= AIM_RESYNC_SHARE))
        });
        row(md, "no-change resync ÷ full sync, each run", "", &|b| {
            let each: Vec<String> = b.repeats.iter().map(|r| format!("{:.1}%", 100.0 * r.1)).collect();
            each.join(", ")
        });
        row(md, "no-change resync: peak RSS of the hub", "≤ 150 MB", &|b| {
            let p = mb(b.resync.peak_rss_kb);
            format!("{p:.0} MB {}", verdict(p <= AIM_PEAK_RSS_MB))
        });
        row(md, "no-change resync: run", "", &|b| outcome(&b.resync));
        row(md, "hub RSS, set up and idle", "", &|b| {
            format!("{:.0} MB", mb(b.idle_rss_kb))
        });
        row(md, "set-up: admin commands, start, sign-in, connections", "", &|b| {
            format!("{:.1} s", b.setup)
        });
        row(md, "users in the SCIM simulator after the full sync", "", &|b| {
            thousands(b.scim_users as f64)
        });
        let _ = writeln!(md);
        if !self.big.is_empty() {
            let _ = writeln!(
                md,
                "Once at a larger scale (`--big-people`), on the same backends:\n\n| | {} | aim |\n|---|{}---|",
                self.big
                    .iter()
                    .map(|b| b.backend.title())
                    .collect::<Vec<_>>()
                    .join(" | "),
                "---|".repeat(self.big.len())
            );
            let big_row = |md: &mut String, name: &str, aim: &str, cell: &dyn Fn(&BackendResult) -> String| {
                let cells: Vec<String> = self.big.iter().map(cell).collect();
                let _ = writeln!(md, "| {name} | {} | {aim} |", cells.join(" | "));
            };
            big_row(md, "people", "", &|b| thousands(b.people as f64));
            big_row(md, "full sync: records/s", "", &|b| thousands(b.full.records_per_sec()));
            big_row(md, "full sync: peak RSS of the hub", "≤ 150 MB", &|b| {
                let p = mb(b.full.peak_rss_kb);
                format!("{p:.0} MB {}", verdict(p <= AIM_PEAK_RSS_MB))
            });
            big_row(md, "no-change resync: peak RSS of the hub", "≤ 150 MB", &|b| {
                let p = mb(b.resync.peak_rss_kb);
                format!("{p:.0} MB {}", verdict(p <= AIM_PEAK_RSS_MB))
            });
            big_row(md, "full sync: run", "", &|b| outcome(&b.full));
            let _ = writeln!(md);
        }

        let _ = writeln!(md, "### Where the time goes\n");
        let mut columns: Vec<(String, &Phase)> = Vec::new();
        for b in self.backends {
            columns.push((format!("{} full", b.backend.title()), &b.full));
            columns.push((format!("{} resync", b.backend.title()), &b.resync));
        }
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let _ = writeln!(md, "| | {} |", names.join(" | "));
        let _ = writeln!(md, "|---|{}", "---|".repeat(columns.len()));
        let line = |md: &mut String, name: &str, cell: &dyn Fn(&Phase) -> String| {
            let cells: Vec<String> = columns.iter().map(|(_, p)| cell(p)).collect();
            let _ = writeln!(md, "| {name} | {} |", cells.join(" | "));
        };
        line(md, "wall time", &|p| format!("{:.1} s", p.wall));
        line(md, "the run's own time (started → finished)", &|p| {
            p.engine.map_or("–".into(), |e| format!("{e:.1} s"))
        });
        line(md, "hub CPU (share of one core)", &|p| {
            format!("{:.1} s ({:.0}%)", p.hub_cpu, 100.0 * p.hub_cpu / p.wall)
        });
        line(md, "of which in the kernel", &|p| format!("{:.1} s", p.hub_sys));
        line(md, "hub context switches per record", &|p| {
            format!("{:.1}", p.hub_switches as f64 / p.read().max(1) as f64)
        });
        line(md, "simulators' CPU (the benchmark process)", &|p| {
            format!("{:.1} s ({:.0}%)", p.sims_cpu, 100.0 * p.sims_cpu / p.wall)
        });
        line(md, "PostgreSQL backends' CPU", &|p| {
            p.postgres_cpu
                .map_or("–".into(), |c| format!("{c:.1} s ({:.0}%)", 100.0 * c / p.wall))
        });
        let cpus = self.machine.cpus as f64;
        line(md, "whole machine busy", &|p| {
            format!("{:.0}% of {cpus} cores", p.machine_busy_pct)
        });
        line(md, "CPU used by everything else on the machine", &|p| {
            let others =
                p.machine_busy_pct / 100.0 * cpus * p.wall - p.hub_cpu - p.sims_cpu - p.postgres_cpu.unwrap_or(0.0);
            format!("{:.1} s ({:.0}%)", others.max(0.0), 100.0 * others.max(0.0) / p.wall)
        });
        line(md, "hub CPU per record", &|p| {
            format!("{:.0} µs", 1e6 * p.hub_cpu / p.read().max(1) as f64)
        });
        line(md, "SCIM requests per record", &|p| {
            format!("{:.2}", p.scim_requests as f64 / p.read().max(1) as f64)
        });
        line(md, "Employment Hero requests per record", &|p| {
            format!("{:.3}", p.employment_hero_requests as f64 / p.read().max(1) as f64)
        });
        let kinds: BTreeSet<&String> = columns.iter().flat_map(|(_, p)| p.requests.keys()).collect();
        for kind in kinds {
            line(md, &format!("requests `{kind}`"), &|p| {
                thousands(p.requests.get(kind).copied().unwrap_or(0) as f64)
            });
        }
        let _ = writeln!(md);
        let _ = writeln!(
            md,
            "CPU shares are of one core over the phase's wall time; the machine has {} cores, shared by the hub, the \
             simulators, PostgreSQL and anything else running.\n",
            self.machine.cpus
        );
        for b in self.backends {
            let _ = writeln!(
                md,
                "Rate limits given to both connections on {}: {} requests/minute, burst {}.",
                b.backend.title(),
                thousands(b.rate_limit.0 as f64),
                thousands(b.rate_limit.1 as f64)
            );
        }
        let _ = writeln!(md);
        for b in self.backends {
            for (what, phase) in [("full sync", &b.full), ("no-change resync", &b.resync)] {
                if let Some(profile) = &phase.profile {
                    let _ = writeln!(
                        md,
                        "<details><summary>perf profile of the hub, {} {what}</summary>\n\n```\n{}```\n</details>\n",
                        b.backend.title(),
                        profile
                    );
                }
            }
        }
    }
}

/// The jobs section alone (`--only jobs`).
pub const JOBS_HEADING: &str = "## Jobs through the Redis queue";

pub fn jobs_section(j: &JobsResult) -> String {
    let mut md = String::new();
    jobs_table(&mut md, j);
    md
}

fn jobs_table(md: &mut String, j: &JobsResult) {
    let (concurrency, poll) = crate::jobs::consumer();
    let _ = writeln!(md, "{JOBS_HEADING}\n");
    let _ = writeln!(
        md,
        "{} jobs `Job::Run` naming runs that do not exist, pushed with the hub's own dispatcher \
         (`RedisQueue::connect(REDIS_URL, <fresh queue>)`: one Lua script per push, straight to apalis-redis's \
         active list); a worker's claim of such a run is one conditional `UPDATE` that matches nothing.\n",
        thousands(j.jobs as f64)
    );
    let jobs = thousands(j.jobs as f64);
    let rows = [
        (
            "dispatch, one after another, nobody consuming".to_owned(),
            thousands(j.push_sequential),
        ),
        (
            format!("dispatch, {PUSHERS} at once, nobody consuming"),
            thousands(j.push_concurrent),
        ),
        (
            format!(
                "a backlog of {jobs} jobs taken by one apalis worker that does nothing (concurrency {concurrency}, poll \
                 {} ms, as the hub's worker)",
                poll.as_millis()
            ),
            drained(&j.backlog_one),
        ),
        (
            format!("a backlog of {jobs} jobs taken by two such workers"),
            drained(&j.backlog_two),
        ),
        (
            format!(
                "push → start: {jobs} dispatched ({PUSHERS} at once) while the do-nothing worker consumes, first push to last done"
            ),
            drained(&j.through_noop),
        ),
        (
            format!(
                "{jobs} dispatched ({PUSHERS} at once) while an `ihub worker` process on PostgreSQL runs them, first \
                 push to last done"
            ),
            drained(&j.through_worker),
        ),
        (
            format!("`{}` (50 clients, pipelining off)", j.redis_benchmark_command),
            j.redis_benchmark
                .map_or_else(|| j.redis_benchmark_line.clone(), thousands),
        ),
    ];
    let _ = writeln!(md, "| | per second |\n|---|---|");
    for (what, rate) in rows {
        let _ = writeln!(md, "| {what} | {rate} |");
    }
    let _ = writeln!(md);
    if let (Some(through), Some(lpush)) = (j.through_noop.rate(), j.redis_benchmark) {
        let share = 100.0 * through / lpush;
        let _ = writeln!(
            md,
            "Push → start is {share:.0}% of `redis-benchmark -t lpush` in this run (aim ≥ 25%){}.\n",
            if share >= 25.0 { "" } else { ": **miss**" }
        );
    }
    if let Some((p50, p99)) = j.latency_ms {
        let _ = writeln!(
            md,
            "Push → start of {} jobs pushed one at a time (2 ms apart) to the idle do-nothing worker: p50 {p50:.1} \
             ms, p99 {p99:.1} ms (aim p50 ≤ 5 ms{}).\n",
            thousands(LATENCY_JOBS as f64),
            if p50 <= 5.0 { "" } else { ": **miss**" }
        );
    }
    let _ = writeln!(
        md,
        "During the `ihub worker` measurement redis-server used {:.1} s of CPU and the worker {:.1} s.\n",
        j.redis_cpu, j.worker_cpu
    );
}

/// A drain's rate, or how far it got before it stopped moving.
fn drained(d: &Drain) -> String {
    match d.rate() {
        Some(rate) => thousands(rate),
        None => format!(
            "**stuck**: {} of {} done, nothing more after {:.0} s",
            thousands(d.done as f64),
            thousands(d.jobs as f64),
            d.secs
        ),
    }
}

/// The report above the kept part of the existing file, if any.
pub fn merge(existing: Option<&str>, generated: &str) -> String {
    let kept = existing
        .and_then(|text| text.split_once(KEEP_MARKER))
        .map(|(_, after)| after.trim_start_matches('\n').to_owned())
        .unwrap_or_else(|| "## Notes\n\n(Hand-written notes go here; the benchmark keeps them.)\n".to_owned());
    let mut generated = generated.trim_end_matches('\n').to_owned() + "\n";
    // A part not measured this time (its flag at 0) keeps the section of its last measurement, which says when and
    // by what command it was made; only the sync's sections are always new.
    if let Some(earlier) = existing.map(|text| text.split_once(KEEP_MARKER).map_or(text, |(g, _)| g)) {
        for heading in PARTS_MEASURED_ALONE {
            if !generated.contains(heading)
                && let Some(section) = section_of(earlier, heading)
            {
                generated.push('\n');
                generated.push_str(section.trim_end_matches('\n'));
                generated.push('\n');
            }
        }
    }
    format!("{generated}\n{KEEP_MARKER}\n\n{kept}")
}

/// The sections a run may leave out, each measured on its own (`--only`) or skipped with its flag at 0.
const PARTS_MEASURED_ALONE: [&str; 5] = [
    WEBHOOKS_HEADING,
    crate::drain::HEADING,
    JOBS_HEADING,
    crate::storm::HEADING,
    RATE_LIMIT_HEADING,
];

/// The section under `heading`, up to the next `## ` heading.
fn section_of<'a>(text: &'a str, heading: &str) -> Option<&'a str> {
    let start = text.find(&format!("{heading}\n"))?;
    let rest = &text[start + heading.len()..];
    let end = rest.find("\n## ").map_or(text.len(), |i| start + heading.len() + i + 1);
    Some(&text[start..end])
}

pub const AIM_DELIVERIES_PER_SEC: f64 = 1_500.0;
pub const AIM_P99_MS: f64 = 50.0;
pub const WEBHOOKS_HEADING: &str = "## Webhook ingestion";

/// The webhook ingestion section, on its own so that `--only webhooks` can replace just it.
pub fn webhooks_section(loads: &[Load], invocation: &str, date: &str, secs: f64) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "{WEBHOOKS_HEADING}
"
    );
    let _ = writeln!(
        md,
        "Measured {date} by `{invocation}` ({secs:.0} s in all). Aim from issue 11: at a fixed {} signed 1 KB \
         deliveries/s, p99 acknowledgement latency ≤ 50 ms on SQLite and PostgreSQL.\n\n\
         The load generator is in `ihub-bench` (`crates/bench/src/webhooks.rs`). {}. It runs for {:.0} s after a \
         {} s warm-up, on one shared reqwest client over loopback. Every delivery is a {BODY_BYTES}-byte BambooHR event \
         `{{\"type\":\"employee.updated\", \"timestamp\": <RFC 3339 with nanoseconds, so a new event id each time>, \
         \"data\": {{…}}, \"note\": <padding>}}`, signed as it is sent (`X-BambooHR-Signature` = HMAC-SHA256 over \
         body ‖ `X-BambooHR-Timestamp`) and posted to the integration's `webhook_url`; the integration (BambooHR → \
         SCIM simulators, rate limits raised as for the sync) has `webhook_delay_seconds: 3600`, so nothing is \
         processed while it is measured. Only 202 counts as delivered. The baseline is a bare actix-web server in \
         the benchmark process (default workers) answering 202 to any POST without reading or storing anything but \
         the body. The generator runs on the same {} cores as the receiver and takes a share of them.\n",
        thousands(AIM_DELIVERIES_PER_SEC),
        match loads.first().and_then(|l| l.rate) {
            Some(rate) => format!(
                "Open loop: delivery *i* is sent at *i* / {} s on a task of its own, whatever the answers before it, \
                 and its latency runs from that scheduled time to the whole answer read, so a stall is charged for \
                 every delivery queued behind it",
                thousands(f64::from(rate))
            ),
            None => format!(
                "Closed loop at full speed: {CLIENTS} concurrent clients, each posting one delivery after another; \
                 the latency runs from sending to the whole answer read"
            ),
        },
        loads.first().map_or(0.0, |l| l.secs),
        WARM_UP.as_secs(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let _ = writeln!(
        md,
        "| receiver | deliveries/s | p50 | p99 | max | failed | receiver CPU, warm-up included | events stored, warm-up included | aim |\n|---|---|---|---|---|---|---|---|---|"
    );
    for l in loads {
        let rate = l.per_sec();
        let p99 = l.p99_us as f64 / 1000.0;
        let aim = if l.target.starts_with("hub") {
            // At a fixed rate the generator sets the throughput; allow the 1% a schedule on 1 ms timers loses.
            verdict(rate >= 0.99 * AIM_DELIVERIES_PER_SEC && p99 <= AIM_P99_MS && l.failed == 0).to_owned()
        } else {
            String::new()
        };
        let failed = match &l.first_failure {
            Some(e) => format!("{} (first: {e})", thousands(l.failed as f64)),
            None => thousands(l.failed as f64),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} ms | {:.1} ms | {:.0} ms | {failed} | {} | {} | {aim} |",
            l.target,
            thousands(rate),
            l.p50_us as f64 / 1000.0,
            p99,
            l.max_us as f64 / 1000.0,
            l.receiver_cpu.map_or("–".into(), |c| format!(
                "{c:.1} s ({:.0}% of one core)",
                100.0 * c / (l.secs + WARM_UP.as_secs_f64())
            )),
            l.stored.map_or("–".into(), |n| thousands(n as f64)),
        );
    }
    let _ = writeln!(md);
    md
}

pub const RATE_LIMIT_HEADING: &str = "## Rate-limit fidelity";

/// The rate-limit section, on its own so that `--only rate-limit` can replace just it.
pub fn rate_limit_section(r: &RateLimitResult, invocation: &str, date: &str) -> String {
    let mut md = String::new();
    let _ = writeln!(
        md,
        "{RATE_LIMIT_HEADING}
"
    );
    let _ = writeln!(
        md,
        "Measured {date} by `{invocation}`. Aim from issue 11: against a target enforcing {} requests/min with \
         bursts of {} (429 + Retry-After), ≥ 95% of the limit used, ≤ 0.1% of answers 429, every record landed.\n\n\
         The SCIM simulator enforces the limit as a token bucket and answers like a gateway that publishes it \
         (`X-RateLimit-Limit`/`-Remaining`/`-Reset`, `RateLimit-Policy`; `Retry-After` on refusals). The hub is one \
         release `ihub serve` on PostgreSQL with Redis, so the connection's budget is the one shared in Redis; the \
         SCIM connection keeps its default setting (600 requests/min, bursts of 20), so the hub learns the \
         target's limit from its answers. One full sync of {} people from the Employment Hero simulator; the \
         limit used is the requests the target accepted over the run's wall time (POST to the poll that saw it \
         end, every 250 ms) against what the limit allowed in that time: one burst, then the rate.\n\nThe hub was started as:\n\n```sh\n{}\n```\n",
        r.per_minute, r.burst, r.people, r.command
    );
    let _ = writeln!(
        md,
        "| people | wall | requests to SCIM | answered 429 | limit used | run | users in the target | aim |\n|---|---|---|---|---|---|---|---|"
    );
    let _ = writeln!(
        md,
        "| {} | {:.0} s | {} | {} ({:.2}%) | {:.1}% | {}: read {}, written {}, errors {} | {} | {} |\n",
        thousands(r.people as f64),
        r.wall,
        thousands(r.requests as f64),
        thousands(r.refused as f64),
        100.0 * r.refused_share(),
        100.0 * r.used(),
        r.run["status"].as_str().unwrap_or("?"),
        r.run["records_read"],
        r.run["records_written"],
        r.run["records_errors"],
        thousands(r.scim_users as f64),
        verdict(r.used() >= AIM_USED && r.refused_share() <= AIM_REFUSED && r.landed()),
    );
    md
}

/// The existing file with the section under `heading` replaced by `section` (or added above the kept notes).
pub fn merge_named(existing: Option<&str>, heading: &str, section: &str) -> String {
    let Some(text) = existing else {
        return merge(None, section);
    };
    let (generated, kept) = match text.split_once(KEEP_MARKER) {
        Some((g, k)) => (g, Some(k)),
        None => (text, None),
    };
    let updated = match section_of(generated, heading) {
        Some(old) => generated.replacen(old, section, 1),
        None => format!("{}\n{section}", generated.trim_end_matches('\n').to_owned() + "\n"),
    };
    match kept {
        Some(k) => format!("{updated}{KEEP_MARKER}{k}"),
        None => merge(None, &updated),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_that_skips_a_part_keeps_its_last_section_and_the_notes() {
        let existing = format!(
            "# Benchmarks\n\n## Sync of 10 people\n\nold sync\n\n{JOBS_HEADING}\n\njobs of yesterday\n\n\
             {RATE_LIMIT_HEADING}\n\nlimits of yesterday\n\n{KEEP_MARKER}\n\n## Notes\n\nby hand\n"
        );
        let generated =
            format!("# Benchmarks\n\n## Sync of 10 people\n\nnew sync\n\n{JOBS_HEADING}\n\njobs of today\n");
        let merged = merge(Some(&existing), &generated);
        assert!(merged.contains("new sync") && !merged.contains("old sync"));
        assert!(merged.contains("jobs of today") && !merged.contains("jobs of yesterday"));
        assert!(merged.contains("limits of yesterday"), "{merged}");
        assert_eq!(merged.matches(RATE_LIMIT_HEADING).count(), 1);
        let (above, notes) = merged.split_once(KEEP_MARKER).unwrap();
        assert!(above.contains("limits of yesterday"));
        assert!(notes.contains("by hand"));
    }

    #[test]
    fn an_only_run_replaces_its_own_section_in_place() {
        let existing = format!(
            "# Benchmarks\n\n{WEBHOOKS_HEADING}\n\nold hooks\n\n{JOBS_HEADING}\n\nold jobs\n\n\
             {KEEP_MARKER}\n\n## Notes\n\nby hand\n"
        );
        let merged = merge_named(
            Some(&existing),
            JOBS_HEADING,
            &format!("{JOBS_HEADING}\n\nnew jobs\n\n"),
        );
        assert!(merged.contains("old hooks") && merged.contains("new jobs") && !merged.contains("old jobs"));
        assert!(merged.find("old hooks") < merged.find("new jobs"), "{merged}");
        assert!(merged.split_once(KEEP_MARKER).unwrap().1.contains("by hand"));
    }
}
