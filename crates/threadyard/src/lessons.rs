//! Stepped lessons: where threads go wrong, on real threads, as data.
//!
//! A lesson is a few workers, each a short program of operations on shared
//! cells and locks, and an invariant (what must hold at the end). Run in
//! stepped mode ([`Chooser`]), every operation is one step, so the learner
//! (or a schedule, or a seeded search) picks the interleaving and watches
//! the consequence: a lost update, a deadlock. Each broken lesson has a
//! fixed twin where no schedule breaks the invariant. The web app and
//! `threadyard scenario ID --schedule 0,1,1,0` / `--explore N` run them.
//!
//! ```
//! use threadyard::lessons;
//! use threadyard::Chooser;
//!
//! let lesson = lessons::find("lost-update").expect("built in");
//! let run = lessons::run(&lesson, Chooser::Fixed { schedule: vec![0, 1, 1, 0] })?;
//! assert!(!run.outcome.holds);
//! assert_eq!(run.cells, [("counter".to_owned(), 1)]);
//!
//! let found = lessons::explore(&lesson, 100, 0)?;
//! assert!(found.failing.is_some() && found.tried <= 100);
//! # Ok::<(), lessons::LessonError>(())
//! ```

use std::time::Duration;

use serde::Serialize;

use crate::error::{ConfigError, ShareError, SpawnError};
use crate::events::{AccessOp, EventKind};
use crate::id::WorkerId;
use crate::shared::{SharedCell, SharedLock};
use crate::steps::{Chooser, StepError};
use crate::waits::Deadlock;
use crate::yard::Yard;

/// A stepped lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Lesson {
    /// Short stable name (`"lost-update"`...).
    pub id: &'static str,
    /// What a chooser shows.
    pub title: &'static str,
    /// The idea, in a few plain sentences.
    pub teaches: &'static str,
    /// What the learner should try, in plain words.
    pub try_this: &'static str,
    /// Said when the invariant breaks: why it did.
    pub when_broken: &'static str,
    /// Said when the run ends with the invariant holding.
    pub when_held: &'static str,
    /// The broken lesson this one fixes, if it is a fix.
    pub fixes: Option<&'static str>,
    /// Shared cells and their first values.
    pub cells: Vec<(&'static str, i64)>,
    /// Locks, all free at first.
    pub locks: Vec<&'static str>,
    /// The workers, started in this order (their schedule indices).
    pub cast: Vec<Program>,
    /// What must hold at the end.
    pub expect: Expect,
}

/// One worker of a lesson and its program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Program {
    /// The worker's id.
    pub id: &'static str,
    /// Its operations, in order: one step each.
    pub ops: Vec<Instr>,
}

/// One operation of a program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Instr {
    /// Read a cell into the worker's register.
    Load {
        /// The cell.
        cell: &'static str,
    },
    /// Write the register plus `add` into a cell.
    Store {
        /// The cell.
        cell: &'static str,
        /// Added to the value last loaded.
        add: i64,
    },
    /// Take a lock (waiting while another worker holds it).
    Lock {
        /// The lock.
        lock: &'static str,
    },
    /// Release a lock.
    Unlock {
        /// The lock.
        lock: &'static str,
    },
}

/// A lesson's invariant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "expect", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Expect {
    /// The cell ends with this value.
    CellEquals {
        /// The cell.
        cell: &'static str,
        /// Its value at the end.
        value: i64,
    },
    /// Every worker finishes: no deadlock.
    AllFinish,
}

/// Every lesson, each broken one followed by its fix.
pub fn all() -> Vec<Lesson> {
    vec![
        lost_update(),
        lost_update_locked(),
        deadlock(),
        deadlock_ordered(),
        philosophers(),
        philosophers_ordered(),
    ]
}

/// The lesson called `id`.
pub fn find(id: &str) -> Option<Lesson> {
    all().into_iter().find(|l| l.id == id)
}

fn increment(id: &'static str) -> Program {
    Program {
        id,
        ops: vec![
            Instr::Load { cell: "counter" },
            Instr::Store {
                cell: "counter",
                add: 1,
            },
        ],
    }
}

