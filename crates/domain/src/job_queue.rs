//! The job queue as the domain sees it: somewhere to send a run's id so that a worker picks it up. The database
//! row is the truth; a dispatch that is lost (Redis flushed, a process killed) is repaired by the reconciler,
//! and a job dispatched twice is harmless because a worker must claim the run before working on it.
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Job {
    /// Execute (or resume) this run.
    Run { run_id: Uuid },
}

#[derive(Debug, thiserror::Error)]
#[error("the job queue did not take the job: {0}")]
pub struct DispatchError(pub String);

#[async_trait::async_trait]
pub trait Dispatcher: Send + Sync {
    async fn dispatch(&self, job: Job) -> Result<(), DispatchError>;
}

/// For processes that only read (tools, some tests): jobs are left for the reconciler of a process that runs
/// workers.
pub struct NoDispatch;

#[async_trait::async_trait]
impl Dispatcher for NoDispatch {
    async fn dispatch(&self, _job: Job) -> Result<(), DispatchError> {
        Ok(())
    }
}
