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

/// The Chrome trace of a run with every kind of move (pauses, a restart, a
/// failure, messages between workers, a removal and a new worker under the
/// same id, shutdown) is well formed: no negative or open-ended slice, the
/// state slices of one track never overlap, every flow start has its end,
/// one name per track, and every state slice starts at a stamp of its
/// worker's events.
#[test]
fn the_trace_of_a_busy_run_is_well_formed_and_agrees_with_the_log() {
    use std::collections::{BTreeMap, BTreeSet};
    use threadyard::trace::ACTIVITY_TRACKS;
    use threadyard::{RestartPolicy, WorkerOptions};

    let yard = Yard::<String>::new();
    let pace = Pace::new(MAX_SPEED).unwrap();
    yard.spawn(
        "ticker",
        workloads::data_processor(Duration::from_millis(1), pace.clone()),
    )
    .unwrap();
    yard.spawn(
        "chatty",
        workloads::chatty(Duration::from_millis(1), pace.clone()),
    )
    .unwrap();
    yard.spawn_with(
        "flaky",
        WorkerOptions::new().restart(RestartPolicy::OnFailure {
            max_restarts: 2,
            window: Duration::from_secs(600),
        }),
        workloads::flaky(Duration::from_millis(1), 3, pace.clone()),
    )
    .unwrap();
    for _ in 0..3 {
        yard.pause("ticker").unwrap();
        yard.wait_for_state("ticker", LONG, |s| s == WorkerState::Paused)
            .unwrap();
        yard.resume("ticker").unwrap();
    }
    assert_eq!(
        yard.wait_for_state("flaky", LONG, |s| s == WorkerState::Failed),
        Ok(WorkerState::Failed)
    );
    yard.remove("flaky").unwrap();
    yard.spawn(
        "flaky",
        workloads::data_processor(Duration::from_millis(1), pace),
    )
    .unwrap();
    drop(yard.shutdown(LONG));
    let log = yard.events_since(0);
    let trace = yard.trace();

    let mut names: BTreeMap<u32, usize> = BTreeMap::new();
    let mut flows: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    let mut slices: BTreeMap<u32, Vec<(f64, f64)>> = BTreeMap::new();
    let end = trace
        .trace_events
        .iter()
        .map(|e| e.ts + e.dur.unwrap_or(0.0))
        .fold(0.0, f64::max);
    for e in &trace.trace_events {
        assert!(e.ts >= 0.0 && e.ts.is_finite(), "{e:?}");
        match e.ph {
            "M" if e.name == "thread_name" => *names.entry(e.tid).or_default() += 1,
            "X" => {
                let dur = e.dur.expect("a complete slice has a length");
                assert!(dur >= 0.0 && dur.is_finite() && e.ts + dur <= end, "{e:?}");
                slices.entry(e.tid).or_default().push((e.ts, dur));
            }
            "s" => flows.entry(e.id.unwrap()).or_default().0 += 1,
            "f" => flows.entry(e.id.unwrap()).or_default().1 += 1,
            _ => {}
        }
    }
    assert!(
        names.values().all(|&n| n == 1),
        "one name per track: {names:?}"
    );
    let sent_by_workers = log
        .events
        .iter()
        .filter(|e| matches!(e.kind, threadyard::EventKind::MessageSent { from: Some(_) }))
        .count();
    assert_eq!(
        flows.len(),
        sent_by_workers,
        "one flow per message a worker sent"
    );
    assert!(flows.values().all(|&f| f == (1, 1)), "{flows:?}");
    let tracks: BTreeMap<String, u32> = trace
        .trace_events
        .iter()
        .filter(|e| e.ph == "M" && e.name == "thread_name")
        .filter_map(|e| match e.args.get("name") {
            Some(threadyard::trace::Arg::Text(name)) => Some((name.clone(), e.tid)),
            _ => None,
        })
        .collect();
    for (tid, mut list) in slices {
        assert!(names.contains_key(&tid), "slices on an unnamed track {tid}");
        if tid >= ACTIVITY_TRACKS || tid == 0 {
            continue;
        }
        list.sort_by(|a, b| a.0.total_cmp(&b.0));
        for pair in list.windows(2) {
            assert!(
                pair[0].0 + pair[0].1 <= pair[1].0,
                "track {tid}: overlapping state slices {pair:?}"
            );
        }
        let worker = tracks.iter().find(|(_, &t)| t == tid).unwrap().0;
        let stamps: BTreeSet<u64> = log
            .events
            .iter()
            .filter(|e| e.worker.as_ref().map(|w| w.as_str()) == Some(worker.as_str()))
            .map(|e| e.at_us)
            .collect();
        for (ts, _) in list {
            assert!(
                stamps.contains(&(ts as u64)),
                "{worker}: a slice at {ts} µs"
            );
        }
    }
}

