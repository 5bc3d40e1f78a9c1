//! The scaled-out hub under the failures it must survive, with real processes: `ihub api` and `ihub worker` on a
//! fresh PostgreSQL database and a Redis queue of their own, the simulators as source (Employment Hero) and
//! target (SCIM). A worker killed with SIGKILL mid-run, jobs lost from Redis, and two workers racing for one due
//! schedule.
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::Command;
use std::time::{Duration, Instant};

use ihub_simulators::{Accepted, Simulators, System};
use serde_json::{Value, json};

use super::{ACME_AND_ADA, ADA_PASSWORD, Running, TestDatabase, free_port, ihub, redis_url, run, stderr};

const SECRET: &str = "a-shared-secret-for-all-processes-0123456789";

/// Worker settings fast enough that a test waits seconds for the reconciler, not minutes.
pub(super) const QUICK: &[(&str, &str)] = &[
    ("IHUB_WORKER_TICK_MS", "200"),
    ("IHUB_HEARTBEAT_MS", "300"),
    ("IHUB_STUCK_AFTER_SECS", "2"),
    ("IHUB_REQUEUE_AFTER_SECS", "2"),
];

/// The simulators are local: no hosted API's rate limit (SCIM's default of 10 a second would make a run of 400
/// people take 80 s).
const LOCAL_RATE: u32 = 600_000;
const LOCAL_BURST: u32 = 1_000;

/// Just enough of the Redis protocol to look at and delete one queue's keys, without touching anyone else's
/// (other tests share this Redis: no FLUSHALL).
struct Redis(BufReader<std::net::TcpStream>);

#[derive(Debug)]
enum Reply {
    Text(String),
    /// A status or an integer: nothing these tests read.
    Simple,
    Nil,
    List(Vec<Reply>),
}

impl Redis {
    fn connect() -> std::io::Result<Self> {
        let url = redis_url();
        // redis://[user:password@]host:port[/db]: only the address is used.
        let address = url.trim_start_matches("redis://").split('/').next().unwrap_or_default();
        let host = address.rsplit('@').next().unwrap_or_default();
        Ok(Self(BufReader::new(std::net::TcpStream::connect(host)?)))
    }

    fn command(&mut self, args: &[&str]) -> std::io::Result<Reply> {
        let mut out = format!("*{}\r\n", args.len());
        for arg in args {
            out.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
        }
        self.0.get_mut().write_all(out.as_bytes())?;
        self.reply()
    }

    fn reply(&mut self) -> std::io::Result<Reply> {
        let bad = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
        let mut line = String::new();
        self.0.read_line(&mut line)?;
        let line = line.trim_end();
        let Some(kind) = line.chars().next() else {
            return Err(bad("Redis closed the connection"));
        };
        let rest = &line[1..];
        let size = || rest.parse::<usize>().map_err(|_| bad(line));
        Ok(match kind {
            '+' | ':' => Reply::Simple,
            '$' | '*' if rest.starts_with('-') => Reply::Nil,
            '$' => {
                let mut bytes = vec![0; size()? + 2];
                self.0.read_exact(&mut bytes)?;
                bytes.truncate(bytes.len() - 2);
                Reply::Text(String::from_utf8_lossy(&bytes).into_owned())
            }
            '*' => Reply::List((0..size()?).map(|_| self.reply()).collect::<std::io::Result<_>>()?),
            _ => return Err(bad(line)),
        })
    }

    /// Every key of the queue (apalis names them `<queue>:active`, `<queue>:data`, …), found with SCAN.
    fn keys_of(&mut self, queue: &str) -> std::io::Result<Vec<String>> {
        let pattern = format!("{queue}:*");
        let (mut cursor, mut keys) = ("0".to_owned(), Vec::new());
        loop {
            let reply = self.command(&["SCAN", &cursor, "MATCH", &pattern, "COUNT", "1000"])?;
            let Reply::List(parts) = reply else {
                return Err(std::io::Error::other(format!("SCAN answered {reply:?}")));
            };
            let mut parts = parts.into_iter();
            let (Some(Reply::Text(next)), Some(Reply::List(found))) = (parts.next(), parts.next()) else {
                return Err(std::io::Error::other("SCAN answers a cursor and keys"));
            };
            keys.extend(found.into_iter().filter_map(|k| match k {
                Reply::Text(k) => Some(k),
                _ => None,
            }));
            if next == "0" {
                return Ok(keys);
            }
            cursor = next;
        }
    }

