//! The seams of issue 24 part 2, held on both platforms: a wait that never
//! blocks is no edge of the wait-for graph, a lock belongs to the
//! incarnation of the worker that took it (and is poisoned when that one
//! ends holding it), and nested activities keep the accounting identity.

use std::sync::Arc;
use std::time::Duration;

use threadyard::{
    AccessOp, Chooser, ControlError, EventKind, RestartPolicy, SendError, ShareError,
    WorkerOptions, WorkerState, Yard,
};

use crate::support::{channel, next, LONG};

/// What worker `a` saw of its two calls that must not wait.
#[derive(Debug)]
struct Answers {
    join_timed_out: bool,
    send_was_full: bool,
}

/// `a` holds L while `b` waits for L with a full mailbox; `a` then joins `b`
/// and sends to it with no time to wait. Neither call blocks, so neither is
/// an edge: both answer at once, both workers finish, and no deadlock is
/// recorded (before, `a -> b -> a` was, for a cycle that never held).
pub fn a_wait_that_never_blocks_is_not_an_edge() {
    let yard = Arc::new(Yard::<u32>::builder().mailbox_capacity(1).build().unwrap());
    let lock = yard.lock("L").unwrap();
    let (held_tx, held) = channel();
    let (go_tx, go) = channel::<()>();
    let (answers_tx, answers) = channel();
    let inside = Arc::clone(&yard);
    let l = lock.clone();
    yard.spawn("a", move |w| {
        l.lock(w)?;
        held_tx.send(()).unwrap();
        let _ = go.recv();
        let joined = inside.join("b", Duration::ZERO);
        let sent = w.send_to_timeout("b", 1, Duration::ZERO);
        answers_tx
            .send(Answers {
                join_timed_out: matches!(joined, Err(ControlError::Timeout { .. })),
                send_was_full: matches!(sent, Err(SendError::Full { .. })),
            })
            .unwrap();
        l.unlock(w)?;
        Ok(())
    })
    .unwrap();
    next(&held);
    yard.create("b", move |w| {
        lock.lock(w)?;
        lock.unlock(w)?;
        Ok(())
    })
    .unwrap();
    // b's mailbox is full before it runs: it never reads.
    yard.send("b", 0).unwrap();
    yard.start("b").unwrap();
    assert!(
        yard.wait_for_waits(LONG, |waits, _| waits
            .iter()
            .any(|e| e.worker.as_str() == "b")),
        "b never waited for L: {:?}",
        yard.waits()
    );
    go_tx.send(()).unwrap();
    let answers = next(&answers);
    assert!(
        answers.join_timed_out && answers.send_was_full,
        "{answers:?}"
    );
    for id in ["a", "b"] {
        assert_eq!(yard.join(id, LONG).unwrap(), WorkerState::Stopped, "{id}");
    }
    assert_eq!(
        yard.deadlocks(),
        [],
        "a join and a send with no time to wait never block"
    );
    assert!(yard.waits().is_empty(), "{:?}", yard.waits());
    assert!(yard.shutdown(LONG).deadlocks.is_empty());
}

/// The other side: a join that does wait is an edge the moment it blocks,
/// and closes the cycle `a -> b -> a` while it lasts (b waits for L held by
/// a); the cycle ends when b is stopped out of its wait.
pub fn a_wait_that_blocks_is_an_edge_while_it_lasts() {
    let yard = Arc::new(Yard::<u32>::new());
    let lock = yard.lock("L").unwrap();
    let (held_tx, held) = channel();
    let (go_tx, go) = channel::<()>();
    let (joined_tx, joined) = channel();
    let inside = Arc::clone(&yard);
    let l = lock.clone();
    yard.spawn("a", move |w| {
        l.lock(w)?;
        held_tx.send(()).unwrap();
        let _ = go.recv();
        joined_tx.send(inside.join("b", LONG)).unwrap();
        l.unlock(w)?;
        Ok(())
    })
    .unwrap();
    next(&held);
    yard.spawn("b", move |w| {
        lock.lock(w)?;
        lock.unlock(w)?;
        Ok(())
    })
    .unwrap();
    assert!(yard.wait_for_waits(LONG, |waits, _| waits
        .iter()
        .any(|e| e.worker.as_str() == "b")));
    go_tx.send(()).unwrap();
    assert!(
        yard.wait_for_waits(LONG, |_, deadlocks| !deadlocks.is_empty()),
        "the join closed a cycle: {:?}",
        yard.waits()
    );
    let deadlocks = yard.deadlocks();
    assert_eq!(deadlocks.len(), 1, "{deadlocks:?}");
    assert!(
        deadlocks[0].text.starts_with("deadlock: a -> b -> a"),
        "{}",
        deadlocks[0].text
    );
    yard.stop("b").unwrap();
    assert_eq!(next(&joined).unwrap(), WorkerState::Stopped);
    assert_eq!(yard.join("a", LONG).unwrap(), WorkerState::Stopped);
    assert!(yard.waits().is_empty(), "{:?}", yard.waits());
}

