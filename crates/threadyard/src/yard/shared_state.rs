//! The manager's calls for shared state and stepped mode: making shared
//! cells and locks, granting steps, waiting for a run to settle, reading
//! the wait-for graph.

use std::future::Future;
use std::time::Duration;

use super::manager::Yard;
use crate::changes;
use crate::error::ShareError;
use crate::shared::{SharedCell, SharedLock};
use crate::steps::{StepError, StepSnapshot};
use crate::sync::{deadline_after, Arc};
use crate::waits::{Deadlock, WaitEdge};

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

    /// Waits (without polling: every new wait, ended wait and deadlock
    /// wakes it) until `done` holds of the wait-for graph and the deadlocks
    /// found, at most `timeout`; returns whether it held. A supervisor's way
    /// to hear of a deadlock instead of a silent hang:
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # let yard = threadyard::Yard::<()>::new();
    /// if yard.wait_for_waits(Duration::from_secs(60), |_, deadlocks| !deadlocks.is_empty()) {
    ///     eprintln!("{}", yard.deadlocks()[0].text);
    /// }
    /// ```
    pub fn wait_for_waits(
        &self,
        timeout: Duration,
        done: impl Fn(&[WaitEdge], &[Deadlock]) -> bool,
    ) -> bool {
        let hub = &self.shared.hub;
        self.shared.changes.wait(deadline_after(timeout), || {
            done(&hub.waits(), &hub.deadlocks())
        })
    }
}
