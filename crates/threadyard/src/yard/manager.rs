//! The manager's handle: every call a caller makes on its workers.

use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::time::Duration;

use web_time::Instant;

use super::report::{BroadcastReport, Delivery, Recipient, ShutdownReport, Snapshot};
use super::sender::WorkerSender;
use super::shared::Shared;
use super::shutdown;
use crate::changes::{self, Changed};
use crate::contain;
use crate::current;
use crate::error::{ControlError, CreateError, SendError, SpawnError, TaskError};
use crate::events::{EventKind, EventPage};
use crate::id::WorkerId;
use crate::policy::{check_mailbox_capacity, check_restart_policy, WorkerOptions};
use crate::runner;
use crate::slot::{Slot, SlotParts, WorkerSnapshot};
use crate::state::{Action, WorkerState};
use crate::sync::{deadline_after, expired, lock, Arc, Ordering, Weak};
use crate::worker::{Peers, Task, Worker};

/// The thread manager: named workers, each a task on its own thread, with
/// cooperative pause, a mailbox, metrics and a deadline-bound shutdown.
///
/// `T` is the message type. Every method takes `&self`; share a manager
/// between threads with an `Arc`. Dropping it shuts it down (waiting up to
/// its drop deadline) unless [`shutdown`](Self::shutdown) was called.
pub struct Yard<T: Send + 'static> {
    pub(super) shared: Arc<Shared<T>>,
}

// A panic cannot leave a manager half-updated where a caller could see it: no
// user code runs while the core holds a lock, a poisoned lock is recovered
// (its data is a few field updates, always consistent), and a task's panic is
// caught on its own thread. The boxed spawner and tasks only keep the auto
// traits from being inferred. Declaring them lets a `Yard` cross
// `catch_unwind`, which wasm-bindgen exports require under panic=unwind.
impl<T: Send + 'static> std::panic::UnwindSafe for Yard<T> {}
impl<T: Send + 'static> std::panic::RefUnwindSafe for Yard<T> {}

