//! Faults: panics at awkward moments, a receiver that dies mid-send, and a
//! thousand workers under random commands with a watchdog. Each test checks
//! that nothing hangs and nothing is lost.

#![cfg(not(target_arch = "wasm32"))]

use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use threadyard::platform::NativeSpawner;
use threadyard::{SendError, WorkerOptions, WorkerState, Yard};

const LONG: Duration = Duration::from_secs(30);

fn settle(yard: &Yard<u32>, id: &str, state: WorkerState) {
    assert_eq!(yard.wait_for_state(id, LONG, |s| s == state), Ok(state));
}

#[test]
fn panic_while_holding_a_received_message() {
    let yard = Yard::<u32>::new();
    yard.create("w", |w| {
        let message = w.recv()?;
        panic!("failed while handling message {message}");
    })
    .unwrap();
    // Queued before it starts: started first, it could fail on message 0
    // before the others were sent, and they would be refused as Finished.
    for m in 0..3 {
        yard.send("w", m).unwrap();
    }
    yard.start("w").unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Failed);
    let s = yard.worker("w").unwrap();
    assert!(s.last_error.unwrap().contains("handling message 0"));
    // The message it held was read; the rest are counted, not lost.
    assert_eq!((s.mailbox.received, s.mailbox.depth), (1, 2));
    assert_eq!(yard.shutdown(LONG).undelivered_messages, 2);
}

#[test]
fn panic_right_after_a_pause() {
    let yard = Yard::<u32>::new();
    yard.spawn("w", |w| {
        w.pause_self()?;
        panic!("woke up broken");
    })
    .unwrap();
    settle(&yard, "w", WorkerState::Paused);
    yard.resume("w").unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Failed);
    let s = yard.worker("w").unwrap();
    assert_eq!((s.pause_count, s.errors), (1, 1));
    assert!(s.paused_ms > 0.0);
}

#[test]
fn panic_during_shutdown_is_reported_as_failed() {
    let yard = Yard::<u32>::new();
    yard.spawn("cleanup-fails", |w| {
        if w.recv().is_err() {
            panic!("cleanup failed");
        }
        Ok(())
    })
    .unwrap();
    yard.spawn("fine", |w| loop {
        w.recv()?;
    })
    .unwrap();
    let report = yard.shutdown(LONG);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].id.as_str(), "cleanup-fails");
    assert!(report.failed[0].error.contains("cleanup failed"));
    assert_eq!(
        report.clean.iter().map(|i| i.as_str()).collect::<Vec<_>>(),
        ["fine"]
    );
}

#[test]
fn a_restart_after_the_stop_request_is_not_made() {
    let policy = threadyard::RestartPolicy::OnFailure {
        max_restarts: 100,
        window: LONG,
    };
    let yard = Yard::<u32>::new();
    yard.spawn_with("w", WorkerOptions::new().restart(policy), |w| {
        // Fails as soon as it is asked to stop: no restart may follow.
        w.recv()?;
        Ok(())
    })
    .unwrap();
    let report = yard.shutdown(LONG);
    assert_eq!(report.clean.len(), 1);
    assert_eq!(yard.worker("w").unwrap().restarts, 0);
}

#[test]
fn a_receiver_dying_mid_send_hands_the_message_back() {
    let yard = Yard::<u32>::new();
    let (die_tx, die) = mpsc::channel::<()>();
    yard.spawn_with("w", WorkerOptions::new().mailbox_capacity(1), move |_| {
        die.recv().ok();
        panic!("died with a full mailbox");
    })
    .unwrap();
    yard.send("w", 1).unwrap();
    let sender = yard.sender("w").unwrap();
    let (result_tx, result) = mpsc::channel();
    let blocked = std::thread::spawn(move || {
        result_tx.send(sender.send_timeout(2, LONG)).unwrap();
    });
    die_tx.send(()).unwrap();
    // Woken by the end of the worker, not by its own deadline: it says the
    // worker finished (a timeout would say the mailbox is full).
    match result.recv_timeout(LONG).unwrap() {
        Err(SendError::Finished { message: 2, .. }) => {}
        other => panic!("expected the message back as Finished, got {other:?}"),
    }
    blocked.join().unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Failed);
}

