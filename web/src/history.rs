//! What the page remembers between refreshes: per-worker state segments and
//! marks for the timeline (built from the event log, so nothing between two
//! refreshes is missed), and throughput samples for the chart.

use std::collections::VecDeque;

use crate::model::{Activity, EventKind, EventView, Snapshot, WorkerState};

/// How far back the chart reaches, and the timeline at speed 1.
pub const WINDOW_MS: f64 = 20_000.0;
/// How far back lanes are kept: the timeline's window at its slowest.
pub const RETAIN_MS: f64 = 200_000.0;

/// The timeline's window at `speed`, in real time: 20 s of script time
/// from 1x up (2 s at 10x), and 20 s of real time in slow motion, so slow
/// motion magnifies: at 0.1x the window holds 2 s of script time and every
/// event is drawn ten times wider than at 1x.
pub fn window_ms(speed: f64) -> f64 {
    (WINDOW_MS / speed.max(1.0)).clamp(2_000.0, RETAIN_MS)
}

/// The span a throughput figure is measured over (real ms): one second of
/// script time, and at least one real second, so slow motion (few tasks a
/// real second) draws a rate, not spikes.
pub fn rate_span_ms(speed: f64) -> f64 {
    (1_000.0 / speed).max(1_000.0)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub state: WorkerState,
    pub from_ms: f64,
    /// `None` while it is the current state.
    pub to_ms: Option<f64>,
}

