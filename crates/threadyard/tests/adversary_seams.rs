//! Issue 24, part 4: the promises of `Pace`, the stepped-mode choosers and
//! the lessons, tried as an adversary would (hostile durations and speeds,
//! schedules that do not fit their run, seeds and depths at their extremes).
//! Every case here failed before the fix it names.

#![cfg(not(target_arch = "wasm32"))]

use std::time::Duration;

use threadyard::workloads::{self, Pace, MAX_SPEED, MIN_SPEED};
use threadyard::{Activity, WorkerState, Yard};

const LONG: Duration = Duration::from_secs(30);

/// `Pace::scale` is a plain function of a duration: at a slow speed a huge
/// one (an item that never ends) must come out as the longest duration
/// there is, not as a panic ("overflow when dividing duration by float").
#[test]
fn a_huge_duration_is_scaled_without_a_panic() {
    for speed in [MIN_SPEED, 0.5, 1.0, MAX_SPEED] {
        let pace = Pace::new(speed).unwrap();
        for written in [Duration::MAX, Duration::from_secs(u64::MAX / 2)] {
            let scaled = std::panic::catch_unwind(|| pace.scale(written));
            let scaled =
                scaled.unwrap_or_else(|_| panic!("scale({written:?}) at speed {speed} panicked"));
            assert!(
                speed > 1.0 || scaled >= written,
                "speed {speed}: {written:?} became {scaled:?}"
            );
        }
    }
    // What was exact stays exact.
    let pace = Pace::new(4.0).unwrap();
    assert_eq!(
        pace.scale(Duration::from_millis(100)),
        Duration::from_millis(25)
    );
    assert_eq!(pace.scale(Duration::ZERO), Duration::ZERO);
}

/// The ready-made tasks take any `Duration` for their item: one of
/// `Duration::MAX` ("an item that never ends") must wait, obeying stop,
/// instead of failing the worker with an overflow panic on its first
/// deadline.
#[test]
fn paced_workloads_with_an_endless_item_wait_and_stop_cleanly() {
    let yard = Yard::<String>::new();
    let pace = Pace::new(0.5).unwrap();
    let endless = Duration::MAX;
    yard.spawn("data", workloads::data_processor(endless, pace.clone()))
        .unwrap();
    yard.spawn("chatty", workloads::chatty(endless, pace.clone()))
        .unwrap();
    yard.spawn("flaky", workloads::flaky(endless, 1, pace.clone()))
        .unwrap();
    yard.spawn("producer", workloads::producer(endless, pace.clone()))
        .unwrap();
    yard.spawn("consumer", workloads::consumer(endless, pace.clone()))
        .unwrap();
    yard.send("consumer", "work".to_owned()).unwrap();
    for (id, waiting) in [
        ("data", Activity::WaitingForMessage),
        ("chatty", Activity::WaitingForMessage),
        ("flaky", Activity::WaitingForMessage),
        ("producer", Activity::WaitingForMessage),
        ("consumer", Activity::Sleeping),
    ] {
        // Waiting in its item, or (the break) already failed.
        yard.wait_for_state(id, LONG, |state| {
            state.is_finished() || yard.worker(id).map(|s| s.activity) == Ok(waiting)
        })
        .unwrap_or_else(|e| panic!("{id} never began its endless item: {e}"));
        let s = yard.worker(id).unwrap();
        assert_eq!(
            s.state,
            WorkerState::Running,
            "{id} ended at once: {:?}",
            s.last_error
        );
        yard.stop(id).unwrap();
        assert_eq!(yard.join(id, LONG), Ok(WorkerState::Stopped), "{id}");
    }
}

/// `lessons::run` judges a run it drove itself; with `Chooser::Learner`
/// nobody grants, so the run settles at once with every worker held at its
/// first step, and it must not be judged: it was told as "The run is stuck:
/// no worker can go on", which is false (every worker can go on).
#[test]
fn a_lesson_run_with_a_learner_is_refused_not_judged_stuck() {
    use threadyard::lessons;
    use threadyard::Chooser;
    for lesson in lessons::all() {
        match lessons::run(&lesson, Chooser::Learner) {
            Ok(run) => panic!(
                "{}: a run nobody could grant was judged: holds {}, {:?}",
                lesson.id, run.outcome.holds, run.outcome.says
            ),
            Err(e) => assert!(
                e.to_string().contains("Chooser::Learner"),
                "{}: {e}",
                lesson.id
            ),
        }
    }
}

