//! The seed's usage example, on real threads, ten times faster than the
//! seed's seconds: three data processors; at 0.5 s `worker_1` is sent
//! "pause" and asks for its own pause (taken at its next pause point), at
//! 0.8 s the manager resumes it, at 1.5 s
//! "shutdown" is broadcast; then the shutdown report and the metrics.
//!
//! ```sh
//! cargo run -p threadyard --example seed
//! ```
//!
//! It checks its own outcome and exits non-zero if the manager misbehaved.

use std::error::Error;
use std::thread;
use std::time::{Duration, Instant};

use threadyard::{TaskError, Worker, WorkerState, Yard};

/// The seed's clock divided by ten, so the example takes 1.5 s, not 15 s.
const fn seed_time(ms: u64) -> Duration {
    Duration::from_millis(ms / 10)
}

const ITEM: Duration = seed_time(100);
const PAUSE_AT: Duration = seed_time(5_000);
const RESUME_AT: Duration = seed_time(8_000);
const SHUTDOWN_AT: Duration = seed_time(15_000);
/// Far longer than anything here should take: a deadline for a broken
/// manager, never a wait for a working one.
const GENEROUS: Duration = Duration::from_secs(10);

/// The seed's worker: one item per `ITEM`, and two control messages. Waiting
/// for the next message *is* the item's time, so a message is read the
/// moment it arrives instead of after the item.
fn data_processor(w: &Worker<&'static str>) -> Result<(), TaskError> {
    loop {
        // `?` turns a stop request into a clean stop.
        match w.recv_timeout(ITEM)? {
            // The seed's worker asks its manager to pause it on this
            // message and goes on to its pause point; so does this one: the
            // next receive takes the pause, until the manager resumes it.
            Some("pause") => w.request_pause()?,
            Some("shutdown") => return Ok(()),
            Some(other) => w.record_error(format!("unknown message {other:?}")),
            None => w.task_done(),
        }
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let yard = Yard::<&'static str>::new();
    let start = Instant::now();
    for i in 0..3 {
        yard.spawn(&format!("worker_{i}"), data_processor)?;
    }

    sleep_until(start + PAUSE_AT);
    yard.send("worker_1", "pause")?;
    // The pause is the worker's own doing (asked for when it reads the
    // message, taken at its next pause point), so wait for it to happen
    // rather than assume it has.
    yard.wait_for_state("worker_1", GENEROUS, |s| s == WorkerState::Paused)?;
    let paused_seen = Instant::now();

    sleep_until(start + RESUME_AT);
    let resumed_at = Instant::now();
    yard.resume("worker_1")?;

    sleep_until(start + SHUTDOWN_AT);
    let broadcast = yard.broadcast("shutdown");
    assert_eq!(broadcast.recipients.len(), 3, "every worker gets a copy");
    let late = yard.join_all(GENEROUS);
    assert!(
        late.is_empty(),
        "still running after \"shutdown\": {late:?}"
    );

    // Everyone has finished by now, so this only collects the report.
    let report = yard.shutdown(Duration::from_millis(500));
    println!(
        "shutdown in {:.1} ms: {} clean, {} failed, {} unresponsive, {} messages unread",
        report.elapsed_ms,
        report.clean.len(),
        report.failed.len(),
        report.unresponsive.len(),
        report.undelivered_messages
    );
    assert_eq!(report.clean.len(), 3, "all three stop cleanly: {report:?}");
    assert_eq!(report.undelivered_messages, 0, "every message was read");

    println!(
        "\n{:<10} {:>8} {:>6} {:>7} {:>10} {:>8}",
        "worker", "state", "items", "pauses", "paused ms", "cpu ms"
    );
    let workers = yard.snapshot().workers;
    for w in &workers {
        println!(
            "{:<10} {:>8} {:>6} {:>7} {:>10.0} {:>8}",
            w.id.as_str(),
            w.state.to_string(),
            w.tasks_completed,
            w.pause_count,
            w.paused_ms,
            w.cpu_time_ms.map_or("-".into(), |ms| format!("{ms:.1}")),
        );
        assert_eq!(w.state, WorkerState::Stopped);
        assert!(w.tasks_completed > 0, "{} did no work", w.id);
        assert_eq!(w.errors, 0, "{}: {:?}", w.id, w.last_error);
    }

    let worker_1 = yard.worker("worker_1")?;
    assert_eq!(worker_1.pause_count, 1, "worker_1 paused once");
    // It was Paused before `paused_seen` and until after `resumed_at` (the
    // manager counts whole microseconds: one is allowed for the rounding).
    let held = (resumed_at - paused_seen).as_secs_f64() * 1e3;
    assert!(
        worker_1.paused_ms + 0.001 >= held,
        "worker_1 was paused {:.0} ms, but at least {held:.0} ms passed between seeing it paused and resuming it",
        worker_1.paused_ms
    );
    for other in ["worker_0", "worker_2"] {
        assert_eq!(yard.worker(other)?.pause_count, 0, "{other} never paused");
    }
    // How far behind depends on the scheduler, so it is shown, not checked.
    let others = workers
        .iter()
        .filter(|w| w.id.as_str() != "worker_1")
        .map(|w| w.tasks_completed)
        .sum::<u64>() as f64
        / 2.0;
    println!(
        "\nworker_1 paused for {:.0} ms and did {:.0} items fewer than the others (seed: about 30)",
        worker_1.paused_ms,
        others - worker_1.tasks_completed as f64
    );
    Ok(())
}

/// The script's timeline: sleeping here paces the demo; it never stands in
/// for waiting on something the workers do.
fn sleep_until(at: Instant) {
    thread::sleep(at.saturating_duration_since(Instant::now()));
}