/// What a running worker was doing, as seen at the refreshes from
/// `from_ms` on (sampled: a wait shorter than a refresh may not show).
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub activity: Activity,
    pub from_ms: f64,
    /// `None` while it is what the worker does now.
    pub to_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub at_ms: f64,
    pub kind: MarkKind,
    pub label: String,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MarkKind {
    Message,
    Broadcast,
    Pause,
    Failure,
    /// A deadlock: drawn on the lane of every worker in the cycle.
    Deadlock,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lane {
    pub id: String,
    pub segments: Vec<Segment>,
    /// What it did while Running: the lane's texture.
    pub spans: Vec<Span>,
    pub marks: Vec<Mark>,
    /// Messages read at the last refresh.
    pub received: u64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct History {
    pub lanes: Vec<Lane>,
    /// Broadcasts, drawn across every lane.
    pub broadcasts: Vec<Mark>,
    /// (time, total tasks completed) at each refresh.
    pub samples: VecDeque<(f64, u64)>,
    /// (time, tasks per worker) one second apart, for per-worker rates.
    pub per_worker: VecDeque<(f64, Vec<(String, u64)>)>,
    /// When the latest event happened.
    pub last_event_ms: f64,
    /// Tasks done and time spent (ms) with each number of workers running,
    /// from consecutive refreshes that saw the same number: the speedup
    /// lesson's throughput against workers.
    pub by_running: std::collections::BTreeMap<usize, (u64, f64)>,
    /// (time, total tasks, workers running) at the last refresh.
    last: Option<(f64, u64, usize)>,
}

impl History {
    pub fn lane_mut(&mut self, id: &str) -> &mut Lane {
        if let Some(i) = self.lanes.iter().position(|l| l.id == id) {
            return &mut self.lanes[i];
        }
        self.lanes.push(Lane {
            id: id.to_owned(),
            ..Lane::default()
        });
        self.lanes
            .last_mut()
            .unwrap_or_else(|| unreachable!("just pushed"))
    }

    pub fn record(&mut self, event: &EventView) {
        let at_ms = event.at_us / 1e3;
        self.last_event_ms = self.last_event_ms.max(at_ms);
        let Some(id) = event.worker.as_deref() else {
            if let EventKind::Deadlock { cycle, text } = &event.kind {
                for edge in cycle {
                    self.lane_mut(&edge.worker).marks.push(Mark {
                        at_ms,
                        kind: MarkKind::Deadlock,
                        label: text.clone(),
                    });
                }
            }
            if matches!(event.kind, EventKind::Broadcast { .. }) {
                self.broadcasts.push(Mark {
                    at_ms,
                    kind: MarkKind::Broadcast,
                    label: "broadcast".into(),
                });
            }
            return;
        };
        if event.kind == EventKind::Removed {
            self.lanes.retain(|l| l.id != id);
            return;
        }
        let lane = self.lane_mut(id);
        if let Some(state) = event.kind.state_after() {
            if let Some(open) = lane.segments.last_mut() {
                open.to_ms.get_or_insert(at_ms);
            }
            lane.segments.push(Segment {
                state,
                from_ms: at_ms,
                to_ms: None,
            });
        }
        let mark = match &event.kind {
            EventKind::Paused { .. } => Some((MarkKind::Pause, "paused".to_owned())),
            EventKind::PauseRequested => Some((MarkKind::Pause, "pause requested".to_owned())),
            EventKind::Failed { error } => Some((MarkKind::Failure, format!("failed: {error}"))),
            EventKind::Restarted { error } => {
                Some((MarkKind::Failure, format!("restarted: {error}")))
            }
            EventKind::ErrorRecorded { error } => {
                Some((MarkKind::Failure, format!("error-recorded: {error}")))
            }
            _ => None,
        };
        if let Some((kind, label)) = mark {
            lane.marks.push(Mark { at_ms, kind, label });
        }
    }

    pub fn sample(&mut self, snapshot: &Snapshot) {
        // One mark per worker per refresh at most, for the messages it read
        // since the last one: bounded however busy the mailboxes are.
        for w in &snapshot.workers {
            let read = w.mailbox.received;
            let lane = self.lane_mut(&w.id);
            // A worker asked to pause runs on until its next pause point.
            let doing = matches!(w.state, WorkerState::Running | WorkerState::PauseRequested)
                .then_some(w.activity);
            let open = lane.spans.last().filter(|s| s.to_ms.is_none());
            if open.map(|s| s.activity) != doing {
                if let Some(open) = lane.spans.last_mut() {
                    open.to_ms.get_or_insert(snapshot.at_ms);
                }
                if let Some(activity) = doing {
                    lane.spans.push(Span {
                        activity,
                        from_ms: snapshot.at_ms,
                        to_ms: None,
                    });
                }
            }
            let before = std::mem::replace(&mut lane.received, read);
            if read > before {
                let label = format!("read {} message(s)", read - before);
                lane.marks.push(Mark {
                    at_ms: snapshot.at_ms,
                    kind: MarkKind::Message,
                    label,
                });
            }
        }
        let total = snapshot.workers.iter().map(|w| w.tasks_completed).sum();
        self.samples.push_back((snapshot.at_ms, total));
        // A worker asked to pause still runs until its next pause point.
        let running = snapshot
            .workers
            .iter()
            .filter(|w| matches!(w.state, WorkerState::Running | WorkerState::PauseRequested))
            .count();
        if let Some((at, before, was_running)) = self.last {
            if was_running == running && running > 0 && snapshot.at_ms > at {
                let bucket = self.by_running.entry(running).or_insert((0, 0.0));
                bucket.0 += total.saturating_sub(before);
                bucket.1 += snapshot.at_ms - at;
            }
        }
        self.last = Some((snapshot.at_ms, total, running));
        let due = self
            .per_worker
            .back()
            .is_none_or(|(at, _)| snapshot.at_ms - at >= 1_000.0);
        if due {
            let tasks = snapshot
                .workers
                .iter()
                .map(|w| (w.id.clone(), w.tasks_completed))
                .collect();
            self.per_worker.push_back((snapshot.at_ms, tasks));
        }
        self.forget_before(snapshot.at_ms);
    }

    /// Drops what scrolled out of the window (keeping each lane's open
    /// segment), so memory stays flat however long the page runs.
    fn forget_before(&mut self, now: f64) {
        let cutoff = now - WINDOW_MS;
        while self.samples.front().is_some_and(|(at, _)| *at < cutoff) {
            self.samples.pop_front();
        }
        while self.per_worker.len() > 3 {
            self.per_worker.pop_front();
        }
        let cutoff = now - RETAIN_MS;
        for lane in &mut self.lanes {
            lane.segments
                .retain(|s| s.to_ms.is_none_or(|to| to >= cutoff));
            lane.spans.retain(|s| s.to_ms.is_none_or(|to| to >= cutoff));
            lane.marks.retain(|m| m.at_ms >= cutoff);
        }
        self.broadcasts.retain(|m| m.at_ms >= cutoff);
    }

    /// The right edge of the timeline: now, except once the manager is shut
    /// down and every worker has finished, when it stops a moment after the
    /// last event so the finished run stays in view.
    pub fn end_ms(&self, snapshot: &Snapshot) -> f64 {
        let all_done = snapshot.workers.iter().all(|w| w.finished());
        if snapshot.shut_down && all_done && self.last_event_ms > 0.0 {
            snapshot.at_ms.min(self.last_event_ms + 1_000.0)
        } else {
            snapshot.at_ms
        }
    }

    /// Tasks per second of one worker over the last second or so.
    pub fn rate(&self, id: &str, now_ms: f64, tasks: u64) -> Option<f64> {
        let (at, then) = self
            .per_worker
            .iter()
            .rev()
            .find(|(at, _)| now_ms - at >= 500.0)?;
        let before = then.iter().find(|(w, _)| w == id)?.1;
        Some((tasks.saturating_sub(before)) as f64 * 1e3 / (now_ms - at))
    }

    /// Tasks per (real) second against the number of workers running.
    pub fn speedup(&self) -> Vec<(usize, f64)> {
        self.by_running
            .iter()
            .filter(|(_, (_, ms))| *ms > 0.0)
            .map(|(&n, &(tasks, ms))| (n, tasks as f64 * 1e3 / ms))
            .collect()
    }

    /// Total tasks per second of script time at `speed`, point by point,
    /// each over the last [`rate_span_ms`] (so a 10-a-second worker reads
    /// 10 at every speed).
    pub fn throughput(&self, speed: f64) -> Vec<(f64, f64)> {
        let span = rate_span_ms(speed);
        let points: Vec<&(f64, u64)> = self.samples.iter().collect();
        let mut from = 0;
        let mut out = Vec::new();
        for (i, &&(at, total)) in points.iter().enumerate() {
            // The latest earlier sample at least `span` back.
            while from + 1 < i && at - points[from + 1].0 >= span {
                from += 1;
            }
            let (then, before) = *points[from];
            if i > from && at - then >= span {
                let real_rate = total.saturating_sub(before) as f64 * 1e3 / (at - then);
                out.push((at, real_rate / speed));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::fixtures::event;
    use crate::model::{Activity, MailboxView};

    #[test]
    fn a_running_lane_records_what_the_worker_does_between_refreshes() {
        let mut h = History::default();
        let at = |at_ms: f64, state: WorkerState, activity: Activity| Snapshot {
            at_ms,
            workers: vec![crate::model::WorkerView {
                activity,
                ..worker("p", state, 0, 0)
            }],
            ..Snapshot::default()
        };
        h.sample(&at(0.0, WorkerState::Running, Activity::Computing));
        h.sample(&at(10.0, WorkerState::Running, Activity::Computing));
        h.sample(&at(20.0, WorkerState::Running, Activity::WaitingForRoom));
        h.sample(&at(30.0, WorkerState::Paused, Activity::WaitingForRoom));
        let spans: Vec<(Activity, f64, Option<f64>)> = h.lanes[0]
            .spans
            .iter()
            .map(|s| (s.activity, s.from_ms, s.to_ms))
            .collect();
        assert_eq!(
            spans,
            [
                (Activity::Computing, 0.0, Some(20.0)),
                (Activity::WaitingForRoom, 20.0, Some(30.0)),
            ],
            "a paused worker does nothing: no span is open"
        );
    }

    fn worker(id: &str, state: WorkerState, tasks: u64, received: u64) -> crate::model::WorkerView {
        let w = crate::model::fixtures::worker(id, state, tasks);
        crate::model::WorkerView {
            mailbox: MailboxView {
                sent: received,
                received,
                ..w.mailbox
            },
            ..w
        }
    }

    fn states(lane: &Lane) -> Vec<(WorkerState, f64, Option<f64>)> {
        lane.segments
            .iter()
            .map(|s| (s.state, s.from_ms, s.to_ms))
            .collect()
    }

    #[test]
    fn each_state_change_closes_one_segment_and_opens_the_next() {
        let mut h = History::default();
        h.record(&event(0.0, Some("w"), EventKind::Created));
        h.record(&event(1.0, Some("w"), EventKind::Started));
        h.record(&event(50.0, Some("w"), EventKind::PauseRequested));
        h.record(&event(
            80.0,
            Some("w"),
            EventKind::Paused { by_itself: false },
        ));
        h.record(&event(200.0, Some("w"), EventKind::Resumed));
        assert_eq!(
            states(&h.lanes[0]),
            [
                (WorkerState::Created, 0.0, Some(1.0)),
                (WorkerState::Running, 1.0, Some(50.0)),
                (WorkerState::PauseRequested, 50.0, Some(80.0)),
                (WorkerState::Paused, 80.0, Some(200.0)),
                (WorkerState::Running, 200.0, None),
            ]
        );
        let marks: Vec<&str> = h.lanes[0].marks.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(marks, ["pause requested", "paused"]);
    }

    #[test]
    fn a_deadlock_marks_the_lane_of_every_worker_in_its_cycle() {
        let mut h = History::default();
        for w in ["a", "b", "c"] {
            h.record(&event(0.0, Some(w), EventKind::Started));
        }
        let text =
            "deadlock: a -> b -> a (a waits for lock L2 held by b, b waits for lock L1 held by a)";
        let cycle = ["a", "b"].map(|w| crate::model::CycleEdge { worker: w.into() });
        h.record(&event(
            7.0,
            None,
            EventKind::Deadlock {
                cycle: cycle.to_vec(),
                text: text.into(),
            },
        ));
        for lane in &h.lanes {
            let marked: Vec<_> = lane
                .marks
                .iter()
                .map(|m| (m.kind, m.label.as_str(), m.at_ms))
                .collect();
            if lane.id == "c" {
                assert!(marked.is_empty(), "c is not in the cycle");
            } else {
                assert_eq!(marked, [(MarkKind::Deadlock, text, 7.0)], "{}", lane.id);
            }
        }
    }

    #[test]
    fn a_restart_is_a_failure_mark_and_running_again() {
        let mut h = History::default();
        h.record(&event(0.0, Some("w"), EventKind::Started));
        let error = "panicked: item 10 was malformed".to_owned();
        h.record(&event(5.0, Some("w"), EventKind::Restarted { error }));
        let lane = &h.lanes[0];
        assert_eq!(
            lane.segments.last().map(|s| s.state),
            Some(WorkerState::Running)
        );
        assert_eq!(lane.marks[0].kind, MarkKind::Failure);
        assert_eq!(
            lane.marks[0].label,
            "restarted: panicked: item 10 was malformed"
        );
    }

    #[test]
    fn messages_and_broadcasts_do_not_move_a_worker_and_removal_drops_its_lane() {
        let mut h = History::default();
        h.record(&event(0.0, Some("a"), EventKind::Started));
        h.record(&event(1.0, Some("b"), EventKind::Started));
        h.record(&event(
            2.0,
            Some("a"),
            EventKind::MessageSent { from: None },
        ));
        h.record(&event(
            3.0,
            None,
            EventKind::Broadcast {
                delivered: 2,
                full: 0,
            },
        ));
        assert_eq!(h.lanes[0].segments.len(), 1);
        assert_eq!(h.broadcasts.len(), 1);
        h.record(&event(4.0, Some("a"), EventKind::Removed));
        let ids: Vec<&str> = h.lanes.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(ids, ["b"]);
    }

    #[test]
    fn throughput_is_gathered_by_the_number_of_workers_running() {
        let mut h = History::default();
        let at = |at_ms: f64, states: &[(WorkerState, u64)]| Snapshot {
            at_ms,
            workers: states
                .iter()
                .enumerate()
                .map(|(i, &(state, tasks))| worker(&format!("w{i}"), state, tasks, 0))
                .collect(),
            ..Snapshot::default()
        };
        use WorkerState::{Paused, Running};
        h.sample(&at(0.0, &[(Running, 0), (Paused, 0)]));
        h.sample(&at(1_000.0, &[(Running, 100), (Paused, 0)]));
        // The second joins: this stretch saw a change, so it counts for none.
        h.sample(&at(1_500.0, &[(Running, 150), (Running, 0)]));
        h.sample(&at(2_500.0, &[(Running, 250), (Running, 90)]));
        assert_eq!(h.speedup(), [(1, 100.0), (2, 190.0)]);
    }

    #[test]
    fn samples_give_messages_read_rates_and_throughput() {
        let mut h = History::default();
        let snap = |at_ms, tasks, received| Snapshot {
            at_ms,
            workers: vec![worker("w", WorkerState::Running, tasks, received)],
            ..Snapshot::default()
        };
        h.sample(&snap(0.0, 0, 0));
        h.sample(&snap(500.0, 5, 3));
        h.sample(&snap(1_000.0, 10, 3));
        h.sample(&snap(1_500.0, 15, 3));
        let marks: Vec<&str> = h.lanes[0].marks.iter().map(|m| m.label.as_str()).collect();
        assert_eq!(
            marks,
            ["read 3 message(s)"],
            "one mark per refresh that read some"
        );
        assert_eq!(h.throughput(1.0), [(1_000.0, 10.0), (1_500.0, 10.0)]);
        // The same run seen at 2x: 10 a real second is 5 a script second.
        assert_eq!(h.throughput(2.0), [(1_000.0, 5.0), (1_500.0, 5.0)]);
        // At 0.1x a rate needs 10 s of real time: none yet.
        assert!(h.throughput(0.1).is_empty());
        assert_eq!(h.rate("w", 1_000.0, 10), Some(10.0));
        assert_eq!(h.rate("nobody", 1_000.0, 10), None);
    }

    #[test]
    fn a_finished_run_holds_the_timeline_still_a_moment_after_its_last_event() {
        let mut h = History::default();
        h.record(&event(2_000.0, Some("w"), EventKind::Stopped));
        let mut snap = Snapshot {
            at_ms: 10_000.0,
            workers: vec![worker("w", WorkerState::Stopped, 1, 0)],
            shut_down: false,
            ..Snapshot::default()
        };
        assert_eq!(h.end_ms(&snap), 10_000.0, "not shut down: it scrolls");
        snap.shut_down = true;
        assert_eq!(h.end_ms(&snap), 3_000.0);
    }

    #[test]
    fn old_segments_and_samples_are_forgotten() {
        let mut h = History::default();
        h.record(&event(0.0, Some("w"), EventKind::Started));
        h.record(&event(1.0, Some("w"), EventKind::PauseRequested));
        h.record(&event(
            2.0,
            Some("w"),
            EventKind::Paused { by_itself: false },
        ));
        let far = RETAIN_MS + 10_000.0;
        h.sample(&Snapshot {
            at_ms: far,
            workers: vec![worker("w", WorkerState::Paused, 0, 0)],
            ..Snapshot::default()
        });
        assert_eq!(
            states(&h.lanes[0]),
            [(WorkerState::Paused, 2.0, None)],
            "the open segment stays"
        );
        assert!(h.lanes[0].marks.is_empty());
        assert_eq!(h.samples.len(), 1);
    }
}
