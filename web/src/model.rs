//! What the UI reads from the threads module, as plain data: the JSON the
//! core's types serialize to (the threads module hands them over as they
//! are). States and event kinds are enums, so the rest of the UI matches on
//! them instead of comparing strings. The `vocabulary` tests read values the
//! core itself serialized, so a field or state renamed there fails here.

use serde::Deserialize;

/// Where a worker is in its life (the core's `WorkerState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkerState {
    Created,
    Running,
    PauseRequested,
    Paused,
    Stopping,
    Stopped,
    Failed,
}

impl WorkerState {
    /// Every state, in the order a worker's life goes through them.
    pub const ALL: [Self; 7] = [
        Self::Created,
        Self::Running,
        Self::PauseRequested,
        Self::Paused,
        Self::Stopping,
        Self::Stopped,
        Self::Failed,
    ];

    /// The name the core gives it, which the page shows and uses as a CSS
    /// class (`pause-requested`).
    pub fn name(self) -> &'static str {
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

    /// Its task has ended for good.
    pub fn finished(self) -> bool {
        matches!(self, Self::Stopped | Self::Failed)
    }
}

impl std::fmt::Display for WorkerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What a worker does inside Running (the core's `Activity`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Activity {
    Computing,
    WaitingForMessage,
    WaitingForRoom,
    Sleeping,
    WaitingForLock,
    /// A ready-made workload standing still while the page's Hold is on.
    Held,
}

impl Activity {
    pub const ALL: [Self; 6] = [
        Self::Computing,
        Self::WaitingForMessage,
        Self::WaitingForRoom,
        Self::Sleeping,
        Self::WaitingForLock,
        Self::Held,
    ];

