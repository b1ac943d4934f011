//! The terminal demo, run as a user runs it.

use std::process::Command;

fn threadyard(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_threadyard"))
        .args(args)
        .output()
        .expect("the threadyard binary runs")
}

#[test]
fn seed_json_reports_the_seed_story() {
    let out = threadyard(&["seed", "--speed", "20", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
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
}

#[test]
fn bad_flags_are_refused_clearly() {
    for (args, expect) in [
        (&["seed", "--speed", "0"][..], "0 is not in 1..=100"),
        (&["seed", "--speed", "101"][..], "101 is not in 1..=100"),
        (&["seed", "--speed", "abc"][..], "invalid digit"),
        (&["seed", "--fast"][..], "unexpected argument '--fast'"),
        (&["replay"][..], "unrecognized subcommand 'replay'"),
    ] {
        let out = threadyard(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(expect), "{args:?}: {err}");
        assert!(out.stdout.is_empty());
    }
}
