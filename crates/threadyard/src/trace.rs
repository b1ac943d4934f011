//! The event log as a Chrome Trace Event file, for Perfetto
//! (<https://ui.perfetto.dev>) and `chrome://tracing`.
//!
//! One track per worker (plus one for the manager), the worker's states as
//! slices on it (each event carries the state it moved the worker to:
//! [`Event::state`]), and instants for what happened to it: failures, restarts,
//! recorded errors, messages (with a flow arrow from the sending worker when
//! another worker sent it). Broadcasts and shutdown sit on the manager's
//! track. Under each worker's track, a second one shows its recent waits
//! (receive, room in a full mailbox, a blocking call, a lock) as slices
//! named for what it waited for; gaps there are computing, or waits under
//! 1 ms. Times are the manager's clock, in microseconds.
//!
//! ```
//! use std::time::Duration;
//! use threadyard::Yard;
//!
//! let yard = Yard::<String>::new();
//! yard.spawn("w", |w| { w.recv()?; Ok(()) })?;
//! yard.send("w", "go".into())?;
//! yard.join("w", Duration::from_secs(10))?;
//! let trace = yard.trace();
//! let tracks: Vec<_> = trace.trace_events.iter()
//!     .filter(|e| e.name == "thread_name")
//!     .collect();
//! assert_eq!(tracks.len(), 2); // the manager and "w"
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Serialize the [`Trace`] with any serde JSON writer to get the file.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::activity::ActivityTrack;
use crate::events::{Event, EventKind, EventPage};

/// A trace file: `{"traceEvents": [...], ...}`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Trace {
    /// The events, metadata first.
    pub trace_events: Vec<TraceEvent>,
    /// How viewers show times: `"ms"`.
    pub display_time_unit: &'static str,
    /// What made the file and what it could not include.
    pub other_data: OtherData,
}

/// Facts about the trace itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OtherData {
    /// `"threadyard"`.
    pub source: &'static str,
    /// Events the log had already overwritten (its capacity was reached);
    /// the trace starts after them.
    pub events_missed: u64,
    /// Waits the workers no longer kept (each keeps its newest 512 spans):
    /// their activity tracks start later than their state tracks.
    pub activity_spans_dropped: u64,
}

/// One entry of `traceEvents`, in the Trace Event Format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TraceEvent {
    /// What it is: a state, `"message"`, `"thread_name"`...
    pub name: String,
    /// Category: `"state"`, `"activity"`, `"message"`, `"control"`, `"failure"`, `"manager"`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cat: Option<&'static str>,
    /// Phase: `X` complete slice, `i` instant, `s`/`f` flow start/end, `M` metadata.
    pub ph: &'static str,
    /// Microseconds.
    pub ts: f64,
    /// Length of an `X` slice, in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dur: Option<f64>,
    /// Always 1: one manager, one process.
    pub pid: u32,
    /// The track: 0 for the manager, then one per worker (its waits on
    /// [`ACTIVITY_TRACKS`] plus the worker's track).
    pub tid: u32,
    /// Scope of an instant: `t` (its track) or `p` (the whole process).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s: Option<&'static str>,
    /// Pairs a flow's start with its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    /// Flow binding point: `e` (the enclosing slice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bp: Option<&'static str>,
    /// Details.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub args: BTreeMap<&'static str, Arg>,
}

/// A value in `args`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Arg {
    /// Text.
    Text(String),
    /// A count or an index.
    Number(u64),
}

const PID: u32 = 1;
const MANAGER: u32 = 0;
/// A worker's activity track is this plus its state track's number.
pub const ACTIVITY_TRACKS: u32 = 1 << 20;

fn base(name: impl Into<String>, ph: &'static str, ts: f64, tid: u32) -> TraceEvent {
    TraceEvent {
        name: name.into(),
        cat: None,
        ph,
        ts,
        dur: None,
        pid: PID,
        tid,
        s: None,
        id: None,
        bp: None,
        args: BTreeMap::new(),
    }
}

fn metadata(name: &'static str, tid: u32, key: &'static str, value: Arg) -> TraceEvent {
    let mut e = base(name, "M", 0.0, tid);
    e.args.insert(key, value);
    e
}

fn instant(name: impl Into<String>, cat: &'static str, ts: f64, tid: u32) -> TraceEvent {
    let mut e = base(name, "i", ts, tid);
    e.cat = Some(cat);
    e.s = Some(if tid == MANAGER { "p" } else { "t" });
    e
}

