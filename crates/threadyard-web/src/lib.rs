//! threadyard for JavaScript: the manager on Web Workers, through wasm-bindgen.
//!
//! ```js
//! import init, { initThreadPool, Threadyard } from "./threadyard_web.js";
//! await init();
//! await initThreadPool(navigator.hardwareConcurrency); // the Web Worker pool
//! const yard = new Threadyard({ mailboxCapacity: 64 });
//! yard.spawn("worker_0", { kind: "data-processor", item_ms: 100 });
//! yard.send("worker_0", "pause");            // it asks for its own pause
//! yard.resume("worker_0");
//! console.log(yard.snapshot().workers[0].state);
//! const report = await yard.shutdown(2000);  // never blocks the page
//!
//! // For teaching: the built-in scenarios as data, a live speed dial for the
//! // ready-made workloads, restart policies, and the run as a Chrome trace.
//! const [seed] = Threadyard.scenarios();      // {id: "seed", title, cast, script, ...}
//! yard.setSpeed(10);
//! yard.spawn("flaky", { kind: "flaky", item_ms: 50, fail_every: 10 }, { maxRestarts: 3 });
//! const trace = JSON.parse(await yard.trace()); // load it in ui.perfetto.dev
//! ```
//!
//! Messages are strings; any other JSON value is sent as its JSON text.
//! Errors are thrown as `Error`s whose `name` says the kind
//! (`ArgumentError`, `ControlError`, `CreateError`, `SendError`,
//! `WorkloadError`, `OptionsError`, `SpeedError`, `StateError`, `PoolError`)
//! and whose message says what to do.
//!
//! Every argument is taken as a plain JS value and checked here before
//! anything is done with it (see `input.rs`): no value JavaScript can pass
//! reaches wasm-bindgen's own conversions, which would throw a BigInt out of
//! the glue (terminating the module) or read a non-string as a pointer.
//!
//! Every method returns without waiting: calls that must wait (`shutdown`,
//! `join`, `waitForState`, `changed`) return Promises that resolve through
//! the event loop, so the page's main thread never blocks; `events` returns
//! a page of at most 1,000 events and `trace` builds its file a slice per
//! turn of the event loop, so none holds the page for long. Capacity is the pool's size: starting
//! more workers than `initThreadPool` gave threads throws `ControlError`.

#![cfg(target_arch = "wasm32")]
#![forbid(unsafe_code)]

mod api;
mod input;
mod lessons;
mod pool;
mod trace;

pub use api::{Threadyard, MAX_MESSAGE_LEN};
pub use pool::{init_thread_pool, MAX_POOL};
