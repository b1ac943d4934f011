//! The "something changed" signal that `join`, `wait_for_state` and
//! `shutdown` wait on instead of polling, blocking or async.
//!
//! Every state move notifies it. Blocking waiters sleep on a condition
//! variable; async waiters (the browser's main thread, which must never
//! block) register a `Waker`. Kept apart from the manager's shared record so a
//! worker can still signal after its manager is gone.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use web_time::Instant;

use crate::contain;
use crate::sync::{expired, lock, wait_until, Arc, Condvar, Mutex};

#[derive(Debug, Default)]
struct Generation {
    /// Bumped by every notification.
    count: u64,
    /// Async waiters for the next bump.
    wakers: Vec<Waker>,
    /// Threads asleep on the condition variable. Every state move notifies,
    /// and a condvar notification is a system call even when nobody sleeps,
    /// so it is skipped when this is 0.
    sleepers: usize,
}

#[derive(Debug, Default)]
pub(crate) struct Changes {
    generation: Mutex<Generation>,
    cv: Condvar,
}

impl Changes {
    /// A worker's state moved: wake every waiter, blocking or async.
    pub(crate) fn notify(&self) {
        let (wakers, sleepers) = {
            let mut generation = lock(&self.generation);
            generation.count += 1;
            (std::mem::take(&mut generation.wakers), generation.sleepers)
        };
        if sleepers > 0 {
            self.cv.notify_all();
        }
        // A waker is the executor's code: one that panics must neither stop
        // the others from being woken nor unwind into the thread that made
        // the change (a worker's, publishing its end).
        for waker in wakers {
            contain::quietly(|| waker.wake());
        }
    }

    /// Waits until `done()` holds or `deadline` passes; returns `done()`.
    ///
    /// `done` is the caller's code (a `wait_for_state` predicate may call
    /// back into the manager), so it runs with no lock held: the generation
    /// seen before it runs tells whether a change came in meanwhile.
    pub(crate) fn wait(&self, deadline: Option<Instant>, mut done: impl FnMut() -> bool) -> bool {
        loop {
            let seen = self.count();
            if done() {
                return true;
            }
            if expired(deadline) {
                return false;
            }
            let mut guard = lock(&self.generation);
            if guard.count == seen {
                guard.sleepers += 1;
                guard = wait_until(&self.cv, guard, deadline);
                guard.sleepers -= 1;
            }
        }
    }

    fn count(&self) -> u64 {
        lock(&self.generation).count
    }
}

/// Resolves at the first state change after it was made; see
/// [`Yard::changed`](crate::Yard::changed).
#[derive(Debug)]
#[must_use = "futures do nothing unless awaited"]
pub struct Changed {
    changes: Arc<Changes>,
    seen: u64,
}

impl Changed {
    pub(crate) fn new(changes: &Arc<Changes>) -> Self {
        Self {
            seen: changes.count(),
            changes: Arc::clone(changes),
        }
    }
}

impl Future for Changed {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        // Cloning and dropping a waker run the executor's code, which may
        // call back into the manager: neither happens under the lock.
        let mut waker = Some(cx.waker().clone());
        let mut generation = lock(&self.changes.generation);
        let ready = generation.count != self.seen;
        if !ready && !generation.wakers.iter().any(|w| w.will_wake(cx.waker())) {
            generation.wakers.extend(waker.take());
        }
        drop(generation);
        drop(waker);
        if ready {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

/// Runs `work` until it finishes (true) or `deadline` fires first (false).
pub(crate) async fn before<W, D>(work: W, deadline: D) -> bool
where
    W: Future<Output = ()>,
    D: Future,
{
    let mut work = std::pin::pin!(work);
    let mut deadline = std::pin::pin!(deadline);
    std::future::poll_fn(|cx| {
        if work.as_mut().poll(cx).is_ready() {
            Poll::Ready(true)
        } else if deadline.as_mut().poll(cx).is_ready() {
            Poll::Ready(false)
        } else {
            Poll::Pending
        }
    })
    .await
}
