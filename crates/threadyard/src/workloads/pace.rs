//! A speed dial shared by the workloads of one demo.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::error::WorkloadError;

/// Slowest speed accepted: a hundred times slower than written.
pub const MIN_SPEED: f64 = 0.01;
/// Fastest speed accepted: a hundred times faster than written.
pub const MAX_SPEED: f64 = 100.0;

/// How fast the paced workloads run, shared by every task made with it:
/// at speed 2 an item of 100 ms takes 50 ms. Changing it takes effect at
/// each worker's next item, so a demo can go into slow motion while it runs.
///
/// ```
/// use std::time::Duration;
/// use threadyard::workloads::Pace;
///
/// let pace = Pace::new(1.0)?;
/// let copy = pace.clone();
/// pace.set(4.0)?;
/// assert_eq!(copy.scale(Duration::from_millis(100)), Duration::from_millis(25));
/// assert!(pace.set(0.0).is_err());
/// # Ok::<(), threadyard::workloads::WorkloadError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pace(Arc<AtomicU64>);

impl Pace {
    /// A dial set to `speed` (0.01 to 100; 1 is as written).
    pub fn new(speed: f64) -> Result<Self, WorkloadError> {
        check(speed)?;
        Ok(Self(Arc::new(AtomicU64::new(speed.to_bits()))))
    }

    /// Turns the dial; every task sharing it follows from its next item.
    pub fn set(&self, speed: f64) -> Result<(), WorkloadError> {
        check(speed)?;
        self.0.store(speed.to_bits(), Ordering::Relaxed);
        Ok(())
    }

    /// The speed now.
    pub fn speed(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }

    /// `written`, as long as it takes at the current speed.
    pub fn scale(&self, written: Duration) -> Duration {
        written.div_f64(self.speed())
    }
}

impl Default for Pace {
    /// Speed 1: times as written.
    fn default() -> Self {
        Self(Arc::new(AtomicU64::new(1.0_f64.to_bits())))
    }
}

fn check(speed: f64) -> Result<(), WorkloadError> {
    if (MIN_SPEED..=MAX_SPEED).contains(&speed) {
        Ok(())
    } else {
        Err(WorkloadError::Speed(speed))
    }
}
