//! Web Workers: each worker runs on a thread of rayon's global pool, which
//! wasm-bindgen-rayon backs with Web Workers sharing the wasm memory.
//!
//! Pool threads are reused, never one new Web Worker per spawn (creating and
//! terminating one per spawn leaks memory in today's browsers and costs about
//! 18 ms). A managed worker occupies its pool thread while it lives, so the
//! pool's size is the manager's capacity: starting one more is refused with
//! `ControlError::AtCapacity` rather than queued behind a worker that may
//! never end.
//!
//! The page must await `initThreadPool(n)` (re-exported by `threadyard-web`)
//! before the first spawn.

use std::sync::OnceLock;

use super::spawn::{Job, Spawn};
use crate::threads::Occupancy;

/// Spawns each worker on a thread of rayon's global (Web Worker) pool.
#[derive(Debug, Clone, Copy, Default)]
pub struct WebSpawner;

impl Spawn for WebSpawner {
    fn spawn(&self, _name: &str, job: Job) -> std::io::Result<()> {
        rayon::spawn(job);
        Ok(())
    }

    fn capacity(&self) -> Option<usize> {
        Some(rayon::current_num_threads())
    }

    fn occupancy(&self) -> Option<Occupancy> {
        // One pool per page, so one count for every manager on it.
        static IN_USE: OnceLock<Occupancy> = OnceLock::new();
        Some(IN_USE.get_or_init(Occupancy::new).clone())
    }
}