/// Worker `h` ends holding L, is removed, and a new worker takes the id
/// `h`: the new one is not the holder (before, its `lock` failed with
/// `AlreadyHeld` and its `unlock` released the old one's lock). The old
/// one's end poisoned L: nobody holds it, and every `lock` and `unlock`
/// says who ended holding it until `clear_poison`.
pub fn a_lock_belongs_to_the_incarnation_that_took_it() {
    let yard = Yard::<u32>::new();
    let lock = yard.lock("L").unwrap();
    let l = lock.clone();
    yard.spawn("h", move |w| {
        l.lock(w)?;
        Ok(())
    })
    .unwrap();
    assert_eq!(yard.join("h", LONG).unwrap(), WorkerState::Stopped);
    assert_eq!(lock.holder(), None);
    assert_eq!(lock.poisoned_by().unwrap().as_str(), "h");
    yard.remove("h").unwrap();
    let (tried_tx, tried) = channel();
    let (cleared_tx, cleared) = channel::<()>();
    let l = lock.clone();
    yard.spawn("h", move |w| {
        let unlocked = l.unlock(w);
        let locked = l.lock(w);
        tried_tx.send((unlocked, locked)).unwrap();
        let _ = cleared.recv();
        let again = l.lock(w).map(|()| l.holder());
        let released = l.unlock(w);
        tried_tx.send((released, again.map(|_| ()))).unwrap();
        Ok(())
    })
    .unwrap();
    let (unlocked, locked) = next(&tried);
    assert!(
        matches!(&unlocked, Err(ShareError::Poisoned { holder, .. }) if holder.as_str() == "h"),
        "the new h released the lock the old h took: {unlocked:?}"
    );
    assert!(
        matches!(&locked, Err(ShareError::Poisoned { lock, .. }) if lock.as_str() == "L"),
        "{locked:?}"
    );
    assert!(locked.unwrap_err().to_string().contains("clear_poison"));
    assert!(lock.clear_poison());
    assert!(!lock.clear_poison(), "cleared once");
    cleared_tx.send(()).unwrap();
    let (released, again) = next(&tried);
    assert_eq!((released, again), (Ok(()), Ok(())));
    assert_eq!(yard.join("h", LONG).unwrap(), WorkerState::Stopped);
    assert_eq!((lock.holder(), lock.poisoned_by()), (None, None));
    let poisonings = yard
        .events_since(0)
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Access {
                    op: AccessOp::Poisoned,
                    ..
                }
            )
        })
        .count();
    assert_eq!(poisonings, 1);
}

/// A holder that panics (or fails, and is restarted) while another worker
/// waits for its lock: the waiter's wait ends at once with `Poisoned`, its
/// edge goes, and the restarted run finds the lock poisoned too, not
/// "already held" by itself.
pub fn a_holder_that_dies_poisons_the_lock_and_ends_its_waiters_wait() {
    let yard = Yard::<u32>::new();
    let lock = yard.lock("L").unwrap();
    let (held_tx, held) = channel();
    let (die_tx, die) = channel::<()>();
    let (rerun_tx, rerun) = channel();
    let l = lock.clone();
    let mut runs = 0;
    yard.spawn_with(
        "holder",
        WorkerOptions::default().restart(RestartPolicy::OnFailure {
            max_restarts: 1,
            window: Duration::from_secs(3600),
        }),
        move |w| {
            runs += 1;
            if runs == 1 {
                l.lock(w)?;
                held_tx.send(()).unwrap();
                let _ = die.recv();
                panic!("dies holding L");
            }
            rerun_tx.send(l.lock(w)).unwrap();
            Ok(())
        },
    )
    .unwrap();
    next(&held);
    let (waited_tx, waited) = channel();
    let l = lock.clone();
    yard.spawn("waiter", move |w| {
        waited_tx.send(l.lock(w)).unwrap();
        Ok(())
    })
    .unwrap();
    assert!(yard.wait_for_waits(LONG, |waits, _| waits
        .iter()
        .any(|e| e.worker.as_str() == "waiter")));
    die_tx.send(()).unwrap();
    let waited = next(&waited);
    assert!(
        matches!(&waited, Err(ShareError::Poisoned { holder, .. }) if holder.as_str() == "holder"),
        "{waited:?}"
    );
    let rerun = next(&rerun);
    assert!(
        matches!(rerun, Err(ShareError::Poisoned { .. })),
        "{rerun:?}"
    );
    for id in ["holder", "waiter"] {
        assert!(yard.join(id, LONG).unwrap().is_finished());
    }
    assert!(yard.waits().is_empty(), "{:?}", yard.waits());
    assert!(yard.deadlocks().is_empty());
}

