//! What a Running worker is doing right now: computing, or waiting for
//! something (a message, room in a full mailbox, the end of a blocking call,
//! a lock). The state says whether the worker may run; the activity says
//! whether it is on a CPU, which is what "Busy" means.
//!
//! One byte per worker holds the activity, written only by the worker's own
//! thread (helper threads it lends `&Worker` to leave it alone) at the call sites that wait (receive, a send that waits for room,
//! [`Worker::blocking`](crate::Worker::blocking)); readers take a relaxed
//! load. The time spent in each wait outside a receive is added up here;
//! a receive's wait is measured inside the mailbox's own wait, where time
//! paused is left out.

use serde::Serialize;

use crate::sync::{AtomicU64, AtomicU8, Ordering};

/// What a worker is doing inside Running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Activity {
    /// Running its own code: the only activity counted as busy.
    Computing,
    /// In a receive, waiting for a message (or for its timeout).
    WaitingForMessage,
    /// In a send that waits for room in a full mailbox (back-pressure).
    WaitingForRoom,
    /// In a blocking call that uses no CPU ([`Worker::blocking`](crate::Worker::blocking),
    /// [`Worker::sleep`](crate::Worker::sleep)): a workload's simulated work.
    Sleeping,
    /// Waiting to take a lock held by another thread.
    WaitingForLock,
}

impl Activity {
    const ALL: [Self; 5] = [
        Self::Computing,
        Self::WaitingForMessage,
        Self::WaitingForRoom,
        Self::Sleeping,
        Self::WaitingForLock,
    ];

    fn code(self) -> u8 {
        match self {
            Self::Computing => 0,
            Self::WaitingForMessage => 1,
            Self::WaitingForRoom => 2,
            Self::Sleeping => 3,
            Self::WaitingForLock => 4,
        }
    }

    fn from_code(code: u8) -> Self {
        Self::ALL
            .get(usize::from(code))
            .copied()
            .unwrap_or(Self::Computing)
    }

    /// In plain words, for tables and narration.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Computing => "computing",
            Self::WaitingForMessage => "waiting for a message",
            Self::WaitingForRoom => "waiting for room in a full mailbox",
            Self::Sleeping => "sleeping in a blocking call",
            Self::WaitingForLock => "waiting for a lock",
        }
    }

    /// Whether time in this activity is measured here (the others are
    /// measured where they wait).
    pub(crate) fn timed_here(self) -> bool {
        matches!(
            self,
            Self::WaitingForRoom | Self::Sleeping | Self::WaitingForLock
        )
    }
}

/// A worker's activity and the time spent in the waits measured here.
#[derive(Debug)]
pub(crate) struct ActivityCell {
    now: AtomicU8,
    /// When the current timed wait began (µs since the manager's epoch).
    since_us: AtomicU64,
    /// Finished timed waits, in nanoseconds.
    waited_ns: AtomicU64,
}

impl ActivityCell {
    pub(crate) fn new() -> Self {
        Self {
            now: AtomicU8::new(Activity::Computing.code()),
            since_us: AtomicU64::new(0),
            waited_ns: AtomicU64::new(0),
        }
    }

    pub(crate) fn get(&self) -> Activity {
        Activity::from_code(self.now.load(Ordering::Relaxed))
    }

    /// The worker's thread begins `activity` at `now_us`; returns the one it
    /// was in, for [`leave`](Self::leave).
    pub(crate) fn enter(&self, activity: Activity, now_us: u64) -> Activity {
        if activity.timed_here() {
            self.since_us.store(now_us, Ordering::Relaxed);
        }
        // One writer (the worker's own thread), so a load and a store do:
        // no locked instruction on a receive's path. Release: a reader that
        // sees the new activity sees when it began.
        let before = self.now.load(Ordering::Relaxed);
        self.now.store(activity.code(), Ordering::Release);
        Activity::from_code(before)
    }

    /// The worker's thread goes back to `before` at `now_us`.
    pub(crate) fn leave(&self, before: Activity, now_us: u64) {
        let ended = Activity::from_code(self.now.load(Ordering::Relaxed));
        self.now.store(before.code(), Ordering::Relaxed);
        if ended.timed_here() {
            let began = self.since_us.load(Ordering::Relaxed);
            self.waited_ns
                .fetch_add(now_us.saturating_sub(began) * 1_000, Ordering::Relaxed);
        }
    }

    /// Time spent in the waits measured here, the current one included.
    pub(crate) fn waited_ns(&self, now_us: u64) -> u64 {
        let now = Activity::from_code(self.now.load(Ordering::Acquire));
        let open = if now.timed_here() {
            now_us.saturating_sub(self.since_us.load(Ordering::Relaxed)) * 1_000
        } else {
            0
        };
        self.waited_ns.load(Ordering::Relaxed) + open
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn codes_round_trip_and_timed_waits_add_up() {
        for activity in Activity::ALL {
            assert_eq!(Activity::from_code(activity.code()), activity);
        }
        let cell = ActivityCell::new();
        assert_eq!(cell.get(), Activity::Computing);
        let before = cell.enter(Activity::Sleeping, 1_000);
        assert_eq!(cell.get(), Activity::Sleeping);
        assert_eq!(cell.waited_ns(1_500), 500_000);
        cell.leave(before, 3_000);
        assert_eq!(cell.get(), Activity::Computing);
        let before = cell.enter(Activity::WaitingForMessage, 4_000);
        cell.leave(before, 9_000);
        assert_eq!(
            cell.waited_ns(10_000),
            2_000_000,
            "receives are timed elsewhere"
        );
    }
}
