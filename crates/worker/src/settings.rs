//! How a worker paces itself, one group of settings per loop; the `ihub` configuration fills them.
use std::time::Duration;

use ihub_domain::runs::{retention, sync};

#[derive(Debug, Clone, Default)]
pub struct WorkerSettings {
    pub runs: RunSettings,
    pub scheduler: SchedulerSettings,
    pub reconciler: ReconcilerSettings,
    pub inbound: InboundSettings,
    pub retention: RetentionSettings,
}

/// The job consumer and the runs it executes.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Runs executed at once by this process.
    pub at_once: usize,
    /// How often an idle worker asks a remote queue for jobs.
    pub poll: Duration,
    pub sync: sync::Options,
}

/// Runs one worker executes at once unless configured. 16 was tried for the scheduler storm and bought little
/// (p99 5.5 s instead of 6.2 s on SQLite: the runs queue for the database's writer, not for slots), while each
/// worker process then filled its whole database pool: beside other processes on one PostgreSQL server that ran
/// out of connections (`max_connections`), and under CPU pressure webhook runs stalled. Memory also grows with each
/// run's batch of people and manager cache.
pub const RUNS_AT_ONCE: usize = 4;

impl Default for RunSettings {
    fn default() -> Self {
        Self {
            at_once: RUNS_AT_ONCE,
            poll: Duration::from_millis(250),
            sync: sync::Options::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// How often the scheduler looks for due schedules.
    pub tick: Duration,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone)]
pub struct ReconcilerSettings {
    /// How often the reconciler compares the database with the queue.
    pub tick: Duration,
    /// A queued run not taken for this long is pushed to the queue again (it may have been lost).
    pub requeue_after: Duration,
    /// A running run with no heartbeat for this long is stuck: put back to the queue for any worker. Inbound
    /// items held this long by a processor whose run is not going are pending again.
    pub stuck_after: Duration,
}

impl Default for ReconcilerSettings {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(5),
            requeue_after: Duration::from_secs(120),
            stuck_after: Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone)]
pub struct InboundSettings {
    /// Inbound processors in this process.
    pub processors: usize,
    /// How often an idle processor looks for due items.
    pub pass: Duration,
    /// People one pass takes at most.
    pub pass_limit: u64,
}

impl Default for InboundSettings {
    fn default() -> Self {
        Self {
            processors: 2,
            pass: Duration::from_secs(1),
            pass_limit: 100,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RetentionSettings {
    /// How often old record lines are looked for; minutes apart is plenty, since they only grow by the day.
    pub tick: Duration,
    pub policy: retention::Policy,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            tick: Duration::from_secs(600),
            policy: retention::Policy::default(),
        }
    }
}
