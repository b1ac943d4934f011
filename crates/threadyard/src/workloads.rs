//! Ready-made tasks for demos, teaching and tests, and a serializable spec
//! ([`Workload`]) so a page or a script can ask for one by name.
//!
//! Every workload understands the seed's two control messages: `"pause"` (the
//! worker pauses itself until resumed) and `"shutdown"` (it finishes).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use web_time::Instant;

use crate::error::{StopRequested, TaskError};
use crate::worker::Worker;

/// A workload by name and parameters, as JSON:
/// `{"kind":"data-processor","item_ms":100}`, `{"kind":"cpu-bound","work_per_item":200000}`,
/// `{"kind":"chatty","item_ms":200}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Workload {
    /// The seed's worker: one item every `item_ms`.
    DataProcessor {
        /// Milliseconds per item.
        item_ms: f64,
    },
    /// Busy work between pause points: `work_per_item` rounds of arithmetic
    /// per item, as fast as the thread can go.
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
}

/// A workload spec that cannot run.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum WorkloadError {
    /// An item time outside 0.1 ms to 60 s (or not a number).
    #[error("item time {0} ms is out of range: use 0.1 to 60000 ms")]
    ItemTime(f64),
    /// Zero rounds of work per item.
    #[error("work per item must be at least 1")]
    NoWork,
}

/// A boxed task, as [`Workload::task`] returns it.
pub type BoxedTask<T> = Box<dyn FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static>;

impl Workload {
    /// Checks the parameters.
    pub fn validate(&self) -> Result<(), WorkloadError> {
        match *self {
            Self::DataProcessor { item_ms } | Self::Chatty { item_ms } => {
                if (0.1..=60_000.0).contains(&item_ms) {
                    Ok(())
                } else {
                    Err(WorkloadError::ItemTime(item_ms))
                }
            }
            Self::CpuBound { work_per_item: 0 } => Err(WorkloadError::NoWork),
            Self::CpuBound { .. } => Ok(()),
        }
    }

    /// The task for this workload, checked first.
    pub fn task<T>(&self) -> Result<BoxedTask<T>, WorkloadError>
    where
        T: AsRef<str> + From<String> + Send + 'static,
    {
        self.validate()?;
        Ok(match *self {
            Self::DataProcessor { item_ms } => Box::new(data_processor(millis(item_ms))),
            Self::CpuBound { work_per_item } => Box::new(cpu_bound(work_per_item)),
            Self::Chatty { item_ms } => Box::new(chatty(millis(item_ms))),
        })
    }
}

fn millis(ms: f64) -> Duration {
    Duration::from_secs_f64(ms / 1e3)
}

/// What a message turned out to be.
enum Control {
    /// `"pause"`: the worker paused itself and has been resumed.
    Resumed,
    /// `"shutdown"`: the worker should finish.
    Finish,
    /// Anything else: the workload's own business.
    Other,
}

/// Handles the seed's control messages.
fn control<T: AsRef<str> + Send + 'static>(
    w: &Worker<T>,
    message: &T,
) -> Result<Control, StopRequested> {
    match message.as_ref() {
        "pause" => {
            w.pause_self()?;
            Ok(Control::Resumed)
        }
        "shutdown" => Ok(Control::Finish),
        _ => Ok(Control::Other),
    }
}

/// The loop of the paced workloads: `tick` every `every`, scheduled against
/// deadlines so a slow wakeup does not make the worker fall behind; between
/// ticks it reads messages, obeys the seed's two, and hands the others to
/// `other`. After a pause the schedule starts afresh instead of catching up.
fn paced<T: AsRef<str> + Send + 'static>(
    w: &Worker<T>,
    every: Duration,
    mut other: impl FnMut(&Worker<T>, &T),
    mut tick: impl FnMut(&Worker<T>),
) -> Result<(), TaskError> {
    let mut due = Instant::now() + every;
    loop {
        w.pause_point()?;
        let wait = due.saturating_duration_since(Instant::now());
        let Some(message) = w.recv_timeout(wait)? else {
            tick(w);
            due += every;
            continue;
        };
        match control(w, &message)? {
            Control::Finish => return Ok(()),
            Control::Resumed => due = Instant::now() + every,
            Control::Other => other(w, &message),
        }
    }
}

fn unknown<T: AsRef<str> + Send + 'static>(w: &Worker<T>, message: &T) {
    w.record_error(format_args!(
        "unknown message {:?}: expected \"pause\" or \"shutdown\"",
        message.as_ref()
    ));
}

/// The seed's data processor: processes one item every `item`, pauses itself
/// on the message `"pause"`, finishes on `"shutdown"`, and records any other
/// message as an error.
///
pub fn data_processor<T>(
    item: Duration,
) -> impl FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static
where
    T: AsRef<str> + Send + 'static,
{
    move |w| paced(w, item, unknown, Worker::task_done)
}

/// CPU-bound work: `work_per_item` rounds of arithmetic per item with a pause
/// point between items, never waiting; control messages are picked up between
/// items without blocking.
pub fn cpu_bound<T>(
    work_per_item: u32,
) -> impl FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static
where
    T: AsRef<str> + Send + 'static,
{
    move |w| {
        let mut acc = 0x9E37_79B9_7F4A_7C15_u64;
        loop {
            w.pause_point()?;
            for round in 0..work_per_item {
                acc = (acc ^ u64::from(round))
                    .wrapping_mul(0x0100_0000_01B3)
                    .rotate_left(5);
            }
            std::hint::black_box(acc);
            w.task_done();
            while let Some(message) = w.try_recv() {
                match control(w, &message)? {
                    Control::Finish => return Ok(()),
                    Control::Resumed => {}
                    Control::Other => unknown(w, &message),
                }
            }
        }
    }
}

/// Every `item`, sends `"hello from ID"` to the next peer in turn (a full
/// mailbox is skipped, not waited on); counts each message sent as a task;
/// reads what others send it.
pub fn chatty<T>(item: Duration) -> impl FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static
where
    T: AsRef<str> + From<String> + Send + 'static,
{
    move |w| {
        let mut turn = 0usize;
        // Chatter from peers is what this workload is for: nothing to do.
        paced(
            w,
            item,
            |_, _| {},
            |w| {
                let peers = w.peers();
                if let Some(peer) = peers.get(turn % peers.len().max(1)) {
                    turn = turn.wrapping_add(1);
                    if w.send_to(peer.as_str(), T::from(format!("hello from {}", w.id())))
                        .is_ok()
                    {
                        w.task_done();
                    }
                }
            },
        )
    }
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
        }
    }
}
