//! One clock for every thread: the manager's timestamps never go backwards.
//!
//! In the browser each Web Worker has its own `performance.timeOrigin`; an
//! event stamped on one worker must still never read earlier than one logged
//! before it on another.

use threadyard::{EventPage, Yard};

use crate::support::*;

/// Workers at once: the browser suite's pool has 8 Web Workers.
const WORKERS: usize = 6;
/// Events in the log by the end, checked pairwise in log order.
const EVENTS: usize = 100_000;

/// Six workers, each on its own thread, log 100,000 events between them as
/// fast as they can (a store to a shared cell is one event, stamped by the
/// storing thread under the log's lock), so consecutive events come from
/// different threads thousands of times. Every stamp must be at least the one
/// before it in the log; every worker's start and end, and the snapshot taken
/// after them, on the same clock.
pub fn timestamps_never_go_backwards_across_threads() {
    let yard = Yard::<()>::builder()
        .event_capacity(EVENTS * 2)
        .build()
        .unwrap();
    let per_worker = EVENTS / WORKERS + 1;
    for n in 0..WORKERS {
        let cell = yard.cell(&format!("cell_{n}"), 0).unwrap();
        yard.spawn(&format!("stamper_{n}"), move |w| {
            for i in 0..per_worker {
                cell.store(w, i as i64)?;
            }
            w.task_done();
            Ok(())
        })
        .unwrap();
    }
    for n in 0..WORKERS {
        yard.join(&format!("stamper_{n}"), LONG).unwrap();
    }
    let snapshot = yard.snapshot();
    let EventPage { events, missed, .. } = yard.events_since(0);
    assert_eq!(missed, 0, "the log kept every event");
    assert!(events.len() >= EVENTS, "{} events", events.len());
    let switches = events
        .windows(2)
        .filter(|pair| pair[0].worker != pair[1].worker)
        .count();
    assert!(
        switches >= WORKERS,
        "the log interleaves the workers' threads ({switches} switches)"
    );
    let backwards: Vec<(u64, u64, u64)> = events
        .windows(2)
        .filter(|pair| pair[1].at_us < pair[0].at_us)
        .map(|pair| (pair[1].seq, pair[0].at_us, pair[1].at_us))
        .take(5)
        .collect();
    assert!(
        backwards.is_empty(),
        "stamps went backwards in log order (seq, before, after): {backwards:?}"
    );
    let last_us = events.last().map_or(0, |e| e.at_us);
    assert!(
        snapshot.at_ms * 1e3 + 1.0 >= last_us as f64,
        "the snapshot ({} ms) was taken after the last event ({last_us} us)",
        snapshot.at_ms
    );
    for worker in &snapshot.workers {
        let (started, ended) = (worker.started_at_ms.unwrap(), worker.ended_at_ms.unwrap());
        assert!(
            started <= ended && ended <= snapshot.at_ms,
            "{}: started {started} ms, ended {ended} ms, snapshot at {} ms",
            worker.id,
            snapshot.at_ms
        );
    }
}
