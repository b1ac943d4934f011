//! The app's state, what can happen to it (actions) and how each action
//! changes it (the reducer). No component and nothing of the browser: the
//! manager's handle is a type parameter (`Y`), so all of it runs natively in
//! `cargo test`. The large parts (snapshot, history, narration) sit behind
//! `Rc`: an action that does not touch them copies a pointer, not them.

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::clock::Anchor;
use crate::history::History;
use crate::input::{MAX_SPEED, MIN_SPEED};
use crate::model::{list, EventPage, Report, ScenarioView, Snapshot};
use crate::narration::{LineKind, Narrator};
use crate::source::{Attached, Conn, Playback, Source};
use crate::wire::{Replay, Sample, ServerSettings};

/// The page shown: the yard itself, or one of the reading pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Yard,
    Learn,
    Seed,
    /// The stepped lessons (`#/steps`, `#/steps/LESSON/SCHEDULE`).
    Steps,
}

impl Page {
    /// The page a location hash names (`#/learn`, `#/seed`); the yard otherwise.
    pub fn from_hash(hash: &str) -> Self {
        match hash.trim_start_matches('#').trim_start_matches('/') {
            "learn" => Self::Learn,
            "seed" => Self::Seed,
            steps if steps == "steps" || steps.starts_with("steps/") => Self::Steps,
            _ => Self::Yard,
        }
    }
}

/// A fresh copy of `shared` to change. Always a new allocation, so a
/// component holding the old one sees by its pointer that it changed (and an
/// unchanged part keeps its pointer: see `browser::components::Shared`).
fn renew<T: Clone>(shared: &mut Rc<T>) -> &mut T {
    *shared = Rc::new(T::clone(shared));
    Rc::make_mut(shared)
}

/// What the page says once the threads module has died.
pub const STOPPED: &str = "The threads module stopped: reload the page.";

#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Starting,
    Ready,
    NotIsolated,
    Failed(String),
    /// The threads module died after starting: every call into it throws.
    Stopped,
}

/// Where an inline error or note is shown.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Place {
    Refresh,
    Spawn,
    Message,
    Broadcast,
    Shutdown,
    Speed,
    Scenario,
    Export,
    /// The source panel: attaching, opening a recording.
    Source,
    /// A worker's row in the table.
    Row(String),
}

/// What is said at a place: an error (the action was refused) or a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Feedback {
    Error(String),
    Note(String),
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppState<Y> {
    pub phase: Phase,
    /// The current manager's handle.
    pub yard: Option<Y>,
    /// Counts managers made: what the refresh loop and a shutdown read of an
    /// old one carry is refused once a new one has taken over.
    pub generation: u64,
    pub pool: usize,
    pub snapshot: Rc<Snapshot>,
    pub history: Rc<History>,
    pub narrator: Rc<Narrator>,
    pub feedback: Rc<BTreeMap<Place, Feedback>>,
    pub report: Option<Rc<Report>>,
    /// Workers spawned with an automatic name so far.
    pub auto_named: usize,
    /// Speed of the workloads and of a scenario's script.
    pub speed: f64,
    /// A moment picked in the narration, shown on the timeline.
    pub marker: Option<f64>,
    /// The scenario running or last run on this manager.
    pub scenario: Option<Rc<ScenarioView>>,
    /// The scenario finished; its lessons are told at the next refresh.
    pub lesson_due: bool,
    pub page: Page,
    /// Refreshes taken in so far (the e2e tests count renders against it).
    pub refreshes: u64,
    /// Where the figures come from (see `source`).
    pub source: Source,
}

