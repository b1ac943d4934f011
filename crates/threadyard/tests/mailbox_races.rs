//! The lock-free mailbox (takes without the lane lock, senders parked on
//! their own threads) attacked as a hostile user would: control storms
//! racing takes, senders blocked on a tiny mailbox racing takes, stops and
//! the worker's end, messages whose `Drop` calls back into the manager, and
//! counters sampled nonstop. Each test waits on events with generous
//! deadlines and asserts behaviour only; run them in a loop to shake races
//! out (`for i in $(seq 200); do target/.../mailbox_races-*; done`).

#![cfg(not(target_arch = "wasm32"))]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use threadyard::{SendError, WorkerState, Yard};

mod support;

use support::{tiny_yard, until, Storm, HOUR, LONG};

/// Spawns `id`, a worker that only loops on its pause point, and pauses it
/// once it runs: a mailbox nobody reads until the test says so.
fn spawn_paused_looper<T: Send + 'static>(yard: &Yard<T>, id: &str) {
    let (ready_tx, ready) = mpsc::channel();
    yard.spawn(id, move |w| {
        ready_tx.send(()).unwrap();
        while w.pause_point().is_ok() {
            std::thread::yield_now();
        }
        Ok(())
    })
    .unwrap();
    ready.recv_timeout(LONG).unwrap();
    yard.pause(id).unwrap();
}

/// A take that pops a message and then finds the worker paused puts the
/// message back in front; the place it freed in the queue must still wake
/// a sender parked on the full mailbox. Otherwise, with one place, the
/// worker later takes the put-back message, finds the queue empty and
/// sleeps, while the sender sleeps until its (hour-long) deadline: both
/// wait on each other.
#[test]
fn a_take_lost_to_a_pause_still_wakes_a_sender_waiting_for_room() {
    const N: u32 = 3000;
    let yard = Arc::new(tiny_yard::<u32>(1));
    let (got_tx, got) = mpsc::channel();
    yard.spawn("w", move |w| {
        while let Ok(m) = w.recv() {
            if got_tx.send(m).is_err() {
                break;
            }
        }
        Ok(())
    })
    .unwrap();
    let sender = {
        let yard = Arc::clone(&yard);
        std::thread::spawn(move || {
            for m in 0..N {
                yard.send_timeout("w", m, HOUR).unwrap();
            }
        })
    };
    let storm = Storm::start(&yard, "w");
    let deadline = Instant::now() + LONG;
    for expected in 0..N {
        let left = deadline.saturating_duration_since(Instant::now());
        match got.recv_timeout(left) {
            Ok(m) => assert_eq!(m, expected, "FIFO from one sender"),
            Err(_) => {
                storm.halt();
                let _ = yard.resume("w");
                panic!(
                    "message {expected} of {N} never arrived: {:?}",
                    yard.worker("w").unwrap().mailbox
                );
            }
        }
    }
    storm.stop();
    sender.join().unwrap();
    let _ = yard.resume("w");
    let report = yard.shutdown(LONG);
    assert_eq!(report.undelivered_messages, 0);
}

