//! `--record` and `--serve`, run as a user runs them.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tungstenite::Message;

#[test]
fn seed_record_writes_the_run_as_json_lines_ending_with_the_final_figures() {
    let dir = std::env::temp_dir().join(format!("threadyard-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("seed.jsonl");
    let out = Command::new(env!("CARGO_BIN_EXE_threadyard"))
        .args(["seed", "--speed", "20", "--json", "--record"])
        .arg(&file)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["type"], "threadyard-recording");
    let events: Vec<&Value> = lines
        .iter()
        .filter(|l| l["type"] == "events")
        .flat_map(|l| l["page"]["events"].as_array().unwrap())
        .collect();
    let worker_1: Vec<&str> = events
        .iter()
        .filter(|e| e["worker"] == "worker_1" && !e["state"].is_null())
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    let at = |kind: &str| worker_1.iter().position(|k| *k == kind);
    assert!(
        matches!((at("pause-requested"), at("paused"), at("resumed")), (Some(a), Some(b), Some(c)) if a < b && b < c),
        "worker_1 is asked to pause, pauses, is resumed, in the recording: {worker_1:?}"
    );
    assert!(events.iter().any(|e| e["kind"] == "shutdown-finished"));
    let last = &lines.last().unwrap()["snapshot"];
    let printed: Value = serde_json::from_slice(&out.stdout).unwrap();
    for (recorded, told) in last["workers"]
        .as_array()
        .unwrap()
        .iter()
        .zip(printed["workers"].as_array().unwrap())
    {
        assert_eq!(recorded["state"], "stopped");
        assert_eq!(
            recorded["tasks_completed"], told["tasks_completed"],
            "the same final figures"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn seed_serve_prints_the_link_runs_for_its_viewer_and_keeps_serving() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_threadyard"))
        .args(["seed", "--speed", "20", "--serve", "--wait"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("runs");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let link = loop {
        let line = lines.next().expect("the link is printed").unwrap();
        if let Some(link) = line.strip_prefix("link: ") {
            break link.to_owned();
        }
    };
    assert!(link.starts_with("ws://127.0.0.1:"), "{link}");
    let (mut socket, _) = tungstenite::connect(link.as_str()).expect("connected");
    if let tungstenite::stream::MaybeTlsStream::Plain(tcp) = socket.get_ref() {
        tcp.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    }
    // The run starts for this viewer; it sees every worker stop, then the
    // program goes on serving (snapshots keep coming after the end).
    let mut stopped_snapshots = 0;
    while stopped_snapshots < 3 {
        let Message::Text(text) = socket.read().expect("a frame") else {
            continue;
        };
        let frame: Value = serde_json::from_str(&text).unwrap();
        if frame["type"] == "hello" {
            assert_eq!(frame["settings"]["commands"], true);
        }
        if frame["type"] == "snapshot" && frame["snapshot"]["shut_down"] == true {
            let workers = frame["snapshot"]["workers"].as_array().unwrap();
            assert!(workers.iter().all(|w| w["state"] == "stopped"));
            stopped_snapshots += 1;
        }
    }
    let rest: Vec<String> = lines
        .by_ref()
        .take_while(|l| l.is_ok())
        .flatten()
        .take_while(|l| !l.contains("Ctrl-C"))
        .collect();
    assert!(
        rest.iter().any(|l| l.contains("clean:")),
        "the report was printed: {rest:?}"
    );
    assert!(child.try_wait().unwrap().is_none(), "still serving");
    child.kill().unwrap();
    child.wait().unwrap();
}
