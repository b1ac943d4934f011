//! What a Running worker is doing right now: computing, or waiting for
//! something (a message, room in a full mailbox, the end of a blocking call,
//! a lock). The state says whether the worker may run; the activity says
//! whether it is on a CPU, which is what "Busy" means.
//!
//! Activities nest (a blocking call whose closure waits for a lock), so
//! each worker keeps a small stack of them (`NESTED_KEPT` deep), and each
//! moment is counted for the innermost one. One byte per worker shows the
//! innermost activity, written only by the worker's own
//! thread (helper threads it lends `&Worker` to leave it alone) at the call sites that wait (receive, a send that waits for room,
//! [`Worker::blocking`](crate::Worker::blocking)); readers take a relaxed
//! load. The time spent in each wait outside a receive is added up here;
//! a receive's wait is measured inside the mailbox's own wait, where time
//! paused is left out.
//!
//! For the Chrome trace each worker also keeps its recent waits as spans,
//! here rather than in the event log: a paced worker waits hundreds of
//! times a second, which would crowd every other event out of the log. A
//! span is written once, at the end of a wait (no cost while computing, and
//! none on a receive that did not sleep); waits shorter than
//! [`DRAWN_FROM_US`] are left out, waits of one kind less than
//! [`JOINED_WITHIN_US`] apart become one span that counts them, and each
//! worker keeps its newest [`SPANS_KEPT`], counting the ones it let go.

use std::collections::VecDeque;

use serde::Serialize;

use crate::id::WorkerId;
use crate::sync::{AtomicBool, AtomicU64, AtomicU8, Ordering};

/// A wait shorter than this (µs) is not kept as a span: at the scale a
/// trace is read, it is part of the computing around it.
pub(crate) const DRAWN_FROM_US: u64 = 1_000;
/// Waits of one kind whose gap is shorter than this (µs) are kept as one
/// span (a paced loop's waits, a receive woken without a message).
pub(crate) const JOINED_WITHIN_US: u64 = 1_000;
/// Spans each worker keeps (its newest): 32 bytes each.
pub(crate) const SPANS_KEPT: usize = 512;

/// The span lock is a leaf (held for a push or a copy, never with another
/// lock taken inside it) with no part in any handshake. Under loom it is
/// std's: whether a span is written depends on the real clock, and a model
/// must take the same steps on every replay.
#[cfg(loom)]
type SpanLock<T> = std::sync::Mutex<T>;
#[cfg(not(loom))]
type SpanLock<T> = crate::sync::Mutex<T>;

#[cfg(loom)]
fn lock_spans(spans: &SpanLock<Spans>) -> std::sync::MutexGuard<'_, Spans> {
    spans
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
#[cfg(not(loom))]
fn lock_spans(spans: &SpanLock<Spans>) -> crate::sync::MutexGuard<'_, Spans> {
    crate::sync::lock(spans)
}

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
    /// A ready-made workload standing still because its
    /// [`Pace`](crate::workloads::Pace) is held (a demo's Hold): not paused,
    /// not computing.
    Held,
}

impl Activity {
    const ALL: [Self; 6] = [
        Self::Computing,
        Self::WaitingForMessage,
        Self::WaitingForRoom,
        Self::Sleeping,
        Self::WaitingForLock,
        Self::Held,
    ];

    fn code(self) -> u8 {
        match self {
            Self::Computing => 0,
            Self::WaitingForMessage => 1,
            Self::WaitingForRoom => 2,
            Self::Sleeping => 3,
            Self::WaitingForLock => 4,
            Self::Held => 5,
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
            Self::Held => "held where it is (its pace is on hold)",
        }
    }

    /// Whether time in this activity is measured here (the others are
    /// measured where they wait).
    pub(crate) fn timed_here(self) -> bool {
        matches!(
            self,
            Self::WaitingForRoom | Self::Sleeping | Self::WaitingForLock | Self::Held
        )
    }
}

