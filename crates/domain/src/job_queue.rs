//! The job queue as the domain sees it: somewhere to push work so that a worker picks it up. The database row is
//! the truth; a job that is lost (Redis flushed, a process killed) is pushed again by the reconciler, and a job
//! pushed twice is harmless because a worker must claim the run (or the inbound items) before working on it.
//! Not to be confused with the *inbound queue* (`crate::inbound`): webhook events waiting to be synced.
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Execute (or resume) this run.
    Run { run_id: Uuid },
    /// Sync the person of this inbound item now, with the rest of their waiting items ("Process now").
    ProcessInbound { item_id: Uuid },
}

#[derive(Debug, thiserror::Error)]
pub enum JobQueueError {
    #[error("job queue unreachable: {0}")]
    Unreachable(String),
    #[error("the job queue did not take the job: {0}")]
    Refused(String),
}

impl Job {
    /// What a job is about, one pending job at most per key: a second push while one waits is dropped. The Redis
    /// queue's `promote.lua` builds the same keys from a job's JSON.
    pub fn key(&self) -> String {
        match self {
            Self::Run { run_id } => format!("run:{run_id}"),
            Self::ProcessInbound { item_id } => format!("inbound:{item_id}"),
        }
    }
}

/// Whether this process's job consumer is taking jobs, shared by the worker (which sets it) and readiness (which
/// reads it), so that the api crate needs nothing of the worker's. A process without a worker never sets it.
#[derive(Debug, Clone, Default)]
pub struct ConsumerStatus(Arc<AtomicU8>);

const NO_CONSUMER: u8 = 0;
const DOWN: u8 = 1;
const UP: u8 = 2;

impl ConsumerStatus {
    pub fn set_up(&self, up: bool) {
        self.0.store(if up { UP } else { DOWN }, Ordering::Relaxed);
    }

    /// `None` in a process that runs no worker.
    pub fn is_up(&self) -> Option<bool> {
        match self.0.load(Ordering::Relaxed) {
            NO_CONSUMER => None,
            state => Some(state == UP),
        }
    }
}

/// The producer side every process has: the API and the worker push, readiness pings.
#[async_trait::async_trait]
pub trait JobQueue: Send + Sync {
    async fn push(&self, job: Job) -> Result<(), JobQueueError>;
    /// Pushes a job the database says was lost, even when the queue thinks one still waits: the reconciler's, for
    /// a run waiting far longer than a job takes (its job may have gone with a worker killed before starting it).
    async fn push_again(&self, job: Job) -> Result<(), JobQueueError> {
        self.push(job).await
    }
    /// Can this process reach its queue right now?
    async fn ping(&self) -> Result<(), JobQueueError>;
    /// `embedded` or `redis`, for logs and readiness.
    fn kind(&self) -> &'static str;
}

/// For processes that only read or administer (the CLI's admin commands): jobs are left for the reconciler of a
/// process that runs workers.
pub struct NoJobQueue;

#[async_trait::async_trait]
impl JobQueue for NoJobQueue {
    async fn push(&self, _job: Job) -> Result<(), JobQueueError> {
        Ok(())
    }

    async fn ping(&self) -> Result<(), JobQueueError> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "none"
    }
}
