//! One worker's shared record, and the handshake that makes pause, resume,
//! stop and the mailbox reliable. The manager holds it (through the task's
//! [`Worker`](crate::Worker) view, which keeps it inline) and the worker's
//! own thread runs in it; every field is private, and each is written only
//! where this table says:
//!
//! | field | written by | when, and under what |
//! |---|---|---|
//! | `id`, `restart`, `clock`, `events`, `changes`, `threads`, `record_messages`, `shut_down` | [`Slot::new`] only | never again |
//! | `state` | the manager (start, pause, resume, stop) and the worker's thread (acknowledge or take a pause, finish, fail) | in [`Slot::transition`]: one CAS, with the event log held so the log lists moves in order |
//! | `mailbox` queue | senders ([`Slot::push`]) and takers ([`Slot::wait_at`], [`Slot::try_take`]), with no lock; [`Slot::close`] drains it under the lane lock | lock-free both ways (see `mailbox.rs`); a take that loses to a stop or pause puts its message back under the lane lock |
//! | `mailbox` signals (receivers asleep, closed) | the worker registering to sleep, [`Slot::close`] and [`Slot::stop_and_close`] | under the lane lock, each change followed by a notify of `worker_cv` or a wakeup of the senders waiting for room (`mailbox/room.rs`) |
//! | `mailbox` receiving side (received, high-water) | whoever takes | the worker's own thread with plain stores, others with read-modify-writes |
//! | `lane` (woken receivers, put-back messages, drained) | the worker, senders waking it, [`Slot::close`] | under the lane lock |
//! | `metrics` | the worker's thread (start, pauses, waits, tasks, CPU, end); the manager writes `pause_requested_at_us` (pause, resume) and, for a worker stopped before it started, `ended_at_us`; [`Slot::finish`] writes the end | relaxed atomics; the manager's writes inside the move's record, under the event log |
//! | `last_error` | the worker's thread (a failed run, a recorded error), or whoever stops a worker that never started (its task's `Drop`) | under its own small lock |
//! | `ended` | the first caller of [`Slot::finish`]: the worker's own thread at its end, or, when no thread ran it, the start that could not get one or the platform dropping its job | one swap: a worker's end is recorded once |
//! | `task` | [`Slot::new`]; taken once by the one successful start, or dropped by [`Slot::finish_unstarted`] | under its own lock, dropped outside it |
//!
//! The handshake:
//! * the worker only ever blocks inside [`Slot::wait_at`], holding the lane
//!   lock while it checks the state byte and the queue, and releasing it
//!   atomically as it waits on `worker_cv`; it takes messages with no lock,
//!   and looks at the state after each take (a stop or pause that came
//!   first puts the message back);
//! * whoever changes the state byte (pause, resume, stop) takes the lane
//!   lock *after* the change and then notifies;
//! * a sender queues without the lock, and takes it to notify only when a
//!   receiver has registered to sleep (the fence protocol in `mailbox.rs`).
//!
//! So the worker either sees the change before it waits, or is already
//! waiting when the notification comes: no wakeup is lost, and nothing polls.
//!
//! The slot does not know what a task is: `J` is whatever the manager keeps
//! for the worker until it starts (the boxed task), so this module sits
//! below the task's view of it and below the manager.

use std::time::Duration;

use serde::Serialize;
use web_time::Instant;

use crate::activity::{Activity, ActivityCell};
use crate::changes::Changes;
use crate::clock::{self, Clock};
use crate::contain;
use crate::current;
use crate::error::{ControlError, SendError, StopRequested};
use crate::events::{EventKind, EventLog, EventWriter};
use crate::id::WorkerId;
use crate::mailbox::{Lane, Mailbox, MailboxSnapshot, Refusal};
use crate::metrics::{Metrics, UNSET};
use crate::policy::RestartPolicy;
use crate::state::{Action, StateCell, Transition, WorkerState};
use crate::sync::{
    deadline_after, expired, lock, wait, wait_until, Arc, AtomicBool, AtomicU64, AtomicU8,
    AtomicUsize, Condvar, Mutex, MutexGuard, Ordering,
};
use crate::threads::ThreadCounts;
use crossbeam_utils::CachePadded;

/// `task_done` samples the thread's CPU time once per this many tasks.
const CPU_SAMPLE_EVERY: u64 = 64;

/// How long a receiver spins on the mailbox before sleeping. A stream of
/// messages then costs no futex wakeup per message. Off under loom, where
/// spinning only multiplies interleavings.
#[cfg(all(not(loom), not(target_family = "wasm")))]
const SPINS: u32 = 128;
/// `spin_loop()` is a no-op on wasm32 (no pause instruction), so the same
/// wall-clock budget takes many more turns. Measured in the browser
/// benchmark with the mutex-guarded mailbox, 1 sender to 1 worker: 1.11 to
/// 1.36 M/s over five runs with 2048 turns, 0.89 to 1.13 M/s over three
/// with 128.
#[cfg(all(not(loom), target_family = "wasm"))]
const SPINS: u32 = 2048;
#[cfg(loom)]
const SPINS: u32 = 0;

/// Spins until `ready()` or the budget is spent; true if it became ready.
/// A `recv_timeout`'s wait before sleeping: a few microseconds, never
/// giving up the core (a yield can cost milliseconds on a loaded machine,
/// longer than the timeout, which would then pass without a wait).
fn spin_until(ready: impl Fn() -> bool) -> bool {
    for _ in 0..SPINS {
        if ready() {
            return true;
        }
        std::hint::spin_loop();
    }
    false
}

/// A sender's wait for room, and a `recv`'s wait for a message, before
/// sleeping: natively the channel's own backoff (crossbeam's `Backoff`, as
/// `sync_channel` uses), a few growing spins and then a few yields of the
/// core, about 10 turns in all. The yields matter when the threads
/// outnumber the cores: a pure spin held a core the other side needed.
/// Measured on 2 cores shared with other builds: 4 senders to 1 worker,
/// 18% of the time in the senders' spin and a futex wakeup per message
/// (0.23x of `sync_channel`), 1.16x with the backoff on both sides; 1
/// sender to 1 worker 0.35x with the receiver spinning, 1.5x with it
/// backing off.
#[cfg(all(not(loom), not(target_family = "wasm")))]
fn back_off_until(ready: impl Fn() -> bool) -> bool {
    let backoff = crossbeam_utils::Backoff::new();
    while !backoff.is_completed() {
        if ready() {
            return true;
        }
        backoff.snooze();
    }
    ready()
}