/// Same seed, same run: on real threads, every lesson run twice with one
/// seeded chooser (the seeds' extremes too) takes the same schedule with the
/// same events and values, and replaying it takes it again, marked as
/// followed.
#[test]
fn the_same_seed_gives_the_same_run_and_its_replay_follows_it() {
    use threadyard::lessons;
    use threadyard::Chooser;
    for lesson in lessons::all() {
        for seed in [0, 1, 2, 3, 17, u64::MAX / 2, u64::MAX - 1, u64::MAX] {
            for chooser in [
                Chooser::Random { seed },
                Chooser::Pct { seed, depth: 1 },
                Chooser::Pct { seed, depth: 3 },
                Chooser::Pct { seed, depth: 8 },
            ] {
                let first = lessons::run(&lesson, chooser.clone()).unwrap();
                let again = lessons::run(&lesson, chooser.clone()).unwrap();
                assert_eq!(first.schedule, again.schedule, "{} {chooser:?}", lesson.id);
                assert_eq!(first.happened, again.happened, "{} {chooser:?}", lesson.id);
                assert_eq!(first.left_schedule, None);
                let replay = lessons::run(
                    &lesson,
                    Chooser::Fixed {
                        schedule: first.schedule.clone(),
                    },
                )
                .unwrap();
                assert_eq!(replay.left_schedule, None, "{} {chooser:?}", lesson.id);
                assert_eq!(replay.happened, first.happened, "{} {chooser:?}", lesson.id);
                assert_eq!(replay.outcome, first.outcome);
            }
        }
    }
}

/// Hold and release racing from many threads, with readers: `time_held`
/// never goes backwards for any reader, the dial ends released after the
/// last release, and a workload held by it goes on.
#[test]
fn hold_and_release_racing_from_many_threads_keep_time_held_monotone() {
    use std::sync::atomic::{AtomicBool, Ordering};
    let pace = Pace::new(1.0).unwrap();
    let yard = Yard::<String>::new();
    yard.spawn("cpu", workloads::cpu_bound_held_by(1_000, pace.clone()))
        .unwrap();
    let done = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..3 {
            scope.spawn(|| {
                let mut last = Duration::ZERO;
                while !done.load(Ordering::SeqCst) {
                    let now = pace.time_held();
                    assert!(now >= last, "time_held went back: {last:?} then {now:?}");
                    last = now;
                }
            });
        }
        let changers: Vec<_> = (0..4)
            .map(|t| {
                let pace = &pace;
                scope.spawn(move || {
                    for i in 0..2_000 {
                        if (i + t) % 2 == 0 {
                            pace.hold();
                        } else {
                            pace.release();
                        }
                        assert!(pace
                            .set(if i % 3 == 0 { MIN_SPEED } else { MAX_SPEED })
                            .is_ok());
                        assert!(pace.set(f64::NAN).is_err());
                    }
                })
            })
            .collect();
        for changer in changers {
            changer.join().unwrap();
        }
        pace.release();
        done.store(true, Ordering::SeqCst);
    });
    assert!(!pace.is_held());
    // Released, the loop computes again: a pause is taken at its next point.
    yard.pause("cpu").unwrap();
    assert_eq!(
        yard.wait_for_state("cpu", LONG, |s| s == WorkerState::Paused),
        Ok(WorkerState::Paused)
    );
    drop(yard.shutdown(LONG));
}

/// PCT's depth is documented as 1 to 8; a depth outside it was quietly run
/// as the nearest (0 as 1, u32::MAX as 8), so a search reported as "depth
/// 0" or "depth 100" was neither. `lessons::run` refuses it, naming the
/// range.
#[test]
fn a_pct_depth_outside_1_to_8_is_refused_by_a_lesson_run() {
    use threadyard::lessons;
    use threadyard::Chooser;
    let lesson = lessons::find("lost-update").unwrap();
    for depth in [0, 9, u32::MAX] {
        match lessons::run(&lesson, Chooser::Pct { seed: 1, depth }) {
            Ok(run) => panic!(
                "depth {depth} was run as another: schedule {:?}",
                run.schedule
            ),
            Err(e) => assert!(e.to_string().contains("1 to 8"), "depth {depth}: {e}"),
        }
    }
    for depth in 1..=8 {
        assert!(lessons::run(&lesson, Chooser::Pct { seed: 1, depth }).is_ok());
    }
}

/// The builder takes a PCT depth as given: outside 1 to 8 it ran as the
/// nearest depth (0 as 1, `u32::MAX` as 8), so a manager aimed at a depth it
/// never tried. Refused now, with the range.
#[test]
fn a_pct_depth_outside_1_to_8_is_refused_by_the_builder() {
    use threadyard::{Chooser, ConfigError, PCT_DEPTHS};
    for depth in [0, 9, u32::MAX] {
        match Yard::<()>::builder()
            .stepped(Chooser::Pct { seed: 1, depth })
            .build()
        {
            Err(ConfigError::PctDepth { given }) => assert_eq!(given, depth),
            other => panic!("depth {depth}: {:?}", other.map(|_| "built")),
        }
    }
    for depth in PCT_DEPTHS {
        assert!(Yard::<()>::builder()
            .stepped(Chooser::Pct { seed: 1, depth })
            .build()
            .is_ok());
    }
}