/// Many senders blocked on a one-place mailbox with short and long
/// deadlines, while the worker takes through a pause/resume storm: every
/// message is either refused (and handed back) or received exactly once,
/// in order per sender, and the long-deadline senders all get through.
#[test]
fn senders_with_short_and_long_deadlines_race_takes_and_a_control_storm() {
    const SENDERS: u64 = 6;
    const EACH: u64 = 300;
    let yard = Arc::new(tiny_yard::<(u64, u64)>(1));
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    yard.spawn("w", move |w| {
        while let Ok(m) = w.recv() {
            sink.lock().unwrap().push(m);
        }
        Ok(())
    })
    .unwrap();
    let storm = Storm::start(&yard, "w");
    let senders: Vec<_> = (0..SENDERS)
        .map(|s| {
            let yard = Arc::clone(&yard);
            std::thread::spawn(move || {
                let mut accepted = Vec::new();
                for i in 0..EACH {
                    // Odd senders give up quickly and often: their deadlines
                    // race the takes that choose them.
                    let wait = if s % 2 == 1 {
                        Duration::from_micros(50 * (i % 4))
                    } else {
                        HOUR
                    };
                    match yard.send_timeout("w", (s, i), wait) {
                        Ok(()) => accepted.push(i),
                        Err(SendError::Full { message, .. }) => {
                            assert_eq!(message, (s, i), "a refused message comes back");
                            assert_eq!(s % 2, 1, "a sender with an hour to wait was refused");
                        }
                        Err(other) => panic!("unexpected {other}"),
                    }
                }
                accepted
            })
        })
        .collect();
    let (joined_tx, joined) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let accepted: Vec<Vec<u64>> = senders.into_iter().map(|h| h.join().unwrap()).collect();
        let _ = joined_tx.send(accepted);
    });
    let accepted = joined
        .recv_timeout(LONG)
        .expect("a sender slept through room (or a take never came)");
    waiter.join().unwrap();
    storm.stop();
    let _ = yard.resume("w");
    let total: usize = accepted.iter().map(Vec::len).sum();
    until("the accepted messages arrive", || {
        received.lock().unwrap().len() >= total
    });
    yard.stop("w").unwrap();
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
    let snap = yard.worker("w").unwrap().mailbox;
    let got = received.lock().unwrap().clone();
    assert_eq!(got.len(), total, "received exactly the accepted ones");
    assert_eq!(snap.sent, total as u64);
    assert_eq!(snap.received, total as u64);
    assert_eq!(snap.depth, 0);
    for (s, mine) in accepted.iter().enumerate() {
        let order: Vec<u64> = got
            .iter()
            .filter(|(from, _)| *from == s as u64)
            .map(|&(_, i)| i)
            .collect();
        assert_eq!(&order, mine, "sender {s}: FIFO, each accepted message once");
    }
}

/// Several threads of one task (lent `&Worker`) receive at once while a
/// pause/resume storm runs and then a stop lands: every accepted message is
/// received exactly once or counted undelivered, and the figures say so.
#[test]
fn lent_receivers_under_a_control_storm_then_a_stop_lose_and_repeat_nothing() {
    const N: u64 = 4000;
    let yard = Arc::new(tiny_yard::<u64>(4));
    let received = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&received);
    yard.spawn("w", move |w| {
        std::thread::scope(|scope| {
            for _ in 0..3 {
                let sink = &sink;
                scope.spawn(move || {
                    while let Ok(m) = w.recv() {
                        sink.lock().unwrap().push(m);
                    }
                });
            }
        });
        Ok(())
    })
    .unwrap();
    let storm = Storm::start(&yard, "w");
    let mut accepted = 0u64;
    for m in 0..N {
        match yard.send_timeout("w", m, Duration::from_millis(1)) {
            Ok(()) => accepted += 1,
            Err(e) => assert_eq!(e.into_message(), m),
        }
        if m == N / 2 {
            // Half way, some messages queued: the stop must not lose them.
            storm.stop();
            let _ = yard.resume("w");
            yard.stop("w").unwrap();
            break;
        }
    }
    // Senders racing the stop are refused or counted; none hangs.
    for m in N / 2 + 1..N / 2 + 50 {
        match yard.send_timeout("w", m, Duration::from_millis(1)) {
            Ok(()) => accepted += 1,
            Err(e) => assert_eq!(e.into_message(), m),
        }
    }
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
    let snap = yard.worker("w").unwrap().mailbox;
    let got = received.lock().unwrap().clone();
    let unique: HashSet<u64> = got.iter().copied().collect();
    assert_eq!(unique.len(), got.len(), "a message was received twice");
    assert_eq!(snap.received, got.len() as u64, "{snap:?}");
    assert_eq!(snap.sent, accepted, "{snap:?}");
    assert_eq!(
        snap.received + snap.depth as u64,
        accepted,
        "every accepted message received or counted undelivered: {snap:?}"
    );
}