#[derive(Debug, Clone)]
pub enum Action<Y> {
    /// The pool is up, with this many Web Workers, and the first manager made.
    Ready(Y, usize),
    NotIsolated,
    Failed(String),
    /// The threads module died: every call into it now throws.
    Stopped,
    /// A refresh of manager `generation`: its snapshot and new events.
    Refresh(u64, Snapshot, EventPage),
    Error(Place, String),
    Note(Place, String),
    Clear(Place),
    /// Manager `generation`'s shutdown report.
    Report(u64, Report),
    AutoNamed(usize),
    /// A new manager for free play.
    NewManager(Y),
    /// A narration line about manager `generation`: at (its ms), kind, text.
    Say(u64, f64, LineKind, String),
    SetSpeed(f64),
    /// Manager `generation`'s script read its clock beside the manager's.
    ScriptClock(u64, Anchor),
    Mark(Option<f64>),
    /// A new manager for a scenario, which it starts running.
    ScenarioStarted(Y, Rc<ScenarioView>),
    /// The script's last step is done: its lessons follow the events that
    /// the next refresh brings (the shutdown's own, among them). Carries
    /// its manager's number.
    ScenarioFinished(u64),
    Page(Page),
    /// Attach to a native program at this link (the page's own manager goes).
    Attach(String),
    /// Attached manager `generation`'s connection changed.
    Connection(u64, Conn),
    /// Attached manager `generation`'s server said hello.
    Hello(u64, ServerSettings),
    /// Attached manager `generation`: events missed, snapshots skipped so far.
    Missed(u64, f64, u64),
    /// Play back a recording: its name and samples.
    OpenRecording(String, Vec<Sample>),
    /// Replay `generation`: the recorded clock moves on by this many real ms
    /// (times the replay's speed).
    ReplayTick(u64, f64),
    /// Replay `generation`: show the recording up to this recorded time.
    ReplaySeek(u64, f64),
    ReplayPlaying(bool),
    ReplaySpeed(f64),
}

impl<Y> AppState<Y> {
    pub fn new(page: Page) -> Self {
        Self {
            phase: Phase::Starting,
            yard: None,
            generation: 0,
            pool: 0,
            snapshot: Rc::default(),
            history: Rc::default(),
            narrator: Rc::default(),
            feedback: Rc::default(),
            report: None,
            auto_named: 0,
            speed: 1.0,
            marker: None,
            scenario: None,
            lesson_due: false,
            page,
            refreshes: 0,
            source: Source::Page,
        }
    }

    /// The error or note at `place`, if any.
    pub fn feedback(&self, place: &Place) -> Option<&Feedback> {
        self.feedback.get(place)
    }

    /// Whether an action applies; the refused ones change nothing.
    pub fn accepts(&self, action: &Action<Y>) -> bool {
        match action {
            Action::Refresh(generation, ..)
            | Action::Report(generation, _)
            | Action::Say(generation, ..)
            | Action::ScriptClock(generation, _) => {
                (self.yard.is_some() || !self.source.is_page()) && *generation == self.generation
            }
            Action::Connection(generation, _)
            | Action::Hello(generation, _)
            | Action::Missed(generation, ..) => {
                matches!(self.source, Source::Attached(_)) && *generation == self.generation
            }
            Action::ReplayTick(generation, _) | Action::ReplaySeek(generation, _) => {
                matches!(self.source, Source::Replay(_)) && *generation == self.generation
            }
            Action::ReplayPlaying(_) => matches!(self.source, Source::Replay(_)),
            Action::ReplaySpeed(speed) => {
                matches!(self.source, Source::Replay(_))
                    && crate::source::REPLAY_SPEEDS.contains(speed)
            }
            Action::SetSpeed(speed) => (MIN_SPEED..=MAX_SPEED).contains(speed),
            Action::Ready(..) => self.phase == Phase::Starting,
            Action::ScenarioFinished(generation) => {
                self.scenario.is_some() && *generation == self.generation
            }
            _ => true,
        }
    }

