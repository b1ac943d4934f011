//! Senders asleep on a full mailbox, each parked on its own thread until a
//! take frees a place for it.
//!
//! Why parking rather than a condition variable: a thread woken from a
//! condition variable must take its lock again before it can send, and
//! that lock is the one the receiver and the other senders take to wake or
//! register. With more senders than cores it became a convoy: a woken
//! sender waited for a lock held by a thread the scheduler had just
//! preempted. A parked sender is handed its wakeup (`woken`) and goes
//! straight back to the queue, as `sync_channel`'s senders do.
//!
//! No wakeup is lost: a sender registers (a `SeqCst` add to `count`) and
//! then looks at the queue once more; a take frees its place with a
//! `SeqCst` compare-exchange on the queue's head and then loads `count`.
//! One of the two sees the other (see `mailbox.rs`). An unpark that comes
//! before the park is kept by the thread, so the park returns at once.

use std::collections::VecDeque;

use crossbeam_utils::CachePadded;
use web_time::Instant;

use crate::sync::{
    current_thread, expired, lock, park_until, sc_order, Arc, AtomicBool, AtomicUsize, Mutex,
    Ordering, Thread,
};

/// The senders waiting for room in one mailbox, longest-waiting first.
#[derive(Debug)]
pub(crate) struct Room {
    /// How many are registered: loaded by every take after it frees a
    /// place, written only by senders going to sleep and by their wakers.
    count: CachePadded<AtomicUsize>,
    waiting: Mutex<VecDeque<Waiter>>,
}

#[derive(Debug)]
struct Waiter {
    thread: Thread,
    woken: Arc<AtomicBool>,
}

/// A registered sender's claim on its wakeup.
pub(crate) struct Ticket(Arc<AtomicBool>);

impl Room {
    pub(crate) fn new() -> Self {
        Self {
            count: CachePadded::new(AtomicUsize::new(0)),
            waiting: Mutex::new(VecDeque::new()),
        }
    }

    /// Registers the calling thread as waiting for room. The caller must
    /// then look at the queue once more, and [`cancel`](Self::cancel) if it
    /// has room (or closed) after all, else [`wait`](Self::wait).
    pub(crate) fn register(&self) -> Ticket {
        let woken = Arc::new(AtomicBool::new(false));
        let mut waiting = lock(&self.waiting);
        waiting.push_back(Waiter {
            thread: current_thread(),
            woken: Arc::clone(&woken),
        });
        self.count.fetch_add(1, Ordering::SeqCst);
        drop(waiting);
        sc_order();
        Ticket(woken)
    }

    /// Sleeps until a take (or a close) wakes this sender, or `deadline`.
    pub(crate) fn wait(&self, ticket: Ticket, deadline: Option<Instant>) {
        while !ticket.0.load(Ordering::Acquire) {
            if expired(deadline) {
                self.cancel(ticket);
                return;
            }
            park_until(deadline);
        }
    }

    /// Takes the sender's registration back. If a take claimed it in the
    /// meantime, the place it freed is passed on to the next sleeper: a
    /// sender that gives up must not swallow another's wakeup.
    pub(crate) fn cancel(&self, ticket: Ticket) {
        let mut waiting = lock(&self.waiting);
        match waiting
            .iter()
            .position(|w| Arc::ptr_eq(&w.woken, &ticket.0))
        {
            Some(at) => {
                waiting.remove(at);
                self.count.fetch_sub(1, Ordering::Relaxed);
            }
            None => {
                drop(waiting);
                self.wake_one();
            }
        }
    }

    /// After a take freed a place (its `SeqCst` compare-exchange on the
    /// head): wakes the longest-waiting sender, if any. One place, one
    /// sender; the one woken no longer counts, so the next take wakes the
    /// next sleeper.
    #[inline]
    pub(crate) fn wake_one(&self) {
        if self.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let waiter = {
            let mut waiting = lock(&self.waiting);
            let waiter = waiting.pop_front();
            if waiter.is_some() {
                self.count.fetch_sub(1, Ordering::Relaxed);
            }
            waiter
        };
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    /// The mailbox closed: every sleeper wakes to find it so. Called after
    /// the close's `SeqCst` compare-exchange; a sender registers with a
    /// `SeqCst` add and then looks for the close, so one of the two sees the
    /// other, and with nobody registered this is one load (shutdown calls it
    /// for every worker, and once more at each worker's end).
    pub(crate) fn wake_all(&self) {
        if self.count.load(Ordering::SeqCst) == 0 {
            return;
        }
        let waiters: Vec<Waiter> = {
            let mut waiting = lock(&self.waiting);
            self.count.fetch_sub(waiting.len(), Ordering::Relaxed);
            waiting.drain(..).collect()
        };
        waiters.into_iter().for_each(Waiter::wake);
    }
}

impl Waiter {
    fn wake(self) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}
