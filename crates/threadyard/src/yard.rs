//! The manager: a registry of workers and every call a caller makes on them.

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use indexmap::IndexMap;
use serde::Serialize;
use web_time::Instant;

use crate::changes::{self, Changed, Changes};
use crate::clock::Clock;
use crate::error::{ConfigError, ControlError, CreateError, SendError, SpawnError, TaskError};
use crate::events::{EventKind, EventLog, EventPage};
use crate::id::WorkerId;
use crate::platform::{default_spawner, Spawn};
use crate::policy::{check_mailbox_capacity, default_mailbox_capacity, WorkerOptions};
use crate::runner;
use crate::shutdown::{self, ShutdownReport};
use crate::slot::{Slot, SlotParts, WorkerSnapshot};
use crate::state::{Action, WorkerState};
use crate::sync::{deadline_after, lock, Arc, AtomicBool, Mutex, Ordering};
use crate::threads::ThreadCounts;
use crate::worker::{Task, Worker};

/// Largest event log accepted.
pub const MAX_EVENT_CAPACITY: usize = 1 << 20;

/// Manager-wide settings; see [`YardBuilder`].
#[derive(Debug, Clone)]
pub(crate) struct YardConfig {
    mailbox_capacity: usize,
    event_capacity: usize,
    record_messages: bool,
    drop_deadline: Duration,
    max_threads: Option<usize>,
}

impl Default for YardConfig {
    fn default() -> Self {
        Self {
            mailbox_capacity: default_mailbox_capacity(),
            event_capacity: 4096,
            record_messages: false,
            drop_deadline: Duration::from_secs(5),
            max_threads: None,
        }
    }
}

pub(crate) struct Shared<T> {
    config: YardConfig,
    pub(crate) clock: Clock,
    pub(crate) events: Arc<EventLog>,
    registry: Mutex<IndexMap<WorkerId, Arc<Slot<T>>>>,
    pub(crate) changes: Arc<Changes>,
    threads: ThreadCounts,
    spawner: Box<dyn Spawn>,
    pub(crate) shut_down: AtomicBool,
}

impl<T> Shared<T> {
    pub(crate) fn slot(&self, id: &str) -> Result<Arc<Slot<T>>, ControlError> {
        lock(&self.registry)
            .get(id)
            .cloned()
            .ok_or_else(|| ControlError::UnknownWorker(id.to_owned()))
    }

    /// Every worker, in creation order. The registry lock is released before
    /// the caller touches any of them.
    pub(crate) fn slots(&self) -> Vec<Arc<Slot<T>>> {
        lock(&self.registry).values().cloned().collect()
    }

    fn capacity(&self) -> Option<usize> {
        match (self.config.max_threads, self.spawner.capacity()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// Builds a [`Yard`] with non-default settings.
pub struct YardBuilder<T> {
    config: YardConfig,
    spawner: Option<Box<dyn Spawn>>,
    message: PhantomData<fn() -> T>,
}

impl<T: Send + 'static> YardBuilder<T> {
    /// Default mailbox capacity of each worker (1 to 1,048,576; default 64).
    pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
        self.config.mailbox_capacity = capacity;
        self
    }

    /// How many events the log keeps (1 to 1,048,576; default 4096).
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.config.event_capacity = capacity;
        self
    }

    /// Whether every accepted message is recorded as an event (default off:
    /// a busy message path would push lifecycle events out of the log).
    pub fn record_messages(mut self, on: bool) -> Self {
        self.config.record_messages = on;
        self
    }

    /// How long dropping the manager waits for its workers (default 5 s).
    pub fn drop_deadline(mut self, deadline: Duration) -> Self {
        self.config.drop_deadline = deadline;
        self
    }

    /// At most this many workers running at once; starting one more is
    /// refused with [`ControlError::AtCapacity`].
    pub fn max_threads(mut self, threads: usize) -> Self {
        self.config.max_threads = Some(threads);
        self
    }