    /// The state after `action`. A refused action (a refresh, report, line
    /// or end of a manager that has been replaced, a speed out of range, a
    /// second start) leaves it as it was.
    pub fn reduce(mut self, action: Action<Y>) -> Self {
        if !self.accepts(&action) {
            return self;
        }
        match action {
            Action::Ready(yard, pool) => {
                self.phase = Phase::Ready;
                self.pool = pool;
                self.reset(yard);
            }
            Action::NotIsolated => self.phase = Phase::NotIsolated,
            Action::Failed(why) => self.phase = Phase::Failed(why),
            Action::Stopped => {
                // No manager to refresh: the refresh loop ends with it.
                self.phase = Phase::Stopped;
                self.yard = None;
            }
            Action::Refresh(_, snapshot, page) => self.refresh(snapshot, page),
            Action::Say(_, at, kind, text) => renew(&mut self.narrator).say(at, kind, text),
            Action::SetSpeed(speed) => {
                self.clear(&Place::Speed);
                self.speed = speed;
                renew(&mut self.narrator).speed = speed;
            }
            Action::ScriptClock(_, anchor) => renew(&mut self.narrator).script.anchor(anchor),
            Action::Mark(at) => self.marker = at,
            Action::ScenarioStarted(yard, scenario) => {
                self.reset(yard);
                self.source = Source::Page;
                self.scenario = Some(scenario);
            }
            Action::ScenarioFinished(_) => self.lesson_due = true,
            Action::Page(page) => self.page = page,
            Action::Error(place, message) => {
                renew(&mut self.feedback).insert(place, Feedback::Error(message));
            }
            Action::Note(place, message) => {
                renew(&mut self.feedback).insert(place, Feedback::Note(message));
            }
            Action::Clear(place) => self.clear(&place),
            Action::Report(_, report) => self.report = Some(Rc::new(report)),
            Action::AutoNamed(n) => self.auto_named += n,
            Action::NewManager(yard) => {
                self.reset(yard);
                self.scenario = None;
                self.source = Source::Page;
            }
            Action::Attach(link) => {
                self.forget();
                self.source = Source::Attached(Attached {
                    link,
                    conn: Conn::Connecting { attempt: 0 },
                    settings: None,
                    missed: 0.0,
                    skipped: 0,
                });
            }
            Action::Connection(_, conn) => {
                if let Source::Attached(a) = &mut self.source {
                    a.conn = conn;
                }
            }
            Action::Hello(_, settings) => {
                if let Source::Attached(a) = &mut self.source {
                    a.settings = Some(settings);
                    a.conn = Conn::Connected;
                }
            }
            Action::Missed(_, missed, skipped) => {
                if let Source::Attached(a) = &mut self.source {
                    (a.missed, a.skipped) = (missed, skipped);
                }
            }
            Action::OpenRecording(name, samples) => {
                self.forget();
                let replay = Replay::new(samples);
                let clock_ms = replay.span().0;
                self.source = Source::Replay(Playback {
                    name,
                    replay,
                    clock_ms,
                    playing: true,
                    speed: 1.0,
                });
                self.replay_to(clock_ms);
            }
            Action::ReplayTick(_, real_ms) => {
                if let Source::Replay(p) = &self.source {
                    let to = p.clock_ms + real_ms * p.speed;
                    self.replay_to(to);
                }
            }
            Action::ReplaySeek(_, at_ms) => self.replay_to(at_ms),
            Action::ReplayPlaying(playing) => {
                if let Source::Replay(p) = &mut self.source {
                    // Play from the start again once at the end.
                    let again = playing && p.replay.finished();
                    p.playing = playing;
                    if again {
                        let start = p.replay.span().0;
                        self.replay_to(start);
                    }
                }
            }
            Action::ReplaySpeed(speed) => {
                if let Source::Replay(p) = &mut self.source {
                    p.speed = speed;
                }
            }
        }
        self
    }

    /// What the page showed goes, and with it the page's own manager (a
    /// native program or a recording takes its place).
    fn forget(&mut self) {
        self.yard = None;
        self.generation += 1;
        self.scenario = None;
        self.clear_view();
    }

    /// Shows the replay up to recorded time `at_ms`: the samples up to it
    /// are taken in as refreshes; going back starts the view again from
    /// the first sample.
    fn replay_to(&mut self, at_ms: f64) {
        let Source::Replay(p) = &self.source else {
            return;
        };
        let (first, last) = p.replay.span();
        // Not `clamp`, which panics when first > last or either is NaN: a
        // panic in the reducer ends the page. A NaN time is taken as the start.
        let at_ms = at_ms.max(first).min(last);
        let samples = std::rc::Rc::clone(&p.replay.samples);
        let target = p.replay.count_until(at_ms);
        let mut shown = p.replay.shown;
        if target < shown {
            self.clear_view();
            shown = 0;
        }
        for (snapshot, page) in &samples[shown..target] {
            self.refresh(snapshot.clone(), page.clone());
        }
        if let Source::Replay(p) = &mut self.source {
            p.replay.shown = target;
            p.clock_ms = at_ms;
            if p.replay.finished() {
                p.playing = false;
            }
        }
    }