fn locked_increment(id: &'static str) -> Program {
    let mut ops = vec![Instr::Lock { lock: "L" }];
    ops.extend(increment(id).ops);
    ops.push(Instr::Unlock { lock: "L" });
    Program { id, ops }
}

fn lost_update() -> Lesson {
    Lesson {
        id: "lost-update",
        title: "Lost update",
        teaches: "Two workers each add 1 to a shared counter, but the wrong way: they load the \
                  counter, then store what they loaded plus 1, as two separate steps. Between the \
                  two, the other worker may run.",
        try_this: "Grant worker_a its load, then worker_b its load, then let both store. Can you \
                   make the counter end below 2?",
        when_broken: "Both workers loaded the same value before either stored, so the second \
                      store wrote over the first: one update is lost. Nothing crashed and no \
                      error was raised; the total is just wrong.",
        when_held: "Each worker stored before the other loaded, so both updates counted. Try \
                    granting the second load before the first store.",
        fixes: None,
        cells: vec![("counter", 0)],
        locks: vec![],
        cast: vec![increment("worker_a"), increment("worker_b")],
        expect: Expect::CellEquals {
            cell: "counter",
            value: 2,
        },
    }
}

fn lost_update_locked() -> Lesson {
    Lesson {
        id: "lost-update-locked",
        title: "Lost update, fixed with a lock",
        teaches: "The same two increments, each done while holding lock L: lock, load, store, \
                  unlock. A worker that finds L held waits for its holder to unlock.",
        try_this: "Try the interleaving that lost an update before: grant worker_b as soon as \
                   worker_a has loaded. worker_b cannot even start its load.",
        when_broken: "The counter is wrong: the lock did not cover the load and the store.",
        when_held: "Whatever the order, the load and the store of one worker happen together \
                    while it holds L, so no update can be lost: the counter ends at 2.",
        fixes: Some("lost-update"),
        cells: vec![("counter", 0)],
        locks: vec!["L"],
        cast: vec![locked_increment("worker_a"), locked_increment("worker_b")],
        expect: Expect::CellEquals {
            cell: "counter",
            value: 2,
        },
    }
}

fn two_locks(id: &'static str, first: &'static str, second: &'static str) -> Program {
    Program {
        id,
        ops: vec![
            Instr::Lock { lock: first },
            Instr::Lock { lock: second },
            Instr::Unlock { lock: second },
            Instr::Unlock { lock: first },
        ],
    }
}

fn deadlock() -> Lesson {
    Lesson {
        id: "deadlock",
        title: "Deadlock",
        teaches: "Two workers each need both locks L1 and L2, but take them in opposite orders: \
                  worker_a takes L1 then L2, worker_b takes L2 then L1.",
        try_this: "Grant worker_a its first lock, then worker_b its first lock. Now try to give \
                   either one its second lock.",
        when_broken: "Each worker holds the lock the other wants and waits for the other to \
                      release it; neither can, so both wait forever. The manager sees the cycle \
                      of waits the moment it closes and names it.",
        when_held: "One worker took both locks before the other took any, so nobody waited in a \
                    circle. Try giving each worker its first lock before either gets its second.",
        fixes: None,
        cells: vec![],
        locks: vec!["L1", "L2"],
        cast: vec![
            two_locks("worker_a", "L1", "L2"),
            two_locks("worker_b", "L2", "L1"),
        ],
        expect: Expect::AllFinish,
    }
}

fn deadlock_ordered() -> Lesson {
    Lesson {
        id: "deadlock-ordered",
        title: "Deadlock, fixed with a lock order",
        teaches: "Both workers now take L1 before L2: one order for everybody.",
        try_this: "Try the schedule that deadlocked: worker_a's first lock, then worker_b's. \
                   worker_b now waits for L1 while holding nothing.",
        when_broken: "A cycle of waits formed: the lock order was not followed.",
        when_held: "With one lock order, whoever holds L1 can always get L2, so a cycle of \
                    waits can never close: every schedule finishes.",
        fixes: Some("deadlock"),
        cells: vec![],
        locks: vec!["L1", "L2"],
        cast: vec![
            two_locks("worker_a", "L1", "L2"),
            two_locks("worker_b", "L1", "L2"),
        ],
        expect: Expect::AllFinish,
    }
}

