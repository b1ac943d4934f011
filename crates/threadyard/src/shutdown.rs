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
use crate::slot::Slot;
use crate::state::WorkerState;
use crate::sync::{lock, Arc, Ordering};
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
pub(crate) fn begin<T>(shared: &Shared<T>) {
    if !shared.shut_down.swap(true, Ordering::AcqRel) {
        shared.events.push(None, EventKind::ShutdownStarted);
    }
    let slots = shared.slots();
    for slot in &slots {
        // No message is accepted from here on; blocked senders give up now.
        slot.stop_and_close();
    }
    // Once for everyone: joiners and Created workers' waiters.
    shared.changes.notify();
    // Logged once everyone is asked and woken: a subscriber is user code.
    tracing::info!(workers = slots.len(), "shutting down");
}

/// The workers shutdown still waits for. Each check drops the ones that have
/// finished, so waiting for n workers costs O(n) in all, not a rescan of
/// every worker (and a copy of the registry) at each of n wakeups: that made
/// shutting down 1,000 workers take 271 ms.
pub(crate) struct Pending<T> {
    slots: Vec<Arc<Slot<T>>>,
}

impl<T> Pending<T> {
    pub(crate) fn new(shared: &Shared<T>) -> Self {
        let mut slots = shared.slots();
        // Not the calling worker: waiting for it would wait for this very call.
        slots.retain(|slot| !slot.state.load().is_finished() && !runner::is_running_here(slot));
        Self { slots }
    }

    /// True once every pending worker has finished.
    pub(crate) fn done(&mut self) -> bool {
        self.slots.retain(|slot| !slot.state.load().is_finished());
        self.slots.is_empty()
    }
}

/// The report as things stand. Never blocks.
pub(crate) fn report<T>(shared: &Shared<T>, elapsed_ms: f64) -> ShutdownReport {
    let mut report = ShutdownReport {
        elapsed_ms,
        ..ShutdownReport::default()
    };
    for slot in shared.slots() {
        report.undelivered_messages += slot.unread() as u64;
        match slot.state.load() {
            WorkerState::Stopped => report.clean.push(slot.id.clone()),
            WorkerState::Failed => report.failed.push(FailedWorker {
                id: slot.id.clone(),
                error: lock(&slot.last_error).clone().unwrap_or_default(),
            }),
            _ if runner::is_running_here(&slot) => report.caller = Some(slot.id.clone()),
            _ => report.unresponsive.push(slot.id.clone()),
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
