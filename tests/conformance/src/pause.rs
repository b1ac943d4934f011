use threadyard::{EventKind, WorkerState, Yard};

use crate::support::*;

/// Spawns a worker busy between pause points (blocked on a gate the manager
/// cannot see) and waits until it is there. Sending on the returned channel
/// lets it reach one pause point, complete one task and finish.
fn between_pause_points(yard: &Yard<String>, id: &str) -> std::sync::mpsc::Sender<()> {
    let (at_gate_tx, at_gate) = channel::<()>();
    let (gate_tx, gate) = channel::<()>();
    yard.spawn(id, move |w| {
        at_gate_tx.send(()).unwrap();
        gate.recv().ok();
        w.pause_point()?;
        w.task_done();
        Ok(())
    })
    .unwrap();
    next(&at_gate);
    gate_tx
}

pub fn pause_is_acknowledged_at_the_next_pause_point() {
    let yard = Yard::<String>::new();
    let gate_tx = between_pause_points(&yard, "w");
    yard.pause("w").unwrap();
    // Requested, not yet acknowledged: the task is between pause points.
    assert_eq!(yard.state("w").unwrap(), WorkerState::PauseRequested);
    assert!(yard.worker("w").unwrap().pause_pending_ms.is_some());
    gate_tx.send(()).unwrap();
    reach(&yard, "w", WorkerState::Paused);
    let snap = yard.worker("w").unwrap();
    assert_eq!(
        snap.tasks_completed, 0,
        "blocked at the pause point, before task_done"
    );
    assert_eq!(snap.pause_count, 1);
    assert_eq!(snap.pause_pending_ms, None);
    yard.resume("w").unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
    assert_eq!(yard.worker("w").unwrap().tasks_completed, 1);
}

pub fn paused_worker_makes_no_progress_while_others_do() {
    let yard = Yard::<String>::new();
    paused_counter(&yard, "a");
    let b = running_counter(&yard, "b");
    let frozen = yard.worker("a").unwrap().tasks_completed;
    // Let the other worker make real progress.
    let start = next(&b);
    while next(&b) < start + 1_000 {}
    assert_eq!(yard.worker("a").unwrap().tasks_completed, frozen);
    assert_eq!(yard.state("a").unwrap(), WorkerState::Paused);
    assert!(yard.worker("b").unwrap().tasks_completed >= start + 1_000);
}

pub fn resume_wakes_a_paused_worker() {
    let yard = Yard::<String>::new();
    let rx = paused_counter(&yard, "w");
    let frozen = yard.worker("w").unwrap().tasks_completed;
    while rx.try_recv().is_ok() {}
    yard.resume("w").unwrap();
    assert!(next(&rx) > frozen, "progress after resume");
    let snap = yard.worker("w").unwrap();
    assert_eq!(snap.pause_count, 1);
    assert!(snap.paused_ms > 0.0);
}

pub fn worker_can_pause_itself_on_a_message() {
    let yard = Yard::<String>::new();
    let (tx, rx) = channel();
    yard.spawn("w", move |w| loop {
        match w.recv()?.as_str() {
            "pause" => w.pause_self()?,
            "shutdown" => return Ok(()),
            other => tx.send(other.to_owned()).unwrap(),
        }
    })
    .unwrap();
    yard.send("w", "pause".into()).unwrap();
    reach(&yard, "w", WorkerState::Paused);
    yard.send("w", "hello".into()).unwrap();
    assert!(rx.try_recv().is_err(), "a paused worker reads nothing");
    yard.resume("w").unwrap();
    assert_eq!(next(&rx), "hello");
    yard.send("w", "shutdown".into()).unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
    let events = yard.events_since(0).events;
    assert!(events
        .iter()
        .any(|e| e.kind == EventKind::Paused { by_itself: true }));
    assert_eq!(yard.worker("w").unwrap().pause_count, 1);
}

pub fn pause_is_acknowledged_while_blocked_in_receive() {
    let yard = Yard::<String>::new();
    let (tx, rx) = channel();
    yard.spawn("w", move |w| loop {
        let m = w.recv()?;
        tx.send(m).unwrap();
    })
    .unwrap();
    yard.send("w", "first".into()).unwrap();
    assert_eq!(next(&rx), "first");
    // It is now blocked in recv with an empty mailbox.
    yard.pause("w").unwrap();
    reach(&yard, "w", WorkerState::Paused);
    yard.send("w", "second".into()).unwrap();
    yard.resume("w").unwrap();
    assert_eq!(next(&rx), "second");
}

pub fn resume_withdraws_a_pending_request() {
    let yard = Yard::<String>::new();
    let gate_tx = between_pause_points(&yard, "w");
    yard.pause("w").unwrap();
    yard.resume("w").unwrap();
    assert_eq!(yard.state("w").unwrap(), WorkerState::Running);
    gate_tx.send(()).unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
    assert_eq!(yard.worker("w").unwrap().pause_count, 0);
}

pub fn stop_wakes_a_paused_worker() {
    let yard = Yard::<String>::new();
    paused_counter(&yard, "w");
    yard.stop("w").unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
    assert!(yard.worker("w").unwrap().ended_at_ms.is_some());
}

pub fn paused_worker_waits_without_polling() {
    let yard = Yard::<String>::new();
    let a = paused_counter(&yard, "paused");
    let b = running_counter(&yard, "busy");
    let before = yard.worker("paused").unwrap().wakeups;
    // Plenty happens elsewhere while it is paused...
    let start = next(&b);
    while next(&b) < start + 2_000 {
        let _ = yard.snapshot();
    }
    // ...and its thread never woke: it sleeps on a wait, it does not poll.
    // (One spurious wakeup is allowed by the condition-variable contract.)
    let after = yard.worker("paused").unwrap().wakeups;
    assert!(
        after <= before + 1,
        "woke {} times while paused",
        after - before
    );
    yard.resume("paused").unwrap();
    next(&a);
}

/// The counter the no-polling case relies on does count: a receive that
/// times out on an empty mailbox must have waited, and woke once.
pub fn wakeups_count_returns_from_waits() {
    let yard = Yard::<String>::new();
    yard.spawn("w", |w| {
        assert_eq!(w.recv_timeout(std::time::Duration::from_millis(2))?, None);
        Ok(())
    })
    .unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
    let s = yard.worker("w").unwrap();
    assert!(s.wakeups >= 1, "woke {} times", s.wakeups);
    assert!(s.blocked_ms > 0.0);
}
