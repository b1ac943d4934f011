//! The manager's record of shared state and waits: the values of its shared
//! cells, the holders of its locks, the wait-for graph, the deadlocks found,
//! and (in stepped mode) who may take the next step.
//!
//! One lock guards all of it, so an operation, its event and the graph's
//! change are one atomic step, and the log lists them in the order they
//! happened. Waiting (for a lock, for a grant) is on one condition variable;
//! whoever changes what a waiter waits for notifies it, after the change and
//! under the lock, so no wakeup is lost. A stop reaches waiters the same way
//! ([`Hub::wake`], called by the manager after it moves the state byte).
//! No user code runs while the lock is held: the "something changed" signal
//! (whose wakers are the caller's) and `tracing` are called after it is
//! released.

use std::fmt;

use indexmap::IndexMap;
use web_time::Instant;

use crate::changes::Changes;
use crate::contain;
use crate::error::{ShareError, StopRequested};
use crate::events::{AccessOp, EventKind, EventLog};
use crate::id::WorkerId;
use crate::steps::{Chooser, Op, StepError, StepSnapshot, Steps};
use crate::sync::{expired, lock, wait, wait_until, Arc, Condvar, Mutex, MutexGuard};
use crate::waits::{Deadlock, Probe, Resource, WaitEdge, WaitGraph};

#[derive(Debug, Default)]
struct State {
    graph: WaitGraph,
    /// Every lock and who holds it.
    locks: IndexMap<String, LockState>,
    /// The last worker incarnation handed out ([`Hub::incarnation`]).
    incarnations: u64,
    cells: IndexMap<String, i64>,
    deadlocks: Vec<Deadlock>,
    steps: Option<Steps>,
    /// A stuck run is announced once per time it gets stuck.
    stuck_told: bool,
}

/// A lock's holder is one incarnation of a worker (one slot), not its id:
/// a new worker spawned under the id of a removed one is not the holder of
/// what the old one took. A lock still held when its holder's task ends
/// (returned, failed, panicked; before a restart, a stop or a removal) is
/// poisoned, as std's `Mutex` is by a panic: nobody holds it, every wait on
/// it ends with [`ShareError::Poisoned`] and so does every later `lock`,
/// until [`Hub::clear_poison`]. So no worker ever waits for a holder that
/// is gone, and the wait-for graph has no edge to one.
#[derive(Debug, Clone, Default)]
enum LockState {
    #[default]
    Free,
    Held {
        by: WorkerId,
        incarnation: u64,
    },
    Poisoned {
        by: WorkerId,
    },
}

/// Said after the lock is released: deadlocks found, for `tracing`, and
/// whether change waiters must hear of it.
#[derive(Default)]
#[must_use]
struct After {
    deadlocks: Vec<String>,
    changed: bool,
}

impl After {
    /// Something observers can see changed, and no deadlock formed.
    fn changed() -> Self {
        Self {
            changed: true,
            ..Self::default()
        }
    }
}

pub(crate) struct Hub {
    state: Mutex<State>,
    cv: Condvar,
    events: Arc<EventLog>,
    changes: Arc<Changes>,
    stepped: bool,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("stepped", &self.stepped)
            .finish_non_exhaustive()
    }
}

/// Tells a waiting worker's hub whether it has been asked to stop.
pub(crate) type Stopping<'a> = &'a dyn Fn() -> bool;

impl Hub {
    pub(crate) fn new(
        events: Arc<EventLog>,
        changes: Arc<Changes>,
        chooser: Option<&Chooser>,
    ) -> Self {
        Self {
            state: Mutex::new(State {
                steps: chooser.map(Steps::new),
                ..State::default()
            }),
            cv: Condvar::new(),
            events,
            changes,
            stepped: chooser.is_some(),
        }
    }

    pub(crate) fn is_stepped(&self) -> bool {
        self.stepped
    }

