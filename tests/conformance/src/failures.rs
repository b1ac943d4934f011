use std::time::Duration;

use threadyard::{EventKind, RestartPolicy, TaskError, WorkerOptions, WorkerState, Yard};

use crate::support::*;

pub fn panic_marks_only_that_worker_failed() {
    let yard = Yard::<String>::new();
    let (tx, rx) = progress();
    yard.spawn("healthy", counter(tx)).unwrap();
    yard.spawn("bad", |w| {
        w.task_done();
        panic!("boom at item {}", 1);
    })
    .unwrap();
    assert_eq!(yard.join("bad", LONG).unwrap(), WorkerState::Failed);
    let bad = yard.worker("bad").unwrap();
    assert_eq!(bad.errors, 1);
    assert!(bad
        .last_error
        .as_deref()
        .unwrap()
        .contains("boom at item 1"));
    // The others and the manager go on.
    let before = next(&rx);
    assert!(next(&rx) > before);
    assert_eq!(yard.state("healthy").unwrap(), WorkerState::Running);
    yard.spawn("after", |_| Ok(())).unwrap();
    assert_eq!(yard.join("after", LONG).unwrap(), WorkerState::Stopped);
    let report = yard.shutdown(LONG);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].id.as_str(), "bad");
    assert!(report.failed[0].error.contains("boom"));
}

pub fn returned_error_fails_the_worker() {
    let yard = Yard::<String>::new();
    yard.spawn("w", |_| Err(TaskError::failed("disk full")))
        .unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Failed);
    assert_eq!(
        yard.worker("w").unwrap().last_error.as_deref(),
        Some("disk full")
    );
    let failed = yard.events_since(0).events.into_iter().any(|e| {
        e.kind
            == EventKind::Failed {
                error: "disk full".into(),
            }
    });
    assert!(failed);
}

pub fn restart_policy_restarts_then_gives_up() {
    let policy = RestartPolicy::OnFailure {
        max_restarts: 2,
        window: Duration::from_secs(3600),
    };
    let yard = Yard::<String>::new();

    // Fails twice, then succeeds: two restarts, a clean stop.
    let mut runs = 0;
    yard.spawn_with("flaky", WorkerOptions::new().restart(policy), move |w| {
        runs += 1;
        w.task_done();
        if runs <= 2 {
            panic!("run {runs} fails");
        }
        Ok(())
    })
    .unwrap();
    assert_eq!(yard.join("flaky", LONG).unwrap(), WorkerState::Stopped);
    let s = yard.worker("flaky").unwrap();
    assert_eq!((s.restarts, s.errors, s.tasks_completed), (2, 2, 3));

    // Always fails: restarted up to the limit, then Failed.
    yard.spawn_with("broken", WorkerOptions::new().restart(policy), |_| {
        Err("always".into())
    })
    .unwrap();
    assert_eq!(yard.join("broken", LONG).unwrap(), WorkerState::Failed);
    let s = yard.worker("broken").unwrap();
    assert_eq!((s.restarts, s.errors), (2, 3));
    let restarts = yard
        .events_since(0)
        .events
        .iter()
        .filter(|e| {
            matches!(e.kind, EventKind::Restarted { .. })
                && e.worker.as_ref().unwrap().as_str() == "broken"
        })
        .count();
    assert_eq!(restarts, 2);
}

pub fn recorded_errors_are_counted() {
    let yard = Yard::<String>::new();
    yard.spawn("w", |w| {
        w.record_error("bad record 7");
        w.record_error("bad record 9");
        Ok(())
    })
    .unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
    let s = yard.worker("w").unwrap();
    assert_eq!(
        (s.errors, s.last_error.as_deref()),
        (2, Some("bad record 9"))
    );
}
