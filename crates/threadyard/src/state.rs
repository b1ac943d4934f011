//! A worker's lifecycle, as an atomic state machine.
//!
//! ```text
//!            start              pause()                 worker reaches a pause point
//! Created ---------> Running ----------> PauseRequested ----------------------------> Paused
//!    |                 |  ^  <--------------- resume() ---------------------------------'  |
//!    |                 |  '---------------- resume() (request withdrawn) <-- PauseRequested |
//!    |                 |  pause_self() from the worker --------------------------------> Paused
//!    |                 |
//!    |    stop()       v  stop() from Running, PauseRequested or Paused
//!    '---------> Stopping <----'
//!                   |  task returned / gave up: Stopped;  task failed or panicked: Failed
//!                   v  (never started: Stopped as soon as its task and mailbox are dropped)
//!                Stopped
//! ```
//!
//! Who moves what:
//! * the manager moves `Created -> Running` (start), `Running -> PauseRequested`
//!   (pause), `PauseRequested | Paused -> Running` (resume) and
//!   `Created | Running | PauseRequested | Paused -> Stopping` (stop); for a
//!   worker that never started, the stop itself then drops its task and
//!   mailbox and moves it on to `Stopped` before returning, so whoever sees
//!   `Stopped` knows nothing of it is left;
//! * the worker itself moves `PauseRequested -> Paused` at a pause point,
//!   `Running -> Paused` when it pauses itself, `Running -> PauseRequested`
//!   when it asks for its own pause (`request_pause`, the manager's own
//!   move, made from the worker's thread), and, through the wrapper that
//!   runs its task, any live state to `Stopped` or `Failed` when the task ends.
//!
//! Every move is one compare-and-swap on a single byte, checked against the
//! table in [`Action::next`]; a move the table does not allow changes nothing
//! and reports the state it found. `Stopped` and `Failed` are final: a restart
//! policy re-runs the task without leaving `Running`, and records the restart
//! as an event instead.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::sync::{AtomicU8, Ordering};

/// Where a worker is in its life. Serialized in kebab-case (`"pause-requested"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[repr(u8)]
// It may grow: a stepped mode (a worker held at a scheduling point until
// granted a step) and waits on instrumented locks are planned (issue 16).
#[non_exhaustive]
pub enum WorkerState {
    /// Registered with its task, thread not started yet.
    Created = 0,
    /// Its thread is running the task.
    Running = 1,
    /// Asked to pause; it has not reached a pause point yet.
    PauseRequested = 2,
    /// Blocked at a pause point until resumed or stopped.
    Paused = 3,
    /// Asked to stop; its task has not returned yet.
    Stopping = 4,
    /// The task returned (or the worker was stopped before it started).
    Stopped = 5,
    /// The task returned an error or panicked and no restart was allowed.
    Failed = 6,
}

impl WorkerState {
    const ALL: [WorkerState; 7] = [
        Self::Created,
        Self::Running,
        Self::PauseRequested,
        Self::Paused,
        Self::Stopping,
        Self::Stopped,
        Self::Failed,
    ];

    /// True for `Stopped` and `Failed`: nothing will run on this worker again.
    pub fn is_finished(self) -> bool {
        matches!(self, Self::Stopped | Self::Failed)
    }

    /// True while the worker's thread is (or is about to be) running its task.
    pub fn is_live(self) -> bool {
        matches!(
            self,
            Self::Running | Self::PauseRequested | Self::Paused | Self::Stopping
        )
    }

    /// The kebab-case name used in snapshots, the UI and errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Running => "running",
            Self::PauseRequested => "pause-requested",
            Self::Paused => "paused",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
            Self::Failed => "failed",
        }
    }

    fn from_u8(raw: u8) -> Self {
        // Only this module stores into the cell, always a valid discriminant.
        Self::ALL[usize::from(raw).min(Self::ALL.len() - 1)]
    }
}

