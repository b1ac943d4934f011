//! The threadyard web app. The page holds two WebAssembly modules: this one,
//! the Yew UI (single-threaded, on the page's main thread), and the threads
//! module (`threadyard-web`: the manager on a pool of Web Workers sharing one
//! memory), which this one drives through the same JavaScript API plain
//! scripts use. See `threads.rs` for why there are two.

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod chart;
#[cfg(target_arch = "wasm32")]
mod controls;
#[cfg(target_arch = "wasm32")]
mod export;
#[cfg(target_arch = "wasm32")]
mod history;
#[cfg(target_arch = "wasm32")]
mod learn;
#[cfg(target_arch = "wasm32")]
mod model;
#[cfg(target_arch = "wasm32")]
mod narration;
#[cfg(target_arch = "wasm32")]
mod script;
#[cfg(target_arch = "wasm32")]
mod table;
#[cfg(target_arch = "wasm32")]
mod teach;
#[cfg(target_arch = "wasm32")]
mod threads;
#[cfg(target_arch = "wasm32")]
mod timeline;

fn main() {
    #[cfg(target_arch = "wasm32")]
    app::start();
}