    /// Clears what is said at `place` (the map is copied only if it has some).
    fn clear(&mut self, place: &Place) {
        if self.feedback.contains_key(place) {
            renew(&mut self.feedback).remove(place);
        }
    }

    fn refresh(&mut self, snapshot: Snapshot, page: EventPage) {
        let history = renew(&mut self.history);
        // The narrator is copied only when there is something to tell.
        let mut narrator: Option<Narrator> = None;
        for event in &page.events {
            history.record(event);
            narrator
                .get_or_insert_with(|| (*self.narrator).clone())
                .event(event);
        }
        history.sample(&snapshot);
        if self.narrator.would_tell(&snapshot) {
            narrator
                .get_or_insert_with(|| (*self.narrator).clone())
                .sample(&snapshot);
        }
        if let Some(narrator) = narrator {
            self.narrator = Rc::new(narrator);
        }
        self.snapshot = Rc::new(snapshot);
        self.refreshes += 1;
        if std::mem::take(&mut self.lesson_due) {
            self.finish_scenario();
        }
    }

    /// A fresh manager: what the page showed of the old one goes.
    fn reset(&mut self, yard: Y) {
        self.yard = Some(yard);
        self.generation += 1;
        self.clear_view();
    }

    /// Everything the page shows of a manager, emptied.
    fn clear_view(&mut self) {
        self.report = None;
        self.history = Rc::default();
        self.snapshot = Rc::default();
        self.feedback = Rc::default();
        self.auto_named = 0;
        self.narrator = Rc::new(Narrator::at_speed(self.speed));
        self.marker = None;
        self.lesson_due = false;
    }

