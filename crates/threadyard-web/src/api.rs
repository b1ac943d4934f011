//! The `Threadyard` class.

use std::panic::AssertUnwindSafe;
use std::rc::Rc;

use js_sys::Promise;
use serde::{Deserialize, Serialize};
use std::time::Duration;

use threadyard::workloads::{Pace, Workload};
use threadyard::{scenarios, RestartPolicy, SpawnError, Task, WorkerOptions, WorkerState, Yard};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use crate::input::{self, error};

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
    pub(crate) yard: Rc<Yard<String>>,
    /// The speed of every ready-made workload this manager spawns.
    pace: Pace,
    /// The stepped lesson this manager runs, if it runs one (`lessons.rs`).
    pub(crate) lesson: Option<threadyard::lessons::Lesson>,
}

impl Threadyard {
    /// A manager running a lesson (`Threadyard.lesson`).
    pub(crate) fn for_lesson(yard: Yard<String>, lesson: threadyard::lessons::Lesson) -> Self {
        Self {
            yard: Rc::new(yard),
            pace: Pace::default(),
            lesson: Some(lesson),
        }
    }
}

#[wasm_bindgen]
impl Threadyard {
    /// `new Threadyard({ mailboxCapacity, eventCapacity, maxThreads, recordMessages, speed })`.
    #[wasm_bindgen(constructor)]
    pub fn new(options: JsValue) -> Result<Threadyard, JsValue> {
        let options: Options = options_from_js(&options, "options")?;
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
            lesson: None,
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
    pub fn set_speed(&self, speed: JsValue) -> Result<(), JsValue> {
        let speed = input::number(&speed, "setSpeed(speed): speed")?;
        self.pace.set(speed).map_err(|e| error("SpeedError", e))
    }

    /// The speed of this manager's ready-made workloads.
    pub fn speed(&self) -> f64 {
        self.pace.speed()
    }

    /// Holds (`true`) or releases (`false`) this manager's ready-made
    /// workloads where they are, inside their own code: an item's simulated
    /// work stops part-way and goes on from there, and time held does not
    /// count towards any item. A held worker is not paused: its state stays
    /// what it was and its activity reads `"held"`; it reaches its next
    /// pause point (to pause or stop) once released.
    #[wasm_bindgen(js_name = setHeld)]
    pub fn set_held(&self, held: JsValue) -> Result<(), JsValue> {
        match held.as_bool() {
            Some(true) => self.pace.hold(),
            Some(false) => self.pace.release(),
            None => {
                return Err(error(
                    "OptionsError",
                    format_args!(
                        "setHeld(held): held must be true or false, got {}",
                        input::describe(&held)
                    ),
                ))
            }
        }
        Ok(())
    }

    /// True while this manager's ready-made workloads are held.
    pub fn held(&self) -> bool {
        self.pace.is_held()
    }

    /// Resolves to the event log as Chrome Trace Event JSON text (one track
    /// per worker, states as slices), for Perfetto or chrome://tracing. Built
    /// a slice of the log per turn of the event loop, so a long log never
    /// holds the page.
    pub fn trace(&self) -> Promise {
        crate::trace::chrome_trace(Rc::clone(&self.yard))
    }

    /// Registers a worker running `workload`
    /// (`{kind: "data-processor", item_ms}`, `{kind: "cpu-bound", work_per_item}`,
    /// `{kind: "chatty", item_ms}`) in the Created state.
    pub fn create(&self, id: JsValue, workload: JsValue) -> Result<(), JsValue> {
        let id = input::id(&id, "create")?;
        let task = self.task(&workload)?;
        self.yard
            .create(id.as_str(), task)
            .map(drop)
            .map_err(|e| error("CreateError", e))
    }

    /// Starts a Created worker on a pool thread.
    pub fn start(&self, id: JsValue) -> Result<(), JsValue> {
        let id = input::id(&id, "start")?;
        self.yard.start(&id).map_err(|e| error("ControlError", e))
    }

    /// `create` then `start`; a worker that cannot start is not kept.
    /// `options` (optional): `{mailboxCapacity, maxRestarts, restartWindowMs}`.
    pub fn spawn(&self, id: JsValue, workload: JsValue, options: JsValue) -> Result<(), JsValue> {
        let id = input::id(&id, "spawn")?;
        let task = self.task(&workload)?;
        let options = worker_options(&options)?;
        self.yard
            .spawn_with(id.as_str(), options, task)
            .map(drop)
            .map_err(|e| match e {
                SpawnError::Create(e) => error("CreateError", e),
                SpawnError::Start(e) => error("ControlError", e),
                other => error("SpawnError", other),
            })
    }

    /// Asks a worker to pause at its next pause point.
    pub fn pause(&self, id: JsValue) -> Result<(), JsValue> {
        let id = input::id(&id, "pause")?;
        self.yard.pause(&id).map_err(|e| error("ControlError", e))
    }

    /// Resumes a paused worker.
    pub fn resume(&self, id: JsValue) -> Result<(), JsValue> {
        let id = input::id(&id, "resume")?;
        self.yard.resume(&id).map_err(|e| error("ControlError", e))
    }

    /// Asks a worker to stop.
    pub fn stop(&self, id: JsValue) -> Result<(), JsValue> {
        let id = input::id(&id, "stop")?;
        self.yard.stop(&id).map_err(|e| error("ControlError", e))
    }

    /// Forgets a finished worker; returns its final figures.
    pub fn remove(&self, id: JsValue) -> Result<JsValue, JsValue> {
        let id = input::id(&id, "remove")?;
        let last = self
            .yard
            .remove(&id)
            .map_err(|e| error("ControlError", e))?;
        to_js(&last)
    }

    /// Queues a message (a string, or any JSON value, sent as JSON text; at
    /// most 65,536 characters either way).
    pub fn send(&self, id: JsValue, message: JsValue) -> Result<(), JsValue> {
        let id = input::id(&id, "send")?;
        let text = message_text(&message, "send(id, message): message")?;
        self.yard.send(&id, text).map_err(|e| error("SendError", e))
    }

    /// Sends a copy to every worker; returns `{recipients: [{id, outcome}]}`.
    pub fn broadcast(&self, message: JsValue) -> Result<JsValue, JsValue> {
        let text = message_text(&message, "broadcast(message): message")?;
        let report = self.yard.broadcast(text);
        to_js(&report)
    }

    /// Every worker's state and figures.
    pub fn snapshot(&self) -> Result<JsValue, JsValue> {
        to_js(&self.yard.snapshot())
    }

    /// At most 1,000 events from position `since` (0, or left out, for the
    /// oldest kept): `{events, missed, next, more}`. Pass `next` to the next
    /// call; `more` is true when the page was full and more may follow.
    pub fn events(&self, since: JsValue) -> Result<JsValue, JsValue> {
        let since = if since.is_undefined() {
            0
        } else {
            let n = input::number(&since, "events(since): since")?;
            if n < 0.0 || n.fract() != 0.0 || n > MAX_SAFE_INTEGER {
                return Err(error(
                    "OptionsError",
                    format_args!(
                        "events(since): since {n} is not a position: pass 0 or the `next` of the previous page"
                    ),
                ));
            }
            n as u64
        };
        let page = self.yard.events_page(since, EVENTS_PER_PAGE);
        let more = page.events.len() == EVENTS_PER_PAGE;
        // As JSON text parsed by the engine: one crossing for the page,
        // where a value at a time is a crossing per field.
        let text =
            serde_json::to_string(&Page { page, more }).map_err(|e| error("SerializeError", e))?;
        js_sys::JSON::parse(&text).map_err(|e| retyped(e, "SerializeError"))
    }

    /// Stops everything; resolves to the shutdown report when all workers
    /// have finished or after `timeout_ms`, whichever comes first.
    pub fn shutdown(&self, timeout_ms: JsValue) -> Result<Promise, JsValue> {
        let deadline = timeout(input::timeout_ms(
            &timeout_ms,
            "shutdown(timeoutMs): timeoutMs",
        )?);
        // A held workload reaches no pause point: shutdown lets go first.
        self.pace.release();
        let yard = Rc::clone(&self.yard);
        Ok(future_to_promise(AssertUnwindSafe(async move {
            let report = yard.shutdown_async(deadline).await;
            to_js(&report)
        })))
    }

    /// Resolves to the worker's final state, or `null` after `timeout_ms`.
    pub fn join(&self, id: JsValue, timeout_ms: JsValue) -> Result<Promise, JsValue> {
        let id = input::id(&id, "join")?;
        let deadline = timeout(input::timeout_ms(
            &timeout_ms,
            "join(id, timeoutMs): timeoutMs",
        )?);
        let yard = Rc::clone(&self.yard);
        Ok(future_to_promise(AssertUnwindSafe(async move {
            let state = yard
                .join_async(&id, deadline)
                .await
                .map_err(|e| error("ControlError", e))?;
            to_js(&state)
        })))
    }

    /// Resolves to `state` once the worker is in it (`"paused"`, `"stopped"`...),
    /// or to `null` after `timeout_ms`. Race-free, unlike checking a snapshot
    /// and then awaiting `changed()`.
    #[wasm_bindgen(js_name = waitForState)]
    pub fn wait_for_state(
        &self,
        id: JsValue,
        state: JsValue,
        timeout_ms: JsValue,
    ) -> Result<Promise, JsValue> {
        let id = input::id(&id, "waitForState")?;
        let wanted = input::string(&state, "waitForState(id, state): state", 32)?;
        let wanted: WorkerState = serde_json::from_value(serde_json::Value::String(wanted))
            .map_err(|e| error("StateError", e))?;
        let deadline = timeout(input::timeout_ms(
            &timeout_ms,
            "waitForState(id, state, timeoutMs): timeoutMs",
        )?);
        let yard = Rc::clone(&self.yard);
        Ok(future_to_promise(AssertUnwindSafe(async move {
            let reached = yard
                .wait_for_state_async(&id, deadline, |s| s == wanted)
                .await
                .map_err(|e| error("ControlError", e))?;
            to_js(&reached)
        })))
    }

    /// Resolves at the next state change of any worker, and at once after
    /// `shutdown` (nothing is left to wait for). Create it before looking at
    /// what you wait for (or use `waitForState`).
    pub fn changed(&self) -> Promise {
        if self.yard.is_shut_down() {
            return Promise::resolve(&JsValue::UNDEFINED);
        }
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
    fn task(&self, workload: &JsValue) -> Result<Task<String>, JsValue> {
        let workload = input::json(workload, "workload", "WorkloadError", SMALL)?;
        let workload: Workload =
            serde_json::from_value(workload).map_err(|e| error("WorkloadError", e))?;
        workload
            .task_paced(&self.pace)
            .map_err(|e| error("WorkloadError", e))
    }
}

/// What `events` answers: the core's page and whether it was full.
#[derive(Serialize)]
struct Page {
    #[serde(flatten)]
    page: threadyard::EventPage,
    more: bool,
}

/// Events per `events` call: a page costs about a millisecond to hand over.
const EVENTS_PER_PAGE: usize = 1000;
/// The largest position a JS number holds exactly.
const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
/// The longest message, in characters (as a string or as JSON text).
pub const MAX_MESSAGE_LEN: usize = 65_536;
/// Options and workloads are a handful of fields.
const SMALL: input::Budget = input::Budget {
    depth: 8,
    nodes: 64,
    text: 1024,
};

/// Reads an options object; `undefined` or `null` means every default.
fn options_from_js<T: serde::de::DeserializeOwned + Default>(
    value: &JsValue,
    what: &str,
) -> Result<T, JsValue> {
    if value.is_undefined() || value.is_null() {
        return Ok(T::default());
    }
    let json = input::json(value, what, "OptionsError", SMALL)?;
    serde_json::from_value(json).map_err(|e| error("OptionsError", format_args!("{what}: {e}")))
}

/// Reads `spawn`'s options.
fn worker_options(options: &JsValue) -> Result<WorkerOptions, JsValue> {
    let options: SpawnOptions = options_from_js(options, "spawn options")?;
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

pub(crate) fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| error("SerializeError", e))
}

/// A message's text: a string as it is, any other JSON value as its JSON
/// text; at most [`MAX_MESSAGE_LEN`] characters either way (`SendError`).
fn message_text(message: &JsValue, what: &str) -> Result<String, JsValue> {
    if message.is_string() {
        return input::string(message, what, MAX_MESSAGE_LEN).map_err(|e| retyped(e, "SendError"));
    }
    let budget = input::Budget {
        depth: 64,
        nodes: 10_000,
        text: MAX_MESSAGE_LEN,
    };
    let text = input::json(message, what, "SendError", budget)?.to_string();
    if text.len() > 4 * MAX_MESSAGE_LEN {
        return Err(error(
            "SendError",
            format_args!(
                "{what} is {} bytes as JSON: at most {} characters",
                text.len(),
                MAX_MESSAGE_LEN
            ),
        ));
    }
    Ok(text)
}

/// `error` with its `name` set to `kind`.
fn retyped(error: JsValue, kind: &str) -> JsValue {
    if let Some(e) = error.dyn_ref::<js_sys::Error>() {
        e.set_name(kind);
    }
    error
}

/// Resolves after `timeout_ms` through `setTimeout` (on the main thread and
/// in workers alike). gloo-timers would do, but it does not build with
/// `panic=unwind` yet (gloo PR #562 is unreleased).
pub(crate) fn timeout(timeout_ms: f64) -> JsFuture {
    // Checked by the caller; clamped again so no value can reach setTimeout
    // outside what it takes (2^31-1 ms, about 24.8 days).
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
