//! The ready-made workloads behave like the seed's worker.

use threadyard::workloads::{Pace, Workload, WorkloadError};
use threadyard::{EventKind, RestartPolicy, WorkerOptions, WorkerState, Yard};

use crate::support::*;

fn spawn(yard: &Yard<String>, id: &str, workload: &str) {
    let spec: Workload = serde_json::from_str(workload).expect("a valid spec");
    yard.spawn(id, spec.task().expect("valid parameters"))
        .unwrap();
}

/// Every workload asks for its own pause on "pause" as the seed's worker does
/// (pause requested, then paused at its next pause point, never a pause
/// with no request), goes on when resumed, records an unknown message as an
/// error, and finishes cleanly on "shutdown".
pub fn every_workload_obeys_the_seed_messages() {
    for spec in [
        r#"{"kind":"data-processor","item_ms":0.5}"#,
        r#"{"kind":"cpu-bound","work_per_item":1000}"#,
        r#"{"kind":"chatty","item_ms":0.5}"#,
        r#"{"kind":"batch","item_ms":0.5}"#,
        r#"{"kind":"producer","item_ms":0.5}"#,
        r#"{"kind":"consumer","item_ms":0.5}"#,
        r#"{"kind":"flaky","item_ms":0.5,"fail_every":1000000}"#,
    ] {
        let yard = Yard::<String>::new();
        spawn(&yard, "w", spec);
        yard.send("w", "pause".into()).unwrap();
        reach(&yard, "w", WorkerState::Paused);
        let moves: Vec<EventKind> = yard
            .events_since(0)
            .events
            .into_iter()
            .filter(|e| e.state.is_some())
            .map(|e| e.kind)
            .collect();
        let requested = moves.iter().position(|k| *k == EventKind::PauseRequested);
        let paused = moves
            .iter()
            .position(|k| *k == EventKind::Paused { by_itself: false });
        assert!(
            matches!((requested, paused), (Some(r), Some(p)) if r < p),
            "{spec}: pause requested, then paused at a pause point: {moves:?}"
        );
        assert!(
            !moves.contains(&EventKind::Paused { by_itself: true }),
            "{spec}: {moves:?}"
        );
        let frozen = yard.worker("w").unwrap().tasks_completed;
        yard.resume("w").unwrap();
        yard.send("w", "shutdown".into()).unwrap();
        assert_eq!(
            yard.join("w", LONG).unwrap(),
            WorkerState::Stopped,
            "{spec}"
        );
        let s = yard.worker("w").unwrap();
        assert_eq!(s.pause_count, 1, "{spec}");
        assert!(s.tasks_completed >= frozen, "{spec}");
    }
    let yard = Yard::<String>::new();
    spawn(&yard, "w", r#"{"kind":"data-processor","item_ms":1000}"#);
    yard.send("w", "bogus".into()).unwrap();
    yard.send("w", "shutdown".into()).unwrap();
    yard.join("w", LONG).unwrap();
    let s = yard.worker("w").unwrap();
    assert_eq!(s.errors, 1);
    assert!(s.last_error.unwrap().contains("bogus"));
}

pub fn cpu_bound_completes_items_and_chatty_talks_to_peers() {
    let yard = Yard::<String>::new();
    spawn(&yard, "cpu", r#"{"kind":"cpu-bound","work_per_item":100}"#);
    // It reads messages only after finishing an item, so once paused by a
    // message it has completed at least one.
    yard.send("cpu", "pause".into()).unwrap();
    reach(&yard, "cpu", WorkerState::Paused);
    assert!(yard.worker("cpu").unwrap().tasks_completed >= 1);

    // A probe peer hears from both chatty workers.
    let (heard_tx, heard) = channel();
    yard.spawn("probe", move |w| loop {
        heard_tx.send(w.recv()?).ok();
    })
    .unwrap();
    for id in ["a", "b"] {
        spawn(&yard, id, r#"{"kind":"chatty","item_ms":0.2}"#);
    }
    let (mut from_a, mut from_b) = (false, false);
    while !(from_a && from_b) {
        let message = next(&heard);
        from_a |= message == "hello from a";
        from_b |= message == "hello from b";
    }
    let report = yard.shutdown(LONG);
    assert_eq!(report.clean.len(), 4);
    assert!(yard.worker("a").unwrap().tasks_completed >= 1);
}

pub fn workload_specs_are_checked() {
    let parse = |json: &str| serde_json::from_str::<Workload>(json);
    assert!(parse(r#"{"kind":"juggler"}"#).is_err(), "unknown kind");
    assert!(
        parse(r#"{"kind":"data-processor"}"#).is_err(),
        "missing item_ms"
    );
    assert!(
        parse(r#"{"kind":"data-processor","item_ms":"fast"}"#).is_err(),
        "not a number"
    );
    assert!(
        parse(r#"{"kind":"data-processor","item_ms":5,"extra":1}"#).is_err(),
        "unknown field"
    );
    let check = |json: &str| parse(json).unwrap().validate();
    assert_eq!(
        check(r#"{"kind":"data-processor","item_ms":0}"#),
        Err(WorkloadError::ItemTime(0.0))
    );
    assert_eq!(
        check(r#"{"kind":"chatty","item_ms":-3}"#),
        Err(WorkloadError::ItemTime(-3.0))
    );
    assert_eq!(
        check(r#"{"kind":"chatty","item_ms":1e9}"#),
        Err(WorkloadError::ItemTime(1e9))
    );
    assert_eq!(
        check(r#"{"kind":"cpu-bound","work_per_item":0}"#),
        Err(WorkloadError::NoWork)
    );
    assert!(
        check(r#"{"kind":"cpu-bound","work_per_item":-1}"#.replace("-1", "1").as_str()).is_ok()
    );
    assert!(
        parse(r#"{"kind":"cpu-bound","work_per_item":-1}"#).is_err(),
        "negative work"
    );
    assert_eq!(
        check(r#"{"kind":"flaky","item_ms":5,"fail_every":0}"#),
        Err(WorkloadError::NoFailure)
    );
    assert_eq!(
        check(r#"{"kind":"batch","item_ms":0}"#),
        Err(WorkloadError::ItemTime(0.0))
    );
    assert!(
        parse(r#"{"kind":"flaky","item_ms":5}"#).is_err(),
        "missing fail_every"
    );
}

/// The producer sends its items in order and drops none: while its consumer
/// does not read, it waits, so it never has more accepted than were read
/// plus the mailbox's capacity.
pub fn producer_waits_for_room_and_drops_nothing() {
    let yard = Yard::<String>::builder()
        .mailbox_capacity(2)
        .build()
        .unwrap();
    let (gate, gate_rx) = channel::<()>();
    let (heard_tx, heard) = channel();
    yard.spawn("sink", move |w| loop {
        if gate_rx.recv().is_err() {
            return Ok(());
        }
        heard_tx.send(w.recv()?).ok();
    })
    .unwrap();
    spawn(&yard, "producer", r#"{"kind":"producer","item_ms":0.2}"#);
    for i in 1..=10 {
        gate.send(()).unwrap();
        assert_eq!(next(&heard), format!("item {i} from producer"));
        let accepted = yard.worker("producer").unwrap().tasks_completed;
        assert!(
            accepted <= i + 2,
            "{accepted} accepted, {i} read, room for 2"
        );
    }
    drop(gate);
    let report = yard.shutdown(LONG);
    assert_eq!(report.clean.len(), 2);
}

/// The flaky workload panics every `fail_every` items; a restart policy
/// brings it back until its budget is spent.
pub fn flaky_panics_and_is_restarted_by_its_policy() {
    let yard = Yard::<String>::new();
    let task = serde_json::from_str::<Workload>(r#"{"kind":"flaky","item_ms":0.2,"fail_every":3}"#)
        .unwrap()
        .task()
        .unwrap();
    let policy = RestartPolicy::OnFailure {
        max_restarts: 2,
        window: LONG,
    };
    yard.spawn_with("flaky", WorkerOptions::new().restart(policy), task)
        .unwrap();
    assert_eq!(yard.join("flaky", LONG).unwrap(), WorkerState::Failed);
    let s = yard.worker("flaky").unwrap();
    assert_eq!(s.restarts, 2);
    assert_eq!(s.tasks_completed, 6, "two good items per run, three runs");
    assert!(s.last_error.unwrap().contains("item 9 was malformed"));
}

/// A pace shared by several workers' tasks is checked and can be turned
/// while they run; a worker made at a high speed still obeys its messages.
pub fn pace_is_checked_and_shared() {
    for bad in [0.0, -1.0, 1000.0, f64::NAN] {
        assert!(
            matches!(Pace::new(bad), Err(WorkloadError::Speed(_))),
            "{bad}"
        );
    }
    let pace = Pace::new(100.0).unwrap();
    let yard = Yard::<String>::new();
    let spec = Workload::DataProcessor { item_ms: 50.0 };
    yard.spawn("w", spec.task_paced(&pace).unwrap()).unwrap();
    pace.set(50.0).unwrap();
    assert!(pace.set(0.001).is_err());
    assert!(
        (pace.speed() - 50.0).abs() < f64::EPSILON,
        "a refused speed changes nothing"
    );
    yard.send("w", "shutdown".into()).unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
}

/// A timer on its own worker: sends a tick every `every` until it gets a
/// message. The cases below measure a pause in its ticks instead of sleeping.
fn ticker(yard: &Yard<String>, every: std::time::Duration) -> std::sync::mpsc::Receiver<()> {
    let (tick_tx, ticks) = channel();
    yard.spawn("ticker", move |w| loop {
        if w.recv_timeout(every)?.is_some() {
            return Ok(());
        }
        if tick_tx.send(()).is_err() {
            return Ok(());
        }
    })
    .unwrap();
    ticks
}

fn ticks(rx: &std::sync::mpsc::Receiver<()>, n: usize) {
    for _ in 0..n {
        next(rx);
    }
}

/// A paced worker loses the time it spent paused, however the pause came
/// (asked for by the manager, or by the worker itself on the message
/// "pause"): after the
/// resume it goes on at its pace from where it stopped and never catches
/// up. Beside an unpaused twin it ends about as many items behind as fit in
/// the pause; one that caught up would end level with it.
pub fn a_paced_worker_never_catches_up_after_a_pause() {
    const ITEM_MS: f64 = 10.0;
    const PAUSE_TICKS: usize = 30; // at least 300 ms: 30 items' time
    for by_message in [false, true] {
        let yard = Yard::<String>::new();
        let ticks_rx = ticker(&yard, std::time::Duration::from_millis(10));
        let spec = format!(r#"{{"kind":"data-processor","item_ms":{ITEM_MS}}}"#);
        spawn(&yard, "steady", &spec);
        spawn(&yard, "paused", &spec);
        ticks(&ticks_rx, 3);
        if by_message {
            yard.send("paused", "pause".into()).unwrap();
        } else {
            yard.pause("paused").unwrap();
        }
        reach(&yard, "paused", WorkerState::Paused);
        let frozen = yard.worker("paused").unwrap().tasks_completed;
        ticks(&ticks_rx, PAUSE_TICKS);
        yard.resume("paused").unwrap();
        ticks(&ticks_rx, PAUSE_TICKS);
        let report = yard.broadcast("shutdown".into());
        assert_eq!(report.recipients.len(), 3);
        for id in ["steady", "paused", "ticker"] {
            assert_eq!(yard.join(id, LONG).unwrap(), WorkerState::Stopped, "{id}");
        }
        let steady = yard.worker("steady").unwrap().tasks_completed;
        let paused = yard.worker("paused").unwrap().tasks_completed;
        assert!(
            paused > frozen,
            "by_message {by_message}: it went on after the resume ({frozen} then {paused})"
        );
        let behind = steady.saturating_sub(paused);
        assert!(
            behind >= PAUSE_TICKS as u64 / 2,
            "by_message {by_message}: {paused} items against its twin's {steady}: \
             only {behind} behind after a pause of {PAUSE_TICKS} items' time (it caught up)"
        );
    }
}

fn spawn_paced(yard: &Yard<String>, id: &str, workload: &str, pace: &Pace) {
    let spec: Workload = serde_json::from_str(workload).expect("a valid spec");
    yard.spawn(id, spec.task_paced(pace).expect("valid parameters"))
        .unwrap();
}

/// Waits until worker `id` is doing `what` (long waits, held ones too,
/// signal the manager's change waiters as they begin and end).
fn doing(yard: &Yard<String>, id: &str, what: threadyard::Activity) {
    yard.wait_for_state(id, LONG, |_| {
        yard.worker(id).map(|s| s.activity) == Ok(what)
    })
    .unwrap_or_else(|e| panic!("{id} never began {what:?}: {e}"));
}

/// A held pace holds its workloads where they are, in their own code: a
/// batch part-way through an item's sleep stops there, and a CPU-bound loop
/// spawned while held never starts an item. Neither is paused (their state
/// stays Running; the activity says Held), and both go on once released.
pub fn a_held_pace_holds_its_workloads_where_they_are() {
    use threadyard::Activity;
    let yard = Yard::<String>::new();
    let pace = Pace::new(1.0).unwrap();
    // Two seconds: long enough that the hold comes inside the first item.
    spawn_paced(&yard, "batch", r#"{"kind":"batch","item_ms":2000}"#, &pace);
    doing(&yard, "batch", Activity::Sleeping);
    pace.hold();
    doing(&yard, "batch", Activity::Held);
    let batch = yard.worker("batch").unwrap();
    assert_eq!(
        (batch.state, batch.tasks_completed),
        (WorkerState::Running, 0),
        "held part-way through its first item, not paused"
    );
    spawn_paced(
        &yard,
        "cpu",
        r#"{"kind":"cpu-bound","work_per_item":1000}"#,
        &pace,
    );
    doing(&yard, "cpu", Activity::Held);
    let cpu = yard.worker("cpu").unwrap();
    assert_eq!((cpu.state, cpu.tasks_completed), (WorkerState::Running, 0));
    assert!(pace.is_held());
    pace.release();
    // Released, the batch sleeps out the rest of its item; the loop computes.
    doing(&yard, "batch", Activity::Sleeping);
    yard.send("batch", "shutdown".into()).unwrap();
    yard.send("cpu", "shutdown".into()).unwrap();
    assert_eq!(yard.join("batch", LONG).unwrap(), WorkerState::Stopped);
    assert_eq!(yard.join("cpu", LONG).unwrap(), WorkerState::Stopped);
    assert_eq!(yard.worker("batch").unwrap().tasks_completed, 1);
    assert!(!pace.is_held());
    assert!(pace.time_held() > std::time::Duration::ZERO);
}