/// A yield does nothing on wasm32: the browser spins by count. (Looks
/// spaced out as natively, 1, 2, 4 … 64 empty turns apart, measured no
/// different in the browser benchmark: 1.7x to 3.0x of the channel one to
/// one either way, over 15 rounds each.)
#[cfg(any(loom, target_family = "wasm"))]
fn back_off_until(ready: impl Fn() -> bool) -> bool {
    spin_until(ready)
}

/// The worker's job has been handed to the spawner (or not yet).
const LAUNCH_PENDING: u8 = 0;
/// Its thread runs it.
const LAUNCH_RUNNING: u8 = 1;
/// Its start gave up on it: it must never run.
const LAUNCH_ABANDONED: u8 = 2;

/// Who goes to sleep registered, for [`Slot::skips_recheck`].
#[derive(Clone, Copy)]
enum Sleeper {
    Receiver,
    Sender,
}

/// What a take found ([`Slot::take`]).
pub(crate) enum Taken<T> {
    Message(T),
    /// A stop or a pause came first: nothing taken (messages put back wait
    /// for a running worker).
    Control,
    /// A stop or a pause came first: the taker holds the message through
    /// it, counted as waiting ([`Mailbox::hold`]), and either receives it
    /// once resumed or puts it back in front if stopped.
    Held(T),
    Nothing,
}

/// What a worker waits for in [`Slot::wait_at`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Want {
    /// Only to get past a pending pause (a pause point).
    PastPause,
    /// A message (a receive, which is a pause point too).
    Message,
}

/// A worker's shared record; see the module docs for who writes what.
pub(crate) struct Slot<T, J> {
    id: WorkerId,
    state: StateCell,
    /// Taken by the worker at every take; by senders only to wake a
    /// sleeper. On a line of its own: senders read the state byte and the
    /// mailbox's signals at every send.
    lane: CachePadded<Mutex<Lane<T>>>,
    /// The worker waits here: for a message, a resume or a stop.
    worker_cv: Condvar,
    metrics: Metrics,
    activity: ActivityCell,
    mailbox: Mailbox<T>,
    last_error: Mutex<Option<String>>,
    /// Set by the one call that records the worker's end.
    ended: AtomicBool,
    /// Whether the worker's job was run by its thread or given up on by its
    /// start: whichever comes first wins ([`Slot::claim_launch`]).
    launch: AtomicU8,
    /// Set while the worker's own task is inside a shutdown of its manager:
    /// another shutdown does not wait for it either.
    in_shutdown: AtomicUsize,
    /// The task, until the one successful start takes it.
    task: Mutex<Option<J>>,
    restart: RestartPolicy,
    clock: Clock,
    events: Arc<EventLog>,
    changes: Arc<Changes>,
    /// Threads in use: this manager's, and (where the platform shares one
    /// pool between managers) the pool's.
    threads: ThreadCounts,
    record_messages: bool,
    /// The manager's "shutdown has begun" flag: no message is taken after it.
    shut_down: Arc<AtomicBool>,
    /// Which worker this is, among every one its manager has had (a lock's
    /// holder is known by it, not by the id, which a new worker may reuse).
    incarnation: u64,
    /// The manager's count of messages accepted after their worker was
    /// removed (see [`Slot::removal_snapshot`]).
    undelivered_after_removal: Arc<AtomicU64>,
    /// The model tests' deliberately broken variant (see `skips_recheck`).
    #[cfg(loom)]
    broken_recheck: bool,
    /// Another: a sender that sleeps for room without looking again (see
    /// `skips_recheck`).
    #[cfg(loom)]
    broken_room_recheck: bool,
}

/// What a slot is made from: the worker's settings and the manager's shared
/// parts it reports to.
pub(crate) struct SlotParts<J> {
    pub(crate) id: WorkerId,
    pub(crate) task: J,
    pub(crate) mailbox_capacity: usize,
    pub(crate) restart: RestartPolicy,
    pub(crate) clock: Clock,
    pub(crate) events: Arc<EventLog>,
    pub(crate) changes: Arc<Changes>,
    pub(crate) threads: ThreadCounts,
    pub(crate) record_messages: bool,
    pub(crate) shut_down: Arc<AtomicBool>,
    /// Run in stepped mode (see `steps.rs`).
    pub(crate) stepped: bool,
    /// Unique among the manager's workers (`Hub::incarnation`).
    pub(crate) incarnation: u64,
    /// The manager's count of messages accepted after a removal.
    pub(crate) undelivered_after_removal: Arc<AtomicU64>,
}

impl<T, J> Slot<T, J> {
    pub(crate) fn new(parts: SlotParts<J>) -> Self {
        Self {
            id: parts.id,
            state: StateCell::with_steps(parts.stepped),
            lane: CachePadded::new(Mutex::new(Lane::default())),
            worker_cv: Condvar::new(),
            metrics: Metrics::new(),
            activity: ActivityCell::new(),
            mailbox: Mailbox::new(parts.mailbox_capacity),
            last_error: Mutex::new(None),
            ended: AtomicBool::new(false),
            launch: AtomicU8::new(LAUNCH_PENDING),
            in_shutdown: AtomicUsize::new(0),
            task: Mutex::new(Some(parts.task)),
            restart: parts.restart,
            clock: parts.clock,
            events: parts.events,
            changes: parts.changes,
            threads: parts.threads,
            record_messages: parts.record_messages,
            shut_down: parts.shut_down,
            incarnation: parts.incarnation,
            undelivered_after_removal: parts.undelivered_after_removal,
            #[cfg(loom)]
            broken_recheck: false,
            #[cfg(loom)]
            broken_room_recheck: false,
        }
    }

    /// Breaks the mailbox's wakeup protocol on purpose, for the model test
    /// that shows loom finds what each part of it prevents: a push without
    /// its fence, or a receiver that sleeps without looking again.
    #[cfg(loom)]
    pub(crate) fn break_protocol(&mut self, fence_after_push: bool, recheck: bool) {
        self.mailbox.fence_after_push = fence_after_push;
        self.broken_recheck = !recheck;
    }