/// One stretch of waiting of one kind, as the trace draws it: a wait of at
/// least 1 ms, or several of one kind less than 1 ms apart (`waits` says
/// how many, `waited_us` how much of the span they filled).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ActivitySpan {
    /// What the worker waited for.
    pub activity: Activity,
    /// When the first wait began (µs since the manager was created).
    pub start_us: u64,
    /// When the last wait ended, or, for a wait still going on, the time the
    /// spans were read.
    pub end_us: u64,
    /// How many waits the span joins.
    pub waits: u32,
    /// Time spent waiting inside the span (the rest is the computing
    /// between its waits).
    pub waited_us: u64,
    /// True for a wait still going on when the spans were read.
    pub open: bool,
}

/// One worker's kept spans, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct ActivityTrack {
    /// The worker.
    pub worker: WorkerId,
    /// Its newest waits, oldest first.
    pub spans: Vec<ActivitySpan>,
    /// Older spans it no longer keeps.
    pub dropped: u64,
}

#[derive(Debug, Default)]
struct Spans {
    kept: VecDeque<ActivitySpan>,
    dropped: u64,
}

/// How many activities can be open at once, one inside another (a
/// blocking call whose closure waits for a lock: two). A deeper one is not
/// marked: its time goes to the innermost one that is.
pub(crate) const NESTED_KEPT: usize = 4;

/// A worker's activities, as a stack (they nest in real code: a blocking
/// call whose closure sleeps, waits for a lock, receives or pauses), and
/// the time spent in the waits measured here. Each moment is counted once,
/// for the innermost activity open then: an outer activity's time stops
/// while an inner one runs (and while the worker is paused inside it), so
/// waited, blocked and paused never overlap and busy = wall - the three
/// holds. Each activity is still drawn as one slice, from its start to its
/// end, so an inner slice lies inside its outer one.
///
/// Written only by the worker's own thread (so a load and a store do, no
/// locked instruction); others read it with plain loads, a moment's look.
#[derive(Debug)]
pub(crate) struct ActivityCell {
    /// The innermost open activity, as shown (Computing when none is).
    now: AtomicU8,
    /// How many activities are open.
    depth: AtomicU8,
    /// The open activities, outermost first.
    open: [AtomicU8; NESTED_KEPT],
    /// When each open activity began (µs since the manager's epoch; only
    /// read for the activities timed here).
    began_us: [AtomicU64; NESTED_KEPT],
    /// Since when the innermost open activity's time has been counted: its
    /// start, or the end of the last inner activity or pause in it.
    since_us: AtomicU64,
    /// The worker is paused inside a timed activity: the pause's time is
    /// counted as paused, not here.
    suspended: AtomicBool,
    /// Finished stretches of timed waits, in nanoseconds.
    waited_ns: AtomicU64,
    /// Recent waits, for the trace.
    spans: SpanLock<Spans>,
}

impl ActivityCell {
    pub(crate) fn new() -> Self {
        Self {
            now: AtomicU8::new(Activity::Computing.code()),
            depth: AtomicU8::new(0),
            open: std::array::from_fn(|_| AtomicU8::new(Activity::Computing.code())),
            began_us: std::array::from_fn(|_| AtomicU64::new(0)),
            since_us: AtomicU64::new(0),
            suspended: AtomicBool::new(false),
            waited_ns: AtomicU64::new(0),
            spans: SpanLock::new(Spans::default()),
        }
    }

    pub(crate) fn get(&self) -> Activity {
        Activity::from_code(self.now.load(Ordering::Relaxed))
    }

    fn depth(&self) -> usize {
        usize::from(self.depth.load(Ordering::Acquire)).min(NESTED_KEPT)
    }

    /// The innermost open activity (Computing when none is).
    fn top(&self, depth: usize) -> Activity {
        depth.checked_sub(1).map_or(Activity::Computing, |i| {
            Activity::from_code(self.open[i].load(Ordering::Relaxed))
        })
    }

    /// True when entering or leaving `activity` needs the clock: it is
    /// timed here, or the activity it goes inside (or back to) is.
    pub(crate) fn needs_clock(&self, activity: Activity) -> bool {
        activity.timed_here() || self.top(self.depth()).timed_here()
    }

