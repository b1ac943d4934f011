//! Measurements shared by the native benchmarks (`benches/overhead.rs`) and
//! the browser ones (`crates/threadyard-web/tests/bench.rs`): the manager's
//! pause and resume latency, and the raw primitives beside them, given a way
//! to start the other thread (a std thread natively, a pool Web Worker in the
//! browser, where park/unpark compile to Atomics.wait/notify on the shared
//! memory).

#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::Duration;

use threadyard::{Chooser, WorkerState, Yard};
use web_time::Instant;

/// Only reached when a benchmark is broken.
pub const LONG: Duration = Duration::from_secs(30);

/// A way to run a job on another thread.
pub type Spawn = fn(Box<dyn FnOnce() + Send>);

pub fn percentile(samples: &mut [Duration], q: f64) -> Duration {
    samples.sort_unstable();
    samples[((samples.len() - 1) as f64 * q).round() as usize]
}

pub fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// Spins on `ready`: the benchmarks time wakeups, so waiting for one must not
/// add one of its own.
pub fn spin_until(ready: impl Fn() -> bool) {
    let start = Instant::now();
    while !ready() {
        std::hint::spin_loop();
        assert!(start.elapsed() < LONG, "benchmark stuck");
    }
}

/// park/unpark round trip: this thread unparks the other, which unparks this
/// one back.
pub fn park_round_trip(samples: usize, spawn: Spawn) -> Vec<Duration> {
    let me = thread::current();
    let go = Arc::new(AtomicBool::new(false));
    let back = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    {
        let (go, back) = (Arc::clone(&go), Arc::clone(&back));
        spawn(Box::new(move || {
            tx.send(thread::current()).unwrap();
            for _ in 0..samples {
                while !go.swap(false, Ordering::AcqRel) {
                    thread::park();
                }
                back.store(true, Ordering::Release);
                me.unpark();
            }
        }));
    }
    let other = rx.recv().unwrap();
    let mut out = Vec::with_capacity(samples);
    for _ in 0..samples {
        let t = Instant::now();
        go.store(true, Ordering::Release);
        other.unpark();
        while !back.swap(false, Ordering::AcqRel) {
            thread::park();
        }
        out.push(t.elapsed());
    }
    out
}

/// unpark of a parked thread until it is seen running again, for a thread
/// with the paused worker's history: it runs a loop (bumping a counter), is
/// told to park, parks, and `settle` later is unparked; this thread spins
/// until the counter moves.
///
/// Why that history: a thread that parks right after being woken sleeps on
/// the waker's own core, and `perf sched timehist` showed its wakeup as a
/// same-core hand-off (running 3 µs after the wake, before `unpark` had even
/// returned: 5 µs in all). A worker paused mid-loop sleeps on the other,
/// now idle, core, and waking an idle core of this virtual machine took
/// 14 to 20 µs of scheduling delay, for the raw primitive and for the
/// manager alike. Comparing those two would have measured the scheduler's
/// core placement, not the manager.
pub fn unpark_to_running(samples: usize, spawn: Spawn, settle: Duration) -> Vec<Duration> {
    let stop = Arc::new(AtomicBool::new(false));
    let parked = Arc::new(AtomicBool::new(false));
    let passes = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    {
        let (stop, parked, passes, done) = (
            Arc::clone(&stop),
            Arc::clone(&parked),
            Arc::clone(&passes),
            Arc::clone(&done),
        );
        spawn(Box::new(move || {
            tx.send(thread::current()).unwrap();
            while !done.load(Ordering::Acquire) {
                if stop.load(Ordering::Acquire) {
                    parked.store(true, Ordering::Release);
                    while stop.load(Ordering::Acquire) {
                        thread::park();
                    }
                }
                passes.fetch_add(1, Ordering::Release);
            }
        }));
    }
    let other = rx.recv().unwrap();
    let mut out = Vec::with_capacity(samples);
    for _ in 0..samples {
        stop.store(true, Ordering::Release);
        spin_until(|| parked.swap(false, Ordering::AcqRel));
        // A spurious early unpark only shortens a sample of the baseline,
        // which errs against the manager.
        thread::sleep(settle);
        let before = passes.load(Ordering::Acquire);
        let t = Instant::now();
        stop.store(false, Ordering::Release);
        other.unpark();
        spin_until(|| passes.load(Ordering::Acquire) != before);
        out.push(t.elapsed());
    }
    done.store(true, Ordering::Release);
    out
}

/// The manager's pause and resume latency, `samples` of each, for a worker
/// calling pause points in a tight loop: pause requested until the requester
/// sees Paused, and resume until the worker is seen running (it bumps a
/// counter as each pause point returns). `settle` lets it reach its wait, so
/// a resume times a wakeup from sleep.
pub fn pause_and_resume(samples: usize, settle: Duration) -> (Vec<Duration>, Vec<Duration>) {
    let yard = Yard::<()>::new();
    let passes = Arc::new(AtomicU64::new(0));
    {
        let passes = Arc::clone(&passes);
        yard.spawn("tight", move |w| loop {
            w.pause_point()?;
            passes.fetch_add(1, Ordering::Release);
        })
        .unwrap();
    }
    let (mut pause, mut resume) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    for _ in 0..samples {
        let t = Instant::now();
        yard.pause("tight").unwrap();
        yard.wait_for_state("tight", LONG, |s| s == WorkerState::Paused)
            .unwrap();
        pause.push(t.elapsed());
        thread::sleep(settle);
        let before = passes.load(Ordering::Acquire);
        let t = Instant::now();
        yard.resume("tight").unwrap();
        spin_until(|| passes.load(Ordering::Acquire) != before);
        resume.push(t.elapsed());
    }
    yard.stop("tight").unwrap();
    yard.join("tight", LONG).unwrap();
    (pause, resume)
}

/// Stepped mode's grant-to-run latency, `samples` of it: a learner's
/// `grant` until the granted worker is seen past its scheduling point (it
/// bumps a counter as each pause point returns, then is held at the next).
/// `settle` lets it fall asleep at its point first, so a grant times a
/// wakeup from sleep, as a resume does.
pub fn grant_to_run(samples: usize, settle: Duration) -> Vec<Duration> {
    let yard = Yard::<()>::builder()
        .stepped(Chooser::Learner)
        .build()
        .unwrap();
    let passes = Arc::new(AtomicU64::new(0));
    {
        let passes = Arc::clone(&passes);
        yard.spawn("stepped", move |w| loop {
            w.pause_point()?;
            passes.fetch_add(1, Ordering::Release);
        })
        .unwrap();
    }
    let mut out = Vec::with_capacity(samples);
    for _ in 0..samples {
        yard.settle(LONG).unwrap();
        thread::sleep(settle);
        let before = passes.load(Ordering::Acquire);
        let t = Instant::now();
        yard.grant("stepped").unwrap();
        spin_until(|| passes.load(Ordering::Acquire) != before);
        out.push(t.elapsed());
    }
    yard.stop("stepped").unwrap();
    yard.join("stepped", LONG).unwrap();
    out
}
