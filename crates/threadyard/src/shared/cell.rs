//! An integer shared between workers, every use of it a scheduling point.

use std::fmt;

use crate::error::ShareError;
use crate::hub::Hub;
use crate::sync::Arc;
use crate::worker::Worker;

/// A named integer in a manager, loaded and stored by its workers; see the
/// [module docs](crate::shared). Clone it to hand it to several tasks.
#[derive(Clone)]
pub struct SharedCell {
    name: Arc<str>,
    hub: Arc<Hub>,
}

impl fmt::Debug for SharedCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedCell")
            .field("name", &self.name)
            .field("value", &self.get())
            .finish()
    }
}

impl SharedCell {
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

    /// Reads it, as worker `w`: a scheduling point, recorded with the value
    /// read.
    pub fn load<T: Send + 'static>(&self, w: &Worker<T>) -> Result<i64, ShareError> {
        self.check(w)?;
        w.scheduled_step(crate::steps::Op::Load(self.name.to_string()), &self.name)?;
        Ok(self.hub.load(w.id(), &self.name))
    }

    /// Writes it, as worker `w`: a scheduling point, recorded with the value
    /// written.
    pub fn store<T: Send + 'static>(&self, w: &Worker<T>, value: i64) -> Result<(), ShareError> {
        self.check(w)?;
        w.scheduled_step(crate::steps::Op::Store(self.name.to_string()), &self.name)?;
        self.hub.store(w.id(), &self.name, value);
        Ok(())
    }

    /// Its value now, from anywhere, with no scheduling point and no event:
    /// for reading a run's outcome.
    pub fn get(&self) -> i64 {
        self.hub.peek(&self.name)
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
