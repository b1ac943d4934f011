//! The stepped lessons' page, its plain part: what the threads module
//! returns for a stepped run (`Threadyard.steps()`), the link that
//! reproduces a run (`#/steps/deadlock/0,1,0,1`), a step told in words, and
//! which waits belong to a deadlock's cycle. The browser part is
//! `browser/components/steps.rs`.

use serde::Deserialize;

/// A lesson, as `Threadyard.lessons()` describes it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LessonView {
    pub id: String,
    pub title: String,
    pub teaches: String,
    pub try_this: String,
    pub fixes: Option<String>,
}

/// One stepped worker.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LaneView {
    pub id: String,
    pub index: usize,
    /// "running", "ready", "blocked" or "done".
    pub status: String,
    pub next_text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StepsView {
    pub lanes: Vec<LaneView>,
    pub schedule: Vec<usize>,
    pub settled: bool,
    pub stuck: bool,
    pub finished: bool,
}

/// What a wait is on: `{kind: "lock", name: "L1"}`, `{kind: "mailbox", name}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ResourceView {
    pub kind: String,
    pub name: String,
}

/// One edge of the wait-for graph.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WaitView {
    pub worker: String,
    pub waits_for: String,
    pub on: ResourceView,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct DeadlockView {
    pub cycle: Vec<WaitView>,
    pub text: String,
}

/// One scheduled event of the run.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HappenedView {
    pub worker: Option<String>,
    pub kind: String,
    pub object: Option<String>,
    pub op: Option<String>,
    pub value: Option<i64>,
    pub on: Option<ResourceView>,
    pub waits_for: Option<String>,
    pub text: Option<String>,
    pub step: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct OutcomeView {
    pub holds: bool,
    pub says: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RunView {
    pub happened: Vec<HappenedView>,
    pub cells: Vec<(String, i64)>,
    pub outcome: OutcomeView,
}

/// `Threadyard.steps()` of a lesson's manager.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StepView {
    pub lesson: LessonView,
    pub steps: StepsView,
    pub waits: Vec<WaitView>,
    pub deadlocks: Vec<DeadlockView>,
    pub run: RunView,
}

impl StepView {
    /// The run is over: every worker finished, or none can go on.
    pub fn over(&self) -> bool {
        self.steps.finished || self.steps.stuck
    }

    /// The indices of the workers a learner may grant now.
    pub fn ready(&self) -> Vec<usize> {
        if !self.steps.settled {
            return Vec::new();
        }
        self.steps
            .lanes
            .iter()
            .filter(|l| l.status == "ready")
            .map(|l| l.index)
            .collect()
    }

    /// True when `edge` is part of a deadlock's cycle (drawn in red).
    pub fn in_cycle(&self, edge: &WaitView) -> bool {
        self.deadlocks.iter().any(|d| d.cycle.contains(edge))
    }

    /// The schedule as ids: "worker_a, worker_b, worker_b".
    pub fn schedule_ids(&self) -> Vec<String> {
        self.steps
            .schedule
            .iter()
            .filter_map(|&i| self.steps.lanes.get(i).map(|l| l.id.clone()))
            .collect()
    }
}

/// A stepped run a link reproduces: the lesson and the grants so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub lesson: String,
    pub schedule: Vec<usize>,
}

impl Link {
    /// Reads `#/steps/deadlock/0,1,0,1` (or `#/steps/deadlock`, or
    /// `#/steps`: `None` for the lesson, the page picks its first).
    pub fn parse(hash: &str) -> Option<Self> {
        let rest = hash.trim_start_matches('#').trim_start_matches('/');
        let rest = rest.strip_prefix("steps")?;
        let mut parts = rest.trim_start_matches('/').splitn(2, '/');
        let lesson = parts.next().filter(|l| !l.is_empty())?.to_owned();
        let schedule = match parts.next() {
            Some(list) if !list.is_empty() => list
                .split(',')
                .map(|n| n.trim().parse::<usize>().ok().filter(|&i| i < 16))
                .collect::<Option<Vec<usize>>>()?,
            _ => Vec::new(),
        };
        Some(Self { lesson, schedule })
    }

    pub fn to_hash(&self) -> String {
        let schedule: Vec<String> = self.schedule.iter().map(ToString::to_string).collect();
        format!("#/steps/{}/{}", self.lesson, schedule.join(","))
    }
}

/// One step of the run in plain words, for the narration.
pub fn tell(h: &HappenedView) -> Option<String> {
    let who = h.worker.as_deref().unwrap_or("");
    let object = h.object.as_deref().unwrap_or("");
    Some(match h.kind.as_str() {
        "access" => match (h.op.as_deref(), h.value) {
            (Some("load"), Some(v)) => format!("{who} loads {object} and reads {v}."),
            (Some("store"), Some(v)) => format!("{who} stores {v} into {object}."),
            (Some("lock"), _) => format!("{who} takes lock {object}."),
            (Some("unlock"), _) => format!("{who} releases lock {object}."),
            (Some("poisoned"), _) => format!(
                "{who} ended holding lock {object}: the lock is poisoned, and whoever waits for it is told so."
            ),
            _ => return None,
        },
        "waiting" => {
            let holder = h.waits_for.as_deref().unwrap_or("");
            match &h.on {
                Some(on) if on.kind == "lock" => format!(
                    "{who} tries to take lock {}, but {holder} holds it: {who} waits.",
                    on.name
                ),
                _ => format!("{who} waits for {holder}."),
            }
        }
        "deadlock" => format!(
            "{} Nobody in the circle can ever go on.",
            h.text.as_deref()?
        ),
        "stuck" => "No worker can take a step: the run is stuck.".to_owned(),
        _ => return None,
    })
}