    /// Where worker threads come from (default: the platform's).
    pub fn spawner(mut self, spawner: impl Spawn) -> Self {
        self.spawner = Some(Box::new(spawner));
        self
    }

    /// Checks the settings and builds the manager.
    pub fn build(self) -> Result<Yard<T>, ConfigError> {
        check_mailbox_capacity(self.config.mailbox_capacity)?;
        if !(1..=MAX_EVENT_CAPACITY).contains(&self.config.event_capacity) {
            return Err(ConfigError::EventCapacity {
                given: self.config.event_capacity,
                max: MAX_EVENT_CAPACITY,
            });
        }
        let clock = Clock::new();
        let spawner = self.spawner.unwrap_or_else(default_spawner);
        Ok(Yard {
            shared: Arc::new(Shared {
                clock,
                events: Arc::new(EventLog::new(self.config.event_capacity, clock)),
                config: self.config,
                registry: Mutex::new(IndexMap::new()),
                changes: Arc::default(),
                threads: ThreadCounts {
                    own: Arc::default(),
                    pool: spawner.occupancy(),
                },
                spawner,
                shut_down: AtomicBool::new(false),
            }),
        })
    }
}

/// The thread manager: named workers, each a task on its own thread, with
/// cooperative pause, a mailbox, metrics and a deadline-bound shutdown.
///
/// `T` is the message type. Every method takes `&self`; share a manager
/// between threads with an `Arc`. Dropping it shuts it down (waiting up to
/// its drop deadline) unless [`shutdown`](Self::shutdown) was called.
pub struct Yard<T: Send + 'static> {
    shared: Arc<Shared<T>>,
}

// A panic cannot leave a manager half-updated where a caller could see it: no
// user code runs while the core holds a lock, a poisoned lock is recovered
// (its data is a few field updates, always consistent), and a task's panic is
// caught on its own thread. The boxed spawner and tasks only keep the auto
// traits from being inferred. Declaring them lets a `Yard` cross
// `catch_unwind`, which wasm-bindgen exports require under panic=unwind.
impl<T: Send + 'static> std::panic::UnwindSafe for Yard<T> {}
impl<T: Send + 'static> std::panic::RefUnwindSafe for Yard<T> {}

