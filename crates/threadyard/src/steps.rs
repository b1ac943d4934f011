//! Stepped mode's bookkeeping: which worker is where, who may go next, and
//! the schedule so far. Plain data, changed only under the hub's lock
//! (`hub.rs` does the waiting).
//!
//! A stepped worker stops at every scheduling point (a pause point, a
//! receive, every operation on a shared cell or lock) and waits there until
//! it is granted one step: it then does that operation and runs on to its
//! next point, alone. A choice is made only when the run has *settled*: no
//! worker is between two points and no grant is outstanding. So which worker
//! runs next depends on the grants alone, and the list of grants (the
//! schedule) replays the run exactly, for workers that interact only through
//! threadyard's primitives.

use std::fmt;

use indexmap::IndexMap;
use serde::Serialize;

use crate::id::WorkerId;
use crate::waits::Resource;

/// The PCT depths a stepped manager accepts: each is one more priority
/// change point, and past 8 a lesson's short runs have no room for them.
pub const PCT_DEPTHS: std::ops::RangeInclusive<u32> = 1..=8;

/// Who picks the next worker in stepped mode
/// ([`YardBuilder::stepped`](crate::YardBuilder::stepped)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "chooser", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Chooser {
    /// A person (or a program): every step is granted through
    /// [`Yard::grant`](crate::Yard::grant).
    Learner,
    /// The workers to grant, in order, by index (their order of start, from
    /// 0). Once the list runs out, or if a listed worker cannot go, the
    /// first worker that can go is granted and the run is marked as having
    /// left its schedule; so is a run that ends (finished or stuck) with
    /// steps of the list not taken. A run not so marked took exactly the
    /// steps listed.
    Fixed {
        /// The schedule.
        schedule: Vec<usize>,
    },
    /// Uniformly at random among the workers that can go, from a seed: the
    /// same seed, the same run.
    Random {
        /// The seed.
        seed: u64,
    },
    /// PCT (probabilistic concurrency testing): random priorities, the
    /// highest-priority worker that can go runs, and at `depth - 1` random
    /// steps the running worker's priority drops to the lowest. Finds bugs
    /// that need `depth` ordering constraints with a known probability.
    Pct {
        /// The seed.
        seed: u64,
        /// The bug depth aimed at ([`PCT_DEPTHS`]; the builder refuses
        /// another).
        depth: u32,
    },
}

/// What a stepped worker will do when it is granted its next step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", content = "object", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Op {
    /// Go past a pause point.
    PausePoint,
    /// Take a message.
    Receive,
    /// Read a shared cell.
    Load(String),
    /// Write a shared cell.
    Store(String),
    /// Take a lock.
    Lock(String),
    /// Release a lock.
    Unlock(String),
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::PausePoint => f.write_str("pause point"),
            Self::Receive => f.write_str("receive a message"),
            Self::Load(cell) => write!(f, "load {cell}"),
            Self::Store(cell) => write!(f, "store {cell}"),
            Self::Lock(lock) => write!(f, "lock {lock}"),
            Self::Unlock(lock) => write!(f, "unlock {lock}"),
        }
    }
}

/// Where one stepped worker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum StepStatus {
    /// Running between two scheduling points (or on its way to its first).
    Running,
    /// Held at a scheduling point; can be granted a step.
    Ready,
    /// Held, waiting on something another worker holds; cannot go yet.
    Blocked,
    /// Its task has ended.
    Done,
}

/// One stepped worker, as a chooser (or a learner) sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StepLane {
    /// The worker.
    pub id: WorkerId,
    /// Its index in schedules (its order of start, from 0).
    pub index: usize,
    /// Where it is.
    pub status: StepStatus,
    /// What its next step does, while it is held.
    pub next: Option<Op>,
    /// The same in words ("load counter", "lock L1").
    pub next_text: Option<String>,
    /// What it waits on, while Blocked.
    pub blocked_on: Option<Resource>,
}

/// Stepped mode at one moment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct StepSnapshot {
    /// Every stepped worker, by index.
    pub lanes: Vec<StepLane>,
    /// The grants so far, as worker indices: replaying them reproduces the
    /// run.
    pub schedule: Vec<usize>,
    /// The same as ids.
    pub schedule_ids: Vec<WorkerId>,
    /// True when no worker is running and no grant is outstanding: a
    /// learner may grant now.
    pub settled: bool,
    /// Settled with workers held and none of them able to go (a deadlock,
    /// or everyone waiting on something no one will do).
    pub stuck: bool,
    /// True once every stepped worker has ended.
    pub finished: bool,
    /// Set when a fixed schedule could not be followed: where, and why.
    pub left_schedule: Option<String>,
}

