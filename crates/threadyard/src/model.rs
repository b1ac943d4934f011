//! loom models of the core's handshakes: every interleaving (up to the
//! preemption bound) of the real code, with loom's locks, condition variables
//! and atomics swapped in by `sync.rs`. loom fails a model on a deadlock, so
//! a lost wakeup shows up as "deadlock" rather than as a hang.
//!
//! Run with `RUSTFLAGS="--cfg loom" cargo test -p threadyard --release --lib model`
//! (`cargo xtask test` does, with `LOOM_MAX_PREEMPTIONS=2`; raise it to search
//! deeper).

use std::time::Duration;

use loom::thread;

use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::StopRequested;
use crate::events::EventLog;
use crate::id::WorkerId;
use crate::policy::RestartPolicy;
use crate::slot::{Slot, SlotParts, Want};
use crate::state::{Action, WorkerState};
use crate::sync::Arc;
use crate::threads::ThreadCounts;

/// The slot under test; the task it keeps until start plays no part here.
type TestSlot = Slot<u32, ()>;

/// A started worker's slot, as `Yard::start` leaves it, with a mailbox of
/// `capacity`, and the change signal it reports to.
fn running_slot_and_changes(capacity: usize) -> (Arc<TestSlot>, Arc<Changes>) {
    let (slot, changes) = running_slot_unshared(capacity);
    (Arc::new(slot), changes)
}

/// As [`running_slot_and_changes`], before it is shared (so a model can
/// break its protocol on purpose first).
fn running_slot_unshared(capacity: usize) -> (TestSlot, Arc<Changes>) {
    let clock = Clock::new();
    let changes = Arc::new(Changes::default());
    let threads = ThreadCounts::default();
    threads
        .reserve(None, None)
        .unwrap_or_else(|_| unreachable!());
    let slot = Slot::new(SlotParts {
        id: WorkerId::new("w").unwrap_or_else(|_| unreachable!()),
        task: (),
        mailbox_capacity: capacity,
        restart: RestartPolicy::Never,
        events: Arc::new(EventLog::new(64, clock.clone())),
        clock,
        changes: Arc::clone(&changes),
        threads,
        record_messages: false,
        shut_down: Arc::default(),
        stepped: false,
        incarnation: 1,
        undelivered_after_removal: Arc::default(),
    });
    assert!(slot.mark_started().is_ok());
    (slot, changes)
}

fn running_slot(capacity: usize) -> Arc<TestSlot> {
    running_slot_and_changes(capacity).0
}

/// pause() and resume() race with the worker reaching its pause point: the
/// worker never sleeps through the resume, and ends Running.
#[test]
fn pause_then_resume_racing_a_pause_point() {
    loom::model(|| {
        let slot = running_slot(4);
        let worker = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || slot.wait_at(Want::PastPause, None))
        };
        let _ = slot.control(Action::Pause);
        // Refused only if the worker had not acknowledged yet and... never:
        // Resume is allowed from both PauseRequested and Paused.
        assert!(slot.control(Action::Resume).is_ok());
        assert!(matches!(worker.join().unwrap(), Ok(None)));
        assert_eq!(slot.state(), WorkerState::Running);
    });
}

/// stop() races with a worker pausing itself: it always wakes with
/// StopRequested.
#[test]
fn stop_racing_a_self_pause() {
    loom::model(|| {
        let slot = running_slot(4);
        let worker = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || slot.pause_itself())
        };
        assert!(slot.control(Action::Stop).is_ok());
        assert_eq!(worker.join().unwrap(), Err(StopRequested));
    });
}

/// Two sends into a one-message mailbox (the second waits for room) race
/// with the worker's two receives: both arrive, in order, and neither side
/// sleeps through the other's wakeup.
#[test]
fn full_mailbox_sender_and_receiver() {
    sender_blocked_on_a_full_mailbox(true);
}

/// The same with the sender's second look taken out: loom must find the
/// interleaving where the sender, having found the mailbox full, registers
/// just after the take that freed its place looked for sleepers and found
/// none, and sleeps with room (a deadlock: the worker waits for the
/// message the sleeping sender holds).
#[test]
fn loom_finds_the_lost_wakeup_without_the_senders_recheck_before_sleeping() {
    assert_loom_finds_a_deadlock(|| sender_blocked_on_a_full_mailbox(false));
}

fn sender_blocked_on_a_full_mailbox(room_recheck: bool) {
    loom::model(move || {
        let (mut slot, _) = running_slot_unshared(1);
        if !room_recheck {
            slot.break_room_recheck();
        }
        let slot = Arc::new(slot);
        let sender = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || {
                for message in [1, 2] {
                    assert!(slot.push(message, Some(Duration::MAX), None).is_ok());
                }
            })
        };
        let first = slot.wait_at(Want::Message, None);
        let second = slot.wait_at(Want::Message, None);
        sender.join().unwrap();
        assert_eq!((first, second), (Ok(Some(1)), Ok(Some(2))));
    });
}

