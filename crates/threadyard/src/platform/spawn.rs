//! The seam itself: what the core asks of a platform's threads.

use crate::threads::Occupancy;

/// A job for a thread: runs one worker from start to end.
pub type Job = Box<dyn FnOnce() + Send + 'static>;

/// Something that can run a job on a thread of its own.
pub trait Spawn: Send + Sync + 'static {
    /// Runs `job` on a new or pooled thread named `name`. Returns at once;
    /// an error means the job will never run (as `std::thread::Builder::spawn`
    /// and rayon's `ThreadBuilder` report it). A job dropped without being
    /// run finishes its worker as Failed, so a spawner cannot leave a worker
    /// Running with no thread.
    fn spawn(&self, name: &str, job: Job) -> std::io::Result<()>;

    /// How many jobs can run at once, if the platform has a limit (a browser's
    /// pool of Web Workers does). `None`: no limit beyond the OS.
    fn capacity(&self) -> Option<usize> {
        None
    }

    /// The count of threads in use, shared by every manager that draws on the
    /// same threads (a browser has one pool for the page), so capacity holds
    /// across managers. `None`: each manager counts its own.
    fn occupancy(&self) -> Option<Occupancy> {
        None
    }
}
