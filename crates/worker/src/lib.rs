//! Background work. The job queue (`job_queue`: one interface, `embedded` and `redis` side by side) carries work to
//! workers; `role` is what `ihub worker` runs: the job consumer (`jobs`), and four named loops, each in a file of
//! its own with its own settings — the `scheduler` (fires due schedules), the `reconciler` (pushes lost jobs again,
//! resumes stuck runs, gives back inbound items a dead processor held), `retention` (removes old record lines) and
//! the `inbound_processor`s (the inbound queue of webhook events). Every run, whoever started it, is executed through `execute_run`.
pub mod execute_run;
pub mod inbound_processor;
pub mod job_queue;
pub mod jobs;
pub mod reconciler;
pub mod retention;
pub mod role;
pub mod scheduler;
pub mod settings;
mod tick;

pub use execute_run::execute_run;
pub use job_queue::{QueueError, WorkerQueue};
pub use settings::WorkerSettings;
