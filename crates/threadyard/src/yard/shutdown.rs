//! Shutdown with one overall deadline.
//!
//! Every worker is asked to stop at once (paused ones and ones blocked in a
//! receive wake immediately) and every mailbox is closed in the same pass;
//! then the caller waits on the "a worker changed" signal until all have
//! finished or the single deadline passes, taken when the call was made.
//! The waiting is done by the caller's choice of
//! [`Yard::shutdown`](crate::Yard::shutdown) (blocking) or
//! [`Yard::shutdown_async`](crate::Yard::shutdown_async) (for the browser's
//! main thread); beginning and reporting never block. A worker whose own
//! task called shutdown is not waited for: it cannot finish while the call
//! lasts.

use super::report::{FailedWorker, ShutdownReport};
use super::shared::Shared;
use crate::current;
use crate::events::EventKind;
use crate::id::WorkerId;
use crate::state::WorkerState;
use crate::sync::{Arc, Ordering};
use crate::worker::Worker;

/// Marks the manager shut down, asks every worker to stop and closes every
/// mailbox. Never blocks.
pub(super) fn begin<T: Send + 'static>(shared: &Shared<T>) {
    if !shared.shut_down.swap(true, Ordering::AcqRel) {
        shared.events.push(None, EventKind::ShutdownStarted);
    }
    let workers = shared.workers();
    for worker in &workers {
        // No message is accepted from here on; blocked senders give up now.
        worker.slot().stop_and_close();
    }
    // Workers held for a step or waiting for a lock.
    shared.hub.wake();
    // Once for everyone: joiners and Created workers' waiters.
    shared.changes.notify();
    // Logged once everyone is asked and woken: a subscriber is user code.
    tracing::info!(workers = workers.len(), "shutting down");
}

/// The workers shutdown still waits for. Each check drops the ones that have
/// finished, so waiting for n workers costs O(n) in all, not a rescan of
/// every worker (and a copy of the registry) at each of n wakeups: that made
/// shutting down 1,000 workers take 271 ms.
pub(super) struct Pending<T> {
    workers: Vec<Arc<Worker<T>>>,
    /// Workers no longer waited for because their task was inside a
    /// shutdown call: the report says so even if that call has returned by
    /// then (and the worker is still finishing), rather than calling a
    /// worker unresponsive long before the deadline.
    passed_over: Vec<WorkerId>,
}

impl<T: Send + 'static> Pending<T> {
    pub(super) fn new(shared: &Shared<T>) -> Self {
        let mut pending = Self {
            workers: shared.workers(),
            passed_over: Vec::new(),
        };
        // Not the calling worker: waiting for it would wait for this very
        // call. Nor one inside a shutdown of its own, for the same reason.
        pending.done();
        pending
    }

    /// True once every pending worker has finished.
    pub(super) fn done(&mut self) -> bool {
        let passed_over = &mut self.passed_over;
        self.workers.retain(|worker| {
            if worker.state().is_finished() {
                return false;
            }
            if in_shutdown(worker) {
                passed_over.push(worker.id().clone());
                return false;
            }
            true
        });
        self.workers.is_empty()
    }
}

/// True when `worker`'s own task is inside a shutdown call: this one (the
/// calling thread acts for it) or another.
fn in_shutdown<T: Send + 'static>(worker: &Worker<T>) -> bool {
    current::is(worker.slot().address()) || worker.slot().is_in_shutdown()
}

/// The report as things stand. Never blocks.
pub(super) fn report<T: Send + 'static>(
    shared: &Shared<T>,
    pending: &Pending<T>,
    elapsed_ms: f64,
) -> ShutdownReport {
    let mut report = ShutdownReport {
        elapsed_ms,
        deadlocks: shared.hub.deadlocks(),
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
            _ if in_shutdown(&worker) || pending.passed_over.contains(worker.id()) => {
                report.in_shutdown.push(worker.id().clone());
            }
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
