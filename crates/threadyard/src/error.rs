//! Every way a call into the manager can go wrong, each saying what to do.
//!
//! Errors carry the refused message back where one was given, so nothing a
//! caller hands over is ever dropped silently.

use std::fmt;

use thiserror::Error;

use crate::id::{IdError, WorkerId};
use crate::state::{Action, WorkerState};

/// The longest error text kept (in `last_error`, events and reports), in
/// bytes: a task may fail with any text, and every snapshot copies it.
pub const MAX_ERROR_LEN: usize = 1024;

/// `error`, cut to [`MAX_ERROR_LEN`] bytes (at a character boundary) with a
/// note of its full length when it is longer.
pub(crate) fn capped(mut error: String) -> String {
    if error.len() > MAX_ERROR_LEN {
        let full = error.len();
        let mut end = MAX_ERROR_LEN;
        while !error.is_char_boundary(end) {
            end -= 1;
        }
        error.truncate(end);
        error.push_str(&format!("… ({full} bytes in all)"));
    }
    error
}

/// A setting that the manager cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A mailbox must hold at least one message and at most the limit.
    #[error("mailbox capacity {given} is out of range: use 1 to {max}")]
    MailboxCapacity {
        /// The capacity asked for.
        given: usize,
        /// The largest accepted.
        max: usize,
    },
    /// `max_threads(0)` would refuse every start.
    #[error("max_threads is 0, so no worker could ever start: use at least 1, or leave it unset for no limit")]
    MaxThreads,
    /// A restart policy whose limit or window is out of range.
    #[error("restart policy {policy}: {problem}")]
    RestartPolicy {
        /// The policy as given.
        policy: String,
        /// What is wrong with it and what to use instead.
        problem: &'static str,
    },
    /// `Chooser::Pct` with a depth outside [`PCT_DEPTHS`](crate::PCT_DEPTHS).
    #[error("PCT depth {given} is out of range: use 1 to 8 (the number of ordering constraints the bug needs)")]
    PctDepth {
        /// The depth asked for.
        given: u32,
    },
    /// The event log must keep at least one event.
    #[error("event log capacity {given} is out of range: use 1 to {max}")]
    EventCapacity {
        /// The capacity asked for.
        given: usize,
        /// The largest accepted.
        max: usize,
    },
}

/// Why a worker could not be created.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum CreateError {
    /// The id is not valid.
    #[error(transparent)]
    InvalidId(#[from] IdError),
    /// Its per-worker settings are not valid.
    #[error(transparent)]
    InvalidConfig(#[from] ConfigError),
    /// Another worker already has this id.
    #[error(
        "a worker named `{0}` already exists: pick another id, or remove the finished one first"
    )]
    Duplicate(WorkerId),
    /// The manager has been shut down.
    #[error("the manager is shut down and takes no new workers: create a new manager")]
    ShutDown,
}

/// Why a control call (start, pause, resume, stop, remove, join) was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ControlError {
    /// No worker has this id.
    #[error("no worker named `{id}`: check the id against snapshot()")]
    UnknownWorker {
        /// The id given.
        id: String,
    },
    /// The worker's state does not allow this action; nothing changed.
    #[error("cannot {action} worker `{id}`: it is {state} ({})", action.allowed_from())]
    InvalidTransition {
        /// The worker.
        id: WorkerId,
        /// What was asked.
        action: Action,
        /// The state it was in.
        state: WorkerState,
    },
    /// Every thread the platform can give is busy with a live worker.
    #[error("cannot start worker `{id}`: all {capacity} threads are busy; stop a worker, wait for one to finish, or raise the capacity")]
    AtCapacity {
        /// The worker that stays Created.
        id: WorkerId,
        /// The platform's thread capacity.
        capacity: usize,
    },
    /// The platform refused to start a thread; the worker is marked Failed.
    #[error("the platform could not start a thread for worker `{id}`: {reason}")]
    Spawn {
        /// The worker.
        id: WorkerId,
        /// What the platform said.
        reason: String,
    },
    /// The manager has been shut down.
    #[error("the manager is shut down: create a new manager")]
    ShutDown,
    /// `join` gave up at its deadline; the worker goes on.
    #[error("worker `{id}` is still {state} at the deadline: stop it, or join again with a longer timeout")]
    Timeout {
        /// The worker.
        id: WorkerId,
        /// Its state at the deadline.
        state: WorkerState,
    },
}