impl<T: Send + 'static> fmt::Debug for Yard<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let workers: Vec<WorkerId> = self
            .shared
            .workers()
            .iter()
            .map(|s| s.id().clone())
            .collect();
        f.debug_struct("Yard")
            .field("workers", &workers)
            .field("live_threads", &self.shared.threads.in_use())
            .field("capacity", &self.shared.capacity())
            .field("shut_down", &self.is_shut_down())
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> Yard<T> {
    /// The handle over a new shared record (see the builder).
    pub(super) fn from_shared(shared: Shared<T>) -> Self {
        Self {
            shared: Arc::new(shared),
        }
    }

    /// Registers a worker in the Created state; [`start`](Self::start) runs it.
    pub fn create<F>(&self, id: &str, task: F) -> Result<WorkerId, CreateError>
    where
        F: FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static,
    {
        self.create_with(id, WorkerOptions::default(), task)
    }

    /// [`create`](Self::create) with per-worker options.
    pub fn create_with<F>(
        &self,
        id: &str,
        options: WorkerOptions,
        task: F,
    ) -> Result<WorkerId, CreateError>
    where
        F: FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static,
    {
        let worker = self.build(id, options, Box::new(task))?;
        let id = worker.id().clone();
        match self.register(worker, None) {
            Ok(()) => Ok(id),
            // The refused worker (and its task) is dropped here, unlocked.
            Err((SpawnError::Create(error), _refused)) => Err(error),
            Err((SpawnError::Start(_), _)) => {
                unreachable!("with no limits to fit under, registering never reserves a thread")
            }
        }
    }

    /// A worker, checked and made, not yet known to anyone.
    fn build(
        &self,
        id: &str,
        options: WorkerOptions,
        task: Task<T>,
    ) -> Result<Arc<Worker<T>>, CreateError> {
        let id = WorkerId::new(id)?;
        let capacity = check_mailbox_capacity(
            options
                .mailbox_capacity
                .unwrap_or(self.shared.config.mailbox_capacity),
        )?;
        check_restart_policy(&options.restart)?;
        let peers: Weak<Shared<T>> = Arc::downgrade(&self.shared);
        let peers: Weak<dyn Peers<T>> = peers;
        let slot = Slot::new(SlotParts {
            id,
            task,
            mailbox_capacity: capacity,
            restart: options.restart,
            clock: self.shared.clock.clone(),
            events: Arc::clone(&self.shared.events),
            changes: Arc::clone(&self.shared.changes),
            threads: self.shared.threads.clone(),
            record_messages: self.shared.config.record_messages,
            shut_down: Arc::clone(&self.shared.shut_down),
            stepped: self.shared.hub.is_stepped(),
            incarnation: self.shared.hub.incarnation(),
            undelivered_after_removal: Arc::clone(&self.shared.undelivered_after_removal),
        });
        Ok(Arc::new(Worker::new(slot, peers)))
    }

    /// Makes `worker` known, in the Created state. With `limits` (a spawn),
    /// also takes its thread's place in the same step, so a spawn refused
    /// at capacity is never seen by anyone (no mailbox to send to, no
    /// Created event). A refused worker comes back with the error, to be
    /// dropped by the caller with no lock held (its task is user code).
    #[allow(clippy::type_complexity)]
    fn register(
        &self,
        worker: Arc<Worker<T>>,
        limits: Option<ThreadLimits>,
    ) -> Result<(), (SpawnError, Arc<Worker<T>>)> {
        let mut registry = lock(&self.shared.registry);
        let refused: Option<SpawnError> = if self.shared.shut_down.load(Ordering::Acquire) {
            Some(CreateError::ShutDown.into())
        } else if registry.contains_key(worker.id().as_str()) {
            Some(CreateError::Duplicate(worker.id().clone()).into())
        } else if let Some(limits) = limits {
            self.shared
                .threads
                .reserve(limits.own, limits.pool)
                .err()
                .map(|full| {
                    ControlError::AtCapacity {
                        id: worker.id().clone(),
                        capacity: full.capacity,
                    }
                    .into()
                })
        } else {
            None
        };
        if let Some(error) = refused {
            drop(registry);
            return Err((error, worker));
        }
        // Logged before the worker can be found: no move of it (a start, a
        // stop) can reach the log ahead of its creation.
        self.shared
            .events
            .writer()
            .moved(worker.id(), WorkerState::Created, EventKind::Created);
        registry.insert(worker.id().clone(), Arc::clone(&worker));
        drop(registry);
        tracing::debug!(worker = %worker.id(), "created");
        Ok(())
    }

    /// Starts a Created worker on a thread of its own. Returns at once.
    pub fn start(&self, id: &str) -> Result<(), ControlError> {
        if self.shared.shut_down.load(Ordering::Acquire) {
            return Err(ControlError::ShutDown);
        }
        let worker = self.shared.worker(id)?;
        let state = worker.state();
        if Action::Start.next(state).is_none() {
            return Err(ControlError::InvalidTransition {
                id: worker.id().clone(),
                action: Action::Start,
                state,
            });
        }
        let limits = self.thread_limits();
        self.shared
            .threads
            .reserve(limits.own, limits.pool)
            .map_err(|full| ControlError::AtCapacity {
                id: worker.id().clone(),
                capacity: full.capacity,
            })?;
        self.launch(&worker)
    }

    /// Moves a worker whose thread's place is reserved from Created to
    /// Running and hands its job to the spawner.
    fn launch(&self, worker: &Arc<Worker<T>>) -> Result<(), ControlError> {
        if let Err(state) = worker.slot().mark_started() {
            worker.slot().release_thread();
            return Err(ControlError::InvalidTransition {
                id: worker.id().clone(),
                action: Action::Start,
                state,
            });
        }
        let Some(task) = worker.slot().take_task() else {
            unreachable!("only the one successful Start takes the task")
        };
        // Counted as running (in stepped mode) before its thread can reach
        // its first scheduling point.
        self.shared.hub.started(worker.id());
        let job = runner::Job::new(Arc::clone(worker), task);
        // The spawner is the caller's code: a panic in it is a refusal, and
        // a shutdown it calls does not wait for the worker it is starting.
        let spawned = {
            let _acting = current::enter(worker.slot().address());
            panic::catch_unwind(AssertUnwindSafe(|| {
                self.shared
                    .spawner
                    .spawn(worker.id().as_str(), Box::new(move || job.run()))
            }))
        };
        let reason = match spawned {
            Ok(Ok(())) => return Ok(()),
            Ok(Err(error)) => error.to_string(),
            Err(payload) => format!("the spawner {}", contain::panic_text(payload)),
        };
        // Given up on unless its thread already runs it (a dropped job gave
        // itself up already).
        worker.slot().abandon_launch();
        if worker.slot().job_runs() {
            // It handed the job over before failing, and the job runs: the
            // worker started after all, and its thread will finish it.
            tracing::warn!(worker = %worker.id(), %reason, "the spawner failed after starting the worker's thread");
            return Ok(());
        }
        // A no-op when the dropped job already finished the worker.
        worker
            .slot()
            .finish(Some(format!("could not start a thread: {reason}")));
        self.shared.hub.ended(worker.id());
        Err(ControlError::Spawn {
            id: worker.id().clone(),
            reason,
        })
    }

    /// The limits a start must fit under. Read before any lock is taken:
    /// a custom spawner's `capacity` is the caller's code.
    fn thread_limits(&self) -> ThreadLimits {
        // With no shared pool count, the platform's limit applies to this
        // manager's own count.
        match self.shared.threads.pool {
            Some(_) => ThreadLimits {
                own: self.shared.config.max_threads,
                pool: self.shared.spawner.capacity(),
            },
            None => ThreadLimits {
                own: self.shared.capacity(),
                pool: None,
            },
        }
    }

    /// Creates and starts a worker in one call.
    pub fn spawn<F>(&self, id: &str, task: F) -> Result<WorkerId, SpawnError>
    where
        F: FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static,
    {
        self.spawn_with(id, WorkerOptions::default(), task)
    }

    /// Creates (with options) and starts a worker in one call. All or
    /// nothing: a worker that cannot be started is not kept.
    pub fn spawn_with<F>(
        &self,
        id: &str,
        options: WorkerOptions,
        task: F,
    ) -> Result<WorkerId, SpawnError>
    where
        F: FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static,
    {
        let worker = self.build(id, options, Box::new(task))?;
        let id = worker.id().clone();
        // The thread's place is taken as the worker is registered: a spawn
        // refused at capacity was never seen by anyone.
        if let Err((error, refused)) =
            self.register(Arc::clone(&worker), Some(self.thread_limits()))
        {
            drop(worker);
            drop(refused);
            return Err(error);
        }
        if let Err(error) = self.launch(&worker) {
            // Only its own worker (another may have taken the id since),
            // and only if it did not start after all; its end is recorded,
            // its mailbox closed and drained. Removed unlocked: the last
            // reference drops the task, whose captures are the caller's.
            let mut registry = lock(&self.shared.registry);
            let ours = registry
                .get(id.as_str())
                .is_some_and(|found| Arc::ptr_eq(found, &worker) && found.state().is_finished());
            let removed = ours.then(|| registry.shift_remove(id.as_str()));
            drop(registry);
            if let Some(removed) = removed.flatten() {
                removed.slot().event(EventKind::Removed);
                drop(removed);
            }
            return Err(error.into());
        }
        Ok(id)
    }

    /// Asks a running worker to pause. It becomes PauseRequested now and
    /// Paused at its next pause point (or at once if it is waiting for a
    /// message).
    pub fn pause(&self, id: &str) -> Result<(), ControlError> {
        self.shared
            .worker(id)?
            .slot()
            .control(Action::Pause)
            .map(drop)
    }

    /// Resumes a paused worker (or withdraws a pause request not yet
    /// acknowledged). The worker wakes at once.
    pub fn resume(&self, id: &str) -> Result<(), ControlError> {
        self.shared
            .worker(id)?
            .slot()
            .control(Action::Resume)
            .map(drop)
    }

    /// Asks a worker to stop: its blocking calls return [`StopRequested`]
    /// (paused and waiting workers wake at once). A worker that was never
    /// started becomes Stopped immediately.
    ///
    /// [`StopRequested`]: crate::StopRequested
    pub fn stop(&self, id: &str) -> Result<(), ControlError> {
        self.shared.worker(id)?.slot().stop()?;
        // A worker held for a step or waiting for a lock hears it too.
        self.shared.hub.wake();
        Ok(())
    }

    /// Queues `message` for worker `id`; fails at once if its mailbox is full.
    pub fn send(&self, id: &str, message: T) -> Result<(), SendError<T>> {
        match self.shared.worker(id) {
            Ok(worker) => worker.slot().push(message, None, None),
            Err(_) => Err(SendError::UnknownWorker {
                id: id.to_owned(),
                message,
            }),
        }
    }

    /// Queues `message`, waiting up to `timeout` for room in a full mailbox.
    pub fn send_timeout(
        &self,
        id: &str,
        message: T,
        timeout: Duration,
    ) -> Result<(), SendError<T>> {
        match self.shared.worker(id) {
            Ok(worker) => worker.slot().push(message, Some(timeout), None),
            Err(_) => Err(SendError::UnknownWorker {
                id: id.to_owned(),
                message,
            }),
        }
    }

    /// A handle that sends to one worker without looking it up each time.
    pub fn sender(&self, id: &str) -> Result<WorkerSender<T>, ControlError> {
        Ok(WorkerSender::new(self.shared.worker(id)?))
    }

    /// Delivers a copy of `message` to every worker that has not finished, at
    /// once, and says what happened at each.
    pub fn broadcast(&self, message: T) -> BroadcastReport
    where
        T: Clone,
    {
        let mut report = BroadcastReport::default();
        for worker in self.shared.workers() {
            let outcome = match worker.slot().push(message.clone(), None, None) {
                Ok(()) => Delivery::Delivered,
                Err(SendError::Full { .. }) => Delivery::MailboxFull,
                Err(_) => Delivery::Finished,
            };
            report.recipients.push(Recipient {
                id: worker.id().clone(),
                outcome,
            });
        }
        self.shared.events.push(
            None,
            EventKind::Broadcast {
                delivered: report.count(Delivery::Delivered),
                full: report.count(Delivery::MailboxFull),
            },
        );
        report
    }

    /// Every worker's state and figures, in creation order.
    pub fn snapshot(&self) -> Snapshot {
        let workers = self
            .shared
            .workers()
            .iter()
            .map(|worker| worker.slot().snapshot())
            .collect();
        Snapshot {
            at_ms: self.shared.clock.now_us() as f64 / 1e3,
            workers,
            live_threads: self.shared.threads.in_use(),
            capacity: self.shared.capacity(),
            shut_down: self.shared.shut_down.load(Ordering::Acquire),
            waits: self.shared.hub.waits(),
            deadlocks: self.shared.hub.deadlocks(),
            steps: self.shared.hub.steps(),
            undelivered_after_removal: self
                .shared
                .undelivered_after_removal
                .load(Ordering::Relaxed),
        }
    }

    /// One worker's state and figures.
    pub fn worker(&self, id: &str) -> Result<WorkerSnapshot, ControlError> {
        Ok(self.shared.worker(id)?.slot().snapshot())
    }

    /// One worker's state.
    pub fn state(&self, id: &str) -> Result<WorkerState, ControlError> {
        Ok(self.shared.worker(id)?.state())
    }

    /// Events from position `from` on (0 for all that are kept).
    pub fn events_since(&self, from: u64) -> EventPage {
        self.shared.events.since(from)
    }

    /// At most `max` events from position `from` on; pass the page's `next`
    /// to read on. Costs a page, however long the log: for callers with a
    /// time budget, such as a browser page's main thread.
    pub fn events_page(&self, from: u64, max: usize) -> EventPage {
        self.shared.events.since_at_most(from, max)
    }

    /// The whole event log (what its capacity kept) as a Chrome Trace Event
    /// file: one track per worker, states as slices, and under each worker
    /// a track of its recent waits ([`activity_tracks`](Self::activity_tracks)).
    /// See [`crate::trace`].
    pub fn trace(&self) -> crate::trace::Trace {
        let page = self.events_since(0);
        let tracks = self.activity_tracks();
        crate::trace::chrome_trace_with_activity(&page, &tracks, self.shared.clock.now_us())
    }

    /// Each worker's recent waits (receive, room, blocking call, lock), in
    /// creation order: kept per worker, not in the event log, so paced
    /// workers do not crowd it. Waits under 1 ms are left out, waits of one
    /// kind under 1 ms apart are joined into one [`ActivitySpan`](crate::ActivitySpan),
    /// and each worker keeps its newest 512; a removed worker's go with it.
    pub fn activity_tracks(&self) -> Vec<crate::ActivityTrack> {
        self.shared
            .workers()
            .iter()
            .map(|worker| {
                let (spans, dropped) = worker.slot().activity_spans();
                crate::ActivityTrack {
                    worker: worker.id().clone(),
                    spans,
                    dropped,
                }
            })
            .collect()
    }

    /// Waits until worker `id` has finished, at most `timeout`; returns its
    /// final state (Stopped or Failed).
    ///
    /// Called from inside a worker's task, the wait is an edge of the
    /// wait-for graph (that worker waits for `id` to finish).
    pub fn join(&self, id: &str, timeout: Duration) -> Result<WorkerState, ControlError> {
        let worker = self.shared.worker(id)?;
        let deadline = deadline_after(timeout);
        // A join that answers at once (the worker has finished, or there is
        // no time to wait) never blocks, so it is no edge: a zero timeout
        // closed a "cycle" that never held (issue 24).
        let state = worker.state();
        if state.is_finished() {
            return Ok(state);
        }
        if expired(deadline) {
            return Err(ControlError::Timeout {
                id: worker.id().clone(),
                state,
            });
        }
        let _waiting = self.shared.join_edge(&worker);
        self.wait_until_state(&worker, deadline, WorkerState::is_finished)
    }

    /// Waits until worker `id` is in a state for which `done` holds, at most
    /// `timeout`, without polling: every state change (of any worker) wakes
    /// the waiter to check `done` again. Returns the state reached.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use threadyard::{Yard, WorkerState};
    /// let yard = Yard::<()>::new();
    /// yard.spawn("w", |w| loop { w.pause_point()?; })?;
    /// yard.pause("w")?;
    /// let state = yard.wait_for_state("w", Duration::from_secs(10), |s| s == WorkerState::Paused)?;
    /// assert_eq!(state, WorkerState::Paused);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wait_for_state(
        &self,
        id: &str,
        timeout: Duration,
        done: impl Fn(WorkerState) -> bool,
    ) -> Result<WorkerState, ControlError> {
        let worker = self.shared.worker(id)?;
        self.wait_until_state(&worker, deadline_after(timeout), done)
    }

    fn wait_until_state(
        &self,
        worker: &Worker<T>,
        deadline: Option<Instant>,
        done: impl Fn(WorkerState) -> bool,
    ) -> Result<WorkerState, ControlError> {
        let reached = self.shared.changes.wait(deadline, || done(worker.state()));
        let state = worker.state();
        if reached {
            Ok(state)
        } else {
            Err(ControlError::Timeout {
                id: worker.id().clone(),
                state,
            })
        }
    }

    /// Waits until every started worker has finished, at most `timeout`.
    /// Returns the ids of those still going (empty when all finished).
    #[must_use = "the workers still running are the ones that did not finish in time"]
    pub fn join_all(&self, timeout: Duration) -> Vec<WorkerId> {
        let workers = self.shared.workers();
        let still = || workers.iter().filter(|s| s.state().is_live());
        self.shared
            .changes
            .wait(deadline_after(timeout), || still().next().is_none());
        still().map(|s| s.id().clone()).collect()
    }

    /// Forgets a finished worker and returns its final figures. A send
    /// that was accepted as the worker ended and queued only after these
    /// figures were taken is counted in the manager's
    /// [`Snapshot::undelivered_after_removal`] instead: every accepted
    /// message is received, or counted undelivered in exactly one place.
    pub fn remove(&self, id: &str) -> Result<WorkerSnapshot, ControlError> {
        let mut registry = lock(&self.shared.registry);
        let worker = registry
            .get(id)
            .ok_or_else(|| ControlError::UnknownWorker { id: id.to_owned() })?;
        let state = worker.state();
        if Action::Remove.next(state).is_none() {
            return Err(ControlError::InvalidTransition {
                id: worker.id().clone(),
                action: Action::Remove,
                state,
            });
        }
        let worker = registry
            .shift_remove(id)
            .unwrap_or_else(|| unreachable!("looked up above"));
        drop(registry);
        worker.slot().event(EventKind::Removed);
        Ok(worker.slot().removal_snapshot())
    }

    /// Stops every worker and waits for them, all within one overall
    /// `timeout`; says who stopped cleanly, who failed, who did not stop in
    /// time (left detached) and how many messages went unread. Afterwards the
    /// manager takes no new workers. Calling it again reports again.
    ///
    /// This blocks the calling thread; on the browser's main thread use
    /// [`shutdown_async`](Self::shutdown_async).
    pub fn shutdown(&self, timeout: Duration) -> ShutdownReport {
        let began = Instant::now();
        // Taken first: the deadline is the caller's, not "after the first pass".
        let deadline = deadline_after(timeout);
        // Called from inside a worker's task: other shutdowns (another
        // worker's, say) must not wait for this one's worker meanwhile.
        let _inside = self.shared.calling_worker().map(InShutdown::mark);
        shutdown::begin(&self.shared);
        let mut pending = shutdown::Pending::new(&self.shared);
        self.shared.changes.wait(deadline, || pending.done());
        shutdown::report(&self.shared, &pending, elapsed_ms(began))
    }

    /// [`shutdown`](Self::shutdown) without blocking: resolves when every
    /// worker has finished or when `deadline` (any timer future, such as
    /// `gloo_timers::future::sleep`) fires, whichever comes first.
    pub async fn shutdown_async<D: Future>(&self, deadline: D) -> ShutdownReport {
        let began = Instant::now();
        shutdown::begin(&self.shared);
        let mut pending = shutdown::Pending::new(&self.shared);
        changes::before(self.until(|| pending.done()), deadline).await;
        shutdown::report(&self.shared, &pending, elapsed_ms(began))
    }

    /// Asks every worker to stop and closes every mailbox, without waiting.
    /// [`shutdown_async`](Self::shutdown_async) or
    /// [`shutdown`](Self::shutdown) then collect the report.
    pub fn begin_shutdown(&self) {
        shutdown::begin(&self.shared);
    }

    /// [`join`](Self::join) without blocking: resolves to the final state,
    /// or to `None` if `deadline` fires first.
    pub async fn join_async<D: Future>(
        &self,
        id: &str,
        deadline: D,
    ) -> Result<Option<WorkerState>, ControlError> {
        self.wait_for_state_async(id, deadline, WorkerState::is_finished)
            .await
    }

    /// [`wait_for_state`](Self::wait_for_state) without blocking: resolves to
    /// the state reached, or to `None` if `deadline` fires first. Race-free:
    /// a change between the call and the first check is not missed.
    pub async fn wait_for_state_async<D: Future>(
        &self,
        id: &str,
        deadline: D,
        done: impl Fn(WorkerState) -> bool,
    ) -> Result<Option<WorkerState>, ControlError> {
        let worker = self.shared.worker(id)?;
        let reached = changes::before(self.until(|| done(worker.state())), deadline).await;
        Ok(reached.then(|| worker.state()))
    }

    /// Resolves at the first state change (of any worker) after this call:
    /// the async way to watch a manager without polling it. Make it *before*
    /// looking at what you wait for, or a change in between is missed; or use
    /// [`wait_for_state_async`](Self::wait_for_state_async), which does that.
    pub fn changed(&self) -> Changed {
        Changed::new(&self.shared.changes)
    }

    pub(super) async fn until(&self, mut done: impl FnMut() -> bool) {
        loop {
            // Made before the check, so a change in between is not missed.
            let changed = self.changed();
            if done() {
                return;
            }
            changed.await;
        }
    }

    /// True once [`shutdown`](Self::shutdown) has begun.
    pub fn is_shut_down(&self) -> bool {
        self.shared.shut_down.load(Ordering::Acquire)
    }
}

