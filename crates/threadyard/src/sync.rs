//! The one place that picks the synchronization primitives.
//!
//! Everything in the core reaches mutexes, condition variables and atomics
//! through this module, so a model checker (loom) or a browser-safe facade can
//! be swapped in here without touching the rest of the crate.

//!
//! In the browser, `Atomics.wait` traps on the main thread, so there the locks
//! come from `wasm_sync`, which spins on the main thread (every critical
//! section of the core is a handful of field updates) and waits with atomics
//! on Web Workers. Natively they are std's. Under `--cfg loom` they are
//! loom's, so the model tests (`model.rs`) explore every interleaving of the
//! real code. `Arc` stays std's everywhere: reference counts are not part of
//! any handshake.

pub(crate) use std::sync::{Arc, Weak};

#[cfg(loom)]
pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
#[cfg(all(not(loom), not(target_arch = "wasm32")))]
pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
#[cfg(all(not(loom), target_arch = "wasm32"))]
pub(crate) use {
    std::sync::MutexGuard,
    wasm_sync::{Condvar, Mutex},
};

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{
    fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicU64, AtomicU8, AtomicUsize, Ordering};

#[cfg(loom)]
pub(crate) use loom::thread::{current as current_thread, park, Thread};
#[cfg(not(loom))]
pub(crate) use std::thread::{current as current_thread, park, Thread};

/// Parks the calling thread until it is unparked or `deadline` passes
/// (`None`: no deadline); spurious wakeups included, callers loop. In the
/// browser this is an atomic wait, so only a Web Worker may call it. loom
/// has no time: there a timed park is a plain park (the models never
/// time out).
pub(crate) fn park_until(deadline: Option<Instant>) {
    match deadline {
        None => park(),
        #[cfg(not(loom))]
        Some(deadline) => {
            std::thread::park_timeout(deadline.saturating_duration_since(Instant::now()))
        }
        #[cfg(loom)]
        Some(_) => park(),
    }
}

/// The order a `SeqCst` operation already gives natively and on wasm32,
/// made explicit for loom, which models `SeqCst` accesses as
/// acquire/release only: a handshake built on `SeqCst` operations (the
/// mailbox's wakeups, see `mailbox.rs`) calls this right after each one it
/// relies on, so loom checks it with the order it really has. Nothing
/// outside loom.
#[inline(always)]
pub(crate) fn sc_order() {
    #[cfg(loom)]
    fence(Ordering::SeqCst);
}

use std::sync::PoisonError;
use web_time::Instant;

/// Locks `mutex`, recovering the data if a previous holder panicked.
///
/// No user code ever runs while one of the core's locks is held, so a poisoned
/// lock can only come from a bug in the core itself; the data it guards is
/// still consistent (every critical section is a handful of field updates), and
/// refusing to go on would turn one bug into a wedged manager.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    #[cfg(all(not(loom), target_arch = "wasm32"))]
    for _ in 0..LOCK_SPINS {
        match mutex.try_lock() {
            Ok(guard) => return guard,
            Err(std::sync::TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => {}
        }
    }
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Turns of `try_lock` before a contended lock sleeps, in the browser only.
/// std's lock spins 100 turns of `spin_loop()`, a no-op on wasm32, so a
/// Web Worker finding the lock held for a few instructions went straight to
/// `Atomics.wait`, and its waker to `Atomics.notify`: tens of microseconds for
/// a critical section of nanoseconds (the mailbox lock, 1 sender to 1 worker).
#[cfg(all(not(loom), target_arch = "wasm32"))]
const LOCK_SPINS: u32 = 1000;

/// Waits on `condvar` until notified (spurious wakeups included; callers loop).
pub(crate) fn wait<'a, T>(condvar: &Condvar, guard: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    condvar.wait(guard).unwrap_or_else(PoisonError::into_inner)
}

/// Waits on `condvar` until notified or until `deadline` passes.
///
/// `None` means no deadline. Returns the guard; callers re-check their
/// condition and the clock.
pub(crate) fn wait_until<'a, T>(
    condvar: &Condvar,
    guard: MutexGuard<'a, T>,
    deadline: Option<Instant>,
) -> MutexGuard<'a, T> {
    match deadline {
        None => wait(condvar, guard),
        Some(deadline) => {
            let left = deadline.saturating_duration_since(Instant::now());
            condvar
                .wait_timeout(guard, left)
                .map(|(guard, _)| guard)
                .unwrap_or_else(|poisoned| poisoned.into_inner().0)
        }
    }
}

/// `now + timeout`, or `None` ("no deadline") when the sum does not fit in an
/// `Instant`: a huge timeout means "wait as long as it takes", never a panic.
pub(crate) fn deadline_after(timeout: std::time::Duration) -> Option<Instant> {
    Instant::now().checked_add(timeout)
}

/// True once `deadline` has passed; never for `None`.
pub(crate) fn expired(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|d| Instant::now() >= d)
}
