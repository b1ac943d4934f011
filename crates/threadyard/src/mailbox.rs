//! A worker's bounded mailbox: the data lane.
//!
//! Pause, resume and stop never travel through here: they are moves of the
//! worker's state byte followed by a wakeup (see `slot.rs`), so a full
//! mailbox can never hold back a control command. This module is the queue
//! itself and its counters; the locking and waiting around it live in
//! `slot.rs`, where the worker waits for messages and control on one
//! condition variable.

use std::collections::VecDeque;

use serde::Serialize;

use crate::sync::{AtomicU64, AtomicUsize, Ordering};

/// Default number of messages a mailbox holds.
pub const DEFAULT_MAILBOX_CAPACITY: usize = 64;
/// Largest capacity accepted: bounds the memory one mailbox can pin.
pub const MAX_MAILBOX_CAPACITY: usize = 1 << 20;

/// The queue, guarded by the slot's mutex.
#[derive(Debug)]
pub(crate) struct Lane<T> {
    queue: VecDeque<T>,
    /// Set when the worker has finished or the manager shuts down.
    pub(crate) closed: bool,
    /// Threads blocked waiting for a message (the worker's, and any helper
    /// thread its task lent `&Worker` to): a sender must wake one.
    pub(crate) receivers_waiting: usize,
    /// Senders blocked in `send_timeout` on a full mailbox.
    pub(crate) senders_waiting: usize,
    /// Messages that were still queued when the mailbox was drained at the
    /// worker's end: gone, but counted as undelivered.
    drained: usize,
}

/// Why a message was not queued; the message comes back.
pub(crate) enum Refusal<T> {
    Full(T),
    Closed(T),
}

impl<T> Lane<T> {
    pub(crate) fn new() -> Self {
        Self {
            queue: VecDeque::new(),
            closed: false,
            receivers_waiting: 0,
            senders_waiting: 0,
            drained: 0,
        }
    }

    pub(crate) fn push(
        &mut self,
        message: T,
        counters: &MailboxCounters,
    ) -> Result<(), Refusal<T>> {
        if self.closed {
            return Err(Refusal::Closed(message));
        }
        if self.queue.len() >= counters.capacity {
            return Err(Refusal::Full(message));
        }
        self.queue.push_back(message);
        counters.record_push(self.queue.len());
        Ok(())
    }

    pub(crate) fn pop(&mut self, counters: &MailboxCounters) -> Option<T> {
        let message = self.queue.pop_front()?;
        counters.record_pop(self.queue.len());
        Some(message)
    }

    pub(crate) fn len(&self) -> usize {
        self.queue.len()
    }

    /// Messages accepted and never read: those queued and those drained.
    pub(crate) fn unread(&self) -> usize {
        self.queue.len() + self.drained
    }

    /// Takes every queued message out (to be dropped by the caller, outside
    /// the lock: a message's `Drop` is user code), keeping their count.
    pub(crate) fn drain(&mut self) -> VecDeque<T> {
        self.drained += self.queue.len();
        std::mem::take(&mut self.queue)
    }
}

/// Mailbox figures, written under the lane lock and read without it.
#[derive(Debug)]
pub(crate) struct MailboxCounters {
    pub(crate) capacity: usize,
    depth: AtomicUsize,
    high_water: AtomicUsize,
    sent: AtomicU64,
    received: AtomicU64,
    pub(crate) rejected_full: AtomicU64,
}

impl MailboxCounters {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            depth: AtomicUsize::new(0),
            high_water: AtomicUsize::new(0),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
            rejected_full: AtomicU64::new(0),
        }
    }

    /// Messages waiting, read without the lock: a hint for spinning, always
    /// re-checked under the lock.
    pub(crate) fn depth_hint(&self) -> usize {
        self.depth.load(Ordering::Relaxed)
    }

    // Written only under the lane lock, so plain loads and stores suffice:
    // no read-modify-write (a locked instruction natively, a compare-exchange
    // loop for `fetch_max` on wasm32) lengthens the critical section.
    fn record_push(&self, depth: usize) {
        self.depth.store(depth, Ordering::Relaxed);
        if depth > self.high_water.load(Ordering::Relaxed) {
            self.high_water.store(depth, Ordering::Relaxed);
        }
        bump_locked(&self.sent);
    }

    fn record_pop(&self, depth: usize) {
        self.depth.store(depth, Ordering::Relaxed);
        bump_locked(&self.received);
    }

    pub(crate) fn snapshot(&self) -> MailboxSnapshot {
        MailboxSnapshot {
            capacity: self.capacity,
            depth: self.depth.load(Ordering::Relaxed),
            high_water: self.high_water.load(Ordering::Relaxed),
            sent: self.sent.load(Ordering::Relaxed),
            received: self.received.load(Ordering::Relaxed),
            rejected_full: self.rejected_full.load(Ordering::Relaxed),
        }
    }
}

/// Adds one to a counter whose only writers hold the lane lock.
fn bump_locked(counter: &AtomicU64) {
    counter.store(counter.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
}

/// A worker's mailbox figures at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct MailboxSnapshot {
    /// Most messages it holds.
    pub capacity: usize,
    /// Messages waiting now.
    pub depth: usize,
    /// Most messages ever waiting at once.
    pub high_water: usize,
    /// Messages accepted.
    pub sent: u64,
    /// Messages taken by the worker.
    pub received: u64,
    /// Sends refused because it was full.
    pub rejected_full: u64,
}
