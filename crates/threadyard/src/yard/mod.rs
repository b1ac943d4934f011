//! The manager, above the workers it manages: [`Yard`] (the handle and
//! every call on it), how one is built ([`YardBuilder`]), its shared record
//! (the registry, and the [`Peers`](crate::worker) seam its workers reach
//! each other through), shutdown, and the reports it returns.
//!
//! Nothing below this folder imports it: a worker knows its manager only as
//! a weak `dyn Peers`.

mod builder;
mod manager;
mod report;
mod sender;
mod shared;
mod shared_state;
mod shutdown;

pub use builder::{YardBuilder, MAX_EVENT_CAPACITY};
pub use manager::Yard;
pub use report::{BroadcastReport, Delivery, FailedWorker, Recipient, ShutdownReport, Snapshot};
pub use sender::WorkerSender;
