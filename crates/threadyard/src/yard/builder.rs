//! Making a manager: its settings, checked once, and the defaults.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use super::manager::Yard;
use super::shared::{Shared, YardConfig};
use crate::error::ConfigError;
use crate::platform::{default_spawner, Spawn};
use crate::policy::check_mailbox_capacity;
use crate::steps::Chooser;

/// Largest event log accepted.
pub const MAX_EVENT_CAPACITY: usize = 1 << 20;

/// Builds a [`Yard`] with non-default settings.
pub struct YardBuilder<T> {
    config: YardConfig,
    spawner: Option<Box<dyn Spawn>>,
    message: PhantomData<fn() -> T>,
}

impl<T> fmt::Debug for YardBuilder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("YardBuilder")
            .field("config", &self.config)
            .field("custom_spawner", &self.spawner.is_some())
            .finish()
    }
}

impl<T: Send + 'static> YardBuilder<T> {
    /// Default mailbox capacity of each worker (1 to 1,048,576; default 64).
    pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
        self.config.mailbox_capacity = capacity;
        self
    }

    /// How many events the log keeps (1 to 1,048,576; default 4096).
    pub fn event_capacity(mut self, capacity: usize) -> Self {
        self.config.event_capacity = capacity;
        self
    }

    /// Whether every accepted message is recorded as an event (default off:
    /// a busy message path would push lifecycle events out of the log).
    pub fn record_messages(mut self, on: bool) -> Self {
        self.config.record_messages = on;
        self
    }

    /// How long dropping the manager waits for its workers (default 5 s).
    pub fn drop_deadline(mut self, deadline: Duration) -> Self {
        self.config.drop_deadline = deadline;
        self
    }

    /// At most this many workers running at once; starting one more is
    /// refused with [`ControlError::AtCapacity`](crate::ControlError::AtCapacity).
    pub fn max_threads(mut self, threads: usize) -> Self {
        self.config.max_threads = Some(threads);
        self
    }

    /// Stepped mode: every worker is held at each scheduling point (a pause
    /// point, a receive, every operation on a shared cell or lock) until
    /// `chooser` grants it a step, one worker at a time; the grants are the
    /// run's schedule, and replaying a schedule reproduces the run. See
    /// [`Yard::begin_steps`], [`Yard::grant`] and [`Yard::settle`].
    pub fn stepped(mut self, chooser: Chooser) -> Self {
        self.config.stepped = Some(chooser);
        self
    }

    /// Where worker threads come from (default: the platform's).
    pub fn spawner(mut self, spawner: impl Spawn) -> Self {
        self.spawner = Some(Box::new(spawner));
        self
    }

    /// Checks the settings and builds the manager.
    pub fn build(self) -> Result<Yard<T>, ConfigError> {
        check_mailbox_capacity(self.config.mailbox_capacity)?;
        if self.config.max_threads == Some(0) {
            return Err(ConfigError::MaxThreads);
        }
        if !(1..=MAX_EVENT_CAPACITY).contains(&self.config.event_capacity) {
            return Err(ConfigError::EventCapacity {
                given: self.config.event_capacity,
                max: MAX_EVENT_CAPACITY,
            });
        }
        if let Some(Chooser::Pct { depth, .. }) = &self.config.stepped {
            if !crate::PCT_DEPTHS.contains(depth) {
                return Err(ConfigError::PctDepth { given: *depth });
            }
        }
        let spawner = self.spawner.unwrap_or_else(default_spawner);
        Ok(Yard::from_shared(Shared::new(self.config, spawner)))
    }
}

impl<T: Send + 'static> Default for Yard<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> Yard<T> {
    /// A manager with default settings.
    pub fn new() -> Self {
        Self::builder()
            .build()
            .unwrap_or_else(|_| unreachable!("the default settings are valid"))
    }

    /// Starts building a manager with other settings.
    pub fn builder() -> YardBuilder<T> {
        YardBuilder {
            config: YardConfig::default(),
            spawner: None,
            message: PhantomData,
        }
    }
}
