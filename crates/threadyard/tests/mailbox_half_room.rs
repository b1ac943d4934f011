//! The sender's wait for half the mailbox and the receive that takes a
//! waiting message before marking a wait (`Slot::wait_for_room`,
//! `Slot::take_at_once`), attacked as a hostile user would: mailboxes of
//! one, two and three places (half rounds down), a receiver that takes one
//! message and then stops taking, a mailbox kept between half and full,
//! more senders than cores, pauses that must be acknowledged by a receive
//! that never finds its mailbox empty, the activity a receive shows, and
//! stepped mode. Each test waits on events with generous deadlines and
//! asserts behaviour only; run them in a loop to shake races out.

#![cfg(not(target_arch = "wasm32"))]

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use threadyard::{Activity, Chooser, SendError, WorkerState, Yard};

mod support;

use support::{tiny_yard, until, Storm, HOUR, LONG};

/// Sends to a worker nonstop on a thread of its own until [`stop`](Self::stop),
/// each send waiting briefly for room (refused when it stays full): a
/// mailbox that never runs dry while the worker takes.
struct Flood {
    flooding: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Flood {
    fn start(yard: &Yard<u64>, id: &str) -> Self {
        let flooding = Arc::new(AtomicBool::new(true));
        let (sender, going) = (yard.sender(id).unwrap(), Arc::clone(&flooding));
        let thread = std::thread::spawn(move || {
            let mut i = 0;
            while going.load(Ordering::SeqCst) {
                match sender.send_timeout(i, Duration::from_millis(5)) {
                    Ok(()) | Err(SendError::Full { .. }) => i += 1,
                    Err(other) => panic!("unexpected {other}"),
                }
            }
        });
        Self { flooding, thread }
    }

    fn stop(self) {
        self.flooding.store(false, Ordering::SeqCst);
        self.thread.join().unwrap();
    }
}

/// A receiver takes exactly one message from a full mailbox and then takes
/// nothing more (it waits on something else). A sender blocked for room,
/// one more place than half away from its spin's goal, must still get the
/// freed place: with one place the mailbox is then empty, with two it is
/// at half, with three it stays above half, so the sender's spin never sees
/// what it waits for and it must send because there is room at all (or be
/// woken from its park by the take). The sender is a worker, so the test
/// knows it waits for room (its activity says so) before the take comes.
#[test]
fn one_take_lets_a_blocked_sender_through_at_capacities_one_two_and_three() {
    for capacity in 1..=3usize {
        for round in 0..40 {
            let yard = tiny_yard::<usize>(capacity);
            let (go_tx, go) = mpsc::channel::<()>();
            let (end_tx, end) = mpsc::channel::<()>();
            let (took_tx, took) = mpsc::channel();
            yard.spawn("r", move |w| {
                go.recv().unwrap();
                took_tx.send(w.recv()?).unwrap();
                // Takes nothing more until the test is done with it.
                let _ = end.recv();
                Ok(())
            })
            .unwrap();
            for m in 0..capacity {
                yard.send("r", m).unwrap();
            }
            let (sent_tx, sent) = mpsc::channel();
            yard.spawn("s", move |w| {
                let _ = sent_tx.send(w.send_to_timeout("r", capacity, HOUR).is_ok());
                Ok(())
            })
            .unwrap();
            until("the sender waits for room", || {
                yard.worker("s").unwrap().activity == Activity::WaitingForRoom
            });
            // Odd rounds give the sender's short spin time to end in a park.
            if round % 2 == 1 {
                for _ in 0..1000 {
                    std::thread::yield_now();
                }
            }
            go_tx.send(()).unwrap();
            assert_eq!(took.recv_timeout(LONG).unwrap(), 0, "FIFO");
            let sent = sent.recv_timeout(LONG).unwrap_or_else(|_| {
                panic!(
                    "capacity {capacity}, round {round}: a sender slept through the \
                     place one take freed: {:?}",
                    yard.worker("r").unwrap().mailbox
                )
            });
            assert!(sent, "a sender with an hour to wait was refused");
            let mailbox = yard.worker("r").unwrap().mailbox;
            assert_eq!(mailbox.sent, capacity as u64 + 1);
            assert_eq!(mailbox.received, 1);
            assert_eq!(mailbox.depth, capacity);
            assert!(mailbox.high_water <= capacity);
            drop(end_tx);
            let report = yard.shutdown(LONG);
            assert_eq!(report.undelivered_messages, capacity as u64);
        }
    }
}

/// The receiver takes one message at a time, and only once the mailbox is
/// full again: it stays between one under full and full, never at half.
/// Senders with an hour to wait must all get through (none may wait for
/// the half that never comes), and senders with short deadlines may be
/// refused, but never before their deadline and always with their message.
#[test]
fn a_mailbox_that_never_drains_to_half_still_admits_every_patient_sender() {
    const PATIENT: u64 = 3;
    const HASTY: u64 = 2;
    const EACH: u64 = 150;
    for capacity in [2usize, 3, 4, 6] {
        let yard = Arc::new(tiny_yard::<(u64, u64)>(capacity));
        let (token_tx, tokens) = mpsc::channel::<()>();
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&got);
        yard.spawn("r", move |w| {
            while tokens.recv().is_ok() {
                let m = w.recv()?;
                sink.lock().unwrap().push(m);
            }
            Ok(())
        })
        .unwrap();
        let patient_left = Arc::new(AtomicU64::new(PATIENT));
        let senders: Vec<_> = (0..PATIENT + HASTY)
            .map(|s| {
                let (sender, patient_left) = (yard.sender("r").unwrap(), Arc::clone(&patient_left));
                std::thread::spawn(move || {
                    let mut accepted = Vec::new();
                    for i in 0..EACH {
                        if s >= PATIENT {
                            // Hasty: gives up after 0 to 200 µs, until the
                            // patient ones are done (then nobody takes).
                            if patient_left.load(Ordering::SeqCst) == 0 {
                                break;
                            }
                            let wait = Duration::from_micros(50 * (i % 5));
                            let began = Instant::now();
                            match sender.send_timeout((s, i), wait) {
                                Ok(()) => accepted.push(i),
                                Err(SendError::Full { message, .. }) => {
                                    assert_eq!(message, (s, i), "a refused message comes back");
                                    assert!(
                                        began.elapsed() >= wait,
                                        "refused before its deadline of {wait:?}"
                                    );
                                }
                                Err(other) => panic!("unexpected {other}"),
                            }
                        } else {
                            sender.send_timeout((s, i), HOUR).unwrap();
                            accepted.push(i);
                        }
                    }
                    if s < PATIENT {
                        patient_left.fetch_sub(1, Ordering::SeqCst);
                    }
                    accepted
                })
            })
            .collect();
        // One take each time the mailbox is full again, until the patient
        // senders are done; then the rest is taken freely.
        let deadline = Instant::now() + LONG;
        let mut given = 0usize;
        while patient_left.load(Ordering::SeqCst) > 0 {
            assert!(
                Instant::now() < deadline,
                "capacity {capacity}: patient senders stuck with the mailbox above half: {:?}",
                yard.worker("r").unwrap().mailbox
            );
            let taken = got.lock().unwrap().len();
            if taken == given && yard.worker("r").unwrap().mailbox.depth >= capacity {
                token_tx.send(()).unwrap();
                given += 1;
            } else {
                std::thread::yield_now();
            }
        }
        let accepted: Vec<Vec<u64>> = senders.into_iter().map(|h| h.join().unwrap()).collect();
        let total: usize = accepted.iter().map(Vec::len).sum();
        while given < total {
            token_tx.send(()).unwrap();
            given += 1;
        }
        until("every accepted message received", || {
            got.lock().unwrap().len() == total
        });
        drop(token_tx);
        assert_eq!(yard.join("r", LONG), Ok(WorkerState::Stopped));
        let got = got.lock().unwrap().clone();
        for (s, mine) in accepted.iter().enumerate() {
            if s < PATIENT as usize {
                assert_eq!(mine.len() as u64, EACH, "every patient send accepted");
            }
            let order: Vec<u64> = got
                .iter()
                .filter(|(from, _)| *from == s as u64)
                .map(|&(_, i)| i)
                .collect();
            assert_eq!(&order, mine, "sender {s}: FIFO, each accepted message once");
        }
        let mailbox = yard.worker("r").unwrap().mailbox;
        assert_eq!(mailbox.sent, total as u64);
        assert_eq!(mailbox.received, total as u64);
        assert_eq!(mailbox.depth, 0);
        assert_eq!(mailbox.high_water, capacity);
    }
}

