//! The context a task gets: pause points, its mailbox, its counters.

use std::fmt;
use std::time::Duration;

use crate::changes::Changes;
use crate::clock::Clock;
use crate::error::{SendError, StopRequested, TaskError};
use crate::events::{EventKind, EventLog};
use crate::id::WorkerId;
use crate::mailbox::{Lane, MailboxCounters};
use crate::metrics::Metrics;
use crate::policy::RestartPolicy;
use crate::slot::Want;
use crate::state::{StateCell, WorkerState};
use crate::sync::{deadline_after, lock, Arc, Condvar, Mutex, Ordering, Weak};
use crate::threads::ThreadCounts;
use crate::yard::Shared;

/// `task_done` samples the thread's CPU time once per this many tasks.
const CPU_SAMPLE_EVERY: u64 = 64;

/// A worker's task: called on the worker's thread with its context; called
/// again by a restart policy after a failure, hence `FnMut`.
pub type Task<T> = Box<dyn FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static>;

/// Handed to a task: everything a worker does to cooperate with its manager.
///
/// Blocking calls ([`pause_point`](Self::pause_point), [`recv`](Self::recv),
/// [`recv_timeout`](Self::recv_timeout), [`pause_self`](Self::pause_self))
/// return [`StopRequested`] once the worker is asked to stop: propagate it
/// with `?` and the worker stops cleanly.
///
/// It is the worker's own record, the one its manager holds too (the manager
/// calls it a slot): so [`pause_point`](Self::pause_point) reads the state
/// byte at a fixed offset from the reference the task holds, one load, with
/// no pointer to follow first.
pub struct Worker<T> {
    pub(crate) id: WorkerId,
    pub(crate) state: StateCell,
    pub(crate) lane: Mutex<Lane<T>>,
    /// The worker waits here: for a message, a resume or a stop.
    pub(crate) worker_cv: Condvar,
    /// Senders in `send_timeout` wait here for room.
    pub(crate) sender_cv: Condvar,
    pub(crate) metrics: Metrics,
    pub(crate) mailbox: MailboxCounters,
    pub(crate) last_error: Mutex<Option<String>>,
    /// The task, until `start` hands it to the thread.
    pub(crate) task: Mutex<Option<Task<T>>>,
    pub(crate) restart: RestartPolicy,
    pub(crate) clock: Clock,
    pub(crate) events: Arc<EventLog>,
    pub(crate) changes: Arc<Changes>,
    /// Threads in use: this manager's, and (where the platform shares one
    /// pool between managers) the pool's.
    pub(crate) threads: ThreadCounts,
    pub(crate) record_messages: bool,
    /// The manager, for messages to peers; weak, as the manager owns this.
    pub(crate) yard: Weak<Shared<T>>,
}

impl<T: Send + 'static> Worker<T> {
    /// This worker's id.
    pub fn id(&self) -> &WorkerId {
        &self.id
    }

    /// This worker's state as its manager sees it.
    pub fn state(&self) -> WorkerState {
        self.state.load()
    }

    /// A cooperative pause point. When no pause is requested this is one
    /// atomic load. When one is, the worker becomes Paused here and blocks
    /// (without spinning or polling) until resumed or stopped.
    #[inline]
    pub fn pause_point(&self) -> Result<(), StopRequested> {
        if self.state.is_running() {
            return Ok(());
        }
        self.slow_pause_point()
    }

    #[cold]
    #[inline(never)]
    fn slow_pause_point(&self) -> Result<(), StopRequested> {
        self.wait_at(Want::PastPause, None).map(|_| ())
    }

    /// True once the worker has been asked to stop.
    pub fn should_stop(&self) -> bool {
        self.state.load() == WorkerState::Stopping
    }

    /// Pauses this worker until the manager resumes (or stops) it, as the
    /// seed's worker did on the message "pause".
    pub fn pause_self(&self) -> Result<(), StopRequested> {
        self.pause_itself()
    }

    /// Waits for the next message. Also a pause point: a pause requested while
    /// waiting is acknowledged at once.
    pub fn recv(&self) -> Result<T, StopRequested> {
        loop {
            if let Some(message) = self.wait_at(Want::Message, None)? {
                return Ok(message);
            }
        }
    }

    /// Waits for the next message for at most `timeout` (time spent paused
    /// included); `Ok(None)` when none came. Also a pause point.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<T>, StopRequested> {
        self.wait_at(Want::Message, deadline_after(timeout))
    }

    /// The next message if one is waiting; never blocks, never pauses.
    pub fn try_recv(&self) -> Option<T> {
        self.try_take()
    }

    /// Counts one finished unit of work. The only way `tasks_completed` grows.
    pub fn task_done(&self) {
        let done = self.metrics.tasks_completed.fetch_add(1, Ordering::Relaxed) + 1;
        // The thread's CPU clock is a system call (about 650 ns here), so a
        // busy worker samples it every 64th task; pauses, waits and the end
        // sample it too.
        if done % CPU_SAMPLE_EVERY == 0 {
            self.sample_cpu();
        }
    }

    /// Records a non-fatal error: counted in `errors`, kept as `last_error`,
    /// published as an event. The task goes on.
    pub fn record_error(&self, error: impl fmt::Display) {
        let error = crate::error::capped(error.to_string());
        tracing::warn!(worker = %self.id, %error, "task reported an error");
        Metrics::bump(&self.metrics.errors);
        *lock(&self.last_error) = Some(error.clone());
        self.event(EventKind::ErrorRecorded { error });
    }

    /// Sends a message to another worker of the same manager; fails at once
    /// if its mailbox is full.
    pub fn send_to(&self, id: &str, message: T) -> Result<(), SendError<T>> {
        self.send_to_within(id, message, None)
    }

    /// As [`send_to`](Self::send_to), but waits up to `timeout` for room in
    /// a full mailbox (the sender feels back-pressure). Not a pause point:
    /// keep `timeout` short in a worker that must answer pause and stop.
    pub fn send_to_timeout(
        &self,
        id: &str,
        message: T,
        timeout: Duration,
    ) -> Result<(), SendError<T>> {
        self.send_to_within(id, message, Some(timeout))
    }

    fn send_to_within(
        &self,
        id: &str,
        message: T,
        wait: Option<Duration>,
    ) -> Result<(), SendError<T>> {
        let Some(yard) = self.yard.upgrade() else {
            return Err(SendError::UnknownWorker {
                id: id.to_owned(),
                message,
            });
        };
        match yard.slot(id) {
            Ok(slot) => slot.push(message, wait, Some(&self.id)),
            Err(_) => Err(SendError::UnknownWorker {
                id: id.to_owned(),
                message,
            }),
        }
    }

    /// The ids of the other workers of this manager, in creation order.
    pub fn peers(&self) -> Vec<WorkerId> {
        self.yard.upgrade().map_or_else(Vec::new, |yard| {
            yard.slots()
                .into_iter()
                .map(|slot| slot.id.clone())
                .filter(|id| *id != self.id)
                .collect()
        })
    }
}

impl<T> fmt::Debug for Worker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}