/// Why a grant was refused. Nothing changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StepError {
    /// The manager was not built with `stepped(...)`.
    #[error("this manager is not in stepped mode: build it with Yard::builder().stepped(Chooser::Learner)")]
    NotStepped,
    /// A worker is still running to its next scheduling point.
    #[error("a step is still running: wait until the run settles (Yard::settle), then grant")]
    Busy,
    /// No stepped worker has that id.
    #[error("no stepped worker named `{0}`: check the id against steps()")]
    Unknown(String),
    /// The worker is not held at a scheduling point.
    #[error("worker `{id}` is {status:?}, not held at a scheduling point: grant a Ready worker")]
    NotReady {
        /// The worker.
        id: WorkerId,
        /// Where it is.
        status: StepStatus,
    },
    /// The worker waits on something another worker holds.
    #[error("worker `{id}` cannot go: it waits for {on}; grant the worker it waits for")]
    Blocked {
        /// The worker.
        id: WorkerId,
        /// What it waits on.
        on: Resource,
    },
    /// The run did not settle within the time given.
    #[error("the run did not settle within the deadline: a worker is running without reaching a scheduling point")]
    Timeout,
}

#[derive(Debug)]
pub(crate) enum Phase {
    Running,
    Held { op: Op, blocked: Option<Resource> },
    Done,
}

/// The chooser's own state (its random generator and priorities).
#[derive(Debug)]
enum Picker {
    Learner,
    Fixed {
        schedule: Vec<usize>,
    },
    Random {
        rng: Rng,
    },
    Pct {
        rng: Rng,
        priorities: Vec<u64>,
        change_at: Vec<usize>,
    },
}

/// How many steps PCT spreads its priority changes over.
const PCT_HORIZON: u64 = 64;

impl Picker {
    fn new(chooser: &Chooser) -> Self {
        match chooser {
            Chooser::Learner => Self::Learner,
            Chooser::Fixed { schedule } => Self::Fixed {
                schedule: schedule.clone(),
            },
            Chooser::Random { seed } => Self::Random {
                rng: Rng::new(*seed),
            },
            Chooser::Pct { seed, depth } => {
                let mut rng = Rng::new(*seed);
                let changes = (*depth).clamp(*PCT_DEPTHS.start(), *PCT_DEPTHS.end()) - 1;
                // Distinct steps: two draws of one step would make one
                // change, and the run would aim at a smaller depth than
                // asked (at depth 8, about one seed in three did).
                let mut change_at = Vec::new();
                while change_at.len() < changes as usize {
                    let at = usize::try_from(rng.below(PCT_HORIZON)).unwrap_or(0);
                    if !change_at.contains(&at) {
                        change_at.push(at);
                    }
                }
                Self::Pct {
                    rng,
                    priorities: Vec::new(),
                    change_at,
                }
            }
        }
    }
}

/// A small, seeded generator (SplitMix64): the same seed gives the same
/// schedule on every platform.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Stepped mode's state.
#[derive(Debug)]
pub(crate) struct Steps {
    picker: Picker,
    /// Automatic choosers start choosing once the caller says so
    /// (`Yard::begin_steps`), so every worker is known before the first choice.
    go: bool,
    lanes: IndexMap<WorkerId, Phase>,
    pub(crate) granted: Option<WorkerId>,
    schedule: Vec<usize>,
    left_schedule: Option<String>,
}

impl Steps {
    pub(crate) fn new(chooser: &Chooser) -> Self {
        Self {
            picker: Picker::new(chooser),
            go: false,
            lanes: IndexMap::new(),
            granted: None,
            schedule: Vec::new(),
            left_schedule: None,
        }
    }

    pub(crate) fn begin(&mut self) {
        self.go = true;
    }

    /// A worker was started: it runs until its first scheduling point.
    pub(crate) fn started(&mut self, id: &WorkerId) {
        self.lanes.insert(id.clone(), Phase::Running);
    }

    pub(crate) fn ended(&mut self, id: &WorkerId) {
        if let Some(phase) = self.lanes.get_mut(id) {
            *phase = Phase::Done;
        }
        if self.granted.as_ref() == Some(id) {
            self.granted = None;
        }
    }

    pub(crate) fn hold(&mut self, id: &WorkerId, op: Op, blocked: Option<Resource>) {
        self.lanes.insert(id.clone(), Phase::Held { op, blocked });
    }

    /// Takes a grant made to `id`, if there is one: it runs again.
    pub(crate) fn take_grant(&mut self, id: &WorkerId) -> bool {
        if self.granted.as_ref() != Some(id) {
            return false;
        }
        self.granted = None;
        self.lanes.insert(id.clone(), Phase::Running);
        true
    }

    /// No worker runs and no grant is outstanding.
    pub(crate) fn settled(&self) -> bool {
        self.granted.is_none() && !self.lanes.values().any(|p| matches!(p, Phase::Running))
    }

    pub(crate) fn finished(&self) -> bool {
        self.lanes.values().all(|p| matches!(p, Phase::Done))
    }