const PHILOSOPHERS: [&str; 3] = ["socrates", "plato", "hume"];
const FORKS: [&str; 3] = ["fork0", "fork1", "fork2"];

fn philosophers() -> Lesson {
    Lesson {
        id: "philosophers",
        title: "Dining philosophers",
        teaches: "Three philosophers sit round a table with one fork between each pair. To eat, \
                  each picks up the fork on their left, then the one on their right.",
        try_this: "Let every philosopher pick up their left fork before anyone picks up a right \
                   one.",
        when_broken: "Each philosopher holds one fork and waits for the next one's: a cycle of \
                      three waits, and nobody eats ever again.",
        when_held: "Somebody got both forks before the circle closed. Try giving all three \
                    their left fork first.",
        fixes: None,
        cells: vec![],
        locks: FORKS.to_vec(),
        cast: (0..3)
            .map(|i| two_locks(PHILOSOPHERS[i], FORKS[i], FORKS[(i + 1) % 3]))
            .collect(),
        expect: Expect::AllFinish,
    }
}

fn philosophers_ordered() -> Lesson {
    Lesson {
        id: "philosophers-ordered",
        title: "Dining philosophers, fixed with a fork order",
        teaches: "Forks are numbered and everyone picks up the lower-numbered fork first: hume \
                  now reaches for fork0 before fork2.",
        try_this: "Try again to give everyone one fork first.",
        when_broken: "A cycle of waits formed: the fork order was not followed.",
        when_held: "With one order for all, the philosopher holding the highest fork can always \
                    take the next one up, so the circle never closes: everyone eats.",
        fixes: Some("philosophers"),
        cells: vec![],
        locks: FORKS.to_vec(),
        cast: (0..3)
            .map(|i| {
                let (a, b) = (i, (i + 1) % 3);
                two_locks(PHILOSOPHERS[i], FORKS[a.min(b)], FORKS[a.max(b)])
            })
            .collect(),
        expect: Expect::AllFinish,
    }
}

/// Why a lesson could not be run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LessonError {
    /// No lesson has that id.
    #[error("no lesson called {0:?}: see lessons::all()")]
    Unknown(String),
    /// Its manager could not be built.
    #[error("could not build the lesson's manager: {0}")]
    Config(#[from] ConfigError),
    /// A cell or lock could not be made.
    #[error("could not make the lesson's shared state: {0}")]
    Share(#[from] ShareError),
    /// A worker could not be started (no thread free?).
    #[error("could not start a worker of the lesson: {0}")]
    Spawn(#[from] SpawnError),
    /// The run did not settle in time.
    #[error("the lesson's run did not settle: {0}")]
    Step(#[from] StepError),
    /// [`run`] was given `Chooser::Learner`: nobody would grant a step.
    #[error("lessons::run needs an automatic chooser, not Chooser::Learner (nobody would grant a step): for a learner's run use lessons::start, Yard::grant and lessons::outcome")]
    Learner,
    /// A PCT depth outside 1 to 8 (it would be run as the nearest).
    #[error("PCT depth {0} is out of range: use 1 to 8")]
    Depth(u32),
}

/// One scheduled event of a run: the same for every replay of its schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Happened {
    /// The worker concerned, if any.
    pub worker: Option<WorkerId>,
    /// What happened.
    #[serde(flatten)]
    pub kind: EventKind,
}

/// Whether the invariant held, and why, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Outcome {
    /// The invariant held.
    pub holds: bool,
    /// What happened and why.
    pub says: String,
}

/// One run of a lesson.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Run {
    /// The lesson.
    pub lesson: &'static str,
    /// The grants, as worker indices: replay it with
    /// `Chooser::Fixed { schedule }`.
    pub schedule: Vec<usize>,
    /// Every scheduled event, in order: grants, operations with their
    /// values, waits, deadlocks.
    pub happened: Vec<Happened>,
    /// The cells at the end.
    pub cells: Vec<(String, i64)>,
    /// The first deadlock, if one formed.
    pub deadlock: Option<Deadlock>,
    /// Whether the invariant held.
    pub outcome: Outcome,
    /// Set when the run did not take exactly the steps of its fixed
    /// schedule (a listed worker could not go, the list ran out, or the run
    /// ended with steps of it left), saying where and why; `None` means
    /// `schedule` is the one given.
    pub left_schedule: Option<String>,
}

