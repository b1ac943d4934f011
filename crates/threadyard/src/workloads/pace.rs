//! A speed dial shared by the workloads of one demo, with a hold.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::Duration;

// The dial's lock is taken by a browser page's main thread (the speed and
// hold buttons): there, as in the core's own locks, it must not wait with
// `Atomics.wait`. It is a leaf, with no part in the manager's handshakes,
// so loom need not see it.
#[cfg(not(target_arch = "wasm32"))]
use std::sync::{Condvar, Mutex};
#[cfg(target_arch = "wasm32")]
use wasm_sync::{Condvar, Mutex};

use web_time::Instant;

use super::error::WorkloadError;

/// Slowest speed accepted: a hundred times slower than written.
pub const MIN_SPEED: f64 = 0.01;
/// Fastest speed accepted: a hundred times faster than written.
pub const MAX_SPEED: f64 = 100.0;

/// How fast the paced workloads run, shared by every task made with it:
/// at speed 2 an item of 100 ms takes 50 ms. Changing it takes effect at
/// each worker's next item, so a demo can go into slow motion while it runs.
///
/// It can also be held ([`hold`](Self::hold)): every workload made with it
/// then stands still where it is, inside its own code (an item's simulated
/// work stops part-way and goes on from there after [`release`](Self::release);
/// a CPU-bound loop stops between items), and time held does not count
/// towards any item. A held worker is not paused: its state stays what it
/// was, its activity reads [`Held`](crate::Activity::Held) once it looks at
/// the dial, and it reaches its next pause point (to pause or stop) only once
/// the hold is released. A workload that waits out its item in a receive
/// (the data processor, chatty, flaky, the producer) looks only when that
/// wait ends: until then it reads
/// [`WaitingForMessage`](crate::Activity::WaitingForMessage), though the
/// hold is still left out of its item's time. (A hold cannot yet wake a
/// receive; issue 24's note records it.)
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
/// pace.hold();
/// assert!(copy.is_held());
/// pace.release();
/// # Ok::<(), threadyard::workloads::WorkloadError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Pace(Arc<Dial>);

#[derive(Debug)]
struct Dial {
    speed: AtomicU64,
    /// Read without the lock at every look a workload takes.
    held: AtomicBool,
    hold: Mutex<Hold>,
    /// Notified when a hold begins (napping workers stop their nap) and ends.
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Hold {
    since: Option<Instant>,
    total: Duration,
}

impl Dial {
    fn new(speed: f64) -> Self {
        Self {
            speed: AtomicU64::new(speed.to_bits()),
            held: AtomicBool::new(false),
            hold: Mutex::new(Hold::default()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Hold> {
        self.hold.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Pace {
    /// A dial set to `speed` (0.01 to 100; 1 is as written).
    pub fn new(speed: f64) -> Result<Self, WorkloadError> {
        check(speed)?;
        Ok(Self(Arc::new(Dial::new(speed))))
    }

    /// Turns the dial; every task sharing it follows from its next item.
    pub fn set(&self, speed: f64) -> Result<(), WorkloadError> {
        check(speed)?;
        self.0.speed.store(speed.to_bits(), Ordering::Relaxed);
        Ok(())
    }

    /// The speed now.
    pub fn speed(&self) -> f64 {
        f64::from_bits(self.0.speed.load(Ordering::Relaxed))
    }

    /// `written`, as long as it takes at the current speed. A duration too
    /// long to slow down (`Duration::MAX` at a speed below 1, an item that
    /// never ends) comes out as `Duration::MAX`, never a panic.
    pub fn scale(&self, written: Duration) -> Duration {
        // `div_f64` is this division, but panics when the quotient does not
        // fit in a `Duration`.
        Duration::try_from_secs_f64(written.as_secs_f64() / self.speed()).unwrap_or(Duration::MAX)
    }

    /// Holds every workload made with this dial where it is, until
    /// [`release`](Self::release). Holding twice is holding once.
    pub fn hold(&self) {
        let mut hold = self.0.lock();
        if hold.since.is_none() {
            hold.since = Some(Instant::now());
            self.0.held.store(true, Ordering::Relaxed);
        }
        drop(hold);
        self.0.changed.notify_all();
    }

    /// Lets the workloads go on from where they stood.
    pub fn release(&self) {
        let mut hold = self.0.lock();
        if let Some(since) = hold.since.take() {
            hold.total += since.elapsed();
            self.0.held.store(false, Ordering::Relaxed);
        }
        drop(hold);
        self.0.changed.notify_all();
    }

    /// True while held.
    pub fn is_held(&self) -> bool {
        self.0.held.load(Ordering::Relaxed)
    }

    /// Time held so far, the current hold included: a workload moves its
    /// deadlines on by what this grew, as it does for time paused.
    pub fn time_held(&self) -> Duration {
        let hold = self.0.lock();
        hold.total + hold.since.map_or(Duration::ZERO, |since| since.elapsed())
    }

    /// Blocks while the dial is held (one relaxed load when it is not).
    pub(crate) fn wait_while_held(&self) {
        if !self.is_held() {
            return;
        }
        let mut hold = self.0.lock();
        while hold.since.is_some() {
            hold = self
                .0
                .changed
                .wait(hold)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// Sleeps for `length`, or until a hold begins: returns the time left
    /// (zero when the nap was whole).
    pub(crate) fn nap(&self, length: Duration) -> Duration {
        let mut left = length;
        let mut hold = self.0.lock();
        while hold.since.is_none() && !left.is_zero() {
            let began = Instant::now();
            hold = self
                .0
                .changed
                .wait_timeout(hold, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            left = left.saturating_sub(began.elapsed());
        }
        left
    }
}

impl Default for Pace {
    /// Speed 1: times as written.
    fn default() -> Self {
        Self(Arc::new(Dial::new(1.0)))
    }
}

fn check(speed: f64) -> Result<(), WorkloadError> {
    if (MIN_SPEED..=MAX_SPEED).contains(&speed) {
        Ok(())
    } else {
        Err(WorkloadError::Speed(speed))
    }
}