    fn finish(&self, guard: MutexGuard<'_, State>, after: After) {
        drop(guard);
        self.cv.notify_all();
        if after.changed {
            self.changes.notify();
        }
        for text in after.deadlocks {
            contain::quietly(|| tracing::warn!("{text}"));
        }
    }

    /// A stop or shutdown moved some worker's state: waiters look again.
    pub(crate) fn wake(&self) {
        drop(lock(&self.state));
        self.cv.notify_all();
    }

    // ----- stepped mode: lifecycle and grants -----

    /// A stepped worker was started: it counts as running until its first
    /// scheduling point.
    pub(crate) fn started(&self, id: &WorkerId) {
        if !self.stepped {
            return;
        }
        let mut state = lock(&self.state);
        if let Some(steps) = &mut state.steps {
            steps.started(id);
        }
        self.finish(state, After::default());
    }

    /// A stepped worker's task ended.
    pub(crate) fn ended(&self, id: &WorkerId) {
        if !self.stepped {
            return;
        }
        let mut state = lock(&self.state);
        if let Some(steps) = &mut state.steps {
            steps.ended(id);
        }
        let after = self.settle_step(&mut state);
        self.finish(state, after);
    }

    /// Automatic choosers may choose from now on.
    pub(crate) fn begin(&self) -> Result<(), StepError> {
        let mut state = lock(&self.state);
        let steps = state.steps.as_mut().ok_or(StepError::NotStepped)?;
        steps.begin();
        let after = self.settle_step(&mut state);
        self.finish(state, after);
        Ok(())
    }

    /// A learner's grant.
    pub(crate) fn grant(&self, id: &str) -> Result<(), StepError> {
        let mut state = lock(&self.state);
        let steps = state.steps.as_mut().ok_or(StepError::NotStepped)?;
        let (step, who) = steps.grant(id)?;
        self.events.push(Some(who), EventKind::Granted { step });
        self.finish(state, After::changed());
        Ok(())
    }

    pub(crate) fn steps(&self) -> Option<StepSnapshot> {
        lock(&self.state).steps.as_ref().map(Steps::snapshot)
    }

    /// True once the run has settled (no worker running, no grant
    /// outstanding); always for a manager not in stepped mode.
    pub(crate) fn is_settled(&self) -> bool {
        lock(&self.state).steps.as_ref().is_none_or(Steps::settled)
    }

    /// Waits until the run settles: with an automatic chooser, until it has
    /// finished or is stuck; with a learner, until the step granted is done.
    pub(crate) fn settle(&self, deadline: Option<Instant>) -> Result<StepSnapshot, StepError> {
        let mut state = lock(&self.state);
        loop {
            let steps = state.steps.as_ref().ok_or(StepError::NotStepped)?;
            if steps.settled() {
                return Ok(steps.snapshot());
            }
            if expired(deadline) {
                return Err(StepError::Timeout);
            }
            state = wait_until(&self.cv, state, deadline);
        }
    }

    /// After a worker was held or ended: an automatic chooser grants the next
    /// step if the run has settled; a stuck run is announced.
    fn settle_step(&self, state: &mut State) -> After {
        let mut after = After::changed();
        let Some(steps) = &mut state.steps else {
            return after;
        };
        if let Some((step, who)) = steps.choose() {
            self.events.push(Some(who), EventKind::Granted { step });
            state.stuck_told = false;
        } else if steps.stuck() && !state.stuck_told {
            state.stuck_told = true;
            self.events.push(None, EventKind::Stuck);
        } else if !steps.settled() {
            // A worker is running: nothing for an observer to act on yet.
            after.changed = false;
        }
        after
    }

    /// A scheduling point: in stepped mode, holds `who` until it is granted
    /// a step (or asked to stop); otherwise returns at once.
    pub(crate) fn point(
        &self,
        who: &WorkerId,
        op: Op,
        stopping: Stopping<'_>,
    ) -> Result<(), StopRequested> {
        if !self.stepped {
            return Ok(());
        }
        let (guard, held) = self.hold(lock(&self.state), who, op, None, stopping);
        self.finish(guard, After::default());
        held
    }

