//! A worker's bounded mailbox: the data lane.
//!
//! Pause, resume and stop never travel through here: they are moves of the
//! worker's state byte followed by a wakeup (see `slot.rs`), so a full
//! mailbox can never hold back a control command. This module is the queue,
//! its figures and the flags each side reads after its own operation; the
//! waiting around it lives in `slot.rs`, where the worker waits for
//! messages and control on one condition variable.
//!
//! # What a message costs
//!
//! A send is one compare-exchange on the queue's tail (crossbeam's
//! `ArrayQueue`, the algorithm of `sync_channel`'s array flavour) and two
//! loads from a line that only changes when someone goes to sleep or the
//! mailbox closes. A take is one compare-exchange on the queue's head, a
//! load of the state byte, and a store to a counter on the receiving side's
//! own line (no locked instruction: see [`Mailbox::received`]). Neither side takes a lock unless the other is asleep, and no
//! sender writes anything another sender reads beyond the queue itself: no
//! in-flight count, no sent count, no high-water mark. Those are derived
//! or kept by the receiving side:
//!
//! | figure | how |
//! |---|---|
//! | `depth` | the queue's own indices, plus messages put back or drained |
//! | `received` | counted by whoever takes, on the receiving side's line |
//! | `sent` | `received + depth`: every accepted message is read, waiting, or drained |
//! | `high_water` | sampled at every 16th take, at the end and by every snapshot; the capacity once a sender has found the mailbox full |
//! | `rejected_full` | counted by the refused sender (a full mailbox is the slow path) |
//!
//! # Sleeping without losing a wakeup
//!
//! Each wakeup is the store-buffering pattern with sequentially consistent
//! operations on both sides, so at least one side sees the other:
//!
//! * a receiver about to sleep holds the lane lock, adds itself to
//!   `receivers_sleeping` (a `SeqCst` read-modify-write), then looks at the
//!   queue's indices once more (`SeqCst` loads) before it waits; a sender's
//!   push claims its place with a `SeqCst` compare-exchange on the tail and
//!   then loads `receivers_sleeping` (`SeqCst`). Either the receiver sees
//!   the claimed place (and then waits the push out inside `pop`, as
//!   `ArrayQueue` does) or the sender sees the sleeper, takes the lane lock
//!   (which waits until that sleeper really waits) and notifies. That sender
//!   also takes the sleepers' registrations, so the sends behind it, while
//!   the receiver is still waking up, take no lock.
//! * a sender about to sleep on a full mailbox registers in [`Room`] (a
//!   `SeqCst` add), then looks at the indices once more; a take frees its
//!   place with a `SeqCst` compare-exchange on the head, then loads the
//!   count of sleeping senders, and only when it is non-zero locks the list
//!   of sleepers and unparks the longest-waiting one (`mailbox/room.rs`).
//!   Before registering, the sender backs off waiting for the mailbox to be
//!   half empty, then sends if it has any room (`Slot::wait_for_room`
//!   says why half).
//! * closing works the same way against a push: the closer marks the
//!   mailbox drained, fences, then empties it; a sender that queued and then
//!   sees it drained empties it again itself, so nothing stays queued past
//!   the worker's end (see `Slot::push`).
//!
//! Natively and on wasm32 the `SeqCst` operations order themselves; loom
//! models a `SeqCst` access only as acquire/release, so under `--cfg loom`
//! each side adds the `SeqCst` fence that stands for that order
//! (`sync::sc_order`), and the model tests check the protocol with it (and show
//! loom finding the lost wakeup when it is taken out).
//!
//! # A take that loses to a stop or a pause
//!
//! A receive is a pause point, and a worker asked to stop takes nothing
//! more. The state is looked at after the take (a stop or pause that came
//! before the take is then seen): if the worker is no longer running, the
//! receive keeps the message through the pause, counted as waiting
//! ([`Lane::held`]), and gets it once resumed; if stopped, it puts it back
//! in front of the queue ([`Lane::put_back`]), where the next take finds it
//! first, still waiting, not received. (Putting it back at once let another
//! thread of the task take a later message first.) Either way the place the
//! pop freed wakes a sender waiting for room.

mod queue;
mod room;

use std::collections::VecDeque;
use std::sync::OnceLock;

use crossbeam_utils::CachePadded;
use serde::Serialize;

use self::queue::Queue;
pub(crate) use self::room::Room;
use crate::sync::{fence, sc_order, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};

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

/// The depth is sampled into the high-water mark at every this many takes:
/// reading it means reading the tail, the line every send writes, so a
/// sample per take cost a cache miss per message. Only takes lower the
/// depth, one at a time, so a sample misses a peak by less than this.
const SAMPLE_EVERY: u64 = 16;

