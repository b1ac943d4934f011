//! What the manager reports: a snapshot of every worker, a broadcast's
//! outcome per recipient, and what shutdown found. Plain serializable data.

use serde::Serialize;

use crate::id::WorkerId;
use crate::slot::WorkerSnapshot;
use crate::steps::StepSnapshot;
use crate::waits::{Deadlock, WaitEdge};

/// What a broadcast did at one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
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
#[non_exhaustive]
pub struct Recipient {
    /// The worker.
    pub id: WorkerId,
    /// What happened.
    pub outcome: Delivery,
}

/// What a broadcast did, worker by worker, in creation order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
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
#[non_exhaustive]
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
    /// The wait-for graph: every worker now blocked on another (a lock it
    /// holds, room in its mailbox, its end).
    pub waits: Vec<WaitEdge>,
    /// Every cycle of waits found so far, in the order they formed.
    pub deadlocks: Vec<Deadlock>,
    /// Stepped mode: where each worker is and the schedule so far.
    pub steps: Option<StepSnapshot>,
    /// Messages accepted for workers already removed, after their removal
    /// reported its figures, and dropped unread (a send racing `remove`:
    /// it passed its checks before the worker ended). Counted nowhere else:
    /// a removed worker has no snapshot.
    pub undelivered_after_removal: u64,
}

/// What shutdown found, worker by worker.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct ShutdownReport {
    /// Workers that stopped cleanly (including ones never started).
    pub clean: Vec<WorkerId>,
    /// Workers whose task failed, with the error.
    pub failed: Vec<FailedWorker>,
    /// Workers still running at the deadline; their threads are left detached.
    pub unresponsive: Vec<WorkerId>,
    /// Workers whose own task was inside a shutdown of this manager when
    /// the report was written (the task that made this very call among
    /// them, or one that dropped the manager's last handle). Shutdown never
    /// waits for them, since they cannot finish while such a call lasts;
    /// each stops when its task returns.
    pub in_shutdown: Vec<WorkerId>,
    /// Messages accepted but never read, over all mailboxes.
    pub undelivered_messages: u64,
    /// How long shutdown took.
    pub elapsed_ms: f64,
    /// Every cycle of waits found during the manager's life: why the
    /// workers in them may be among the unresponsive.
    pub deadlocks: Vec<Deadlock>,
}

/// A worker that ended in Failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct FailedWorker {
    /// The worker.
    pub id: WorkerId,
    /// Its last error or panic message.
    pub error: String,
}