    /// Breaks the other side of it on purpose: a sender that registers to
    /// wait for room and sleeps without looking at the queue again.
    #[cfg(loom)]
    pub(crate) fn break_room_recheck(&mut self) {
        self.broken_room_recheck = true;
    }

    pub(crate) fn id(&self) -> &WorkerId {
        &self.id
    }

    pub(crate) fn incarnation(&self) -> u64 {
        self.incarnation
    }

    /// The current state: one `Acquire` load.
    #[inline]
    pub(crate) fn state(&self) -> WorkerState {
        self.state.load()
    }

    /// True while Running and not stepped: the whole fast path of a pause
    /// point, one load of the state byte and a compare.
    #[inline(always)]
    pub(crate) fn is_running(&self) -> bool {
        self.state.runs_free()
    }

    /// True for a worker in stepped mode.
    pub(crate) fn is_stepped(&self) -> bool {
        self.state.is_stepped()
    }

    /// True while the mailbox holds as many messages as it can (read
    /// without the lane lock: the wait-for graph's probe of a blocked send).
    pub(crate) fn mailbox_is_full(&self) -> bool {
        self.mailbox.is_full()
    }

    /// The worker's own thread begins `activity`, inside whatever it is
    /// doing; true if it was marked (then [`end_activity`](Self::end_activity)
    /// ends it), false if nested too deep to be.
    pub(crate) fn begin_activity(&self, activity: Activity) -> bool {
        // A clock read is a call out to JavaScript in the browser: only the
        // waits timed here (or a wait inside one) read it, never a receive
        // made while computing.
        let now = if self.activity.needs_clock(activity) {
            self.clock.now_us()
        } else {
            0
        };
        let entered = self.activity.enter(activity, now);
        if activity.timed_here() {
            // So a `wait_for_state` predicate that looks at the activity
            // sees the worker go into a long wait (receives, far more
            // frequent, do not signal).
            self.changes.notify();
        }
        entered
    }

    /// What the worker is doing now.
    pub(crate) fn snapshot_activity(&self) -> Activity {
        self.activity.get()
    }

    /// The worker's own thread ends the activity it began last (if it was
    /// marked) and goes back to the one around it.
    pub(crate) fn end_activity(&self, entered: bool) {
        if !entered {
            return;
        }
        let timed = self.activity.leave_needs_clock();
        let now = if timed { self.clock.now_us() } else { 0 };
        self.activity.leave(now);
        if timed {
            self.changes.notify();
        }
    }

    /// The worker's own thread waited as `activity` from `began` to
    /// `ended` (µs): a span for the trace (see `activity.rs`). A helper
    /// thread's wait is not the worker's.
    pub(crate) fn note_wait(&self, activity: Activity, began: u64, ended: u64) {
        if current::is(self.address()) {
            self.activity.waited(activity, began, ended);
        }
    }

    /// The worker's recent waits for the trace, the one going on now
    /// included, and how many older ones it let go.
    pub(crate) fn activity_spans(&self) -> (Vec<crate::activity::ActivitySpan>, u64) {
        let since = Metrics::get(&self.metrics.blocked_since_us);
        let open = (since != UNSET).then_some(since);
        self.activity.spans(open, self.clock.now_us())
    }

    /// Total time paused, the current pause included: a paced loop moves
    /// its deadlines on by what this grew, so a pause neither loses work
    /// nor makes a burst of it afterwards.
    pub(crate) fn paused_total(&self) -> Duration {
        let m = &self.metrics;
        // No clock read unless a pause is open (the common case).
        let now = if Metrics::get(&m.paused_since_us) == UNSET {
            0
        } else {
            self.clock.now_us()
        };
        Duration::from_nanos(Metrics::with_open(&m.paused_since_us, &m.paused_ns, now))
    }

    pub(crate) fn restart_policy(&self) -> RestartPolicy {
        self.restart
    }

    pub(crate) fn last_error(&self) -> Option<String> {
        lock(&self.last_error).clone()
    }

    /// The task, for the one start that moved the worker out of Created.
    pub(crate) fn take_task(&self) -> Option<J> {
        lock(&self.task).take()
    }

    /// The manager's start: Created to Running (the thread, reserved by the
    /// caller, is yet to begin; it records Started when it does).
    pub(crate) fn mark_started(&self) -> Result<(), WorkerState> {
        self.transition(Action::Start, |_, _| {}).map(drop)
    }

    /// The worker's thread began running its task.
    pub(crate) fn record_start(&self) {
        Metrics::set(&self.metrics.started_at_us, self.clock.now_us());
        // The state is read under the log's lock: every move records itself
        // under that lock too, so none can come between the read and the
        // record, and the log stays in the order of the moves.
        let mut log = self.events.writer();
        log.moved(&self.id, self.state.load(), EventKind::Started);
    }

    /// The restart policy ran the task again after `error`.
    pub(crate) fn record_restart(&self, error: String) {
        Metrics::bump(&self.metrics.restarts);
        self.event(EventKind::Restarted { error });
    }

    /// One finished unit of work (the task's `task_done`).
    #[inline]
    pub(crate) fn task_done(&self) {
        let done = self.metrics.tasks_completed.fetch_add(1, Ordering::Relaxed) + 1;
        // The thread's CPU clock is a system call (about 650 ns here), so a
        // busy worker samples it every 64th task; pauses, waits and the end
        // sample it too.
        if done % CPU_SAMPLE_EVERY == 0 {
            self.sample_cpu();
        }
    }

    /// A non-fatal error the task reported: counted, kept, published.
    pub(crate) fn record_error(&self, error: String) {
        let error = crate::error::capped(error);
        tracing::warn!(worker = %self.id, %error, "task reported an error");
        Metrics::bump(&self.metrics.errors);
        *lock(&self.last_error) = Some(error.clone());
        self.event(EventKind::ErrorRecorded { error });
    }

