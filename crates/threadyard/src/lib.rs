//! # threadyard: manage, watch and teach threads
//!
//! A [`Yard`] manages named workers. Each worker is a task (a closure) running
//! on a thread of its own (a std thread natively, a Web Worker in the
//! browser) that cooperates with its manager through a [`Worker`] context:
//!
//! * **Lifecycle.** [`Yard::create`] then [`Yard::start`] (or
//!   [`Yard::spawn`]) moves a worker through the states of [`WorkerState`]:
//!   Created, Running, PauseRequested, Paused, Stopping, Stopped, Failed.
//!   Every move is validated and atomic; a refused one changes nothing and
//!   says why ([`ControlError::InvalidTransition`]).
//! * **Cooperative pause.** [`Yard::pause`] only *requests* a pause; the
//!   worker acknowledges it at its next [`Worker::pause_point`] (one atomic
//!   load when nothing is requested) and blocks there, without spinning,
//!   until [`Yard::resume`] or [`Yard::stop`]. A worker can ask for its own
//!   pause the same way ([`Worker::request_pause`]), or pause itself at once
//!   ([`Worker::pause_self`]).
//! * **Mailboxes.** Each worker has a bounded mailbox ([`Yard::send`],
//!   [`Yard::send_timeout`], [`Worker::recv`] and friends). A full mailbox
//!   refuses with the message handed back; nothing is dropped silently.
//!   Control commands never queue behind data. [`Yard::broadcast`] puts a copy
//!   into each live worker's mailbox in turn, during the call, and reports
//!   per recipient.
//! * **Metrics and events.** [`Yard::snapshot`] gives every worker's state and
//!   figures (thread CPU time, busy time, tasks, errors, restarts, pauses,
//!   mailbox), serializable with serde; finished workers stay visible until
//!   [`Yard::remove`]. [`Yard::events_since`] pages through timestamped events;
//!   [`Yard::trace`] turns them into a Chrome Trace Event file ([`trace`]).
//! * **Failures.** A task that panics or returns an error makes its worker
//!   Failed with the message kept; the others go on. A [`RestartPolicy`] can
//!   run it again.
//! * **Shutdown.** [`Yard::shutdown`] stops everything within one overall
//!   deadline and returns a [`ShutdownReport`].
//!
//! There is no monitor thread: the wrapper around each task publishes start,
//! end, failure and restart the moment they happen, and waiting (pause,
//! receive, join, shutdown) is always on a condition variable, never
//! sleep-and-check. The library logs through `tracing` and never prints.
//!
//! ## The seed's example
//!
//! Three data processors; `worker_1` is told to pause and asks for its own
//! pause, which its next pause point takes; it is resumed later, then
//! "shutdown" is broadcast and the metrics are read:
//!
//! ```
//! use std::time::Duration;
//! use threadyard::{Worker, Yard, WorkerState, TaskError};
//!
//! fn data_processor(w: &Worker<String>) -> Result<(), TaskError> {
//!     loop {
//!         w.pause_point()?;
//!         match w.recv_timeout(Duration::from_millis(1))?.as_deref() {
//!             Some("pause") => w.request_pause()?, // taken at the loop's top
//!             Some("shutdown") => return Ok(()),
//!             _ => w.task_done(), // "processed" one item
//!         }
//!     }
//! }
//!
//! let yard = Yard::<String>::new();
//! for i in 0..3 {
//!     yard.spawn(&format!("worker_{i}"), data_processor)?;
//! }
//! yard.send("worker_1", "pause".into())?;
//! # while yard.state("worker_1")? != WorkerState::Paused { std::thread::yield_now(); }
//! yard.resume("worker_1")?;
//! let report = yard.broadcast("shutdown".into());
//! assert_eq!(report.recipients.len(), 3);
//! assert!(yard.join_all(Duration::from_secs(10)).is_empty());
//!
//! let shutdown = yard.shutdown(Duration::from_secs(1));
//! assert_eq!(shutdown.clean.len(), 3);
//! for w in yard.snapshot().workers {
//!     println!("{}: {} tasks, {} pauses", w.id, w.tasks_completed, w.pause_count);
//! }
//! assert_eq!(yard.worker("worker_1")?.pause_count, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! (The hidden line waits for the pause only so the example is deterministic;
//! a real caller would watch events or the snapshot.)
//!
//! The same example runs as a program, beside two others, from the crate's
//! `examples` folder; each checks its own outcome and exits non-zero if the
//! manager misbehaved:
//!
//! * `cargo run -p threadyard --example seed`: the seed's timeline, ten
//!   times faster, then the shutdown report and the metrics table.
//! * `cargo run -p threadyard --example supervision`: a panicking worker run
//!   again by [`RestartPolicy::OnFailure`] until its budget is spent, its
//!   neighbour untouched.
//! * `cargo run -p threadyard --example pipeline`: back-pressure, a producer
//!   waiting for room in a slow consumer's bounded mailbox with
//!   [`Worker::send_to_timeout`].
//!
//! For teaching: [`workloads`] has ready-made tasks whose speed follows a
//! shared dial ([`workloads::Pace`]), and [`scenarios`] scripts the seed's
//! example and demos of pause points, back-pressure, supervision and
//! shutdown, run by the web app and by `threadyard scenario` in a terminal.
//!
//! What the manager promises (order, delivery, pause, shutdown, panics, what
//! it never does) and every bad input it was tried with: [`guarantees`].

#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod activity;
pub(crate) mod changes;
mod clock;
mod contain;
mod current;
mod error;
mod events;
mod hub;
mod id;
pub mod lessons;
mod mailbox;
mod metrics;
#[cfg(all(test, loom))]
mod model;
pub mod platform;

#[doc = include_str!("../GUARANTEES.md")]
pub mod guarantees {}
mod policy;
mod runner;
pub mod scenarios;
pub mod shared;
mod slot;
mod state;
mod steps;
mod sync;
mod threads;
pub mod trace;
mod waits;
mod worker;
pub mod workloads;
mod yard;

pub use activity::{Activity, ActivitySpan, ActivityTrack};
pub use changes::Changed;
pub use clock::CpuClock;
pub use error::{
    ConfigError, ControlError, CreateError, SendError, ShareError, SpawnError, StopRequested,
    TaskError, MAX_ERROR_LEN,
};
pub use events::{AccessOp, Event, EventKind, EventPage};
pub use id::{IdError, WorkerId, MAX_ID_LEN};
pub use mailbox::{MailboxSnapshot, DEFAULT_MAILBOX_CAPACITY, MAX_MAILBOX_CAPACITY};
pub use policy::{
    RestartPolicy, WorkerOptions, MAX_RESTARTS, MAX_RESTART_WINDOW, MIN_RESTART_WINDOW,
};
pub use slot::WorkerSnapshot;
pub use state::{Action, WorkerState};
pub use steps::{Chooser, Op, StepError, StepLane, StepSnapshot, StepStatus, PCT_DEPTHS};
pub use waits::{Deadlock, Resource, WaitEdge};
pub use worker::{Task, Worker};
pub use yard::{
    BroadcastReport, Delivery, FailedWorker, Recipient, ShutdownReport, Snapshot, WorkerSender,
    Yard, YardBuilder, MAX_EVENT_CAPACITY,
};

// The README (the crate's page on crates.io) is run as a doctest, so its
// example cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