/// Eight senders on a machine of few cores, into mailboxes of one, two and
/// three places, with a receiver alternating `recv` and `recv_timeout`
/// through a pause/resume storm and a thread sampling the figures
/// nonstop: every message arrives once, in order per sender, and the
/// figures never go back or past the capacity.
#[test]
fn eight_senders_into_one_two_and_three_places_through_a_storm() {
    const SENDERS: u64 = 8;
    const EACH: u64 = 400;
    for capacity in 1..=3usize {
        let yard = Arc::new(tiny_yard::<(u64, u64)>(capacity));
        let got = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&got);
        yard.spawn("r", move |w| {
            let mut n = 0u64;
            loop {
                n += 1;
                let m = if n % 2 == 0 {
                    w.recv()?
                } else {
                    match w.recv_timeout(Duration::from_micros(n % 300))? {
                        Some(m) => m,
                        None => continue,
                    }
                };
                sink.lock().unwrap().push(m);
            }
        })
        .unwrap();
        let storm = Storm::start(&yard, "r");
        let sampling = Arc::new(AtomicBool::new(true));
        let sampler = {
            let (yard, sampling) = (Arc::clone(&yard), Arc::clone(&sampling));
            std::thread::spawn(move || {
                let (mut sent, mut received) = (0, 0);
                while sampling.load(Ordering::SeqCst) {
                    let m = yard.worker("r").unwrap().mailbox;
                    assert!(m.sent >= sent, "sent went back: {m:?}");
                    assert!(m.received >= received, "received went back: {m:?}");
                    assert!(m.high_water <= capacity, "high water past capacity: {m:?}");
                    assert!(m.received <= m.sent, "more received than sent: {m:?}");
                    (sent, received) = (m.sent, m.received);
                    std::thread::yield_now();
                }
            })
        };
        let senders: Vec<_> = (0..SENDERS)
            .map(|s| {
                let sender = yard.sender("r").unwrap();
                std::thread::spawn(move || {
                    for i in 0..EACH {
                        sender.send_timeout((s, i), HOUR).unwrap();
                    }
                })
            })
            .collect();
        let total = (SENDERS * EACH) as usize;
        until("every message received", || {
            got.lock().unwrap().len() == total
        });
        senders.into_iter().for_each(|h| h.join().unwrap());
        storm.stop();
        sampling.store(false, Ordering::SeqCst);
        sampler.join().unwrap();
        let _ = yard.resume("r");
        yard.stop("r").unwrap();
        assert_eq!(yard.join("r", LONG), Ok(WorkerState::Stopped));
        let got = got.lock().unwrap().clone();
        for s in 0..SENDERS {
            let order: Vec<u64> = got
                .iter()
                .filter(|(from, _)| *from == s)
                .map(|&(_, i)| i)
                .collect();
            assert_eq!(
                order,
                (0..EACH).collect::<Vec<_>>(),
                "sender {s}: FIFO, once each"
            );
        }
        let m = yard.worker("r").unwrap().mailbox;
        assert_eq!(
            (m.sent, m.received, m.depth),
            (total as u64, total as u64, 0)
        );
        assert!(m.high_water <= capacity);
    }
}

