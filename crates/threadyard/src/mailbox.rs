//! A worker's bounded mailbox: the data lane.
//!
//! Pause, resume and stop never travel through here: they are moves of the
//! worker's state byte followed by a wakeup (see `slot.rs`), so a full
//! mailbox can never hold back a control command. This module is the queue,
//! its figures and the two flags a sender reads after queueing; the locking
//! and waiting around it live in `slot.rs`, where the worker waits for
//! messages and control on one condition variable.
//!
//! # What a message costs
//!
//! A send is one compare-exchange on the queue's tail (crossbeam's
//! `ArrayQueue`, the algorithm of `sync_channel`'s array flavour), a `SeqCst`
//! fence and two loads from one cache line that only changes when a receiver
//! goes to sleep or the mailbox closes. Nothing a sender writes is shared
//! with the other senders beyond the queue itself: no in-flight count, no
//! sent count, no high-water mark. Those are derived or kept by the receiving
//! side, which takes every message out under the slot's lane lock (a lock
//! only senders that must wake someone ever touch):
//!
//! | figure | how |
//! |---|---|
//! | `depth` | the queue's own indices (plus what was drained at the end) |
//! | `received` | counted by the receiver, under the lane lock |
//! | `sent` | `received + depth`: every accepted message is read, waiting, or drained |
//! | `high_water` | sampled by the receiver before each take (until it reaches the capacity), at the end, and by every snapshot |
//! | `rejected_full` | counted by the refused sender (a full mailbox is the slow path) |
//!
//! # Sleeping without losing a wakeup
//!
//! A receiver about to sleep holds the lane lock, adds itself to
//! `receivers_sleeping` and issues a `SeqCst` fence, then looks at the queue
//! once more before it waits; a sender queues, issues a `SeqCst` fence, then
//! reads `receivers_sleeping`, and only when it is non-zero takes the lane
//! lock and notifies. Store, fence, load on both sides: at least one of them
//! sees the other (the store-buffering pattern), so either the receiver finds
//! the message or the sender finds the sleeper, and the sender's lock waits
//! until that sleeper is really waiting. That sender also takes the
//! sleepers' registrations as it wakes them, so the sends behind it, while
//! the receiver is still waking up, find nobody to wake and take no lock. Closing works the same way against a
//! push: the closer marks the mailbox drained, fences, then empties it; a
//! sender that queued and then sees it drained empties it again itself, so
//! nothing stays queued past the worker's end (see `Slot::push`).
//! Blocked senders need no fence: they register under the lane lock and
//! every take happens under it.

mod queue;

use std::sync::OnceLock;

use crossbeam_utils::CachePadded;
use serde::Serialize;

use self::queue::Queue;
use crate::sync::{fence, AtomicU64, AtomicU8, AtomicUsize, Ordering};

/// Default number of messages a mailbox holds.
pub const DEFAULT_MAILBOX_CAPACITY: usize = 64;
/// Largest capacity accepted: bounds the memory one mailbox can pin.
pub const MAX_MAILBOX_CAPACITY: usize = 1 << 20;

/// Sends are accepted.
const OPEN: u8 = 0;
/// No new send is accepted (the worker was asked to stop, or shutdown has
/// begun); what is queued stays for the worker until its end.
const CLOSED: u8 = 1;
/// The worker has ended and its mailbox was emptied: anything queued after
/// that must be emptied by whoever queued it.
const DRAINED: u8 = 2;

/// What only the holder of the slot's lane lock reads or writes.
#[derive(Debug, Default)]
pub(crate) struct Lane {
    /// Senders blocked in `send_timeout` on a full mailbox, not yet woken:
    /// a take must wake one.
    pub(crate) senders_sleeping: usize,
    /// Blocked senders a take has woken (moved here from
    /// `senders_sleeping`), not yet running: the takes behind it leave them
    /// be instead of notifying again.
    pub(crate) senders_woken: usize,
    /// Sleeping receivers a sender has already woken, their registrations
    /// taken out of `receivers_sleeping` by that sender ([`Mailbox::claim_sleepers`]):
    /// until they run, later senders find nobody to wake.
    woken: usize,
    received: u64,
    high_water: usize,
    /// Messages that were still queued when the mailbox was drained at the
    /// worker's end: gone, but counted as undelivered.
    drained: usize,
}

