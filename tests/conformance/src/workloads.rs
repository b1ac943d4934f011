//! The ready-made workloads behave like the seed's worker.

use threadyard::workloads::{Workload, WorkloadError};
use threadyard::{WorkerState, Yard};

use crate::support::*;

fn spawn(yard: &Yard<String>, id: &str, workload: &str) {
    let spec: Workload = serde_json::from_str(workload).expect("a valid spec");
    yard.spawn(id, spec.task().expect("valid parameters"))
        .unwrap();
}

/// Every workload pauses itself on "pause", goes on when resumed, records an
/// unknown message as an error, and finishes cleanly on "shutdown".
pub fn every_workload_obeys_the_seed_messages() {
    for spec in [
        r#"{"kind":"data-processor","item_ms":0.5}"#,
        r#"{"kind":"cpu-bound","work_per_item":1000}"#,
        r#"{"kind":"chatty","item_ms":0.5}"#,
    ] {
        let yard = Yard::<String>::new();
        spawn(&yard, "w", spec);
        yard.send("w", "pause".into()).unwrap();
        reach(&yard, "w", WorkerState::Paused);
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
}
