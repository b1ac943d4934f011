//! The stepped lessons from the terminal: a schedule replayed, a search.

use std::process::Command;

fn threadyard(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_threadyard"))
        .args(args)
        .output()
        .expect("the threadyard binary runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_schedule_replays_a_lost_update() {
    let (ok, out, err) = threadyard(&["scenario", "lost-update", "--schedule", "0,1,1,0"]);
    assert!(ok, "{err}");
    assert!(out.contains("worker_b loads counter = 0"), "{out}");
    assert!(out.contains("counter = 1\n"), "{out}");
    assert!(
        out.contains("BROKEN: counter ends at 1, not 2: worker_a and worker_b both loaded 0."),
        "{out}"
    );
    let (ok, json, err) =
        threadyard(&["scenario", "lost-update", "--schedule", "0,1,1,0", "--json"]);
    assert!(ok, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["schedule"], serde_json::json!([0, 1, 1, 0]));
    assert_eq!(doc["outcome"]["holds"], false);
    assert_eq!(doc["cells"], serde_json::json!([["counter", 1]]));
}

#[test]
fn explore_prints_the_first_failing_schedule_and_how_many_it_tried() {
    let (ok, out, err) = threadyard(&["scenario", "deadlock", "--explore", "100", "--json"]);
    assert!(ok, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let tried = doc["tried"].as_u64().unwrap();
    assert!((1..=100).contains(&tried));
    let schedule: Vec<String> = doc["failing"]["schedule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.to_string())
        .collect();
    // The schedule it printed replays the deadlock.
    let (ok, text, err) = threadyard(&["scenario", "deadlock", "--schedule", &schedule.join(",")]);
    assert!(ok, "{err}");
    assert!(text.contains("deadlock: worker_"), "{text}");
    let (ok, text, _) = threadyard(&["scenario", "deadlock", "--explore", "100"]);
    assert!(ok);
    assert!(text.contains("found a failing schedule after "), "{text}");
    let (ok, text, _) = threadyard(&["scenario", "deadlock-ordered", "--explore", "300"]);
    assert!(ok);
    assert!(text.contains("no schedule broke it in 300 tries"), "{text}");
}

#[test]
fn stepping_options_are_refused_where_they_make_no_sense() {
    let (ok, _, err) = threadyard(&["scenario", "seed", "--schedule", "0,1"]);
    assert!(!ok);
    assert!(
        err.contains("--schedule and --explore are for the stepped lessons"),
        "{err}"
    );
    let (ok, _, err) = threadyard(&["scenario", "lost-update", "--schedule", "0,7"]);
    assert!(!ok);
    assert!(err.contains("--schedule names worker 7"), "{err}");
}
