//! The context a task gets: pause points, its mailbox, its counters, its
//! peers.

use std::fmt;
use std::time::Duration;

use crate::activity::Activity;
use crate::error::{SendError, ShareError, StopRequested, TaskError};
use crate::hub::Hub;
use crate::id::WorkerId;
use crate::slot::{Slot, Taken, Want};
use crate::state::{Action, WorkerState};
use crate::steps::Op;
use crate::sync::{deadline_after, Arc, Weak};

/// A worker's task: called on the worker's thread with its context; called
/// again by a restart policy after a failure, hence `FnMut`.
pub type Task<T> = Box<dyn FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static>;

/// What a worker needs of the other workers of its manager: to send to one
/// and to know their ids. The manager implements it; a worker holds it
/// weakly (the manager owns the worker), so it reaches its peers without
/// knowing the manager's insides.
pub(crate) trait Peers<T>: Send + Sync {
    /// Queues `message` for worker `to`, from worker `from`, waiting up to
    /// `wait` for room in a full mailbox.
    fn send(
        &self,
        from: &WorkerId,
        to: &str,
        message: T,
        wait: Option<Duration>,
    ) -> Result<(), SendError<T>>;

    /// Every worker's id, in creation order.
    fn ids(&self) -> Vec<WorkerId>;

    /// The manager's shared cells, locks, waits and steps.
    fn hub(&self) -> Arc<Hub>;
}

/// Handed to a task: everything a worker does to cooperate with its manager.
///
/// Blocking calls ([`pause_point`](Self::pause_point), [`recv`](Self::recv),
/// [`recv_timeout`](Self::recv_timeout), [`pause_self`](Self::pause_self))
/// return [`StopRequested`] once the worker is asked to stop (so does
/// [`request_pause`](Self::request_pause)): propagate it with `?` and the
/// worker stops cleanly.
///
/// A task may share `&Worker` with helper threads (scoped threads): several
/// threads may wait in it at once, and a resume or a stop wakes them all.
/// In stepped mode only the worker's own thread is scheduled: a helper's
/// pause points and receives are not steps, and its operations on shared
/// cells and locks fail with [`ShareError::NotScheduled`].
///
/// It holds the worker's shared record (the slot, which its manager holds
/// too, through this same value) inline, not behind a pointer: so
/// [`pause_point`](Self::pause_point) reads the state byte at a fixed offset
/// from the reference the task holds, one load, with no pointer to follow
/// first.
pub struct Worker<T> {
    slot: Slot<T, Task<T>>,
    peers: Weak<dyn Peers<T>>,
}

impl<T> Worker<T> {
    pub(crate) fn new(slot: Slot<T, Task<T>>, peers: Weak<dyn Peers<T>>) -> Self {
        Self { slot, peers }
    }

    /// The manager's hub (shared cells, locks, waits, steps), while the
    /// manager lives. Reached through the peers, not kept here: the worker's
    /// record stays the size and shape the pause point's one load was
    /// measured with.
    pub(crate) fn hub(&self) -> Option<Arc<Hub>> {
        self.peers.upgrade().map(|peers| peers.hub())
    }

    /// Which of its manager's workers this is, for a lock's holder.
    pub(crate) fn incarnation(&self) -> u64 {
        self.slot.incarnation()
    }

    /// One run of the task has ended: the locks it still holds are
    /// poisoned (see `hub.rs`).
    pub(crate) fn task_ended(&self) {
        if let Some(hub) = self.hub() {
            hub.task_ended(self.id(), self.slot.incarnation());
        }
    }

    /// Says whether this worker has been asked to stop (for the hub's waits).
    pub(crate) fn stopping(&self) -> bool {
        self.slot.state() == WorkerState::Stopping
    }

    /// A scheduling point before `op`: a pause point, and in stepped mode
    /// the place the worker is held until granted its step. Only the
    /// worker's own thread is scheduled: a grant is one step of that
    /// thread. A helper thread the task lent `&Worker` to is not seen by
    /// the scheduler (it cannot tell when such a thread ends, so a lane
    /// granted to one read Running for good once it had, and the run never
    /// settled): its pause points and receives are plain ones, answering
    /// pause and stop, and its shared operations are refused
    /// ([`scheduled_step`](Self::scheduled_step)).
    pub(crate) fn step(&self, op: Op) -> Result<(), StopRequested>
    where
        T: Send + 'static,
    {
        self.slot.wait_at(Want::PastPause, None)?;
        if !self.scheduled_here() {
            return Ok(());
        }
        match self.hub() {
            Some(hub) => hub.point(self.id(), op, &|| self.stopping()),
            None => Ok(()),
        }
    }

