//! Promises tried as an adversary would, where the attack needs native
//! threads of the caller's own (scoped threads sharing a `&Worker`) or a
//! `tracing` subscriber on the calling thread. The cases that run on both
//! platforms are in the conformance suite (`adversary.rs` there).

#![cfg(not(target_arch = "wasm32"))]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use threadyard::{WorkerState, Yard};

const LONG: Duration = Duration::from_secs(30);

/// Three helper threads of one task block in `recv` on the same `&Worker`;
/// a stop must wake every one of them, or the task never returns.
#[test]
fn stop_wakes_every_thread_waiting_on_one_worker() {
    let yard = Yard::<u32>::new();
    let (waiting_tx, waiting) = mpsc::channel();
    yard.spawn("w", move |w| {
        std::thread::scope(|scope| {
            for _ in 0..3 {
                let waiting_tx = waiting_tx.clone();
                scope.spawn(move || {
                    waiting_tx.send(()).unwrap();
                    while w.recv().is_ok() {}
                });
            }
        });
        Ok(())
    })
    .unwrap();
    for _ in 0..3 {
        waiting.recv_timeout(LONG).unwrap();
    }
    yard.stop("w").unwrap();
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
}

/// Three helper threads of one task are held at a pause point; a resume
/// must let every one of them go on.
#[test]
fn resume_wakes_every_thread_paused_on_one_worker() {
    let yard = Yard::<u32>::new();
    let resumed = Arc::new(AtomicBool::new(false));
    let (went_on_tx, went_on) = mpsc::channel();
    let seen = Arc::clone(&resumed);
    yard.spawn("w", move |w| {
        std::thread::scope(|scope| {
            for thread in 0..3 {
                let (seen, went_on_tx) = (&seen, went_on_tx.clone());
                scope.spawn(move || {
                    let mut told = false;
                    while w.pause_point().is_ok() {
                        if !told && seen.load(Ordering::SeqCst) {
                            told = went_on_tx.send(thread).is_ok();
                        }
                        std::thread::yield_now();
                    }
                });
            }
        });
        Ok(())
    })
    .unwrap();
    yard.pause("w").unwrap();
    yard.wait_for_state("w", LONG, |s| s == WorkerState::Paused)
        .unwrap();
    resumed.store(true, Ordering::SeqCst);
    yard.resume("w").unwrap();
    let mut threads: Vec<usize> = (0..3)
        .map(|_| {
            went_on
                .recv_timeout(LONG)
                .expect("a paused thread was never resumed")
        })
        .collect();
    threads.sort_unstable();
    assert_eq!(threads, [0, 1, 2]);
    yard.stop("w").unwrap();
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
}

/// "Returns by that deadline": the deadline starts when shutdown is called,
/// not after its first pass. Here the first pass is made long (the caller's
/// `tracing` subscriber takes 1.5 s over shutdown's log line) and the
/// deadline is 1 s: shutdown must not wait once the first pass is over.
#[test]
fn the_shutdown_deadline_starts_at_the_call() {
    const FIRST_PASS: Duration = Duration::from_millis(1500);
    let yard = Yard::<u32>::new();
    let (release, hold) = mpsc::channel::<()>();
    let (started_tx, started) = mpsc::channel();
    yard.spawn("stubborn", move |_| {
        started_tx.send(()).unwrap();
        let _ = hold.recv();
        Ok(())
    })
    .unwrap();
    started.recv_timeout(LONG).unwrap();
    let slow = SlowOn {
        message: "shutting down",
        delay: FIRST_PASS,
        seen: AtomicBool::new(false),
    };
    let report = tracing::subscriber::with_default(slow, || yard.shutdown(Duration::from_secs(1)));
    drop(release);
    assert_eq!(report.unresponsive.len(), 1);
    // Past its first pass (1.5 s), with the 1 s deadline already gone,
    // shutdown only writes the report: well under another half second.
    assert!(
        report.elapsed_ms < 2000.0,
        "shutdown waited past its deadline: {} ms",
        report.elapsed_ms
    );
}

/// Sleeps inside the event whose message is `message` (once).
struct SlowOn {
    message: &'static str,
    delay: Duration,
    seen: AtomicBool,
}

impl tracing::Subscriber for SlowOn {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Message(bool, &'static str);
        impl tracing::field::Visit for Message {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                if field.name() == "message" && format!("{value:?}") == self.1 {
                    self.0 = true;
                }
            }
        }
        let mut found = Message(false, self.message);
        event.record(&mut found);
        if found.0 && !self.seen.swap(true, Ordering::SeqCst) {
            std::thread::sleep(self.delay);
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}
