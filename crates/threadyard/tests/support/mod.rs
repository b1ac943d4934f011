//! What the mailbox race suites (`mailbox_races.rs`, `mailbox_half_room.rs`)
//! share: their deadlines, a yard with a tiny mailbox, and the pause/resume
//! storm they race takes against.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use threadyard::Yard;

/// The longest any test waits for an event before calling it lost.
pub const LONG: Duration = Duration::from_secs(60);
/// A sender's deadline that must never be what ends its wait.
pub const HOUR: Duration = Duration::from_secs(3600);

pub fn tiny_yard<T: Send + 'static>(capacity: usize) -> Yard<T> {
    Yard::<T>::builder()
        .mailbox_capacity(capacity)
        .build()
        .unwrap()
}

/// Yields until `done()`, failing with `what` after [`LONG`].
pub fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + LONG;
    while !done() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        std::thread::yield_now();
    }
}

/// Pauses and resumes a worker on a thread of its own until [`stop`](Self::stop);
/// a refused move (the worker already ended) ends the storm.
pub struct Storm {
    done: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Storm {
    pub fn start<T: Send + 'static>(yard: &Arc<Yard<T>>, id: &str) -> Self {
        let done = Arc::new(AtomicBool::new(false));
        let (yard, stop, id) = (Arc::clone(yard), Arc::clone(&done), id.to_owned());
        let thread = std::thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                if yard.pause(&id).is_err() {
                    return;
                }
                std::thread::yield_now();
                if yard.resume(&id).is_err() {
                    return;
                }
            }
        });
        Self { done, thread }
    }

    /// Ends the storm, without waiting for its thread (a failing test's way out).
    pub fn halt(&self) {
        self.done.store(true, Ordering::SeqCst);
    }

    pub fn stop(self) {
        self.halt();
        self.thread.join().unwrap();
    }
}
