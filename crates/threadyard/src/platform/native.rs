//! Native threads: one named `std::thread` per worker.

use super::spawn::{Job, Spawn};

/// Spawns each worker on its own named OS thread.
#[derive(Debug, Clone, Default)]
pub struct NativeSpawner {
    stack_size: Option<usize>,
}

impl NativeSpawner {
    /// A spawner whose threads get `bytes` of stack (the OS default otherwise).
    pub fn with_stack_size(bytes: usize) -> Self {
        Self {
            stack_size: Some(bytes),
        }
    }
}

impl Spawn for NativeSpawner {
    fn spawn(&self, name: &str, job: Job) -> std::io::Result<()> {
        let mut builder = std::thread::Builder::new().name(name.to_owned());
        if let Some(bytes) = self.stack_size {
            builder = builder.stack_size(bytes);
        }
        // The handle is dropped: completion is signalled through the worker's
        // slot, and a worker that ignores stop must not hold shutdown hostage.
        builder.spawn(job).map(drop)
    }
}
