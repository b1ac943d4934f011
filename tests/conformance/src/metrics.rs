use threadyard::{ControlError, CpuClock, WorkerState, Yard};

use crate::support::*;

pub fn counts_tasks_pauses_and_time() {
    let yard = Yard::<String>::new();
    let (tx, rx) = progress();
    yard.spawn("w", counter(tx)).unwrap();
    while next(&rx) < 10_000 {}
    for _ in 0..2 {
        yard.pause("w").unwrap();
        reach(&yard, "w", WorkerState::Paused);
        // A pause resumed at once can be shorter than the clock's tick (5
        // to 100 µs in a browser), so it would measure 0: the pause is
        // held until the snapshot, which counts an open pause, shows it
        // has lasted. Nothing wakes anyone when a clock ticks, so this
        // looks, with a deadline.
        // (The deadline is read off the worker's own wall clock: std's
        // Instant panics in a browser.)
        let deadline_ms = yard.worker("w").unwrap().wall_ms + LONG.as_secs_f64() * 1e3;
        loop {
            let now = yard.worker("w").unwrap();
            if now.paused_ms > 0.0 {
                break;
            }
            assert!(now.wall_ms < deadline_ms, "the pause never measured");
            std::hint::spin_loop();
        }
        yard.resume("w").unwrap();
    }
    yard.stop("w").unwrap();
    yard.join("w", LONG).unwrap();
    let s = yard.worker("w").unwrap();
    assert!(s.tasks_completed >= 10_000);
    assert_eq!(s.pause_count, 2);
    assert!(s.paused_ms > 0.0);
    let (start, end) = (s.started_at_ms.unwrap(), s.ended_at_ms.unwrap());
    assert!(end >= start);
    assert!((s.wall_ms - (end - start)).abs() < 0.01);
    assert!(s.busy_ms <= s.wall_ms && s.busy_ms > 0.0);
    if cfg!(target_arch = "wasm32") {
        assert_eq!(s.cpu_time_ms, None, "browsers have no thread CPU clock");
        assert_eq!(s.cpu_clock, CpuClock::Unavailable);
    } else {
        assert_eq!(s.cpu_clock, CpuClock::OsThread);
        let cpu = s.cpu_time_ms.expect("the OS has a per-thread CPU clock");
        assert!(
            cpu > 0.0 && cpu <= s.wall_ms + 1.0,
            "cpu {cpu} wall {}",
            s.wall_ms
        );
    }
}

pub fn snapshot_serializes_with_the_documented_fields() {
    let yard = Yard::<String>::new();
    yard.spawn("w", |w| {
        w.task_done();
        Ok(())
    })
    .unwrap();
    yard.join("w", LONG).unwrap();
    let json = serde_json::to_value(yard.snapshot()).unwrap();
    let w = &json["workers"][0];
    assert_eq!(w["id"], "w");
    assert_eq!(w["state"], "stopped");
    assert_eq!(w["tasks_completed"], 1);
    assert_eq!(w["cpu_clock"], CpuClock::PLATFORM.as_str());
    for field in [
        "started_at_ms",
        "ended_at_ms",
        "wall_ms",
        "cpu_time_ms",
        "cpu_clock",
        "busy_ms",
        "blocked_ms",
        "errors",
        "restarts",
        "pause_count",
        "paused_ms",
        "pause_pending_ms",
        "mailbox",
        "last_error",
    ] {
        assert!(w.get(field).is_some(), "missing {field} in {w}");
    }
    for field in [
        "capacity",
        "depth",
        "high_water",
        "sent",
        "received",
        "rejected_full",
    ] {
        assert!(w["mailbox"].get(field).is_some(), "missing mailbox.{field}");
    }
    let states: Vec<String> = [WorkerState::PauseRequested, WorkerState::Failed]
        .iter()
        .map(|s| {
            serde_json::to_value(s)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(states, ["pause-requested", "failed"]);
    let events = serde_json::to_value(yard.events_since(0)).unwrap();
    assert_eq!(events["events"][0]["kind"], "created");
    assert_eq!(events["events"][0]["worker"], "w");
}

pub fn finished_workers_stay_until_removed() {
    let yard = Yard::<String>::new();
    let (tx, rx) = progress();
    yard.spawn("running", counter(tx)).unwrap();
    yard.spawn("done", |w| {
        w.task_done();
        Ok(())
    })
    .unwrap();
    yard.join("done", LONG).unwrap();
    next(&rx);
    let ids: Vec<String> = yard
        .snapshot()
        .workers
        .iter()
        .map(|w| w.id.to_string())
        .collect();
    assert_eq!(ids, ["running", "done"]);
    assert!(matches!(
        yard.remove("running"),
        Err(ControlError::InvalidTransition { .. })
    ));
    let last = yard.remove("done").unwrap();
    assert_eq!(
        (last.state, last.tasks_completed),
        (WorkerState::Stopped, 1)
    );
    assert_eq!(yard.snapshot().workers.len(), 1);
    // The id is free again.
    yard.create("done", |_| Ok(())).unwrap();
}