/// A track's open slice.
#[derive(Debug)]
struct Open {
    name: &'static str,
    since: f64,
}

/// Builds a trace an event at a time, so a caller with a time budget (a
/// browser page's main thread) can read the log in pages and write the trace
/// out as it goes: [`record`](Self::record) each event in log order, take
/// what is ready with [`drain`](Self::drain), and [`finish`](Self::finish).
#[derive(Debug, Default)]
pub struct TraceBuilder {
    events: Vec<TraceEvent>,
    tracks: Vec<String>,
    open: BTreeMap<u32, Open>,
    flows: u64,
    /// State tracks that have an activity track under them.
    with_activity: Vec<u32>,
    spans_dropped: u64,
}

impl TraceBuilder {
    /// An empty trace.
    pub fn new() -> Self {
        Self::default()
    }

    /// The trace events made so far, taken out of the builder, in file
    /// order; the metadata (track names) comes with [`finish`](Self::finish)
    /// and belongs before them in the file.
    pub fn drain(&mut self) -> Vec<TraceEvent> {
        std::mem::take(&mut self.events)
    }

    fn track(&mut self, id: &str) -> u32 {
        let index = match self.tracks.iter().position(|t| t == id) {
            Some(i) => i,
            None => {
                self.tracks.push(id.to_owned());
                self.tracks.len() - 1
            }
        };
        u32::try_from(index + 1).unwrap_or(u32::MAX)
    }

    fn close(&mut self, tid: u32, at: f64) {
        if let Some(open) = self.open.remove(&tid) {
            let mut e = base(open.name, "X", open.since, tid);
            e.cat = Some(if tid == MANAGER { "manager" } else { "state" });
            e.dur = Some((at - open.since).max(0.0));
            self.events.push(e);
        }
    }

    /// Opens a slice for state `name`; one already open for the same state
    /// goes on (a thread that starts after a pause was requested).
    fn enter(&mut self, tid: u32, name: &'static str, at: f64) {
        if self.open.get(&tid).is_some_and(|open| open.name == name) {
            return;
        }
        self.close(tid, at);
        self.open.insert(tid, Open { name, since: at });
    }

    /// Adds one event of the log (in log order).
    pub fn record(&mut self, event: &Event) {
        let at = event.at_us as f64;
        let Some(worker) = event.worker.as_ref() else {
            match &event.kind {
                EventKind::Broadcast { delivered, full } => {
                    let mut e = instant("broadcast", "message", at, MANAGER);
                    e.args.insert("delivered", Arg::Number(*delivered as u64));
                    e.args.insert("mailbox_full", Arg::Number(*full as u64));
                    self.events.push(e);
                }
                EventKind::ShutdownStarted => self.enter(MANAGER, "shutdown", at),
                // On the manager's track: the cycle in words.
                EventKind::Deadlock { text, .. } => {
                    let mut e = instant("deadlock", "wait", at, MANAGER);
                    e.args.insert("cycle", Arg::Text(text.clone()));
                    self.events.push(e);
                }
                EventKind::ShutdownFinished { unresponsive } => {
                    self.close(MANAGER, at);
                    let mut e = instant("shutdown finished", "manager", at, MANAGER);
                    e.args
                        .insert("unresponsive", Arg::Number(*unresponsive as u64));
                    self.events.push(e);
                }
                _ => {}
            }
            return;
        };
        let tid = self.track(worker.as_str());
        // The state the event moved the worker to, as the event recorded it.
        match event.state {
            Some(state) if state.is_finished() => self.close(tid, at),
            Some(state) => self.enter(tid, state.as_str(), at),
            None => {}
        }
        match &event.kind {
            EventKind::Paused { by_itself: true } => {
                self.events
                    .push(instant("paused itself", "control", at, tid));
            }
            // The worker is gone: its track ends, whatever the log kept.
            EventKind::Removed => self.close(tid, at),
            EventKind::Failed { error } => {
                let mut e = instant("failed", "failure", at, tid);
                e.args.insert("error", Arg::Text(error.clone()));
                self.events.push(e);
            }
            EventKind::Restarted { error } => {
                let mut e = instant("restarted", "failure", at, tid);
                e.args.insert("error", Arg::Text(error.clone()));
                self.events.push(e);
            }
            EventKind::Waiting { on, waits_for } => {
                let mut e = instant("waits", "wait", at, tid);
                e.args.insert("on", Arg::Text(on.to_string()));
                e.args.insert("for", Arg::Text(waits_for.to_string()));
                self.events.push(e);
            }
            EventKind::ErrorRecorded { error } => {
                let mut e = instant("error", "failure", at, tid);
                e.args.insert("error", Arg::Text(error.clone()));
                self.events.push(e);
            }
            EventKind::MessageSent { from } => {
                let mut e = instant("message", "message", at, tid);
                if let Some(from) = from {
                    e.args.insert("from", Arg::Text(from.to_string()));
                    self.flows += 1;
                    let sender = self.track(from.as_str());
                    let mut start = base("message", "s", at, sender);
                    start.cat = Some("message");
                    start.id = Some(self.flows);
                    let mut end = base("message", "f", at, tid);
                    end.cat = Some("message");
                    end.id = Some(self.flows);
                    end.bp = Some("e");
                    self.events.push(start);
                    self.events.push(end);
                }
                self.events.push(e);
            }
            // Moves are drawn from their state above; manager-wide kinds
            // never name a worker.
            _ => {}
        }
    }