/// Why a message was not queued; the message comes back.
pub(crate) enum Refusal<T> {
    Full(T),
    Closed(T),
}

/// What a sender whose message was queued has left to do.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Queued {
    /// A receiver sleeps (or is about to): take the lane lock and notify.
    pub(crate) wake: bool,
    /// The mailbox was drained after this message may have gone in: drain
    /// it again (the message is accepted and counted undelivered).
    pub(crate) late: bool,
}

/// A worker's mailbox: see the module docs.
#[derive(Debug)]
pub(crate) struct Mailbox<T> {
    /// Allocated by the first send: an idle worker's mailbox costs a pointer.
    queue: OnceLock<Box<Queue<T>>>,
    capacity: usize,
    /// Read by every sender after queueing; written only when a receiver
    /// sleeps or wakes and when the mailbox closes. On a line of its own, so
    /// the receiver's lock and the queue's indices do not bounce it.
    signals: CachePadded<Signals>,
    rejected_full: AtomicU64,
    /// The model tests' deliberately broken variant: a push without the
    /// fence that orders it before the look for sleepers.
    #[cfg(loom)]
    pub(crate) fence_after_push: bool,
}

#[derive(Debug)]
struct Signals {
    receivers_sleeping: AtomicUsize,
    closed: AtomicU8,
}

