//! What can be wrong with a workload spec or a speed.

use thiserror::Error;

/// A workload spec, or a speed, that cannot be used.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum WorkloadError {
    /// An item time outside 0.1 ms to 60 s (or not a number).
    #[error("item time {0} ms is out of range: use 0.1 to 60000 ms")]
    ItemTime(f64),
    /// Zero rounds of work per item.
    #[error("work per item must be at least 1")]
    NoWork,
    /// A flaky workload that would fail on every 0th item.
    #[error("fail_every must be at least 1 (a panic every that many items)")]
    NoFailure,
    /// A speed outside 0.01 to 100 (or not a number).
    #[error("speed {0} is out of range: use 0.01 (slow motion) to 100 (fast)")]
    Speed(f64),
}
