//! A handle that sends to one worker without looking it up each time.

use std::fmt;
use std::time::Duration;

use crate::error::SendError;
use crate::id::WorkerId;
use crate::sync::Arc;
use crate::worker::Worker;

/// Sends to one worker, holding on to it (no registry lookup per message).
pub struct WorkerSender<T> {
    worker: Arc<Worker<T>>,
}

impl<T> Clone for WorkerSender<T> {
    fn clone(&self) -> Self {
        Self {
            worker: Arc::clone(&self.worker),
        }
    }
}

impl<T> fmt::Debug for WorkerSender<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WorkerSender")
            .field("id", self.worker.id())
            .finish_non_exhaustive()
    }
}

impl<T> WorkerSender<T> {
    pub(super) fn new(worker: Arc<Worker<T>>) -> Self {
        Self { worker }
    }

    /// The worker it sends to.
    pub fn id(&self) -> &WorkerId {
        self.worker.id()
    }

    /// As [`Yard::send`](crate::Yard::send).
    pub fn send(&self, message: T) -> Result<(), SendError<T>> {
        self.worker.slot().push(message, None, None)
    }

    /// As [`Yard::send_timeout`](crate::Yard::send_timeout).
    pub fn send_timeout(&self, message: T, timeout: Duration) -> Result<(), SendError<T>> {
        self.worker.slot().push(message, Some(timeout), None)
    }
}