/// The longest a run may take to settle (only reached when it is broken).
const SETTLE: Duration = Duration::from_secs(60);

/// Runs `lesson` on real threads in stepped mode, steps chosen by `chooser`
/// (not [`Chooser::Learner`], refused with [`LessonError::Learner`]: nobody
/// would grant), and checks its invariant.
pub fn run(lesson: &Lesson, chooser: Chooser) -> Result<Run, LessonError> {
    if chooser == Chooser::Learner {
        // It would settle at once, every worker held at its first step, and
        // be judged as if it had ended there.
        return Err(LessonError::Learner);
    }
    let yard = Yard::<()>::builder()
        .stepped(chooser)
        .event_capacity(4096)
        .build()
        .map_err(|e| match e {
            ConfigError::PctDepth { given } => LessonError::Depth(given),
            other => LessonError::from(other),
        })?;
    start(&yard, lesson)?;
    yard.begin_steps()?;
    let steps = yard.settle(SETTLE)?;
    let run = outcome(&yard, lesson, steps.schedule, steps.left_schedule);
    // A deadlocked run's workers are held: shutdown wakes them to stop.
    drop(yard.shutdown(SETTLE));
    Ok(run)
}

/// Makes the lesson's cells and locks in `yard` and starts its workers, in
/// order; each is then held at its first step. For a learner's run: build
/// `yard` with `stepped(Chooser::Learner)` and grant steps.
pub fn start<T: Send + 'static>(yard: &Yard<T>, lesson: &Lesson) -> Result<(), LessonError> {
    let mut cells = Vec::new();
    for (name, value) in &lesson.cells {
        cells.push(yard.cell(name, *value)?);
    }
    let mut locks = Vec::new();
    for name in &lesson.locks {
        locks.push(yard.lock(name)?);
    }
    for program in &lesson.cast {
        let ops = program.ops.clone();
        let (cells, locks) = (cells.clone(), locks.clone());
        yard.spawn(program.id, move |w| {
            let mut loaded = 0;
            for op in &ops {
                match op {
                    Instr::Load { cell } => loaded = named(&cells, cell).load(w)?,
                    Instr::Store { cell, add } => named(&cells, cell).store(w, loaded + add)?,
                    Instr::Lock { lock } => named_lock(&locks, lock).lock(w)?,
                    Instr::Unlock { lock } => named_lock(&locks, lock).unlock(w)?,
                }
            }
            Ok(())
        })?;
    }
    Ok(())
}

fn named<'a>(cells: &'a [SharedCell], name: &str) -> &'a SharedCell {
    cells
        .iter()
        .find(|c| c.name() == name)
        .unwrap_or_else(|| unreachable!("every cell a program names is made by start"))
}

fn named_lock<'a>(locks: &'a [SharedLock], name: &str) -> &'a SharedLock {
    locks
        .iter()
        .find(|l| l.name() == name)
        .unwrap_or_else(|| unreachable!("every lock a program names is made by start"))
}

/// The run as it stands in `yard`: its scheduled events, cells, deadlock
/// and whether the invariant held (a learner's run, once settled).
pub fn outcome<T: Send + 'static>(
    yard: &Yard<T>,
    lesson: &Lesson,
    schedule: Vec<usize>,
    left_schedule: Option<String>,
) -> Run {
    let happened: Vec<Happened> = yard
        .events_since(0)
        .events
        .into_iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Access { .. }
                    | EventKind::Waiting { .. }
                    | EventKind::WaitOver { .. }
                    | EventKind::Deadlock { .. }
                    | EventKind::Granted { .. }
                    | EventKind::Stuck
            )
        })
        .map(|e| Happened {
            worker: e.worker,
            kind: e.kind,
        })
        .collect();
    let snapshot = yard.snapshot();
    let finished = snapshot.steps.as_ref().is_some_and(|s| s.finished);
    let stuck = snapshot.steps.as_ref().is_some_and(|s| s.stuck);
    let cells: Vec<(String, i64)> = lesson
        .cells
        .iter()
        .map(|(name, _)| ((*name).to_owned(), peek(&happened, name, lesson)))
        .collect();
    let deadlock = snapshot.deadlocks.into_iter().next();
    let outcome = judge(
        lesson,
        &cells,
        (finished, stuck),
        deadlock.as_ref(),
        &happened,
    );
    Run {
        lesson: lesson.id,
        schedule,
        happened,
        cells,
        deadlock,
        outcome,
        left_schedule,
    }
}