impl fmt::Display for WorkerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something that moves a worker from one state to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Action {
    /// The manager starts the worker's thread.
    Start,
    /// The manager asks the worker to pause (or the worker asks for its
    /// own pause, the same way: `Worker::request_pause`).
    Pause,
    /// The worker acknowledges a pause request at a pause point.
    AcknowledgePause,
    /// The worker pauses itself.
    PauseSelf,
    /// The manager resumes the worker (or withdraws a pause request).
    Resume,
    /// The manager asks the worker to stop.
    Stop,
    /// The task returned normally or honoured a stop request.
    Finish,
    /// The task failed and will not be restarted.
    Fail,
    /// The manager forgets a finished worker.
    Remove,
}

impl Action {
    /// The state `action` leads to from `from`, or `None` where the move is not
    /// allowed. This table is the whole lifecycle.
    pub fn next(self, from: WorkerState) -> Option<WorkerState> {
        use WorkerState::*;
        match (self, from) {
            (Action::Start, Created) => Some(Running),
            (Action::Pause, Running) => Some(PauseRequested),
            (Action::AcknowledgePause, PauseRequested) => Some(Paused),
            (Action::PauseSelf, Running | PauseRequested) => Some(Paused),
            (Action::Resume, PauseRequested | Paused) => Some(Running),
            (Action::Stop, Created | Running | PauseRequested | Paused) => Some(Stopping),
            (Action::Finish, Running | PauseRequested | Paused | Stopping) => Some(Stopped),
            (Action::Fail, Running | PauseRequested | Paused | Stopping) => Some(Failed),
            (Action::Remove, Stopped | Failed) => Some(from),
            _ => None,
        }
    }

    /// Which states `action` may start from, in words, for error messages.
    pub fn allowed_from(self) -> &'static str {
        match self {
            Action::Start => "only a created worker can be started",
            Action::Pause => "only a running worker can be asked to pause",
            Action::AcknowledgePause => "only a pause-requested worker can acknowledge a pause",
            Action::PauseSelf => "only a running worker can pause itself",
            Action::Resume => "only a paused or pause-requested worker can be resumed",
            Action::Stop => "it is already stopping or finished",
            Action::Finish | Action::Fail => "it has already finished",
            Action::Remove => {
                "only a stopped or failed worker can be removed: stop it and join it first"
            }
        }
    }

    /// The verb, for messages ("cannot resume worker ...").
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Pause => "pause",
            Action::AcknowledgePause => "acknowledge a pause of",
            Action::PauseSelf => "self-pause",
            Action::Resume => "resume",
            Action::Stop => "stop",
            Action::Finish => "finish",
            Action::Fail => "fail",
            Action::Remove => "remove",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A move that happened: where the worker was and where it is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Transition {
    pub(crate) from: WorkerState,
    pub(crate) to: WorkerState,
}

/// Set in the state byte of a worker in stepped mode, beside its state:
/// such a worker never equals plain Running, so the pause point's one-load
/// fast path takes it to the scheduler without a second load.
const STEPPED: u8 = 0x80;

/// The state byte shared by a worker and its manager. Its [`STEPPED`] bit
/// is set at creation and kept by every move; the cell is one byte, as
/// before stepped mode, so the pause point's load sits where it did.
#[derive(Debug)]
pub(crate) struct StateCell(AtomicU8);

impl StateCell {
    #[cfg(test)]
    pub(crate) fn new() -> Self {
        Self::with_steps(false)
    }

    /// A cell for a worker that is (or is not) run in stepped mode.
    pub(crate) fn with_steps(stepped: bool) -> Self {
        let flag = if stepped { STEPPED } else { 0 };
        Self(AtomicU8::new(WorkerState::Created as u8 | flag))
    }

    /// True for a worker in stepped mode.
    pub(crate) fn is_stepped(&self) -> bool {
        self.0.load(Ordering::Relaxed) & STEPPED != 0
    }