/// The limits a thread's place is reserved under: this manager's own and,
/// where the platform shares one pool between managers, the pool's.
#[derive(Debug, Clone, Copy)]
struct ThreadLimits {
    own: Option<usize>,
    pool: Option<usize>,
}

/// Marks a worker as inside a shutdown call while it lives.
struct InShutdown<T: Send + 'static>(Arc<Worker<T>>);

impl<T: Send + 'static> InShutdown<T> {
    fn mark(worker: Arc<Worker<T>>) -> Self {
        worker.slot().set_in_shutdown(true);
        Self(worker)
    }
}

impl<T: Send + 'static> Drop for InShutdown<T> {
    fn drop(&mut self) {
        self.0.slot().set_in_shutdown(false);
    }
}

impl<T: Send + 'static> Drop for Yard<T> {
    /// Natively: shuts down, waiting up to the drop deadline. In the browser
    /// the manager may be dropped on the main thread, which must never wait:
    /// there it only asks every worker to stop.
    fn drop(&mut self) {
        if cfg!(target_arch = "wasm32") {
            self.begin_shutdown();
            return;
        }
        // A shutdown already begun (`begin_shutdown`, a `shutdown_async`
        // whose deadline fired) may have left workers running: the drop
        // still waits for them. Only a manager with nothing left to wait
        // for is dropped at once.
        if self.is_shut_down() && shutdown::Pending::new(&self.shared).done() {
            return;
        }
        let report = self.shutdown(self.shared.config.drop_deadline);
        if !report.unresponsive.is_empty() {
            tracing::warn!(unresponsive = ?report.unresponsive, "manager dropped with workers still running; they are left detached");
        }
    }
}

fn elapsed_ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1e3
}