/// A cell's last value written, or its first value.
fn peek(happened: &[Happened], name: &str, lesson: &Lesson) -> i64 {
    happened
        .iter()
        .rev()
        .find_map(|h| match &h.kind {
            EventKind::Access {
                object,
                op: AccessOp::Store,
                value,
            } if object == name => *value,
            _ => None,
        })
        .or_else(|| {
            lesson
                .cells
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| *v)
        })
        .unwrap_or(0)
}

fn judge(
    lesson: &Lesson,
    cells: &[(String, i64)],
    (finished, stuck): (bool, bool),
    deadlock: Option<&Deadlock>,
    happened: &[Happened],
) -> Outcome {
    if let Some(deadlock) = deadlock {
        return Outcome {
            holds: false,
            says: format!("{}. {}", deadlock.text, lesson.when_broken),
        };
    }
    if stuck {
        return Outcome {
            holds: false,
            says: "The run is stuck: no worker can go on.".to_owned(),
        };
    }
    if !finished {
        // A learner's run between two steps: nothing is decided yet.
        return Outcome {
            holds: false,
            says: "The run is not over: a worker can still go on.".to_owned(),
        };
    }
    match lesson.expect {
        Expect::AllFinish => Outcome {
            holds: true,
            says: format!("Every worker finished. {}", lesson.when_held),
        },
        Expect::CellEquals { cell, value } => {
            let got = cells.iter().find(|(n, _)| n == cell).map_or(0, |(_, v)| *v);
            if got == value {
                Outcome {
                    holds: true,
                    says: format!("{cell} ends at {got}, as expected. {}", lesson.when_held),
                }
            } else {
                Outcome {
                    holds: false,
                    says: format!(
                        "{cell} ends at {got}, not {value}: {}{}",
                        same_loads(happened, cell),
                        lesson.when_broken
                    ),
                }
            }
        }
    }
}

/// "worker_a and worker_b both loaded 0. ", from the run's loads.
fn same_loads(happened: &[Happened], cell: &str) -> String {
    let loads: Vec<(&WorkerId, i64)> = happened
        .iter()
        .filter_map(|h| match (&h.worker, &h.kind) {
            (
                Some(w),
                EventKind::Access {
                    object,
                    op: AccessOp::Load,
                    value: Some(v),
                },
            ) if object == cell => Some((w, *v)),
            _ => None,
        })
        .collect();
    for (i, (a, v)) in loads.iter().enumerate() {
        if let Some((b, _)) = loads[i + 1..].iter().find(|(b, w)| w == v && b != a) {
            return format!("{a} and {b} both loaded {v}. ");
        }
    }
    String::new()
}

/// What a search found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Exploration {
    /// Schedules run.
    pub tried: usize,
    /// The first run that broke the invariant, if any did.
    pub failing: Option<Run>,
}

/// Runs `lesson` with up to `tries` seeded schedules (random and PCT in
/// turn, seeds from `seed` on) and stops at the first that breaks its
/// invariant.
pub fn explore(lesson: &Lesson, tries: usize, seed: u64) -> Result<Exploration, LessonError> {
    for tried in 1..=tries {
        let n = seed.wrapping_add(tried as u64);
        let chooser = if tried % 2 == 1 {
            Chooser::Random { seed: n }
        } else {
            Chooser::Pct { seed: n, depth: 2 }
        };
        let run = run(lesson, chooser)?;
        if !run.outcome.holds {
            return Ok(Exploration {
                tried,
                failing: Some(run),
            });
        }
    }
    Ok(Exploration {
        tried: tries,
        failing: None,
    })
}
