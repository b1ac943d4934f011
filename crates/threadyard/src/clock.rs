//! Time: one clock for every thread of the process, and the per-thread CPU
//! clock.
//!
//! Every timestamp the manager publishes (events, snapshots, activity spans,
//! pause intervals, traces) is read from [`Clock::now_us`], which never goes
//! backwards along happens-before: a reading taken after another (on any
//! thread, once the two are ordered by a lock, a message or an atomic) is
//! never the smaller. The event log stamps under its lock, so its stamps
//! never go backwards in log order.
//!
//! Natively that is `std::time::Instant` as it is: the OS's monotonic clock
//! is one clock for the whole process. In the browser it is not: each Web
//! Worker's `performance.now()` counts from its own `performance.timeOrigin`,
//! and `web_time::Instant` adds that origin back as an `f64` of milliseconds
//! since 1970, so readings of one moment on two workers differ by up
//! to the clock's resolution step. An event stamped on one worker could
//! then read earlier than one stamped before it on another. So the browser's
//! readings go through a high-water mark that every thread of the manager
//! shares: a reading below the highest one already handed out is raised to
//! it. The raise is at most that skew, and the cost is one atomic
//! `fetch_max` beside a call into JavaScript that costs far more.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use web_time::Instant;

/// A manager's clock: every timestamp in its events and snapshots is
/// measured from its creation, in microseconds.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    epoch: Instant,
    /// The highest reading handed out so far, on any thread (browser only).
    #[cfg(target_arch = "wasm32")]
    high: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Clock {
    pub(crate) fn new() -> Self {
        Self {
            epoch: Instant::now(),
            #[cfg(target_arch = "wasm32")]
            high: std::sync::Arc::default(),
        }
    }

    /// Microseconds since the manager was created.
    pub(crate) fn now_us(&self) -> u64 {
        // `elapsed` saturates at zero: a Web Worker whose reading falls a
        // hair before the epoch (taken on another thread) reads 0.
        self.monotone(micros(self.epoch.elapsed()))
    }

    /// Natively the OS clock is already one monotonic clock for the process.
    #[cfg(not(target_arch = "wasm32"))]
    fn monotone(&self, raw_us: u64) -> u64 {
        raw_us
    }

    /// In the browser, a reading is never below the highest one handed out
    /// on any thread (see the module docs). Every reading is a
    /// read-modify-write of one atomic, so the readings are totally ordered,
    /// and a thread reading after another's reading (in happens-before)
    /// gets at least as much.
    #[cfg(target_arch = "wasm32")]
    fn monotone(&self, raw_us: u64) -> u64 {
        use std::sync::atomic::Ordering;
        self.high.fetch_max(raw_us, Ordering::Relaxed).max(raw_us)
    }
}

pub(crate) fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

pub(crate) fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// What the CPU-time figure of a snapshot (`cpu_time_ms`) measures on this
/// platform. Serialized as the text that says so, as snapshots always have:
/// `"os-thread-clock"`, or `"unavailable: browsers have no per-thread CPU
/// clock; see busy_ms"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum CpuClock {
    /// The operating system's per-thread CPU clock (`CLOCK_THREAD_CPUTIME_ID`
    /// on Linux): time the worker's thread spent on a CPU.
    #[serde(rename = "os-thread-clock")]
    OsThread,
    /// The platform has no per-thread CPU clock (browsers): `cpu_time_ms` is
    /// `None`; `busy_ms` is the nearest figure.
    #[serde(rename = "unavailable: browsers have no per-thread CPU clock; see busy_ms")]
    Unavailable,
}

impl CpuClock {
    /// The clock of the platform this was built for.
    pub const PLATFORM: Self = if cfg!(target_arch = "wasm32") {
        Self::Unavailable
    } else {
        Self::OsThread
    };

    /// The text it is serialized as.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OsThread => "os-thread-clock",
            Self::Unavailable => "unavailable: browsers have no per-thread CPU clock; see busy_ms",
        }
    }
}

impl fmt::Display for CpuClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

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

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn cpu_clock_serializes_as_the_text_snapshots_always_showed() {
        for clock in [CpuClock::OsThread, CpuClock::Unavailable] {
            assert_eq!(
                serde_json::to_value(clock).unwrap(),
                serde_json::Value::from(clock.as_str())
            );
        }
        assert_eq!(CpuClock::OsThread.to_string(), "os-thread-clock");
    }
}
