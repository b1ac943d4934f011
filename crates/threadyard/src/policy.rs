//! Per-worker options: mailbox size and what to do when the task fails.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;
use web_time::Instant;

use crate::error::ConfigError;
use crate::mailbox::{DEFAULT_MAILBOX_CAPACITY, MAX_MAILBOX_CAPACITY};

/// What happens when a worker's task returns an error or panics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case", tag = "policy")]
pub enum RestartPolicy {
    /// The worker becomes Failed. The default.
    #[default]
    Never,
    /// Run the task again, at most `max_restarts` times within any `window`;
    /// past that the worker becomes Failed.
    OnFailure {
        /// Restarts allowed within one window.
        max_restarts: u32,
        /// The sliding window.
        window: Duration,
    },
}

/// Options for one worker.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkerOptions {
    pub(crate) mailbox_capacity: Option<usize>,
    pub(crate) restart: RestartPolicy,
}

impl WorkerOptions {
    /// Defaults: the manager's mailbox capacity, never restart.
    pub fn new() -> Self {
        Self::default()
    }

    /// This worker's mailbox capacity (1 to 1,048,576).
    pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
        self.mailbox_capacity = Some(capacity);
        self
    }

    /// What to do when the task fails.
    pub fn restart(mut self, policy: RestartPolicy) -> Self {
        self.restart = policy;
        self
    }
}

pub(crate) fn check_mailbox_capacity(given: usize) -> Result<usize, ConfigError> {
    if (1..=MAX_MAILBOX_CAPACITY).contains(&given) {
        Ok(given)
    } else {
        Err(ConfigError::MailboxCapacity {
            given,
            max: MAX_MAILBOX_CAPACITY,
        })
    }
}

pub(crate) const fn default_mailbox_capacity() -> usize {
    DEFAULT_MAILBOX_CAPACITY
}

/// Counts restarts in the policy's sliding window.
#[derive(Debug)]
pub(crate) struct RestartBudget {
    policy: RestartPolicy,
    recent: VecDeque<Instant>,
}

impl RestartBudget {
    pub(crate) fn new(policy: RestartPolicy) -> Self {
        Self {
            policy,
            recent: VecDeque::new(),
        }
    }

    /// Whether one more restart is allowed now; if so, it is counted.
    pub(crate) fn take(&mut self) -> bool {
        let RestartPolicy::OnFailure {
            max_restarts,
            window,
        } = self.policy
        else {
            return false;
        };
        let now = Instant::now();
        while self
            .recent
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) >= window)
        {
            self.recent.pop_front();
        }
        if self.recent.len() >= max_restarts as usize {
            return false;
        }
        self.recent.push_back(now);
        true
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn never_allows_no_restart() {
        assert!(!RestartBudget::new(RestartPolicy::Never).take());
    }

    #[test]
    fn on_failure_allows_up_to_the_limit_within_the_window() {
        let mut budget = RestartBudget::new(RestartPolicy::OnFailure {
            max_restarts: 2,
            window: Duration::from_secs(3600),
        });
        assert!(budget.take());
        assert!(budget.take());
        assert!(!budget.take());
    }

    #[test]
    fn capacities_outside_the_range_are_refused() {
        assert!(check_mailbox_capacity(0).is_err());
        assert!(check_mailbox_capacity(MAX_MAILBOX_CAPACITY + 1).is_err());
        assert_eq!(check_mailbox_capacity(1), Ok(1));
    }
}
