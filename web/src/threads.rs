//! Bindings to the threads module's JavaScript API (`threadyard-web`).
//!
//! Why a second module: the threads module is built with shared memory,
//! atomics and `panic=unwind` (so a panicking task is caught at its worker's
//! boundary). Yew's gloo dependencies do not compile with `panic=unwind` under
//! wasm-bindgen 0.2.130, and the UI needs no shared memory, so the UI is a
//! plain module that imports the threads module like any script would. It is
//! served from `threads/` beside the UI's own files.

use js_sys::Promise;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(raw_module = "./threads/threadyard_web.js")]
extern "C" {
    /// Loads and instantiates the threads module (its default export).
    #[wasm_bindgen(js_name = default)]
    pub fn init_threads_module() -> Promise;

    /// Starts the pool of Web Workers.
    #[wasm_bindgen(js_name = initThreadPool)]
    pub fn init_thread_pool(threads: usize) -> Promise;

    /// The manager (see `threadyard-web`).
    pub type Threadyard;

    #[wasm_bindgen(constructor, catch)]
    pub fn new(options: &JsValue) -> Result<Threadyard, JsValue>;
    /// Every built-in scenario, as plain data.
    #[wasm_bindgen(static_method_of = Threadyard, catch)]
    pub fn scenarios() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn spawn(
        this: &Threadyard,
        id: &str,
        workload: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = setSpeed)]
    pub fn set_speed(this: &Threadyard, speed: f64) -> Result<(), JsValue>;
    /// Resolves to the event log as Chrome Trace Event JSON text.
    #[wasm_bindgen(method, catch)]
    pub fn trace(this: &Threadyard) -> Result<Promise, JsValue>;
    /// Resolves to the worker's final state, or `null` after `timeout_ms`.
    #[wasm_bindgen(method)]
    pub fn join(this: &Threadyard, id: &str, timeout_ms: f64) -> Promise;
    #[wasm_bindgen(method, catch)]
    pub fn pause(this: &Threadyard, id: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn resume(this: &Threadyard, id: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn stop(this: &Threadyard, id: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn remove(this: &Threadyard, id: &str) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn send(this: &Threadyard, id: &str, message: &JsValue) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn broadcast(this: &Threadyard, message: &JsValue) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn snapshot(this: &Threadyard) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn events(this: &Threadyard, since: f64) -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method)]
    pub fn shutdown(this: &Threadyard, timeout_ms: f64) -> Promise;
}

/// What the page says once the threads module has died.
pub const STOPPED: &str = "The threads module stopped: reload the page.";

/// True when `error` says the threads module is dead: a WebAssembly trap, or
/// wasm-bindgen's "Module terminated", which every call throws after one.
/// Nothing the API is given should cause this; it is for what was not
/// foreseen.
pub fn stopped(error: &JsValue) -> bool {
    error.is_instance_of::<js_sys::WebAssembly::RuntimeError>()
        || error
            .dyn_ref::<js_sys::Error>()
            .is_some_and(|e| e.message() == "Module terminated")
}

/// The message of a thrown JS error (the threads module throws `Error`s whose
/// message says what went wrong and what to do).
pub fn message(error: &JsValue) -> String {
    if stopped(error) {
        return STOPPED.to_owned();
    }
    error
        .dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| error.as_string())
        .unwrap_or_else(|| format!("{error:?}"))
}
