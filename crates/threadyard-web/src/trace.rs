//! `trace()`: the event log as Chrome Trace Event JSON (with each worker's
//! recent waits), built a slice at a time so the page's main thread is
//! never held for long.
//!
//! A full log (a million events) takes about half a second to turn into a
//! trace. Here each turn of the event loop reads pages of the log for at
//! most 2 ms, adds them to the core's [`TraceBuilder`] and writes what is
//! ready as JSON text;
//! the text goes to JavaScript a slice at a time and is joined there
//! (`String.prototype.concat` joins without copying), so neither side ever
//! copies the whole file at once. The trace covers the log as it was when
//! `trace()` was called.

use std::panic::AssertUnwindSafe;
use std::rc::Rc;
use std::time::Duration;

use js_sys::{JsString, Promise};
use threadyard::trace::{TraceBuilder, TraceEvent};
use threadyard::Yard;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;
use web_time::Instant;

use crate::api::timeout;
use crate::input::error;

/// Log events read at a time; a turn reads pages until its budget is spent.
const PAGE: usize = 128;
/// How long one turn of the event loop may build for: an eighth of a frame,
/// so the page keeps painting while a long log is turned into a trace.
const TURN: Duration = Duration::from_millis(2);

#[wasm_bindgen]
extern "C" {
    /// `a.concat(b)`, which throws a RangeError past the engine's longest
    /// string (about 512 MB in Chromium): caught, so it becomes an error.
    #[wasm_bindgen(catch, js_namespace = ["String", "prototype", "concat"], js_name = call)]
    fn concat(this: &JsString, other: &JsString) -> Result<JsString, JsValue>;
}

/// `a` then `b`, or a typed error if the result is too long for a string.
fn joined(a: &JsString, b: &str) -> Result<JsString, JsValue> {
    concat(a, &JsString::from(b)).map_err(|_| {
        error(
            "SerializeError",
            "the trace is longer than the browser's longest string: use a smaller eventCapacity",
        )
    })
}

pub fn chrome_trace(yard: Rc<Yard<String>>) -> Promise {
    // Where the log ends now, and the clock now: the trace's end.
    let end = yard.events_page(u64::MAX, 0).next;
    let end_us = (yard.snapshot().at_ms * 1e3) as u64;
    // The workers' waits as they are now, with the log's end.
    let activity = yard.activity_tracks();
    future_to_promise(AssertUnwindSafe(async move {
        let mut builder = TraceBuilder::new();
        let mut body = JsString::from("");
        let mut first = true;
        let mut cursor = 0;
        let mut missed = 0;
        let mut turn = Instant::now();
        while cursor < end {
            let page = yard.events_page(cursor, PAGE.min((end - cursor) as usize));
            missed += page.missed;
            if page.events.is_empty() {
                break;
            }
            cursor = page.next;
            for event in &page.events {
                builder.record(event);
            }
            let text = json_list(&builder.drain(), &mut first)?;
            body = joined(&body, &text)?;
            if turn.elapsed() >= TURN {
                // Let the page run before the next slice.
                let _ = timeout(0.0).await;
                turn = Instant::now();
            }
        }
        for track in &activity {
            builder.activity(track);
        }
        let text = json_list(&builder.drain(), &mut first)?;
        body = joined(&body, &text)?;
        let mut trace = builder.finish(end_us, missed);
        let meta = trace
            .trace_events
            .iter()
            .take_while(|e| e.ph == "M")
            .count();
        let rest = trace.trace_events.split_off(meta);
        let mut meta_first = true;
        let meta = json_list(&trace.trace_events, &mut meta_first)?;
        let rest = json_list(&rest, &mut first)?;
        // The file's frame, from serde itself so it matches `Trace` exactly.
        trace.trace_events.clear();
        let frame = serde_json::to_string(&trace).map_err(|e| error("SerializeError", e))?;
        let (head, tail) = frame
            .split_once("[]")
            .ok_or_else(|| error("SerializeError", "the trace's frame has no event list"))?;
        let comma = if meta_first || first { "" } else { "," };
        let start = JsString::from(format!("{head}[{meta}{comma}"));
        let file = concat(&start, &body).map_err(|_| {
            error("SerializeError", "the trace is longer than the browser's longest string: use a smaller eventCapacity")
        })?;
        Ok(joined(&file, &format!("{rest}]{tail}"))?.into())
    }))
}

/// `events` as JSON list items, each after a comma unless it is the list's
/// first (`first` says whether one has been written yet).
fn json_list(events: &[TraceEvent], first: &mut bool) -> Result<String, JsValue> {
    let mut out = String::new();
    for event in events {
        if !std::mem::take(first) {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(event).map_err(|e| error("SerializeError", e))?);
    }
    Ok(out)
}
