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
    // As the seed's worker: it asks for its own pause on the message, and
    // its next pause point takes it.
    assert!(at("sent \"pause\" to worker_1") < at("worker_1: pause requested"));
    assert!(at("worker_1: pause requested") < at("worker_1: paused at a pause point"));
    assert!(at("worker_1: paused at a pause point") < at("worker_1: resumed"));
    assert!(!text.contains("paused itself"), "{text}");
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
    // The data processors wait for their next item (5 ms at speed 20) in a
    // receive: each has a track of its waits under its own.
    assert_eq!(
        tracks,
        [
            "manager",
            "worker_0",
            "worker_0: waits",
            "worker_1",
            "worker_1: waits",
            "worker_2",
            "worker_2: waits"
        ]
    );
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
    assert!(events.iter().any(|e| e["ph"] == "X"
        && e["cat"] == "activity"
        && e["name"] == "waiting for a message"
        && e["tid"] == tid("worker_0: waits")));
    // The script's messages and the broadcast are in it.
    assert!(events.iter().any(|e| e["name"] == "broadcast"));
    assert!(events
        .iter()
        .any(|e| e["name"] == "message" && e["tid"] == tid("worker_1")));
    std::fs::remove_dir_all(&dir).ok();
}

fn ids(value: &serde_json::Value) -> Vec<&str> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect()
}

/// Each scenario's point, checked as behaviour that holds however loaded the
/// machine is: the scripts wait for the events they teach (a pause taken, a
/// worker failed for good) instead of guessing when they happen, and where a
/// figure depends on timing the check is the invariant behind it.
#[test]
fn each_teaching_scenario_shows_its_point() {
    // A pause waits for the next pause point: the script waits until both
    // workers have paused before it resumes them, so each paused once.
    let doc = outcome(&["scenario", "pause-points", "--speed", "20", "--json"]);
    assert_eq!(worker(&doc, "quick")["pause_count"], 1);
    assert_eq!(worker(&doc, "batch")["pause_count"], 1);
    assert_eq!(doc["late"], serde_json::json!([]));
    let shutdown = &doc["shutdown"];
    let mut ended = ids(&shutdown["clean"]);
    ended.extend(ids(&shutdown["unresponsive"]));
    ended.sort_unstable();
    assert_eq!(ended, ["batch", "quick"], "nothing failed: {shutdown}");

    // Back-pressure: the producer is never more than the mailbox's capacity
    // (and the one it holds) ahead of what was read, the mailbox never holds
    // more than its capacity, and no message is lost: every one accepted was
    // read or is counted as never read.
    let doc = outcome(&["scenario", "back-pressure", "--speed", "20", "--json"]);
    let consumer = worker(&doc, "consumer");
    let received = consumer["mailbox"]["received"].as_u64().unwrap();
    assert!(consumer["mailbox"]["high_water"].as_u64().unwrap() <= 8);
    let produced = worker(&doc, "producer")["tasks_completed"]
        .as_u64()
        .unwrap();
    assert!(
        produced <= received + 9,
        "{produced} produced, {received} read"
    );
    let accepted: u64 = doc["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["mailbox"]["sent"].as_u64().unwrap())
        .sum();
    let read: u64 = doc["workers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["mailbox"]["received"].as_u64().unwrap())
        .sum();
    let unread = doc["shutdown"]["undelivered_messages"].as_u64().unwrap();
    assert_eq!(accepted, read + unread, "nothing dropped silently: {doc}");
    for r in doc["broadcasts"][0]["recipients"].as_array().unwrap() {
        assert!(
            r["outcome"] == "delivered" || r["outcome"] == "mailbox-full",
            "{r}"
        );
    }

    // The panicking worker is restarted three times, then fails: the script
    // waits for that before it broadcasts "shutdown". The others go on and
    // stop cleanly.
    let doc = outcome(&["scenario", "supervision", "--speed", "20", "--json"]);
    let flaky = worker(&doc, "flaky");
    assert_eq!(flaky["state"], "failed");
    assert_eq!(flaky["restarts"], 3);
    assert!(flaky["last_error"].as_str().unwrap().contains("item 40"));
    assert_eq!(ids(&doc["shutdown"]["clean"]), ["steady_0", "steady_1"]);
    assert_eq!(
        ids(&doc["shutdown"]["failed"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].clone())
            .collect()),
        ["flaky"]
    );

    // A worker deep in a 12 s item without pause points misses a 1 s
    // deadline that starts at 2 s: its item cannot end before 12 s (a sleep
    // never ends early).
    let doc = outcome(&["scenario", "unresponsive", "--speed", "4", "--json"]);
    assert_eq!(ids(&doc["shutdown"]["unresponsive"]), ["stubborn"]);
    assert!(!ids(&doc["shutdown"]["clean"]).contains(&"stubborn"));
}

/// The terminal tells a step that waits in causal order: what it starts,
/// what happened meanwhile, then how it ended; a failed worker is named as
/// failed, never as finished by itself.
#[test]
fn the_terminal_tells_the_end_in_causal_order() {
    let out = threadyard(&["scenario", "supervision", "--speed", "20"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing from:\n{text}"))
    };
    let result = at("script: stopped cleanly: steady_0, steady_1; failed earlier: flaky");
    assert!(!text.contains("every worker finished by itself"), "{text}");
    assert!(at("flaky: failed:") < at("script: flaky is failed"));
    assert!(at("script: flaky is failed") < at("broadcast \"shutdown\""));
    for w in ["steady_0", "steady_1"] {
        assert!(at(&format!("{w}: stopped")) < result, "{w}:\n{text}");
    }
    assert!(result < at("script: shutting down"));
    assert!(at("script: shutting down") < at("manager: shutdown started"));
    assert!(at("manager: shutdown started") < at("manager: shutdown finished"));
    assert!(at("manager: shutdown finished") < at("script: shut down in"));
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
            "[possible values: seed, pause-points, back-pressure, supervision, unresponsive, speedup, lost-update, lost-update-locked, deadlock, deadlock-ordered, philosophers, philosophers-ordered]",
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

/// The speedup lesson measures total throughput with 1, 2, 4 and 8 workers
/// computing, beside the machine's core count. (How much faster more
/// workers go depends on the machine and its load: a benchmark's business,
/// not a test's.)
#[test]
fn the_speedup_lesson_measures_each_phase() {
    let doc = outcome(&["scenario", "speedup", "--speed", "10", "--json"]);
    let phases = doc["phases"].as_array().unwrap();
    let workers: Vec<u64> = phases
        .iter()
        .map(|p| p["workers"].as_u64().unwrap())
        .collect();
    assert_eq!(workers, [1, 2, 4, 8], "{doc}");
    assert!(phases
        .iter()
        .all(|p| p["tasks_per_s"].as_f64().unwrap() > 0.0));
    assert!(doc["cores"].as_u64().unwrap() >= 1);
    assert_eq!(doc["shutdown"]["clean"].as_array().unwrap().len(), 8);
}
