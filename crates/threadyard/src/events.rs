//! What happened, when: a bounded log of timestamped events.
//!
//! Events are published the moment they happen, by whichever thread made them
//! happen (no monitor thread collects them). The log keeps the newest
//! `capacity` events; readers page through it with [`EventLog::since`], and a
//! reader that fell behind is told how many it missed.

use std::collections::VecDeque;

use serde::Serialize;

use crate::clock::Clock;
use crate::id::WorkerId;
use crate::state::WorkerState;
use crate::sync::{lock, Mutex, MutexGuard};
use crate::waits::{Resource, WaitEdge};

/// One thing that happened to a worker or to the manager.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Event {
    /// Position in the log, from 0, never reused.
    pub seq: u64,
    /// Microseconds since the manager was created.
    pub at_us: u64,
    /// The worker concerned; `None` for manager-wide events.
    pub worker: Option<WorkerId>,
    /// The state the worker moved to, for an event that records a move of
    /// its state (taken from the move itself, under the same lock, so a
    /// reader never has to work it out from the kind); `None` for events
    /// that move nothing (messages, recorded errors, restarts, broadcasts,
    /// removals, shutdown). `Created` carries `Created`; `Started` carries
    /// the state the worker was in when its thread began (`Running`, or a
    /// pause or stop requested before that).
    pub state: Option<WorkerState>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// The kinds of [`Event`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum EventKind {
    /// The worker was registered.
    Created,
    /// Its thread began running the task.
    Started,
    /// A pause was asked for: by the manager, or by the worker itself
    /// ([`Worker::request_pause`](crate::Worker::request_pause)).
    PauseRequested,
    /// It reached a pause point and is paused.
    Paused {
        /// True when the worker paused itself.
        by_itself: bool,
    },
    /// The manager resumed it (or withdrew a pending pause request).
    Resumed,
    /// The manager asked it to stop.
    StopRequested,
    /// Its task ended cleanly.
    Stopped,
    /// Its task failed and will not be restarted.
    Failed {
        /// The error or panic message.
        error: String,
    },
    /// Its task failed and was started again by its restart policy.
    Restarted {
        /// The error or panic message of the failed run.
        error: String,
    },
    /// The task reported a non-fatal error.
    ErrorRecorded {
        /// What it said.
        error: String,
    },
    /// A message was accepted into its mailbox (recorded only when the
    /// manager was built with `record_messages(true)`).
    MessageSent {
        /// The sending worker, or `None` for the caller of the manager.
        from: Option<WorkerId>,
    },
    /// A broadcast went out.
    Broadcast {
        /// How many mailboxes accepted it.
        delivered: usize,
        /// How many were full.
        full: usize,
    },
    /// The finished worker was removed from the manager.
    Removed,
    /// Shutdown began.
    ShutdownStarted,
    /// Shutdown returned.
    ShutdownFinished {
        /// Workers that had not stopped by the deadline.
        unresponsive: usize,
    },
    /// The worker used a shared cell or lock (in stepped mode, the step it
    /// was granted).
    Access {
        /// The cell's or lock's name.
        object: String,
        /// What it did.
        op: AccessOp,
        /// The value read or written (cells only).
        value: Option<i64>,
    },
    /// The worker began to wait for another (a wait-for edge).
    Waiting {
        /// What it waits on.
        on: Resource,
        /// The worker it waits for.
        waits_for: WorkerId,
    },
    /// The worker's wait ended (the edge is gone).
    WaitOver {
        /// What it waited on.
        on: Resource,
    },
    /// A cycle of waits formed: none of its workers can go on.
    Deadlock {
        /// The edges of the cycle, from the worker whose wait closed it.
        cycle: Vec<WaitEdge>,
        /// In words: "deadlock: a -> b -> a (...)".
        text: String,
    },
    /// Stepped mode: the worker was granted a step.
    Granted {
        /// The step's number in the schedule, from 0.
        step: usize,
    },
    /// Stepped mode: the run settled with workers held and none able to go.
    Stuck,
}

/// What an [`EventKind::Access`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum AccessOp {
    /// Read a cell.
    Load,
    /// Wrote a cell.
    Store,
    /// Took a lock.
    Lock,
    /// Released a lock.
    Unlock,
    /// The worker's task ended holding the lock: it is poisoned (see
    /// [`ShareError::Poisoned`](crate::ShareError::Poisoned)).
    Poisoned,
}

/// A page of the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct EventPage {
    /// The events, oldest first.
    pub events: Vec<Event>,
    /// Events after the requested position that were already overwritten.
    pub missed: u64,
    /// Pass this to the next `since` call.
    pub next: u64,
}