/// A receive that always finds a message waiting (a sender keeps the
/// mailbox from ever emptying) is still a pause point: each pause is
/// acknowledged, nothing is taken while paused, and the pause is counted
/// and timed. Tried with `recv`, `recv_timeout`, and two threads of the
/// task (lent `&Worker`) receiving at once.
#[test]
fn a_receive_that_never_finds_its_mailbox_empty_still_answers_every_pause() {
    for (variant, helpers) in [("recv", 0), ("recv_timeout", 0), ("recv", 2)] {
        let yard = Arc::new(tiny_yard::<u64>(8));
        let taken = Arc::new(AtomicU64::new(0));
        let count = Arc::clone(&taken);
        let timed = variant == "recv_timeout";
        yard.spawn("r", move |w| {
            let take = |w: &threadyard::Worker<u64>| -> Result<(), threadyard::StopRequested> {
                loop {
                    if timed {
                        if w.recv_timeout(HOUR)?.is_some() {
                            count.fetch_add(1, Ordering::SeqCst);
                        }
                    } else {
                        w.recv()?;
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                }
            };
            std::thread::scope(|scope| {
                for _ in 0..helpers {
                    scope.spawn(|| take(w));
                }
                take(w)
            })?;
            Ok(())
        })
        .unwrap();
        let flood = Flood::start(&yard, "r");
        for pause in 1..=40u64 {
            // The receiver is taking: the mailbox never runs dry.
            let before = taken.load(Ordering::SeqCst);
            until("the receiver takes", || {
                taken.load(Ordering::SeqCst) > before + 8
            });
            yard.pause("r").unwrap();
            let state = yard.wait_for_state("r", LONG, |s| s == WorkerState::Paused);
            assert_eq!(
                state,
                Ok(WorkerState::Paused),
                "{variant} with {helpers} helpers: pause {pause} never acknowledged \
                 by a receive with messages waiting"
            );
            // Paused: the mailbox fills and nothing more is received. A
            // receive that took its message just before the pause (its own
            // look said Running) may count it now, but at most one per
            // receiving thread.
            until("the flood fills the paused mailbox", || {
                yard.worker("r").unwrap().mailbox.depth >= 8
            });
            let at_pause = yard.worker("r").unwrap();
            let counted = taken.load(Ordering::SeqCst);
            for _ in 0..2000 {
                std::thread::yield_now();
            }
            let later = yard.worker("r").unwrap();
            assert_eq!(later.state, WorkerState::Paused);
            assert!(
                later.mailbox.received <= at_pause.mailbox.received + helpers + 1,
                "{variant}: messages received while paused: {:?} then {:?}",
                at_pause.mailbox,
                later.mailbox
            );
            // Takes that claimed their message before the pause may be
            // counted late: one per receiving thread at most.
            let threads = helpers + 1;
            assert!(taken.load(Ordering::SeqCst) <= counted + threads);
            assert_eq!(later.pause_count, pause, "each pause counted once");
            assert!(later.paused_ms >= at_pause.paused_ms);
            yard.resume("r").unwrap();
        }
        flood.stop();
        yard.stop("r").unwrap();
        assert_eq!(yard.join("r", LONG), Ok(WorkerState::Stopped));
        let m = yard.worker("r").unwrap().mailbox;
        assert_eq!(m.sent, m.received + m.depth as u64);
        let report = yard.shutdown(LONG);
        assert_eq!(report.undelivered_messages, m.depth as u64);
    }
}

/// A receive that found its message at once does not leave the worker
/// marked as waiting for one, also when the take lost to a pause and the
/// message was held through it; and a worker blocked on an empty mailbox
/// says it waits for a message.
#[test]
fn the_activity_around_a_receive_is_true() {
    let yard = Arc::new(tiny_yard::<u64>(2));
    let wrong = Arc::new(AtomicUsize::new(0));
    let taken = Arc::new(AtomicU64::new(0));
    let (seen_wrong, count) = (Arc::clone(&wrong), Arc::clone(&taken));
    yard.spawn("r", move |w| loop {
        w.recv()?;
        if w.activity() != Activity::Computing {
            seen_wrong.fetch_add(1, Ordering::SeqCst);
        }
        count.fetch_add(1, Ordering::SeqCst);
    })
    .unwrap();
    const N: u64 = 3000;
    let storm = Storm::start(&yard, "r");
    let sender = yard.sender("r").unwrap();
    for i in 0..N {
        sender.send_timeout(i, HOUR).unwrap();
    }
    until("every message taken", || taken.load(Ordering::SeqCst) == N);
    storm.stop();
    let _ = yard.resume("r");
    assert_eq!(
        wrong.load(Ordering::SeqCst),
        0,
        "a receive left its wait marked"
    );
    until("the idle receiver shows it waits for a message", || {
        let w = yard.worker("r").unwrap();
        w.state == WorkerState::Running && w.activity == Activity::WaitingForMessage
    });
    yard.stop("r").unwrap();
    assert_eq!(yard.join("r", LONG), Ok(WorkerState::Stopped));
}

/// In stepped mode a receive is still a scheduling point, also when its
/// message is already waiting: each grant lets exactly one message through.
#[test]
fn a_stepped_receive_takes_one_waiting_message_per_grant() {
    let yard = Yard::<u32>::builder()
        .stepped(Chooser::Learner)
        .build()
        .unwrap();
    let got = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&got);
    yard.spawn("r", move |w| loop {
        let m = w.recv()?;
        sink.lock().unwrap().push(m);
    })
    .unwrap();
    for m in 0..4 {
        yard.send("r", m).unwrap();
    }
    let steps = yard.settle(LONG).unwrap();
    assert_eq!(
        steps.lanes[0].next_text.as_deref(),
        Some("receive a message")
    );
    assert!(got.lock().unwrap().is_empty(), "taken without a grant");
    for granted in 1..=4usize {
        yard.grant("r").unwrap();
        yard.settle(LONG).unwrap();
        assert_eq!(
            *got.lock().unwrap(),
            (0..granted as u32).collect::<Vec<_>>(),
            "one message per grant"
        );
    }
    let m = yard.worker("r").unwrap().mailbox;
    assert_eq!((m.sent, m.received, m.depth), (4, 4, 0));
    let report = yard.shutdown(LONG);
    assert_eq!(report.undelivered_messages, 0);
}