impl<T: Send + 'static> Default for Yard<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> Yard<T> {
    /// A manager with default settings.
    pub fn new() -> Self {
        Self::builder()
            .build()
            .unwrap_or_else(|_| unreachable!("the default settings are valid"))
    }

    /// Starts building a manager with other settings.
    pub fn builder() -> YardBuilder<T> {
        YardBuilder {
            config: YardConfig::default(),
            spawner: None,
            message: PhantomData,
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
        let id = WorkerId::new(id)?;
        let capacity = check_mailbox_capacity(
            options
                .mailbox_capacity
                .unwrap_or(self.shared.config.mailbox_capacity),
        )?;
        let task: Task<T> = Box::new(task);
        let mut registry = lock(&self.shared.registry);
        if self.shared.shut_down.load(Ordering::Acquire) {
            return Err(CreateError::ShutDown);
        }
        if registry.contains_key(id.as_str()) {
            return Err(CreateError::Duplicate(id));
        }
        let slot = Arc::new(Slot::new(SlotParts {
            id: id.clone(),
            task,
            mailbox_capacity: capacity,
            restart: options.restart,
            clock: self.shared.clock,
            events: Arc::clone(&self.shared.events),
            changes: Arc::clone(&self.shared.changes),
            threads: self.shared.threads.clone(),
            record_messages: self.shared.config.record_messages,
            yard: Arc::downgrade(&self.shared),
        }));
        registry.insert(id.clone(), Arc::clone(&slot));
        drop(registry);
        slot.event(EventKind::Created);
        tracing::debug!(worker = %id, "created");
        Ok(id)
    }

    /// Starts a Created worker on a thread of its own. Returns at once.
    pub fn start(&self, id: &str) -> Result<(), ControlError> {
        if self.shared.shut_down.load(Ordering::Acquire) {
            return Err(ControlError::ShutDown);
        }
        let slot = self.shared.slot(id)?;
        let state = slot.state.load();
        if Action::Start.next(state).is_none() {
            return Err(ControlError::InvalidTransition {
                id: slot.id.clone(),
                action: Action::Start,
                state,
            });
        }
        self.reserve_thread(&slot)?;
        if let Err(state) = slot.transition(Action::Start, |_, _| {}) {
            slot.release_thread();
            return Err(ControlError::InvalidTransition {
                id: slot.id.clone(),
                action: Action::Start,
                state,
            });
        }
        let Some(task) = lock(&slot.task).take() else {
            unreachable!("only the one successful Start takes the task")
        };
        let job_slot = Arc::clone(&slot);
        let job = Box::new(move || runner::run(job_slot, task));
        self.shared
            .spawner
            .spawn(slot.id.as_str(), job)
            .map_err(|reason| {
                runner::finish(&slot, Some(format!("could not start a thread: {reason}")));
                ControlError::Spawn {
                    id: slot.id.clone(),
                    reason,
                }
            })
    }

    fn reserve_thread(&self, slot: &Slot<T>) -> Result<(), ControlError> {
        // With no shared pool count, the platform's limit applies to this
        // manager's own count.
        let (own, pool) = match self.shared.threads.pool {
            Some(_) => (
                self.shared.config.max_threads,
                self.shared.spawner.capacity(),
            ),
            None => (self.shared.capacity(), None),
        };
        self.shared
            .threads
            .reserve(own, pool)
            .map_err(|full| ControlError::AtCapacity {
                id: slot.id.clone(),
                capacity: full.capacity,
            })
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
        let id = self.create_with(id, options, task)?;
        if let Err(error) = self.start(id.as_str()) {
            // Its Created event is followed by Removed, so a reader of the log
            // (the page's timeline) does not keep a worker that is not there.
            if let Some(slot) = lock(&self.shared.registry).shift_remove(id.as_str()) {
                slot.event(EventKind::Removed);
            }
            return Err(error.into());
        }
        Ok(id)
    }

    /// Asks a running worker to pause. It becomes PauseRequested now and
    /// Paused at its next pause point (or at once if it is waiting for a
    /// message).
    pub fn pause(&self, id: &str) -> Result<(), ControlError> {
        self.shared.slot(id)?.control(Action::Pause).map(drop)
    }

    /// Resumes a paused worker (or withdraws a pause request not yet
    /// acknowledged). The worker wakes at once.
    pub fn resume(&self, id: &str) -> Result<(), ControlError> {
        self.shared.slot(id)?.control(Action::Resume).map(drop)
    }

    /// Asks a worker to stop: its blocking calls return [`StopRequested`]
    /// (paused and waiting workers wake at once). A worker that was never
    /// started becomes Stopped immediately.
    ///
    /// [`StopRequested`]: crate::StopRequested
    pub fn stop(&self, id: &str) -> Result<(), ControlError> {
        runner::stop(&*self.shared.slot(id)?)
    }

    /// Queues `message` for worker `id`; fails at once if its mailbox is full.
    pub fn send(&self, id: &str, message: T) -> Result<(), SendError<T>> {
        match self.shared.slot(id) {
            Ok(slot) => slot.push(message, None, None),
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
        match self.shared.slot(id) {
            Ok(slot) => slot.push(message, Some(timeout), None),
            Err(_) => Err(SendError::UnknownWorker {
                id: id.to_owned(),
                message,
            }),
        }
    }

    /// A handle that sends to one worker without looking it up each time.
    pub fn sender(&self, id: &str) -> Result<WorkerSender<T>, ControlError> {
        Ok(WorkerSender {
            slot: self.shared.slot(id)?,
        })
    }

    /// Delivers a copy of `message` to every worker that has not finished, at
    /// once, and says what happened at each.
    pub fn broadcast(&self, message: T) -> BroadcastReport
    where
        T: Clone,
    {
        let mut report = BroadcastReport::default();
        for slot in self.shared.slots() {
            let outcome = match slot.push(message.clone(), None, None) {
                Ok(()) => Delivery::Delivered,
                Err(SendError::Full { .. }) => Delivery::MailboxFull,
                Err(_) => Delivery::Finished,
            };
            report.recipients.push(Recipient {
                id: slot.id.clone(),
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
            .slots()
            .iter()
            .map(|slot| slot.snapshot())
            .collect();
        Snapshot {
            at_ms: self.shared.clock.now_us() as f64 / 1e3,
            workers,
            live_threads: self.shared.threads.in_use(),
            capacity: self.shared.capacity(),
            shut_down: self.shared.shut_down.load(Ordering::Acquire),
        }
    }

    /// One worker's state and figures.
    pub fn worker(&self, id: &str) -> Result<WorkerSnapshot, ControlError> {
        Ok(self.shared.slot(id)?.snapshot())
    }

    /// One worker's state.
    pub fn state(&self, id: &str) -> Result<WorkerState, ControlError> {
        Ok(self.shared.slot(id)?.state.load())
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
    /// file: one track per worker, states as slices. See [`crate::trace`].
    pub fn trace(&self) -> crate::trace::Trace {
        crate::trace::chrome_trace(&self.events_since(0), self.shared.clock.now_us())
    }

    /// Waits until worker `id` has finished, at most `timeout`; returns its
    /// final state (Stopped or Failed).
    pub fn join(&self, id: &str, timeout: Duration) -> Result<WorkerState, ControlError> {
        self.wait_for_state(id, timeout, WorkerState::is_finished)
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
        let slot = self.shared.slot(id)?;
        let reached = self
            .shared
            .changes
            .wait(deadline_after(timeout), || done(slot.state.load()));
        let state = slot.state.load();
        if reached {
            Ok(state)
        } else {
            Err(ControlError::Timeout {
                id: slot.id.clone(),
                state,
            })
        }
    }

    /// Waits until every started worker has finished, at most `timeout`.
    /// Returns the ids of those still going (empty when all finished).
    #[must_use = "the workers still running are the ones that did not finish in time"]
    pub fn join_all(&self, timeout: Duration) -> Vec<WorkerId> {
        let slots = self.shared.slots();
        let still = || slots.iter().filter(|s| s.state.load().is_live());
        self.shared
            .changes
            .wait(deadline_after(timeout), || still().next().is_none());
        still().map(|s| s.id.clone()).collect()
    }

    /// Forgets a finished worker and returns its final figures.
    pub fn remove(&self, id: &str) -> Result<WorkerSnapshot, ControlError> {
        let mut registry = lock(&self.shared.registry);
        let slot = registry
            .get(id)
            .ok_or_else(|| ControlError::UnknownWorker(id.to_owned()))?;
        let state = slot.state.load();
        if Action::Remove.next(state).is_none() {
            return Err(ControlError::InvalidTransition {
                id: slot.id.clone(),
                action: Action::Remove,
                state,
            });
        }
        let slot = registry
            .shift_remove(id)
            .unwrap_or_else(|| unreachable!("looked up above"));
        drop(registry);
        slot.event(EventKind::Removed);
        Ok(slot.snapshot())
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
        shutdown::begin(&self.shared);
        let mut pending = shutdown::Pending::new(&self.shared);
        self.shared
            .changes
            .wait(deadline_after(timeout), || pending.done());
        shutdown::report(&self.shared, elapsed_ms(began))
    }

    /// [`shutdown`](Self::shutdown) without blocking: resolves when every
    /// worker has finished or when `deadline` (any timer future, such as
    /// `gloo_timers::future::sleep`) fires, whichever comes first.
    pub async fn shutdown_async<D: Future>(&self, deadline: D) -> ShutdownReport {
        let began = Instant::now();
        shutdown::begin(&self.shared);
        let mut pending = shutdown::Pending::new(&self.shared);
        changes::before(self.until(|| pending.done()), deadline).await;
        shutdown::report(&self.shared, elapsed_ms(began))
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
        let slot = self.shared.slot(id)?;
        let reached = changes::before(self.until(|| done(slot.state.load())), deadline).await;
        Ok(reached.then(|| slot.state.load()))
    }

    /// Resolves at the first state change (of any worker) after this call:
    /// the async way to watch a manager without polling it. Make it *before*
    /// looking at what you wait for, or a change in between is missed; or use
    /// [`wait_for_state_async`](Self::wait_for_state_async), which does that.
    pub fn changed(&self) -> Changed {
        Changed::new(&self.shared.changes)
    }

    async fn until(&self, mut done: impl FnMut() -> bool) {
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

impl<T: Send + 'static> Drop for Yard<T> {
    /// Natively: shuts down, waiting up to the drop deadline. In the browser
    /// the manager may be dropped on the main thread, which must never wait:
    /// there it only asks every worker to stop.
    fn drop(&mut self) {
        if self.is_shut_down() {
            return;
        }
        if cfg!(target_arch = "wasm32") {
            self.begin_shutdown();
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

/// Sends to one worker, holding on to it (no registry lookup per message).
pub struct WorkerSender<T> {
    slot: Arc<Slot<T>>,
}

impl<T> Clone for WorkerSender<T> {
    fn clone(&self) -> Self {
        Self {
            slot: Arc::clone(&self.slot),
        }
    }
}

impl<T> WorkerSender<T> {
    /// The worker it sends to.
    pub fn id(&self) -> &WorkerId {
        &self.slot.id
    }

    /// As [`Yard::send`].
    pub fn send(&self, message: T) -> Result<(), SendError<T>> {
        self.slot.push(message, None, None)
    }

    /// As [`Yard::send_timeout`].
    pub fn send_timeout(&self, message: T, timeout: Duration) -> Result<(), SendError<T>> {
        self.slot.push(message, Some(timeout), None)
    }
}

/// What a broadcast did at one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    /// Queued in its mailbox.
    Delivered,
    /// Its mailbox was full; it did not get this message.
    MailboxFull,
    /// It had already finished.
    Finished,
}

/// One recipient of a broadcast.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recipient {
    /// The worker.
    pub id: WorkerId,
    /// What happened.
    pub outcome: Delivery,
}

/// What a broadcast did, worker by worker, in creation order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BroadcastReport {
    /// One entry per worker known at the time.
    pub recipients: Vec<Recipient>,
}

impl BroadcastReport {
    /// How many recipients had this outcome.
    pub fn count(&self, outcome: Delivery) -> usize {
        self.recipients
            .iter()
            .filter(|r| r.outcome == outcome)
            .count()
    }

    /// The ids of the recipients with this outcome.
    pub fn ids(&self, outcome: Delivery) -> Vec<&WorkerId> {
        self.recipients
            .iter()
            .filter(|r| r.outcome == outcome)
            .map(|r| &r.id)
            .collect()
    }
}

/// Every worker at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Snapshot {
    /// Milliseconds since the manager was created.
    pub at_ms: f64,
    /// The workers, in creation order (finished ones until removed).
    pub workers: Vec<WorkerSnapshot>,
    /// Threads running a worker now (in a browser: on the page's whole pool).
    pub live_threads: usize,
    /// Most workers that can run at once, if limited.
    pub capacity: Option<usize>,
    /// Whether shutdown has begun.
    pub shut_down: bool,
}