/// A small deterministic generator: the same commands on every run.
struct XorShift(u64);

impl XorShift {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A thousand workers, some failing at random, under random commands from
/// two threads at once; a watchdog fails the test if the commands or the
/// shutdown do not finish (a deadlock), instead of hanging CI.
#[test]
fn a_thousand_workers_under_random_commands() {
    const WORKERS: u64 = 1_000;
    const COMMANDS: usize = 20_000;
    let yard = Arc::new(
        Yard::<u32>::builder()
            .mailbox_capacity(4)
            .spawner(NativeSpawner::with_stack_size(128 * 1024))
            .build()
            .unwrap(),
    );
    for i in 0..WORKERS {
        let policy = threadyard::RestartPolicy::OnFailure {
            max_restarts: 2,
            window: LONG,
        };
        yard.spawn_with(
            &format!("w{i}"),
            WorkerOptions::new().restart(policy),
            move |w| {
                let mut rng = XorShift(i + 1);
                loop {
                    let m = w.recv()?;
                    if m % 97 == 0 && rng.below(4) == 0 {
                        panic!("random failure on message {m}");
                    }
                    w.task_done();
                    w.pause_point()?;
                }
            },
        )
        .unwrap();
    }
    let (done_tx, done) = mpsc::channel();
    for seed in [7_u64, 11] {
        let (yard, done_tx) = (Arc::clone(&yard), done_tx.clone());
        std::thread::spawn(move || {
            let mut rng = XorShift(seed);
            for n in 0..COMMANDS {
                let id = format!("w{}", rng.below(WORKERS));
                let _ = match rng.below(8) {
                    0 => yard.pause(&id).map(drop),
                    1 | 2 => yard.resume(&id).map(drop),
                    3 => yard.stop(&id).map(drop),
                    4 | 5 => yard
                        .send(&id, n as u32)
                        .map_err(|_| threadyard::ControlError::ShutDown),
                    6 => {
                        let _ = yard.snapshot();
                        Ok(())
                    }
                    _ => {
                        if rng.below(50) == 0 {
                            let _ = yard.broadcast(n as u32);
                        }
                        Ok(())
                    }
                };
            }
            done_tx.send(()).unwrap();
        });
    }
    for _ in 0..2 {
        done.recv_timeout(Duration::from_secs(120))
            .expect("watchdog: the commands deadlocked");
    }
    let (report_tx, report) = mpsc::channel();
    {
        let yard = Arc::clone(&yard);
        std::thread::spawn(move || {
            report_tx
                .send(yard.shutdown(Duration::from_secs(20)))
                .unwrap()
        });
    }
    let report = report
        .recv_timeout(Duration::from_secs(60))
        .expect("watchdog: shutdown did not return");
    assert!(report.unresponsive.is_empty(), "{:?}", report.unresponsive);
    assert_eq!(report.clean.len() + report.failed.len(), WORKERS as usize);
    // Every message accepted was read or counted as undelivered.
    let snapshot = yard.snapshot();
    let (sent, read, left): (u64, u64, u64) = snapshot.workers.iter().fold((0, 0, 0), |acc, w| {
        (
            acc.0 + w.mailbox.sent,
            acc.1 + w.mailbox.received,
            acc.2 + w.mailbox.depth as u64,
        )
    });
    assert_eq!(sent, read + left);
    assert_eq!(left, report.undelivered_messages);
    assert!(snapshot.workers.iter().all(|w| w.state.is_finished()));
    // The random failures did happen, so the restarts and failures were exercised.
    let restarts: u64 = snapshot.workers.iter().map(|w| w.restarts).sum();
    assert!(
        restarts + report.failed.len() as u64 > 0,
        "no worker failed: the test exercised nothing"
    );
}
