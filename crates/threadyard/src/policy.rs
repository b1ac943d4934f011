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
#[non_exhaustive]
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

/// Most restarts a policy may allow within its window: the budget keeps one
/// timestamp per restart, so this bounds its memory.
pub const MAX_RESTARTS: u32 = 10_000;
/// Shortest restart window: a shorter one would let a failing task restart
/// without bound, as fast as it can fail.
pub const MIN_RESTART_WINDOW: Duration = Duration::from_millis(1);
/// Longest restart window (30 days): "at most N restarts, ever" in practice.
pub const MAX_RESTART_WINDOW: Duration = Duration::from_secs(30 * 24 * 3600);

pub(crate) fn check_restart_policy(policy: &RestartPolicy) -> Result<(), ConfigError> {
    let RestartPolicy::OnFailure {
        max_restarts,
        window,
    } = *policy
    else {
        return Ok(());
    };
    let problem = if max_restarts == 0 {
        "a limit of 0 restarts never restarts: use RestartPolicy::Never"
    } else if max_restarts > MAX_RESTARTS {
        "the limit is above 10,000 restarts per window: use a smaller limit"
    } else if window < MIN_RESTART_WINDOW {
        "the window is under 1 ms, which would let a failing task restart without bound: use 1 ms or more"
    } else if window > MAX_RESTART_WINDOW {
        "the window is longer than 30 days: use 30 days or less"
    } else {
        return Ok(());
    };
    Err(ConfigError::RestartPolicy {
        policy: format!("{{ max_restarts: {max_restarts}, window: {window:?} }}"),
        problem,
    })
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
    fn restart_policies_outside_the_range_are_refused() {
        let policy = |max_restarts, window| RestartPolicy::OnFailure {
            max_restarts,
            window,
        };
        let second = Duration::from_secs(1);
        for bad in [
            policy(0, second),
            policy(MAX_RESTARTS + 1, second),
            policy(1, Duration::ZERO),
            policy(1, Duration::from_micros(999)),
            policy(1, MAX_RESTART_WINDOW + Duration::from_nanos(1)),
            policy(1, Duration::MAX),
        ] {
            assert!(
                matches!(
                    check_restart_policy(&bad),
                    Err(ConfigError::RestartPolicy { .. })
                ),
                "{bad:?}"
            );
        }
        for good in [
            RestartPolicy::Never,
            policy(1, MIN_RESTART_WINDOW),
            policy(MAX_RESTARTS, MAX_RESTART_WINDOW),
        ] {
            assert_eq!(check_restart_policy(&good), Ok(()));
        }
    }

    #[test]
    fn capacities_outside_the_range_are_refused() {
        assert!(check_mailbox_capacity(0).is_err());
        assert!(check_mailbox_capacity(MAX_MAILBOX_CAPACITY + 1).is_err());
        assert_eq!(check_mailbox_capacity(1), Ok(1));
    }
}
