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

/// The trace draws a worker's waits on a track under its own, each slice
/// named for what it waited for: a receive that timed out, a blocking
/// sleep, a send that found no room; and a send still blocked when the
/// trace is taken, marked as still waiting.
pub fn a_workers_waits_are_slices_of_its_activity_track_in_the_trace() {
    const WAIT: Duration = Duration::from_millis(20);
    let yard = Yard::<String>::new();
    let (gate, gate_rx) = channel::<()>();
    yard.spawn_with(
        "sink",
        WorkerOptions::new().mailbox_capacity(1),
        move |_| {
            gate_rx.recv().ok();
            Ok(())
        },
    )
    .unwrap();
    yard.send("sink", "fills it".into()).unwrap();
    let (tx, rx) = channel();
    yard.spawn("w", move |w| {
        let nothing = w.recv_timeout(WAIT)?.is_none();
        w.sleep(WAIT);
        let refused = w.send_to_timeout("sink", "no room".into(), WAIT).is_err();
        tx.send((nothing, refused)).unwrap();
        Ok(())
    })
    .unwrap();
    assert_eq!(next(&rx), (true, true));
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
    yard.spawn("producer", |w| {
        w.send_to_timeout("sink", "waits".into(), LONG).ok();
        Ok(())
    })
    .unwrap();
    doing(&yard, "producer", Activity::WaitingForRoom);

    let trace = serde_json::to_value(yard.trace()).unwrap();
    let events = trace["traceEvents"].as_array().unwrap();
    let track = |name: &str| {
        events
            .iter()
            .find(|e| e["name"] == "thread_name" && e["args"]["name"] == name)
            .unwrap_or_else(|| panic!("no track {name:?} in {trace}"))["tid"]
            .as_u64()
            .unwrap()
    };
    let slices = |tid: u64| -> Vec<(String, f64, serde_json::Value)> {
        events
            .iter()
            .filter(|e| e["ph"] == "X" && e["tid"] == tid)
            .map(|e| {
                (
                    e["name"].as_str().unwrap().to_owned(),
                    e["dur"].as_f64().unwrap(),
                    e["args"].clone(),
                )
            })
            .collect()
    };
    let w = track("w: waits");
    assert_eq!(
        w,
        track("w") + u64::from(threadyard::trace::ACTIVITY_TRACKS),
        "the waits track pairs with the worker's own"
    );
    let waits = slices(w);
    let mut names: Vec<&str> = waits.iter().map(|(name, ..)| name.as_str()).collect();
    // A receive woken early sleeps again: on a loaded machine its sleeps
    // can be more than 1 ms apart, and so two slices.
    names.dedup();
    assert_eq!(
        names,
        [
            "waiting for a message",
            "sleeping in a blocking call",
            "waiting for room in a full mailbox"
        ],
        "{waits:?}"
    );
    // A sleep and a timed send that found no room last their whole time
    // (the clock counts whole microseconds).
    let micros = WAIT.as_micros() as f64;
    for (name, dur, args) in waits
        .iter()
        .filter(|(name, ..)| name != "waiting for a message")
    {
        assert!(*dur >= micros - 1.0, "{name}: {dur} µs, waited {WAIT:?}");
        assert_eq!(args["waits"], 1, "{name}: {args}");
    }
    assert!(waits
        .iter()
        .all(|(_, _, args)| args["still_waiting"].is_null()));
    let producer = slices(track("producer: waits"));
    assert_eq!(producer.len(), 1, "{producer:?}");
    assert_eq!(producer[0].0, "waiting for room in a full mailbox");
    assert_eq!(producer[0].2["still_waiting"], "when the trace was taken");
    // The sink never waited in the manager: it has no waits track.
    assert!(!events
        .iter()
        .any(|e| e["name"] == "thread_name" && e["args"]["name"] == "sink: waits"));
    gate.send(()).unwrap();
    yard.shutdown(LONG);
}
