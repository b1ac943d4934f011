//! The wrapper every task runs in, on its own thread.
//!
//! It does what the seed's polling monitor did, but at the moment things
//! happen: records the start, catches a panic or an error, applies the restart
//! policy, records the end and the final state, closes the mailbox and wakes
//! anyone joining or shutting down.
//!
//! Everything of the caller's that runs here (the task, the `Drop` of its
//! captures, of its panic payloads and of unread messages, and `tracing`
//! subscribers) runs inside a catch: whatever it does, the worker's end is
//! published and the thread (a pooled Web Worker, in a browser) survives.

use std::cell::Cell;
use std::panic::{self, AssertUnwindSafe};

use crate::contain;
use crate::error::{ControlError, TaskError};
use crate::events::EventKind;
use crate::metrics::Metrics;
use crate::policy::RestartBudget;
use crate::slot::Slot;
use crate::state::{Action, WorkerState};
use crate::sync::Arc;
use crate::worker::Task;

thread_local! {
    /// The slot whose task this thread is running (its address), if any: a
    /// shutdown called from inside a task must not wait for that task.
    static RUNNING: Cell<usize> = const { Cell::new(0) };
}

/// The address that identifies a slot in [`RUNNING`].
pub(crate) fn address<T>(slot: &Arc<Slot<T>>) -> usize {
    Arc::as_ptr(slot).cast::<()>() as usize
}

/// True when the calling thread is running `slot`'s task.
pub(crate) fn is_running_here<T>(slot: &Arc<Slot<T>>) -> bool {
    RUNNING.with(Cell::get) == address(slot)
}

/// A worker's job, as handed to the spawner. If the spawner drops it
/// without running it (it failed, or it is broken), the worker is finished
/// as Failed rather than left Running with no thread.
pub(crate) struct Job<T: Send + 'static> {
    slot: Arc<Slot<T>>,
    task: Option<Task<T>>,
}

impl<T: Send + 'static> Job<T> {
    pub(crate) fn new(slot: Arc<Slot<T>>, task: Task<T>) -> Self {
        Self {
            slot,
            task: Some(task),
        }
    }

    pub(crate) fn run(mut self) {
        if let Some(task) = self.task.take() {
            run(Arc::clone(&self.slot), task);
        }
    }
}

impl<T: Send + 'static> Drop for Job<T> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            contain::drop_quietly(task);
            finish(
                &self.slot,
                Some("its thread never ran: the platform dropped the job".to_owned()),
            );
        }
    }
}

fn run<T: Send + 'static>(slot: Arc<Slot<T>>, task: Task<T>) {
    let outer = RUNNING.with(|running| running.replace(address(&slot)));
    let failure = panic::catch_unwind(AssertUnwindSafe(|| supervise(&slot, task)))
        .unwrap_or_else(|payload| Some(contain::panic_text(payload)));
    finish(&slot, failure);
    // Pool threads are reused: the mark must not outlive this job.
    RUNNING.with(|running| running.set(outer));
}

/// Runs the task, again after a failure while its restart policy allows;
/// returns the failure that ended it, if any. The task (and its captures)
/// is dropped here, before the end is recorded.
fn supervise<T: Send + 'static>(slot: &Slot<T>, mut task: Task<T>) -> Option<String> {
    Metrics::set(&slot.metrics.started_at_us, slot.clock.now_us());
    slot.event(EventKind::Started);
    contain::quietly(|| tracing::debug!(worker = %slot.id, "started"));
    let mut budget = RestartBudget::new(slot.restart);
    let failure = loop {
        let error = match panic::catch_unwind(AssertUnwindSafe(|| task(slot))) {
            Ok(Ok(()) | Err(TaskError::Stopped)) => break None,
            Ok(Err(TaskError::Failed(error))) => error,
            Err(payload) => contain::panic_text(payload),
        };
        if slot.state.load() != WorkerState::Stopping && budget.take() {
            slot.note_error(error.clone());
            contain::quietly(
                || tracing::warn!(worker = %slot.id, %error, "task failed; restarting it"),
            );
            Metrics::bump(&slot.metrics.restarts);
            slot.event(EventKind::Restarted { error });
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

/// Asks a worker to stop. One that never started is finished here, since no
/// thread of its own will ever do it.
pub(crate) fn stop<T>(slot: &Slot<T>) -> Result<(), ControlError> {
    if slot.control(Action::Stop)?.to == WorkerState::Stopped {
        slot.finish_unstarted();
    }
    Ok(())
}

/// Records the end of a worker whose thread ran (or could not be started),
/// releasing the thread reserved for it. At most once per worker: a second
/// call (a spawner that both failed and dropped the job) changes nothing.
pub(crate) fn finish<T>(slot: &Slot<T>, failure: Option<String>) {
    if !slot.claim_end() {
        return;
    }
    if let Some(error) = &failure {
        slot.note_error(error.clone());
    }
    slot.sample_cpu();
    Metrics::set(&slot.metrics.ended_at_us, slot.clock.now_us());
    Metrics::set(&slot.metrics.pause_requested_at_us, crate::metrics::UNSET);
    let (action, kind) = match &failure {
        None => (Action::Finish, EventKind::Stopped),
        Some(error) => (
            Action::Fail,
            EventKind::Failed {
                error: error.clone(),
            },
        ),
    };
    // Mailbox and thread first: whoever is woken by the final state finds
    // the mailbox closed and drained and the thread counted as free.
    let left = slot.close();
    slot.release_thread();
    // The only thread that finishes a started worker is its own, so this move
    // cannot be refused; a refusal would mean it had already finished.
    let _ = slot.transition(action, |log, _| log.push(Some(slot.id.clone()), kind));
    // Logged after the end is published: a subscriber is the caller's code.
    contain::quietly(|| match &failure {
        Some(error) => tracing::warn!(worker = %slot.id, %error, unread = left, "worker failed"),
        None => tracing::debug!(worker = %slot.id, unread = left, "finished"),
    });
}