    /// True when this thread's points are scheduling points: in stepped
    /// mode, on the worker's own thread (a thread-local look, off the
    /// pause point's fast path).
    fn scheduled_here(&self) -> bool {
        self.slot.is_stepped() && crate::current::is(self.slot.address())
    }

    /// The scheduling point before an operation on a shared cell or lock:
    /// refused on a helper thread in stepped mode, since a schedule is the
    /// order of the worker's own steps and a helper's operation would run
    /// outside it.
    pub(crate) fn scheduled_step(&self, op: Op, object: &str) -> Result<(), ShareError>
    where
        T: Send + 'static,
    {
        if self.slot.is_stepped() && !crate::current::is(self.slot.address()) {
            return Err(ShareError::NotScheduled {
                object: object.to_owned(),
                worker: self.id().clone(),
            });
        }
        self.step(op).map_err(ShareError::from)
    }

    /// The shared record, for the manager and the runner.
    pub(crate) fn slot(&self) -> &Slot<T, Task<T>> {
        &self.slot
    }

    /// This worker's id.
    pub fn id(&self) -> &WorkerId {
        self.slot.id()
    }

    /// This worker's state as its manager sees it.
    pub fn state(&self) -> WorkerState {
        self.slot.state()
    }
}

impl<T: Send + 'static> Worker<T> {
    /// A cooperative pause point. When no pause is requested this is one
    /// atomic load. When one is, the worker becomes Paused here and blocks
    /// (without spinning or polling) until resumed or stopped.
    #[inline]
    pub fn pause_point(&self) -> Result<(), StopRequested> {
        if self.slot.is_running() {
            return Ok(());
        }
        self.slow_pause_point()
    }

    #[cold]
    #[inline(never)]
    fn slow_pause_point(&self) -> Result<(), StopRequested> {
        if self.scheduled_here() {
            return self.step(Op::PausePoint);
        }
        self.slot.wait_at(Want::PastPause, None).map(|_| ())
    }

    /// True once the worker has been asked to stop.
    pub fn should_stop(&self) -> bool {
        self.slot.state() == WorkerState::Stopping
    }

    /// Pauses this worker until the manager resumes (or stops) it: it
    /// becomes Paused at once (no request needed; one pending is taken as
    /// acknowledged) and blocks without spinning. Returns [`StopRequested`]
    /// if it is asked to stop, before or while paused.
    pub fn pause_self(&self) -> Result<(), StopRequested> {
        self.slot.pause_itself()
    }

    /// Asks for this worker's own pause the way [`Yard::pause`] does, event
    /// and all: it becomes PauseRequested now and pauses at its next pause
    /// point (a [`pause_point`](Self::pause_point) or a receive), not here.
    /// The seed's worker does this on its "pause" message (it calls its
    /// manager's `pause_thread` and goes on to its next pause point).
    /// Nothing to do if a pause is already requested or taken. Returns
    /// [`StopRequested`] if it is asked to stop.
    ///
    /// [`Yard::pause`]: crate::Yard::pause
    pub fn request_pause(&self) -> Result<(), StopRequested> {
        match self.slot.control(Action::Pause) {
            Ok(_) => Ok(()),
            Err(_) if self.should_stop() => Err(StopRequested),
            // PauseRequested or Paused already: the pause is on its way.
            Err(_) => Ok(()),
        }
    }

    /// Waits for the next message. Also a pause point: a pause requested while
    /// waiting is acknowledged at once.
    ///
    /// In stepped mode it is a scheduling point; a worker granted it then
    /// waits for a message as usual, and the run does not settle (no other
    /// worker is granted a step) until one comes: receive messages already
    /// sent, or use [`recv_timeout`](Self::recv_timeout).
    pub fn recv(&self) -> Result<T, StopRequested> {
        if self.scheduled_here() {
            self.step(Op::Receive)?;
        }
        if let Some(taken) = self.receive_at_once() {
            return taken;
        }
        self.doing(Activity::WaitingForMessage, || loop {
            if let Some(message) = self.slot.wait_at(Want::Message, None)? {
                return Ok(message);
            }
        })
    }

    /// Waits for the next message for at most `timeout`; `Ok(None)` when
    /// none came. Also a pause point: a pause lasts until the resume (or
    /// stop) whatever the timeout, since a paused worker does not run its
    /// task; resumed after its time ran out, it returns `Ok(None)` at once.
    ///
    /// In stepped mode time does not pass between steps: after its step is
    /// granted, a worker with an empty mailbox gets `Ok(None)` at once, so
    /// a schedule replays the same way whatever the clock says.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Option<T>, StopRequested> {
        if self.scheduled_here() {
            self.step(Op::Receive)?;
            return Ok(self.slot.try_take());
        }
        if let Some(taken) = self.receive_at_once() {
            return taken.map(Some);
        }
        self.doing(Activity::WaitingForMessage, || {
            self.slot.wait_at(Want::Message, deadline_after(timeout))
        })
    }

    /// A receive's message when one waits for a running worker: taken
    /// without marking the worker as waiting, since it does not wait
    /// ([`Slot::take_at_once`]). `None`: wait for it in [`Slot::wait_at`].
    fn receive_at_once(&self) -> Option<Result<T, StopRequested>> {
        match self.slot.take_at_once() {
            Taken::Message(message) => Some(Ok(message)),
            // A pause came between the take and the look at the state: the
            // message is kept through it, and the worker waits as in a receive.
            Taken::Held(message) => Some(self.doing(Activity::WaitingForMessage, || {
                self.slot.hold_through_pause(message)
            })),
            Taken::Control | Taken::Nothing => None,
        }
    }

    /// Runs `call`, a call that blocks without using the CPU (a file or
    /// network read, a sleep, a wait on something outside the manager),
    /// marking the worker [`Activity::Sleeping`] meanwhile: the time is not
    /// counted as busy, and a watcher sees what the worker is doing. Not a
    /// pause point: a pause or a stop waits until it returns.
    pub fn blocking<R>(&self, call: impl FnOnce() -> R) -> R {
        self.doing(Activity::Sleeping, call)
    }

    /// Sleeps for `length` as a [`blocking`](Self::blocking) call: a
    /// workload's simulated work. Not a pause point.
    pub fn sleep(&self, length: Duration) {
        self.blocking(|| std::thread::sleep(length));
    }

    /// Total time this worker has spent paused, the current pause included.
    /// A loop that keeps a schedule moves its deadlines on by what this grew
    /// across a pause point, so that after a pause it goes on from where it
    /// stopped instead of catching up.
    pub fn time_paused(&self) -> Duration {
        self.slot.paused_total()
    }

    /// What this worker is doing now (its own thread's view, as in the
    /// snapshot).
    pub fn activity(&self) -> Activity {
        self.slot.snapshot_activity()
    }

    /// Runs `f` as `activity`, then goes back to what the worker was doing:
    /// activities nest (a blocking call whose closure waits for a lock),
    /// each moment counted for the innermost one (`activity.rs`). Only the
    /// worker's own thread marks its activity: a helper thread the
    /// task lent `&Worker` to is not the worker.
    pub(crate) fn doing<R>(&self, activity: Activity, f: impl FnOnce() -> R) -> R {
        if !crate::current::is(self.slot.address()) {
            return f();
        }
        struct Back<'a, T> {
            slot: &'a Slot<T, Task<T>>,
            entered: bool,
        }
        impl<T> Drop for Back<'_, T> {
            // Also when `f` panics: a failed worker is not left "sleeping".
            fn drop(&mut self) {
                self.slot.end_activity(self.entered);
            }
        }
        let _back = Back {
            entered: self.slot.begin_activity(activity),
            slot: &self.slot,
        };
        f()
    }

    /// The next message if one is waiting; never blocks, never pauses.
    pub fn try_recv(&self) -> Option<T> {
        self.slot.try_take()
    }

    /// Counts one finished unit of work. The only way `tasks_completed` grows.
    pub fn task_done(&self) {
        self.slot.task_done();
    }

    /// Records a non-fatal error: counted in `errors`, kept as `last_error`,
    /// published as an event. The task goes on.
    pub fn record_error(&self, error: impl fmt::Display) {
        self.slot.record_error(error.to_string());
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
        match self.peers.upgrade() {
            // A send that may wait is back-pressure: the worker is not
            // computing while the mailbox it sends to is full.
            Some(peers) if wait.is_some() => self.doing(Activity::WaitingForRoom, || {
                peers.send(self.slot.id(), id, message, wait)
            }),
            Some(peers) => peers.send(self.slot.id(), id, message, wait),
            // The manager is gone: no worker has that id any more.
            None => Err(SendError::UnknownWorker {
                id: id.to_owned(),
                message,
            }),
        }
    }

    /// The ids of the other workers of this manager, in creation order.
    pub fn peers(&self) -> Vec<WorkerId> {
        let own = self.slot.id();
        self.peers.upgrade().map_or_else(Vec::new, |peers| {
            peers.ids().into_iter().filter(|id| id != own).collect()
        })
    }
}

impl<T> fmt::Debug for Worker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("id", self.slot.id())
            .field("state", &self.slot.state())
            .finish_non_exhaustive()
    }
}