/// Looks a snapshot takes for a moment with no take landing (see
/// [`Mailbox::snapshot`]).
const SNAPSHOT_TRIES: u32 = 64;

/// What only the holder of the slot's lane lock reads or writes.
#[derive(Debug)]
pub(crate) struct Lane<T> {
    /// Sleeping receivers a sender has already woken, their registrations
    /// taken out of `receivers_sleeping` by that sender ([`Mailbox::claim_sleepers`]):
    /// until they run, later senders find nobody to wake.
    woken: usize,
    /// Messages a receive took and put back because a stop or a pause came
    /// first (module docs): they come before anything in the queue.
    put_back: VecDeque<T>,
    /// Messages that were still queued when the mailbox was drained at the
    /// worker's end: gone, but counted as undelivered.
    drained: usize,
    /// Messages taken by receives that lost to a pause and hold them
    /// through it ([`Mailbox::hold`]): still waiting, not yet received.
    held: usize,
    /// Set when the worker is removed: the unread count its removal's
    /// snapshot reported. A late send (one that queued after the worker's
    /// end emptied the mailbox) counts what it adds beyond this in its
    /// manager, since no snapshot of the worker will ever show it.
    reported_at_removal: Option<usize>,
}

impl<T> Default for Lane<T> {
    fn default() -> Self {
        Self {
            woken: 0,
            put_back: VecDeque::new(),
            drained: 0,
            held: 0,
            reported_at_removal: None,
        }
    }
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
    /// Read by every send and take; written only when someone sleeps or
    /// wakes and when the mailbox closes. On a line of its own, so the
    /// queue's indices and the receiving side's counters do not bounce it.
    signals: CachePadded<Signals>,
    /// The receiving side's figures, on their own line: written at every
    /// take; senders never touch it (snapshots read it, and note the most
    /// `sent` they said).
    taken: CachePadded<Taken>,
    /// Senders asleep until a take makes room.
    room: Room,
    rejected_full: AtomicU64,
    /// The model tests' deliberately broken variant: a push without the
    /// order that puts it before the look for sleepers.
    #[cfg(loom)]
    pub(crate) fence_after_push: bool,
}

#[derive(Debug)]
struct Signals {
    receivers_sleeping: AtomicUsize,
    closed: AtomicU8,
    /// A sender found the mailbox full at least once: the high-water mark
    /// is the capacity.
    filled: AtomicBool,
}

#[derive(Debug)]
struct Taken {
    /// Messages the worker's own thread took: written by that thread only,
    /// with plain stores (see [`Mailbox::received`]).
    by_worker: AtomicU64,
    /// Messages any other thread of the task took, and put-back messages
    /// taken, with read-modify-writes.
    by_others: AtomicU64,
    /// The most `sent` any snapshot has said: a later one never says less.
    sent_seen: AtomicU64,
    high_water: AtomicUsize,
    /// How many messages wait in [`Lane::put_back`]: a take looks here
    /// (a load from this line) before the queue, and locks only when some do.
    put_back: AtomicUsize,
}