impl<T> Mailbox<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        let mailbox = Self {
            queue: OnceLock::new(),
            capacity,
            signals: CachePadded::new(Signals {
                receivers_sleeping: AtomicUsize::new(0),
                closed: AtomicU8::new(OPEN),
            }),
            rejected_full: AtomicU64::new(0),
            #[cfg(loom)]
            fence_after_push: true,
        };
        // Under loom the queue's atomics must exist before the model's
        // threads race (a lazy start would run inside std's `OnceLock`,
        // which loom cannot schedule).
        #[cfg(loom)]
        let _ = mailbox.queue();
        mailbox
    }

    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    fn queue(&self) -> &Queue<T> {
        self.queue
            .get_or_init(|| Box::new(Queue::new(self.capacity)))
    }

    /// Queues `message` without taking any lock: the sender's whole fast
    /// path. The caller does what [`Queued`] says.
    pub(crate) fn push(&self, message: T) -> Result<Queued, Refusal<T>> {
        if self.signals.closed.load(Ordering::Acquire) != OPEN {
            return Err(Refusal::Closed(message));
        }
        self.queue().push(message).map_err(Refusal::Full)?;
        self.fence_after_push();
        Ok(Queued {
            late: self.signals.closed.load(Ordering::Relaxed) == DRAINED,
            wake: self.signals.receivers_sleeping.load(Ordering::Relaxed) > 0,
        })
    }

    #[inline]
    fn fence_after_push(&self) {
        #[cfg(loom)]
        if !self.fence_after_push {
            return;
        }
        fence(Ordering::SeqCst);
    }

    /// Takes the next message, under the lane lock.
    pub(crate) fn pop(&self, lane: &mut Lane) -> Option<T> {
        let queue = self.queue.get()?;
        if lane.high_water < self.capacity {
            // Only takes lower the depth, and they all happen under this
            // lock: the depth seen here is the most since the last take,
            // give or take the sends racing this look.
            lane.high_water = lane.high_water.max(queue.len());
        }
        let message = queue.pop()?;
        lane.received += 1;
        Some(message)
    }

    /// Messages waiting now (a relaxed look, for spinning; exact when
    /// nothing races it).
    pub(crate) fn len(&self) -> usize {
        self.queue.get().map_or(0, |queue| queue.len())
    }

    pub(crate) fn is_full(&self) -> bool {
        self.queue.get().is_some_and(|queue| queue.is_full())
    }

    /// True once no new send is accepted.
    pub(crate) fn is_closed(&self) -> bool {
        self.signals.closed.load(Ordering::Acquire) != OPEN
    }

    /// A receiver, holding the lane lock, is about to sleep: after this it
    /// must look at the queue once more before waiting (module docs).
    pub(crate) fn register_receiver(&self) {
        self.signals
            .receivers_sleeping
            .fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
    }

    /// The receiver found a message after registering, and does not sleep.
    pub(crate) fn unregister_receiver(&self) {
        self.signals
            .receivers_sleeping
            .fetch_sub(1, Ordering::Relaxed);
    }

    /// The receiver woke from its sleep, holding the lane lock again: its
    /// registration is gone if a sender claimed it (or one in its place:
    /// whichever sleeper wakes first uses the claim, the others unregister
    /// themselves, and the count comes out even).
    pub(crate) fn receiver_woke(&self, lane: &mut Lane) {
        if lane.woken > 0 {
            lane.woken -= 1;
        } else {
            self.unregister_receiver();
        }
    }

    /// A sender that queued and saw sleepers, holding the lane lock: takes
    /// every sleeper's registration and says whether there were any. The
    /// caller then wakes them all (`notify_all`: the worker's condition
    /// variable also holds paused threads, and one of those must not take
    /// the only wakeup). Without the claim, every send until the receiver
    /// ran again locked and notified once more (measured: 12% of one sender
    /// to one worker in the lock's contended path, on a loaded machine).
    pub(crate) fn claim_sleepers(&self, lane: &mut Lane) -> bool {
        let sleepers = self.signals.receivers_sleeping.swap(0, Ordering::SeqCst);
        lane.woken += sleepers;
        sleepers > 0
    }

    /// True while a receiver sleeps (read under the lane lock, where every
    /// receiver registers).
    pub(crate) fn receivers_sleeping(&self) -> bool {
        self.signals.receivers_sleeping.load(Ordering::Relaxed) > 0
    }

    /// Refuses new sends; what is queued stays for the worker. Under the
    /// lane lock.
    pub(crate) fn close(&self) {
        let _ =
            self.signals
                .closed
                .compare_exchange(OPEN, CLOSED, Ordering::SeqCst, Ordering::Relaxed);
    }

    /// Refuses new sends and takes out every queued message, to be dropped
    /// by the caller outside the lock (a message's `Drop` is user code),
    /// keeping their count as undelivered. Under the lane lock: at the
    /// worker's end, and by a sender that queued after it ([`Queued::late`]).
    pub(crate) fn drain(&self, lane: &mut Lane) -> Vec<T> {
        self.signals.closed.store(DRAINED, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let mut left = Vec::new();
        if let Some(queue) = self.queue.get() {
            lane.high_water = lane.high_water.max(queue.len());
            while let Some(message) = queue.pop() {
                left.push(message);
            }
        }
        lane.drained += left.len();
        left
    }

    /// Messages accepted and never read: those queued and those drained.
    pub(crate) fn unread(&self, lane: &Lane) -> usize {
        self.len() + lane.drained
    }

    /// A send refused because the mailbox was full.
    pub(crate) fn count_rejected(&self) {
        self.rejected_full.fetch_add(1, Ordering::Relaxed);
    }

    /// The figures, consistent with each other: taken under the lane lock,
    /// where every take happens.
    pub(crate) fn snapshot(&self, lane: &Lane) -> MailboxSnapshot {
        let queued = self.len();
        let unread = queued + lane.drained;
        MailboxSnapshot {
            capacity: self.capacity,
            depth: unread,
            high_water: lane.high_water.max(queued),
            sent: lane.received + unread as u64,
            received: lane.received,
            rejected_full: self.rejected_full.load(Ordering::Relaxed),
        }
    }
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