#[derive(Debug)]
struct Ring {
    events: VecDeque<Event>,
    next_seq: u64,
}

#[derive(Debug)]
pub(crate) struct EventLog {
    ring: Mutex<Ring>,
    capacity: usize,
    clock: Clock,
}

/// Holds the log while a state move and its events are recorded together, so
/// the log's order is the order in which the moves happened.
pub(crate) struct EventWriter<'a> {
    ring: MutexGuard<'a, Ring>,
    log: &'a EventLog,
}

impl EventWriter<'_> {
    /// Appends an event that moves no state.
    pub(crate) fn push(&mut self, worker: Option<WorkerId>, kind: EventKind) {
        self.append(worker, None, kind);
    }

    /// Appends the event of a move of `worker` to `state`.
    pub(crate) fn moved(&mut self, worker: &WorkerId, state: WorkerState, kind: EventKind) {
        self.append(Some(worker.clone()), Some(state), kind);
    }

    /// Stamps the event now (under the lock, so stamps never go backwards
    /// along the log) and appends it.
    fn append(&mut self, worker: Option<WorkerId>, state: Option<WorkerState>, kind: EventKind) {
        let ring = &mut *self.ring;
        if ring.events.len() == self.log.capacity {
            ring.events.pop_front();
        }
        let seq = ring.next_seq;
        ring.next_seq += 1;
        ring.events.push_back(Event {
            seq,
            at_us: self.log.clock.now_us(),
            worker,
            state,
            kind,
        });
    }
}

impl EventLog {
    pub(crate) fn new(capacity: usize, clock: Clock) -> Self {
        Self {
            ring: Mutex::new(Ring {
                events: VecDeque::with_capacity(capacity.min(1024)),
                next_seq: 0,
            }),
            capacity,
            clock,
        }
    }

    pub(crate) fn writer(&self) -> EventWriter<'_> {
        EventWriter {
            ring: lock(&self.ring),
            log: self,
        }
    }

    pub(crate) fn push(&self, worker: Option<WorkerId>, kind: EventKind) {
        self.writer().push(worker, kind);
    }

    /// Events with `seq >= from`, oldest first.
    pub(crate) fn since(&self, from: u64) -> EventPage {
        self.since_at_most(from, usize::MAX)
    }

    /// At most `max` events with `seq >= from`, oldest first; `next` is the
    /// position after the last one returned. Only those are copied, under the
    /// lock: a reader on a page's main thread pays for a page, not the log.
    pub(crate) fn since_at_most(&self, from: u64, max: usize) -> EventPage {
        let ring = lock(&self.ring);
        let oldest = ring.events.front().map_or(ring.next_seq, |e| e.seq);
        let start = from.max(oldest);
        let skip = usize::try_from(start - oldest)
            .unwrap_or(usize::MAX)
            .min(ring.events.len());
        let end = skip.saturating_add(max).min(ring.events.len());
        let events: Vec<Event> = ring.events.range(skip..end).cloned().collect();
        EventPage {
            next: events
                .last()
                .map_or(start.min(ring.next_seq), |e| e.seq + 1),
            events,
            missed: start.saturating_sub(from),
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn keeps_the_newest_and_counts_the_missed() {
        let log = EventLog::new(3, Clock::new());
        for _ in 0..5 {
            log.push(None, EventKind::ShutdownStarted);
        }
        let page = log.since(0);
        assert_eq!(page.missed, 2);
        assert_eq!(
            page.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        assert_eq!(page.next, 5);
        assert!(log.since(5).events.is_empty());
        assert_eq!(log.since(4).events.len(), 1);
    }

    #[test]
    fn pages_through_the_log_a_bounded_page_at_a_time() {
        let log = EventLog::new(10, Clock::new());
        for _ in 0..12 {
            log.push(None, EventKind::ShutdownStarted);
        }
        let first = log.since_at_most(0, 4);
        assert_eq!(first.missed, 2);
        assert_eq!(
            first.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            [2, 3, 4, 5]
        );
        assert_eq!(first.next, 6);
        let second = log.since_at_most(first.next, 4);
        assert_eq!(
            (second.events.len(), second.missed, second.next),
            (4, 0, 10)
        );
        let last = log.since_at_most(second.next, 4);
        assert_eq!((last.events.len(), last.next), (2, 12));
        let past = log.since_at_most(last.next, 4);
        assert_eq!((past.events.len(), past.next), (0, 12));
        assert_eq!(log.since_at_most(5, 0).next, 5);
    }
}