    /// Unblocks every worker held on `on` (it was released): each may go.
    pub(crate) fn release(&mut self, on: &Resource) {
        for phase in self.lanes.values_mut() {
            if let Phase::Held { blocked, .. } = phase {
                if blocked.as_ref() == Some(on) {
                    *blocked = None;
                }
            }
        }
    }

    fn ready(&self) -> Vec<usize> {
        self.lanes
            .values()
            .enumerate()
            .filter(|(_, p)| matches!(p, Phase::Held { blocked: None, .. }))
            .map(|(i, _)| i)
            .collect()
    }

    /// Settled, some held, none able to go.
    pub(crate) fn stuck(&self) -> bool {
        self.settled() && !self.finished() && self.ready().is_empty()
    }

    /// Grants worker `index` (checked by the caller).
    fn grant_index(&mut self, index: usize) -> Option<WorkerId> {
        let (id, _) = self.lanes.get_index(index)?;
        let id = id.clone();
        self.schedule.push(index);
        self.granted = Some(id.clone());
        Some(id)
    }

    /// A learner's grant.
    pub(crate) fn grant(&mut self, id: &str) -> Result<(usize, WorkerId), StepError> {
        let Some((index, key, phase)) = self.lanes.get_full(id) else {
            return Err(StepError::Unknown(id.to_owned()));
        };
        let status = status(phase);
        if status == StepStatus::Blocked {
            if let Phase::Held {
                blocked: Some(on), ..
            } = phase
            {
                return Err(StepError::Blocked {
                    id: key.clone(),
                    on: on.clone(),
                });
            }
        }
        if !self.settled() {
            return Err(StepError::Busy);
        }
        if status != StepStatus::Ready {
            return Err(StepError::NotReady {
                id: key.clone(),
                status,
            });
        }
        let id = self
            .grant_index(index)
            .unwrap_or_else(|| unreachable!("the index was just found"));
        Ok((self.schedule.len() - 1, id))
    }

    /// An automatic chooser's grant, when the run has settled: the worker
    /// granted and the step's number.
    pub(crate) fn choose(&mut self) -> Option<(usize, WorkerId)> {
        if !self.go || !self.settled() {
            return None;
        }
        let ready = self.ready();
        let step = self.schedule.len();
        if ready.is_empty() {
            // Settled with no one able to go: the run is over (finished or
            // stuck). A fixed schedule with steps left was not followed to
            // its end: say so, or a replay that ended early looks exact.
            if let Picker::Fixed { schedule } = &self.picker {
                if step < schedule.len() {
                    let why = format!(
                        "step {step}: the run could not go on (no worker can go), but the schedule has {} steps",
                        schedule.len()
                    );
                    self.left_schedule.get_or_insert(why);
                }
            }
            return None;
        }
        let pick = match &mut self.picker {
            Picker::Learner => return None,
            Picker::Fixed { schedule } => match schedule.get(step) {
                Some(want) if ready.contains(want) => *want,
                Some(want) => {
                    let why = format!(
                        "step {step}: worker {want} cannot go (ready: {ready:?}); went on with worker {}",
                        ready[0]
                    );
                    self.left_schedule.get_or_insert(why);
                    ready[0]
                }
                None => {
                    let why = format!(
                        "step {step}: the schedule ran out after its {step} steps; went on with worker {}",
                        ready[0]
                    );
                    self.left_schedule.get_or_insert(why);
                    ready[0]
                }
            },
            Picker::Random { rng } => {
                ready[usize::try_from(rng.below(ready.len() as u64)).unwrap_or(0)]
            }
            Picker::Pct {
                rng,
                priorities,
                change_at,
            } => {
                while priorities.len() < self.lanes.len() {
                    // Fresh, distinct, above every lowered one.
                    priorities.push(PCT_HORIZON + rng.below(u64::MAX / 2));
                }
                let best = |p: &Vec<u64>| {
                    ready
                        .iter()
                        .copied()
                        .max_by_key(|&i| p[i])
                        .unwrap_or(ready[0])
                };
                let mut pick = best(priorities);
                if change_at.contains(&step) {
                    priorities[pick] = (step as u64) % PCT_HORIZON;
                    pick = best(priorities);
                }
                pick
            }
        };
        self.grant_index(pick).map(|id| (step, id))
    }

    pub(crate) fn snapshot(&self) -> StepSnapshot {
        let lanes = self
            .lanes
            .iter()
            .enumerate()
            .map(|(index, (id, phase))| {
                let (next, blocked_on) = match phase {
                    Phase::Held { op, blocked } => (Some(op.clone()), blocked.clone()),
                    _ => (None, None),
                };
                StepLane {
                    id: id.clone(),
                    index,
                    status: status(phase),
                    next_text: next.as_ref().map(ToString::to_string),
                    next,
                    blocked_on,
                }
            })
            .collect();
        StepSnapshot {
            lanes,
            schedule_ids: self
                .schedule
                .iter()
                .filter_map(|&i| self.lanes.get_index(i).map(|(id, _)| id.clone()))
                .collect(),
            schedule: self.schedule.clone(),
            settled: self.settled(),
            stuck: self.stuck(),
            finished: self.finished(),
            left_schedule: self.left_schedule.clone(),
        }
    }
}