    /// Deletes every key of the queue, as if Redis had been flushed or restarted without persistence; answers how
    /// many there were.
    fn delete_queue(&mut self, queue: &str) -> std::io::Result<usize> {
        let keys = self.keys_of(queue)?;
        for key in &keys {
            self.command(&["DEL", key])?;
        }
        Ok(keys.len())
    }
}

/// One scaled-out hub: its database, its Redis queue, an `ihub api` process with an organisation and a signed-in
/// admin, the simulators, and the `ihub worker` processes the test starts.
pub(super) struct Cluster {
    // `drop` ends the processes and deletes the queue's keys; the database goes with its field after that.
    pub(super) workers: Vec<Running>,
    pub(super) api: Running,
    pub(super) sims: Simulators,
    pub(super) admin: Admin,
    queue: String,
    database: TestDatabase,
    dir: tempfile::TempDir,
    /// Once the binary was built: what the test itself takes is measured from here.
    pub(super) started: Instant,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for worker in &mut self.workers {
            let _ = worker.child.kill();
            let _ = worker.child.wait();
        }
        let _ = self.api.child.kill();
        let _ = self.api.child.wait();
        // Never a panic here: a failing test is already unwinding through this.
        if let Ok(mut redis) = Redis::connect() {
            let _ = redis.delete_queue(&self.queue);
        }
    }
}

impl Cluster {
    /// The database, the API process, an organisation with an admin made by `ihub admin`, and the simulators
    /// seeded with `people`. No worker yet.
    pub(super) async fn start(label: &str, people: u32) -> Self {
        ihub_connectors::http::install_crypto_provider();
        // Built (or found fresh) before the clock starts.
        drop(ihub());
        let started = Instant::now();
        let database = TestDatabase::create(label);
        let queue = format!("ihub::clitest::{}", uuid::Uuid::new_v4().simple());
        let dir = tempfile::tempdir().unwrap();
        let (api, port) = Self::api_process(&database, &queue, &dir);
        for args in ACME_AND_ADA {
            let out = run(Self::hub(&database, &queue, &dir).args(args));
            assert!(out.status.success(), "ihub {args:?}: {}", stderr(&out));
        }
        let cluster = Self {
            workers: Vec::new(),
            api,
            sims: Simulators::start(Accepted::default()).await.expect("simulators start"),
            admin: Admin::sign_in(port).await,
            queue,
            database,
            dir,
            started,
        };
        cluster.sims.seed(people);
        cluster
    }

    /// An `ihub api` on a free port, listening; answers it and the port.
    fn api_process(database: &TestDatabase, queue: &str, dir: &tempfile::TempDir) -> (Running, u16) {
        let port = free_port();
        let mut api =
            Running::start(Self::hub(database, queue, dir).args(["api", "--listen", &format!("127.0.0.1:{port}")]));
        tokio::task::block_in_place(|| api.wait_for_log("listening"));
        (api, port)
    }

    /// A new `ihub api` process in place of the current one (killed here if the test has not), on another port;
    /// the admin signs in there.
    pub(super) async fn restart_api(&mut self) {
        if self.api.child.try_wait().unwrap().is_none() {
            self.api.kill();
        }
        let (api, port) = Self::api_process(&self.database, &self.queue, &self.dir);
        self.api = api;
        self.admin = Admin::sign_in(port).await;
    }

    /// `ihub` with this cluster's database, Redis queue and secret, in its own working directory.
    fn hub(database: &TestDatabase, queue: &str, dir: &tempfile::TempDir) -> Command {
        let mut cmd = ihub();
        cmd.current_dir(dir.path())
            .env("DATABASE_URL", database.url())
            .env("REDIS_URL", redis_url())
            .env("IHUB_REDIS_QUEUE", queue)
            .env("IHUB_SECRET_KEY", SECRET)
            .env("NO_COLOR", "1");
        // `IHUB_TEST_LOG=info,ihub_domain=debug` shows more of what the processes did, for a failing test.
        if let Ok(filter) = std::env::var("IHUB_TEST_LOG") {
            cmd.env("IHUB_LOG", filter);
        }
        cmd
    }

    /// Starts an `ihub worker` with these settings and waits until it takes jobs; answers its index.
    pub(super) fn start_worker(&mut self, settings: &[(&str, &str)]) -> usize {
        let mut cmd = Self::hub(&self.database, &self.queue, &self.dir);
        cmd.arg("worker").envs(settings.iter().copied());
        let mut worker = Running::start(&mut cmd);
        tokio::task::block_in_place(|| worker.wait_for_log("worker started"));
        self.workers.push(worker);
        self.workers.len() - 1
    }

