//! Plain words for what just happened: a line per event worth telling, from
//! the manager's event log and the mailbox figures, plus the script's own
//! lines. Each line keeps its moment on the manager's clock, so the page can
//! point at it on the timeline.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::clock::ScriptTime;
use crate::model::{Activity, BroadcastView, Delivery, EventKind, EventView, Snapshot};

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
    /// The script's clock, once a script runs: lines and the figures in
    /// them are told in script time (real time beside it where it differs).
    pub script: ScriptTime,
    /// How each worker's first requested pause went, for the "what happens
    /// next?" answers.
    pub pause_waits: BTreeMap<String, PauseWait>,
    /// Workers the latest snapshot showed inside a blocking call.
    in_blocking_call: BTreeSet<String>,
    /// Workers whose pending pause request was seen waiting on a blocking
    /// call (work with no pause point): the snapshot before the request or
    /// one while it waited showed them in it.
    asked_in_blocking_call: BTreeSet<String>,
}

/// How long a requested pause took, as the run measured it.
#[derive(Debug, Clone, PartialEq)]
pub struct PauseWait {
    /// The worker was seen inside a blocking call (work with no pause
    /// point) while the request waited.
    pub long: bool,
    /// In script time, with real time beside it where they differ.
    pub lasted: String,
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
            script: ScriptTime::default(),
            pause_waits: BTreeMap::new(),
            in_blocking_call: BTreeSet::new(),
            asked_in_blocking_call: BTreeSet::new(),
        }
    }
}

fn ms(d: f64) -> String {
    if d >= 1_000.0 {
        format!("{:.1} s", d / 1e3)
    } else {
        format!("{d:.0} ms")
    }
}

impl Narrator {
    /// When `at_ms` (manager time) was in script seconds, for a line's time.
    pub fn when(&self, at_ms: f64) -> String {
        // Never before the start: a worker created as the run began read
        // "-0.00 s" (its time a hair before the script's zero).
        let real = (at_ms / 1e3).max(0.0);
        match self.script.at(at_ms) {
            Some(script) if (script / 1e3 - real).abs() >= 0.005 => {
                format!("{:>6.2} s", (script / 1e3).max(0.0))
            }
            _ => format!("{real:>6.2} s"),
        }
    }

    /// How long from `from_ms` to `to_ms` (manager time) took, in script
    /// time, with real time beside it where the two differ.
    fn lasted(&self, from_ms: f64, to_ms: f64) -> String {
        let real = to_ms - from_ms;
        match self.script.span(from_ms, to_ms) {
            Some(script) if (script - real).abs() > 0.01 * real.max(1.0) => {
                format!("{} ({} real)", ms(script), ms(real))
            }
            _ => ms(real),
        }
    }

