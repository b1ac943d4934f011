//! The wrapper every task runs in, on its own thread.
//!
//! It does what the seed's polling monitor did, but at the moment things
//! happen: records the start, catches a panic or an error, applies the restart
//! policy, records the end and the final state, closes the mailbox and wakes
//! anyone joining or shutting down.

use std::any::Any;
use std::panic::{self, AssertUnwindSafe};

use crate::error::{ControlError, TaskError};
use crate::events::EventKind;
use crate::metrics::Metrics;
use crate::policy::RestartBudget;
use crate::slot::Slot;
use crate::state::{Action, WorkerState};
use crate::sync::{lock, Arc};
use crate::worker::Task;

pub(crate) fn run<T: Send + 'static>(slot: Arc<Slot<T>>, mut task: Task<T>) {
    Metrics::set(&slot.metrics.started_at_us, slot.clock.now_us());
    slot.event(EventKind::Started);
    tracing::debug!(worker = %slot.id, "started");
    let mut budget = RestartBudget::new(slot.restart);
    let failure = loop {
        let error = match panic::catch_unwind(AssertUnwindSafe(|| task(&slot))) {
            Ok(Ok(()) | Err(TaskError::Stopped)) => break None,
            Ok(Err(TaskError::Failed(error))) => error,
            Err(payload) => format!("panicked: {}", panic_message(payload.as_ref())),
        };
        let error = crate::error::capped(error);
        Metrics::bump(&slot.metrics.errors);
        *lock(&slot.last_error) = Some(error.clone());
        if slot.state.load() != WorkerState::Stopping && budget.take() {
            tracing::warn!(worker = %slot.id, %error, "task failed; restarting it");
            Metrics::bump(&slot.metrics.restarts);
            slot.event(EventKind::Restarted { error });
            continue;
        }
        break Some(error);
    };
    drop(task);
    finish(&slot, failure);
}

/// Asks a worker to stop. One that never started is finished here, since no
/// thread of its own will ever do it.
pub(crate) fn stop<T>(slot: &Slot<T>) -> Result<(), ControlError> {
    if slot.control(Action::Stop)?.to == WorkerState::Stopped {
        drop(lock(&slot.task).take());
        slot.close();
    }
    Ok(())
}

/// Records the end of a worker whose thread ran (or could not be started),
/// releasing the thread reserved for it.
pub(crate) fn finish<T>(slot: &Slot<T>, failure: Option<String>) {
    slot.sample_cpu();
    Metrics::set(&slot.metrics.ended_at_us, slot.clock.now_us());
    Metrics::set(&slot.metrics.pause_requested_at_us, crate::metrics::UNSET);
    let (action, kind) = match failure {
        None => (Action::Finish, EventKind::Stopped),
        Some(error) => {
            tracing::warn!(worker = %slot.id, %error, "worker failed");
            (Action::Fail, EventKind::Failed { error })
        }
    };
    // Mailbox and thread first: whoever is woken by the final state finds
    // the mailbox closed and the thread counted as free.
    let left = slot.close();
    slot.release_thread();
    // The only thread that finishes a started worker is its own, so this move
    // cannot be refused; a refusal would mean it had already finished.
    let _ = slot.transition(action, |log, _| log.push(Some(slot.id.clone()), kind));
    tracing::debug!(worker = %slot.id, unread = left, "finished");
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("a panic with a non-text payload")
}
