//! A recording is the frames a client gets, as JSON lines: every event
//! once, in order, snapshots along the way, and the final state last.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::Value;
use threadyard::WorkerState;
use threadyard_serve::{record, PROTOCOL_VERSION, RECORDING_TYPE};

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_recording_holds_every_event_once_and_ends_with_the_final_snapshot() {
    let yard = yard(2);
    let buffer = Buffer::default();
    let recording = record(&yard, buffer.clone(), Duration::from_millis(10)).expect("recording");
    yard.pause("worker_1").unwrap();
    yard.wait_for_state("worker_1", LONG, |s| s == WorkerState::Paused)
        .unwrap();
    yard.resume("worker_1").unwrap();
    yard.broadcast("shutdown".into());
    assert!(yard.join_all(LONG).is_empty());
    let report = yard.shutdown(LONG);
    assert_eq!(report.clean.len(), 2);
    recording.finish().expect("written");

    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON document a line"))
        .collect();
    assert_eq!(lines[0]["type"], RECORDING_TYPE);
    assert_eq!(lines[0]["protocol"], PROTOCOL_VERSION);
    let seqs: Vec<u64> = lines
        .iter()
        .filter(|l| l["type"] == "events")
        .flat_map(|l| l["page"]["events"].as_array().unwrap().clone())
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    let total = yard.events_since(0).next;
    assert_eq!(
        seqs,
        (0..total).collect::<Vec<_>>(),
        "every event once, in order"
    );
    let last = lines.last().unwrap();
    assert_eq!(last["type"], "snapshot");
    let workers = last["snapshot"]["workers"].as_array().unwrap();
    assert!(workers.iter().all(|w| w["state"] == "stopped"));
    assert_eq!(workers[1]["pause_count"], 1);
    assert_eq!(last["snapshot"]["shut_down"], true);
}