/// Shutdown (stop, then close the mailbox) races with a worker blocked in a
/// receive and with a sender: the worker wakes with StopRequested; the
/// sender either delivers (the message is then read, or counted unread at
/// the worker's end) or gets its message back; what the worker got is
/// exactly what is counted received.
#[test]
fn shutdown_racing_a_receive_and_a_send() {
    loom::model(|| {
        let slot = running_slot(4);
        let worker = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || {
                let mut got = 0;
                loop {
                    match slot.wait_at(Want::Message, None) {
                        Ok(Some(_)) => got += 1,
                        Ok(None) => {}
                        Err(stop) => return (stop, got),
                    }
                }
            })
        };
        let sender = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || slot.push(7, None, None).is_ok())
        };
        slot.stop_and_close();
        let (stop, got) = worker.join().unwrap();
        assert_eq!(stop, StopRequested);
        let received = slot.snapshot().mailbox.received;
        assert_eq!(received, got, "counted received is what the worker got");
        // The worker's end, as its runner records it: the mailbox drained.
        slot.finish(None);
        let delivered = sender.join().unwrap();
        assert_eq!(
            delivered as usize,
            received as usize + slot.unread(),
            "every accepted message is read or counted unread"
        );
    });
}

/// A running worker with the message 7 queued, and its thread receiving.
fn receiving_a_queued_7() -> (
    Arc<TestSlot>,
    thread::JoinHandle<Result<Option<u32>, StopRequested>>,
) {
    let slot = running_slot(2);
    assert!(slot.push(7, None, None).is_ok());
    let worker = {
        let slot = Arc::clone(&slot);
        thread::spawn(move || slot.wait_at(Want::Message, None))
    };
    (slot, worker)
}

/// A receive's take races a stop with a message already queued: the take
/// either comes first (the worker gets the message, counted received) or
/// sees the stop after claiming the message and puts it back, so it is
/// counted unread and drained at the end, never lost and never both.
#[test]
fn a_take_racing_a_stop_puts_the_message_back() {
    loom::model(|| {
        let (slot, worker) = receiving_a_queued_7();
        assert!(slot.stop().is_ok());
        let got = worker.join().unwrap();
        slot.finish(None);
        let mailbox = slot.snapshot().mailbox;
        match got {
            Ok(Some(7)) => assert_eq!((mailbox.received, slot.unread()), (1, 0)),
            Err(StopRequested) => assert_eq!((mailbox.received, slot.unread()), (0, 1)),
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(mailbox.sent, 1);
    });
}

/// A joiner waiting for the final state races with the worker's end: it is
/// always woken.
#[test]
fn join_racing_the_end_of_a_worker() {
    loom::model(|| {
        let (slot, changes) = running_slot_and_changes(4);
        let ender = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || slot.finish(None))
        };
        assert!(changes.wait(None, || slot.state().is_finished()));
        ender.join().unwrap();
        assert_eq!(slot.state(), WorkerState::Stopped);
    });
}

/// One send into a one-message mailbox races the worker's receive on that
/// last slot: the receive always gets it. This is the hand-off the fence
/// protocol guards (mailbox.rs): the sender queues without a lock and looks
/// for a sleeper; the receiver registers to sleep and looks for a message.
fn send_racing_receive_on_the_last_slot(fence_after_push: bool, recheck: bool) {
    loom::model(move || {
        let (mut slot, _) = running_slot_unshared(1);
        slot.break_protocol(fence_after_push, recheck);
        let slot = Arc::new(slot);
        let sender = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || slot.push(1, None, None).is_ok())
        };
        assert_eq!(slot.wait_at(Want::Message, None), Ok(Some(1)));
        assert!(sender.join().unwrap());
        let mailbox = slot.snapshot().mailbox;
        assert_eq!((mailbox.sent, mailbox.received, mailbox.depth), (1, 1, 0));
    });
}

#[test]
fn a_send_racing_a_receive_on_the_last_slot() {
    send_racing_receive_on_the_last_slot(true, true);
}

/// The protocol with one part taken out, each shown to lose a wakeup: loom
/// must find the interleaving where the receiver sleeps with a message
/// queued and nobody left to wake it (it reports a deadlock). If it ever
/// stops finding it, the model above no longer checks what it claims to.
#[test]
fn loom_finds_the_lost_wakeup_without_the_fence_after_push() {
    assert_loom_finds_a_deadlock(|| send_racing_receive_on_the_last_slot(false, true));
}

