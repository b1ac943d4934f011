//! Shutdown with one overall deadline, and its report.
//!
//! The seed divided its timeout by the number of threads and joined them one
//! by one while its monitor mutated the same dict. Here every worker is asked
//! to stop at once (paused ones and ones blocked in a receive wake
//! immediately), then the caller waits on the "a worker finished" signal until
//! all have finished or the single deadline passes.

use std::time::Duration;

use serde::Serialize;
use web_time::Instant;

use crate::events::EventKind;
use crate::id::WorkerId;
use crate::runner;
use crate::state::WorkerState;
use crate::sync::{deadline_after, lock, Ordering};
use crate::yard::Shared;

/// What shutdown found, worker by worker.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ShutdownReport {
    /// Workers that stopped cleanly (including ones never started).
    pub clean: Vec<WorkerId>,
    /// Workers whose task failed, with the error.
    pub failed: Vec<FailedWorker>,
    /// Workers still running at the deadline; their threads are left detached.
    pub unresponsive: Vec<WorkerId>,
    /// Messages accepted but never read, over all mailboxes.
    pub undelivered_messages: u64,
    /// How long shutdown took.
    pub elapsed_ms: f64,
}

/// A worker that ended in Failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailedWorker {
    /// The worker.
    pub id: WorkerId,
    /// Its last error or panic message.
    pub error: String,
}

pub(crate) fn run<T>(shared: &Shared<T>, timeout: Duration) -> ShutdownReport {
    let began = Instant::now();
    let deadline = deadline_after(timeout);
    let first = !shared.shut_down.swap(true, Ordering::AcqRel);
    if first {
        shared.events.push(None, EventKind::ShutdownStarted);
    }
    let slots = shared.slots();
    tracing::info!(workers = slots.len(), ?timeout, "shutting down");
    for slot in &slots {
        // Refused only for workers already stopping or finished: fine here.
        let _ = runner::stop(slot);
        // No message is accepted from here on; blocked senders give up now.
        slot.close();
    }
    shared.changes.wait(deadline, || {
        slots.iter().all(|slot| slot.state.load().is_finished())
    });

    let mut report = ShutdownReport::default();
    for slot in &slots {
        report.undelivered_messages += slot.depth() as u64;
        match slot.state.load() {
            WorkerState::Stopped => report.clean.push(slot.id.clone()),
            WorkerState::Failed => report.failed.push(FailedWorker {
                id: slot.id.clone(),
                error: lock(&slot.last_error).clone().unwrap_or_default(),
            }),
            _ => report.unresponsive.push(slot.id.clone()),
        }
    }
    report.elapsed_ms = began.elapsed().as_secs_f64() * 1e3;
    if !report.unresponsive.is_empty() {
        tracing::warn!(unresponsive = ?report.unresponsive, "workers did not stop by the deadline");
    }
    shared.events.push(
        None,
        EventKind::ShutdownFinished {
            unresponsive: report.unresponsive.len(),
        },
    );
    report
}
