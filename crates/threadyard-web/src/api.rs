//! The `Threadyard` class.

use std::fmt::Display;
use std::panic::AssertUnwindSafe;
use std::rc::Rc;

use js_sys::Promise;
use serde::{Deserialize, Serialize};
use std::time::Duration;

use threadyard::workloads::{Pace, Workload};
use threadyard::{scenarios, RestartPolicy, SpawnError, Task, WorkerOptions, WorkerState, Yard};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

/// Options for `new Threadyard(options)`; every field may be left out.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Options {
    mailbox_capacity: Option<usize>,
    event_capacity: Option<usize>,
    max_threads: Option<usize>,
    record_messages: Option<bool>,
    speed: Option<f64>,
}

/// Per-worker options for `spawn(id, workload, options)`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SpawnOptions {
    mailbox_capacity: Option<usize>,
    /// Restarts allowed after a failure (panic or error) ...
    max_restarts: Option<u32>,
    /// ... within this sliding window (default: one minute).
    restart_window_ms: Option<f64>,
}

/// A thread manager whose workers run on the page's Web Worker pool.
#[wasm_bindgen]
pub struct Threadyard {
    yard: Rc<Yard<String>>,
    /// The speed of every ready-made workload this manager spawns.
    pace: Pace,
}

#[wasm_bindgen]
impl Threadyard {
    /// `new Threadyard({ mailboxCapacity, eventCapacity, maxThreads, recordMessages, speed })`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Threadyard, JsValue> {
        let options: Options = options_from_js(options)?;
        let mut builder = Yard::builder();
        if let Some(capacity) = options.mailbox_capacity {
            builder = builder.mailbox_capacity(capacity);
        }
        if let Some(capacity) = options.event_capacity {
            builder = builder.event_capacity(capacity);
        }
        if let Some(threads) = options.max_threads {
            builder = builder.max_threads(threads);
        }
        if let Some(on) = options.record_messages {
            builder = builder.record_messages(on);
        }
        let pace = Pace::new(options.speed.unwrap_or(1.0)).map_err(|e| error("OptionsError", e))?;
        let yard = builder.build().map_err(|e| error("OptionsError", e))?;
        Ok(Threadyard {
            yard: Rc::new(yard),
            pace,
        })
    }

    /// Every built-in scenario (the seed's example first), as plain data:
    /// `[{id, title, teaches, look_for, mailbox_capacity, cast, script}]`.
    pub fn scenarios() -> Result<JsValue, JsValue> {
        to_js(&scenarios::all())
    }

    /// Sets the speed of this manager's ready-made workloads, from 0.01 (slow
    /// motion) to 100; running workers follow from their next item.
    #[wasm_bindgen(js_name = setSpeed)]
    pub fn set_speed(&self, speed: f64) -> Result<(), JsValue> {
        self.pace.set(speed).map_err(|e| error("SpeedError", e))
    }

    /// The speed of this manager's ready-made workloads.
    pub fn speed(&self) -> f64 {
        self.pace.speed()
    }

    /// The event log as Chrome Trace Event JSON text (one track per worker,
    /// states as slices), for Perfetto or chrome://tracing.
    pub fn trace(&self) -> Result<String, JsValue> {
        serde_json::to_string(&self.yard.trace()).map_err(|e| error("SerializeError", e))
    }

    /// Registers a worker running `workload`
    /// (`{kind: "data-processor", item_ms}`, `{kind: "cpu-bound", work_per_item}`,
    /// `{kind: "chatty", item_ms}`) in the Created state.
    pub fn create(&self, id: &str, workload: JsValue) -> Result<(), JsValue> {
        self.yard
            .create(id, self.task(workload)?)
            .map(drop)
            .map_err(|e| error("CreateError", e))
    }

    /// Starts a Created worker on a pool thread.
    pub fn start(&self, id: &str) -> Result<(), JsValue> {
        self.yard.start(id).map_err(|e| error("ControlError", e))
    }

    /// `create` then `start`; a worker that cannot start is not kept.
    /// `options` (optional): `{mailboxCapacity, maxRestarts, restartWindowMs}`.
    pub fn spawn(&self, id: &str, workload: JsValue, options: JsValue) -> Result<(), JsValue> {
        let options = worker_options(options)?;
        self.yard
            .spawn_with(id, options, self.task(workload)?)
            .map(drop)
            .map_err(|e| match e {
                SpawnError::Create(e) => error("CreateError", e),
                SpawnError::Start(e) => error("ControlError", e),
                other => error("SpawnError", other),
            })
    }

    /// Asks a worker to pause at its next pause point.
    pub fn pause(&self, id: &str) -> Result<(), JsValue> {
        self.yard.pause(id).map_err(|e| error("ControlError", e))
    }

    /// Resumes a paused worker.
    pub fn resume(&self, id: &str) -> Result<(), JsValue> {
        self.yard.resume(id).map_err(|e| error("ControlError", e))
    }

    /// Asks a worker to stop.
    pub fn stop(&self, id: &str) -> Result<(), JsValue> {
        self.yard.stop(id).map_err(|e| error("ControlError", e))
    }

    /// Forgets a finished worker; returns its final figures.
    pub fn remove(&self, id: &str) -> Result<JsValue, JsValue> {
        let last = self.yard.remove(id).map_err(|e| error("ControlError", e))?;
        to_js(&last)
    }

    /// Queues a message (a string, or any JSON value, sent as JSON text).
    pub fn send(&self, id: &str, message: JsValue) -> Result<(), JsValue> {
        let text = message_text(message)?;
        self.yard.send(id, text).map_err(|e| error("SendError", e))
    }

    /// Sends a copy to every worker; returns `{recipients: [{id, outcome}]}`.
    pub fn broadcast(&self, message: JsValue) -> Result<JsValue, JsValue> {
        let report = self.yard.broadcast(message_text(message)?);
        to_js(&report)
    }

    /// Every worker's state and figures.
    pub fn snapshot(&self) -> Result<JsValue, JsValue> {
        to_js(&self.yard.snapshot())
    }

    /// Events from position `since` on: `{events, missed, next}`.
    pub fn events(&self, since: f64) -> Result<JsValue, JsValue> {
        // A negative or fractional position from JS reads as the nearest valid one.
        to_js(&self.yard.events_since(since.max(0.0) as u64))
    }

    /// Stops everything; resolves to the shutdown report when all workers
    /// have finished or after `timeout_ms`, whichever comes first.
    pub fn shutdown(&self, timeout_ms: f64) -> Promise {
        let yard = Rc::clone(&self.yard);
        let deadline = timeout(timeout_ms);
        future_to_promise(AssertUnwindSafe(async move {
            let report = yard.shutdown_async(deadline).await;
            to_js(&report)
        }))
    }

    /// Resolves to the worker's final state, or `null` after `timeout_ms`.
    pub fn join(&self, id: String, timeout_ms: f64) -> Promise {
        let yard = Rc::clone(&self.yard);
        let deadline = timeout(timeout_ms);
        future_to_promise(AssertUnwindSafe(async move {
            let state = yard
                .join_async(&id, deadline)
                .await
                .map_err(|e| error("ControlError", e))?;
            to_js(&state)
        }))
    }

    /// Resolves to `state` once the worker is in it (`"paused"`, `"stopped"`...),
    /// or to `null` after `timeout_ms`. Race-free, unlike checking a snapshot
    /// and then awaiting `changed()`.
    #[wasm_bindgen(js_name = waitForState)]
    pub fn wait_for_state(
        &self,
        id: String,
        state: JsValue,
        timeout_ms: f64,
    ) -> Result<Promise, JsValue> {
        let wanted: WorkerState = from_js(state).map_err(|e| error("StateError", e))?;
        let yard = Rc::clone(&self.yard);
        let deadline = timeout(timeout_ms);
        Ok(future_to_promise(AssertUnwindSafe(async move {
            let reached = yard
                .wait_for_state_async(&id, deadline, |s| s == wanted)
                .await
                .map_err(|e| error("ControlError", e))?;
            to_js(&reached)
        })))
    }

    /// Resolves at the next state change of any worker. Create it before
    /// looking at what you wait for (or use `waitForState`).
    pub fn changed(&self) -> Promise {
        let changed = self.yard.changed();
        future_to_promise(AssertUnwindSafe(async move {
            changed.await;
            Ok(JsValue::UNDEFINED)
        }))
    }
}

