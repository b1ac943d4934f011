//! The seams of issue 24 part 2 that need native threads: helper threads
//! lent `&Worker` in stepped mode, and sends racing `remove`.

#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use threadyard::{Chooser, SendError, ShareError, StopRequested, WorkerState, Yard};

const LONG: Duration = Duration::from_secs(20);

/// A stepped worker whose task lends `&Worker` to two helper threads that
/// call `pause_point()`: the run settles and finishes (before, one thread
/// took the worker's last grant and finished, the lane read Running, and
/// the other waited for a grant nobody made: `settle` timed out).
#[test]
fn a_stepped_worker_with_helper_threads_settles() {
    for chooser in [
        Chooser::Fixed { schedule: vec![] },
        Chooser::Random { seed: 5 },
    ] {
        let yard = Yard::<u32>::builder().stepped(chooser).build().unwrap();
        let counter = yard.cell("counter", 0).unwrap();
        for id in ["a", "b"] {
            let counter = counter.clone();
            yard.spawn(id, move |w| {
                std::thread::scope(|scope| {
                    for _ in 0..2 {
                        scope.spawn(|| {
                            for _ in 0..3 {
                                w.pause_point()?;
                                let _ = w.recv_timeout(Duration::ZERO)?;
                            }
                            Ok::<(), StopRequested>(())
                        });
                    }
                });
                let seen = counter.load(w)?;
                counter.store(w, seen + 1)?;
                Ok(())
            })
            .unwrap();
        }
        yard.begin_steps().unwrap();
        let run = yard.settle(LONG).expect("the run settles");
        assert!(run.finished, "{run:?}");
        assert!(yard.join_all(LONG).is_empty());
    }
}

/// In stepped mode a helper thread's shared operation is refused with a
/// typed error (it would run outside the schedule), and a stop reaches
/// helper threads looping on their pause points while the worker's own
/// thread is held for a step: everything ends.
#[test]
fn stepped_helper_threads_are_refused_shared_operations_and_hear_a_stop() {
    let yard = Yard::<u32>::builder()
        .stepped(Chooser::Learner)
        .build()
        .unwrap();
    let counter = yard.cell("counter", 0).unwrap();
    let lock = yard.lock("L").unwrap();
    let (refusals_tx, refusals) = std::sync::mpsc::channel();
    let held_lock = lock.clone();
    yard.spawn("w", move |w| {
        let lock = &held_lock;
        std::thread::scope(|scope| {
            let (counter, refusals_tx) = (&counter, &refusals_tx);
            for _ in 0..2 {
                scope.spawn(move || {
                    let load = counter.load(w);
                    let locked = lock.lock(w);
                    refusals_tx.send((load, locked)).unwrap();
                    while w.pause_point().is_ok() {
                        std::thread::yield_now();
                    }
                });
            }
            // The worker's own thread is scheduled: held here until granted.
            loop {
                w.pause_point()?;
            }
        })
    })
    .unwrap();
    for _ in 0..2 {
        let (load, locked) = refusals.recv_timeout(LONG).unwrap();
        assert!(
            matches!(load, Err(ShareError::NotScheduled { .. })),
            "{load:?}"
        );
        assert!(
            matches!(locked, Err(ShareError::NotScheduled { .. })),
            "{locked:?}"
        );
    }
    let held = yard.settle(LONG).expect("settles with w held");
    assert!(!held.finished);
    yard.grant("w").unwrap();
    yard.settle(LONG).expect("settles again");
    assert_eq!(lock.holder(), None, "a refused lock is not taken");
    yard.stop("w").unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
}

/// Sends racing the worker's end and its removal, round after round: every
/// send that returned `Ok` is received by the task or counted undelivered,
/// in the removal's snapshot or, for a send that queued after it, in the
/// manager's snapshot; exactly (before, a send that passed its checks as
/// the worker ended and queued after the removal was counted nowhere).
#[test]
fn every_send_accepted_around_a_removal_is_counted_once() {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    const ROUNDS: usize = 3_000;
    let yard = Yard::<u32>::builder().mailbox_capacity(64).build().unwrap();
    let mut sent_ok = 0u64;
    let mut delivered = 0u64;
    let mut undelivered = 0u64;
    for _ in 0..ROUNDS {
        let received = Arc::new(AtomicU64::new(0));
        let counted = Arc::clone(&received);
        yard.spawn("w", move |w| {
            for _ in 0..4 {
                w.recv()?;
                counted.fetch_add(1, Ordering::SeqCst);
            }
            Ok(())
        })
        .unwrap();
        let senders: Vec<_> = (0..2)
            .map(|_| {
                let sender = yard.sender("w").unwrap();
                std::thread::spawn(move || {
                    let mut ok = 0u64;
                    // Until the worker has ended: a full mailbox is tried
                    // again, so sends keep racing the end.
                    loop {
                        match sender.send(7) {
                            Ok(()) => ok += 1,
                            Err(SendError::Full { .. }) => std::thread::yield_now(),
                            Err(_) => return ok,
                        }
                    }
                })
            })
            .collect();
        let gone = loop {
            match yard.remove("w") {
                Ok(gone) => break gone,
                Err(_) => std::thread::yield_now(),
            }
        };
        for sender in senders {
            sent_ok += sender.join().unwrap();
        }
        delivered += received.load(Ordering::SeqCst);
        undelivered += gone.mailbox.depth as u64;
    }
    let late = yard.snapshot().undelivered_after_removal;
    assert_eq!(
        sent_ok,
        delivered + undelivered + late,
        "{sent_ok} sends accepted, {delivered} received, {undelivered} counted undelivered by the removals, {late} after them"
    );
}

/// A removal racing the end of a worker that holds a lock, and a new
/// worker under the same id taking it at once, round after round: the
/// lock is poisoned before the old worker's end can be seen, so the new
/// one always finds it poisoned by the old one, never held by itself.
#[test]
fn a_removal_racing_a_holders_end_never_hands_its_lock_to_the_next_incarnation() {
    let yard = Yard::<u32>::new();
    let lock = yard.lock("L").unwrap();
    for round in 0..300 {
        let l = lock.clone();
        yard.spawn("h", move |w| {
            l.lock(w)?;
            if round % 2 == 0 {
                panic!("dies holding L");
            }
            Ok(())
        })
        .unwrap();
        while yard.remove("h").is_err() {
            std::thread::yield_now();
        }
        let (tx, rx) = std::sync::mpsc::channel();
        let l = lock.clone();
        yard.spawn("h", move |w| {
            tx.send((l.lock(w), l.unlock(w))).unwrap();
            Ok(())
        })
        .unwrap();
        let (locked, unlocked) = rx.recv_timeout(LONG).unwrap();
        assert!(
            matches!(&locked, Err(ShareError::Poisoned { holder, .. }) if holder.as_str() == "h"),
            "round {round}: {locked:?}"
        );
        assert!(
            matches!(unlocked, Err(ShareError::Poisoned { .. })),
            "{unlocked:?}"
        );
        assert_eq!(yard.join("h", LONG).unwrap(), WorkerState::Stopped);
        yard.remove("h").unwrap();
        assert!(lock.clear_poison());
    }
}
