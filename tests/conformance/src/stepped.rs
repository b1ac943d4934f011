//! Stepped mode, shared state and the wait-for graph: schedules replay
//! exactly, the explorer finds the lessons' bugs, their fixes survive random
//! schedules, and the deadlock detector names real cycles (through locks and
//! through full mailboxes) and nothing else.

use std::sync::mpsc::Sender;
use std::time::Duration;

use threadyard::lessons::{self, Lesson};
use threadyard::{
    Chooser, EventKind, Resource, SendError, StepError, StepStatus, WorkerState, Yard,
};

use crate::support::{channel, next, owner_holding, LONG};

fn lesson(id: &str) -> Lesson {
    lessons::find(id).unwrap_or_else(|| panic!("lesson {id} is built in"))
}

/// Replays `schedule` 100 times; every run is the same as the first.
fn replays_identically(id: &str, chooser: Chooser) {
    let lesson = lesson(id);
    let first = lessons::run(&lesson, chooser).expect("a run");
    assert!(first.left_schedule.is_none());
    for _ in 0..100 {
        let again = lessons::run(
            &lesson,
            Chooser::Fixed {
                schedule: first.schedule.clone(),
            },
        )
        .expect("a replay");
        assert_eq!(again.left_schedule, None, "the schedule could be followed");
        assert_eq!(again.schedule, first.schedule);
        assert_eq!(again.happened, first.happened, "same events, same values");
        assert_eq!(again.cells, first.cells);
        assert_eq!(again.outcome, first.outcome);
        assert_eq!(again.deadlock, first.deadlock);
    }
}

pub fn a_schedule_replays_identically_100_times() {
    // A lost update (values read and written) and a three-way deadlock.
    replays_identically(
        "lost-update",
        Chooser::Fixed {
            schedule: vec![0, 1, 1, 0],
        },
    );
    replays_identically("philosophers", Chooser::Random { seed: 11 });
    replays_identically("lost-update-locked", Chooser::Pct { seed: 4, depth: 3 });
}

pub fn the_lost_update_schedule_loses_an_update_and_says_why() {
    let run = lessons::run(
        &lesson("lost-update"),
        Chooser::Fixed {
            schedule: vec![0, 1, 1, 0],
        },
    )
    .expect("a run");
    assert_eq!(run.cells, [("counter".to_owned(), 1)]);
    assert!(!run.outcome.holds);
    assert!(
        run.outcome
            .says
            .starts_with("counter ends at 1, not 2: worker_a and worker_b both loaded 0."),
        "{}",
        run.outcome.says
    );
    let values: Vec<(String, Option<i64>)> = run
        .happened
        .iter()
        .filter_map(|h| match &h.kind {
            EventKind::Access { value, .. } => {
                Some((h.worker.as_ref().unwrap().to_string(), *value))
            }
            _ => None,
        })
        .collect();
    let expected = [
        ("worker_a", Some(0)),
        ("worker_b", Some(0)),
        ("worker_b", Some(1)),
        ("worker_a", Some(1)),
    ];
    let expected: Vec<(String, Option<i64>)> = expected
        .iter()
        .map(|(w, v)| ((*w).to_owned(), *v))
        .collect();
    assert_eq!(values, expected);
}

pub fn the_explorer_finds_a_lost_update_and_a_deadlock_within_100() {
    for id in ["lost-update", "deadlock", "philosophers"] {
        let found = lessons::explore(&lesson(id), 100, 0).expect("a search");
        let failing = found
            .failing
            .unwrap_or_else(|| panic!("{id}: no failing schedule in {} tries", found.tried));
        assert!(found.tried <= 100);
        assert!(!failing.outcome.holds);
        if id != "lost-update" {
            let deadlock = failing.deadlock.expect("the failure is a deadlock");
            let expected = if id == "deadlock" { 2 } else { 3 };
            assert_eq!(deadlock.cycle.len(), expected, "{}", deadlock.text);
        }
        // The failing schedule, replayed, fails the same way.
        let again = lessons::run(
            &lesson(id),
            Chooser::Fixed {
                schedule: failing.schedule.clone(),
            },
        )
        .expect("a replay");
        assert_eq!(again.happened, failing.happened);
    }
}

pub fn the_fixed_lessons_survive_1000_random_schedules() {
    for id in [
        "lost-update-locked",
        "deadlock-ordered",
        "philosophers-ordered",
    ] {
        let found = lessons::explore(&lesson(id), 1000, 1).expect("a search");
        assert_eq!(found.tried, 1000, "{id}");
        if let Some(run) = found.failing {
            panic!(
                "{id} failed with schedule {:?}: {}",
                run.schedule, run.outcome.says
            );
        }
    }
}

