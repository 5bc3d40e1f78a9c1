//! Background work: the job queue (apalis on Redis for scaled-out workers, apalis in memory for `ihub serve`),
//! the worker role that consumes it, and the reconciler that keeps the queue in line with the database.
pub mod inbound;
pub mod queue;
pub mod reconcile;
pub mod role;

pub use queue::{QueueBackend, QueueError};
pub use role::WorkerSettings;
