//! What a Running worker is doing: computing, or waiting for a message,
//! for room in a full mailbox, or in a blocking call. Busy time is time
//! computing.

use std::time::Duration;

use threadyard::{Activity, WorkerOptions, WorkerState, Yard};

use crate::support::*;

fn activity<T: Send + 'static>(yard: &Yard<T>, id: &str) -> Activity {
    yard.worker(id).unwrap().activity
}

/// Waits until worker `id` is doing `what`. Long waits (room, blocking
/// calls) signal the manager's change waiters, so this waits on the event.
fn doing<T: Send + 'static>(yard: &Yard<T>, id: &str, what: Activity) {
    yard.wait_for_state(id, LONG, |_| activity(yard, id) == what)
        .unwrap_or_else(|e| panic!("{id} never began {what:?}: {e}"));
}

/// A worker blocked in `recv` is waiting for a message (a pause requested
/// meanwhile is acknowledged in there, which is how the case knows it is
/// in it); once it has one, it is computing again.
pub fn a_worker_in_recv_is_waiting_for_a_message() {
    let yard = Yard::<String>::new();
    let (tx, rx) = channel();
    yard.spawn("w", move |w| loop {
        let _message = w.recv()?;
        tx.send(w.activity()).unwrap();
    })
    .unwrap();
    yard.pause("w").unwrap();
    reach(&yard, "w", WorkerState::Paused);
    assert_eq!(activity(&yard, "w"), Activity::WaitingForMessage);
    yard.resume("w").unwrap();
    yard.send("w", "work".into()).unwrap();
    assert_eq!(next(&rx), Activity::Computing);
    assert_eq!(yard.shutdown(LONG).clean.len(), 1);
}

/// A worker whose send waits for room in a full mailbox is waiting for
/// room (back-pressure), not computing; when room comes it goes on.
pub fn a_worker_in_a_blocked_send_is_waiting_for_room() {
    let yard = Yard::<String>::new();
    let (gate, gate_rx) = channel::<()>();
    yard.spawn_with("sink", WorkerOptions::new().mailbox_capacity(1), move |w| {
        if gate_rx.recv().is_err() {
            return Ok(());
        }
        loop {
            w.recv()?;
        }
    })
    .unwrap();
    yard.send("sink", "fills it".into()).unwrap();
    let (tx, rx) = channel();
    yard.spawn("producer", move |w| {
        let sent = w.send_to_timeout("sink", "waits".into(), LONG).is_ok();
        tx.send((sent, w.activity())).unwrap();
        Ok(())
    })
    .unwrap();
    doing(&yard, "producer", Activity::WaitingForRoom);
    gate.send(()).unwrap();
    assert_eq!(next(&rx), (true, Activity::Computing));
    assert_eq!(yard.join("producer", LONG).unwrap(), WorkerState::Stopped);
    assert_eq!(activity(&yard, "producer"), Activity::Computing);
    assert_eq!(yard.shutdown(LONG).clean.len(), 2);
}

/// A worker in a blocking call is sleeping: the time is counted as waited,
/// not busy. Outside it, the worker is computing.
pub fn a_worker_in_a_blocking_call_is_sleeping_not_busy() {
    const NAP: Duration = Duration::from_millis(30);
    let yard = Yard::<String>::new();
    let (inside_tx, inside) = channel();
    let (gate, gate_rx) = channel::<()>();
    let (out_tx, out) = channel();
    yard.spawn("w", move |w| {
        let computing = w.activity();
        w.blocking(|| {
            inside_tx.send(()).unwrap();
            gate_rx.recv().ok();
        });
        w.sleep(NAP);
        out_tx.send((computing, w.activity())).unwrap();
        Ok(())
    })
    .unwrap();
    next(&inside);
    assert_eq!(activity(&yard, "w"), Activity::Sleeping);
    gate.send(()).unwrap();
    assert_eq!(next(&out), (Activity::Computing, Activity::Computing));
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
    let s = yard.worker("w").unwrap();
    // A sleep never returns early, and the clock counts whole microseconds.
    assert!(
        s.waited_ms >= NAP.as_secs_f64() * 1e3 - 0.01,
        "slept {NAP:?}, waited_ms {}",
        s.waited_ms
    );
    assert!(
        s.busy_ms <= s.wall_ms - s.waited_ms + 0.01,
        "busy {} ms of {} ms, {} ms of it asleep",
        s.busy_ms,
        s.wall_ms,
        s.waited_ms
    );
}

/// A worker waiting for a lock another worker holds is waiting for a lock,
/// not computing; once it has the lock it computes again.
pub fn a_worker_blocked_on_a_held_lock_is_waiting_for_a_lock() {
    let yard = Yard::<String>::new();
    let lock = yard.lock("L").unwrap();
    let release = owner_holding(&yard, &lock);
    let (tx, rx) = channel();
    yard.spawn("waiter", move |w| {
        lock.lock(w)?;
        tx.send(w.activity()).unwrap();
        lock.unlock(w)?;
        Ok(())
    })
    .unwrap();
    doing(&yard, "waiter", Activity::WaitingForLock);
    release.send(()).unwrap();
    assert_eq!(next(&rx), Activity::Computing);
    assert_eq!(yard.join("waiter", LONG).unwrap(), WorkerState::Stopped);
    assert_eq!(yard.shutdown(LONG).clean.len(), 2);
}