/// `sent` and `received`, sampled from another thread in a tight loop
/// while lent threads take and senders send, never go back and `received`
/// never passes `sent`; once the worker has ended both are exact.
#[test]
fn counters_sampled_nonstop_never_go_back() {
    const N: u64 = 20_000;
    let yard = Arc::new(tiny_yard::<u64>(8));
    let taken = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&taken);
    yard.spawn("w", move |w| {
        std::thread::scope(|scope| {
            for _ in 0..2 {
                let counted = &counted;
                scope.spawn(move || {
                    while w.recv().is_ok() {
                        counted.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
            while w.recv().is_ok() {
                counted.fetch_add(1, Ordering::SeqCst);
            }
        });
        Ok(())
    })
    .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (yard, done) = (Arc::clone(&yard), Arc::clone(&done));
        std::thread::spawn(move || {
            let (mut sent, mut received, mut looks) = (0, 0, 0u64);
            while !done.load(Ordering::SeqCst) {
                let m = yard.worker("w").unwrap().mailbox;
                assert!(m.sent >= sent, "sent went back: {sent} -> {m:?}");
                assert!(
                    m.received >= received,
                    "received went back: {received} -> {m:?}"
                );
                assert!(m.received <= m.sent, "received passed sent: {m:?}");
                (sent, received) = (m.sent, m.received);
                looks += 1;
            }
            looks
        })
    };
    let mut accepted = 0;
    for m in 0..N {
        if yard.send_timeout("w", m, HOUR).is_ok() {
            accepted += 1;
        }
    }
    assert_eq!(accepted, N);
    until("the messages are taken", || {
        taken.load(Ordering::SeqCst) >= N
    });
    yard.stop("w").unwrap();
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
    done.store(true, Ordering::SeqCst);
    assert!(sampler.join().unwrap() > 0);
    let m = yard.worker("w").unwrap().mailbox;
    assert_eq!((m.sent, m.received, m.depth), (N, N, 0));
}

/// A message that calls back into its own manager from `Drop` (snapshot,
/// send to the worker it was meant for, and on some a panic), left in a
/// paused worker's mailbox (some of them put back by takes that lost to
/// the pause) and drained at shutdown: nothing deadlocks, every message is
/// dropped exactly once, and the report counts the undelivered ones.
#[test]
fn messages_calling_back_from_drop_while_put_back_and_drained() {
    static YARD: OnceLock<Mutex<Option<Arc<Yard<Nasty>>>>> = OnceLock::new();
    static DROPPED: AtomicUsize = AtomicUsize::new(0);
    struct Nasty(u64);
    impl Drop for Nasty {
        fn drop(&mut self) {
            DROPPED.fetch_add(1, Ordering::SeqCst);
            if self.0 == u64::MAX {
                return;
            }
            let yard = YARD.get().unwrap().lock().unwrap().clone();
            if let Some(yard) = yard {
                let _ = yard.snapshot();
                // The worker is ending: refused, handed back, dropped here.
                let _ = yard.send("w", Nasty(u64::MAX));
                if self.0 % 3 == 0 {
                    panic!("message {} panics as it is dropped", self.0);
                }
            }
        }
    }
    let slot = YARD.get_or_init(|| Mutex::new(None));
    let yard = Arc::new(tiny_yard::<Nasty>(16));
    *slot.lock().unwrap() = Some(Arc::clone(&yard));
    let (took_tx, took) = mpsc::channel();
    yard.spawn("w", move |w| {
        while let Ok(m) = w.recv() {
            let _ = took_tx.send(m.0);
            std::mem::forget(m);
        }
        Ok(())
    })
    .unwrap();
    let storm = Storm::start(&yard, "w");
    let mut accepted = 0u64;
    for m in 0..200 {
        match yard.send_timeout("w", Nasty(m), Duration::from_millis(1)) {
            Ok(()) => accepted += 1,
            Err(e) => std::mem::forget(e.into_message()),
        }
    }
    storm.stop();
    let _ = yard.pause("w");
    let report = yard.shutdown(LONG);
    let received = took.try_iter().count() as u64;
    assert!(report.unresponsive.is_empty(), "{report:?}");
    assert_eq!(
        received + report.undelivered_messages,
        accepted,
        "{report:?}"
    );
    // Each undelivered message dropped once, plus the refused send each of
    // those made from its Drop.
    assert_eq!(
        DROPPED.load(Ordering::SeqCst) as u64,
        2 * report.undelivered_messages
    );
    *slot.lock().unwrap() = None;
}

/// A stopped worker's helper thread keeps calling `try_recv`; a worker's
/// helper receiving with `recv` after the stop gets `StopRequested`, and
/// whatever it does not take is counted undelivered, never lost.
#[test]
fn receives_after_a_stop_take_nothing_and_lose_nothing() {
    let yard = Arc::new(tiny_yard::<u64>(8));
    let (ready_tx, ready) = mpsc::channel();
    let (after_tx, after) = mpsc::channel();
    yard.spawn("w", move |w| {
        ready_tx.send(()).unwrap();
        // Wait (at a pause point) until the stop lands.
        while w.pause_point().is_ok() {
            std::thread::yield_now();
        }
        assert!(w.recv().is_err(), "recv after a stop took a message");
        assert!(w.recv_timeout(Duration::ZERO).is_err());
        let mut taken = 0u64;
        while w.try_recv().is_some() {
            taken += 1;
        }
        after_tx.send(taken).unwrap();
        Ok(())
    })
    .unwrap();
    ready.recv_timeout(LONG).unwrap();
    yard.pause("w").unwrap();
    for m in 0..8 {
        yard.send("w", m).unwrap();
    }
    yard.stop("w").unwrap();
    let taken = after.recv_timeout(LONG).unwrap();
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
    let m = yard.worker("w").unwrap().mailbox;
    assert_eq!(m.sent, 8);
    assert_eq!(m.received, taken);
    assert_eq!(m.depth as u64, 8 - taken);
}

/// Two threads of one task receive from one sender while a pause/resume
/// storm runs. A FIFO queue hands each consumer an increasing run of one
/// producer's messages; so must the mailbox, even when takes lose to a
/// pause and put their messages back.
#[test]
fn each_lent_receiver_sees_one_senders_messages_in_order() {
    const N: u64 = 5000;
    let yard = Arc::new(tiny_yard::<u64>(4));
    let runs = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&runs);
    yard.spawn("w", move |w| {
        std::thread::scope(|scope| {
            for _ in 0..2 {
                let sink = &sink;
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    while let Ok(m) = w.recv() {
                        mine.push(m);
                    }
                    sink.lock().unwrap().push(mine);
                });
            }
        });
        Ok(())
    })
    .unwrap();
    let storm = Storm::start(&yard, "w");
    for m in 0..N {
        yard.send_timeout("w", m, HOUR).unwrap();
    }
    storm.stop();
    let _ = yard.resume("w");
    until("the messages are taken", || {
        yard.worker("w").unwrap().mailbox.received >= N
    });
    yard.stop("w").unwrap();
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
    let runs = runs.lock().unwrap();
    assert_eq!(runs.iter().map(Vec::len).sum::<usize>() as u64, N);
    for run in runs.iter() {
        for pair in run.windows(2) {
            assert!(
                pair[0] < pair[1],
                "one receiver got {} then {}",
                pair[0],
                pair[1]
            );
        }
    }
}

