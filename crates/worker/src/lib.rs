//! Background work: the job queue seam (an embedded backend for `ihub serve`, apalis on Redis for scaled-out
//! workers) and the worker role that consumes it.
pub mod queue;
pub mod role;

pub use queue::{QueueBackend, QueueError};
