//! Supervision: a worker whose task panics is run again by its restart
//! policy, up to a limit, then stays Failed with the panic message; the
//! worker beside it never notices.
//!
//! ```sh
//! cargo run -p threadyard --example supervision
//! ```
//!
//! The four "panicked at ... item N is corrupt" lines on stderr are the
//! failures being supervised. It checks its own outcome and exits non-zero
//! if the manager misbehaved.

use std::error::Error;
use std::time::Duration;

use threadyard::{RestartPolicy, WorkerOptions, WorkerState, Yard};

const MAX_RESTARTS: u32 = 3;
/// Far longer than anything here should take: a deadline for a broken
/// manager, never a wait for a working one.
const GENEROUS: Duration = Duration::from_secs(10);

fn main() -> Result<(), Box<dyn Error>> {
    let yard = Yard::<&'static str>::new();

    // Three restarts allowed within any minute: a task that keeps failing
    // faster than that is given up on instead of restarted forever.
    let policy = RestartPolicy::OnFailure {
        max_restarts: MAX_RESTARTS,
        window: Duration::from_secs(60),
    };
    // The counter belongs to the closure, not to one run of it: a restart
    // calls the same closure again, so the work resumes where it failed
    // (item 11 after item 10) instead of starting over.
    let mut item = 0_u32;
    yard.spawn_with("flaky", WorkerOptions::new().restart(policy), move |w| {
        loop {
            w.pause_point()?;
            item += 1;
            if item % 10 == 0 {
                // The panic is caught at the worker's boundary; nothing else
                // unwinds.
                panic!("item {item} is corrupt");
            }
            w.task_done();
        }
    })?;

    // Blocked in `recv` until there is something to do.
    yard.spawn("steady", |w| loop {
        match w.recv()? {
            "ping" => w.task_done(),
            "done" => return Ok(()),
            other => w.record_error(format!("unknown message {other:?}")),
        }
    })?;

    // Joining waits for the final state: Failed once the budget is spent.
    let end = yard.join("flaky", GENEROUS)?;
    assert_eq!(end, WorkerState::Failed);
    let flaky = yard.worker("flaky")?;
    println!(
        "flaky: {} restarts, {} failed runs, {} items done, last error {:?}",
        flaky.restarts, flaky.errors, flaky.tasks_completed, flaky.last_error
    );
    assert_eq!(flaky.restarts, u64::from(MAX_RESTARTS));
    // The first run and each restart failed once.
    assert_eq!(flaky.errors, u64::from(MAX_RESTARTS) + 1);
    // Items 1 to 40 were tried; every tenth failed.
    assert_eq!(flaky.tasks_completed, 36);
    let error = flaky.last_error.unwrap_or_default();
    assert!(error.contains("item 40 is corrupt"), "kept: {error:?}");

    // Its neighbour is untouched and still takes work.
    assert_eq!(yard.state("steady")?, WorkerState::Running);
    for message in ["ping", "ping", "ping", "done"] {
        yard.send("steady", message)?;
    }
    assert_eq!(yard.join("steady", GENEROUS)?, WorkerState::Stopped);
    let steady = yard.worker("steady")?;
    println!(
        "steady: {} pings answered, {} errors, {} restarts",
        steady.tasks_completed, steady.errors, steady.restarts
    );
    assert_eq!((steady.tasks_completed, steady.errors), (3, 0));

    let report = yard.shutdown(Duration::from_millis(500));
    println!(
        "shutdown: clean {:?}, failed {:?}",
        report.clean, report.failed
    );
    assert_eq!(report.clean.len(), 1);
    assert_eq!(report.failed.len(), 1);
    assert_eq!(report.failed[0].id.as_str(), "flaky");
    assert!(report.failed[0].error.contains("item 40 is corrupt"));
    Ok(())
}
