//! Which worker the calling thread is acting for, if any.
//!
//! Set while a worker's task runs on its thread, and while a start hands
//! the worker's job to the spawner (which is the caller's code). A shutdown
//! called from there must not wait for that worker (it cannot finish while
//! the call lasts), and only the worker's own thread may sample its CPU
//! clock. Pool threads are reused, so every mark is undone when it ends.

use std::cell::Cell;

thread_local! {
    static ACTING_FOR: Cell<usize> = const { Cell::new(0) };
}

/// Marks the calling thread as acting for the worker at `address` until
/// the returned guard is dropped (marks nest).
pub(crate) fn enter(address: usize) -> Mark {
    Mark {
        outer: ACTING_FOR.with(|cell| cell.replace(address)),
    }
}

/// True when the calling thread acts for the worker at `address`.
#[inline]
pub(crate) fn is(address: usize) -> bool {
    ACTING_FOR.with(Cell::get) == address
}

/// The worker the calling thread acts for, if any (its address).
pub(crate) fn get() -> Option<usize> {
    Some(ACTING_FOR.with(Cell::get)).filter(|&address| address != 0)
}

/// Undoes a mark when dropped, restoring the one it replaced.
#[derive(Debug)]
pub(crate) struct Mark {
    outer: usize,
}

impl Drop for Mark {
    fn drop(&mut self) {
        ACTING_FOR.with(|cell| cell.set(self.outer));
    }
}