    /// True when leaving the innermost activity needs the clock: it, or
    /// the one around it, is timed here.
    pub(crate) fn leave_needs_clock(&self) -> bool {
        let depth = self.depth();
        self.top(depth).timed_here() || self.top(depth.saturating_sub(1)).timed_here()
    }

    /// Counts the innermost activity's time up to `now_us` (it is timed
    /// here), unless the worker is paused in it; from `now_us` on it counts
    /// afresh. A load and a store of `since_us` (one writer), and the add
    /// to the total only for a timed wait, as before nesting: no locked
    /// instruction on a receive's path.
    fn close_stretch(&self, now_us: u64) {
        // `since_us` first: a reader in between counts the stretch neither
        // in the open part nor in the total, low for a moment, never twice.
        let since = self.since_us.load(Ordering::Relaxed);
        self.since_us.store(now_us, Ordering::Relaxed);
        if !self.suspended.load(Ordering::Relaxed) {
            self.waited_ns
                .fetch_add(now_us.saturating_sub(since) * 1_000, Ordering::Relaxed);
        }
    }

    /// The worker's thread begins `activity` at `now_us` (read only if
    /// [`needs_clock`](Self::needs_clock)), inside whatever it is doing;
    /// false if it is nested too deep to be marked (then
    /// [`leave`](Self::leave) is not called for it).
    pub(crate) fn enter(&self, activity: Activity, now_us: u64) -> bool {
        let depth = self.depth();
        if depth == NESTED_KEPT {
            return false;
        }
        if self.top(depth).timed_here() {
            self.close_stretch(now_us);
        }
        if activity.timed_here() {
            self.began_us[depth].store(now_us, Ordering::Relaxed);
            self.since_us.store(now_us, Ordering::Relaxed);
        }
        self.open[depth].store(activity.code(), Ordering::Relaxed);
        // Release: a reader that sees the new depth sees what it opened.
        self.depth.store((depth + 1) as u8, Ordering::Release);
        self.now.store(activity.code(), Ordering::Release);
        true
    }

    /// The worker's thread ends its innermost activity at `now_us`, and
    /// goes back to the one around it.
    pub(crate) fn leave(&self, now_us: u64) {
        let depth = self.depth();
        let Some(inner) = depth.checked_sub(1) else {
            return;
        };
        let ended = self.top(depth);
        let below = self.top(inner);
        if ended.timed_here() {
            self.close_stretch(now_us);
        }
        if below.timed_here() {
            self.since_us.store(now_us, Ordering::Relaxed);
        }
        self.depth.store(inner as u8, Ordering::Release);
        self.now.store(below.code(), Ordering::Release);
        if ended.timed_here() {
            let began = self.began_us[inner].load(Ordering::Relaxed);
            self.keep_span(ended, began, now_us, inner == 0);
        }
    }

    /// The worker's own thread pauses at `now_us` (its pause is counted
    /// as paused from then on): the activity it pauses in stops counting.
    pub(crate) fn suspend(&self, now_us: u64) {
        if self.suspended.load(Ordering::Relaxed) {
            return;
        }
        if self.top(self.depth()).timed_here() {
            self.close_stretch(now_us);
        }
        self.suspended.store(true, Ordering::Release);
    }

    /// The pause ends at `now_us`: the activity counts on.
    pub(crate) fn resume(&self, now_us: u64) {
        if !self.suspended.load(Ordering::Relaxed) {
            return;
        }
        self.since_us.store(now_us, Ordering::Relaxed);
        self.suspended.store(false, Ordering::Release);
    }

    /// The worker's own thread waited as `activity` from `start_us` to
    /// `end_us`: kept as a span if it was long enough, joined to the last
    /// one if that was of the same kind and close enough.
    /// A wait inside another open activity is never joined to the span
    /// before it: that one may be the span of an earlier activity, and the
    /// joined span would overlap the open one without nesting.
    pub(crate) fn waited(&self, activity: Activity, start_us: u64, end_us: u64) {
        // A receive's own activity is open while its wait is kept.
        self.keep_span(activity, start_us, end_us, self.depth() <= 1);
    }

