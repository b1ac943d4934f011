use threadyard::{Action, ControlError, EventKind, WorkerState, Yard};

use crate::support::*;

pub fn create_then_start_runs_the_task() {
    let yard = Yard::<String>::new();
    let (tx, rx) = channel();
    yard.create("w", move |w| {
        tx.send(w.id().to_string()).unwrap();
        Ok(())
    })
    .unwrap();
    assert_eq!(yard.state("w").unwrap(), WorkerState::Created);
    assert!(rx.try_recv().is_err(), "a created worker must not run yet");
    yard.start("w").unwrap();
    assert_eq!(next(&rx), "w");
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
}

pub fn spawn_is_create_and_start() {
    let yard = Yard::<String>::new();
    let (tx, rx) = channel();
    let id = yard.spawn("one-call", move |_| {
        tx.send(()).unwrap();
        Ok(())
    });
    assert_eq!(id.unwrap().as_str(), "one-call");
    next(&rx);
    assert_eq!(yard.join("one-call", LONG).unwrap(), WorkerState::Stopped);
}

pub fn invalid_transitions_change_nothing() {
    let yard = Yard::<String>::new();
    let (progress_tx, progress) = progress();
    yard.create("w", counter(progress_tx)).unwrap();

    let refused = |result: Result<(), ControlError>, action, state| match result {
        Err(ControlError::InvalidTransition {
            action: a,
            state: s,
            ..
        }) => {
            assert_eq!((a, s), (action, state));
        }
        other => panic!("expected {action} to be refused in {state}, got {other:?}"),
    };
    refused(yard.resume("w"), Action::Resume, WorkerState::Created);
    refused(yard.pause("w"), Action::Pause, WorkerState::Created);
    assert_eq!(yard.state("w").unwrap(), WorkerState::Created);

    yard.start("w").unwrap();
    refused(yard.start("w"), Action::Start, WorkerState::Running);
    refused(yard.resume("w"), Action::Resume, WorkerState::Running);
    next(&progress);

    yard.stop("w").unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
    refused(yard.pause("w"), Action::Pause, WorkerState::Stopped);
    refused(yard.resume("w"), Action::Resume, WorkerState::Stopped);
    refused(yard.stop("w"), Action::Stop, WorkerState::Stopped);
    refused(yard.start("w"), Action::Start, WorkerState::Stopped);
    assert_eq!(yard.state("w").unwrap(), WorkerState::Stopped);

    let message = yard.pause("w").unwrap_err().to_string();
    assert!(message.contains("only a running worker"), "{message}");
}

pub fn transitions_are_recorded_as_events() {
    let yard = Yard::<String>::new();
    paused_counter(&yard, "w");
    yard.resume("w").unwrap();
    yard.stop("w").unwrap();
    yard.join("w", LONG).unwrap();

    let page = yard.events_since(0);
    let moves: Vec<(EventKind, Option<WorkerState>)> = page
        .events
        .iter()
        .filter(|e| e.worker.as_ref().is_some_and(|w| w.as_str() == "w"))
        .map(|e| (e.kind.clone(), e.state))
        .collect();
    // Each event carries the state it moved the worker to.
    assert_eq!(
        moves,
        [
            (EventKind::Created, Some(WorkerState::Created)),
            (EventKind::Started, Some(WorkerState::Running)),
            (EventKind::PauseRequested, Some(WorkerState::PauseRequested)),
            (
                EventKind::Paused { by_itself: false },
                Some(WorkerState::Paused)
            ),
            (EventKind::Resumed, Some(WorkerState::Running)),
            (EventKind::StopRequested, Some(WorkerState::Stopping)),
            (EventKind::Stopped, Some(WorkerState::Stopped)),
        ]
    );
    let times: Vec<u64> = page.events.iter().map(|e| e.at_us).collect();
    assert!(
        times.windows(2).all(|w| w[0] <= w[1]),
        "timestamps go forward: {times:?}"
    );
    let seqs: Vec<u64> = page.events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
}

pub fn stopping_an_unstarted_worker_stops_it() {
    let yard = Yard::<String>::new();
    yard.create("idle", |_| Ok(())).unwrap();
    yard.stop("idle").unwrap();
    assert_eq!(yard.state("idle").unwrap(), WorkerState::Stopped);
    assert_eq!(yard.join("idle", LONG).unwrap(), WorkerState::Stopped);
    assert!(yard.start("idle").is_err());
}

pub fn capacity_is_enforced_and_released() {
    let yard = Yard::<String>::builder().max_threads(1).build().unwrap();
    let (gate_tx, gate) = channel::<()>();
    yard.spawn("first", move |_| {
        gate.recv().ok();
        Ok(())
    })
    .unwrap();
    yard.create("second", |_| Ok(())).unwrap();
    match yard.start("second") {
        Err(ControlError::AtCapacity { capacity: 1, .. }) => {}
        other => panic!("expected AtCapacity, got {other:?}"),
    }
    assert_eq!(yard.state("second").unwrap(), WorkerState::Created);
    assert_eq!(yard.snapshot().capacity, Some(1));
    // spawn is all or nothing: a refused one is not kept.
    assert!(yard.spawn("third", |_| Ok(())).is_err());
    assert!(yard.state("third").is_err());
    // ...and was never seen: it took (and was refused) its thread's place
    // as it would have been registered, so the log has nothing of it.
    let third = yard
        .events_since(0)
        .events
        .into_iter()
        .filter(|e| e.worker.as_ref().is_some_and(|w| w.as_str() == "third"))
        .count();
    assert_eq!(third, 0);

    gate_tx.send(()).unwrap();
    yard.join("first", LONG).unwrap();
    yard.start("second").unwrap();
    assert_eq!(yard.join("second", LONG).unwrap(), WorkerState::Stopped);
}
