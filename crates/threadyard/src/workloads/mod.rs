//! Ready-made tasks for demos, teaching and tests, and a serializable spec
//! ([`Workload`]) so a page or a script can ask for one by name.
//!
//! Every workload understands the seed's two control messages: `"pause"` (the
//! worker asks for its own pause, as the manager's pause would, and pauses
//! at its next pause point until resumed) and `"shutdown"` (it finishes). Item
//! times follow a shared [`Pace`], so a demo can run in slow motion or fast,
//! and holding the pace holds every workload made with it where it is.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::worker::Task;

mod error;
mod pace;
mod tasks;

pub use error::WorkloadError;
pub use pace::{Pace, MAX_SPEED, MIN_SPEED};
pub use tasks::{
    batch, chatty, consumer, cpu_bound, cpu_bound_held_by, data_processor, flaky, producer,
};

/// A workload by name and parameters, as JSON:
/// `{"kind":"data-processor","item_ms":100}`, `{"kind":"cpu-bound","work_per_item":200000}`,
/// `{"kind":"chatty","item_ms":200}`, `{"kind":"batch","item_ms":2000}`,
/// `{"kind":"producer","item_ms":50}`, `{"kind":"consumer","item_ms":400}`,
/// `{"kind":"flaky","item_ms":100,"fail_every":20}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Workload {
    /// The seed's worker: one item every `item_ms`.
    DataProcessor {
        /// Milliseconds per item.
        item_ms: f64,
    },
    /// Busy work between pause points: `work_per_item` rounds of arithmetic
    /// per item, as fast as the thread can go (with a pause point every
    /// million rounds inside a longer item).
    CpuBound {
        /// Rounds of work per item.
        work_per_item: u32,
    },
    /// Every `item_ms` sends a message to the next peer, and reads what
    /// others send it.
    Chatty {
        /// Milliseconds between messages.
        item_ms: f64,
    },
    /// Items done in one piece, like a blocking call: no pause point inside
    /// an item, so a pause or a stop waits until the item ends.
    Batch {
        /// Milliseconds per item.
        item_ms: f64,
    },
    /// Makes an item every `item_ms` and sends it to its first peer, waiting
    /// for room while that mailbox is full (back-pressure).
    Producer {
        /// Milliseconds to make one item.
        item_ms: f64,
    },
    /// Takes one message at a time and works `item_ms` on it.
    Consumer {
        /// Milliseconds of work per message.
        item_ms: f64,
    },
    /// The seed's data processor, except that every `fail_every`-th item
    /// panics (a restart policy can bring it back).
    Flaky {
        /// Milliseconds per item.
        item_ms: f64,
        /// Items per panic (1 or more).
        fail_every: u32,
    },
}

impl Workload {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), WorkloadError> {
        match *self {
            Self::CpuBound { work_per_item: 0 } => Err(WorkloadError::NoWork),
            Self::CpuBound { .. } => Ok(()),
            Self::Flaky { fail_every: 0, .. } => Err(WorkloadError::NoFailure),
            Self::DataProcessor { item_ms }
            | Self::Chatty { item_ms }
            | Self::Batch { item_ms }
            | Self::Producer { item_ms }
            | Self::Consumer { item_ms }
            | Self::Flaky { item_ms, .. } => {
                if (0.1..=60_000.0).contains(&item_ms) {
                    Ok(())
                } else {
                    Err(WorkloadError::ItemTime(item_ms))
                }
            }
        }
    }

    /// The task for this workload at speed 1, checked first.
    pub fn task<T>(&self) -> Result<Task<T>, WorkloadError>
    where
        T: AsRef<str> + From<String> + Send + 'static,
    {
        self.task_paced(&Pace::default())
    }

    /// The task for this workload, its item times following `pace`.
    pub fn task_paced<T>(&self, pace: &Pace) -> Result<Task<T>, WorkloadError>
    where
        T: AsRef<str> + From<String> + Send + 'static,
    {
        self.validate()?;
        let pace = pace.clone();
        Ok(match *self {
            Self::DataProcessor { item_ms } => Box::new(data_processor(millis(item_ms), pace)),
            Self::CpuBound { work_per_item } => Box::new(cpu_bound_held_by(work_per_item, pace)),
            Self::Chatty { item_ms } => Box::new(chatty(millis(item_ms), pace)),
            Self::Batch { item_ms } => Box::new(batch(millis(item_ms), pace)),
            Self::Producer { item_ms } => Box::new(producer(millis(item_ms), pace)),
            Self::Consumer { item_ms } => Box::new(consumer(millis(item_ms), pace)),
            Self::Flaky {
                item_ms,
                fail_every,
            } => Box::new(flaky(millis(item_ms), fail_every, pace)),
        })
    }
}

fn millis(ms: f64) -> Duration {
    Duration::from_secs_f64(ms / 1e3)
}

impl fmt::Display for Workload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DataProcessor { item_ms } => {
                write!(f, "data processor, one item every {item_ms} ms")
            }
            Self::CpuBound { work_per_item } => {
                write!(f, "CPU-bound, {work_per_item} rounds per item")
            }
            Self::Chatty { item_ms } => write!(f, "chatty, a message every {item_ms} ms"),
            Self::Batch { item_ms } => {
                write!(f, "batch, items of {item_ms} ms with no pause point inside")
            }
            Self::Producer { item_ms } => {
                write!(f, "producer, an item every {item_ms} ms to its first peer")
            }
            Self::Consumer { item_ms } => {
                write!(f, "consumer, {item_ms} ms of work per message")
            }
            Self::Flaky {
                item_ms,
                fail_every,
            } => write!(
                f,
                "flaky data processor, one item every {item_ms} ms, a panic every {fail_every} items"
            ),
        }
    }
}
