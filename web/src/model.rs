//! What the UI reads from the threads module, as plain data.

use serde::Deserialize;
use wasm_bindgen::JsValue;

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Snapshot {
    pub at_ms: f64,
    pub workers: Vec<WorkerView>,
    pub live_threads: usize,
    pub capacity: Option<usize>,
    pub shut_down: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WorkerView {
    pub id: String,
    pub state: String,
    pub tasks_completed: u64,
    pub busy_ms: f64,
    pub paused_ms: f64,
    pub pause_count: u64,
    pub pause_pending_ms: Option<f64>,
    pub errors: u64,
    pub restarts: u64,
    pub mailbox: MailboxView,
    pub last_error: Option<String>,
}

impl WorkerView {
    pub fn finished(&self) -> bool {
        matches!(self.state.as_str(), "stopped" | "failed")
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct MailboxView {
    pub capacity: usize,
    pub depth: usize,
    pub high_water: usize,
    pub sent: u64,
    pub received: u64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventPage {
    pub events: Vec<EventView>,
    pub next: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct EventView {
    pub at_us: f64,
    pub worker: Option<String>,
    pub kind: String,
    #[serde(default)]
    pub error: Option<String>,
    /// For "paused": whether the worker paused itself.
    #[serde(default)]
    pub by_itself: Option<bool>,
    /// For "broadcast": mailboxes that took it, and full ones.
    #[serde(default)]
    pub delivered: Option<usize>,
    #[serde(default)]
    pub full: Option<usize>,
    /// For "shutdown-finished".
    #[serde(default)]
    pub unresponsive: Option<usize>,
    /// For "message-sent": the sending worker, if a worker sent it.
    #[serde(default)]
    pub from: Option<String>,
}

/// A scenario, as the threads module describes it (`Threadyard.scenarios()`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScenarioView {
    pub id: String,
    pub title: String,
    pub teaches: String,
    pub look_for: String,
    pub mailbox_capacity: usize,
    pub cast: Vec<CastView>,
    pub script: Vec<StepView>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct CastView {
    pub id: String,
    pub workload: serde_json::Value,
    pub max_restarts: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StepView {
    pub at_ms: f64,
    pub command: CommandView,
    pub says: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "do", rename_all = "kebab-case")]
pub enum CommandView {
    Send { to: String, message: String },
    Pause { worker: String },
    Resume { worker: String },
    Broadcast { message: String },
    WaitAll { timeout_ms: f64 },
    Shutdown { timeout_ms: f64 },
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Report {
    pub clean: Vec<String>,
    pub failed: Vec<FailedView>,
    pub unresponsive: Vec<String>,
    pub undelivered_messages: u64,
    pub elapsed_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FailedView {
    pub id: String,
    pub error: String,
}

/// Reads a value the threads module returned.
pub fn read<T: serde::de::DeserializeOwned>(value: JsValue) -> Result<T, String> {
    serde_wasm_bindgen::from_value(value)
        .map_err(|e| format!("unexpected data from the threads module: {e}"))
}