    /// Every line the worker logged so far, for assertions and failure messages.
    pub(super) fn worker_log(&mut self, index: usize) -> Vec<String> {
        let worker = &mut self.workers[index];
        while let Ok(line) = worker.lines.try_recv() {
            worker.seen.push(line);
        }
        worker.seen.clone()
    }

    #[track_caller]
    pub(super) fn assert_logged(&mut self, worker: usize, needle: &str) {
        let log = self.worker_log(worker);
        assert!(
            log.iter().any(|l| l.contains(needle)),
            "worker {worker} never logged `{needle}`: {log:#?}"
        );
    }

    /// Polls the run until `done(run)` holds, failing after `within`.
    async fn wait_run(&mut self, run: &str, within: Duration, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let current = self.admin.get(&format!("/api/v1/runs/{run}")).await;
            if done(&current) {
                return current;
            }
            if Instant::now() > deadline {
                let logs: Vec<Vec<String>> = (0..self.workers.len()).map(|i| self.worker_log(i)).collect();
                if let Ok(dump) = std::env::var("DEBUG_DUMP") {
                    std::fs::write(dump, logs.concat().join("\n")).unwrap();
                }
                panic!("run never got there: {current}\nworker logs: {logs:#?}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn wait_ended(&mut self, run: &str, within: Duration) -> Value {
        self.wait_run(run, within, |r| {
            ["done", "partial", "failed", "cancelled"].contains(&r["status"].as_str().unwrap())
        })
        .await
    }
}

/// The API of a running hub as its admin ada@example.com calls it.
pub(super) struct Admin {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Admin {
    /// Signs ada in at the hub listening on `port`.
    pub(super) async fn sign_in(port: u16) -> Self {
        let mut admin = Self {
            http: reqwest::Client::builder().no_proxy().build().unwrap(),
            base: format!("http://127.0.0.1:{port}"),
            token: String::new(),
        };
        let login = admin
            .post(
                "/api/v1/auth/login",
                json!({"email": "ada@example.com", "password": ADA_PASSWORD}),
            )
            .await;
        admin.token = login.expect(200)["access_token"].as_str().unwrap().to_owned();
        admin
    }

    pub(super) async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if !self.token.is_empty() {
            request = request.bearer_auth(&self.token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the API answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(Value::Null),
            text,
        }
    }

    pub(super) async fn get(&self, path: &str) -> Value {
        self.call(reqwest::Method::GET, path, None).await.expect(200).clone()
    }

    pub(super) async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(reqwest::Method::POST, path, Some(body)).await
    }

    /// Employment Hero (with the simulator's long-lived token) → SCIM with these integration settings, both
    /// connections tested, enabled.
    pub(super) async fn integration(&self, sims: &Simulators, name: &str, settings: Value) -> String {
        let accepted = Accepted::default();
        let mut ids = Vec::new();
        for connection in [
            json!({
                "name": format!("{name}: Employment Hero"),
                "connector": "employment_hero",
                "settings": {
                    "api_base_url": sims.employment_hero_api_base_url(),
                    "authorize_url": sims.employment_hero_authorize_url(),
                    "token_url": sims.employment_hero_token_url(),
                    "organisation_id": accepted.employment_hero_organisation_id,
                    "requests_per_minute": LOCAL_RATE,
                    "burst": LOCAL_BURST,
                },
                "credentials": {
                    "client_id": accepted.employment_hero_client_id,
                    "client_secret": accepted.employment_hero_client_secret,
                    "access_token": accepted.employment_hero_access_token,
                },
            }),
            json!({
                "name": format!("{name}: learning platform"),
                "connector": "scim",
                "settings": {
                    "base_url": sims.scim_base_url(),
                    "requests_per_minute": LOCAL_RATE,
                    "burst": LOCAL_BURST,
                },
                "credentials": {"token": accepted.scim_token},
            }),
        ] {
            let created = self.post("/api/v1/connections", connection).await;
            let id = created.expect(201)["id"].as_str().unwrap().to_owned();
            let tested = self.post(&format!("/api/v1/connections/{id}/test"), json!({})).await;
            assert_eq!(tested.expect(200)["status"], "connected", "{}", tested.text);
            ids.push(id);
        }
        let integration = self
            .post(
                "/api/v1/integrations",
                json!({
                    "name": name,
                    "kind": "employees_to_users",
                    "source_connection_id": ids[0],
                    "target_connection_id": ids[1],
                    "settings": settings,
                }),
            )
            .await;
        let id = integration.expect(201)["id"].as_str().unwrap().to_owned();
        self.post(&format!("/api/v1/integrations/{id}/enable"), json!({}))
            .await
            .expect(200);
        id
    }

    pub(super) async fn run_now(&self, integration: &str) -> String {
        let run = self
            .post(&format!("/api/v1/integrations/{integration}/run"), json!({}))
            .await;
        assert_eq!(run.expect(202)["status"], "queued", "{}", run.text);
        run.body["id"].as_str().unwrap().to_owned()
    }

    /// Every record line of the run, page by page.
    pub(super) async fn records(&self, run: &str) -> Vec<Value> {
        let (mut lines, mut cursor) = (Vec::new(), String::new());
        loop {
            let page = self.get(&format!("/api/v1/runs/{run}/records?limit=200{cursor}")).await;
            lines.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => return lines,
            }
        }
    }
}

/// The SCIM users by externalId, failing on any externalId held twice.
pub(super) fn target_users_once(sims: &Simulators) -> BTreeMap<String, String> {
    let mut users = BTreeMap::new();
    for user in sims.scim_users() {
        let external = user["externalId"].as_str().expect("an externalId").to_owned();
        let id = user["id"].as_str().unwrap().to_owned();
        if let Some(other) = users.insert(external.clone(), id) {
            panic!("{external} exists twice in the target (and as {other})");
        }
    }
    users
}

pub(super) struct Answer {
    status: u16,
    pub(super) body: Value,
    pub(super) text: String,
}

impl Answer {
    #[track_caller]
    pub(super) fn expect(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text);
        &self.body
    }
}