    /// Holds `who` at `op` (blocked on `blocked`, if any) until it is
    /// granted a step or asked to stop. Returns with the lock held again.
    fn hold<'a>(
        &'a self,
        mut guard: MutexGuard<'a, State>,
        who: &WorkerId,
        op: Op,
        blocked: Option<Resource>,
        stopping: Stopping<'_>,
    ) -> (MutexGuard<'a, State>, Result<(), StopRequested>) {
        if let Some(steps) = &mut guard.steps {
            steps.hold(who, op, blocked);
        }
        let after = self.settle_step(&mut guard);
        // Heard by observers (a learner's page) before this worker sleeps.
        self.finish(guard, after);
        let mut guard = lock(&self.state);
        loop {
            let Some(steps) = guard.steps.as_mut() else {
                return (guard, Ok(()));
            };
            if stopping() {
                // It runs to its end now, unscheduled.
                steps.started(who);
                return (guard, Err(StopRequested));
            }
            if steps.take_grant(who) {
                return (guard, Ok(()));
            }
            guard = wait(&self.cv, guard);
        }
    }

    // ----- shared cells -----

    pub(crate) fn create_cell(&self, name: &str, value: i64) -> Result<(), ShareError> {
        let mut state = lock(&self.state);
        if state.cells.contains_key(name) {
            return Err(ShareError::Duplicate(name.to_owned()));
        }
        state.cells.insert(name.to_owned(), value);
        Ok(())
    }

    /// The value now, without a scheduling point or an event (for checking a
    /// run's outcome).
    pub(crate) fn peek(&self, name: &str) -> i64 {
        lock(&self.state).cells.get(name).copied().unwrap_or(0)
    }

    /// Reads cell `name` for `who` (past its scheduling point).
    pub(crate) fn load(&self, who: &WorkerId, name: &str) -> i64 {
        let state = lock(&self.state);
        let value = state.cells.get(name).copied().unwrap_or(0);
        self.access(who, name, AccessOp::Load, Some(value));
        value
    }

    /// Writes cell `name` for `who` (past its scheduling point).
    pub(crate) fn store(&self, who: &WorkerId, name: &str, value: i64) {
        let mut state = lock(&self.state);
        state.cells.insert(name.to_owned(), value);
        self.access(who, name, AccessOp::Store, Some(value));
    }

    fn access(&self, who: &WorkerId, object: &str, op: AccessOp, value: Option<i64>) {
        self.events.push(
            Some(who.clone()),
            EventKind::Access {
                object: object.to_owned(),
                op,
                value,
            },
        );
    }

    // ----- locks -----

    pub(crate) fn create_lock(&self, name: &str) -> Result<(), ShareError> {
        let mut state = lock(&self.state);
        if state.locks.contains_key(name) {
            return Err(ShareError::Duplicate(name.to_owned()));
        }
        state.locks.insert(name.to_owned(), LockState::Free);
        Ok(())
    }

    /// A number no other worker of this manager has had: what a lock's
    /// holder is known by.
    pub(crate) fn incarnation(&self) -> u64 {
        let mut state = lock(&self.state);
        state.incarnations += 1;
        state.incarnations
    }

    pub(crate) fn holder(&self, name: &str) -> Option<WorkerId> {
        match lock(&self.state).locks.get(name) {
            Some(LockState::Held { by, .. }) => Some(by.clone()),
            _ => None,
        }
    }

    /// The worker that ended holding lock `name`, while it is poisoned.
    pub(crate) fn poisoned_by(&self, name: &str) -> Option<WorkerId> {
        match lock(&self.state).locks.get(name) {
            Some(LockState::Poisoned { by }) => Some(by.clone()),
            _ => None,
        }
    }

    /// Makes a poisoned lock free again; true if it was poisoned.
    pub(crate) fn clear_poison(&self, name: &str) -> bool {
        let mut state = lock(&self.state);
        let Some(entry) = state.locks.get_mut(name) else {
            return false;
        };
        if !matches!(entry, LockState::Poisoned { .. }) {
            return false;
        }
        *entry = LockState::Free;
        self.finish(state, After::changed());
        true
    }

    /// Takes lock `name` for `who` (incarnation `incarnation`, past its
    /// scheduling point), waiting while another holds it (an edge of the
    /// wait-for graph meanwhile).
    pub(crate) fn lock(
        &self,
        who: &WorkerId,
        incarnation: u64,
        name: &str,
        stopping: Stopping<'_>,
    ) -> Result<(), ShareError> {
        let resource = Resource::Lock(name.to_owned());
        let mut state = lock(&self.state);
        let result = loop {
            let holder = match state.locks.get(name).cloned().unwrap_or_default() {
                LockState::Free => {
                    self.end_wait_locked(&mut state, who);
                    state.locks.insert(
                        name.to_owned(),
                        LockState::Held {
                            by: who.clone(),
                            incarnation,
                        },
                    );
                    self.access(who, name, AccessOp::Lock, None);
                    break Ok(());
                }
                LockState::Poisoned { by } => {
                    self.end_wait_locked(&mut state, who);
                    break Err(ShareError::Poisoned {
                        lock: name.to_owned(),
                        holder: by,
                    });
                }
                LockState::Held {
                    incarnation: held, ..
                } if held == incarnation => {
                    self.end_wait_locked(&mut state, who);
                    break Err(ShareError::AlreadyHeld {
                        lock: name.to_owned(),
                        worker: who.clone(),
                    });
                }
                LockState::Held { by, .. } => by,
            };
            let current = state
                .graph
                .out_of(who)
                .is_some_and(|e| e.waits_for == holder && e.on == resource);
            if !current {
                let edge = WaitEdge {
                    worker: who.clone(),
                    waits_for: holder,
                    on: resource.clone(),
                };
                let after = After {
                    deadlocks: self.add_edge(&mut state, edge, None).into_iter().collect(),
                    changed: true,
                };
                // Observers hear of the wait (and a deadlock) before it
                // begins; the holder is looked at again afterwards.
                self.finish(state, after);
                state = lock(&self.state);
                continue;
            }
            if self.stepped {
                // Held, unable to go until the lock is released; granted
                // again after that, it takes the lock at the top.
                let (guard, held) = self.hold(
                    state,
                    who,
                    Op::Lock(name.to_owned()),
                    Some(resource.clone()),
                    stopping,
                );
                state = guard;
                if let Err(stop) = held {
                    self.end_wait_locked(&mut state, who);
                    break Err(stop.into());
                }
            } else if stopping() {
                self.end_wait_locked(&mut state, who);
                break Err(StopRequested.into());
            } else {
                // Woken by a release (or a poisoning), or by a stop.
                state = wait(&self.cv, state);
            }
        };
        self.finish(state, After::default());
        result
    }

    /// Releases lock `name`, held by `who`'s incarnation `incarnation`
    /// (past its scheduling point).
    pub(crate) fn unlock(
        &self,
        who: &WorkerId,
        incarnation: u64,
        name: &str,
    ) -> Result<(), ShareError> {
        let mut state = lock(&self.state);
        match state.locks.get(name).cloned().unwrap_or_default() {
            LockState::Held {
                incarnation: held, ..
            } if held == incarnation => {}
            LockState::Poisoned { by } => {
                return Err(ShareError::Poisoned {
                    lock: name.to_owned(),
                    holder: by,
                })
            }
            LockState::Held { by, .. } => {
                return Err(ShareError::NotHolder {
                    lock: name.to_owned(),
                    worker: who.clone(),
                    holder: Some(by),
                })
            }
            LockState::Free => {
                return Err(ShareError::NotHolder {
                    lock: name.to_owned(),
                    worker: who.clone(),
                    holder: None,
                })
            }
        }
        state.locks.insert(name.to_owned(), LockState::Free);
        self.access(who, name, AccessOp::Unlock, None);
        self.release_waiters(&mut state, name);
        self.finish(state, After::changed());
        Ok(())
    }

    /// Lock `name` is no longer held by whoever its waiters wait for: their
    /// edges go now, so no later cycle check can run through a stale one,
    /// and in stepped mode they may be granted again.
    fn release_waiters(&self, state: &mut State, name: &str) {
        let resource = Resource::Lock(name.to_owned());
        for waiter in state.graph.remove_on(&resource) {
            self.events.push(
                Some(waiter),
                EventKind::WaitOver {
                    on: resource.clone(),
                },
            );
        }
        if let Some(steps) = &mut state.steps {
            steps.release(&resource);
        }
    }

    /// The task of `who`'s incarnation `incarnation` has ended (one run of
    /// it: before a restart too): every lock it still holds is poisoned,
    /// and whoever waits for one hears so at once.
    pub(crate) fn task_ended(&self, who: &WorkerId, incarnation: u64) {
        let mut state = lock(&self.state);
        let held: Vec<String> = state
            .locks
            .iter()
            .filter(
                |(_, s)| matches!(s, LockState::Held { incarnation: i, .. } if *i == incarnation),
            )
            .map(|(name, _)| name.clone())
            .collect();
        if held.is_empty() {
            return;
        }
        for name in &held {
            state
                .locks
                .insert(name.clone(), LockState::Poisoned { by: who.clone() });
            self.access(who, name, AccessOp::Poisoned, None);
            self.release_waiters(&mut state, name);
        }
        drop(state);
        contain::quietly(|| {
            tracing::warn!(worker = %who, locks = ?held, "a worker's task ended holding locks: they are poisoned");
        });
        self.wake();
        self.changes.notify();
    }

    // ----- the wait-for graph -----

    /// Records that `edge.worker` now waits; returns the deadlock's text if
    /// the edge closed a cycle.
    fn add_edge(&self, state: &mut State, edge: WaitEdge, probe: Option<Probe>) -> Option<String> {
        self.events.push(
            Some(edge.worker.clone()),
            EventKind::Waiting {
                on: edge.on.clone(),
                waits_for: edge.waits_for.clone(),
            },
        );
        let deadlock = state.graph.add(edge, probe)?;
        let text = deadlock.text.clone();
        self.events.push(
            None,
            EventKind::Deadlock {
                cycle: deadlock.cycle.clone(),
                text: deadlock.text.clone(),
            },
        );
        state.deadlocks.push(deadlock);
        Some(text)
    }

    fn end_wait_locked(&self, state: &mut State, who: &WorkerId) {
        if let Some(edge) = state.graph.out_of(who) {
            let on = edge.on.clone();
            state.graph.remove(who);
            self.events
                .push(Some(who.clone()), EventKind::WaitOver { on });
        }
    }

    /// A wait the manager owns outside this hub (a full mailbox, a join)
    /// begins; `still` says whether it still blocks, read at a cycle check.
    /// The wait ends when the returned guard drops.
    pub(crate) fn waiting(&self, edge: WaitEdge, still: Probe) -> WaitGuard<'_> {
        let who = edge.worker.clone();
        let mut state = lock(&self.state);
        let after = After {
            deadlocks: self
                .add_edge(&mut state, edge, Some(still))
                .into_iter()
                .collect(),
            changed: true,
        };
        self.finish(state, after);
        WaitGuard { hub: self, who }
    }

    pub(crate) fn waits(&self) -> Vec<WaitEdge> {
        lock(&self.state).graph.edges()
    }

    pub(crate) fn deadlocks(&self) -> Vec<Deadlock> {
        lock(&self.state).deadlocks.clone()
    }
}

/// A wait in progress; see [`Hub::waiting`].
pub(crate) struct WaitGuard<'a> {
    hub: &'a Hub,
    who: WorkerId,
}

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.hub.state);
        self.hub.end_wait_locked(&mut state, &self.who);
        self.hub.finish(state, After::changed());
    }
}
