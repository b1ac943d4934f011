//! The main-thread benchmark: how long the page's main thread is held by the
//! JavaScript API's calls with a full event log (1,048,576 events) and 64
//! busy workers, against one frame (16.7 ms at 60 Hz).
//!
//! `run_in_browser`: this runs on the page's main thread, where the calls
//! are made. Each kind of call is timed several times and its median kept;
//! the row is the kind with the worst median. `trace()` is a Promise built a
//! slice per turn of the event loop: its row is the longest gap between two
//! turns while it builds (a timer's own delay included, so an upper bound).
//!
//! The test command runs it in quick mode (8 workers, a 65,536-event log; it
//! checks that it runs); `cargo xtask bench` builds it with
//! THREADYARD_BENCH=full and reads the rows from the runner's output.

#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::rc::Rc;

use js_sys::Promise;
use serde_json::json;
use threadyard_web::{init_thread_pool, Threadyard};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_time::Instant;

wasm_bindgen_test_configure!(run_in_browser);

const FRAME_MS: f64 = 1000.0 / 60.0;

fn full() -> bool {
    option_env!("THREADYARD_BENCH") == Some("full")
}

fn js(value: serde_json::Value) -> JsValue {
    use serde::Serialize;
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap()
}

async fn tick() {
    let window = web_sys::window().unwrap();
    let promise = Promise::new(&mut |resolve, _| {
        window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// Milliseconds `call` takes, median of `times`.
fn median_ms(times: usize, mut call: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..times)
        .map(|_| {
            let t = Instant::now();
            call();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

#[wasm_bindgen_test]
async fn main_thread_calls_against_one_frame() {
    let (workers, log) = if full() {
        (64_usize, 1_usize << 20)
    } else {
        (8, 1 << 16)
    };
    JsFuture::from(init_thread_pool(((workers + 2) as f64).into()).unwrap())
        .await
        .unwrap();
    let yard = Threadyard::new(js(json!({
        "eventCapacity": log,
        "recordMessages": true,
        "mailboxCapacity": 64,
    })))
    .unwrap();
    // Fill the log first, from this thread alone: a worker registered,
    // stopped before it starts and removed is three or four events.
    let head = |yard: &Threadyard| -> f64 {
        let page: serde_json::Value =
            serde_wasm_bindgen::from_value(yard.events(1e15.into()).unwrap()).unwrap();
        page["next"].as_f64().unwrap()
    };
    let filler = JsValue::from_str("filler");
    let workload = js(json!({"kind": "data-processor", "item_ms": 5}));
    while head(&yard) < (log + 1000) as f64 {
        for _ in 0..2_000 {
            yard.create(filler.clone(), workload.clone()).unwrap();
            yard.stop(filler.clone()).unwrap();
            yard.remove(filler.clone()).unwrap();
        }
        tick().await;
    }
    let reps = if full() { 21 } else { 5 };
    // First with the workers idle (the calls' own cost), then busy.
    let idle = measure(&yard, reps, None).await;
    for i in 0..workers {
        let id = JsValue::from_str(&format!("w{i}"));
        yard.spawn(
            id.clone(),
            js(json!({"kind": "cpu-bound", "work_per_item": 1000})),
            JsValue::UNDEFINED,
        )
        .unwrap();
        let running = yard.wait_for_state(id, "running".into(), 60_000.0.into());
        JsFuture::from(running.unwrap()).await.unwrap();
    }
    let busy = measure(&yard, reps, Some(JsValue::from_str("w0"))).await;
    let shutdown_call = {
        let t = Instant::now();
        let report = yard.shutdown(10_000.0.into()).unwrap();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        JsFuture::from(report).await.unwrap();
        ms
    };

    let row = |what: String, ms: f64| {
        let ratio = ms / FRAME_MS;
        format!(
            "| {what} | {ms:.2} ms | one frame: {FRAME_MS:.1} ms | {ratio:.2}x | ≤ 1x | {} |",
            if ratio <= 1.0 { "yes" } else { "**no**" }
        )
    };
    let events = if full() { "1,048,576" } else { "65,536" };
    let mut lines = vec![
        "| on the page's main thread | threadyard | baseline | ratio | target | met |".to_owned(),
        "|---|---|---|---|---|---|".to_owned(),
    ];
    for (setting, m) in [
        (format!("{events} events in the log, workers idle"), &idle),
        (
            format!("{events} events in the log, {workers} busy workers"),
            &busy,
        ),
    ] {
        let (worst, worst_ms) = m.worst();
        lines.push(row(
            format!("worst main-thread call, median of {reps} (`{worst}`), {setting}"),
            worst_ms,
        ));
        lines.push(row(
            format!(
                "`trace()`: longest turn of the event loop while it builds ({:.0} ms in all), {setting}",
                m.trace_ms
            ),
            m.longest_turn,
        ));
        lines.push(row(
            format!("the floor: longest turn of the event loop alone (50 turns), {setting}"),
            m.floor,
        ));
    }
    for line in &lines {
        console_log!("{line}");
    }
    for (setting, m) in [("idle", &idle), ("busy", &busy)] {
        for (what, ms) in &m.calls {
            console_log!("main-thread call, workers {setting}: {what}: median {ms:.3} ms");
        }
    }
    console_log!("main-thread call: shutdown(timeoutMs), the call: {shutdown_call:.3} ms");
}

/// What one round of measurements found.
struct Measured {
    calls: Vec<(&'static str, f64)>,
    longest_turn: f64,
    trace_ms: f64,
    /// The longest turn of the event loop alone, over 50 turns.
    floor: f64,
}

impl Measured {
    fn worst(&self) -> (&'static str, f64) {
        self.calls
            .iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap()
    }
}

/// Times each kind of call `reps` times (median), and `trace()`'s turns.
/// `worker` is a running worker to pause, resume and message.
async fn measure(yard: &Threadyard, reps: usize, worker: Option<JsValue>) -> Measured {
    let mut calls: Vec<(&'static str, f64)> = Vec::new();
    calls.push((
        "snapshot()",
        median_ms(reps, || drop(yard.snapshot().unwrap())),
    ));
    calls.push((
        "events(0)",
        median_ms(reps, || drop(yard.events(0.0.into()).unwrap())),
    ));
    calls.push((
        "broadcast(message)",
        median_ms(reps, || drop(yard.broadcast("noise".into()).unwrap())),
    ));
    if let Some(id) = worker {
        calls.push((
            "send(id, message)",
            median_ms(reps, || drop(yard.send(id.clone(), "noise".into()))),
        ));
        calls.push((
            "pause(id) + resume(id)",
            median_ms(reps, || {
                let _ = yard.pause(id.clone());
                let _ = yard.resume(id.clone());
            }),
        ));
    }
    calls.push((
        "setSpeed(speed)",
        median_ms(reps, || yard.set_speed(1.0.into()).unwrap()),
    ));
    let spare = Threadyard::new(JsValue::UNDEFINED).unwrap();
    let mut n = 0;
    calls.push((
        "spawn(id, workload) + stop(id)",
        median_ms(reps, || {
            n += 1;
            let id = JsValue::from_str(&format!("s{n}"));
            let _ = spare.spawn(
                id.clone(),
                js(json!({"kind": "data-processor", "item_ms": 5})),
                JsValue::UNDEFINED,
            );
            let _ = spare.stop(id);
        }),
    ));
    drop(JsFuture::from(spare.shutdown(10_000.0.into()).unwrap()).await);
    calls.push(("trace(): the call", median_ms(1, || drop(yard.trace()))));

    // The floor: the longest gap between turns of an event loop with
    // nothing else to do, in the same conditions.
    let mut floor = 0.0_f64;
    for _ in 0..50 {
        let t = Instant::now();
        tick().await;
        floor = floor.max(t.elapsed().as_secs_f64() * 1e3);
    }

    // trace()'s slices: the longest gap between turns while it builds.
    let gaps = Rc::new(std::cell::RefCell::new(Vec::new()));
    let done = Rc::new(Cell::new(false));
    wasm_bindgen_futures::spawn_local({
        let (gaps, done) = (Rc::clone(&gaps), Rc::clone(&done));
        async move {
            while !done.get() {
                let t = Instant::now();
                tick().await;
                gaps.borrow_mut().push(t.elapsed().as_secs_f64() * 1e3);
            }
        }
    });
    let started = Instant::now();
    let text = JsFuture::from(yard.trace()).await.unwrap();
    let trace_ms = started.elapsed().as_secs_f64() * 1e3;
    done.set(true);
    tick().await;
    assert!(text.as_string().unwrap().starts_with("{\"traceEvents\":["));
    let mut gaps = gaps.take();
    gaps.sort_by(f64::total_cmp);
    let over = gaps.iter().filter(|g| **g > FRAME_MS).count();
    console_log!(
        "trace(): {} turns, {over} over one frame, median {:.2} ms, p99 {:.2} ms, longest {:.2} ms",
        gaps.len(),
        gaps.get(gaps.len() / 2).copied().unwrap_or(0.0),
        gaps.get(gaps.len() * 99 / 100).copied().unwrap_or(0.0),
        gaps.last().copied().unwrap_or(0.0)
    );
    Measured {
        calls,
        longest_turn: gaps.last().copied().unwrap_or(0.0),
        trace_ms,
        floor,
    }
}