    /// Adds a worker's waits ([`Yard::activity_tracks`](crate::Yard::activity_tracks))
    /// as slices on a track under the worker's own, named for what it waited
    /// for, with how many waits each joins and how long they lasted.
    pub fn activity(&mut self, track: &ActivityTrack) {
        let tid = self.track(track.worker.as_str());
        self.spans_dropped += track.dropped;
        if track.spans.is_empty() {
            return;
        }
        if !self.with_activity.contains(&tid) {
            self.with_activity.push(tid);
        }
        for span in &track.spans {
            let mut e = base(
                span.activity.describe(),
                "X",
                span.start_us as f64,
                ACTIVITY_TRACKS + tid,
            );
            e.cat = Some("activity");
            e.dur = Some(span.end_us.saturating_sub(span.start_us) as f64);
            e.args.insert("waits", Arg::Number(u64::from(span.waits)));
            e.args.insert("waited_us", Arg::Number(span.waited_us));
            if span.open {
                e.args.insert(
                    "still_waiting",
                    Arg::Text("when the trace was taken".into()),
                );
            }
            self.events.push(e);
        }
    }

    /// Closes the slices still open at `end_us` and returns the trace: the
    /// metadata first, then the events not yet drained. `missed` is how many
    /// events the log had already overwritten.
    pub fn finish(mut self, end_us: u64, missed: u64) -> Trace {
        let end = end_us as f64;
        let open: Vec<u32> = self.open.keys().copied().collect();
        for tid in open {
            self.close(tid, end);
        }
        let mut meta = vec![
            metadata(
                "process_name",
                MANAGER,
                "name",
                Arg::Text("threadyard".into()),
            ),
            metadata("thread_name", MANAGER, "name", Arg::Text("manager".into())),
            metadata("thread_sort_index", MANAGER, "sort_index", Arg::Number(0)),
        ];
        for (i, id) in self.tracks.iter().enumerate() {
            let tid = u32::try_from(i + 1).unwrap_or(u32::MAX);
            meta.push(metadata("thread_name", tid, "name", Arg::Text(id.clone())));
            // Each worker's activity track sorts just under its own.
            meta.push(metadata(
                "thread_sort_index",
                tid,
                "sort_index",
                Arg::Number(2 * u64::from(tid)),
            ));
            if self.with_activity.contains(&tid) {
                let waits = ACTIVITY_TRACKS + tid;
                meta.push(metadata(
                    "thread_name",
                    waits,
                    "name",
                    Arg::Text(format!("{id}: waits")),
                ));
                meta.push(metadata(
                    "thread_sort_index",
                    waits,
                    "sort_index",
                    Arg::Number(2 * u64::from(tid) + 1),
                ));
            }
        }
        meta.append(&mut self.events);
        Trace {
            trace_events: meta,
            display_time_unit: "ms",
            other_data: OtherData {
                source: "threadyard",
                events_missed: missed,
                activity_spans_dropped: self.spans_dropped,
            },
        }
    }
}

