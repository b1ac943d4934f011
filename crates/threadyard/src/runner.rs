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

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};

use crate::contain;
use crate::error::TaskError;
use crate::policy::RestartBudget;
use crate::slot::Slot;
use crate::state::WorkerState;
use crate::sync::Arc;
use crate::worker::{Task, Worker};

thread_local! {
    /// The worker whose task this thread is running (its address), if any:
    /// a shutdown called from inside a task must not wait for that task.
    static RUNNING: Cell<usize> = const { Cell::new(0) };
}

/// The address that identifies a worker in [`RUNNING`].
fn address<T>(worker: &Arc<Worker<T>>) -> usize {
    Arc::as_ptr(worker).cast::<()>() as usize
}

/// True when the calling thread is running `worker`'s task.
pub(crate) fn is_running_here<T>(worker: &Arc<Worker<T>>) -> bool {
    RUNNING.with(Cell::get) == address(worker)
}

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
        if let Some(task) = self.task.take() {
            run(Arc::clone(&self.worker), task);
        }
    }
}

impl<T: Send + 'static> Drop for Job<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            contain::drop_quietly(task);
            self.worker.slot().finish(Some(
                "its thread never ran: the platform dropped the job".to_owned(),
            ));
        }
    }
}

fn run<T: Send + 'static>(worker: Arc<Worker<T>>, task: Task<T>) {
    let outer = RUNNING.with(|running| running.replace(address(&worker)));
    let failure = panic::catch_unwind(AssertUnwindSafe(|| supervise(&worker, task)))
        .unwrap_or_else(|payload| Some(contain::panic_text(payload)));
    worker.slot().finish(failure);
    // Pool threads are reused: the mark must not outlive this job.
    RUNNING.with(|running| running.set(outer));
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
        let error = match panic::catch_unwind(AssertUnwindSafe(|| task(worker))) {
            Ok(Ok(()) | Err(TaskError::Stopped)) => break None,
            Ok(Err(TaskError::Failed(error))) => error,
            Err(payload) => contain::panic_text(payload),
        };
        if slot.state() != WorkerState::Stopping && budget.take() {
            slot.note_error(error.clone());
            contain::quietly(
                || tracing::warn!(worker = %slot.id(), %error, "task failed; restarting it"),
            );
            slot.record_restart(error);
            continue;
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