/// `kill -9` of the worker mid-run, then a new worker: the run completes, everyone is in the target exactly once
/// and every person has exactly one record line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_mid_run_is_replaced_and_the_run_completes_once() {
    const PEOPLE: u32 = 400;
    let mut hub = Cluster::start("kill9", PEOPLE).await;
    let integration = hub.admin.integration(&hub.sims, "EH → LMS", json!({})).await;
    hub.sims.set_latency(System::Scim, Duration::from_millis(30));
    let first = hub.start_worker(&[QUICK, &[("IHUB_SYNC_CONCURRENCY", "4")]].concat());
    let run = hub.admin.run_now(&integration).await;
    let sims_written = |hub: &Cluster| hub.sims.scim_users().len();
    hub.wait_run(&run, Duration::from_secs(30), |r| r["status"] == "in_progress")
        .await;
    let deadline = Instant::now() + Duration::from_secs(30);
    while sims_written(&hub) < 40 {
        assert!(
            Instant::now() < deadline,
            "the run wrote nothing: {:?}",
            hub.worker_log(first)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // SIGKILL: no shutdown, no release, no last checkpoint.
    hub.workers[first].kill();
    let orphan = hub.admin.get(&format!("/api/v1/runs/{run}")).await;
    assert_eq!(orphan["status"], "in_progress", "nobody gave it back: {orphan}");
    let lines_at_kill = hub.admin.records(&run).await.len();
    let written_at_kill = sims_written(&hub);
    assert!(
        lines_at_kill < PEOPLE as usize && written_at_kill < PEOPLE as usize,
        "killed mid-run, not after it: {lines_at_kill} lines, {written_at_kill} users"
    );
    hub.sims.set_latency(System::Scim, Duration::ZERO);

    let second = hub.start_worker(QUICK);
    let ended = hub.wait_ended(&run, Duration::from_secs(40)).await;
    assert_eq!(ended["status"], "done", "{ended}");
    hub.assert_logged(second, "resuming runs whose worker stopped answering");
    let logs = hub.admin.get(&format!("/api/v1/logs?run_id={run}")).await;
    assert!(
        logs["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["message"].as_str().unwrap().contains("resumed with")),
        "the second worker went on from where the first stopped: {logs}"
    );

    // One line per person, none lost, none twice.
    let lines = hub.admin.records(&run).await;
    assert_eq!(lines.len(), PEOPLE as usize);
    assert_eq!(ended["records_read"], PEOPLE);
    let people: BTreeSet<String> = (0..PEOPLE).map(|i| hub.sims.employment_hero_employee_id(i)).collect();
    let lined: BTreeSet<String> = lines
        .iter()
        .map(|l| l["source_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(lined, people, "every person has a line");

    // Everyone written is in the target exactly once, under the id their line names; nobody else is there.
    let users = target_users_once(&hub.sims);
    let written: BTreeMap<String, String> = lines
        .iter()
        .filter(|l| l["decision"] == "create")
        .map(|l| {
            assert!(
                ["created", "updated"].contains(&l["outcome"].as_str().unwrap()),
                "created, or linked when the killed worker had written them: {l}"
            );
            (
                l["source_id"].as_str().unwrap().to_owned(),
                l["target_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(users, written);
    assert_eq!(ended["records_errors"], 0, "{ended}");
    let creates = hub
        .sims
        .requests()
        .iter()
        .filter(|r| *r == "POST /scim/v2/Users")
        .count();
    assert_eq!(creates, users.len(), "no create was sent twice");
    eprintln!(
        "kill -9: {lines_at_kill} lines and {written_at_kill} users at the kill, {} users at the end, {} linked; {:?}",
        users.len(),
        lines.iter().filter(|l| l["outcome"] == "updated").count(),
        hub.started.elapsed()
    );
}

/// Runs queued while no worker is up, their jobs deleted from Redis: the reconciler pushes them again and a worker
/// completes them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runs_whose_jobs_were_flushed_from_redis_are_pushed_again() {
    let mut hub = Cluster::start("flushed", 30).await;
    let integrations = [
        hub.admin.integration(&hub.sims, "One", json!({})).await,
        hub.admin.integration(&hub.sims, "Two", json!({})).await,
    ];
    let mut runs = Vec::new();
    for integration in &integrations {
        runs.push(hub.admin.run_now(integration).await);
    }
    runs.push(hub.admin.run_now(&integrations[0]).await);
    let mut redis = Redis::connect().expect("Redis is reachable at IHUB_TEST_REDIS_URL");
    assert!(
        !redis.keys_of(&hub.queue).unwrap().is_empty(),
        "the API pushed the jobs to Redis"
    );
    assert!(redis.delete_queue(&hub.queue).unwrap() > 0);
    assert!(redis.keys_of(&hub.queue).unwrap().is_empty());

    // One run at a time: runs of integrations writing the same people to the same target would otherwise race
    // between finding a user and creating it, which is not what this test is about.
    let worker = hub.start_worker(&[QUICK, &[("IHUB_WORKER_RUNS_AT_ONCE", "1")]].concat());
    for run in &runs {
        let ended = hub.wait_ended(run, Duration::from_secs(30)).await;
        assert_eq!(ended["status"], "done", "{ended}");
        assert_eq!(ended["records_read"], 30, "{ended}");
    }
    hub.assert_logged(worker, "pushing queued runs to the queue again");
    target_users_once(&hub.sims);
    eprintln!("Redis flushed: {:?}", hub.started.elapsed());
}

/// Two workers, each ticking every 100 ms, and one schedule due now: exactly one scheduled run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_workers_fire_a_due_schedule_once() {
    let mut hub = Cluster::start("schedule", 10).await;
    let integration = hub.admin.integration(&hub.sims, "EH → LMS", json!({})).await;
    let racing = [QUICK, &[("IHUB_WORKER_TICK_MS", "100")]].concat();
    hub.start_worker(&racing);
    hub.start_worker(&racing);
    let due = chrono::Utc::now() + chrono::Duration::seconds(1);
    let schedule = hub
        .admin
        .post(
            &format!("/api/v1/integrations/{integration}/schedules"),
            json!({"every": {"n": 1, "unit": "hours"}, "next_run_at": due}),
        )
        .await;
    let schedule = schedule.expect(201)["id"].as_str().unwrap().to_owned();
    let runs_path = format!("/api/v1/integrations/{integration}/runs");
    let deadline = Instant::now() + Duration::from_secs(20);
    while hub.admin.get(&runs_path).await["items"].as_array().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the schedule never fired");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Dozens more ticks of both workers: still one.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let runs = hub.admin.get(&runs_path).await["items"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    assert_eq!(runs[0]["trigger"], "scheduled");
    assert_eq!(runs[0]["schedule_id"], schedule.as_str());
    let ended = hub
        .wait_ended(runs[0]["id"].as_str().unwrap(), Duration::from_secs(30))
        .await;
    assert_eq!(ended["status"], "done", "{ended}");
    let fired = hub.admin.get(&format!("/api/v1/schedules/{schedule}")).await;
    assert_eq!(fired["calls"], 1, "{fired}");
    let next: chrono::DateTime<chrono::Utc> = fired["next_run_at"].as_str().unwrap().parse().unwrap();
    assert!(next > chrono::Utc::now() + chrono::Duration::minutes(50), "{fired}");
    eprintln!("one due schedule, two workers: {:?}", hub.started.elapsed());
}