/// A message left in a stopped worker's mailbox calls `shutdown` on its
/// own manager from `Drop`, on the worker's thread as it drains: the inner
/// shutdown must not hang on the worker it runs on, and the outer one
/// still counts every undelivered message.
#[test]
fn a_drained_message_shutting_the_manager_down_from_drop() {
    static YARD: OnceLock<Mutex<Option<Arc<Yard<Bomb>>>>> = OnceLock::new();
    static INNER: AtomicUsize = AtomicUsize::new(0);
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            let yard = YARD.get().unwrap().lock().unwrap().clone();
            if let Some(yard) = yard {
                if INNER.fetch_add(1, Ordering::SeqCst) == 0 {
                    let _ = yard.shutdown(Duration::from_secs(2));
                }
            }
        }
    }
    let slot = YARD.get_or_init(|| Mutex::new(None));
    let yard = Arc::new(tiny_yard::<Bomb>(4));
    *slot.lock().unwrap() = Some(Arc::clone(&yard));
    spawn_paused_looper(&yard, "w");
    for _ in 0..4 {
        if let Err(e) = yard.send("w", Bomb) {
            std::mem::forget(e.into_message());
            panic!("a send to a paused worker with room was refused");
        }
    }
    let (done_tx, done) = mpsc::channel();
    let outer = {
        let yard = Arc::clone(&yard);
        std::thread::spawn(move || {
            let _ = done_tx.send(yard.shutdown(LONG));
        })
    };
    let report = done
        .recv_timeout(LONG)
        .expect("shutdown hung on a message shutting down from Drop");
    outer.join().unwrap();
    assert_eq!(report.undelivered_messages, 4, "{report:?}");
    if report.clean.iter().any(|id| id.as_str() == "w") {
        // Seen finished: its messages were all dropped before that.
        assert_eq!(INNER.load(Ordering::SeqCst), 4, "{report:?}");
    } else {
        // Its thread was still inside the shutdown its message called (a
        // shutdown stops waiting for a worker in a shutdown call, and says
        // so): it finishes once that returns.
        assert_eq!(report.in_shutdown.len(), 1, "{report:?}");
        assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
    }
    *slot.lock().unwrap() = None;
    assert_eq!(INNER.load(Ordering::SeqCst), 4, "each message dropped once");
    assert_eq!(yard.state("w"), Ok(WorkerState::Stopped));
}