#[test]
fn loom_finds_the_lost_wakeup_without_the_recheck_before_sleeping() {
    assert_loom_finds_a_deadlock(|| send_racing_receive_on_the_last_slot(true, false));
}

/// Runs a model that must fail, and checks it failed the way a lost wakeup
/// does: loom's "deadlock" (a thread waiting with nobody left to wake it),
/// not some other panic.
fn assert_loom_finds_a_deadlock(model: impl FnOnce() + std::panic::UnwindSafe) {
    let found = std::panic::catch_unwind(model).expect_err("loom found no lost wakeup");
    let message = found
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| found.downcast_ref::<&str>().copied())
        .unwrap_or("");
    assert!(
        message.contains("deadlock"),
        "the broken variant failed, but not by a lost wakeup: {message}"
    );
}

/// A sender blocked on a full mailbox races the worker's end: it gets its
/// message back (`Finished`), or, if it got in after all, its message is
/// counted undelivered; either way nothing stays queued and nobody hangs.
#[test]
fn a_blocked_sender_racing_close() {
    loom::model(|| {
        let slot = running_slot(1);
        assert!(slot.push(1, None, None).is_ok());
        let sender = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || slot.push(2, Some(Duration::MAX), None))
        };
        slot.finish(None);
        let sent = match sender.join().unwrap() {
            Ok(()) => 2,
            Err(crate::error::SendError::Finished { message: 2, .. }) => 1,
            Err(other) => panic!("unexpected {other:?}"),
        };
        let mailbox = slot.snapshot().mailbox;
        assert_eq!((mailbox.sent, mailbox.received), (sent, 0));
        assert_eq!(slot.unread(), sent as usize, "all counted undelivered");
    });
}

/// A receive races a pause, a send and a resume: the worker pauses or the
/// request is withdrawn, is woken by the resume, and gets the message.
#[test]
fn a_receive_racing_a_pause() {
    loom::model(|| {
        let slot = running_slot(1);
        let worker = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || loop {
                if let Some(message) = slot.wait_at(Want::Message, None)? {
                    return Ok::<_, StopRequested>(message);
                }
            })
        };
        let _ = slot.control(Action::Pause);
        assert!(slot.push(5, None, None).is_ok());
        assert!(slot.control(Action::Resume).is_ok());
        assert_eq!(worker.join().unwrap(), Ok(5));
        assert_eq!(slot.state(), WorkerState::Running);
    });
}

/// Two threads receive on one worker (a task lends `&Worker` to a helper)
/// while two messages are sent: the sender that wakes the sleepers takes
/// their registrations, and still each receiver gets one message.
#[test]
fn two_receivers_woken_by_two_sends() {
    loom::model(|| {
        let slot = running_slot(2);
        let receivers: Vec<_> = (0..2)
            .map(|_| {
                let slot = Arc::clone(&slot);
                thread::spawn(move || slot.wait_at(Want::Message, None))
            })
            .collect();
        for message in [1, 2] {
            assert!(slot.push(message, None, None).is_ok());
        }
        let mut got: Vec<_> = receivers
            .into_iter()
            .map(|r| r.join().unwrap().unwrap().unwrap())
            .collect();
        got.sort_unstable();
        assert_eq!(got, [1, 2]);
    });
}

/// A hub in stepped mode with `chooser`, and two workers started on it.
fn stepped_hub(chooser: &crate::steps::Chooser) -> (Arc<crate::hub::Hub>, [WorkerId; 2]) {
    let clock = Clock::new();
    let hub = Arc::new(crate::hub::Hub::new(
        Arc::new(EventLog::new(64, clock)),
        Arc::new(Changes::default()),
        Some(chooser),
    ));
    let ids = ["a", "b"].map(|n| WorkerId::new(n).unwrap_or_else(|_| unreachable!()));
    for id in &ids {
        hub.started(id);
    }
    (hub, ids)
}

/// A worker thread: `points` scheduling points, then its end.
fn stepper(hub: &Arc<crate::hub::Hub>, id: &WorkerId, points: usize) -> thread::JoinHandle<()> {
    let (hub, id) = (Arc::clone(hub), id.clone());
    thread::spawn(move || {
        for _ in 0..points {
            assert!(hub
                .point(&id, crate::steps::Op::PausePoint, &|| false)
                .is_ok());
        }
        hub.ended(&id);
    })
}