/// Why [`Yard::spawn`](crate::Yard::spawn) failed; nothing was kept.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SpawnError {
    /// The worker could not be created.
    #[error(transparent)]
    Create(#[from] CreateError),
    /// It was created but could not be started.
    #[error(transparent)]
    Start(#[from] ControlError),
}

/// Why a message was not accepted. The message comes back inside the error.
#[derive(Error)]
#[non_exhaustive]
pub enum SendError<T> {
    /// No worker has this id.
    #[error("no worker named `{id}`: check the id against snapshot()")]
    UnknownWorker {
        /// The id given.
        id: String,
        /// The message, returned.
        message: T,
    },
    /// The worker's mailbox is full (after waiting, for `send_timeout`).
    #[error("the mailbox of worker `{id}` is full ({capacity} messages): retry later, use send_timeout, or give it a larger mailbox")]
    Full {
        /// The worker.
        id: WorkerId,
        /// Its mailbox capacity.
        capacity: usize,
        /// The message, returned.
        message: T,
    },
    /// The worker has finished (or the manager shut down): it will never read it.
    #[error("worker `{id}` has finished and reads no more messages")]
    Finished {
        /// The worker.
        id: WorkerId,
        /// The message, returned.
        message: T,
    },
}

impl<T> SendError<T> {
    /// Takes back the message that was not delivered.
    pub fn into_message(self) -> T {
        match self {
            Self::UnknownWorker { message, .. }
            | Self::Full { message, .. }
            | Self::Finished { message, .. } => message,
        }
    }
}

// Written by hand so that `T` needs no `Debug`: any message type can be sent.
impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownWorker { id, .. } => f
                .debug_struct("UnknownWorker")
                .field("id", id)
                .finish_non_exhaustive(),
            Self::Full { id, capacity, .. } => f
                .debug_struct("Full")
                .field("id", id)
                .field("capacity", capacity)
                .finish_non_exhaustive(),
            Self::Finished { id, .. } => f
                .debug_struct("Finished")
                .field("id", id)
                .finish_non_exhaustive(),
        }
    }
}

/// Returned to a task by blocking calls once its worker has been asked to stop.
///
/// Propagate it with `?`: a task that returns it has stopped cleanly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("the worker was asked to stop")]
pub struct StopRequested;

/// How a task ends other than by returning `Ok(())`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TaskError {
    /// The task honoured a stop request: a clean stop.
    #[error("stopped on request")]
    Stopped,
    /// The task failed: the worker becomes Failed (or restarts, by its policy).
    #[error("{0}")]
    Failed(String),
}

impl TaskError {
    /// A failure with a message.
    pub fn failed(message: impl fmt::Display) -> Self {
        Self::Failed(message.to_string())
    }
}

impl From<StopRequested> for TaskError {
    fn from(_: StopRequested) -> Self {
        Self::Stopped
    }
}

impl From<String> for TaskError {
    fn from(message: String) -> Self {
        Self::Failed(message)
    }
}

impl From<&str> for TaskError {
    fn from(message: &str) -> Self {
        Self::Failed(message.to_owned())
    }
}

/// Why an operation on a shared cell or lock
/// ([`shared`](crate::shared)) did not happen.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ShareError {
    /// The worker was asked to stop while it waited: propagate with `?`.
    #[error("the worker was asked to stop")]
    Stopped,
    /// A cell or lock of that name already exists in this manager.
    #[error("this manager already has a shared object named `{0}`: pick another name, or clone the handle you have")]
    Duplicate(String),
    /// The worker already holds the lock: taking it again would wait for
    /// itself forever.
    #[error("worker `{worker}` already holds lock {lock}: unlock it before taking it again")]
    AlreadyHeld {
        /// The lock.
        lock: String,
        /// The worker.
        worker: WorkerId,
    },
    /// The lock's holder ended (its task returned, failed or panicked)
    /// without unlocking it: what it guards may be half-updated. Nobody
    /// holds it; every `lock` and `unlock` fails this way until
    /// [`SharedLock::clear_poison`](crate::shared::SharedLock::clear_poison).
    #[error("lock {lock} is poisoned: `{holder}` ended holding it, so what it guards may be half-updated; check that, then call SharedLock::clear_poison to use the lock again")]
    Poisoned {
        /// The lock.
        lock: String,
        /// The worker that ended holding it.
        holder: WorkerId,
    },
    /// Only the holder may release a lock.
    #[error("worker `{worker}` cannot unlock {lock}: {}", holder.as_ref().map_or_else(|| "nobody holds it".to_owned(), |h| format!("`{h}` holds it")))]
    NotHolder {
        /// The lock.
        lock: String,
        /// The worker that tried.
        worker: WorkerId,
        /// Who holds it, if anyone.
        holder: Option<WorkerId>,
    },
    /// In stepped mode, a helper thread the task lent `&Worker` to used a
    /// shared cell or lock: only the worker's own thread is scheduled.
    #[error("`{object}` was used by a helper thread of stepped worker `{worker}`: in stepped mode only the worker's own thread is scheduled, so do shared operations on the task's thread (helper threads may still call pause_point and receive)")]
    NotScheduled {
        /// The cell or lock.
        object: String,
        /// The worker.
        worker: WorkerId,
    },
    /// The object belongs to another manager than the worker using it.
    #[error("`{object}` belongs to another manager than worker `{worker}`: make it with this worker's Yard")]
    OtherManager {
        /// The cell or lock.
        object: String,
        /// The worker.
        worker: WorkerId,
    },
}

impl From<StopRequested> for ShareError {
    fn from(_: StopRequested) -> Self {
        Self::Stopped
    }
}

impl From<ShareError> for TaskError {
    fn from(error: ShareError) -> Self {
        match error {
            ShareError::Stopped => Self::Stopped,
            other => Self::Failed(other.to_string()),
        }
    }
}

#[cfg(test)]
mod test {
    use super::{capped, MAX_ERROR_LEN};

    #[test]
    fn long_error_texts_are_cut_at_a_character_boundary() {
        assert_eq!(capped("short".into()), "short");
        let long = "é".repeat(MAX_ERROR_LEN); // two bytes each
        let cut = capped(long);
        assert!(cut.len() < MAX_ERROR_LEN + 40, "{}", cut.len());
        assert!(cut.ends_with(&format!("… ({} bytes in all)", 2 * MAX_ERROR_LEN)));
    }
}
