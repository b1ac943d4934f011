//! Time: one monotonic epoch per manager, and the per-thread CPU clock.
//!
//! `web_time::Instant` is `std::time::Instant` natively and `performance.now()`
//! in the browser, where the std one panics.

use std::time::Duration;

use web_time::Instant;

/// The manager's epoch; every timestamp in events and snapshots is measured
/// from it, in microseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    epoch: Instant,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            epoch: Instant::now(),
        }
    }

    /// Microseconds since the epoch.
    pub(crate) fn now_us(&self) -> u64 {
        micros(self.epoch.elapsed())
    }
}

pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// What the CPU-time figure of a snapshot means on this platform.
pub const CPU_CLOCK: &str = if cfg!(target_arch = "wasm32") {
    "unavailable: browsers have no per-thread CPU clock; see busy_ms"
} else {
    "os-thread-clock"
};

/// CPU time consumed so far by the calling thread, where the platform has a
/// per-thread clock (`CLOCK_THREAD_CPUTIME_ID` on Linux).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) fn thread_cpu_time() -> Option<Duration> {
    cpu_time::ThreadTime::try_now()
        .ok()
        .map(|t| t.as_duration())
}

/// Browsers have no per-thread CPU clock: the figure is unavailable, never 0.
#[cfg(target_arch = "wasm32")]
pub(crate) fn thread_cpu_time() -> Option<Duration> {
    None
}
