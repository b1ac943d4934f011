//! # threadyard-serve: watch and steer a native `Yard` from a browser
//!
//! [`serve`] starts a WebSocket endpoint for a [`threadyard::Yard`] on
//! background std threads (no async runtime) and returns a handle that
//! says the address and the link to open; dropping the handle stops it.
//! The threadyard app attaches to the link and shows the same table,
//! timeline, chart and narration as for its own threads. [`record`]
//! writes a run as JSON lines the app plays back.
//!
//! ```no_run
//! use std::sync::Arc;
//! use threadyard::Yard;
//! use threadyard_serve::{serve, ServeOptions};
//!
//! let yard = Arc::new(Yard::<String>::new());
//! let server = serve(&yard, ServeOptions::new().allow_commands(true))?;
//! println!("open {}", server.app_link()); // the app, attached
//! // ... spawn workers on `yard` and run the program ...
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! Safe by default: it listens on 127.0.0.1 only (another address must be
//! opted into), every connection must present the link's random token,
//! browser pages are checked against an origin allowlist, commands are off
//! unless allowed, frames, connections and commands per second are
//! limited, an address that keeps presenting wrong tokens gets its answers
//! slowly (the right token is never refused), and a slow or stalled client never holds up a worker, the
//! manager or another client. What the server promises, and the tests that
//! hold it, are in the core's guarantees (`threadyard::guarantees`).
//!
//! The protocol follows.
#![doc = include_str!("../PROTOCOL.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs, missing_debug_implementations, unreachable_pub)]

mod conn;
mod control;
mod guard;
mod handshake;
mod hub;
mod options;
mod protocol;
mod record;
mod server;
mod token;

pub use options::{Decoder, ServeOptions, DEFAULT_ORIGINS};
pub use protocol::{ErrorCode, Refusal, Settings, EVENTS_PER_PAGE, PROTOCOL_VERSION};
pub use record::{record, Recording, RECORDING_TYPE};
pub use server::{serve, ServeError, ServeHandle};
