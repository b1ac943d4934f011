//! Workers are real threads running at the same time.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use threadyard::{WorkerState, Yard};

use crate::support::*;

/// Two workers spin on shared atomics: each bumps its own counter and counts
/// how often it saw the other's move, without ever yielding or waiting. Both
/// finish only if both ran during the same stretch of time.
pub fn two_workers_progress_at_the_same_time() {
    const SIGHTINGS: u64 = 1_000;
    let counters: Arc<[AtomicU64; 3]> =
        Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let yard = Yard::<()>::new();
    for me in 0..2 {
        let counters = Arc::clone(&counters);
        yard.spawn(&format!("spinner_{me}"), move |w| {
            let (mine, other, done) = (&counters[me], &counters[1 - me], &counters[2]);
            let mut last = other.load(Ordering::Relaxed);
            let mut seen = 0;
            // Keep moving until both have seen enough, so the slower one
            // never waits for a counter that stopped.
            while done.load(Ordering::Relaxed) < 2 {
                mine.fetch_add(1, Ordering::Relaxed);
                let now = other.load(Ordering::Relaxed);
                if now != last {
                    last = now;
                    seen += 1;
                    if seen == SIGHTINGS {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
                if w.should_stop() {
                    return Err("stopped before seeing the other worker move".into());
                }
            }
            w.task_done();
            Ok(())
        })
        .unwrap();
    }
    for me in 0..2 {
        assert_eq!(
            yard.join(&format!("spinner_{me}"), LONG).unwrap(),
            WorkerState::Stopped
        );
    }
    assert!(counters[0].load(Ordering::Relaxed) >= SIGHTINGS);
    assert!(counters[1].load(Ordering::Relaxed) >= SIGHTINGS);
}