    /// Records the end of a worker whose thread ran (or could not be
    /// started), releasing the thread reserved for it. At most once per
    /// worker: a second call (a spawner that both failed and dropped the
    /// job) changes nothing.
    pub(crate) fn finish(&self, failure: Option<String>) {
        if !self.claim_end() {
            return;
        }
        let failure = failure.map(crate::error::capped);
        if let Some(error) = &failure {
            self.note_error(error.clone());
        }
        // A task can end while paused or in a receive (its helper threads
        // still waiting): those intervals end with it.
        let (m, now) = (&self.metrics, self.clock.now_us());
        Metrics::close(&m.paused_since_us, &m.paused_ns, now);
        Metrics::close(&m.blocked_since_us, &m.blocked_ns, now);
        self.sample_cpu();
        Metrics::set(&self.metrics.ended_at_us, self.clock.now_us());
        Metrics::set(&self.metrics.pause_requested_at_us, UNSET);
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
        let left = self.close();
        self.threads.release();
        // Only the worker's own thread (or the start that failed to give it
        // one) finishes a started worker, once, so this move cannot be
        // refused; a refusal would mean it had already finished.
        let _ = self.transition(action, |log, moved| log.moved(&self.id, moved.to, kind));
        // Logged after the end is published: a subscriber is the caller's code.
        contain::quietly(|| match &failure {
            Some(error) => {
                tracing::warn!(worker = %self.id, %error, unread = left, "worker failed")
            }
            None => tracing::debug!(worker = %self.id, unread = left, "finished"),
        });
    }

    /// The manager's stop. A worker that never started is finished here
    /// ([`finish_unstarted`](Self::finish_unstarted)), since no thread of
    /// its own will ever do it.
    pub(crate) fn stop(&self) -> Result<(), ControlError> {
        self.control(Action::Stop).map(drop)
    }

