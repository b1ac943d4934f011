//! The threadyard web app. The page holds two WebAssembly modules: this one,
//! the Yew UI (single-threaded, on the page's main thread), and the threads
//! module (`threadyard-web`: the manager on a pool of Web Workers sharing one
//! memory), which this one drives through the same JavaScript API plain
//! scripts use. See `browser/connection.rs` for why there are two.
//!
//! The layout: `model` (what the threads module returns), `history` and
//! `narration` (what the page remembers and tells), `clock` (a script's
//! time), `input` (reading the forms) and `state` (the app's state, actions
//! and reducer) are plain Rust, built and tested natively; `browser` (the
//! connection to the threads module, the script runner and the components)
//! is the one part that needs a browser.

// Natively the browser part, which uses most of the plain logic, is not
// built; the tests use the rest.
#![cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]

mod clock;
mod code;
mod history;
mod input;
#[cfg(test)]
mod layout;
mod model;
mod narration;
mod palette;
mod predict;
mod source;
mod state;
mod stepping;
mod tape;
#[cfg(all(test, not(target_arch = "wasm32")))]
mod vocabulary;
mod wire;

#[cfg(target_arch = "wasm32")]
mod browser;

fn main() {
    #[cfg(target_arch = "wasm32")]
    browser::start();
}