/// Threads of one task (lent `&Worker`) receive from a mailbox that never
/// empties while the worker's own thread loops on its pause point, and
/// pauses come one after another: whichever thread acknowledges a pause
/// opens its interval, and no other thread's receive, having looked at the
/// state just before the pause, may close it. While the worker is paused
/// its paused time grows.
#[test]
fn a_receive_racing_a_pause_on_another_thread_keeps_the_pause_timed() {
    const HELPERS: usize = 3;
    const PAUSES: u64 = 300;
    let yard = Arc::new(tiny_yard::<u64>(16));
    let taken = Arc::new(AtomicU64::new(0));
    let count = Arc::clone(&taken);
    yard.spawn("r", move |w| {
        std::thread::scope(|scope| {
            for _ in 0..HELPERS {
                scope.spawn(|| {
                    while w.recv().is_ok() {
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                });
            }
            while w.pause_point().is_ok() {
                std::hint::spin_loop();
            }
        });
        Ok(())
    })
    .unwrap();
    let flood = Flood::start(&yard, "r");
    let mut lost = Vec::new();
    for pause in 0..PAUSES {
        let before = taken.load(Ordering::SeqCst);
        until("the receivers take", || {
            taken.load(Ordering::SeqCst) > before + 4
        });
        yard.pause("r").unwrap();
        assert_eq!(
            yard.wait_for_state("r", LONG, |s| s == WorkerState::Paused),
            Ok(WorkerState::Paused)
        );
        let first = yard.worker("r").unwrap();
        // Lets the clock move on by a few of its ticks (the figure is in
        // whole microseconds): an open pause interval grows meanwhile.
        let began = Instant::now();
        while began.elapsed() < Duration::from_millis(2) {
            std::thread::yield_now();
        }
        let second = yard.worker("r").unwrap();
        assert_eq!(second.state, WorkerState::Paused);
        if second.paused_ms <= first.paused_ms {
            lost.push((pause, first.paused_ms, second.paused_ms));
        }
        yard.resume("r").unwrap();
    }
    flood.stop();
    yard.stop("r").unwrap();
    assert_eq!(yard.join("r", LONG), Ok(WorkerState::Stopped));
    assert!(
        lost.is_empty(),
        "{} of {PAUSES} pauses stopped being timed while the worker stayed paused \
         (pause, paused_ms, paused_ms 2 ms later): {lost:?}",
        lost.len()
    );
}

/// A paused worker resumed and at once paused again, before its thread
/// woke: the thread wakes to the new request and acknowledges it without
/// ever running. `paused_ms`, the total time paused, must still count the
/// first pause (the new pause must not write over the one still open,
/// dropping it): in all, at least the time the test held each pause.
#[test]
fn a_pause_taken_again_before_the_worker_woke_keeps_the_first_pause_counted() {
    const PAUSES: u64 = 60;
    let yard = tiny_yard::<u64>(4);
    yard.spawn("r", move |w| loop {
        w.recv()?;
    })
    .unwrap();
    let mut held = Duration::ZERO;
    for pause in 1..=PAUSES {
        if pause == 1 {
            yard.pause("r").unwrap();
        } else {
            yard.resume("r").unwrap();
            yard.pause("r").unwrap();
        }
        until("the pause is acknowledged", || {
            let w = yard.worker("r").unwrap();
            w.state == WorkerState::Paused && w.pause_count == pause
        });
        // Held while the clock moves on by a few ticks, so each pause
        // measures.
        let seen = Instant::now();
        while seen.elapsed() < Duration::from_millis(1) {
            std::thread::yield_now();
        }
        held += seen.elapsed();
    }
    yard.stop("r").unwrap();
    assert_eq!(yard.join("r", LONG), Ok(WorkerState::Stopped));
    let w = yard.worker("r").unwrap();
    assert_eq!(w.pause_count, PAUSES);
    // Paused from before each was seen until after it was resumed; the
    // manager counts whole microseconds, one per pause allowed for it.
    let held_ms = held.as_secs_f64() * 1e3;
    assert!(
        w.paused_ms + 0.001 * PAUSES as f64 >= held_ms,
        "paused {} ms in all, but the test held its pauses {held_ms:.3} ms",
        w.paused_ms
    );
}