    /// Moves the state byte; when it moved, runs `record` (counters and
    /// events of the move) before anyone waiting for a state change is woken.
    /// The event log is held throughout, so the log lists moves in the order
    /// they happened. `record` must not take the event log itself.
    fn transition(
        &self,
        action: Action,
        record: impl FnOnce(&mut EventWriter<'_>, Transition),
    ) -> Result<Transition, WorkerState> {
        let moved = self.transition_quietly(action, record)?;
        self.changes.notify();
        Ok(moved)
    }

    /// [`transition`](Self::transition) without waking change waiters: for
    /// shutdown, which moves every worker and then wakes them once.
    fn transition_quietly(
        &self,
        action: Action,
        record: impl FnOnce(&mut EventWriter<'_>, Transition),
    ) -> Result<Transition, WorkerState> {
        let mut log = self.events.writer();
        let moved = self.state.apply(action)?;
        record(&mut log, moved);
        Ok(moved)
    }

    /// Records an event that moves no state.
    pub(crate) fn event(&self, kind: EventKind) {
        self.events.push(Some(self.id.clone()), kind);
    }

    /// Applies a manager-side action, records it and wakes the worker so it
    /// reacts at once. Refused moves change nothing.
    pub(crate) fn control(&self, action: Action) -> Result<Transition, ControlError> {
        let moved = self.record_control(action)?;
        if moved.from == WorkerState::Created {
            // Stopped before it ever started: finished here, before anyone
            // (a subscriber of the log line below included) hears of it.
            self.finish_unstarted();
        }
        // The worker first: it is the one a person is waiting on (resume
        // latency), and change waiters only observe.
        self.wake_worker();
        self.changes.notify();
        // Last: a subscriber is the caller's code, and whatever it does, the
        // move is made and everyone concerned is woken.
        tracing::debug!(worker = %self.id, from = %moved.from, to = %moved.to, "{action}");
        Ok(moved)
    }

    /// Shutdown's part for one worker, in one pass: ask it to stop, close its
    /// mailbox, and wake it and its blocked senders only if they are waiting
    /// (a running worker sees the stop at its next pause point at no cost).
    /// Change waiters are not woken: shutdown does that once for everyone.
    pub(crate) fn stop_and_close(&self) {
        let moved = self.record_control(Action::Stop);
        if matches!(moved, Ok(m) if m.from == WorkerState::Created) {
            self.finish_unstarted();
            return;
        }
        let lane = lock(&self.lane);
        self.mailbox.close();
        // The worker waits on `worker_cv` only when paused or when waiting for
        // a message, and it checks the state under this lock first.
        let wake_worker = self.mailbox.receivers_sleeping()
            || matches!(moved, Ok(m) if m.from == WorkerState::Paused);
        drop(lane);
        if wake_worker {
            self.worker_cv.notify_all();
        }
        self.mailbox.room().wake_all();
    }

    /// The one place a worker stopped before it ever started is finished
    /// (from [`stop`](Self::stop) and [`stop_and_close`](Self::stop_and_close)):
    /// no thread of its own will do it. Its task is dropped (outside any
    /// lock: the task's captures are user code) and its mailbox closed.
    /// It is Stopping (no start can take it any more) until its task and
    /// unread messages are gone; only then is Stopped published.
    fn finish_unstarted(&self) {
        let task = lock(&self.task).take();
        if let Some(panic) = task.and_then(contain::drop_quietly) {
            self.note_error(format!(
                "{panic} (while dropping the task of a worker stopped before it started)"
            ));
        }
        self.close();
        let _ = self.transition_quietly(Action::Finish, |log, moved| {
            Metrics::set(&self.metrics.ended_at_us, self.clock.now_us());
            log.moved(&self.id, moved.to, EventKind::Stopped);
        });
    }

    /// Moves the state for a manager-side action and records it.
    fn record_control(&self, action: Action) -> Result<Transition, ControlError> {
        let id = &self.id;
        let moved = self
            .transition_quietly(action, |log, moved| match action {
                Action::Pause => {
                    Metrics::set(&self.metrics.pause_requested_at_us, self.clock.now_us());
                    log.moved(id, moved.to, EventKind::PauseRequested);
                }
                Action::Resume => {
                    Metrics::set(&self.metrics.pause_requested_at_us, UNSET);
                    log.moved(id, moved.to, EventKind::Resumed);
                }
                Action::Stop => log.moved(id, moved.to, EventKind::StopRequested),
                _ => {}
            })
            .map_err(|state| ControlError::InvalidTransition {
                id: self.id.clone(),
                action,
                state,
            })?;
        Ok(moved)
    }

    fn wake_worker(&self) {
        // Taking the lock orders this notification after any check the worker
        // made under it (see the module docs).
        drop(lock(&self.lane));
        self.worker_cv.notify_all();
    }

    /// The worker moves itself to Paused (acknowledging a request, or on its
    /// own), counting the pause before anyone can see it paused.
    fn enter_pause(&self, action: Action) -> Result<Transition, WorkerState> {
        let by_itself = action == Action::PauseSelf;
        self.sample_cpu();
        self.transition(action, |log, moved| {
            let m = &self.metrics;
            Metrics::bump(&m.pause_count);
            Metrics::set(&m.pause_requested_at_us, UNSET);
            // The last pause may still be open: resumed and asked to pause
            // again before any thread of the worker woke and ran, it was
            // never left. It is counted up to now, not written over (that
            // dropped it, and paused_ms went back: tests/mailbox_half_room.rs
            // `a_pause_taken_again_before_the_worker_woke_keeps_the_first_pause_counted`).
            let now = self.clock.now_us();
            Metrics::close(&m.paused_since_us, &m.paused_ns, now);
            Metrics::open(&m.paused_since_us, now);
            // Paused inside a blocking call (its closure's pause point):
            // from the same moment the time is paused, not waited.
            if current::is(self.address()) {
                self.activity.suspend(now);
            }
            log.moved(&self.id, moved.to, EventKind::Paused { by_itself });
        })
        .inspect(|_| tracing::debug!(worker = %self.id, by_itself, "paused"))
    }

    /// The worker pauses itself and waits to be resumed or stopped.
    pub(crate) fn pause_itself(&self) -> Result<(), StopRequested> {
        match self.enter_pause(Action::PauseSelf) {
            // Already paused by another thread of the same task (one it lent
            // `&Worker` to): this one waits for the resume too.
            Ok(_) | Err(WorkerState::Paused) => {}
            Err(WorkerState::Stopping) => return Err(StopRequested),
            // Any other refusal leaves nothing to wait for.
            Err(_) => return Ok(()),
        }
        self.wait_at(Want::PastPause, None).map(|_| ())
    }

    /// The worker's only blocking wait: acknowledges a pending pause, stays
    /// paused until resumed, returns `StopRequested` once asked to stop, and
    /// (for [`Want::Message`]) returns the next message or `None` at the
    /// deadline.
    ///
    /// State moves (and the `tracing` events they emit, which run the
    /// caller's subscriber) happen with no lock held; the lane lock is taken
    /// only to look at the state and the queue once more and then sleep, so
    /// a change made before the look is seen and one made after it wakes the
    /// sleeper (see the module docs). Several threads may wait here at once
    /// (a task can share `&Worker` with helper threads): control wakes all.
    pub(crate) fn wait_at(
        &self,
        want: Want,
        deadline: Option<Instant>,
    ) -> Result<Option<T>, StopRequested> {
        let mut spun = false;
        loop {
            match self.state.load() {
                WorkerState::Stopping => {
                    self.leave_pause();
                    return Err(StopRequested);
                }
                WorkerState::PauseRequested => {
                    // Refused only if a resume or stop won the race: look again.
                    let _ = self.enter_pause(Action::AcknowledgePause);
                    continue;
                }
                WorkerState::Paused => {
                    let lane = lock(&self.lane);
                    if self.state.load() == WorkerState::Paused {
                        drop(wait(&self.worker_cv, lane));
                        Metrics::bump(&self.metrics.wakeups);
                    }
                    continue;
                }
                _ => self.leave_pause(),
            }
            if want == Want::PastPause {
                return Ok(None);
            }
            match self.take(true) {
                Taken::Message(message) => return Ok(Some(message)),
                // A stop or pause came first: handled at the top.
                Taken::Control => continue,
                Taken::Held(message) => return self.hold_through_pause(message).map(Some),
                Taken::Nothing => {}
            }
            if expired(deadline) {
                return Ok(None);
            }
            if !spun {
                // A message (or a control change) is often a moment away.
                spun = true;
                let ready = || self.mailbox.len() > 0 || !self.state.is_running();
                if deadline.is_some() {
                    spin_until(ready);
                } else {
                    back_off_until(ready);
                }
                continue;
            }
            // Looked at again under the lane lock, where every control move
            // notifies after it is made: a stop or pause made since the look
            // above is seen here, one made after it wakes the sleeper.
            let lane = lock(&self.lane);
            if self.state.is_running() && !self.mailbox.has_put_back() {
                drop(self.wait_for_message(lane, deadline));
            }
            spun = false;
        }
    }

    /// True if the worker is Paused with no pause interval open (the model
    /// tests' look): under the event log, as every move records itself.
    #[cfg(loom)]
    pub(crate) fn paused_untimed(&self) -> bool {
        let _log = self.events.writer();
        self.state.load() == WorkerState::Paused
            && Metrics::get(&self.metrics.paused_since_us) == UNSET
    }

    /// Ends the pause interval if one is open and the worker is no longer
    /// paused (one relaxed load when none is open). The state is looked at
    /// under the event log, where every move into Paused opens its
    /// interval: a thread of the task (lent `&Worker`) that found the
    /// worker running just before another thread acknowledged a pause must
    /// not end that new pause, or a worker paused for minutes shows its
    /// `paused_ms` standing still (tests/mailbox_half_room.rs
    /// `a_receive_racing_a_pause_on_another_thread_keeps_the_pause_timed`).
    fn leave_pause(&self) {
        let m = &self.metrics;
        if Metrics::get(&m.paused_since_us) == UNSET {
            return;
        }
        let _log = self.events.writer();
        if self.state.load() != WorkerState::Paused {
            let now = self.clock.now_us();
            Metrics::close(&m.paused_since_us, &m.paused_ns, now);
            if current::is(self.address()) {
                self.activity.resume(now);
            }
        }
    }

    /// Sleeps until a sender (or a control change) wakes it. Registered as
    /// a sleeper first, then one more look at the queue: a message queued
    /// before the registration is seen here, one queued after it finds the
    /// sleeper and notifies (the protocol in `mailbox.rs`).
    fn wait_for_message<'a>(
        &'a self,
        lane: MutexGuard<'a, Lane<T>>,
        deadline: Option<Instant>,
    ) -> MutexGuard<'a, Lane<T>> {
        self.mailbox.register_receiver();
        if self.mailbox.len() > 0 && !self.skips_recheck(Sleeper::Receiver) {
            self.mailbox.unregister_receiver();
            return lane;
        }
        let m = &self.metrics;
        self.sample_cpu();
        let began = self.clock.now_us();
        Metrics::open(&m.blocked_since_us, began);
        let mut lane = wait_until(&self.worker_cv, lane, deadline);
        Metrics::bump(&m.wakeups);
        self.mailbox.receiver_woke(&mut lane);
        let ended = self.clock.now_us();
        Metrics::close(&m.blocked_since_us, &m.blocked_ns, ended);
        self.note_wait(Activity::WaitingForMessage, began, ended);
        lane
    }

