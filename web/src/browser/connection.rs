//! The connection to the threads module (`threadyard-web`): its JavaScript
//! API, the manager's handle, and the constructors that start the pool and
//! make managers.
//!
//! Why a second module: the threads module is built with shared memory,
//! atomics and `panic=unwind` (so a panicking task is caught at its worker's
//! boundary). Yew's gloo dependencies do not compile with `panic=unwind` under
//! wasm-bindgen 0.2.130, and the UI needs no shared memory, so the UI is a
//! plain module that imports the threads module like any script would. It is
//! served from `threads/` beside the UI's own files.

use std::rc::Rc;

use js_sys::Promise;
use serde::de::DeserializeOwned;
use serde::Serialize as _;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use yew::UseReducerDispatcher;

use crate::model::ScenarioView;
use crate::state::AppState;

#[wasm_bindgen(raw_module = "./threads/threadyard_web.js")]
extern "C" {
    /// Loads and instantiates the threads module (its default export).
    #[wasm_bindgen(js_name = default)]
    fn init_threads_module() -> Promise;

    /// Starts the pool of Web Workers.
    #[wasm_bindgen(js_name = initThreadPool)]
    fn init_thread_pool(threads: usize) -> Promise;

    /// The manager (see `threadyard-web`).
    pub type Threadyard;

    #[wasm_bindgen(constructor, catch)]
    fn new(options: &JsValue) -> Result<Threadyard, JsValue>;
    /// Every built-in scenario, as plain data.
    #[wasm_bindgen(static_method_of = Threadyard, js_name = scenarios, catch)]
    fn all_scenarios() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(method, catch)]
    pub fn spawn(
        this: &Threadyard,
        id: &str,
        workload: &JsValue,
        options: &JsValue,
    ) -> Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = setSpeed)]
    pub fn set_speed(this: &Threadyard, speed: f64) -> Result<(), JsValue>;
    /// Holds (or releases) the ready-made workloads where they are.
    #[wasm_bindgen(method, catch, js_name = setHeld)]
    pub fn set_held(this: &Threadyard, held: bool) -> Result<(), JsValue>;
    /// Resolves to the event log as Chrome Trace Event JSON text (built a
    /// slice per turn of the event loop).
    #[wasm_bindgen(method, catch)]
    pub fn trace(this: &Threadyard) -> Result<Promise, JsValue>;
    /// Resolves to the worker's final state, or `null` after `timeout_ms`.
    #[wasm_bindgen(method)]
    pub fn join(this: &Threadyard, id: &str, timeout_ms: f64) -> Promise;
    /// Resolves to `state` once the worker is in it, or `null` after
    /// `timeout_ms`.
    #[wasm_bindgen(method, catch, js_name = waitForState)]
    pub fn wait_for_state(
        this: &Threadyard,
        id: &str,
        state: &str,
        timeout_ms: f64,
    ) -> Result<Promise, JsValue>;
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

/// Default Web Workers in the pool when the page does not say (`?threads=N`):
/// at least this many, so the demos' workers fit even on a 2-core machine.
const MIN_POOL: usize = 8;

/// The manager, compared by identity.
#[derive(Clone)]
pub struct Yard(pub Rc<Threadyard>);

impl PartialEq for Yard {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Sends actions to the app's state.
pub type Dispatcher = UseReducerDispatcher<AppState<Yard>>;

pub use crate::state::STOPPED;

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

/// Reads a value the threads module returned.
pub fn read<T: DeserializeOwned>(value: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| format!("unexpected data from the threads module: {e}"))
}

/// Plain data (options, a workload) as a JS value for the threads module.
pub fn to_js(value: &serde_json::Value) -> Result<JsValue, String> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| e.to_string())
}

/// A new manager for free play: small mailboxes so back-pressure is
/// visible. Messages are not recorded as events (chatty workers send
/// thousands a second, each would take the event log's lock and become a
/// mark); the timeline marks message traffic from the mailbox counters.
pub fn new_manager(speed: f64) -> Result<Yard, String> {
    manager(16, false, speed)
}

/// A new manager. Scenarios record messages: their traffic is small and the
/// exported trace shows each one.
pub fn manager(mailbox_capacity: usize, record_messages: bool, speed: f64) -> Result<Yard, String> {
    let options = to_js(&serde_json::json!({
        "mailboxCapacity": mailbox_capacity,
        "eventCapacity": 20000,
        "recordMessages": record_messages,
        "speed": speed,
    }))?;
    Threadyard::new(&options)
        .map(|y| Yard(Rc::new(y)))
        .map_err(|e| message(&e))
}

/// Every built-in scenario.
pub fn scenarios() -> Result<Vec<ScenarioView>, String> {
    Threadyard::all_scenarios()
        .map_err(|e| message(&e))
        .and_then(read::<Vec<ScenarioView>>)
}

/// How many Web Workers to start: `?threads=N` (1 to 64), else the larger of
/// the machine's core count and [`MIN_POOL`].
fn pool_size() -> Result<usize, String> {
    let window = web_sys::window().ok_or("no window")?;
    let search = window.location().search().unwrap_or_default();
    let params = web_sys::UrlSearchParams::new_with_str(&search).map_err(|e| message(&e))?;
    if let Some(asked) = params.get("threads") {
        return match asked.parse::<usize>() {
            Ok(n @ 1..=64) => Ok(n),
            _ => Err(format!(
                "?threads={asked} is not a number from 1 to 64: remove it or fix it"
            )),
        };
    }
    let cores = window.navigator().hardware_concurrency() as usize;
    Ok(cores.max(MIN_POOL))
}

/// Loads the threads module, starts the pool and makes the first manager:
/// it and the pool's size.
pub async fn boot() -> Result<(Yard, usize), String> {
    let pool = pool_size()?;
    JsFuture::from(init_threads_module())
        .await
        .map_err(|e| format!("the threads module did not load: {}", message(&e)))?;
    JsFuture::from(init_thread_pool(pool))
        .await
        .map_err(|e| format!("the pool of Web Workers did not start: {}", message(&e)))?;
    Ok((new_manager(1.0)?, pool))
}

/// Whether the page is cross-origin isolated (threads need it).
pub fn isolated() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("crossOriginIsolated")).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// True while the page's service worker (registered by index.html) has not
/// yet taken control: the page will reload isolated.
pub fn service_worker_pending() -> bool {
    let get =
        |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key)).ok();
    let Some(window) = web_sys::window().map(JsValue::from) else {
        return false;
    };
    let secure = get(&window, "isSecureContext").and_then(|v| v.as_bool()) == Some(true);
    let container = get(&window, "navigator")
        .and_then(|n| get(&n, "serviceWorker"))
        .filter(|c| !c.is_undefined() && !c.is_null());
    let uncontrolled = container
        .and_then(|c| get(&c, "controller"))
        .is_some_and(|c| c.is_null() || c.is_undefined());
    secure && uncontrolled
}