pub fn a_learner_grants_steps_and_sees_next_operations() {
    let yard = Yard::<()>::builder()
        .stepped(Chooser::Learner)
        .build()
        .unwrap();
    lessons::start(&yard, &lesson("deadlock")).unwrap();
    let steps = yard.settle(LONG).unwrap();
    let next: Vec<Option<&str>> = steps.lanes.iter().map(|l| l.next_text.as_deref()).collect();
    assert_eq!(next, [Some("lock L1"), Some("lock L2")]);
    assert!(steps.lanes.iter().all(|l| l.status == StepStatus::Ready));
    for who in ["worker_a", "worker_b", "worker_a"] {
        yard.grant(who).unwrap();
        yard.settle(LONG).unwrap();
    }
    // worker_a tried L2, held by worker_b: it is blocked and cannot be granted.
    let steps = yard.steps().unwrap();
    assert_eq!(steps.lanes[0].status, StepStatus::Blocked);
    assert_eq!(steps.lanes[0].blocked_on, Some(Resource::Lock("L2".into())));
    assert!(matches!(
        yard.grant("worker_a"),
        Err(StepError::Blocked { .. })
    ));
    yard.grant("worker_b").unwrap();
    let steps = yard.settle(LONG).unwrap();
    assert!(steps.stuck);
    assert_eq!(steps.schedule, [0, 1, 0, 1]);
    let deadlocks = yard.snapshot().deadlocks;
    assert_eq!(
        deadlocks[0].text,
        "deadlock: worker_b -> worker_a -> worker_b (worker_b waits for lock L1 held by worker_a; worker_a waits for lock L2 held by worker_b)"
    );
    let report = yard.shutdown(LONG);
    assert_eq!(report.clean.len(), 2, "held workers stop when asked");
    assert_eq!(report.deadlocks, deadlocks);
}

fn expect_deadlock<T: Send + 'static>(yard: &Yard<T>, workers: usize) {
    assert!(
        yard.wait_for_waits(LONG, |_, deadlocks| !deadlocks.is_empty()),
        "no deadlock reported: waits {:?}",
        yard.waits()
    );
    let deadlocks = yard.deadlocks();
    assert_eq!(
        deadlocks.len(),
        1,
        "one cycle, reported once: {deadlocks:?}"
    );
    assert_eq!(deadlocks[0].cycle.len(), workers, "{}", deadlocks[0].text);
    assert!(deadlocks[0].text.starts_with("deadlock: "));
    let events = yard.events_since(0).events;
    assert!(events.iter().any(
        |e| matches!(&e.kind, EventKind::Deadlock { text, .. } if *text == deadlocks[0].text)
    ));
    assert_eq!(yard.snapshot().deadlocks, deadlocks);
    // On the timeline too: an instant on the manager's track of the trace.
    let trace = serde_json::to_string(&yard.trace()).unwrap();
    assert!(
        trace.contains(&deadlocks[0].text.replace('"', "\\\"")),
        "{trace}"
    );
    let report = yard.shutdown(LONG);
    assert_eq!(report.deadlocks, deadlocks);
    assert!(
        report.unresponsive.is_empty(),
        "blocked workers stop when asked"
    );
}

pub fn the_detector_names_two_and_three_worker_lock_cycles() {
    let yard = lock_cycle_named(&[("a", "L1", "L2"), ("b", "L2", "L1")]);
    expect_deadlock(&yard, 2);
    let yard = lock_cycle_named(&[("a", "L1", "L2"), ("b", "L2", "L3"), ("c", "L3", "L1")]);
    expect_deadlock(&yard, 3);
}