    fn keep_span(&self, activity: Activity, start_us: u64, end_us: u64, outermost: bool) {
        let length = end_us.saturating_sub(start_us);
        if length < DRAWN_FROM_US {
            return;
        }
        let mut spans = lock_spans(&self.spans);
        if let Some(last) = spans.kept.back_mut().filter(|_| outermost) {
            if last.activity == activity
                && start_us >= last.end_us
                && start_us - last.end_us < JOINED_WITHIN_US
            {
                last.end_us = end_us;
                last.waits = last.waits.saturating_add(1);
                last.waited_us += length;
                return;
            }
        }
        if spans.kept.len() == SPANS_KEPT {
            spans.kept.pop_front();
            spans.dropped += 1;
        }
        spans.kept.push_back(ActivitySpan {
            activity,
            start_us,
            end_us,
            waits: 1,
            waited_us: length,
            open: false,
        });
    }

    /// The kept spans, oldest first, and how many were let go; the waits
    /// going on now (each open activity timed here, and a receive's sleep
    /// begun at `open_since_us`) are added as open spans up to `now_us`,
    /// however short, outermost first, so they nest.
    pub(crate) fn spans(
        &self,
        open_since_us: Option<u64>,
        now_us: u64,
    ) -> (Vec<ActivitySpan>, u64) {
        let depth = self.depth();
        let mut open: Vec<(Activity, u64)> = (0..depth)
            .map(|i| {
                (
                    Activity::from_code(self.open[i].load(Ordering::Relaxed)),
                    self.began_us[i].load(Ordering::Relaxed),
                )
            })
            .filter(|(activity, _)| activity.timed_here())
            .collect();
        open.extend(open_since_us.map(|since| (Activity::WaitingForMessage, since)));
        let spans = lock_spans(&self.spans);
        let mut kept: Vec<ActivitySpan> = spans.kept.iter().copied().collect();
        for (activity, since) in open {
            kept.push(ActivitySpan {
                activity,
                start_us: since,
                end_us: now_us.max(since),
                waits: 1,
                waited_us: now_us.saturating_sub(since),
                open: true,
            });
        }
        (kept, spans.dropped)
    }