    /// The model tests' broken variants that sleep without looking at the
    /// queue again after registering: a receiver (`Sleeper::Receiver`), or
    /// a sender waiting for room (`Sleeper::Sender`).
    #[inline(always)]
    fn skips_recheck(&self, sleeper: Sleeper) -> bool {
        #[cfg(loom)]
        return match sleeper {
            Sleeper::Receiver => self.broken_recheck,
            Sleeper::Sender => self.broken_room_recheck,
        };
        #[cfg(not(loom))]
        {
            let _ = sleeper;
            false
        }
    }

    /// Takes the next message: first any put back, under the lane lock,
    /// else from the queue with no lock. With `as_pause_point`, the state is
    /// looked at after the take: a worker no longer running (a stop or a
    /// pause came first) puts the message back in front and handles the
    /// control instead (see `mailbox.rs`), so a receive is a pause point
    /// and a worker asked to stop takes nothing more.
    fn take(&self, as_pause_point: bool) -> Taken<T> {
        if self.mailbox.has_put_back() {
            let mut lane = lock(&self.lane);
            if as_pause_point && !self.state.is_running() {
                return Taken::Control;
            }
            return match self.mailbox.take_put_back(&mut lane) {
                Some(message) => Taken::Message(message),
                None => Taken::Nothing,
            };
        }
        let Some(message) = self.mailbox.pop() else {
            return Taken::Nothing;
        };
        // One pop frees one place: it wakes one sleeping sender not woken
        // already (a receiver draining a full mailbox would otherwise notify
        // once per message until that sender ran). Also when the take then
        // loses to a pause: a sender parked on the full mailbox is woken
        // only by the take that frees a place, and without it slept through
        // the room (with one place, until its deadline, while the worker,
        // having taken the held message, slept on the empty queue).
        self.mailbox.room().wake_one();
        if as_pause_point && !self.state.is_running_now() {
            self.mailbox.hold(&mut lock(&self.lane));
            return Taken::Held(message);
        }
        self.mailbox.received(current::is(self.address()));
        Taken::Message(message)
    }

    /// A take lost to a stop or a pause: the message stays this thread's,
    /// counted as waiting, while it waits the pause out; resumed, it is
    /// received; stopped, it goes back in front. Putting it back at once
    /// let another thread of the task take a later message first, and two
    /// takes lost to one pause put theirs back in the order they got the
    /// lock: either way one sender's messages came out of order
    /// (tests/mailbox_races.rs `each_lent_receiver_sees_one_senders_messages_in_order`).
    pub(crate) fn hold_through_pause(&self, message: T) -> Result<T, StopRequested> {
        let by_worker = current::is(self.address());
        let past = self.wait_at(Want::PastPause, None);
        let mut lane = lock(&self.lane);
        match past {
            Ok(_) => {
                self.mailbox.release_held(&mut lane, by_worker);
                drop(lane);
                Ok(message)
            }
            Err(stop) => {
                self.mailbox.unhold_put_back(&mut lane, message);
                Err(stop)
            }
        }
    }

    /// A receive's first look, before anything marks it as waiting: with
    /// the worker running, the next message if one waits (or one held
    /// through a pause that came in between: [`Taken::Held`]). Anything
    /// else, a pause or stop to answer or an empty mailbox, is
    /// [`wait_at`](Self::wait_at)'s. A receive on a busy mailbox then
    /// costs the take alone: marking the activity around it, two stores
    /// and a thread-local look at each end, was a tenth of the receive
    /// path (perf, four senders to one worker).
    pub(crate) fn take_at_once(&self) -> Taken<T> {
        if !self.state.is_running() {
            return Taken::Control;
        }
        self.leave_pause();
        self.take(true)
    }

    /// Takes a message without waiting and without looking at the state.
    pub(crate) fn try_take(&self) -> Option<T> {
        match self.take(false) {
            Taken::Message(message) => Some(message),
            Taken::Control | Taken::Nothing => None,
            // Not a pause point: never lost to one.
            Taken::Held(message) => Some(message),
        }
    }

    /// Queues `message`; when the mailbox is full, waits up to `wait` for
    /// room (`Duration::MAX`: no limit).
    #[inline]
    pub(crate) fn push(
        &self,
        message: T,
        wait: Option<Duration>,
        from: Option<&WorkerId>,
    ) -> Result<(), SendError<T>> {
        self.push_noting_wait(message, wait, from, None)
    }

    /// [`push`](Self::push), calling `blocks` once, just before the first
    /// wait for room: a send that finds room, or whose time is already up,
    /// never waits, so the caller's wait-for edge is made only for a send
    /// that really does (issue 24: a `send_to_timeout` with no time to wait
    /// on a full mailbox was an edge, and closed a cycle that never held).
    pub(crate) fn push_noting_wait(
        &self,
        message: T,
        wait: Option<Duration>,
        from: Option<&WorkerId>,
        mut blocks: Option<&mut dyn FnMut()>,
    ) -> Result<(), SendError<T>> {
        let mut message = message;
        // Read the clock only once the mailbox is found full: in the browser
        // a clock read is a call out to JavaScript, and taking it on every
        // send halved the message rate (measured in the browser benchmark).
        let mut until: Option<Option<Instant>> = None;
        let queued = loop {
            let queued = if self.takes_messages() {
                self.mailbox.push(message)
            } else {
                Err(Refusal::Closed(message))
            };
            match queued {
                Ok(queued) => break queued,
                Err(Refusal::Closed(message)) => {
                    return Err(SendError::Finished {
                        id: self.id.clone(),
                        message,
                    })
                }
                Err(Refusal::Full(refused)) => match wait
                    .map(|timeout| *until.get_or_insert_with(|| deadline_after(timeout)))
                {
                    Some(deadline) if !expired(deadline) => {
                        message = refused;
                        if let Some(blocks) = blocks.take() {
                            blocks();
                        }
                        self.wait_for_room(deadline);
                    }
                    _ => {
                        self.mailbox.count_rejected();
                        return Err(SendError::Full {
                            id: self.id.clone(),
                            capacity: self.mailbox.capacity(),
                            message: refused,
                        });
                    }
                },
            }
        };
        if queued.late {
            // The worker ended, and its mailbox was emptied, while this
            // message went in: empty it again, so nothing stays queued past
            // the worker's end. Accepted, counted undelivered.
            let mut lane = lock(&self.lane);
            let left = self.mailbox.drain(&mut lane);
            // After the worker's removal no snapshot of it shows this
            // message: its manager counts it (`Snapshot::undelivered_after_removal`).
            let unseen = self.mailbox.unread_since_removal(&mut lane);
            drop(lane);
            if unseen > 0 {
                self.undelivered_after_removal
                    .fetch_add(unseen as u64, Ordering::Relaxed);
            }
            self.drop_unread(left);
        } else if queued.wake {
            // Taking the lock waits until the sleepers really wait; claiming
            // them spares the sends behind this one the lock and the notify.
            let woke = self.mailbox.claim_sleepers(&mut lock(&self.lane));
            if woke {
                self.worker_cv.notify_all();
            }
        }
        if self.record_messages {
            self.event(EventKind::MessageSent {
                from: from.cloned(),
            });
        }
        Ok(())
    }

