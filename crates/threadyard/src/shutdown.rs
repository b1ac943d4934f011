//! Shutdown with one overall deadline, and its report.
//!
//! The seed divided its timeout by the number of threads and joined them one
//! by one while its monitor mutated the same dict. Here every worker is asked
//! to stop at once (paused ones and ones blocked in a receive wake
//! immediately), then the caller waits on the "a worker changed" signal until
//! all have finished or the single deadline passes. The waiting is done by the
//! caller's choice of [`Yard::shutdown`](crate::Yard::shutdown) (blocking) or
//! [`Yard::shutdown_async`](crate::Yard::shutdown_async) (for the browser's
//! main thread); beginning and reporting never block.

use serde::Serialize;

use crate::events::EventKind;
use crate::id::WorkerId;
use crate::runner;
use crate::state::WorkerState;
use crate::sync::{Arc, Ordering};
use crate::worker::Worker;
use crate::yard::Shared;

/// What shutdown found, worker by worker.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Workers that stopped cleanly (including ones never started).
    pub clean: Vec<WorkerId>,
    /// Workers whose task failed, with the error.
    pub failed: Vec<FailedWorker>,
    /// Workers still running at the deadline; their threads are left detached.
    pub unresponsive: Vec<WorkerId>,
    /// The worker whose own task called shutdown (or dropped the manager's
    /// last handle), if one did. Shutdown never waits for it, since it cannot
    /// finish while the call lasts; it stops when its task returns.
    pub caller: Option<WorkerId>,
    /// Messages accepted but never read, over all mailboxes.
    pub undelivered_messages: u64,
    /// How long shutdown took.
    pub elapsed_ms: f64,
}

/// A worker that ended in Failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FailedWorker {
    /// The worker.
    pub id: WorkerId,
    /// Its last error or panic message.
    pub error: String,
}

/// Marks the manager shut down, asks every worker to stop and closes every
/// mailbox. Never blocks.
pub(crate) fn begin<T: Send + 'static>(shared: &Shared<T>) {
    if !shared.shut_down.swap(true, Ordering::AcqRel) {
        shared.events.push(None, EventKind::ShutdownStarted);
    }
    let workers = shared.workers();
    for worker in &workers {
        // No message is accepted from here on; blocked senders give up now.
        worker.slot().stop_and_close();
    }
    // Once for everyone: joiners and Created workers' waiters.
    shared.changes.notify();
    // Logged once everyone is asked and woken: a subscriber is user code.
    tracing::info!(workers = workers.len(), "shutting down");
}

/// The workers shutdown still waits for. Each check drops the ones that have
/// finished, so waiting for n workers costs O(n) in all, not a rescan of
/// every worker (and a copy of the registry) at each of n wakeups: that made
/// shutting down 1,000 workers take 271 ms.
pub(crate) struct Pending<T> {
    workers: Vec<Arc<Worker<T>>>,
}

impl<T: Send + 'static> Pending<T> {
    pub(crate) fn new(shared: &Shared<T>) -> Self {
        let mut workers = shared.workers();
        // Not the calling worker: waiting for it would wait for this very call.
        workers.retain(|worker| !worker.state().is_finished() && !runner::is_running_here(worker));
        Self { workers }
    }

    /// True once every pending worker has finished.
    pub(crate) fn done(&mut self) -> bool {
        self.workers.retain(|worker| !worker.state().is_finished());
        self.workers.is_empty()
    }
}

/// The report as things stand. Never blocks.
pub(crate) fn report<T: Send + 'static>(shared: &Shared<T>, elapsed_ms: f64) -> ShutdownReport {
    let mut report = ShutdownReport {
        elapsed_ms,
        ..ShutdownReport::default()
    };
    for worker in shared.workers() {
        report.undelivered_messages += worker.slot().unread() as u64;
        match worker.state() {
            WorkerState::Stopped => report.clean.push(worker.id().clone()),
            WorkerState::Failed => report.failed.push(FailedWorker {
                id: worker.id().clone(),
                error: worker.slot().last_error().unwrap_or_default(),
            }),
            _ if runner::is_running_here(&worker) => report.caller = Some(worker.id().clone()),
            _ => report.unresponsive.push(worker.id().clone()),
        }
    }
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