/// A learner's run judged between two steps (`lessons::outcome`, as the
/// page does after every step) is not over; it was told "The run is stuck:
/// no worker can go on" while every worker could.
#[test]
fn a_learners_run_between_steps_is_not_called_stuck() {
    use threadyard::lessons;
    use threadyard::Chooser;
    let lesson = lessons::find("lost-update").unwrap();
    let yard = Yard::<String>::builder()
        .stepped(Chooser::Learner)
        .build()
        .unwrap();
    lessons::start(&yard, &lesson).unwrap();
    let steps = yard.settle(LONG).unwrap();
    let run = lessons::outcome(&yard, &lesson, steps.schedule, steps.left_schedule);
    assert!(!run.outcome.holds, "nothing is decided yet");
    assert!(
        !run.outcome.says.contains("stuck"),
        "every worker can go on, yet: {:?}",
        run.outcome.says
    );
    // Granted to the end, the same call judges the finished run.
    for who in ["worker_a", "worker_a", "worker_b", "worker_b"] {
        yard.grant(who).unwrap();
        yard.settle(LONG).unwrap();
    }
    let steps = yard.settle(LONG).unwrap();
    assert!(steps.finished);
    let run = lessons::outcome(&yard, &lesson, steps.schedule, steps.left_schedule);
    assert!(run.outcome.holds, "{}", run.outcome.says);
    drop(yard.shutdown(LONG));
}

/// A replay of a fixed schedule follows it exactly or says why not: a run
/// whose `left_schedule` is None ran exactly the schedule it was given. A
/// schedule shorter than the run (it ran out, and the first ready worker
/// went on) and one longer than the run (steps never taken) were followed
/// silently.
#[test]
fn a_fixed_schedule_that_does_not_fit_its_run_says_so() {
    use threadyard::lessons;
    use threadyard::Chooser;
    let lesson = lessons::find("lost-update").unwrap();
    for given in [
        vec![0, 1, 1, 0],
        vec![0, 1],
        vec![],
        vec![0, 1, 1, 0, 1],
        vec![0, 1, 1, 0, 0, 0, 0],
        vec![7, 0, 1, 1],
        vec![usize::MAX],
    ] {
        let run = lessons::run(
            &lesson,
            Chooser::Fixed {
                schedule: given.clone(),
            },
        )
        .unwrap();
        assert_eq!(
            run.left_schedule.is_none(),
            run.schedule == given,
            "given {given:?}, ran {:?}, left_schedule {:?}",
            run.schedule,
            run.left_schedule
        );
    }
    // A deadlock's own schedule ends where the run stops: it fits.
    let deadlock = lessons::find("deadlock").unwrap();
    let run = lessons::run(
        &deadlock,
        Chooser::Fixed {
            schedule: vec![0, 1, 0, 1],
        },
    )
    .unwrap();
    assert!(run.deadlock.is_some());
    assert_eq!(run.left_schedule, None);
    // One step more than the deadlock allows is not taken, and said.
    let run = lessons::run(
        &deadlock,
        Chooser::Fixed {
            schedule: vec![0, 1, 0, 1, 0],
        },
    )
    .unwrap();
    assert!(run.left_schedule.is_some(), "ran {:?}", run.schedule);
}

/// "Workloads obey pause promptly": the CPU-bound workload had pause
/// points only between items, and an item may be `u32::MAX` rounds (the
/// spec accepts any count from 1), seconds of arithmetic with no pause
/// point. A pause asked for inside such an item must be taken inside it.
#[test]
fn a_huge_cpu_bound_item_still_pauses_inside_it() {
    let yard = Yard::<String>::new();
    yard.spawn("cpu", workloads::cpu_bound(u32::MAX)).unwrap();
    // Paused at its first pause point, before the item; once resumed and
    // busy for a while, it is inside its first item.
    yard.pause("cpu").unwrap();
    assert_eq!(
        yard.wait_for_state("cpu", LONG, |s| s == WorkerState::Paused),
        Ok(WorkerState::Paused)
    );
    let busy = yard.worker("cpu").unwrap().busy_ms;
    yard.resume("cpu").unwrap();
    let deadline = std::time::Instant::now() + LONG;
    while yard.worker("cpu").unwrap().busy_ms < busy + 50.0 {
        assert!(std::time::Instant::now() < deadline, "it never computed");
        std::thread::yield_now();
    }
    assert_eq!(yard.worker("cpu").unwrap().tasks_completed, 0);
    yard.pause("cpu").unwrap();
    assert_eq!(
        yard.wait_for_state("cpu", LONG, |s| s == WorkerState::Paused),
        Ok(WorkerState::Paused)
    );
    assert_eq!(
        yard.worker("cpu").unwrap().tasks_completed,
        0,
        "paused only once its item of u32::MAX rounds was done"
    );
    yard.stop("cpu").unwrap();
    assert_eq!(yard.join("cpu", LONG), Ok(WorkerState::Stopped));
}
