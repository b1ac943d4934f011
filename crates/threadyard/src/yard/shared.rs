//! The manager's shared record: its settings, its registry of workers, and
//! what every worker reports to (clock, event log, change signal, thread
//! counts, shutdown flag). Its handles ([`Yard`](super::Yard)) hold it
//! strongly; its workers reach their peers through it, weakly, as
//! [`Peers`].

use std::time::Duration;

use indexmap::IndexMap;

use crate::changes::Changes;
use crate::clock::Clock;
use crate::current;
use crate::error::{ControlError, SendError};
use crate::events::EventLog;
use crate::hub::{Hub, WaitGuard};
use crate::id::WorkerId;
use crate::platform::Spawn;
use crate::policy::default_mailbox_capacity;
use crate::steps::Chooser;
use crate::sync::{lock, Arc, AtomicBool, AtomicU64, Mutex};
use crate::threads::{Occupancy, ThreadCounts};
use crate::waits::{Resource, WaitEdge};
use crate::worker::{Peers, Worker};

/// Manager-wide settings; see [`YardBuilder`].
#[derive(Debug, Clone)]
pub(super) struct YardConfig {
    pub(super) mailbox_capacity: usize,
    pub(super) event_capacity: usize,
    pub(super) record_messages: bool,
    pub(super) drop_deadline: Duration,
    pub(super) max_threads: Option<usize>,
    /// Stepped mode, and who chooses the steps.
    pub(super) stepped: Option<Chooser>,
}

impl Default for YardConfig {
    fn default() -> Self {
        Self {
            mailbox_capacity: default_mailbox_capacity(),
            event_capacity: 4096,
            record_messages: false,
            drop_deadline: Duration::from_secs(5),
            max_threads: None,
            stepped: None,
        }
    }
}

/// The manager's record, shared by its handles and (weakly, as their
/// [`Peers`]) by its workers.
pub(super) struct Shared<T> {
    pub(super) config: YardConfig,
    pub(super) clock: Clock,
    pub(super) events: Arc<EventLog>,
    /// Every worker, in creation order. Held only to look up, insert or
    /// remove: never while a worker's code, or the caller's, runs.
    pub(super) registry: Mutex<IndexMap<WorkerId, Arc<Worker<T>>>>,
    pub(super) changes: Arc<Changes>,
    pub(super) threads: ThreadCounts,
    pub(super) spawner: Box<dyn Spawn>,
    /// Set once shutdown begins: no worker, start or message is taken after.
    pub(super) shut_down: Arc<AtomicBool>,
    /// Shared cells and locks, the wait-for graph, stepped mode.
    pub(super) hub: Arc<Hub>,
    /// Messages accepted after their worker's removal (a send that passed
    /// its checks before the worker ended and queued after its removal was
    /// reported): counted here, since no snapshot of that worker remains.
    pub(super) undelivered_after_removal: Arc<AtomicU64>,
}

impl<T> Shared<T> {
    pub(super) fn new(config: YardConfig, spawner: Box<dyn Spawn>) -> Self {
        let clock = Clock::new();
        let events = Arc::new(EventLog::new(config.event_capacity, clock.clone()));
        let changes: Arc<Changes> = Arc::default();
        let hub = Arc::new(Hub::new(
            Arc::clone(&events),
            Arc::clone(&changes),
            config.stepped.as_ref(),
        ));
        Self {
            clock,
            events,
            config,
            registry: Mutex::new(IndexMap::new()),
            changes,
            hub,
            threads: ThreadCounts {
                own: Occupancy::new(),
                pool: spawner.occupancy(),
            },
            spawner,
            shut_down: Arc::default(),
            undelivered_after_removal: Arc::default(),
        }
    }

    pub(super) fn worker(&self, id: &str) -> Result<Arc<Worker<T>>, ControlError> {
        lock(&self.registry)
            .get(id)
            .cloned()
            .ok_or_else(|| ControlError::UnknownWorker { id: id.to_owned() })
    }

    /// Every worker, in creation order. The registry lock is released before
    /// the caller touches any of them.
    pub(super) fn workers(&self) -> Vec<Arc<Worker<T>>> {
        lock(&self.registry).values().cloned().collect()
    }

    /// The worker whose task the calling thread runs (or whose job it is
    /// handing to the spawner), if it is one of this manager's.
    pub(super) fn calling_worker(&self) -> Option<Arc<Worker<T>>> {
        let address = current::get()?;
        lock(&self.registry)
            .values()
            .find(|worker| worker.slot().address() == address)
            .cloned()
    }

    /// When the calling thread runs one of this manager's workers, its join
    /// of `target` is an edge of the wait-for graph while it lasts. Made
    /// only for a join that is about to block (the caller has looked:
    /// `target` has not finished and the deadline has not passed).
    pub(super) fn join_edge(&self, target: &Arc<Worker<T>>) -> Option<WaitGuard<'_>>
    where
        T: Send + 'static,
    {
        let me = self.calling_worker()?;
        if Arc::ptr_eq(&me, target) || target.state().is_finished() {
            return None;
        }
        let edge = WaitEdge {
            worker: me.id().clone(),
            waits_for: target.id().clone(),
            on: Resource::Join(target.id().clone()),
        };
        let joined = Arc::clone(target);
        Some(
            self.hub
                .waiting(edge, Arc::new(move || !joined.state().is_finished())),
        )
    }

    pub(super) fn capacity(&self) -> Option<usize> {
        match (self.config.max_threads, self.spawner.capacity()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

// How a worker reaches its peers: through this narrow seam, held weakly.
impl<T: Send + 'static> Peers<T> for Shared<T> {
    fn send(
        &self,
        from: &WorkerId,
        to: &str,
        message: T,
        wait: Option<Duration>,
    ) -> Result<(), SendError<T>> {
        match self.worker(to) {
            // A worker waiting for room is an edge of the wait-for graph
            // while it waits: made only once the send is about to wait (one
            // that finds room, or has no time left, never blocks), and its
            // probe drops it from any cycle once the mailbox has room again.
            Ok(worker) if wait.is_some() => {
                let mut waiting = None;
                let mut blocks = || {
                    let full = Arc::clone(&worker);
                    waiting = Some(self.hub.waiting(
                        WaitEdge {
                            worker: from.clone(),
                            waits_for: worker.id().clone(),
                            on: Resource::Mailbox(worker.id().clone()),
                        },
                        Arc::new(move || full.slot().mailbox_is_full()),
                    ));
                };
                let sent =
                    worker
                        .slot()
                        .push_noting_wait(message, wait, Some(from), Some(&mut blocks));
                drop(waiting);
                sent
            }
            Ok(worker) => worker.slot().push(message, wait, Some(from)),
            Err(_) => Err(SendError::UnknownWorker {
                id: to.to_owned(),
                message,
            }),
        }
    }

    fn ids(&self) -> Vec<WorkerId> {
        lock(&self.registry).keys().cloned().collect()
    }

    fn hub(&self) -> Arc<Hub> {
        Arc::clone(&self.hub)
    }
}
