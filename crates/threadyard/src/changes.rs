//! The "something changed" signal that `join`, `wait_for_state` and
//! `shutdown` wait on instead of polling.
//!
//! Every state move notifies it. Kept apart from the manager's shared record so
//! a worker can still signal after its manager is gone.

use web_time::Instant;

use crate::sync::{expired, lock, wait_until, AtomicUsize, Condvar, Mutex, Ordering};

#[derive(Debug, Default)]
pub(crate) struct Changes {
    lock: Mutex<()>,
    cv: Condvar,
    /// Threads currently running a worker (for capacity).
    pub(crate) live_threads: AtomicUsize,
}

impl Changes {
    /// A thread that ran (or was reserved for) a worker is free again.
    /// Called before the worker's final state is published, so whoever sees
    /// that state can start another worker in its place.
    pub(crate) fn release_thread(&self) {
        self.live_threads.fetch_sub(1, Ordering::AcqRel);
    }

    /// A worker's state moved.
    pub(crate) fn notify(&self) {
        // Taken so that a waiter that has just checked its condition is
        // already waiting when the notification comes.
        drop(lock(&self.lock));
        self.cv.notify_all();
    }

    /// Waits until `done()` holds or `deadline` passes; returns `done()`.
    pub(crate) fn wait(&self, deadline: Option<Instant>, done: impl Fn() -> bool) -> bool {
        let mut guard = lock(&self.lock);
        loop {
            if done() {
                return true;
            }
            if expired(deadline) {
                return false;
            }
            guard = wait_until(&self.cv, guard, deadline);
        }
    }
}
