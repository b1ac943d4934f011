//! Plain words for what just happened: a line per event worth telling, from
//! the manager's event log and the mailbox figures, plus the script's own
//! lines. Each line keeps its moment on the manager's clock, so the page can
//! point at it on the timeline.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::model::{EventView, Snapshot};

/// Lines kept; older ones scroll away.
const KEEP: usize = 400;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    /// What the script did, and why.
    Script,
    /// What a worker or the manager did.
    Event,
    /// Something went wrong (a failure, a refusal, a missed deadline).
    Problem,
    /// What the run showed, at its end.
    Lesson,
}

impl LineKind {
    pub fn class(self) -> &'static str {
        match self {
            Self::Script => "script",
            Self::Event => "event",
            Self::Problem => "problem",
            Self::Lesson => "lesson",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    /// On the manager's clock (milliseconds since it was made).
    pub at_ms: f64,
    pub kind: LineKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Narrator {
    pub lines: VecDeque<Line>,
    /// When each worker's pending pause was requested.
    asked: BTreeMap<String, f64>,
    /// Workers paused now.
    paused: BTreeSet<String>,
    /// Restarts told so far, per worker.
    restarts: BTreeMap<String, u64>,
    /// Workers whose mailbox was full at the last refresh.
    full: BTreeSet<String>,
    /// The speed of the run, so "a long wait" means the same at any speed.
    pub speed: f64,
}

impl Default for Narrator {
    fn default() -> Self {
        Self {
            lines: VecDeque::new(),
            asked: BTreeMap::new(),
            paused: BTreeSet::new(),
            restarts: BTreeMap::new(),
            full: BTreeSet::new(),
            speed: 1.0,
        }
    }
}

/// A pause that takes longer than this (at speed 1) waited for work with no
/// pause point: pause points in the ready-made workloads come every 100 ms
/// at most.
const LONG_PAUSE_WAIT_MS: f64 = 300.0;

fn ms(d: f64) -> String {
    if d >= 1_000.0 {
        format!("{:.1} s", d / 1e3)
    } else {
        format!("{d:.0} ms")
    }
}

impl Narrator {
    pub fn at_speed(speed: f64) -> Self {
        Self {
            speed,
            ..Self::default()
        }
    }

    pub fn say(&mut self, at_ms: f64, kind: LineKind, text: impl Into<String>) {
        if self.lines.len() == KEEP {
            self.lines.pop_front();
        }
        // In time order: events reach the page at its next refresh, after
        // the script's lines about what came later.
        let at = self
            .lines
            .iter()
            .rposition(|l| l.at_ms <= at_ms)
            .map_or(0, |i| i + 1);
        self.lines.insert(
            at,
            Line {
                at_ms,
                kind,
                text: text.into(),
            },
        );
    }

    /// Tells one event, if it is worth telling (single messages are not:
    /// the script's lines and the mailbox figures tell those).
    pub fn event(&mut self, e: &EventView) {
        let at = e.at_us / 1e3;
        let error = e.error.clone().unwrap_or_default();
        let Some(w) = e.worker.clone() else {
            return self.manager_event(e, at);
        };
        let (kind, text) = match e.kind.as_str() {
            "created" => (
                LineKind::Event,
                format!("{w} is created: it has a name, a mailbox and its figures, but no thread yet."),
            ),
            "started" => (LineKind::Event, format!("{w} starts running on a thread of its own (a Web Worker).")),
            "pause-requested" => {
                self.asked.insert(w.clone(), at);
                (
                    LineKind::Event,
                    format!("The manager asks {w} to pause. It goes on until its next pause point (pause requested)."),
                )
            }
            "paused" => {
                self.paused.insert(w.clone());
                let asked = self.asked.remove(&w);
                let text = match (e.by_itself, asked) {
                    (Some(true), _) => format!(
                        "{w} read \"pause\" from its mailbox and paused itself. Its thread now sleeps: no CPU, no polling."
                    ),
                    (_, Some(asked)) if at - asked >= LONG_PAUSE_WAIT_MS / self.speed => format!(
                        "{w} paused {} after the request: it was inside work with no pause point, so the request had to wait (the orange stretch on the timeline).",
                        ms(at - asked)
                    ),
                    (_, Some(asked)) => format!(
                        "{w} reached a pause point and paused, {} after the request.",
                        ms(at - asked)
                    ),
                    _ => format!("{w} paused at a pause point."),
                };
                (LineKind::Event, text)
            }
            "resumed" => {
                let was_paused = self.paused.remove(&w);
                self.asked.remove(&w);
                let text = if was_paused {
                    format!("{w} is resumed: one state change and one wakeup, and it carries on from the pause point where it stopped.")
                } else {
                    format!("{w}'s pending pause is withdrawn before it reached a pause point.")
                };
                (LineKind::Event, text)
            }
            "stop-requested" => (
                LineKind::Event,
                format!("{w} is asked to stop: its next pause point or wait returns \"stop requested\" and its task winds down."),
            ),
            "stopped" => {
                self.paused.remove(&w);
                (LineKind::Event, format!("{w} stopped cleanly. Its figures stay in the table until it is removed."))
            }
            "failed" => (
                LineKind::Problem,
                format!("{w} failed: {error}. It stays Failed with the message kept; the other workers go on."),
            ),
            "restarted" => {
                let n = self.restarts.entry(w.clone()).or_insert(0);
                *n += 1;
                (
                    LineKind::Problem,
                    format!("{w} failed ({error}); its restart policy runs the task again (restart {n}). The panic was caught at the worker's edge: nobody else noticed."),
                )
            }
            "error-recorded" => (LineKind::Problem, format!("{w} recorded an error and goes on: {error}")),
            "removed" => (LineKind::Event, format!("{w} is removed from the manager.")),
            _ => return,
        };
        self.say(at, kind, text);
    }

    fn manager_event(&mut self, e: &EventView, at: f64) {
        let (kind, text) = match e.kind.as_str() {
            "broadcast" => {
                let (delivered, full) = (e.delivered.unwrap_or(0), e.full.unwrap_or(0));
                if full == 0 {
                    (
                        LineKind::Event,
                        format!("The broadcast went into {delivered} mailbox(es) at once: no monitor thread relays it."),
                    )
                } else {
                    (
                        LineKind::Problem,
                        format!("The broadcast went into {delivered} mailbox(es); {full} full one(s) refused it. Nothing is dropped silently: the report names them."),
                    )
                }
            }
            "shutdown-started" => (
                LineKind::Event,
                "Shutdown begins: every worker is asked to stop and woken at once, and one deadline covers them all.".to_owned(),
            ),
            "shutdown-finished" => match e.unresponsive.unwrap_or(0) {
                0 => (
                    LineKind::Event,
                    "Shutdown finished: every worker stopped within the deadline.".to_owned(),
                ),
                n => (
                    LineKind::Problem,
                    format!("Shutdown finished: {n} worker(s) did not stop by the deadline and are reported unresponsive. They keep their thread until their task returns."),
                ),
            },
            _ => return,
        };
        self.say(at, kind, text);
    }

    /// Tells what the figures show that no event does: a mailbox filling up.
    pub fn sample(&mut self, snapshot: &Snapshot) {
        for w in &snapshot.workers {
            let (depth, capacity) = (w.mailbox.depth, w.mailbox.capacity);
            if depth >= capacity && !w.finished() && self.full.insert(w.id.clone()) {
                self.say(
                    snapshot.at_ms,
                    LineKind::Event,
                    format!("{}'s mailbox is full ({depth} of {capacity}). Its senders now wait for room, or are refused: that is back-pressure.", w.id),
                );
            } else if depth * 2 <= capacity && self.full.remove(&w.id) {
                self.say(
                    snapshot.at_ms,
                    LineKind::Event,
                    format!("{}'s mailbox has room again ({depth} of {capacity}).", w.id),
                );
            }
        }
    }
}