/// A small seeded generator (SplitMix64) for "run to the end".
#[derive(Debug, Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn pick(&mut self, from: &[usize]) -> Option<usize> {
        if from.is_empty() {
            return None;
        }
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        Some(from[(z % from.len() as u64) as usize])
    }
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn a_link_round_trips_and_refuses_nonsense() {
        let link = Link::parse("#/steps/deadlock/0,1,0,1").unwrap();
        assert_eq!(link.lesson, "deadlock");
        assert_eq!(link.schedule, [0, 1, 0, 1]);
        assert_eq!(Link::parse(&link.to_hash()), Some(link));
        assert_eq!(
            Link::parse("#/steps/lost-update").unwrap().schedule,
            Vec::<usize>::new()
        );
        assert_eq!(Link::parse("#/steps"), None);
        assert_eq!(Link::parse("#/steps/x/0,a"), None);
        assert_eq!(Link::parse("#/learn"), None);
    }

    fn view() -> StepView {
        serde_json::from_value(serde_json::json!({
            "lesson": {"id": "deadlock", "title": "Deadlock", "teaches": "t", "try_this": "x", "fixes": null,
                       "when_broken": "b", "when_held": "h", "cells": [], "locks": ["L1", "L2"], "cast": [], "expect": {"expect": "all-finish"}},
            "steps": {"lanes": [
                {"id": "worker_a", "index": 0, "status": "blocked", "next": {"op": "lock", "object": "L2"}, "next_text": "lock L2", "blocked_on": {"kind": "lock", "name": "L2"}},
                {"id": "worker_b", "index": 1, "status": "ready", "next": {"op": "lock", "object": "L1"}, "next_text": "lock L1", "blocked_on": null}],
                "schedule": [0, 1, 0], "schedule_ids": ["worker_a", "worker_b", "worker_a"], "settled": true, "stuck": false, "finished": false, "left_schedule": null},
            "waits": [{"worker": "worker_a", "waits_for": "worker_b", "on": {"kind": "lock", "name": "L2"}}],
            "deadlocks": [],
            "run": {"lesson": "deadlock", "schedule": [0, 1, 0], "happened": [
                {"worker": "worker_a", "kind": "waiting", "on": {"kind": "lock", "name": "L2"}, "waits_for": "worker_b"}],
                "cells": [], "deadlock": null, "outcome": {"holds": false, "says": "stuck"}, "left_schedule": null}
        }))
        .unwrap()
    }

    #[test]
    fn reads_the_threads_modules_view_and_tells_it() {
        let view = view();
        assert_eq!(view.ready(), [1]);
        assert_eq!(view.schedule_ids(), ["worker_a", "worker_b", "worker_a"]);
        assert!(!view.in_cycle(&view.waits[0]));
        assert_eq!(
            tell(&view.run.happened[0]).unwrap(),
            "worker_a tries to take lock L2, but worker_b holds it: worker_a waits."
        );
    }

    #[test]
    fn the_generator_picks_only_what_it_is_given() {
        let mut rng = Rng(3);
        for _ in 0..50 {
            assert!([2, 5].contains(&rng.pick(&[2, 5]).unwrap()));
        }
        assert_eq!(rng.pick(&[]), None);
    }
}

/// The view read from what the core itself serializes for a real run, so
/// the page cannot drift from the threads module's vocabulary.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod vocabulary {
    use std::time::Duration;

    use threadyard::lessons;
    use threadyard::{Chooser, Yard};

    use super::{tell, StepView};

    /// What `Threadyard.steps()` returns, built the same way from a run.
    fn view_of(id: &str, schedule: &[&str]) -> StepView {
        let lesson = lessons::find(id).unwrap();
        let yard = Yard::<String>::builder()
            .stepped(Chooser::Learner)
            .build()
            .unwrap();
        lessons::start(&yard, &lesson).unwrap();
        yard.settle(Duration::from_secs(20)).unwrap();
        for who in schedule {
            yard.grant(who).unwrap();
            yard.settle(Duration::from_secs(20)).unwrap();
        }
        let steps = yard.steps().unwrap();
        let run = lessons::outcome(&yard, &lesson, steps.schedule.clone(), None);
        let json = serde_json::json!({
            "lesson": lesson, "steps": steps, "waits": yard.waits(),
            "deadlocks": yard.deadlocks(), "run": run,
        });
        drop(yard.shutdown(Duration::from_secs(20)));
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn a_lost_update_reads_and_tells_as_the_core_wrote_it() {
        let view = view_of(
            "lost-update",
            &["worker_a", "worker_b", "worker_b", "worker_a"],
        );
        assert!(view.over());
        assert_eq!(view.run.cells, [("counter".to_owned(), 1)]);
        assert!(!view.run.outcome.holds);
        let told: Vec<String> = view.run.happened.iter().filter_map(tell).collect();
        assert_eq!(
            told,
            [
                "worker_a loads counter and reads 0.",
                "worker_b loads counter and reads 0.",
                "worker_b stores 1 into counter.",
                "worker_a stores 1 into counter.",
            ]
        );
    }

    #[test]
    fn a_deadlock_reads_with_its_cycle() {
        let view = view_of(
            "deadlock",
            &["worker_a", "worker_b", "worker_a", "worker_b"],
        );
        assert!(view.steps.stuck);
        assert_eq!(view.waits.len(), 2);
        assert!(view.waits.iter().all(|e| view.in_cycle(e)));
        assert_eq!(view.waits[0].on.kind, "lock");
        assert!(view.steps.lanes.iter().all(|l| l.status == "blocked"));
        assert!(view
            .run
            .happened
            .iter()
            .filter_map(tell)
            .any(|t| t.starts_with("deadlock: worker_b -> worker_a -> worker_b")));
    }
}