/// In stepped mode: a worker blocked on a lock whose holder ends holding
/// it is unblocked (it would otherwise be stuck for good), granted, and
/// told the lock is poisoned; the run finishes.
pub fn a_stepped_run_whose_holder_ends_holding_a_lock_finishes() {
    let yard = Yard::<()>::builder()
        .stepped(Chooser::Fixed {
            schedule: vec![0, 1, 0],
        })
        .build()
        .unwrap();
    let lock = yard.lock("L").unwrap();
    let (told_tx, told) = channel();
    let l = lock.clone();
    yard.spawn("holder", move |w| {
        l.lock(w)?;
        // Ends holding it, after b has tried.
        w.pause_point()?;
        Ok(())
    })
    .unwrap();
    yard.spawn("b", move |w| {
        told_tx.send(lock.lock(w)).unwrap();
        Ok(())
    })
    .unwrap();
    yard.begin_steps().unwrap();
    let run = yard.settle(LONG).unwrap();
    assert!(run.finished, "{run:?}");
    assert!(matches!(next(&told), Err(ShareError::Poisoned { .. })));
}

/// A few milliseconds: long enough for the trace to keep a wait as a span
/// (1 ms and up). Sleeps never return early, so lengths built of them are
/// lower bounds, never timings.
const NAP: Duration = Duration::from_millis(3);

/// The accounting identity of a finished worker: busy + paused + blocked +
/// waited = wall, none negative, none above wall.
fn assert_identity(yard: &Yard<u32>, id: &str, case: &str) {
    let s = yard.worker(id).unwrap();
    // Figures are kept in whole microseconds.
    const SLACK: f64 = 0.01;
    let parts = [
        ("busy", s.busy_ms),
        ("paused", s.paused_ms),
        ("blocked", s.blocked_ms),
        ("waited", s.waited_ms),
    ];
    for (name, value) in parts {
        assert!(
            value >= 0.0 && value <= s.wall_ms + SLACK,
            "{case}: {name}_ms {value} outside 0..=wall_ms {}: {parts:?}",
            s.wall_ms
        );
    }
    let sum: f64 = parts.iter().map(|(_, v)| v).sum();
    assert!(
        (sum - s.wall_ms).abs() <= SLACK,
        "{case}: busy + paused + blocked + waited = {sum} ms, wall {} ms: {parts:?}",
        s.wall_ms
    );
}

/// The worker's activity slices nest on their track: any two are apart or
/// one holds the other. Returns the spans.
fn assert_nested(yard: &Yard<u32>, id: &str, case: &str) -> Vec<threadyard::ActivitySpan> {
    let track = yard
        .activity_tracks()
        .into_iter()
        .find(|t| t.worker.as_str() == id)
        .unwrap();
    let spans = track.spans;
    for a in &spans {
        for b in &spans {
            let apart = a.end_us <= b.start_us || b.end_us <= a.start_us;
            let a_holds_b = a.start_us <= b.start_us && b.end_us <= a.end_us;
            let b_holds_a = b.start_us <= a.start_us && a.end_us <= b.end_us;
            assert!(
                apart || a_holds_b || b_holds_a,
                "{case}: slices overlap without nesting: {a:?} and {b:?}"
            );
        }
    }
    spans
}

/// Runs `body` as worker `id`'s task to its end, then checks the identity
/// and the nesting; returns the spans.
fn run_nested(
    yard: &Yard<u32>,
    id: &str,
    case: &str,
    naps: u32,
    body: impl FnOnce(&threadyard::Worker<u32>) -> Result<(), threadyard::TaskError> + Send + 'static,
) -> Vec<threadyard::ActivitySpan> {
    let mut body = Some(body);
    yard.spawn(id, move |w| body.take().map_or(Ok(()), |body| body(w)))
        .unwrap();
    assert_eq!(yard.join(id, LONG).unwrap(), WorkerState::Stopped, "{case}");
    assert_identity(yard, id, case);
    let spans = assert_nested(yard, id, case);
    assert_covers(&spans, naps, case);
    spans
}

/// The outermost slice covers the whole blocking call, at least `naps`
/// naps (before, it began where the inner activity did).
fn assert_covers(spans: &[threadyard::ActivitySpan], naps: u32, case: &str) {
    let longest = spans.iter().map(|s| s.end_us - s.start_us).max();
    assert!(
        longest >= Some(u64::from(naps) * NAP.as_micros() as u64),
        "{case}: the blocking call's slice covers all of it ({naps} naps): {spans:?}"
    );
}

