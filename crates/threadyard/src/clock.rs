//! Time: one monotonic epoch per manager, and the per-thread CPU clock.
//!
//! `web_time::Instant` is `std::time::Instant` natively and `performance.now()`
//! in the browser, where the std one panics.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
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