impl<T> Mailbox<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        let mailbox = Self {
            queue: OnceLock::new(),
            capacity,
            signals: CachePadded::new(Signals {
                receivers_sleeping: AtomicUsize::new(0),
                filled: AtomicBool::new(false),
                closed: AtomicU8::new(OPEN),
            }),
            taken: CachePadded::new(Taken {
                by_worker: AtomicU64::new(0),
                by_others: AtomicU64::new(0),
                sent_seen: AtomicU64::new(0),
                high_water: AtomicUsize::new(0),
                put_back: AtomicUsize::new(0),
            }),
            room: Room::new(),
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
        if let Err(message) = self.queue().push(message) {
            // Full: the depth is at the capacity, the most it can be. Kept
            // on the senders' line, written once: the receiving side's line
            // is written at every take, and a sender retrying on a full
            // mailbox that read it there made every take a cache miss
            // (measured: 65% of the receive path stalled on its counter).
            if !self.signals.filled.load(Ordering::Relaxed) {
                self.signals.filled.store(true, Ordering::Relaxed);
            }
            return Err(Refusal::Full(message));
        }
        self.order_after_push();
        Ok(Queued {
            late: self.signals.closed.load(Ordering::SeqCst) == DRAINED,
            wake: self.signals.receivers_sleeping.load(Ordering::SeqCst) > 0,
        })
    }

    #[inline(always)]
    fn order_after_push(&self) {
        #[cfg(loom)]
        if !self.fence_after_push {
            return;
        }
        sc_order();
    }

    /// Takes the next message from the queue, with no lock. Only once
    /// [`has_put_back`](Self::has_put_back) said none wait in front of it;
    /// the caller then either counts it ([`received`](Self::received)) or
    /// holds it through a pause ([`hold`](Self::hold)).
    pub(crate) fn pop(&self) -> Option<T> {
        let message = self.queue.get()?.pop()?;
        sc_order();
        Some(message)
    }

    /// True when messages a receive put back wait in front of the queue:
    /// take them under the lane lock ([`take_put_back`](Self::take_put_back)).
    pub(crate) fn has_put_back(&self) -> bool {
        self.taken.put_back.load(Ordering::Acquire) > 0
    }

    /// A message taken is the worker's: counted, and now and then the
    /// depth sampled into the high-water mark. `by_worker`: taken by the
    /// worker's own thread, the only one that writes `by_worker`, so a load
    /// and a store do. A locked add there waited at every take for the
    /// take's own store to the queue's slot (a line the senders share) to
    /// reach the cache: measured, two thirds of the receive path. Other
    /// threads of the task (lent `&Worker`) count in `by_others`.
    pub(crate) fn received(&self, by_worker: bool) {
        let t = &self.taken;
        let before = if by_worker {
            let before = t.by_worker.load(Ordering::Relaxed);
            t.by_worker.store(before + 1, Ordering::Release);
            before
        } else {
            t.by_others.fetch_add(1, Ordering::Release)
        };
        if before % SAMPLE_EVERY == 0 {
            self.sample_high_water(1);
        }
    }

    /// Messages taken, by every thread.
    fn received_total(&self) -> u64 {
        let t = &self.taken;
        t.by_worker.load(Ordering::SeqCst) + t.by_others.load(Ordering::SeqCst)
    }

    /// `extra`: messages out of the queue that still count (the one just taken).
    fn sample_high_water(&self, extra: usize) {
        let high = &self.taken.high_water;
        if high.load(Ordering::Relaxed) < self.capacity
            && !self.signals.filled.load(Ordering::Relaxed)
        {
            high.fetch_max((self.len() + extra).min(self.capacity), Ordering::Relaxed);
        }
    }

    /// A take lost to a stop or a pause (module docs): the message goes
    /// back in front, still waiting.
    pub(crate) fn put_back(&self, lane: &mut Lane<T>, message: T) {
        lane.put_back.push_back(message);
        self.taken
            .put_back
            .store(lane.put_back.len(), Ordering::Release);
    }

    /// A take lost to a stop or a pause and keeps its message through it:
    /// counted as waiting until [`release_held`](Self::release_held) or
    /// [`unhold_put_back`](Self::unhold_put_back).
    pub(crate) fn hold(&self, lane: &mut Lane<T>) {
        lane.held += 1;
    }

    /// The pause is over: the held message is received.
    pub(crate) fn release_held(&self, lane: &mut Lane<T>, by_worker: bool) {
        lane.held -= 1;
        self.received(by_worker);
    }

    /// The worker was stopped: the held message goes back in front.
    pub(crate) fn unhold_put_back(&self, lane: &mut Lane<T>, message: T) {
        lane.held -= 1;
        self.put_back(lane, message);
    }

    /// The first message put back, counted as received.
    pub(crate) fn take_put_back(&self, lane: &mut Lane<T>) -> Option<T> {
        let message = lane.put_back.pop_front()?;
        self.taken
            .put_back
            .store(lane.put_back.len(), Ordering::Release);
        self.taken.by_others.fetch_add(1, Ordering::Release);
        Some(message)
    }

    /// Messages waiting now (a relaxed look, for spinning; exact when
    /// nothing races it). Put-back messages are not included: whoever put
    /// them back is the one to take them.
    pub(crate) fn len(&self) -> usize {
        self.queue.get().map_or(0, |queue| queue.len())
    }

    /// True while the queue holds as many messages as it can.
    pub(crate) fn is_full(&self) -> bool {
        self.queue.get().is_some_and(|queue| queue.is_full())
    }

    /// True once no new send is accepted. `SeqCst`: a sender registered to
    /// wait for room looks here once more, against the closer's wakeup.
    pub(crate) fn is_closed(&self) -> bool {
        self.signals.closed.load(Ordering::SeqCst) != OPEN
    }

    /// A receiver, holding the lane lock, is about to sleep: after this it
    /// must look at the queue once more before waiting (module docs).
    pub(crate) fn register_receiver(&self) {
        self.signals
            .receivers_sleeping
            .fetch_add(1, Ordering::SeqCst);
        sc_order();
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
    pub(crate) fn receiver_woke(&self, lane: &mut Lane<T>) {
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
    pub(crate) fn claim_sleepers(&self, lane: &mut Lane<T>) -> bool {
        let sleepers = self.signals.receivers_sleeping.swap(0, Ordering::SeqCst);
        lane.woken += sleepers;
        sleepers > 0
    }

    /// True while a receiver sleeps (read under the lane lock, where every
    /// receiver registers).
    pub(crate) fn receivers_sleeping(&self) -> bool {
        self.signals.receivers_sleeping.load(Ordering::Relaxed) > 0
    }

    /// The senders waiting for room.
    pub(crate) fn room(&self) -> &Room {
        &self.room
    }

    /// Refuses new sends; what is queued stays for the worker. Under the
    /// lane lock; the caller then wakes the senders waiting for room.
    pub(crate) fn close(&self) {
        let _ =
            self.signals
                .closed
                .compare_exchange(OPEN, CLOSED, Ordering::SeqCst, Ordering::Relaxed);
        sc_order();
    }

    /// Refuses new sends and takes out every waiting message (put back or
    /// queued), to be dropped by the caller outside the lock (a message's
    /// `Drop` is user code), keeping their count as undelivered. Under the
    /// lane lock: at the worker's end, and by a sender that queued after it
    /// ([`Queued::late`]).
    pub(crate) fn drain(&self, lane: &mut Lane<T>) -> Vec<T> {
        self.signals.closed.store(DRAINED, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        let put_back = lane.put_back.len();
        self.sample_high_water(put_back);
        let mut left: Vec<T> = lane.put_back.drain(..).collect();
        self.taken.put_back.store(0, Ordering::Release);
        if let Some(queue) = self.queue.get() {
            while let Some(message) = queue.pop() {
                left.push(message);
            }
        }
        lane.drained += left.len();
        left
    }

    /// The worker is being removed: the figures its removal reports, with
    /// the unread count kept for [`unread_since_removal`](Self::unread_since_removal).
    /// Under the lane lock, as every late send's drain is: each message is
    /// counted by exactly one of the two.
    pub(crate) fn removed(&self, lane: &mut Lane<T>) -> MailboxSnapshot {
        let snapshot = self.snapshot(lane);
        lane.reported_at_removal = Some(snapshot.depth);
        snapshot
    }

    /// After a late send's drain: how many unread messages no snapshot of
    /// the removed worker reported (0 for a worker not removed), now taken
    /// as reported.
    pub(crate) fn unread_since_removal(&self, lane: &mut Lane<T>) -> usize {
        let Some(reported) = lane.reported_at_removal else {
            return 0;
        };
        // Nothing is received once the worker has ended, so the count only
        // grows.
        let now = self.unread(lane);
        lane.reported_at_removal = Some(now.max(reported));
        now.saturating_sub(reported)
    }

    /// Messages accepted and never read: queued, put back, or drained.
    pub(crate) fn unread(&self, lane: &Lane<T>) -> usize {
        self.len() + lane.put_back.len() + lane.held + lane.drained
    }

    /// A send refused because the mailbox was full.
    pub(crate) fn count_rejected(&self) {
        self.rejected_full.fetch_add(1, Ordering::Relaxed);
    }

    /// The figures, under the lane lock (put-back messages and the drained
    /// count hold still). Takes do not hold it: `received` is read before
    /// and after the queue, and again if a take landed in between, so the
    /// only take missed is one between its pop and its count; `sent` then
    /// reads one low, never high, and never below what an earlier snapshot
    /// said (`sent_seen`): it never goes back. Exact with the mailbox quiet.
    pub(crate) fn snapshot(&self, lane: &Lane<T>) -> MailboxSnapshot {
        let mut tries = 0;
        let (received, queued) = loop {
            let before = self.received_total();
            let queued = self.len();
            let after = self.received_total();
            tries += 1;
            // A receiver taking nonstop could keep this looping: after a
            // few tries it settles for the last look.
            if before == after || tries == SNAPSHOT_TRIES {
                break (before, queued);
            }
        };
        let waiting = queued + lane.put_back.len() + lane.held;
        let unread = waiting + lane.drained;
        MailboxSnapshot {
            capacity: self.capacity,
            depth: unread,
            high_water: if self.signals.filled.load(Ordering::Relaxed) {
                self.capacity
            } else {
                self.taken.high_water.load(Ordering::Relaxed).max(waiting)
            },
            sent: {
                let sent = received + unread as u64;
                let seen = self.taken.sent_seen.fetch_max(sent, Ordering::Relaxed);
                sent.max(seen)
            },
            received,
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