/// Starts one worker per `(id, first, second)` that takes lock `first`,
/// says so, waits until all have, then takes `second`.
fn lock_cycle_named(plan: &[(&'static str, &'static str, &'static str)]) -> Yard<()> {
    let yard = Yard::<()>::new();
    let mut names: Vec<&str> = plan.iter().flat_map(|(_, a, b)| [*a, *b]).collect();
    names.sort_unstable();
    names.dedup();
    let locks: Vec<_> = names.iter().map(|n| yard.lock(n).unwrap()).collect();
    let find = |name: &str| locks.iter().find(|l| l.name() == name).unwrap().clone();
    let (holding, held) = channel();
    let mut gos: Vec<Sender<()>> = Vec::new();
    for (id, first, second) in plan {
        let (a, b) = (find(first), find(second));
        let (go, wait) = channel::<()>();
        gos.push(go);
        let holding = holding.clone();
        yard.spawn(id, move |w| {
            a.lock(w)?;
            holding.send(()).unwrap();
            let _ = wait.recv();
            b.lock(w)?;
            b.unlock(w)?;
            a.unlock(w)?;
            Ok(())
        })
        .unwrap();
    }
    for _ in plan {
        next(&held);
    }
    for go in gos {
        go.send(()).unwrap();
    }
    yard
}

/// Each worker fills the next one's mailbox (capacity 1), then, once all
/// have, sends it one more, waiting for room that never comes.
fn mailbox_cycle(ids: &[&'static str]) -> Yard<u32> {
    let yard = Yard::<u32>::builder().mailbox_capacity(1).build().unwrap();
    let (filled, all_filled) = channel();
    let mut gos: Vec<Sender<()>> = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let to = ids[(i + 1) % ids.len()];
        let (go, wait) = channel::<()>();
        gos.push(go);
        let filled = filled.clone();
        yard.create(id, move |w| {
            w.send_to(to, 1).expect("room for the first");
            filled.send(()).unwrap();
            let _ = wait.recv();
            match w.send_to_timeout(to, 2, Duration::from_secs(600)) {
                // Shutdown closes the mailbox the worker waits on.
                Err(SendError::Finished { .. }) | Ok(()) => Ok(()),
                Err(other) => Err(other.to_string().into()),
            }
        })
        .unwrap();
    }
    for id in ids {
        yard.start(id).unwrap();
    }
    for _ in ids {
        next(&all_filled);
    }
    for go in gos {
        go.send(()).unwrap();
    }
    yard
}

pub fn the_detector_names_two_and_three_worker_mailbox_cycles() {
    let yard = mailbox_cycle(&["a", "b"]);
    expect_deadlock(&yard, 2);
    let yard = mailbox_cycle(&["a", "b", "c"]);
    expect_deadlock(&yard, 3);
    let yard = mailbox_cycle(&["x", "y"]);
    assert!(yard.wait_for_waits(LONG, |_, d| !d.is_empty()));
    assert_eq!(
        yard.deadlocks()[0].cycle[0].on,
        Resource::Mailbox(yard.deadlocks()[0].cycle[0].waits_for.clone())
    );
}

pub fn the_detector_is_silent_on_long_waits_that_are_not_cycles() {
    let yard = Yard::<u32>::builder().mailbox_capacity(1).build().unwrap();
    let lock = yard.lock("L").unwrap();
    let busy = yard.lock("busy").unwrap();
    // "owner" holds L for the whole test; "w1" and "w2" wait for it.
    let release = owner_holding(&yard, &lock);
    for id in ["w1", "w2"] {
        let lock = lock.clone();
        yard.spawn(id, move |w| {
            lock.lock(w)?;
            lock.unlock(w)?;
            Ok(())
        })
        .unwrap();
    }
    // "reader" does not read while the test runs; "writer" waits for room
    // in its full mailbox.
    let (wake_reader, reader_waits) = channel::<()>();
    yard.spawn("reader", move |w| {
        let _ = reader_waits.recv();
        w.recv()?;
        w.recv()?;
        Ok(())
    })
    .unwrap();
    yard.send("reader", 0).unwrap();
    yard.spawn("writer", |w| {
        w.send_to_timeout("reader", 1, Duration::from_secs(600))
            .map_err(|e| e.to_string().into())
    })
    .unwrap();
    assert!(
        yard.wait_for_waits(LONG, |waits, _| waits.len() == 3),
        "three waits: {:?}",
        yard.waits()
    );
    // Meanwhile, a lot happens elsewhere: 1,000 lock and unlock pairs by
    // another worker, every one a chance for a false cycle.
    let (done, finished) = channel();
    yard.spawn("bystander", move |w| {
        for _ in 0..1000 {
            busy.lock(w)?;
            busy.unlock(w)?;
        }
        done.send(()).unwrap();
        Ok(())
    })
    .unwrap();
    next(&finished);
    let waits = yard.waits();
    assert_eq!(waits.len(), 3, "{waits:?}");
    assert!(waits
        .iter()
        .any(|e| e.worker.as_str() == "writer" && e.on == Resource::Mailbox(e.waits_for.clone())));
    assert!(waits
        .iter()
        .filter(|e| e.on == Resource::Lock("L".into()))
        .all(|e| e.waits_for.as_str() == "owner"));
    release.send(()).unwrap();
    wake_reader.send(()).unwrap();
    assert!(yard.join_all(LONG).is_empty());
    assert!(yard.deadlocks().is_empty(), "{:?}", yard.deadlocks());
    assert!(yard.waits().is_empty());
    assert!(!yard
        .events_since(0)
        .events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Deadlock { .. })));
    for id in ["owner", "w1", "w2", "writer", "bystander"] {
        assert_eq!(yard.state(id).unwrap(), WorkerState::Stopped, "{id}");
    }
}
