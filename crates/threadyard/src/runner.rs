//! The wrapper every task runs in, on its own thread.
//!
//! [`Job::run`] records the start, runs the task inside a catch, runs it
//! again while its restart policy allows, drops it, and then has the slot
//! record the end ([`Slot::finish`]): the final state, the mailbox closed
//! and drained, the thread released, everyone waiting woken. Nothing
//! watches from outside; the end is published by the thread that ran the
//! task, the moment the task returns.
//!
//! Everything of the caller's that runs here (the task, the `Drop` of its
//! captures, of its panic payloads and of unread messages, and `tracing`
//! subscribers) runs inside a catch: whatever it does, the worker's end is
//! published and the thread (a pooled Web Worker, in a browser) survives.

use std::panic::{self, AssertUnwindSafe};

use crate::contain;
use crate::current;
use crate::error::TaskError;
use crate::policy::RestartBudget;
use crate::slot::Slot;
use crate::state::WorkerState;
use crate::sync::Arc;
use crate::worker::{Task, Worker};

/// A worker's job, as handed to the spawner. If the spawner drops it
/// without running it (it failed, or it is broken), the worker is finished
/// as Failed rather than left Running with no thread.
pub(crate) struct Job<T: Send + 'static> {
    worker: Arc<Worker<T>>,
    task: Option<Task<T>>,
}

impl<T: Send + 'static> Job<T> {
    pub(crate) fn new(worker: Arc<Worker<T>>, task: Task<T>) -> Self {
        Self {
            worker,
            task: Some(task),
        }
    }

    pub(crate) fn run(mut self) {
        let Some(task) = self.task.take() else {
            return;
        };
        // The start may have given up on this job already (its spawner
        // failed after handing it over): then it must not run.
        if self.worker.slot().claim_launch() {
            run(Arc::clone(&self.worker), task);
        } else {
            contain::drop_quietly(task);
        }
    }
}

impl<T: Send + 'static> Drop for Job<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            contain::drop_quietly(task);
            if self.worker.slot().abandon_launch() {
                self.worker.slot().finish(Some(
                    "its thread never ran: the platform dropped the job".to_owned(),
                ));
                if let Some(hub) = self.worker.hub() {
                    hub.ended(self.worker.id());
                }
            }
        }
    }
}

fn run<T: Send + 'static>(worker: Arc<Worker<T>>, task: Task<T>) {
    let _acting = current::enter(worker.slot().address());
    let failure = panic::catch_unwind(AssertUnwindSafe(|| supervise(&worker, task)))
        .unwrap_or_else(|payload| Some(contain::panic_text(payload)));
    worker.slot().finish(failure);
    // After its end is recorded: in stepped mode the next step is granted
    // only now, so the log's order stays the schedule's.
    if let Some(hub) = worker.hub() {
        hub.ended(worker.id());
    }
}

/// Runs the task, again after a failure while its restart policy allows;
/// returns the failure that ended it, if any. The task (and its captures)
/// is dropped here, before the end is recorded.
fn supervise<T: Send + 'static>(worker: &Worker<T>, mut task: Task<T>) -> Option<String> {
    let slot: &Slot<T, Task<T>> = worker.slot();
    slot.record_start();
    contain::quietly(|| tracing::debug!(worker = %slot.id(), "started"));
    let mut budget = RestartBudget::new(slot.restart_policy());
    let failure = loop {
        let ran = panic::catch_unwind(AssertUnwindSafe(|| task(worker)));
        // Before a restart, a stop or a removal can follow: the run's
        // locks are poisoned while the worker is still Running, so a new
        // worker under the same id never finds one held.
        worker.task_ended();
        let error = match ran {
            Ok(Ok(()) | Err(TaskError::Stopped)) => break None,
            Ok(Err(TaskError::Failed(error))) => error,
            Err(payload) => contain::panic_text(payload),
        };
        let error = crate::error::capped(error);
        if slot.state() != WorkerState::Stopping && budget.take() {
            contain::quietly(
                || tracing::warn!(worker = %slot.id(), %error, "task failed; restarting it"),
            );
            // Looked at again: the log line ran the caller's subscriber,
            // which may have asked for a stop. Nothing of the caller's runs
            // between this look and the run.
            if slot.state() != WorkerState::Stopping {
                slot.note_error(error.clone());
                slot.record_restart(error);
                continue;
            }
        }
        break Some(error);
    };
    match contain::drop_quietly(task) {
        Some(panic) => {
            // Both count; the later one is the worker's last error.
            if let Some(failure) = failure {
                slot.note_error(failure);
            }
            Some(format!("{panic} (while dropping the task)"))
        }
        None => failure,
    }
}