/// The grant handshake under a fixed schedule: whatever order the threads
/// reach their points in, the chooser grants only once the run has settled,
/// every grant is taken, and the schedule followed is the one given.
#[test]
fn fixed_schedule_grants_racing_workers_reaching_their_points() {
    loom::model(|| {
        let chooser = crate::steps::Chooser::Fixed {
            schedule: vec![1, 0, 0, 1],
        };
        let (hub, ids) = stepped_hub(&chooser);
        let workers = [stepper(&hub, &ids[0], 2), stepper(&hub, &ids[1], 2)];
        assert!(hub.begin().is_ok());
        let done = hub.settle(None).unwrap_or_else(|_| unreachable!());
        for worker in workers {
            worker.join().unwrap();
        }
        assert!(done.finished);
        assert_eq!(done.schedule, [1, 0, 0, 1]);
        assert_eq!(done.left_schedule, None);
    });
}

/// A learner's grant races with the granted worker taking it and reaching
/// its next point: settle always returns once the step is done, and a grant
/// made before the run settles is refused, never lost.
#[test]
fn learner_grant_racing_the_step_it_grants() {
    loom::model(|| {
        let (hub, ids) = stepped_hub(&crate::steps::Chooser::Learner);
        let workers = [stepper(&hub, &ids[0], 1), stepper(&hub, &ids[1], 1)];
        // Refused before the run settles (both still on their way), or
        // granted once it has; never lost either way.
        let early = hub.grant("b").is_ok();
        for who in if early { vec!["a"] } else { vec!["b", "a"] } {
            let settled = hub.settle(None).unwrap_or_else(|_| unreachable!());
            assert!(settled.settled);
            assert!(hub.grant(who).is_ok());
        }
        let done = hub.settle(None).unwrap_or_else(|_| unreachable!());
        for worker in workers {
            worker.join().unwrap();
        }
        assert!(done.finished);
        assert_eq!(done.schedule, [1, 0]);
    });
}

/// A sender gives up at its deadline (loom has no time: its `cancel`)
/// just as a take chooses it: whichever comes first, the other sleeper is
/// woken (the take's wakeup passes on), or the model deadlocks.
#[test]
fn a_sender_giving_up_racing_a_take_passes_the_wakeup_on() {
    use crate::mailbox::Room;
    use crate::sync::{AtomicUsize, Ordering};
    loom::model(|| {
        let room = Arc::new(Room::new());
        let registered = Arc::new(AtomicUsize::new(0));
        let quitter = {
            let (room, registered) = (Arc::clone(&room), Arc::clone(&registered));
            thread::spawn(move || {
                let ticket = room.register();
                registered.fetch_add(1, Ordering::SeqCst);
                room.cancel(ticket);
            })
        };
        let sleeper = {
            let (room, registered) = (Arc::clone(&room), Arc::clone(&registered));
            thread::spawn(move || {
                let ticket = room.register();
                registered.fetch_add(1, Ordering::SeqCst);
                room.wait(ticket, None);
            })
        };
        // The take frees its place once both are asleep or about to be
        // (one that registers later looks at the queue again itself).
        while registered.load(Ordering::SeqCst) < 2 {
            thread::yield_now();
        }
        room.wake_one();
        quitter.join().unwrap();
        sleeper.join().unwrap();
    });
}

/// A receive that loses to a pause holds its message through the pause and
/// gets it once resumed; while paused, the message counts as waiting.
#[test]
fn a_take_racing_a_pause_holds_the_message_through_it() {
    loom::model(|| {
        let (slot, worker) = receiving_a_queued_7();
        let paused = slot.control(Action::Pause).is_ok();
        if paused {
            if slot.state() == WorkerState::Paused {
                // Acknowledged: the worker is not running, so the figures
                // are exact, the held message counted as waiting.
                assert_eq!(slot.snapshot().mailbox.sent, 1);
            }
            let _ = slot.control(Action::Resume);
        }
        assert_eq!(worker.join().unwrap(), Ok(Some(7)));
        let m = slot.snapshot().mailbox;
        assert_eq!((m.sent, m.received, m.depth), (1, 1, 0));
    });
}

/// A thread of the task (lent `&Worker`) begins a receive, finding the
/// worker running, while the worker's own thread pauses itself: once the
/// worker is Paused its pause is being timed. The receive that looked at
/// the state just before the pause must not end the new pause's interval
/// (with one preemption, it did: `paused_ms` then stood still however long
/// the pause lasted).
#[test]
fn a_lent_receive_racing_a_self_pause_keeps_the_pause_timed() {
    loom::model(|| {
        let slot = running_slot(1);
        let helper = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || {
                let _ = slot.take_at_once();
            })
        };
        let worker = {
            let slot = Arc::clone(&slot);
            thread::spawn(move || slot.pause_itself())
        };
        helper.join().unwrap();
        assert!(!slot.paused_untimed(), "Paused, and its pause not timed");
        assert!(slot.control(Action::Stop).is_ok());
        assert_eq!(worker.join().unwrap(), Err(StopRequested));
    });
}