    /// A wait long enough to mean "no pause point for a while": measured
    /// in script time, so it means the same at any speed.
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
        let Some(w) = e.worker.clone() else {
            return self.manager_event(&e.kind, at);
        };
        let (kind, text) = match &e.kind {
            EventKind::Created => (
                LineKind::Event,
                format!("{w} is created: it has a name, a mailbox and its figures, but no thread yet."),
            ),
            EventKind::Started => (LineKind::Event, format!("{w} starts running on a thread of its own (a Web Worker).")),
            EventKind::PauseRequested => {
                self.asked.insert(w.clone(), at);
                if self.in_blocking_call.contains(&w) {
                    self.asked_in_blocking_call.insert(w.clone());
                }
                (
                    LineKind::Event,
                    // Asked by the manager or, like the seed's worker on "pause",
                    // by the worker itself: the same request either way.
                    format!("{w} is asked to pause. It goes on until its next pause point (pause requested)."),
                )
            }
            EventKind::Paused { by_itself } => {
                self.paused.insert(w.clone());
                let asked = self.asked.remove(&w);
                // Told from what the worker was seen doing, not from how
                // long the pause took: on a loaded machine a worker with a
                // pause point every few milliseconds can still take long.
                let long = self.asked_in_blocking_call.remove(&w);
                if let (false, Some(asked)) = (by_itself, asked) {
                    let wait = PauseWait {
                        long,
                        lasted: self.lasted(asked, at),
                    };
                    self.pause_waits.entry(w.clone()).or_insert(wait);
                }
                let text = match (by_itself, asked) {
                    (true, _) => format!(
                        "{w} paused itself, at once, with no request to wait on. Its thread now sleeps: no CPU, no polling."
                    ),
                    (_, Some(asked)) if long => format!(
                        "{w} paused {} after the request: it was inside work with no pause point, so the request had to wait (the orange stretch on the timeline).",
                        self.lasted(asked, at)
                    ),
                    (_, Some(asked)) => format!(
                        "{w} reached a pause point and paused, {} after the request.",
                        self.lasted(asked, at)
                    ),
                    _ => format!("{w} paused at a pause point."),
                };
                (LineKind::Event, text)
            }
            EventKind::Resumed => {
                let was_paused = self.paused.remove(&w);
                self.asked.remove(&w);
                let text = if was_paused {
                    format!("{w} is resumed: one state change and one wakeup, and it carries on from the pause point where it stopped.")
                } else {
                    format!("{w}'s pending pause is withdrawn before it reached a pause point.")
                };
                (LineKind::Event, text)
            }
            EventKind::StopRequested => (
                LineKind::Event,
                format!("{w} is asked to stop: its next pause point or wait returns \"stop requested\" and its task winds down."),
            ),
            EventKind::Stopped => {
                self.paused.remove(&w);
                (LineKind::Event, format!("{w} stopped cleanly. Its figures stay in the table until it is removed."))
            }
            EventKind::Failed { error } => (
                LineKind::Problem,
                format!("{w} failed: {error}. It stays Failed with the message kept; the other workers go on."),
            ),
            EventKind::Restarted { error } => {
                let n = self.restarts.entry(w.clone()).or_insert(0);
                *n += 1;
                (
                    LineKind::Problem,
                    format!("{w} failed ({error}); its restart policy runs the task again (restart {n}). threadyard caught the failure at the worker's edge: the other workers did not notice."),
                )
            }
            EventKind::ErrorRecorded { error } => (LineKind::Problem, format!("{w} recorded an error and goes on: {error}")),
            EventKind::Removed => (LineKind::Event, format!("{w} is removed from the manager.")),
            _ => return,
        };
        self.say(at, kind, text);
    }

    fn manager_event(&mut self, event: &EventKind, at: f64) {
        if let EventKind::Deadlock { text, .. } = event {
            let text = format!("{text}. Each of these workers waits for the next, so none can go on: the manager saw the cycle close and named it (see the deadlock ticks on their lanes).");
            self.say(at, LineKind::Problem, text);
            return;
        }
        let (kind, text) = match *event {
            EventKind::Broadcast { delivered, full: 0 } => (
                LineKind::Event,
                format!("The broadcast put a copy into {delivered} mailbox(es), one after another during the call: no monitor thread relays it."),
            ),
            EventKind::Broadcast { delivered, full } => (
                LineKind::Problem,
                format!("The broadcast put a copy into {delivered} mailbox(es); {full} full one(s) refused it, and the copy was handed back to the sender: nothing is dropped silently."),
            ),
            EventKind::ShutdownStarted => (
                LineKind::Event,
                "Shutdown begins: every worker is asked to stop, in one pass; the paused and waiting ones are woken, the others notice at their next pause point; one deadline covers them all.".to_owned(),
            ),
            EventKind::ShutdownFinished { unresponsive: 0 } => (
                LineKind::Event,
                "Shutdown finished within its deadline: no worker is left running (the report says which stopped cleanly and which failed).".to_owned(),
            ),
            EventKind::ShutdownFinished { unresponsive: n } => (
                LineKind::Problem,
                format!("Shutdown finished: {n} worker(s) did not stop by the deadline and are reported unresponsive. They keep their thread until their task returns."),
            ),
            _ => return,
        };
        self.say(at, kind, text);
    }

    /// Whether [`Narrator::sample`] would tell or note something of
    /// `snapshot` (so the narrator is copied only then).
    pub fn would_tell(&self, snapshot: &Snapshot) -> bool {
        snapshot.workers.iter().any(|w| {
            let (depth, capacity) = (w.mailbox.depth, w.mailbox.capacity);
            let full = self.full.contains(&w.id);
            let blocking = w.activity == Activity::Sleeping;
            (depth >= capacity && !w.finished() && !full)
                || (depth * 2 <= capacity && full)
                || blocking != self.in_blocking_call.contains(&w.id)
                || (blocking
                    && self.asked.contains_key(&w.id)
                    && !self.asked_in_blocking_call.contains(&w.id))
        })
    }

    /// Tells what the figures show that no event does (a mailbox filling
    /// up), and notes who is inside a blocking call, for the pauses.
    pub fn sample(&mut self, snapshot: &Snapshot) {
        for w in &snapshot.workers {
            if w.activity == Activity::Sleeping {
                self.in_blocking_call.insert(w.id.clone());
                if self.asked.contains_key(&w.id) {
                    self.asked_in_blocking_call.insert(w.id.clone());
                }
            } else {
                self.in_blocking_call.remove(&w.id);
            }
        }
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

/// The end of a wait for every worker, from how each one ended (`None`:
/// still running when the wait ended): a failed worker is named as failed.
pub fn ends(ends: &[(String, Option<String>)]) -> (LineKind, String) {
    let named = |wanted: &dyn Fn(Option<&str>) -> bool| -> Vec<&str> {
        ends.iter()
            .filter(|(_, state)| wanted(state.as_deref()))
            .map(|(id, _)| id.as_str())
            .collect()
    };
    let stopped = named(&|s| s == Some("stopped"));
    let failed = named(&|s| s == Some("failed"));
    let running = named(&|s| s.is_none_or(|s| s != "stopped" && s != "failed"));
    if failed.is_empty() && running.is_empty() {
        return (
            LineKind::Event,
            format!(
                "Every worker finished by itself: {} stopped cleanly.",
                stopped.join(", ")
            ),
        );
    }
    let mut parts = Vec::new();
    if !stopped.is_empty() {
        parts.push(format!("stopped cleanly: {}", stopped.join(", ")));
    }
    if !failed.is_empty() {
        parts.push(format!("failed earlier: {}", failed.join(", ")));
    }
    if !running.is_empty() {
        parts.push(format!(
            "still running when the wait ended: {}",
            running.join(", ")
        ));
    }
    (
        LineKind::Problem,
        format!("Not every worker finished cleanly. {}.", parts.join("; ")),
    )
}

/// What a broadcast did, worker by worker: which mailboxes took a copy and
/// which were full.
pub fn broadcast_report(report: &BroadcastView) -> (LineKind, String) {
    let with = |outcome: Delivery| -> Vec<&str> {
        report
            .recipients
            .iter()
            .filter(|r| r.outcome == outcome)
            .map(|r| r.id.as_str())
            .collect()
    };
    let full = with(Delivery::MailboxFull);
    let mut text = format!(
        "The broadcast's report: delivered to {}",
        list_or_none(&with(Delivery::Delivered))
    );
    if !full.is_empty() {
        text += &format!("; refused by full mailbox(es): {}", full.join(", "));
    }
    let finished = with(Delivery::Finished);
    if !finished.is_empty() {
        text += &format!("; already finished: {}", finished.join(", "));
    }
    text.push('.');
    let kind = if full.is_empty() {
        LineKind::Event
    } else {
        LineKind::Problem
    };
    (kind, text)
}

fn list_or_none(ids: &[&str]) -> String {
    if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::{event, in_blocking_call, worker};
    use crate::model::{MailboxView, WorkerState, WorkerView};

    fn texts(n: &Narrator) -> Vec<&str> {
        n.lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn the_end_of_a_wait_names_a_failed_worker_as_failed() {
        let end = |id: &str, state: Option<&str>| (id.to_owned(), state.map(str::to_owned));
        let (kind, text) = ends(&[
            end("steady_0", Some("stopped")),
            end("flaky", Some("failed")),
            end("steady_1", Some("stopped")),
        ]);
        assert_eq!(kind, LineKind::Problem);
        assert_eq!(
            text,
            "Not every worker finished cleanly. stopped cleanly: steady_0, steady_1; failed earlier: flaky."
        );
        assert!(!text.contains("finished by itself"));
        let (kind, text) = ends(&[end("a", Some("stopped")), end("b", None)]);
        assert_eq!(kind, LineKind::Problem);
        assert!(
            text.ends_with("still running when the wait ended: b."),
            "{text}"
        );
        let (kind, text) = ends(&[end("a", Some("stopped")), end("b", Some("stopped"))]);
        assert_eq!(
            (kind, text.as_str()),
            (
                LineKind::Event,
                "Every worker finished by itself: a, b stopped cleanly."
            )
        );
    }

    #[test]
    fn a_broadcast_report_names_the_full_mailboxes() {
        use crate::model::RecipientView;
        let to = |id: &str, outcome: Delivery| RecipientView {
            id: id.to_owned(),
            outcome,
        };
        let report = BroadcastView {
            recipients: vec![
                to("consumer", Delivery::MailboxFull),
                to("producer", Delivery::Delivered),
            ],
        };
        assert_eq!(
            broadcast_report(&report),
            (
                LineKind::Problem,
                "The broadcast's report: delivered to producer; refused by full mailbox(es): consumer."
                    .to_owned()
            )
        );
    }

    #[test]
    fn the_seed_run_is_told_in_order() {
        let mut n = Narrator::default();
        n.event(&event(0.0, Some("worker_1"), EventKind::Started));
        n.say(
            5_000.0,
            LineKind::Script,
            "At 5 s the script sends worker_1 \"pause\".",
        );
        n.event(&event(5_010.0, Some("worker_1"), EventKind::PauseRequested));
        n.event(&event(
            5_011.0,
            Some("worker_1"),
            EventKind::Paused { by_itself: false },
        ));
        n.event(&event(8_000.0, Some("worker_1"), EventKind::Resumed));
        n.event(&event(
            15_000.0,
            None,
            EventKind::Broadcast {
                delivered: 3,
                full: 0,
            },
        ));
        n.event(&event(15_100.0, Some("worker_1"), EventKind::Stopped));
        let told = texts(&n);
        assert_eq!(told.len(), 7);
        assert!(told[0].starts_with("worker_1 starts running"));
        assert!(told[1].starts_with("At 5 s"));
        assert!(told[2].starts_with("worker_1 is asked to pause"));
        assert!(told[3].starts_with("worker_1 reached a pause point and paused"));
        assert!(told[4].starts_with("worker_1 is resumed"));
        assert!(told[5].starts_with("The broadcast put a copy into 3 mailbox(es)"));
        assert!(told[6].starts_with("worker_1 stopped cleanly"));
        assert_eq!(n.lines[2].kind, LineKind::Event);
    }

    #[test]
    fn a_script_line_told_late_still_goes_in_time_order() {
        let mut n = Narrator::default();
        n.say(100.0, LineKind::Event, "first");
        n.say(300.0, LineKind::Event, "third");
        n.say(200.0, LineKind::Script, "second");
        assert_eq!(texts(&n), ["first", "second", "third"]);
    }

    /// The pause is told from what the worker was seen doing: one seen in a
    /// blocking call waited for work with no pause point; one that was not
    /// reached a pause point, however long it took (a loaded machine can
    /// keep a worker with a pause point every 10 ms from its CPU for longer
    /// than batch's whole wait).
    #[test]
    fn a_slow_pause_of_a_worker_never_seen_in_a_blocking_call_reached_a_pause_point() {
        let mut n = Narrator::at_speed(10.0);
        n.event(&event(0.0, Some("quick"), EventKind::PauseRequested));
        n.event(&event(
            500.0,
            Some("quick"),
            EventKind::Paused { by_itself: false },
        ));
        let told = texts(&n).join("\n");
        assert!(
            told.contains("quick reached a pause point and paused"),
            "{told}"
        );
        assert!(!n.pause_waits["quick"].long);
        // Seen in a blocking call while its request waited (not before it).
        n.event(&event(600.0, Some("batch"), EventKind::PauseRequested));
        n.sample(&in_blocking_call(650.0, "batch"));
        n.event(&event(
            700.0,
            Some("batch"),
            EventKind::Paused { by_itself: false },
        ));
        assert!(n.pause_waits["batch"].long);
        assert!(texts(&n).join("\n").contains("batch paused"));
    }

    #[test]
    fn a_pause_that_waited_for_a_pause_point_is_told_as_such_at_any_speed() {
        for speed in [1.0, 10.0] {
            let mut n = Narrator::at_speed(speed);
            n.sample(&in_blocking_call(0.0, "batch"));
            n.event(&event(0.0, Some("batch"), EventKind::PauseRequested));
            let waited = 2_000.0 / speed;
            n.event(&event(
                waited,
                Some("batch"),
                EventKind::Paused { by_itself: false },
            ));
            n.event(&event(0.0, Some("quick"), EventKind::PauseRequested));
            n.event(&event(
                10.0 / speed,
                Some("quick"),
                EventKind::Paused { by_itself: false },
            ));
            let told = texts(&n).join("\n");
            assert!(told.contains("inside work with no pause point"), "{told}");
            assert!(
                told.contains("quick reached a pause point and paused"),
                "{told}"
            );
        }
    }

    #[test]
    fn figures_are_told_in_script_time_with_real_time_beside() {
        use crate::clock::Anchor;
        // Pause points at 0.1x: the request at 1.5 s (script), batch's item
        // ending at 4.0 s (script), 25 s of real time later.
        let mut n = Narrator::at_speed(0.1);
        n.script.anchor(Anchor {
            manager_ms: 0.0,
            script_ms: 1_000.0,
            rate: 0.1,
        });
        n.sample(&in_blocking_call(4_900.0, "batch"));
        n.event(&event(5_000.0, Some("batch"), EventKind::PauseRequested));
        n.event(&event(
            30_000.0,
            Some("batch"),
            EventKind::Paused { by_itself: false },
        ));
        n.event(&event(5_000.0, Some("quick"), EventKind::PauseRequested));
        n.event(&event(
            5_600.0,
            Some("quick"),
            EventKind::Paused { by_itself: false },
        ));
        let told = texts(&n).join("\n");
        assert!(
            told.contains("batch paused 2.5 s (25.0 s real) after the request"),
            "{told}"
        );
        assert!(
            told.contains("quick reached a pause point and paused, 60 ms (600 ms real) after"),
            "{told}"
        );
        assert_eq!(
            n.when(5_000.0).trim(),
            "1.50 s",
            "a line's time is script time"
        );
    }

    #[test]
    fn failures_and_unresponsive_shutdowns_are_problems() {
        let mut n = Narrator::default();
        for i in 1..=2 {
            let error = format!("panicked: item {i}");
            n.event(&event(
                f64::from(i),
                Some("flaky"),
                EventKind::Restarted { error },
            ));
        }
        n.event(&event(
            9.0,
            None,
            EventKind::ShutdownFinished { unresponsive: 1 },
        ));
        n.event(&event(
            9.5,
            Some("quiet"),
            EventKind::MessageSent { from: None },
        ));
        n.event(&event(9.6, None, EventKind::Other));
        let told = texts(&n);
        assert_eq!(
            told.len(),
            3,
            "messages and unknown kinds are not told: {told:?}"
        );
        assert!(told[1].contains("(restart 2)"));
        assert!(n.lines.iter().all(|l| l.kind == LineKind::Problem));
    }

    #[test]
    fn a_mailbox_filling_up_and_emptying_is_told_once_each() {
        let mut n = Narrator::default();
        let snap = |at_ms, depth| Snapshot {
            at_ms,
            workers: vec![WorkerView {
                mailbox: MailboxView {
                    capacity: 8,
                    depth,
                    high_water: depth,
                    sent: 0,
                    received: 0,
                },
                ..worker("consumer", WorkerState::Running, 0)
            }],
            ..Snapshot::default()
        };
        for (at, depth) in [(0.0, 3), (100.0, 8), (200.0, 8), (300.0, 6), (400.0, 4)] {
            let s = snap(at, depth);
            let would = n.would_tell(&s);
            let before = n.lines.len();
            n.sample(&s);
            assert_eq!(
                would,
                n.lines.len() > before,
                "would_tell agrees with sample at {at}"
            );
        }
        assert_eq!(
            texts(&n),
            [
                "consumer's mailbox is full (8 of 8). Its senders now wait for room, or are refused: that is back-pressure.",
                "consumer's mailbox has room again (4 of 8).",
            ]
        );
    }
}
