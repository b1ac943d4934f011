//! The spawning seam: the only thing that differs per platform.
//!
//! The core asks a [`Spawn`] for a thread to run one job and never touches
//! `std::thread` or Web Workers itself (the way rayon-core's `ThreadSpawn`
//! lets wasm-bindgen-rayon supply threads).

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub use native::NativeSpawner;
#[cfg(target_arch = "wasm32")]
mod web;
#[cfg(target_arch = "wasm32")]
pub use web::WebSpawner;

pub use crate::threads::Occupancy;

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

/// The platform's default spawner.
#[cfg(not(target_arch = "wasm32"))]
pub fn default_spawner() -> Box<dyn Spawn> {
    Box::new(NativeSpawner::default())
}

/// The platform's default spawner: the Web Worker pool.
#[cfg(target_arch = "wasm32")]
pub fn default_spawner() -> Box<dyn Spawn> {
    Box::new(WebSpawner)
}
