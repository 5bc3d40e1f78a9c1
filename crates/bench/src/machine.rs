//! What the report says about the machine and the code, and what `/proc` says about processes: resident memory,
//! peak resident memory, CPU time.
use std::collections::HashMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Linux reports process CPU times in clock ticks of 1/100 s (`USER_HZ`) on every architecture the hub targets.
const TICKS_PER_SEC: f64 = 100.0;

/// The machine and the code a run measured.
#[derive(Debug, Clone)]
pub struct Machine {
    pub cpus: usize,
    pub cpu_model: String,
    pub ram_gib: f64,
    pub os: String,
    pub kernel: String,
    pub rustc: String,
    pub commit: String,
    /// Tracked files with uncommitted changes when the run started: they are in the measured build.
    pub dirty: Vec<String>,
    pub load_before: String,
}

impl Machine {
    pub fn describe() -> Self {
        let cpuinfo = read("/proc/cpuinfo");
        let cpu_model = cpuinfo
            .lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_else(|| "unknown".into());
        let ram_kb = read("/proc/meminfo")
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0);
        let os = read("/etc/os-release")
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_owned())
            .unwrap_or_else(|| "unknown".into());
        let dirty = output("git", &["status", "--porcelain", "--untracked-files=no"])
            .lines()
            .filter_map(|l| l.get(3..))
            .map(str::to_owned)
            .collect();
        Self {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model,
            ram_gib: ram_kb / 1024.0 / 1024.0,
            os,
            kernel: read("/proc/sys/kernel/osrelease").trim().to_owned(),
            rustc: output("rustc", &["--version"]).trim().to_owned(),
            commit: output("git", &["log", "-1", "--format=%h %s"]).trim().to_owned(),
            dirty,
            load_before: read("/proc/loadavg")
                .split_whitespace()
                .take(3)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

fn read(path: impl AsRef<Path>) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A command's standard output, or nothing when it cannot run.
pub fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default()
}

/// A `/proc/<pid>/status` field in kB (`VmRSS`, `VmHWM`).
pub fn status_kb(pid: u32, field: &str) -> Option<u64> {
    read(format!("/proc/{pid}/status"))
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// Resets the process's peak resident memory (`VmHWM`) to what it uses now, so the next peak is a phase's own.
pub fn reset_peak(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// User and system CPU time a process used so far, in seconds.
fn user_and_sys(pid: u32) -> Option<(f64, f64)> {
    let stat = read(format!("/proc/{pid}/stat"));
    // The command name may hold spaces and parentheses; the fields after its closing one are fixed.
    let fields: Vec<&str> = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().collect();
    let ticks = |i: usize| Some(fields.get(i)?.parse::<u64>().ok()? as f64 / TICKS_PER_SEC);
    Some((ticks(11)?, ticks(12)?))
}

/// User plus system CPU time a process used so far, in seconds.
pub fn cpu_secs(pid: u32) -> Option<f64> {
    user_and_sys(pid).map(|(user, sys)| user + sys)
}

/// System (kernel) CPU time a process used so far, in seconds.
pub fn sys_secs(pid: u32) -> Option<f64> {
    user_and_sys(pid).map(|(_, sys)| sys)
}

/// Context switches, voluntary and not, of all a process's threads that are alive now.
pub fn context_switches(pid: u32) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .filter_map(|t| t.ok())
        .map(|t| {
            read(t.path().join("status"))
                .lines()
                .filter(|l| l.contains("ctxt_switches:"))
                .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
                .sum::<u64>()
        })
        .sum()
}

/// Processes whose command name is `name` (e.g. `redis-server`).
pub fn pids_named(name: &str) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| read(format!("/proc/{pid}/comm")).trim() == name)
        .collect()
}

/// CPU seconds of a changing set of processes between two moments: a process seen only at the end counts in full.
#[derive(Debug, Default, Clone)]
pub struct CpuOf(HashMap<u32, f64>);

impl CpuOf {
    pub fn now(pids: &[u32]) -> Self {
        Self(pids.iter().filter_map(|&p| Some((p, cpu_secs(p)?))).collect())
    }

    pub fn since(&self, pids: &[u32]) -> f64 {
        pids.iter()
            .filter_map(|&p| Some(cpu_secs(p)? - self.0.get(&p).copied().unwrap_or(0.0)))
            .sum()
    }
}

/// The whole machine's busy and total CPU ticks (`/proc/stat`), for how loaded it was during a phase.
#[derive(Debug, Clone, Copy)]
pub struct MachineCpu {
    busy: u64,
    total: u64,
}

impl MachineCpu {
    pub fn now() -> Self {
        let stat = read("/proc/stat");
        let values: Vec<u64> = stat
            .lines()
            .next()
            .unwrap_or_default()
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        let total: u64 = values.iter().sum();
        // idle and iowait are the 4th and 5th numbers.
        let idle = values.get(3).copied().unwrap_or(0) + values.get(4).copied().unwrap_or(0);
        Self {
            busy: total - idle,
            total,
        }
    }

    /// Percentage of all CPUs busy since `self`.
    pub fn busy_since(&self) -> f64 {
        let now = Self::now();
        let total = now.total.saturating_sub(self.total);
        if total == 0 {
            return 0.0;
        }
        100.0 * now.busy.saturating_sub(self.busy) as f64 / total as f64
    }
}

/// Samples a process's resident memory every 100 ms and keeps the largest seen since the last `take`.
pub struct RssSampler {
    max_kb: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl RssSampler {
    pub fn start(pid: u32) -> Self {
        let max_kb = Arc::new(AtomicU64::new(0));
        let seen = max_kb.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tick.tick().await;
                match status_kb(pid, "VmRSS") {
                    Some(kb) => {
                        seen.fetch_max(kb, Ordering::Relaxed);
                    }
                    None => return,
                }
            }
        });
        Self { max_kb, task }
    }

    /// The largest resident size seen since the last call, and starts again from nothing.
    pub fn take(&self) -> u64 {
        self.max_kb.swap(0, Ordering::Relaxed)
    }
}

impl Drop for RssSampler {
    fn drop(&mut self) {
        self.task.abort();
    }
}