    /// The current state. One `Acquire` load.
    #[inline]
    pub(crate) fn load(&self) -> WorkerState {
        WorkerState::from_u8(self.0.load(Ordering::Acquire) & !STEPPED)
    }

    /// True while the worker is Running (stepped or not).
    #[inline(always)]
    pub(crate) fn is_running(&self) -> bool {
        self.0.load(Ordering::Acquire) & !STEPPED == WorkerState::Running as u8
    }

    /// True while the worker is Running (stepped or not), looked at in the
    /// single total order of `SeqCst` operations: a take's check after it
    /// claimed its message (see `mailbox.rs`). The same `mov` as an
    /// `Acquire` load on x86 and wasm32.
    #[inline(always)]
    pub(crate) fn is_running_now(&self) -> bool {
        self.0.load(Ordering::SeqCst) & !STEPPED == WorkerState::Running as u8
    }

    /// True while the worker is Running and not stepped: the whole fast path
    /// of `pause_point()`, one `Acquire` load and a byte compare.
    #[inline(always)]
    pub(crate) fn runs_free(&self) -> bool {
        self.0.load(Ordering::Acquire) == WorkerState::Running as u8
    }

    /// Applies `action` atomically. On refusal returns the state that was found,
    /// and nothing changes.
    pub(crate) fn apply(&self, action: Action) -> Result<Transition, WorkerState> {
        let raw = self.0.load(Ordering::Acquire);
        let flag = raw & STEPPED;
        let mut from = WorkerState::from_u8(raw & !STEPPED);
        loop {
            let to = action.next(from).ok_or(from)?;
            // `SeqCst`: a take that claims its message after this move sees
            // it in its own `SeqCst` look ([`is_running_now`](Self::is_running_now)),
            // so a worker asked to stop (or pause) takes nothing more. loom
            // models `SeqCst` as acquire/release: the fence stands in.
            match self.0.compare_exchange_weak(
                from as u8 | flag,
                to as u8 | flag,
                Ordering::SeqCst,
                Ordering::Acquire,
            ) {
                Ok(_) => {
                    #[cfg(loom)]
                    crate::sync::fence(Ordering::SeqCst);
                    return Ok(Transition { from, to });
                }
                Err(actual) => from = WorkerState::from_u8(actual & !STEPPED),
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn finished_states_accept_nothing_but_remove() {
        for action in [
            Action::Start,
            Action::Pause,
            Action::AcknowledgePause,
            Action::PauseSelf,
            Action::Resume,
            Action::Stop,
            Action::Finish,
            Action::Fail,
        ] {
            assert_eq!(action.next(WorkerState::Stopped), None, "{action:?}");
            assert_eq!(action.next(WorkerState::Failed), None, "{action:?}");
        }
    }

    #[test]
    fn refused_move_changes_nothing() {
        let cell = StateCell::new();
        assert_eq!(cell.apply(Action::Resume), Err(WorkerState::Created));
        assert_eq!(cell.load(), WorkerState::Created);
        assert!(cell.apply(Action::Start).is_ok());
        assert_eq!(cell.apply(Action::Start), Err(WorkerState::Running));
        assert_eq!(cell.load(), WorkerState::Running);
    }

    #[test]
    fn a_stepped_worker_never_looks_free_running() {
        let cell = StateCell::with_steps(true);
        assert!(cell.apply(Action::Start).is_ok());
        assert_eq!(cell.load(), WorkerState::Running);
        assert!(cell.is_running() && !cell.runs_free());
        assert!(cell.apply(Action::Pause).is_ok());
        assert_eq!(cell.load(), WorkerState::PauseRequested);
        let plain = StateCell::new();
        assert!(plain.apply(Action::Start).is_ok());
        assert!(plain.runs_free());
    }

    #[test]
    fn round_trips_every_state_through_the_byte() {
        for state in WorkerState::ALL {
            assert_eq!(WorkerState::from_u8(state as u8), state);
        }
    }
}
