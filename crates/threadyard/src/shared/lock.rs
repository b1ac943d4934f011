//! A lock taken and released explicitly, with a holder and waiters.

use std::fmt;

use crate::activity::Activity;
use crate::error::ShareError;
use crate::hub::Hub;
use crate::id::WorkerId;
use crate::steps::Op;
use crate::sync::Arc;
use crate::worker::Worker;

/// A named lock in a manager; see the [module docs](crate::shared). Clone
/// it to hand it to several tasks.
///
/// A worker that finds it held waits (without spinning) until it is
/// released or the worker is asked to stop; meanwhile it is an edge of the
/// wait-for graph ("a waits for lock L1 held by b"). Taking it is not tied
/// to a scope: release it with [`unlock`](Self::unlock), since a lesson
/// shows that step too. It is held by one incarnation of a worker: a new
/// worker spawned under a removed one's id is not its holder. A worker whose
/// task ends holding it (returns, fails, panics, before a restart too)
/// poisons it, as a panic poisons std's `Mutex`: nobody holds it, its
/// waiters and every later `lock` get [`ShareError::Poisoned`] naming that
/// worker, until [`clear_poison`](Self::clear_poison).
#[derive(Clone)]
pub struct SharedLock {
    name: Arc<str>,
    hub: Arc<Hub>,
}

impl fmt::Debug for SharedLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedLock")
            .field("name", &self.name)
            .field("holder", &self.holder())
            .field("poisoned_by", &self.poisoned_by())
            .finish()
    }
}

impl SharedLock {
    pub(crate) fn new(name: &str, hub: Arc<Hub>) -> Self {
        Self {
            name: name.into(),
            hub,
        }
    }

    /// Its name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes it, as worker `w`, waiting while another worker holds it. A
    /// scheduling point. Fails with [`ShareError::AlreadyHeld`] if `w`
    /// holds it already, [`ShareError::Poisoned`] if its holder ended
    /// holding it (before or while `w` waits), and [`ShareError::Stopped`]
    /// if `w` is asked to stop while it waits.
    pub fn lock<T: Send + 'static>(&self, w: &Worker<T>) -> Result<(), ShareError> {
        self.check(w)?;
        w.scheduled_step(Op::Lock(self.name.to_string()), &self.name)?;
        // Marked for the whole call: an uncontended take is over at once,
        // and a contended one is exactly the wait a watcher should see.
        w.doing(Activity::WaitingForLock, || {
            self.hub
                .lock(w.id(), w.incarnation(), &self.name, &|| w.stopping())
        })
    }

    /// Releases it, as worker `w`, which must hold it. A scheduling point.
    pub fn unlock<T: Send + 'static>(&self, w: &Worker<T>) -> Result<(), ShareError> {
        self.check(w)?;
        w.scheduled_step(Op::Unlock(self.name.to_string()), &self.name)?;
        self.hub.unlock(w.id(), w.incarnation(), &self.name)
    }

    /// Who holds it now.
    pub fn holder(&self) -> Option<WorkerId> {
        self.hub.holder(&self.name)
    }

    /// The worker that ended holding it, while it is poisoned.
    pub fn poisoned_by(&self) -> Option<WorkerId> {
        self.hub.poisoned_by(&self.name)
    }

    /// Makes a poisoned lock free again, from anywhere (no scheduling
    /// point): once what it guards has been checked. True if it was
    /// poisoned; a lock that is not is left as it is.
    pub fn clear_poison(&self) -> bool {
        self.hub.clear_poison(&self.name)
    }

    fn check<T>(&self, w: &Worker<T>) -> Result<(), ShareError> {
        if w.hub().is_some_and(|hub| Arc::ptr_eq(&self.hub, &hub)) {
            Ok(())
        } else {
            Err(ShareError::OtherManager {
                object: self.name.to_string(),
                worker: w.id().clone(),
            })
        }
    }
}