    /// The core's name for it, also the CSS class of its lane texture.
    pub fn name(self) -> &'static str {
        match self {
            Self::Computing => "computing",
            Self::WaitingForMessage => "waiting-for-message",
            Self::WaitingForRoom => "waiting-for-room",
            Self::Sleeping => "sleeping",
            Self::WaitingForLock => "waiting-for-lock",
            Self::Held => "held",
        }
    }

    /// In plain words, as the table shows it.
    pub fn words(self) -> &'static str {
        match self {
            Self::Computing => "computing",
            Self::WaitingForMessage => "waiting for a message",
            Self::WaitingForRoom => "waiting for room",
            Self::Sleeping => "sleeping (blocking call)",
            Self::WaitingForLock => "waiting for a lock",
            Self::Held => "held by Hold (not paused)",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Snapshot {
    pub at_ms: f64,
    pub workers: Vec<WorkerView>,
    pub live_threads: usize,
    pub capacity: Option<usize>,
    pub shut_down: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WorkerView {
    pub id: String,
    pub state: WorkerState,
    pub activity: Activity,
    pub tasks_completed: u64,
    pub busy_ms: f64,
    pub paused_ms: f64,
    pub pause_count: u64,
    pub pause_pending_ms: Option<f64>,
    pub errors: u64,
    pub restarts: u64,
    pub mailbox: MailboxView,
    pub last_error: Option<String>,
}

impl WorkerView {
    pub fn finished(&self) -> bool {
        self.state.finished()
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MailboxView {
    pub capacity: usize,
    pub depth: usize,
    pub high_water: usize,
    pub sent: u64,
    pub received: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct EventPage {
    pub events: Vec<EventView>,
    pub next: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventView {
    pub at_us: f64,
    pub worker: Option<String>,
    #[serde(flatten)]
    pub kind: EventKind,
}

/// One wait of a deadlock's cycle: the worker that cannot go on (the
/// core's `WaitEdge`; the page needs only who).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CycleEdge {
    pub worker: String,
}

/// What happened (the core's `EventKind`, tagged by `kind`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EventKind {
    Created,
    Started,
    PauseRequested,
    Paused {
        /// The worker paused itself (`pause_self`), with no request.
        by_itself: bool,
    },
    Resumed,
    StopRequested,
    Stopped,
    Failed {
        error: String,
    },
    Restarted {
        error: String,
    },
    ErrorRecorded {
        error: String,
    },
    MessageSent {
        from: Option<String>,
    },
    Broadcast {
        delivered: usize,
        full: usize,
    },
    Removed,
    ShutdownStarted,
    ShutdownFinished {
        unresponsive: usize,
    },
    /// A cycle of waits formed (the core's deadlock detector): none of its
    /// workers can go on.
    Deadlock {
        cycle: Vec<CycleEdge>,
        /// In words: "deadlock: a -> b -> a (...)".
        text: String,
    },
    /// A kind this page does not know (a newer threads module): shown
    /// nowhere, never an error.
    #[serde(other)]
    Other,
}

impl EventKind {
    /// The state this event moves its worker into, if it moves it.
    pub fn state_after(&self) -> Option<WorkerState> {
        Some(match self {
            Self::Created => WorkerState::Created,
            Self::Started | Self::Resumed | Self::Restarted { .. } => WorkerState::Running,
            Self::PauseRequested => WorkerState::PauseRequested,
            Self::Paused { .. } => WorkerState::Paused,
            Self::StopRequested => WorkerState::Stopping,
            Self::Stopped => WorkerState::Stopped,
            Self::Failed { .. } => WorkerState::Failed,
            _ => return None,
        })
    }
}

/// A scenario, as the threads module describes it (`Threadyard.scenarios()`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScenarioView {
    pub id: String,
    pub title: String,
    pub teaches: String,
    pub look_for: String,
    pub mailbox_capacity: usize,
    pub cast: Vec<CastView>,
    pub script: Vec<StepView>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CastView {
    pub id: String,
    /// Handed back to the threads module as it came.
    pub workload: serde_json::Value,
    pub max_restarts: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StepView {
    pub at_ms: f64,
    pub command: CommandView,
    pub says: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
pub enum CommandView {
    Send {
        to: String,
        message: String,
    },
    Pause {
        worker: String,
    },
    Resume {
        worker: String,
    },
    Broadcast {
        message: String,
    },
    WaitFor {
        worker: String,
        state: WorkerState,
        timeout_ms: f64,
    },
    WaitAll {
        timeout_ms: f64,
    },
    Shutdown {
        timeout_ms: f64,
    },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Report {
    pub clean: Vec<String>,
    pub failed: Vec<FailedView>,
    pub unresponsive: Vec<String>,
    pub undelivered_messages: u64,
    pub elapsed_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FailedView {
    pub id: String,
    pub error: String,
}

/// What a broadcast did at one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Delivery {
    Delivered,
    MailboxFull,
    Finished,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RecipientView {
    pub id: String,
    pub outcome: Delivery,
}

/// A broadcast's report, worker by worker.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BroadcastView {
    pub recipients: Vec<RecipientView>,
}

impl BroadcastView {
    pub fn count(&self, outcome: Delivery) -> usize {
        self.recipients
            .iter()
            .filter(|r| r.outcome == outcome)
            .count()
    }

    /// What it did, in one line; true when a full mailbox refused it.
    pub fn summary(&self) -> (String, bool) {
        let (delivered, full, finished) = (
            self.count(Delivery::Delivered),
            self.count(Delivery::MailboxFull),
            self.count(Delivery::Finished),
        );
        (
            format!(
                "delivered to {delivered}; mailbox full at {full}; already finished: {finished}"
            ),
            full > 0,
        )
    }
}

/// A list of names for a sentence: "a, b" or "none".
pub fn list(ids: &[String]) -> String {
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(", ")
    }
}

/// Fixtures the tests of several modules build their views from.
#[cfg(test)]
pub mod fixtures {
    use super::{Activity, EventKind, EventView, MailboxView, Snapshot, WorkerState, WorkerView};

    /// A snapshot at `at_ms` showing only `id`, running, inside a blocking
    /// call.
    pub fn in_blocking_call(at_ms: f64, id: &str) -> Snapshot {
        let mut one = worker(id, WorkerState::Running, 0);
        one.activity = Activity::Sleeping;
        Snapshot {
            at_ms,
            workers: vec![one],
            live_threads: 1,
            capacity: None,
            shut_down: false,
        }
    }

    /// A worker in `state` with `tasks` done: computing, every other figure
    /// at zero, an empty mailbox of 16.
    pub fn worker(id: &str, state: WorkerState, tasks: u64) -> WorkerView {
        WorkerView {
            id: id.to_owned(),
            state,
            activity: Activity::Computing,
            tasks_completed: tasks,
            busy_ms: 0.0,
            paused_ms: 0.0,
            pause_count: 0,
            pause_pending_ms: None,
            errors: 0,
            restarts: 0,
            mailbox: MailboxView {
                capacity: 16,
                depth: 0,
                high_water: 0,
                sent: 0,
                received: 0,
            },
            last_error: None,
        }
    }

    /// An event `at_ms` after the manager began.
    pub fn event(at_ms: f64, worker: Option<&str>, kind: EventKind) -> EventView {
        EventView {
            at_us: at_ms * 1e3,
            worker: worker.map(str::to_owned),
            kind,
        }
    }
}