fn status(phase: &Phase) -> StepStatus {
    match phase {
        Phase::Running => StepStatus::Running,
        Phase::Held { blocked: None, .. } => StepStatus::Ready,
        Phase::Held { .. } => StepStatus::Blocked,
        Phase::Done => StepStatus::Done,
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn id(name: &str) -> WorkerId {
        WorkerId::new(name).unwrap()
    }

    fn two_held(chooser: &Chooser) -> Steps {
        let mut steps = Steps::new(chooser);
        for name in ["a", "b"] {
            steps.started(&id(name));
            steps.hold(&id(name), Op::Load("x".into()), None);
        }
        steps.begin();
        steps
    }

    #[test]
    fn a_fixed_schedule_is_followed_then_the_first_ready_goes() {
        let mut steps = two_held(&Chooser::Fixed { schedule: vec![1] });
        assert_eq!(steps.choose(), Some((0, id("b"))));
        assert!(steps.choose().is_none(), "a grant is outstanding");
        assert!(steps.take_grant(&id("b")));
        assert!(steps.choose().is_none(), "b runs");
        steps.hold(&id("b"), Op::Store("x".into()), None);
        assert_eq!(steps.choose(), Some((1, id("a"))));
        assert_eq!(steps.snapshot().schedule, [1, 0]);
        // The list ran out: the run goes on, and says it left the list.
        let why = steps.snapshot().left_schedule.expect("marked");
        assert!(why.contains("ran out"), "{why}");
    }

    #[test]
    fn blocked_workers_are_never_chosen_and_all_blocked_is_stuck() {
        let mut steps = two_held(&Chooser::Random { seed: 7 });
        steps.hold(
            &id("a"),
            Op::Lock("L".into()),
            Some(Resource::Lock("L".into())),
        );
        for _ in 0..10 {
            let (_, who) = steps.choose().unwrap();
            assert_eq!(who, id("b"));
            assert!(steps.take_grant(&who));
            steps.hold(&who, Op::Load("x".into()), None);
        }
        steps.hold(
            &id("b"),
            Op::Lock("M".into()),
            Some(Resource::Lock("M".into())),
        );
        assert!(steps.choose().is_none());
        assert!(steps.stuck());
        steps.release(&Resource::Lock("L".into()));
        assert!(!steps.stuck());
    }

    #[test]
    fn a_learner_grants_only_a_ready_worker_once_settled() {
        let mut steps = two_held(&Chooser::Learner);
        assert!(steps.choose().is_none());
        assert_eq!(steps.grant("a").unwrap(), (0, id("a")));
        assert_eq!(steps.grant("b"), Err(StepError::Busy));
        assert!(matches!(steps.grant("zz"), Err(StepError::Unknown(_))));
    }

    /// PCT at depth d changes priorities at d - 1 distinct steps, for every
    /// seed (the extremes too); depths outside 1 to 8 are taken as the
    /// nearest. Two change points drawn on one step made one change.
    #[test]
    fn pct_makes_depth_minus_one_priority_changes_for_every_seed() {
        let seeds = (0..2_000).chain([u64::MAX, u64::MAX - 1]);
        for seed in seeds {
            for (depth, changes) in [(0, 0), (1, 0), (2, 1), (3, 2), (8, 7), (u32::MAX, 7)] {
                let Picker::Pct { change_at, .. } = Picker::new(&Chooser::Pct { seed, depth })
                else {
                    unreachable!("a PCT chooser makes a PCT picker")
                };
                let mut distinct = change_at.clone();
                distinct.sort_unstable();
                distinct.dedup();
                assert_eq!(
                    distinct.len(),
                    changes,
                    "seed {seed}, depth {depth}: change points {change_at:?}"
                );
            }
        }
    }

    #[test]
    fn the_same_seed_chooses_the_same_way() {
        let run = |chooser: Chooser| {
            let mut steps = two_held(&chooser);
            let mut picks = Vec::new();
            for _ in 0..20 {
                let (_, who) = steps.choose().unwrap();
                steps.take_grant(&who);
                steps.hold(&who, Op::Load("x".into()), None);
                picks.push(who);
            }
            picks
        };
        for chooser in [
            Chooser::Random { seed: 3 },
            Chooser::Pct { seed: 3, depth: 3 },
        ] {
            assert_eq!(run(chooser.clone()), run(chooser));
        }
    }
}
