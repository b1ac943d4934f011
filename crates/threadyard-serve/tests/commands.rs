//! Commands over a real WebSocket, where the program allowed them: each
//! answered ok with its result, and done to the manager.

mod common;

use std::sync::Arc;

use common::*;
use serde_json::{json, Value};
use threadyard::{WorkerState, Yard};
use threadyard_serve::{serve, ServeOptions};

#[test]
fn pause_resume_send_broadcast_stop_remove_and_shutdown_do_what_they_say() {
    let yard = yard(3);
    let server = serve(&yard, ServeOptions::new().allow_commands(true)).expect("serving");
    let mut client = connect(&server);
    let hello = next(&mut client);
    assert_eq!(hello["settings"]["commands"], true);

    let ok = |answer: Value| {
        assert_eq!(answer["type"], "ok", "{answer}");
        answer["result"].clone()
    };
    ok(ask(
        &mut client,
        json!({"id": 1, "cmd": "pause", "worker": "worker_0"}),
    ));
    yard.wait_for_state("worker_0", LONG, |s| s == WorkerState::Paused)
        .expect("paused by the command");
    until(&mut client, |f| {
        f["type"] == "snapshot" && f["snapshot"]["workers"][0]["state"] == "paused"
    });
    ok(ask(
        &mut client,
        json!({"id": 2, "cmd": "resume", "worker": "worker_0"}),
    ));
    yard.wait_for_state("worker_0", LONG, |s| s == WorkerState::Running)
        .expect("resumed");

    // The data processor asks for its own pause on the message "pause".
    ok(ask(
        &mut client,
        json!({"id": 3, "cmd": "send", "worker": "worker_1", "message": "pause"}),
    ));
    yard.wait_for_state("worker_1", LONG, |s| s == WorkerState::Paused)
        .expect("it read the message");
    ok(ask(
        &mut client,
        json!({"id": 4, "cmd": "stop", "worker": "worker_1"}),
    ));
    yard.join("worker_1", LONG).expect("stopped");
    let removed = ok(ask(
        &mut client,
        json!({"id": 5, "cmd": "remove", "worker": "worker_1"}),
    ));
    assert_eq!(removed["id"], "worker_1");
    assert!(yard.worker("worker_1").is_err(), "forgotten");

    let report = ok(ask(
        &mut client,
        json!({"id": 6, "cmd": "broadcast", "message": "shutdown"}),
    ));
    assert_eq!(report["recipients"].as_array().unwrap().len(), 2);
    assert!(
        yard.join_all(LONG).is_empty(),
        "every worker read \"shutdown\""
    );
    let report = ok(ask(
        &mut client,
        json!({"id": 7, "cmd": "shutdown", "timeout_ms": 1000}),
    ));
    assert_eq!(report["clean"], json!(["worker_0", "worker_2"]));
    assert!(yard.is_shut_down());
    let answer = ask(
        &mut client,
        json!({"id": 8, "cmd": "pause", "worker": "worker_0"}),
    );
    assert_eq!(answer["error"], "invalid-transition", "{answer}");
}

#[test]
fn messages_of_another_type_need_the_callers_decoder() {
    let yard = Arc::new(Yard::<u32>::new());
    yard.spawn("w", |w| loop {
        if w.recv()? == 0 {
            return Ok(());
        }
    })
    .expect("spawned");
    let server = serve(&yard, ServeOptions::new().allow_commands(true)).expect("serving");
    let mut client = connect(&server);
    assert_eq!(next(&mut client)["settings"]["messages"], false);
    let answer = ask(
        &mut client,
        json!({"id": 1, "cmd": "send", "worker": "w", "message": 0}),
    );
    assert_eq!(answer["error"], "no-decoder");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("ServeOptions::decoder"));
    let answer = ask(
        &mut client,
        json!({"id": 2, "cmd": "broadcast", "message": 0}),
    );
    assert_eq!(answer["error"], "no-decoder");
    assert_eq!(yard.state("w").unwrap(), WorkerState::Running, "unchanged");

    let decoded = serve(
        &yard,
        ServeOptions::new()
            .allow_commands(true)
            .decoder(|v: &Value| {
                v.as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| format!("{v} is not a u32"))
            }),
    )
    .expect("serving");
    let mut client = connect(&decoded);
    assert_eq!(next(&mut client)["settings"]["messages"], true);
    let answer = ask(
        &mut client,
        json!({"id": 3, "cmd": "send", "worker": "w", "message": "zero"}),
    );
    assert_eq!(answer["error"], "bad-message");
    let answer = ask(
        &mut client,
        json!({"id": 4, "cmd": "send", "worker": "w", "message": 0}),
    );
    assert_eq!(answer["type"], "ok");
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
}