    /// Time spent in the waits measured here, the current one included.
    pub(crate) fn waited_ns(&self, now_us: u64) -> u64 {
        let top = self.top(self.depth());
        let open = if top.timed_here() && !self.suspended.load(Ordering::Acquire) {
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
        assert!(cell.enter(Activity::Sleeping, 1_000));
        assert_eq!(cell.get(), Activity::Sleeping);
        assert_eq!(cell.waited_ns(1_500), 500_000);
        cell.leave(3_000);
        assert_eq!(cell.get(), Activity::Computing);
        assert!(cell.enter(Activity::WaitingForMessage, 4_000));
        cell.leave(9_000);
        assert_eq!(
            cell.waited_ns(10_000),
            2_000_000,
            "receives are timed elsewhere"
        );
    }

    #[test]
    fn nested_activities_count_each_moment_once_and_draw_nested_spans() {
        use Activity::*;
        let cell = ActivityCell::new();
        // Sleeping 0..10 ms holding a lock wait 2..5 and a receive 6..8
        // (measured elsewhere), paused 8..9.
        assert!(cell.enter(Sleeping, 0));
        assert!(cell.enter(WaitingForLock, 2_000));
        assert_eq!(cell.get(), WaitingForLock);
        assert_eq!(
            cell.waited_ns(3_000),
            3_000_000,
            "2 ms asleep, 1 ms waiting"
        );
        cell.leave(5_000);
        assert_eq!(cell.get(), Sleeping);
        assert!(cell.enter(WaitingForMessage, 6_000));
        assert_eq!(
            cell.waited_ns(7_000),
            6_000_000,
            "the receive is timed elsewhere"
        );
        cell.leave(8_000);
        cell.suspend(8_000);
        assert_eq!(cell.waited_ns(8_500), 6_000_000, "a pause is paused time");
        cell.resume(9_000);
        cell.leave(10_000);
        assert_eq!(cell.get(), Computing);
        assert_eq!(
            cell.waited_ns(20_000),
            7_000_000,
            "10 ms less 2 receiving, 1 paused"
        );
        let (spans, _) = cell.spans(None, 20_000);
        assert_eq!(
            kinds_and_waits(&spans),
            [
                (WaitingForLock, 2_000, 5_000, 1, 3_000),
                (Sleeping, 0, 10_000, 1, 10_000),
            ]
        );
        // Deeper than kept: not marked, its time goes to the innermost kept.
        for _ in 0..NESTED_KEPT {
            assert!(cell.enter(Sleeping, 30_000));
        }
        assert!(!cell.enter(WaitingForLock, 31_000));
        assert_eq!(cell.get(), Sleeping);
        let (open, _) = cell.spans(None, 32_000);
        assert_eq!(open.iter().filter(|s| s.open).count(), NESTED_KEPT);
        for _ in 0..NESTED_KEPT {
            cell.leave(40_000);
        }
        assert_eq!(cell.waited_ns(50_000), 17_000_000);
    }

    fn kinds_and_waits(spans: &[ActivitySpan]) -> Vec<(Activity, u64, u64, u32, u64)> {
        spans
            .iter()
            .map(|s| (s.activity, s.start_us, s.end_us, s.waits, s.waited_us))
            .collect()
    }

    #[test]
    fn long_waits_become_spans_and_close_ones_of_a_kind_join() {
        use Activity::*;
        let cell = ActivityCell::new();
        // The sleep measured here (2 ms) is kept by its own leave.
        cell.enter(Sleeping, 1_000);
        cell.leave(3_000);
        // Too short to draw.
        cell.waited(WaitingForMessage, 3_100, 3_900);
        // Two receives 0.5 ms apart join; a third 1 ms after does not.
        cell.waited(WaitingForMessage, 4_000, 6_000);
        cell.waited(WaitingForMessage, 6_500, 8_000);
        cell.waited(WaitingForMessage, 9_000, 11_000);
        // Another kind right after is a span of its own.
        cell.waited(WaitingForRoom, 11_100, 13_000);
        let (spans, dropped) = cell.spans(None, 20_000);
        assert_eq!(dropped, 0);
        assert_eq!(
            kinds_and_waits(&spans),
            [
                (Sleeping, 1_000, 3_000, 1, 2_000),
                (WaitingForMessage, 4_000, 8_000, 2, 3_500),
                (WaitingForMessage, 9_000, 11_000, 1, 2_000),
                (WaitingForRoom, 11_100, 13_000, 1, 1_900),
            ]
        );
        assert!(spans.iter().all(|s| !s.open));
        // A receive asleep now is added as open, however short.
        let (spans, _) = cell.spans(Some(19_900), 20_000);
        let last = spans.last().unwrap();
        assert_eq!(
            (last.activity, last.start_us, last.end_us, last.open),
            (WaitingForMessage, 19_900, 20_000, true)
        );
        // So is a wait measured here.
        cell.enter(Sleeping, 19_950);
        let (spans, _) = cell.spans(None, 20_000);
        assert_eq!(spans.last().unwrap().activity, Sleeping);
        assert!(spans.last().unwrap().open);
    }

    #[test]
    fn each_worker_keeps_its_newest_spans_and_counts_the_rest() {
        let cell = ActivityCell::new();
        let extra = 7;
        for i in 0..(SPANS_KEPT as u64 + extra) {
            // Alternating kinds: none join.
            let kind = if i % 2 == 0 {
                Activity::Sleeping
            } else {
                Activity::WaitingForMessage
            };
            cell.waited(kind, i * 10_000, i * 10_000 + 2_000);
        }
        let (spans, dropped) = cell.spans(None, u64::MAX / 2);
        assert_eq!((spans.len(), dropped), (SPANS_KEPT, extra));
        assert_eq!(spans[0].start_us, extra * 10_000);
    }
}