    /// The lesson lines at the end of a scenario: what to look for, and the
    /// figures that show it.
    fn finish_scenario(&mut self) {
        let Some(scenario) = self.scenario.clone() else {
            return;
        };
        let last = &self.snapshot;
        let counts: Vec<String> = last
            .workers
            .iter()
            .map(|w| {
                let mut s = format!("{} {} tasks ({})", w.id, w.tasks_completed, w.state);
                if w.restarts > 0 {
                    s += &format!(", {} restarts", w.restarts);
                }
                if w.pause_count > 0 {
                    // Script time, as the lesson's text speaks.
                    s += &format!(
                        ", paused {:.1} s ({:.1} s real)",
                        w.paused_ms * self.speed / 1e3,
                        w.paused_ms / 1e3
                    );
                }
                s
            })
            .collect();
        let at = last.at_ms;
        let mut lines = vec![format!(
            "Final figures (the script ran at {}x): {}.",
            self.speed,
            counts.join("; ")
        )];
        if let Some(r) = &self.report {
            let failed: Vec<String> = r.failed.iter().map(|f| f.id.clone()).collect();
            lines.push(format!(
                "Shutdown report: stopped cleanly: {}; failed: {}; did not stop in time: {}; messages never read: {}.",
                list(&r.clean),
                list(&failed),
                list(&r.unresponsive),
                r.undelivered_messages
            ));
        }
        lines.push(format!(
            "Scenario finished. Look for: {}",
            scenario.look_for
        ));
        let narrator = renew(&mut self.narrator);
        for line in lines {
            narrator.say(at, LineKind::Lesson, line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{EventKind, EventView, WorkerState};

    /// A manager's handle stands in as a number.
    type State = AppState<u32>;

    fn ready() -> State {
        State::new(Page::Yard).reduce(Action::Ready(1, 8))
    }

    fn snapshot(at_ms: f64, state: WorkerState, tasks: u64) -> Snapshot {
        Snapshot {
            at_ms,
            workers: vec![crate::model::fixtures::worker("w", state, tasks)],
            live_threads: 1,
            capacity: Some(8),
            shut_down: false,
        }
    }

    fn events(list: &[(f64, EventKind)]) -> EventPage {
        EventPage {
            events: list
                .iter()
                .map(|(at_ms, kind)| EventView {
                    at_us: at_ms * 1e3,
                    worker: Some("w".into()),
                    kind: kind.clone(),
                })
                .collect(),
            next: list.len() as f64,
        }
    }

    #[test]
    fn a_refresh_becomes_lane_segments_narration_and_the_new_snapshot() {
        let s = ready().reduce(Action::Refresh(
            1,
            snapshot(100.0, WorkerState::Running, 4),
            events(&[(0.0, EventKind::Created), (1.0, EventKind::Started)]),
        ));
        assert_eq!(s.refreshes, 1);
        assert_eq!(s.snapshot.workers[0].tasks_completed, 4);
        let lane = &s.history.lanes[0];
        assert_eq!(
            lane.segments.last().map(|x| x.state),
            Some(WorkerState::Running)
        );
        assert_eq!(s.narrator.lines.len(), 2);
    }

    #[test]
    fn a_refresh_with_nothing_to_tell_keeps_the_same_narration() {
        let s = ready().reduce(Action::Refresh(
            1,
            snapshot(100.0, WorkerState::Running, 1),
            events(&[(1.0, EventKind::Started)]),
        ));
        let told = Rc::clone(&s.narrator);
        let history = Rc::clone(&s.history);
        let s = s.reduce(Action::Refresh(
            1,
            snapshot(200.0, WorkerState::Running, 2),
            EventPage::default(),
        ));
        assert!(Rc::ptr_eq(&told, &s.narrator), "not copied, not changed");
        assert!(
            !Rc::ptr_eq(&history, &s.history),
            "a changed part is a new one"
        );
        let notes = s
            .clone()
            .reduce(Action::Note(Place::Spawn, "started 1 worker(s)".into()));
        assert!(Rc::ptr_eq(&told, &notes.narrator) && Rc::ptr_eq(&s.history, &notes.history));
    }

    #[test]
    fn the_reducer_refuses_a_replaced_managers_refresh_and_report() {
        let s = ready().reduce(Action::NewManager(2));
        assert_eq!((s.yard, s.generation), (Some(2), 2));
        let report = Report {
            clean: vec!["w".into()],
            failed: vec![],
            unresponsive: vec![],
            undelivered_messages: 0,
            elapsed_ms: 1.0,
        };
        let stale = Action::Refresh(
            1,
            snapshot(100.0, WorkerState::Stopped, 9),
            EventPage::default(),
        );
        assert!(!s.accepts(&stale));
        let s = s.reduce(stale).reduce(Action::Report(1, report.clone()));
        assert!(
            s.snapshot.workers.is_empty(),
            "the old manager's figures are not shown"
        );
        assert!(s.report.is_none(), "nor its report");
        assert_eq!(s.refreshes, 0);
        let s = s.reduce(Action::Report(2, report));
        assert!(s.report.is_some(), "the current manager's is");
    }

    #[test]
    fn the_reducer_refuses_speeds_out_of_range_a_second_start_and_lessons_without_a_scenario() {
        let s = ready();
        for bad in [0.0, 50.0, f64::NAN] {
            assert!(!s.accepts(&Action::SetSpeed(bad)));
        }
        let s = s.reduce(Action::SetSpeed(50.0));
        assert_eq!(s.speed, 1.0);
        let s = s.reduce(Action::SetSpeed(10.0));
        assert_eq!((s.speed, s.narrator.speed), (10.0, 10.0));
        let again = s.clone().reduce(Action::Ready(7, 2));
        assert_eq!((again.yard, again.pool), (Some(1), 8), "started once only");
        assert!(!s.accepts(&Action::ScenarioFinished(1)));
        let before = State::new(Page::Yard);
        assert!(
            !before.accepts(&Action::Refresh(
                0,
                Snapshot::default(),
                EventPage::default()
            )),
            "no refresh before the pool is up"
        );
    }

    #[test]
    fn a_new_manager_forgets_what_the_old_one_showed() {
        let s = ready()
            .reduce(Action::Refresh(
                1,
                snapshot(100.0, WorkerState::Running, 3),
                events(&[(1.0, EventKind::Started)]),
            ))
            .reduce(Action::Error(
                Place::Row("w".into()),
                "cannot resume".into(),
            ))
            .reduce(Action::Mark(Some(1.0)))
            .reduce(Action::AutoNamed(3))
            .reduce(Action::NewManager(2));
        assert!(s.history.lanes.is_empty() && s.narrator.lines.is_empty());
        assert!(s.feedback.is_empty() && s.marker.is_none());
        assert_eq!(s.auto_named, 0);
    }

    #[test]
    fn errors_and_notes_replace_each_other_at_their_place() {
        let s = ready()
            .reduce(Action::Error(Place::Spawn, "\"0\" is not a count".into()))
            .reduce(Action::Note(Place::Message, "sent to w".into()));
        assert_eq!(
            s.feedback(&Place::Spawn),
            Some(&Feedback::Error("\"0\" is not a count".into()))
        );
        let s = s.reduce(Action::Note(Place::Spawn, "started 1 worker(s)".into()));
        assert_eq!(
            s.feedback(&Place::Spawn),
            Some(&Feedback::Note("started 1 worker(s)".into()))
        );
        let s = s.reduce(Action::Clear(Place::Spawn));
        assert_eq!(s.feedback(&Place::Spawn), None);
        assert!(
            s.feedback(&Place::Message).is_some(),
            "other places keep theirs"
        );
    }

    #[test]
    fn a_finished_scenario_ends_with_its_figures_report_and_lesson_after_the_next_refresh() {
        let scenario = Rc::new(ScenarioView {
            id: "seed".into(),
            title: "Seed example".into(),
            teaches: "t".into(),
            look_for: "worker_1 behind.".into(),
            mailbox_capacity: 16,
            cast: vec![],
            script: vec![],
        });
        let s = ready()
            .reduce(Action::ScenarioStarted(2, scenario))
            .reduce(Action::Report(
                2,
                Report {
                    clean: vec!["w".into()],
                    failed: vec![],
                    unresponsive: vec![],
                    undelivered_messages: 0,
                    elapsed_ms: 3.0,
                },
            ))
            .reduce(Action::ScenarioFinished(1))
            .reduce(Action::Say(
                1,
                0.0,
                LineKind::Script,
                "an old script's line".into(),
            ));
        assert!(!s.lesson_due, "a replaced run's end is refused");
        let s = s.reduce(Action::ScenarioFinished(2));
        assert!(
            s.narrator.lines.is_empty(),
            "told only once the last events are in"
        );
        let s = s.reduce(Action::Refresh(
            2,
            snapshot(16_000.0, WorkerState::Stopped, 150),
            events(&[(15_900.0, EventKind::Stopped)]),
        ));
        let told: Vec<(LineKind, &str)> = s
            .narrator
            .lines
            .iter()
            .map(|l| (l.kind, l.text.as_str()))
            .collect();
        assert_eq!(told.len(), 4);
        assert!(told[0].1.starts_with("w stopped cleanly"));
        assert_eq!(
            told[1],
            (
                LineKind::Lesson,
                "Final figures (the script ran at 1x): w 150 tasks (stopped)."
            )
        );
        assert_eq!(told[2].1, "Shutdown report: stopped cleanly: w; failed: none; did not stop in time: none; messages never read: 0.");
        assert_eq!(told[3].1, "Scenario finished. Look for: worker_1 behind.");
        assert!(!s.lesson_due);
    }

    #[test]
    fn pages_come_from_the_location_hash() {
        assert_eq!(Page::from_hash("#/learn"), Page::Learn);
        assert_eq!(Page::from_hash("#seed"), Page::Seed);
        assert_eq!(Page::from_hash("#/steps/deadlock/0,1"), Page::Steps);
        assert_eq!(Page::from_hash(""), Page::Yard);
        assert_eq!(Page::from_hash("#/elsewhere"), Page::Yard);
    }

    #[test]
    fn attaching_forgets_the_pages_manager_and_takes_the_programs_refreshes() {
        let s = ready().reduce(Action::Attach("ws://h/?token=t".into()));
        assert_eq!((s.yard, s.generation), (None, 2));
        let settings = ServerSettings {
            commands: false,
            messages: true,
            snapshot_interval_ms: 100.0,
        };
        let s = s
            .reduce(Action::Hello(1, settings.clone()))
            .reduce(Action::Hello(2, settings));
        let Source::Attached(a) = &s.source else {
            panic!("attached")
        };
        assert_eq!(a.conn, Conn::Connected);
        assert!(s.source.command_refusal().unwrap().contains("read-only"));
        let s = s.reduce(Action::Refresh(
            2,
            snapshot(100.0, WorkerState::Running, 4),
            events(&[(0.0, EventKind::Created), (1.0, EventKind::Started)]),
        ));
        assert_eq!(
            s.refreshes, 1,
            "a program's refresh is taken without a manager here"
        );
        let s = s.reduce(Action::Connection(
            2,
            Conn::Disconnected {
                why: "closed".into(),
                attempt: 0,
                retry_ms: 500,
            },
        ));
        assert!(s
            .source
            .command_refusal()
            .unwrap()
            .contains("not connected"));
        let back = s.reduce(Action::NewManager(9));
        assert!(back.source.is_page() && back.history.lanes.is_empty());
        assert!(!back.accepts(&Action::Hello(
            3,
            ServerSettings {
                commands: true,
                messages: true,
                snapshot_interval_ms: 1.0
            }
        )));
    }

    /// Samples whose first is later than their last (no recording read
    /// by `read_recording` has them, but the reducer must not trust its
    /// callers): opening, ticking, seeking anywhere (NaN too) and playing
    /// again never panic; `at_ms.clamp(first, last)` did, with min > max.
    #[test]
    fn a_replay_of_samples_out_of_order_never_panics() {
        let samples: Vec<Sample> = [5_000.0, 9_000.0, 10.0]
            .iter()
            .map(|at| (snapshot(*at, WorkerState::Running, 1), EventPage::default()))
            .collect();
        let s = ready().reduce(Action::OpenRecording("joined.jsonl".into(), samples));
        let g = s.generation;
        let s = s
            .reduce(Action::ReplayTick(g, 100.0))
            .reduce(Action::ReplaySeek(g, f64::NAN))
            .reduce(Action::ReplaySeek(g, -1.0))
            .reduce(Action::ReplaySeek(g, 1e12))
            .reduce(Action::ReplayPlaying(true))
            .reduce(Action::ReplaySeek(g, 0.0));
        assert!(matches!(s.source, Source::Replay(_)));
    }

    #[test]
    fn a_replay_plays_at_its_speed_scrubs_back_and_stops_at_the_end() {
        let samples: Vec<Sample> = (0..10)
            .map(|i| {
                let at = f64::from(i) * 100.0;
                let page = if i == 0 {
                    events(&[(0.0, EventKind::Created), (0.5, EventKind::Started)])
                } else if i == 5 {
                    events(&[(at, EventKind::Paused { by_itself: true })])
                } else {
                    EventPage::default()
                };
                let state = if i >= 5 {
                    WorkerState::Paused
                } else {
                    WorkerState::Running
                };
                (snapshot(at, state, u64::from(i as u8)), page)
            })
            .collect();
        let s = ready().reduce(Action::OpenRecording("seed.jsonl".into(), samples));
        assert_eq!(s.yard, None);
        assert_eq!(s.refreshes, 1, "the first sample is shown at once");
        let g = s.generation;
        let s = s
            .reduce(Action::ReplaySpeed(2.0))
            .reduce(Action::ReplayTick(g, 100.0));
        assert_eq!(
            s.snapshot.at_ms, 200.0,
            "100 ms at 2x is 200 ms of the recording"
        );
        let s = s.reduce(Action::ReplaySeek(g, 650.0));
        assert_eq!(s.snapshot.workers[0].state, WorkerState::Paused);
        assert_eq!(
            s.history.lanes[0].segments.last().map(|x| x.state),
            Some(WorkerState::Paused)
        );
        let s = s.reduce(Action::ReplaySeek(g, 100.0));
        assert_eq!(
            s.snapshot.workers[0].state,
            WorkerState::Running,
            "back in time"
        );
        assert!(
            s.history.lanes[0]
                .segments
                .iter()
                .all(|x| x.state != WorkerState::Paused),
            "the lanes start again: no pause yet at 100 ms"
        );
        let s = s.reduce(Action::ReplaySeek(g, 5_000.0));
        let Source::Replay(p) = &s.source else {
            panic!("a replay")
        };
        assert!(p.replay.finished() && !p.playing, "stopped at the end");
        assert_eq!(s.snapshot.at_ms, 900.0);
        assert!(
            !s.accepts(&Action::ReplaySpeed(3.0)),
            "not one of the speeds"
        );
    }
}
