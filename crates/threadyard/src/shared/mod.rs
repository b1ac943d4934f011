//! Shared state a lesson can watch: a [`SharedCell`] (an integer that
//! workers load and store) and a [`SharedLock`] (taken and released
//! explicitly, with a holder and waiters). Made by a manager
//! ([`Yard::cell`](crate::Yard::cell), [`Yard::lock`](crate::Yard::lock))
//! and used by its workers.
//!
//! Every operation is a scheduling point (and a pause point): in stepped
//! mode the worker is held before it until granted the step; each is
//! recorded as an event with its value ([`EventKind::Access`](crate::EventKind::Access)).
//! A worker blocked on a lock another holds is an edge of the manager's
//! wait-for graph, and a cycle of such waits is reported the moment it forms
//! ([`EventKind::Deadlock`](crate::EventKind::Deadlock)).
//!
//! A read-modify-write done the wrong way, as a separate load and store,
//! loses updates when two workers interleave:
//!
//! ```
//! use threadyard::{Chooser, Yard};
//!
//! // Grant worker 0, 1, 1, 0: both load 0, both store 1.
//! let yard = Yard::<()>::builder()
//!     .stepped(Chooser::Fixed { schedule: vec![0, 1, 1, 0] })
//!     .build()?;
//! let counter = yard.cell("counter", 0)?;
//! for name in ["a", "b"] {
//!     let counter = counter.clone();
//!     yard.spawn(name, move |w| {
//!         let seen = counter.load(w)?;
//!         counter.store(w, seen + 1)?;
//!         Ok(())
//!     })?;
//! }
//! yard.begin_steps()?;
//! let run = yard.settle(std::time::Duration::from_secs(10))?;
//! assert!(run.finished);
//! assert_eq!(counter.get(), 1); // not 2: an update was lost
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod cell;
mod lock;

pub use cell::SharedCell;
pub use lock::SharedLock;
