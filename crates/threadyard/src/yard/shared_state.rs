//! The manager's calls for shared state and stepped mode: making shared
//! cells and locks, granting steps, waiting for a run to settle, and the
//! join edge of the wait-for graph.

use std::future::Future;
use std::time::Duration;

use super::manager::Yard;
use super::shared::Shared;
use crate::changes;
use crate::error::ShareError;
use crate::hub::WaitGuard;
use crate::shared::{SharedCell, SharedLock};
use crate::steps::{StepError, StepSnapshot};
use crate::sync::{deadline_after, Arc};
use crate::waits::{Deadlock, Resource, WaitEdge};

impl<T: Send + 'static> Yard<T> {
    /// A new shared cell named `name` holding `value`, for this manager's
    /// workers. See [`shared`](crate::shared).
    pub fn cell(&self, name: &str, value: i64) -> Result<SharedCell, ShareError> {
        self.shared.hub.create_cell(name, value)?;
        Ok(SharedCell::new(name, Arc::clone(&self.shared.hub)))
    }

    /// A new lock named `name`, free, for this manager's workers. See
    /// [`shared`](crate::shared).
    pub fn lock(&self, name: &str) -> Result<SharedLock, ShareError> {
        self.shared.hub.create_lock(name)?;
        Ok(SharedLock::new(name, Arc::clone(&self.shared.hub)))
    }

    /// Stepped mode: lets an automatic chooser (a fixed schedule, a seeded
    /// search) begin granting steps. Call it once every worker of the run
    /// has been started, so the first choice sees them all. (A learner
    /// grants with [`grant`](Self::grant) whenever the run has settled.)
    pub fn begin_steps(&self) -> Result<(), StepError> {
        self.shared.hub.begin()
    }

    /// Stepped mode: grants worker `id` one step. It must be held at a
    /// scheduling point and able to go, and the run must have settled (no
    /// other worker running); otherwise nothing changes and the error says
    /// why.
    pub fn grant(&self, id: &str) -> Result<(), StepError> {
        self.shared.hub.grant(id)
    }

    /// Stepped mode: where every worker is and the schedule so far; `None`
    /// for a manager not in stepped mode.
    pub fn steps(&self) -> Option<StepSnapshot> {
        self.shared.hub.steps()
    }

    /// Stepped mode: waits (without polling) until the run settles, at most
    /// `timeout`: with a learner, until the step granted is done; with an
    /// automatic chooser, until every worker has finished or the run is
    /// stuck. Blocks: on a browser's main thread use
    /// [`settle_async`](Self::settle_async).
    pub fn settle(&self, timeout: Duration) -> Result<StepSnapshot, StepError> {
        self.shared.hub.settle(deadline_after(timeout))
    }

    /// [`settle`](Self::settle) without blocking: resolves to the settled
    /// run, or to [`StepError::Timeout`] if `deadline` fires first.
    pub async fn settle_async<D: Future>(&self, deadline: D) -> Result<StepSnapshot, StepError> {
        if !self.shared.hub.is_stepped() {
            return Err(StepError::NotStepped);
        }
        let hub = &self.shared.hub;
        if changes::before(self.until(|| hub.is_settled()), deadline).await {
            hub.steps().ok_or(StepError::NotStepped)
        } else {
            Err(StepError::Timeout)
        }
    }

    /// The wait-for graph now: every worker blocked on another.
    pub fn waits(&self) -> Vec<WaitEdge> {
        self.shared.hub.waits()
    }

    /// Every cycle of waits found so far, in the order they formed.
    pub fn deadlocks(&self) -> Vec<Deadlock> {
        self.shared.hub.deadlocks()
    }
}

/// When the calling thread runs one of this manager's workers, its join of
/// worker `id` is an edge of the wait-for graph while it lasts.
pub(super) fn join_edge<'a, T: Send + 'static>(
    shared: &'a Shared<T>,
    id: &str,
) -> Option<WaitGuard<'a>> {
    let me = shared.calling_worker()?;
    let target = shared.worker(id).ok()?;
    if Arc::ptr_eq(&me, &target) || target.state().is_finished() {
        return None;
    }
    let edge = WaitEdge {
        worker: me.id().clone(),
        waits_for: target.id().clone(),
        on: Resource::Join(target.id().clone()),
    };
    let joined = Arc::clone(&target);
    Some(
        shared
            .hub
            .waiting(edge, Arc::new(move || !joined.state().is_finished())),
    )
}
