//! The browser's main thread never blocks: every call the UI makes returns
//! while workers are paused, blocked in a receive, chatting and hammering a
//! shared lock, and the page's event loop keeps turning between calls.
//!
//! `run_in_browser` runs this on the page's main thread, where any
//! `Atomics.wait` would throw: the test passing is the proof that no call
//! waited.

#![cfg(target_arch = "wasm32")]

use js_sys::Promise;
use serde::Serialize;
use serde_json::{json, Value};
use threadyard_web::{init_thread_pool, Threadyard};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn js(value: Value) -> JsValue {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .unwrap()
}

fn rust(value: JsValue) -> Value {
    serde_wasm_bindgen::from_value(value).unwrap()
}

/// One turn of the event loop: resolves only if the main thread is free.
async fn tick() {
    let window = web_sys::window().unwrap();
    let promise = Promise::new(&mut |resolve, _| {
        window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, 0)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

/// Starts the page's pool of Web Workers once for all tests.
async fn pool() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static STARTED: AtomicBool = AtomicBool::new(false);
    if !STARTED.swap(true, Ordering::SeqCst) {
        JsFuture::from(init_thread_pool(6.into()).unwrap())
            .await
            .unwrap();
    }
}

/// Worker `id` in a fresh snapshot.
fn worker(yard: &Threadyard, id: &str) -> Value {
    let snapshot = rust(yard.snapshot().unwrap());
    snapshot["workers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == id)
        .cloned()
        .unwrap_or_else(|| panic!("no worker {id} in the snapshot"))
}

fn state(yard: &Threadyard, id: &str) -> String {
    worker(yard, id)["state"].as_str().unwrap().to_owned()
}

/// `spawn` with the default options.
fn spawn(yard: &Threadyard, id: &str, workload: JsValue) -> Result<(), JsValue> {
    yard.spawn(id.into(), workload, JsValue::UNDEFINED)
}

/// Resolves `promise` (the API's waits hand back Promises).
async fn settle(promise: Result<Promise, JsValue>) -> JsValue {
    JsFuture::from(promise.unwrap()).await.unwrap()
}

fn error_name(error: JsValue) -> String {
    error.dyn_into::<js_sys::Error>().unwrap().name().into()
}

#[wasm_bindgen_test]
async fn every_call_returns_and_the_event_loop_keeps_turning() {
    assert!(
        web_sys::window().is_some(),
        "this runs on the page's main thread"
    );
    pool().await;
    let yard = Threadyard::new(js(json!({"mailboxCapacity": 8}))).unwrap();

    spawn(
        &yard,
        "paused",
        js(json!({"kind": "data-processor", "item_ms": 1})),
    )
    .unwrap();
    spawn(
        &yard,
        "receiving",
        js(json!({"kind": "data-processor", "item_ms": 60000})),
    )
    .unwrap();
    spawn(
        &yard,
        "chatty_a",
        js(json!({"kind": "chatty", "item_ms": 0.1})),
    )
    .unwrap();
    spawn(
        &yard,
        "chatty_b",
        js(json!({"kind": "chatty", "item_ms": 0.1})),
    )
    .unwrap();
    // Reads its mailbox after every tiny item: its mailbox lock is hammered
    // by it and by the main thread's sends below.
    spawn(
        &yard,
        "hammer",
        js(json!({"kind": "cpu-bound", "work_per_item": 1})),
    )
    .unwrap();

    yard.pause("paused".into()).unwrap();
    let reached = JsFuture::from(
        yard.wait_for_state(
            "paused".into(),
            JsValue::from_str("paused"),
            10_000.0.into(),
        )
        .unwrap(),
    );
    assert_eq!(
        reached.await.unwrap().as_string().as_deref(),
        Some("paused")
    );
    let bad_state = yard.wait_for_state("paused".into(), JsValue::from_str("asleep"), 1.0.into());
    assert_eq!(error_name(bad_state.err().unwrap()), "StateError");

    let mut ticks = 0;
    let mut since = 0.0;
    for round in 0..100 {
        let snapshot = rust(yard.snapshot().unwrap());
        assert_eq!(snapshot["workers"].as_array().unwrap().len(), 5);
        let page = rust(yard.events(since.into()).unwrap());
        since = page["next"].as_f64().unwrap();
        // A full mailbox is refused, never waited on.
        match yard.send("hammer".into(), JsValue::from_str("noise")) {
            Ok(()) => {}
            Err(e) => assert_eq!(error_name(e), "SendError"),
        }
        let report = rust(yard.broadcast(JsValue::from_str("noise")).unwrap());
        assert_eq!(report["recipients"].as_array().unwrap().len(), 5);
        yard.pause("chatty_a".into()).unwrap();
        yard.resume("chatty_a".into()).unwrap();
        if round % 25 == 0 {
            spawn(
                &yard,
                "extra",
                js(json!({"kind": "data-processor", "item_ms": 5})),
            )
            .unwrap();
            yard.stop("extra".into()).unwrap();
            let joined = settle(yard.join("extra".into(), 10_000.0.into())).await;
            assert_eq!(joined.as_string().as_deref(), Some("stopped"));
            yard.remove("extra".into()).unwrap();
        }
        tick().await;
        ticks += 1;
    }
    assert_eq!(ticks, 100);
    assert_eq!(state(&yard, "paused"), "paused");

    // Bad calls throw typed errors; nothing traps.
    assert_eq!(
        error_name(yard.resume("receiving".into()).unwrap_err()),
        "ControlError"
    );
    assert_eq!(
        error_name(yard.pause("ghost".into()).unwrap_err()),
        "ControlError"
    );
    let duplicate = spawn(
        &yard,
        "paused",
        js(json!({"kind": "data-processor", "item_ms": 1})),
    );
    assert_eq!(error_name(duplicate.unwrap_err()), "CreateError");
    assert_eq!(
        error_name(
            yard.send("ghost".into(), JsValue::from_str("x"))
                .unwrap_err()
        ),
        "SendError"
    );
    let bad = spawn(
        &yard,
        "bad",
        js(json!({"kind": "data-processor", "item_ms": 0})),
    );
    assert_eq!(error_name(bad.unwrap_err()), "WorkloadError");
    let misspelt = spawn(
        &yard,
        "bad",
        js(json!({"kind": "data-processor", "item_ms": 5, "itemMs": 5})),
    );
    assert_eq!(error_name(misspelt.unwrap_err()), "WorkloadError");
    let unknown = spawn(&yard, "bad", js(json!({"kind": "juggler"})));
    assert_eq!(error_name(unknown.unwrap_err()), "WorkloadError");
    assert_eq!(
        error_name(
            Threadyard::new(js(json!({"mailboxCapacity": 0})))
                .err()
                .unwrap()
        ),
        "OptionsError"
    );
    assert_eq!(
        error_name(Threadyard::new(js(json!({"colour": "red"}))).err().unwrap()),
        "OptionsError"
    );

    // A message that is not a string travels as its JSON text: the data
    // processor records what it does not understand, quoting it, and reads
    // in order, so once "shutdown" has ended it the JSON has been recorded.
    // (The chatty workers message every peer, so they stop first.)
    for id in ["chatty_a", "chatty_b"] {
        yard.stop(id.into()).unwrap();
        settle(yard.join(id.into(), 10_000.0.into())).await;
    }
    spawn(
        &yard,
        "json",
        js(json!({"kind": "data-processor", "item_ms": 60000})),
    )
    .unwrap();
    yard.send("json".into(), js(json!({"colour": "red"})))
        .unwrap();
    yard.send("json".into(), JsValue::from_str("shutdown"))
        .unwrap();
    let joined = settle(yard.join("json".into(), 10_000.0.into())).await;
    assert_eq!(joined.as_string().as_deref(), Some("stopped"));
    let json_worker = worker(&yard, "json");
    let noted = json_worker["last_error"].as_str().unwrap();
    assert!(noted.contains(r#"{\"colour\":\"red\"}"#), "{noted}");

    // Shutdown resolves through the event loop.
    let report = rust(settle(yard.shutdown(10_000.0.into())).await);
    let mut clean: Vec<&str> = report["clean"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    clean.sort_unstable();
    assert_eq!(
        clean,
        [
            "chatty_a",
            "chatty_b",
            "hammer",
            "json",
            "paused",
            "receiving"
        ]
    );
    assert_eq!(report["unresponsive"], json!([]));
}

#[wasm_bindgen_test]
async fn the_page_reports_unavailable_cpu_time_not_zero() {
    pool().await;
    let yard = Threadyard::new(JsValue::UNDEFINED).unwrap();
    spawn(
        &yard,
        "w",
        js(json!({"kind": "cpu-bound", "work_per_item": 1000})),
    )
    .unwrap();
    yard.send("w".into(), JsValue::from_str("shutdown"))
        .unwrap();
    settle(yard.join("w".into(), 10_000.0.into())).await;
    let worker = &rust(yard.snapshot().unwrap())["workers"][0];
    assert_eq!(worker["cpu_time_ms"], Value::Null);
    assert!(worker["cpu_clock"]
        .as_str()
        .unwrap()
        .starts_with("unavailable"));
    assert!(worker["busy_ms"].as_f64().unwrap() >= 0.0);
}

#[wasm_bindgen_test]
async fn starting_past_the_pool_is_refused_not_queued() {
    pool().await;
    let yard = Threadyard::new(JsValue::UNDEFINED).unwrap();
    let free = 6 - rust(yard.snapshot().unwrap())["live_threads"]
        .as_u64()
        .unwrap();
    for i in 0..free {
        spawn(
            &yard,
            &format!("w{i}"),
            js(json!({"kind": "data-processor", "item_ms": 50})),
        )
        .unwrap();
    }
    let refused = spawn(
        &yard,
        "one-too-many",
        js(json!({"kind": "data-processor", "item_ms": 50})),
    );
    let error = refused.unwrap_err().dyn_into::<js_sys::Error>().unwrap();
    assert_eq!(String::from(error.name()), "ControlError");
    assert!(
        String::from(error.message()).contains("threads are busy"),
        "{:?}",
        error.message()
    );
    // Not kept, and capacity comes back when a worker ends.
    assert_eq!(
        rust(yard.snapshot().unwrap())["workers"]
            .as_array()
            .unwrap()
            .len() as u64,
        free
    );
    yard.stop("w0".into()).unwrap();
    settle(yard.join("w0".into(), 10_000.0.into())).await;
    spawn(
        &yard,
        "one-too-many",
        js(json!({"kind": "data-processor", "item_ms": 50})),
    )
    .unwrap();
    let report = rust(settle(yard.shutdown(10_000.0.into())).await);
    assert_eq!(report["unresponsive"], json!([]));
}

#[wasm_bindgen_test]
async fn the_teaching_api_scenarios_speed_restarts_and_trace() {
    pool().await;
    let scenarios = rust(Threadyard::scenarios().unwrap());
    let scenarios = scenarios.as_array().unwrap();
    assert!(scenarios.len() >= 4);
    assert!(scenarios[0]["title"].as_str().unwrap().contains("Seed"));
    assert_eq!(scenarios[0]["script"][0]["command"]["do"], "send");

    let yard = Threadyard::new(js(json!({"speed": 4, "recordMessages": true}))).unwrap();
    assert_eq!(yard.speed(), 4.0);
    assert_eq!(
        error_name(yard.set_speed(0.0.into()).unwrap_err()),
        "SpeedError"
    );
    assert_eq!(yard.speed(), 4.0, "a refused speed changes nothing");
    yard.set_speed(10.0.into()).unwrap();
    assert_eq!(
        error_name(Threadyard::new(js(json!({"speed": 500}))).err().unwrap()),
        "OptionsError"
    );

    let flaky = js(json!({"kind": "flaky", "item_ms": 1, "fail_every": 2}));
    for bad in [
        json!({"maxRestart": 1}),
        json!({"restartWindowMs": 5}),
        json!({"maxRestarts": 1, "restartWindowMs": 0}),
        json!({"maxRestarts": 1, "restartWindowMs": -5}),
        json!({"maxRestarts": 1, "restartWindowMs": 1e300}),
    ] {
        let refused = yard.spawn("flaky".into(), flaky.clone(), js(bad));
        assert_eq!(error_name(refused.unwrap_err()), "OptionsError");
    }
    yard.spawn("flaky".into(), flaky, js(json!({"maxRestarts": 1})))
        .unwrap();
    let end = settle(yard.join("flaky".into(), 10_000.0.into())).await;
    assert_eq!(end.as_string().as_deref(), Some("failed"));
    assert_eq!(worker(&yard, "flaky")["restarts"], 1);

    spawn(
        &yard,
        "steady",
        js(json!({"kind": "data-processor", "item_ms": 5})),
    )
    .unwrap();
    yard.send("steady".into(), JsValue::from_str("shutdown"))
        .unwrap();
    settle(yard.join("steady".into(), 10_000.0.into())).await;
    // A batch sleeps through its first item (2 ms at speed 10) before it
    // reads the "shutdown": a wait the trace draws under its track.
    spawn(&yard, "nap", js(json!({"kind": "batch", "item_ms": 20}))).unwrap();
    yard.send("nap".into(), JsValue::from_str("shutdown"))
        .unwrap();
    settle(yard.join("nap".into(), 10_000.0.into())).await;
    let text = JsFuture::from(yard.trace())
        .await
        .unwrap()
        .as_string()
        .unwrap();
    let trace: Value = serde_json::from_str(&text).unwrap();
    let mut tracks: Vec<&str> = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .filter(|name| !name.ends_with(": waits"))
        .collect();
    tracks.sort_unstable();
    assert_eq!(tracks, ["flaky", "manager", "nap", "steady"]);
    let events = trace["traceEvents"].as_array().unwrap();
    let naps = events
        .iter()
        .find(|e| e["name"] == "thread_name" && e["args"]["name"] == "nap: waits")
        .expect("nap's waits have a track")["tid"]
        .clone();
    assert!(events.iter().any(|e| e["ph"] == "X"
        && e["tid"] == naps
        && e["cat"] == "activity"
        && e["name"] == "sleeping in a blocking call"));
    let restarted = trace["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["name"] == "restarted")
        .count();
    assert_eq!(restarted, 1);
}