impl Threadyard {
    /// The task for a workload spec (`{kind: ..., ...}`), read through JSON
    /// so a misspelt field is refused, paced by this manager's speed.
    fn task(&self, workload: JsValue) -> Result<Task<String>, JsValue> {
        let workload: Workload = from_js(workload).map_err(|e| error("WorkloadError", e))?;
        workload
            .task_paced(&self.pace)
            .map_err(|e| error("WorkloadError", e))
    }
}

/// Reads an options object; `undefined` or `null` means every default.
fn options_from_js<T: serde::de::DeserializeOwned + Default>(value: JsValue) -> Result<T, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    from_js(value).map_err(|e| error("OptionsError", e))
}

/// Reads `spawn`'s options.
fn worker_options(options: JsValue) -> Result<WorkerOptions, JsValue> {
    let options: SpawnOptions = options_from_js(options)?;
    let mut out = WorkerOptions::new();
    if let Some(capacity) = options.mailbox_capacity {
        out = out.mailbox_capacity(capacity);
    }
    if let Some(max_restarts) = options.max_restarts {
        let window_ms = options.restart_window_ms.unwrap_or(60_000.0);
        // try_from: a finite but huge window (1e300 ms) does not fit in a
        // Duration, and `from_secs_f64` would panic on it.
        let window = Duration::try_from_secs_f64(window_ms / 1e3)
            .ok()
            .filter(|w| !w.is_zero())
            .ok_or_else(|| {
                error(
                    "OptionsError",
                    format_args!(
                        "restartWindowMs {window_ms} must be a positive number of milliseconds, at most about 584 million years"
                    ),
                )
            })?;
        out = out.restart(RestartPolicy::OnFailure {
            max_restarts,
            window,
        });
    } else if options.restart_window_ms.is_some() {
        return Err(error(
            "OptionsError",
            "restartWindowMs needs maxRestarts: say how many restarts the window allows",
        ));
    }
    Ok(out)
}

