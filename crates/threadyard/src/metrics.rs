//! Per-worker counters.
//!
//! Each counter has one writer: the worker's own thread (tasks, pauses, CPU
//! time) or the mailbox under its lock (message counts). Readers take relaxed
//! loads, so publishing a figure never makes the worker wait.

use crate::sync::{AtomicU64, Ordering};

/// A "not yet" marker for timestamps and CPU time.
pub(crate) const UNSET: u64 = u64::MAX;

#[derive(Debug)]
pub(crate) struct Metrics {
    /// Microseconds since the manager's epoch, or `UNSET`.
    pub(crate) started_at_us: AtomicU64,
    pub(crate) ended_at_us: AtomicU64,
    /// CPU time of the worker's thread, sampled by the worker; `UNSET` where
    /// the platform has no per-thread clock.
    pub(crate) cpu_time_ns: AtomicU64,
    pub(crate) tasks_completed: AtomicU64,
    pub(crate) errors: AtomicU64,
    pub(crate) restarts: AtomicU64,
    pub(crate) pause_count: AtomicU64,
    /// Total time spent Paused, finished pauses only.
    pub(crate) paused_ns: AtomicU64,
    /// When the current pause began (µs since epoch), or `UNSET`.
    pub(crate) paused_since_us: AtomicU64,
    /// When the pending pause request was made (µs since epoch), or `UNSET`.
    pub(crate) pause_requested_at_us: AtomicU64,
    /// Total time blocked in a receive with an empty mailbox, finished waits.
    pub(crate) blocked_ns: AtomicU64,
    /// When the current receive wait began (µs since epoch), or `UNSET`.
    pub(crate) blocked_since_us: AtomicU64,
    /// Returns from a blocking wait (pause or receive). A worker that waits
    /// instead of polling wakes only when something happened.
    pub(crate) wakeups: AtomicU64,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        Self {
            started_at_us: AtomicU64::new(UNSET),
            ended_at_us: AtomicU64::new(UNSET),
            cpu_time_ns: AtomicU64::new(UNSET),
            tasks_completed: AtomicU64::new(0),
            errors: AtomicU64::new(0),
            restarts: AtomicU64::new(0),
            pause_count: AtomicU64::new(0),
            paused_ns: AtomicU64::new(0),
            paused_since_us: AtomicU64::new(UNSET),
            pause_requested_at_us: AtomicU64::new(UNSET),
            blocked_ns: AtomicU64::new(0),
            blocked_since_us: AtomicU64::new(UNSET),
            wakeups: AtomicU64::new(0),
        }
    }

    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn get(value: &AtomicU64) -> u64 {
        value.load(Ordering::Relaxed)
    }

    pub(crate) fn set(value: &AtomicU64, to: u64) {
        value.store(to, Ordering::Relaxed);
    }

    /// Opens an interval (a pause or a receive wait) at `now_us`.
    pub(crate) fn open(since: &AtomicU64, now_us: u64) {
        since.store(now_us, Ordering::Relaxed);
    }

    /// Closes the interval opened in `since`, adding its length to `total`.
    pub(crate) fn close(since: &AtomicU64, total: &AtomicU64, now_us: u64) {
        let began = since.swap(UNSET, Ordering::Relaxed);
        if began != UNSET {
            total.fetch_add(now_us.saturating_sub(began) * 1_000, Ordering::Relaxed);
        }
    }

    /// `total` plus the part of an interval still open at `now_us`, in ns.
    pub(crate) fn with_open(since: &AtomicU64, total: &AtomicU64, now_us: u64) -> u64 {
        let began = since.load(Ordering::Relaxed);
        let open = if began == UNSET {
            0
        } else {
            now_us.saturating_sub(began) * 1_000
        };
        total.load(Ordering::Relaxed) + open
    }
}