/// Activities nest in real code: a blocking call whose closure sleeps,
/// waits for a lock, receives, sends into a full mailbox, pauses, or makes
/// another blocking call (three deep). Each pair keeps the accounting
/// identity and draws slices that nest, and the outer call's slice covers
/// the whole call (before, the inner activity overwrote the outer's start:
/// waited_ms could exceed wall_ms and slices overlapped).
pub fn nested_activities_keep_the_accounting_identity_and_nest_in_the_trace() {
    let yard = Arc::new(Yard::<u32>::builder().mailbox_capacity(1).build().unwrap());
    let lock = yard.lock("L").unwrap();

    let spans = run_nested(&yard, "sleep-in-blocking", "sleep in blocking", 3, |w| {
        w.blocking(|| {
            std::thread::sleep(NAP);
            w.sleep(NAP);
            std::thread::sleep(NAP);
        });
        Ok(())
    });
    assert!(
        spans.len() >= 2,
        "the inner sleep is a slice of its own: {spans:?}"
    );

    // A lock held by another worker for a while.
    let (held_tx, held) = channel();
    let (release_tx, release) = channel::<()>();
    let l = lock.clone();
    yard.spawn("holder", move |w| {
        l.lock(w)?;
        held_tx.send(()).unwrap();
        let _ = release.recv();
        l.unlock(w)?;
        Ok(())
    })
    .unwrap();
    next(&held);
    let l = lock.clone();
    let watcher = Arc::clone(&yard);
    run_nested(
        &yard,
        "lock-in-blocking",
        "lock wait in blocking",
        2,
        move |w| {
            w.blocking(|| {
                std::thread::sleep(NAP);
                let helper = crate::support::helper({
                    let watcher = Arc::clone(&watcher);
                    move || {
                        // Lets the holder go once this worker waits for L.
                        let waits = |waits: &[threadyard::WaitEdge], _: &[_]| {
                            waits
                                .iter()
                                .any(|e| e.worker.as_str() == "lock-in-blocking")
                        };
                        assert!(watcher.wait_for_waits(LONG, waits));
                        std::thread::sleep(NAP);
                        release_tx.send(()).unwrap();
                    }
                });
                l.lock(w)?;
                l.unlock(w)?;
                std::thread::sleep(NAP);
                let _ = helper.join("helper", LONG);
                Ok::<(), threadyard::ShareError>(())
            })?;
            Ok(())
        },
    );

    run_nested(&yard, "recv-in-blocking", "receive in blocking", 3, |w| {
        w.blocking(|| {
            std::thread::sleep(NAP);
            let _ = w.recv_timeout(NAP);
            std::thread::sleep(NAP);
        });
        Ok(())
    });

    yard.spawn("sink", |w| {
        while w.pause_point().is_ok() {
            std::thread::yield_now();
        }
        Ok(())
    })
    .unwrap();
    yard.send("sink", 0).unwrap();
    run_nested(
        &yard,
        "send-in-blocking",
        "send for room in blocking",
        3,
        |w| {
            w.blocking(|| {
                std::thread::sleep(NAP);
                let _ = w.send_to_timeout("sink", 1, NAP);
                std::thread::sleep(NAP);
            });
            Ok(())
        },
    );

    let (ready_tx, ready) = channel();
    let (go_tx, go) = channel::<()>();
    yard.spawn("pause-in-blocking", move |w| {
        w.blocking(|| {
            std::thread::sleep(NAP);
            ready_tx.send(()).unwrap();
            let _ = go.recv();
            w.pause_point()
        })?;
        w.sleep(NAP);
        Ok(())
    })
    .unwrap();
    next(&ready);
    yard.pause("pause-in-blocking").unwrap();
    go_tx.send(()).unwrap();
    crate::support::reach(&yard, "pause-in-blocking", WorkerState::Paused);
    // Not a wait for anything: the pause lasts a nap, so that counting it
    // both as paused and as waited would show.
    std::thread::sleep(NAP);
    yard.resume("pause-in-blocking").unwrap();
    assert_eq!(
        yard.join("pause-in-blocking", LONG).unwrap(),
        WorkerState::Stopped
    );
    assert_identity(&yard, "pause-in-blocking", "pause in blocking");
    let spans = assert_nested(&yard, "pause-in-blocking", "pause in blocking");
    assert_covers(&spans, 2, "pause in blocking");
    let paused = yard.worker("pause-in-blocking").unwrap().paused_ms;
    assert!(paused >= NAP.as_secs_f64() * 1e3, "paused {paused} ms");

    run_nested(
        &yard,
        "three-deep",
        "blocking in blocking in blocking",
        5,
        |w| {
            w.blocking(|| {
                std::thread::sleep(NAP);
                w.blocking(|| {
                    std::thread::sleep(NAP);
                    w.sleep(NAP);
                    let _ = w.recv_timeout(NAP);
                });
                std::thread::sleep(NAP);
            });
            Ok(())
        },
    );
    yard.stop("sink").unwrap();
}
