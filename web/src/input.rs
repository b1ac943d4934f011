//! What a person asks of the page, and reading what they typed into its
//! forms: each reader returns the value, or a message that says what is
//! wrong and what to give.

use serde_json::{json, Value};

/// Slowest and fastest speeds the page offers.
pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 10.0;
/// Most workers one spawn asks for: the pool's largest size.
pub const MAX_SPAWN: usize = 64;
/// Longest shutdown deadline the form takes.
pub const MAX_DEADLINE_MS: f64 = 600_000.0;

/// Workload name, what the chooser shows, its parameter's label and default.
pub const WORKLOADS: [(&str, &str, &str, &str); 3] = [
    (
        "data-processor",
        "Data processor (like the seed)",
        "ms per item",
        "100",
    ),
    ("cpu-bound", "CPU-bound", "work rounds per item", "200000"),
    ("chatty", "Chatty (messages peers)", "ms per message", "200"),
];

/// What the spawn form asks for, as typed.
#[derive(Debug, Clone, PartialEq)]
pub struct SpawnRequest {
    pub count: String,
    pub kind: String,
    pub param: String,
    pub name: String,
}

/// What a row's buttons do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    Pause,
    Resume,
    Stop,
    Remove,
}

/// What an export button saves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    Trace,
    Snapshot,
}

pub fn speed(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if (MIN_SPEED..=MAX_SPEED).contains(&s) => Ok(s),
        _ => Err(format!(
            "{text:?} is not a speed from {MIN_SPEED} to {MAX_SPEED}: 1 is real time, 0.1 slow motion, 10 ten times faster"
        )),
    }
}

pub fn count(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(n @ 1..=MAX_SPAWN) => Ok(n),
        _ => Err(format!("{text:?} is not a count from 1 to {MAX_SPAWN}")),
    }
}

pub fn deadline_ms(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(ms) if (0.0..=MAX_DEADLINE_MS).contains(&ms) => Ok(ms),
        _ => Err(format!(
            "{text:?} is not a deadline from 0 to {MAX_DEADLINE_MS} ms"
        )),
    }
}

/// The workload spec the threads module takes, for `kind` and its parameter.
pub fn workload(kind: &str, param: &str) -> Result<Value, String> {
    let number: f64 = param.trim().parse().map_err(|_| {
        format!("{param:?} is not a number: give the workload's parameter as a number")
    })?;
    Ok(match kind {
        "cpu-bound" => {
            if !(1.0..=1e9).contains(&number) || number.fract() != 0.0 {
                return Err(format!(
                    "work per item must be a whole number from 1 to 1000000000, not {param}"
                ));
            }
            json!({ "kind": kind, "work_per_item": number as u64 })
        }
        _ => json!({ "kind": kind, "item_ms": number }),
    })
}

/// The ids of `n` new workers: `worker_K` on from `auto_named` when no name
/// is given, the name itself for one, `name_0`... for several.
pub fn worker_ids(name: &str, n: usize, auto_named: usize) -> Vec<String> {
    let name = name.trim();
    match (name.is_empty(), n) {
        (true, _) => (0..n)
            .map(|i| format!("worker_{}", auto_named + i))
            .collect(),
        (false, 1) => vec![name.to_owned()],
        (false, _) => (0..n).map(|i| format!("{name}_{i}")).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_outside_the_range_are_refused_with_the_range() {
        assert_eq!(speed(" 2.5 "), Ok(2.5));
        assert_eq!(speed("0.1"), Ok(0.1));
        for bad in ["50", "0", "fast", ""] {
            let why = speed(bad).unwrap_err();
            assert!(why.contains("is not a speed from 0.1 to 10"), "{why}");
        }
    }

    #[test]
    fn counts_and_deadlines_are_bounded() {
        assert_eq!(count("64"), Ok(64));
        assert!(count("0").unwrap_err().contains("count from 1 to 64"));
        assert!(count("65").is_err());
        assert_eq!(deadline_ms("2000"), Ok(2000.0));
        assert!(deadline_ms("-1").unwrap_err().contains("not a deadline"));
    }

    #[test]
    fn workloads_take_their_parameter_in_their_own_unit() {
        assert_eq!(
            workload("cpu-bound", "200000").unwrap(),
            json!({"kind": "cpu-bound", "work_per_item": 200000})
        );
        assert_eq!(
            workload("chatty", "1.5").unwrap(),
            json!({"kind": "chatty", "item_ms": 1.5})
        );
        assert!(workload("cpu-bound", "1.5")
            .unwrap_err()
            .contains("whole number"));
        assert!(workload("data-processor", "abc")
            .unwrap_err()
            .contains("not a number"));
    }

    #[test]
    fn names_follow_on_from_the_automatic_ones() {
        assert_eq!(worker_ids("", 2, 3), ["worker_3", "worker_4"]);
        assert_eq!(worker_ids(" solo ", 1, 0), ["solo"]);
        assert_eq!(worker_ids("many", 2, 0), ["many_0", "many_1"]);
    }
}