/// The trace of `page` (read from position 0 for a whole run); slices still
/// open are closed at `end_us`.
pub fn chrome_trace(page: &EventPage, end_us: u64) -> Trace {
    chrome_trace_with_activity(page, &[], end_us)
}

/// [`chrome_trace`] with each worker's waits on a track under its own.
pub fn chrome_trace_with_activity(
    page: &EventPage,
    activity: &[ActivityTrack],
    end_us: u64,
) -> Trace {
    let mut builder = TraceBuilder {
        events: Vec::with_capacity(page.events.len() * 2),
        ..TraceBuilder::default()
    };
    for event in &page.events {
        builder.record(event);
    }
    for track in activity {
        builder.activity(track);
    }
    builder.finish(end_us, page.missed)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::id::WorkerId;

    fn event(seq: u64, at_us: u64, worker: Option<&str>, kind: EventKind) -> Event {
        use crate::state::WorkerState::*;
        let state = match kind {
            EventKind::Created => Some(Created),
            EventKind::Started | EventKind::Resumed => Some(Running),
            EventKind::PauseRequested => Some(PauseRequested),
            EventKind::Paused { .. } => Some(Paused),
            EventKind::StopRequested => Some(Stopping),
            EventKind::Stopped => Some(Stopped),
            EventKind::Failed { .. } => Some(Failed),
            _ => None,
        };
        Event {
            seq,
            at_us,
            worker: worker.map(|w| WorkerId::new(w).unwrap()),
            state,
            kind,
        }
    }

    /// The first worker's state slices: name, start, length.
    fn slices_of_worker_1(trace: &Trace) -> Vec<(&str, f64, f64)> {
        trace
            .trace_events
            .iter()
            .filter(|e| e.ph == "X" && e.tid == 1)
            .map(|e| (e.name.as_str(), e.ts, e.dur.unwrap()))
            .collect()
    }

    #[test]
    fn slices_follow_the_state_each_event_carries() {
        // A pause requested before the thread began: its Started event
        // carries PauseRequested, so the slice goes on; the restart moves no
        // state, so the running slice is not cut.
        let mut started = event(2, 20, Some("a"), EventKind::Started);
        started.state = Some(crate::state::WorkerState::PauseRequested);
        let events = vec![
            event(0, 0, Some("a"), EventKind::Created),
            event(1, 10, Some("a"), EventKind::PauseRequested),
            started,
            event(3, 30, Some("a"), EventKind::Resumed),
            event(
                4,
                40,
                Some("a"),
                EventKind::Restarted {
                    error: "boom".into(),
                },
            ),
            event(
                5,
                50,
                Some("a"),
                EventKind::Failed {
                    error: "boom".into(),
                },
            ),
        ];
        let page = EventPage {
            events,
            missed: 0,
            next: 6,
        };
        let trace = chrome_trace(&page, 100);
        let slices = slices_of_worker_1(&trace);
        assert_eq!(
            slices,
            [
                ("created", 0.0, 10.0),
                ("pause-requested", 10.0, 20.0),
                ("running", 30.0, 20.0),
            ]
        );
        let instants: Vec<_> = trace
            .trace_events
            .iter()
            .filter(|e| e.ph == "i")
            .map(|e| e.name.as_str())
            .collect();
        assert_eq!(instants, ["restarted", "failed"]);
    }

    #[test]
    fn waits_go_on_a_track_under_their_worker() {
        use crate::activity::{Activity, ActivitySpan, ActivityTrack};
        let events = vec![
            event(0, 0, Some("a"), EventKind::Created),
            event(1, 10, Some("b"), EventKind::Created),
        ];
        let page = EventPage {
            events,
            missed: 0,
            next: 2,
        };
        let span = |activity, start_us, end_us, open| ActivitySpan {
            activity,
            start_us,
            end_us,
            waits: 1,
            waited_us: end_us - start_us,
            open,
        };
        let tracks = [
            ActivityTrack {
                worker: WorkerId::new("a").unwrap(),
                spans: vec![],
                dropped: 0,
            },
            ActivityTrack {
                worker: WorkerId::new("b").unwrap(),
                spans: vec![
                    span(Activity::Sleeping, 20, 40, false),
                    span(Activity::WaitingForMessage, 50, 90, true),
                ],
                dropped: 3,
            },
        ];
        let trace = chrome_trace_with_activity(&page, &tracks, 100);
        let meta: Vec<_> = trace
            .trace_events
            .iter()
            .filter(|e| e.ph == "M" && e.tid != MANAGER)
            .map(|e| {
                (
                    e.name.as_str(),
                    e.tid,
                    e.args.values().next().unwrap().clone(),
                )
            })
            .collect();
        // a has no waits: no track for them; b's sorts right under b.
        let waits = ACTIVITY_TRACKS + 2;
        assert_eq!(
            meta,
            [
                ("thread_name", 1, Arg::Text("a".into())),
                ("thread_sort_index", 1, Arg::Number(2)),
                ("thread_name", 2, Arg::Text("b".into())),
                ("thread_sort_index", 2, Arg::Number(4)),
                ("thread_name", waits, Arg::Text("b: waits".into())),
                ("thread_sort_index", waits, Arg::Number(5)),
            ]
        );
        let slices: Vec<_> = trace
            .trace_events
            .iter()
            .filter(|e| e.cat == Some("activity"))
            .map(|e| {
                (
                    e.name.as_str(),
                    e.tid,
                    e.ts,
                    e.dur.unwrap(),
                    e.args.contains_key("still_waiting"),
                )
            })
            .collect();
        assert_eq!(
            slices,
            [
                ("sleeping in a blocking call", waits, 20.0, 20.0, false),
                ("waiting for a message", waits, 50.0, 40.0, true),
            ]
        );
        assert_eq!(trace.other_data.activity_spans_dropped, 3);
    }

    #[test]
    fn states_become_back_to_back_slices_on_one_track_per_worker() {
        let events = vec![
            event(0, 0, Some("a"), EventKind::Created),
            event(1, 10, Some("b"), EventKind::Created),
            event(2, 20, Some("a"), EventKind::Started),
            event(3, 30, Some("a"), EventKind::PauseRequested),
            event(4, 40, Some("a"), EventKind::Paused { by_itself: false }),
            event(5, 50, Some("a"), EventKind::Resumed),
            event(
                6,
                55,
                Some("b"),
                EventKind::MessageSent {
                    from: Some(WorkerId::new("a").unwrap()),
                },
            ),
            event(
                7,
                60,
                None,
                EventKind::Broadcast {
                    delivered: 2,
                    full: 0,
                },
            ),
            event(8, 70, Some("a"), EventKind::Stopped),
        ];
        let page = EventPage {
            events,
            missed: 0,
            next: 9,
        };
        let trace = chrome_trace(&page, 100);
        let names: Vec<_> = trace
            .trace_events
            .iter()
            .filter(|e| e.name == "thread_name")
            .map(|e| e.args["name"].clone())
            .collect();
        assert_eq!(
            names,
            [
                Arg::Text("manager".into()),
                Arg::Text("a".into()),
                Arg::Text("b".into())
            ]
        );
        let slices = slices_of_worker_1(&trace);
        assert_eq!(
            slices,
            [
                ("created", 0.0, 20.0),
                ("running", 20.0, 10.0),
                ("pause-requested", 30.0, 10.0),
                ("paused", 40.0, 10.0),
                ("running", 50.0, 20.0),
            ]
        );
        // b is still "created" at the end: closed at end_us.
        assert!(trace
            .trace_events
            .iter()
            .any(|e| e.ph == "X" && e.tid == 2 && e.ts == 10.0 && e.dur == Some(90.0)));
        let flow: Vec<_> = trace
            .trace_events
            .iter()
            .filter(|e| e.ph == "s" || e.ph == "f")
            .map(|e| (e.ph, e.tid, e.id))
            .collect();
        assert_eq!(flow, [("s", 1, Some(1)), ("f", 2, Some(1))]);
        assert!(trace
            .trace_events
            .iter()
            .any(|e| e.name == "broadcast" && e.tid == 0 && e.s == Some("p")));

        // Built an event at a time and drained as it goes, it is the same file.
        let mut builder = TraceBuilder::new();
        let mut body = Vec::new();
        for event in &page.events {
            builder.record(event);
            body.append(&mut builder.drain());
        }
        let mut streamed = builder.finish(100, 0);
        let meta = streamed
            .trace_events
            .iter()
            .take_while(|e| e.ph == "M")
            .count();
        let tail = streamed.trace_events.split_off(meta);
        streamed.trace_events.extend(body);
        streamed.trace_events.extend(tail);
        assert_eq!(streamed, trace);
    }
}