/// Senders blocked on a paused worker's full mailbox with an hour to wait
/// each get their own message back (`Finished`) once the worker ends, and
/// the one queued message is counted undelivered.
#[test]
fn senders_blocked_for_an_hour_get_their_messages_back_at_the_end() {
    let yard = Arc::new(tiny_yard::<u64>(1));
    spawn_paused_looper(&yard, "w");
    yard.send("w", 0).unwrap();
    let (back_tx, back) = mpsc::channel();
    let (started_tx, started) = mpsc::channel();
    let senders: Vec<_> = (1..=4u64)
        .map(|m| {
            let (yard, back_tx) = (Arc::clone(&yard), back_tx.clone());
            let started_tx = started_tx.clone();
            std::thread::spawn(move || {
                started_tx.send(()).unwrap();
                let _ = back_tx.send((m, yard.send_timeout("w", m, HOUR)));
            })
        })
        .collect();
    // Each has started its send (whether it is parked yet cannot be seen;
    // one that comes after the stop is refused the same way).
    for _ in 0..4 {
        started.recv_timeout(LONG).unwrap();
    }
    yard.stop("w").unwrap();
    let mut returned = HashSet::new();
    for _ in 0..4 {
        let (m, outcome) = back
            .recv_timeout(LONG)
            .expect("a blocked sender slept through the end");
        match outcome {
            Err(SendError::Finished { message, .. }) => assert_eq!(message, m),
            other => panic!("sender {m}: {other:?}"),
        }
        returned.insert(m);
    }
    assert_eq!(returned.len(), 4);
    senders.into_iter().for_each(|s| s.join().unwrap());
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
    let m = yard.worker("w").unwrap().mailbox;
    assert_eq!((m.sent, m.received, m.depth), (1, 0, 1));
}