    /// A sender found the mailbox full: waits until it has room, closes,
    /// or `deadline` passes (then the caller looks again). Room is often a
    /// moment away, so it spins briefly first, and while it spins it waits
    /// for the mailbox to be half empty, not for the first free place: a
    /// sender that went back to the queue as soon as one place freed was
    /// full again one message later, so it looked at the queue's head
    /// (the line every take writes) between every two takes, and each take
    /// waited for that line to come back (measured, one sender to one
    /// worker: 9 to 15% of sends found the mailbox full and the receiver
    /// spent most of its time on the head; with the wait for half, under
    /// 1%, and the rate went from 4-11 to 17-19 M/s). The spin is short and
    /// ends by sending if there is any room at all, so no sender waits
    /// longer than the spin while a place is free; a sleeping sender is
    /// still woken by the first place freed (`mailbox/room.rs`).
    fn wait_for_room(&self, deadline: Option<Instant>) {
        let half = self.mailbox.capacity() / 2;
        let roomy = || self.mailbox.len() <= half || self.mailbox.is_closed();
        if back_off_until(roomy) || !self.mailbox.is_full() {
            return;
        }
        let room = self.mailbox.room();
        let ticket = room.register();
        if self.skips_recheck(Sleeper::Sender)
            || (self.mailbox.is_full() && !self.mailbox.is_closed())
        {
            room.wait(ticket, deadline);
        } else {
            room.cancel(ticket);
        }
    }

    /// False once the manager's shutdown has begun or the worker has
    /// finished: checked at every send, so a sender that has seen either
    /// (`is_shut_down()`, a Stopped state) is refused, even while shutdown
    /// is still closing mailboxes one by one or a stop is still closing this
    /// one.
    fn takes_messages(&self) -> bool {
        !self.shut_down.load(Ordering::Acquire) && !self.state.load().is_finished()
    }

    /// Counts an error and keeps its message (a failed run, or a panic while
    /// dropping what a task left behind).
    pub(crate) fn note_error(&self, error: String) {
        Metrics::bump(&self.metrics.errors);
        *lock(&self.last_error) = Some(error);
    }

    /// Closes the mailbox for good: later sends fail with `Finished` and
    /// blocked senders give up. The messages left unread are dropped now, by
    /// the caller (the worker's own thread at its end), before its final
    /// state is published: once a manager has seen every worker finish, no
    /// thread of its still holds a message. They stay counted as
    /// undelivered. Returns how many there were.
    fn close(&self) -> usize {
        let mut lane = lock(&self.lane);
        let unread = self.mailbox.drain(&mut lane);
        let left = self.mailbox.unread(&lane);
        drop(lane);
        self.mailbox.room().wake_all();
        self.worker_cv.notify_all();
        self.drop_unread(unread);
        left
    }

    /// Drops messages taken out unread, with no lock held (a message's
    /// `Drop` is user code), containing a panic from any of them.
    fn drop_unread(&self, unread: Vec<T>) {
        for message in unread {
            if let Some(panic) = contain::drop_quietly(message) {
                contain::quietly(|| {
                    tracing::warn!(worker = %self.id, %panic, "an unread message panicked when dropped");
                });
            }
        }
    }

    /// What identifies this worker to [`current`]: its address.
    pub(crate) fn address(&self) -> usize {
        std::ptr::from_ref(self).cast::<()>() as usize
    }

