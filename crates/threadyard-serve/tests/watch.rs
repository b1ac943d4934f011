//! Watching a running manager over a real WebSocket: the hello, snapshots
//! and events arrive; a client that reconnects from its cursor loses and
//! repeats nothing; a stalled client slows no other.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use serde_json::Value;
use threadyard::WorkerState;
use threadyard_serve::{serve, ServeOptions, PROTOCOL_VERSION};
use tungstenite::Message;

/// The event positions in an `events` frame.
fn seqs(frame: &Value) -> Vec<u64> {
    frame["page"]["events"]
        .as_array()
        .expect("events")
        .iter()
        .map(|e| e["seq"].as_u64().expect("a seq"))
        .collect()
}

#[test]
fn a_client_gets_the_hello_then_events_and_snapshots_of_the_running_manager() {
    let yard = yard(3);
    let server = serve(&yard, ServeOptions::new()).expect("serving");
    assert!(server.addr().ip().is_loopback());
    assert!(server
        .link()
        .starts_with(&format!("ws://{}/?token=", server.addr())));
    assert!(server
        .app_link()
        .starts_with("http://127.0.0.1:8080/?attach=ws%3A%2F%2F127.0.0.1%3A"));

    let mut client = connect(&server);
    let hello = next(&mut client);
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["protocol"], PROTOCOL_VERSION);
    assert_eq!(hello["from"], 0);
    assert_eq!(hello["settings"]["commands"], false, "read-only by default");
    assert_eq!(hello["settings"]["messages"], true, "a Yard<String>");

    let events = until(&mut client, |f| f["type"] == "events");
    assert_eq!(events["page"]["missed"], 0);
    let kinds: Vec<&str> = events["page"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    // Worker_0's creation first (its Started is logged by its own thread,
    // possibly after the next worker's creation).
    assert_eq!(kinds[0], "created");
    assert_eq!(events["page"]["events"][0]["worker"], "worker_0");
    let snapshot = until(&mut client, |f| f["type"] == "snapshot");
    assert_eq!(snapshot["skipped"], 0);
    let workers = snapshot["snapshot"]["workers"].as_array().unwrap();
    let ids: Vec<&str> = workers.iter().map(|w| w["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["worker_0", "worker_1", "worker_2"]);
    assert!(workers.iter().all(|w| w["state"] == "running"));

    // Snapshots go on arriving, and follow what the workers do.
    let tasks = |f: &Value| f["snapshot"]["workers"][0]["tasks_completed"].as_u64();
    let first = tasks(&snapshot).unwrap();
    until(&mut client, |f| {
        f["type"] == "snapshot" && tasks(f).is_some_and(|t| t > first)
    });
    yard.pause("worker_1").unwrap();
    until(&mut client, |f| {
        f["type"] == "snapshot" && f["snapshot"]["workers"][1]["state"] == "paused"
    });
}

#[test]
fn a_client_that_reconnects_from_its_cursor_loses_and_repeats_no_event() {
    let yard = yard(2);
    let server = serve(&yard, ServeOptions::new()).expect("serving");
    let mut seen: Vec<u64> = Vec::new();

    let mut client = connect(&server);
    let first = until(&mut client, |f| f["type"] == "events");
    seen.extend(seqs(&first));
    let mut cursor = first["page"]["next"].as_u64().unwrap();
    // Events happen while it is away.
    drop(client);
    for round in 0..3 {
        yard.pause("worker_0").unwrap();
        yard.wait_for_state("worker_0", LONG, |s| s == WorkerState::Paused)
            .unwrap();
        yard.resume("worker_0").unwrap();
        let link = format!("{}&from={cursor}", server.link());
        let mut again = open(&link, None).expect("reconnected");
        assert_eq!(next(&mut again)["from"], cursor, "round {round}");
        let frame = until(&mut again, |f| f["type"] == "events");
        assert_eq!(frame["page"]["missed"], 0);
        seen.extend(seqs(&frame));
        cursor = frame["page"]["next"].as_u64().unwrap();
        let _ = again.close(None);
    }
    let unique: BTreeSet<u64> = seen.iter().copied().collect();
    assert_eq!(unique.len(), seen.len(), "no event twice: {seen:?}");
    assert_eq!(
        seen,
        (0..cursor).collect::<Vec<_>>(),
        "every event once, in order"
    );
    assert!(cursor >= 4 + 9, "three pause-request, pause, resume rounds");
}

#[test]
fn a_stalled_client_misses_snapshots_counted_while_another_keeps_its_rate() {
    // Many workers make big snapshots, fast: the stalled client's socket
    // and its queue fill within a few ticks.
    let yard = yard(100);
    let server = serve(
        &yard,
        ServeOptions::new()
            .snapshot_interval(Duration::from_millis(10))
            .queue_frames(4),
    )
    .expect("serving");
    let mut stalled = connect(&server);
    let mut reader = connect(&server);
    // The reader gets snapshot after snapshot while the other reads
    // nothing (only the frame's start is looked at: parsing each in full
    // would make this test's own reading the slow part).
    let mut got = 0;
    while got < 500 {
        if let Message::Text(text) = reader.read().expect("a frame before the deadline") {
            if text.starts_with(r#"{"type":"snapshot""#) {
                got += 1;
            }
        }
    }
    // The stalled client, reading at last, is told what it missed.
    let told = until(&mut stalled, |f| {
        f["type"] == "snapshot" && f["skipped"].as_u64().unwrap() > 0
    });
    assert!(told["skipped"].as_u64().unwrap() > 0);
    // And the workers were never held up: they are all still running.
    assert!(yard
        .snapshot()
        .workers
        .iter()
        .all(|w| w.state == WorkerState::Running));
}

#[test]
fn dropping_the_handle_closes_every_connection_and_dropping_the_manager_is_told() {
    let yard = yard(1);
    let server = serve(&yard, ServeOptions::new()).expect("serving");
    let mut client = connect(&server);
    next(&mut client);
    drop(server);
    let ended = loop {
        match client.read() {
            Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_)) => {}
            other => break other,
        }
    };
    assert!(
        !matches!(ended, Ok(Message::Text(_))),
        "the connection ended: {ended:?}"
    );

    let server = serve(&yard, ServeOptions::new()).expect("serving");
    let mut client = connect(&server);
    next(&mut client);
    drop(yard);
    let gone = until(&mut client, |f| f["type"] == "error");
    assert_eq!(gone["error"], "manager-gone");
}
