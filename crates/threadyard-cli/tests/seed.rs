//! The terminal demo, run as a user runs it.

use std::process::Command;

fn threadyard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_threadyard"))
        .args(args)
        .output()
        .expect("the threadyard binary runs")
}

/// Runs `args` (ending in `--json`) and reads the one JSON document printed.
fn outcome(args: &[&str]) -> serde_json::Value {
    let out = threadyard(args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

fn worker<'a>(doc: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    doc["workers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["id"] == id)
        .unwrap_or_else(|| panic!("{id} missing: {doc}"))
}

#[test]
fn seed_json_reports_the_seed_story() {
    let doc = outcome(&["seed", "--speed", "20", "--json"]);
    let workers = doc["workers"].as_array().unwrap();
    let tasks = |i: usize| workers[i]["tasks_completed"].as_u64().unwrap();
    let ids: Vec<&str> = workers.iter().map(|w| w["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["worker_0", "worker_1", "worker_2"]);
    for w in workers {
        assert_eq!(w["state"], "stopped");
        assert_eq!(w["errors"], 0);
        assert!(
            w["cpu_time_ms"].as_f64().is_some(),
            "Linux measures thread CPU time"
        );
    }
    assert!(
        tasks(1) < tasks(0) && tasks(1) < tasks(2),
        "worker_1 was paused: {workers:?}"
    );
    assert_eq!(workers[1]["pause_count"], 1);
    assert_eq!(workers[0]["pause_count"], 0);
    assert!(workers[1]["paused_ms"].as_f64().unwrap() > 0.0);
    let shutdown = &doc["shutdown"];
    assert_eq!(
        shutdown["clean"],
        serde_json::json!(["worker_0", "worker_1", "worker_2"])
    );
    assert_eq!(shutdown["unresponsive"], serde_json::json!([]));
    assert_eq!(shutdown["failed"], serde_json::json!([]));
    assert_eq!(shutdown["undelivered_messages"], 0);
}

#[test]
fn seed_text_tells_the_story_in_order() {
    let out = threadyard(&["seed", "--speed", "50"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing from:\n{text}"))
    };
    assert!(at("sent \"pause\" to worker_1") < at("worker_1: paused itself"));
    assert!(at("worker_1: paused itself") < at("worker_1: resumed"));
    assert!(at("worker_1: resumed") < at("broadcast \"shutdown\""));
    assert!(at("clean:        worker_0, worker_1, worker_2") > at("worker     state"));
    assert!(at("look for: worker_1 ends") > at("clean:"));
}

#[test]
fn seed_writes_a_chrome_trace_with_one_track_per_worker() {
    let dir = std::env::temp_dir().join(format!("threadyard-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("seed.json");
    let doc = outcome(&[
        "seed",
        "--speed",
        "20",
        "--json",
        "--trace",
        file.to_str().unwrap(),
    ]);
    assert_eq!(doc["shutdown"]["clean"].as_array().unwrap().len(), 3);
    let trace: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).expect("the trace is JSON");
    let events = trace["traceEvents"].as_array().unwrap();
    let mut tracks: Vec<&str> = events
        .iter()
        .filter(|e| e["ph"] == "M" && e["name"] == "thread_name")
        .map(|e| e["args"]["name"].as_str().unwrap())
        .collect();
    tracks.sort_unstable();
    assert_eq!(tracks, ["manager", "worker_0", "worker_1", "worker_2"]);
    // worker_1's track holds one paused slice; every slice has a length.
    let tid = |name: &str| {
        events
            .iter()
            .find(|e| e["name"] == "thread_name" && e["args"]["name"] == name)
            .unwrap()["tid"]
            .clone()
    };
    let paused: Vec<_> = events
        .iter()
        .filter(|e| e["ph"] == "X" && e["name"] == "paused" && e["tid"] == tid("worker_1"))
        .collect();
    assert_eq!(paused.len(), 1, "{paused:?}");
    assert!(events
        .iter()
        .filter(|e| e["ph"] == "X")
        .all(|e| e["dur"].as_f64().is_some_and(|d| d >= 0.0)));
    // The script's messages and the broadcast are in it.
    assert!(events.iter().any(|e| e["name"] == "broadcast"));
    assert!(events
        .iter()
        .any(|e| e["name"] == "message" && e["tid"] == tid("worker_1")));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn each_teaching_scenario_shows_its_point() {
    // A pause waits for the next pause point: batch's items have none.
    let doc = outcome(&["scenario", "pause-points", "--speed", "20", "--json"]);
    assert_eq!(worker(&doc, "quick")["pause_count"], 1);
    assert_eq!(worker(&doc, "batch")["pause_count"], 1);
    assert_eq!(doc["shutdown"]["clean"].as_array().unwrap().len(), 2);

    // A full mailbox holds the producer to the consumer's pace, the broadcast
    // cannot enter it, and shutdown counts what was left unread.
    let doc = outcome(&["scenario", "back-pressure", "--speed", "20", "--json"]);
    let consumer = worker(&doc, "consumer");
    assert_eq!(consumer["mailbox"]["high_water"], 8);
    let produced = worker(&doc, "producer")["tasks_completed"]
        .as_u64()
        .unwrap();
    assert!(produced <= consumer["mailbox"]["received"].as_u64().unwrap() + 9);
    assert_eq!(
        doc["broadcasts"][0]["recipients"][0]["outcome"],
        "mailbox-full"
    );
    assert!(doc["shutdown"]["undelivered_messages"].as_u64().unwrap() > 0);

    // The panicking worker is restarted three times, then fails; the others
    // go on and stop cleanly. (Its fourth panic comes at 4 s of the 8 s
    // script; speed 10 leaves that margin even on a loaded machine.)
    let doc = outcome(&["scenario", "supervision", "--speed", "10", "--json"]);
    let flaky = worker(&doc, "flaky");
    assert_eq!(flaky["state"], "failed");
    assert_eq!(flaky["restarts"], 3);
    assert!(flaky["last_error"].as_str().unwrap().contains("malformed"));
    assert_eq!(
        doc["shutdown"]["clean"],
        serde_json::json!(["steady_0", "steady_1"])
    );

    // A worker deep in an item without pause points misses the deadline.
    let doc = outcome(&["scenario", "unresponsive", "--speed", "20", "--json"]);
    assert_eq!(
        doc["shutdown"]["unresponsive"],
        serde_json::json!(["stubborn"])
    );
    assert_eq!(
        doc["shutdown"]["clean"],
        serde_json::json!(["worker_0", "worker_1"])
    );
}

#[test]
fn bad_flags_are_refused_clearly() {
    for (args, expect) in [
        (&["seed", "--speed", "0"][..], "0 is out of range: use 0.01"),
        (&["seed", "--speed", "101"][..], "101 is out of range"),
        (&["seed", "--speed", "abc"][..], "\"abc\" is not a number"),
        (&["seed", "--fast"][..], "unexpected argument '--fast'"),
        (&["replay"][..], "unrecognized subcommand 'replay'"),
        (
            &["scenario", "juggling"][..],
            "[possible values: seed, pause-points, back-pressure, supervision, unresponsive, lost-update, lost-update-locked, deadlock, deadlock-ordered, philosophers, philosophers-ordered]",
        ),
    ] {
        let out = threadyard(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
    let out = threadyard(&[
        "seed",
        "--trace",
        "/nonexistent-dir/t.json",
        "--speed",
        "50",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("could not write the trace to"));
    // Said before the run: not one line of the scenario was played.
    assert!(
        out.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `threadyard seed | head -1`: the reader leaves after one line; the
/// program ends quietly instead of panicking on the closed pipe.
#[test]
fn a_reader_that_leaves_early_ends_the_program_quietly() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_threadyard"))
        .args(["seed", "--speed", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the threadyard binary runs");
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.contains("script"), "{first}");
    // The reader (and the pipe) is gone here.
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out.status.code(), Some(0), "{err}");
}