    /// The worker's thread is about to run its job: true unless its start
    /// gave up on it first (then the job must not run).
    pub(crate) fn claim_launch(&self) -> bool {
        self.launch
            .compare_exchange(
                LAUNCH_PENDING,
                LAUNCH_RUNNING,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// The start gives up on the job (its spawner failed or dropped it):
    /// true unless the job already runs (then the worker is started after
    /// all, and it is that thread's to finish).
    pub(crate) fn abandon_launch(&self) -> bool {
        self.launch
            .compare_exchange(
                LAUNCH_PENDING,
                LAUNCH_ABANDONED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// True once the worker's thread has claimed its job.
    pub(crate) fn job_runs(&self) -> bool {
        self.launch.load(Ordering::Acquire) == LAUNCH_RUNNING
    }

    /// Marks (or unmarks) the worker's task as inside a shutdown call, and
    /// wakes other shutdowns so they stop waiting for it.
    /// (Calls nest: a subscriber may shut down from inside a shutdown.)
    pub(crate) fn set_in_shutdown(&self, inside: bool) {
        if inside {
            self.in_shutdown.fetch_add(1, Ordering::AcqRel);
        } else {
            self.in_shutdown.fetch_sub(1, Ordering::AcqRel);
        }
        self.changes.notify();
    }

    /// True while the worker's own task is inside a shutdown call.
    pub(crate) fn is_in_shutdown(&self) -> bool {
        self.in_shutdown.load(Ordering::Acquire) > 0
    }

    /// True for the first caller only: the end of a worker is recorded once.
    fn claim_end(&self) -> bool {
        !self.ended.swap(true, Ordering::AcqRel)
    }

    /// The thread reserved for this worker is free again (a start that was
    /// refused after reserving it).
    pub(crate) fn release_thread(&self) {
        self.threads.release();
    }

    /// Messages accepted and never read: still queued, or drained at the end.
    pub(crate) fn unread(&self) -> usize {
        self.mailbox.unread(&lock(&self.lane))
    }

    /// Records the CPU time of the calling thread (the worker's own).
    fn sample_cpu(&self) {
        // A helper thread of the task (one it lent `&Worker` to) waits here
        // too: its clock is not the worker's.
        if !current::is(self.address()) {
            return;
        }
        if let Some(cpu) = clock::thread_cpu_time() {
            Metrics::set(&self.metrics.cpu_time_ns, clock::nanos(cpu));
        }
    }

    pub(crate) fn snapshot(&self) -> WorkerSnapshot {
        let mailbox = self.mailbox.snapshot(&lock(&self.lane));
        self.snapshot_with(mailbox)
    }

    /// The final figures of a worker being removed. Its mailbox's are read
    /// under the lane lock that also marks it removed, so a send accepted
    /// after its end (the one race the lock-free send leaves) is counted
    /// once: in these figures if it queued before, in the manager's
    /// `undelivered_after_removal` if after.
    pub(crate) fn removal_snapshot(&self) -> WorkerSnapshot {
        let mailbox = self.mailbox.removed(&mut lock(&self.lane));
        self.snapshot_with(mailbox)
    }

    fn snapshot_with(&self, mailbox: MailboxSnapshot) -> WorkerSnapshot {
        let m = &self.metrics;
        let now = self.clock.now_us();
        let state = self.state.load();
        let started = Metrics::get(&m.started_at_us);
        let ended = Metrics::get(&m.ended_at_us);
        let wall_us = match (started, ended) {
            (UNSET, _) => 0,
            (s, UNSET) => now.saturating_sub(s),
            (s, e) => e.saturating_sub(s),
        };
        let paused_ns = Metrics::with_open(&m.paused_since_us, &m.paused_ns, now);
        let blocked_ns = Metrics::with_open(&m.blocked_since_us, &m.blocked_ns, now);
        let waited_ns = self.activity.waited_ns(now);
        let busy_ns = (wall_us * 1_000).saturating_sub(paused_ns + blocked_ns + waited_ns);
        let requested = Metrics::get(&m.pause_requested_at_us);
        let cpu = Metrics::get(&m.cpu_time_ns);
        WorkerSnapshot {
            id: self.id.clone(),
            state,
            started_at_ms: (started != UNSET).then(|| ms(started * 1_000)),
            ended_at_ms: (ended != UNSET).then(|| ms(ended * 1_000)),
            wall_ms: ms(wall_us * 1_000),
            cpu_time_ms: (cpu != UNSET).then(|| ms(cpu)),
            cpu_clock: clock::CpuClock::PLATFORM,
            activity: self.activity.get(),
            busy_ms: ms(busy_ns),
            blocked_ms: ms(blocked_ns),
            waited_ms: ms(waited_ns),
            tasks_completed: Metrics::get(&m.tasks_completed),
            errors: Metrics::get(&m.errors),
            restarts: Metrics::get(&m.restarts),
            pause_count: Metrics::get(&m.pause_count),
            wakeups: Metrics::get(&m.wakeups),
            paused_ms: ms(paused_ns),
            pause_pending_ms: (state == WorkerState::PauseRequested && requested != UNSET)
                .then(|| ms(now.saturating_sub(requested) * 1_000)),
            mailbox,
            last_error: lock(&self.last_error).clone(),
            restart: self.restart,
        }
    }
}

fn ms(ns: u64) -> f64 {
    ns as f64 / 1e6
}

/// One worker's state and figures at one moment. Times are milliseconds;
/// `*_at_ms` are measured from the manager's creation.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[non_exhaustive]
pub struct WorkerSnapshot {
    /// Its id.
    pub id: WorkerId,
    /// Its state.
    pub state: WorkerState,
    /// When its thread began, if it has.
    pub started_at_ms: Option<f64>,
    /// When its task ended, if it has.
    pub ended_at_ms: Option<f64>,
    /// From start to end (or to now).
    pub wall_ms: f64,
    /// CPU time of its thread, as last sampled by the worker (at every 64th
    /// `task_done`, at each pause and wait, and at the end); `None` where the platform
    /// has no per-thread clock, see `cpu_clock`.
    pub cpu_time_ms: Option<f64>,
    /// What `cpu_time_ms` measures on this platform.
    pub cpu_clock: clock::CpuClock,
    /// What it is doing inside Running (meaningful while Running; kept as
    /// it was when it paused or ended).
    pub activity: Activity,
    /// Time computing: wall time minus time paused (`paused_ms`), blocked
    /// in a receive (`blocked_ms`) and in the other waits (`waited_ms`).
    /// Measured the same way on every platform; where the OS has a
    /// per-thread CPU clock, `cpu_time_ms` can be lower (the thread was
    /// runnable but another had the core).
    pub busy_ms: f64,
    /// Time blocked in a receive with an empty mailbox.
    pub blocked_ms: f64,
    /// Time waiting for room in a full mailbox, sleeping in a blocking call
    /// ([`Worker::blocking`](crate::Worker::blocking)) or waiting for a lock.
    pub waited_ms: f64,
    /// Calls to `task_done()`.
    pub tasks_completed: u64,
    /// Failed runs plus errors the task recorded.
    pub errors: u64,
    /// Times its restart policy ran the task again.
    pub restarts: u64,
    /// Times it paused.
    pub pause_count: u64,
    /// Times its thread woke from a blocking wait (pause or receive). It
    /// waits on a condition variable (an atomic wait in a Web Worker), so
    /// this grows only when something happened: a message, a resume, a stop,
    /// a receive timeout.
    pub wakeups: u64,
    /// Total time paused, the current pause included.
    pub paused_ms: f64,
    /// While a pause is requested but not yet acknowledged: for how long.
    pub pause_pending_ms: Option<f64>,
    /// Its mailbox.
    pub mailbox: MailboxSnapshot,
    /// The last error or panic message.
    pub last_error: Option<String>,
    /// Its restart policy.
    pub restart: RestartPolicy,
}