/// A JS `Error` whose `name` is the kind and whose message is `what`.
fn error(kind: &str, what: impl Display) -> JsValue {
    let error = js_sys::Error::new(&what.to_string());
    error.set_name(kind);
    error.into()
}

/// Reads a JS value into `T` through JSON, so `deny_unknown_fields` holds:
/// serde-wasm-bindgen alone reads only the fields a struct names and would
/// silently ignore a misspelt option.
fn from_js<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, String> {
    let json: serde_json::Value =
        serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())?;
    serde_json::from_value(json).map_err(|e| e.to_string())
}

fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| error("SerializeError", e))
}

fn message_text(message: JsValue) -> Result<String, JsValue> {
    if let Some(text) = message.as_string() {
        return Ok(text);
    }
    let value: serde_json::Value = serde_wasm_bindgen::from_value(message).map_err(|e| {
        error(
            "SendError",
            format_args!("a message must be a string or a JSON value: {e}"),
        )
    })?;
    Ok(value.to_string())
}

/// Resolves after `timeout_ms` through `setTimeout` (on the main thread and
/// in workers alike). gloo-timers would do, but it does not build with
/// `panic=unwind` yet (gloo PR #562 is unreleased).
fn timeout(timeout_ms: f64) -> JsFuture {
    // setTimeout takes at most 2^31-1 ms (about 24.8 days); NaN means 0.
    let ms = if timeout_ms.is_nan() {
        0.0
    } else {
        timeout_ms.clamp(0.0, f64::from(i32::MAX))
    };
    let promise = Promise::new(&mut |resolve, _reject| {
        let set_timeout = js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("setTimeout"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        match set_timeout {
            Some(set_timeout) => {
                let _ = set_timeout.call2(&JsValue::NULL, &resolve, &JsValue::from_f64(ms));
            }
            // No timers in this global: resolve at once rather than never.
            None => {
                let _ = resolve.call0(&JsValue::NULL);
            }
        }
    });
    JsFuture::from(promise)
}
