//! What the page remembers between refreshes: per-worker state segments and
//! marks for the timeline (built from the event log, so nothing between two
//! refreshes is missed), and throughput samples for the chart.

use std::collections::VecDeque;

use crate::model::{EventView, Snapshot};

/// How far back the chart reaches, and the timeline at speed 1.
pub const WINDOW_MS: f64 = 20_000.0;
/// How far back lanes are kept: the timeline's window at its slowest.
pub const RETAIN_MS: f64 = 200_000.0;

/// The timeline's window at `speed`: 20 s of script time, so a scenario
/// looks the same at any speed (2 s at 10x, 200 s at 0.1x).
pub fn window_ms(speed: f64) -> f64 {
    (WINDOW_MS / speed).clamp(2_000.0, RETAIN_MS)
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    pub state: &'static str,
    pub from_ms: f64,
    /// `None` while it is the current state.
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
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Lane {
    pub id: String,
    pub segments: Vec<Segment>,
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
}

/// The state an event moves a worker into, if it moves it.
fn state_after(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "created" => "created",
        "started" | "resumed" | "restarted" => "running",
        "pause-requested" => "pause-requested",
        "paused" => "paused",
        "stop-requested" => "stopping",
        "stopped" => "stopped",
        "failed" => "failed",
        _ => return None,
    })
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
            if event.kind == "broadcast" {
                self.broadcasts.push(Mark {
                    at_ms,
                    kind: MarkKind::Broadcast,
                    label: "broadcast".into(),
                });
            }
            return;
        };
        if event.kind == "removed" {
            self.lanes.retain(|l| l.id != id);
            return;
        }
        let lane = self.lane_mut(id);
        if let Some(state) = state_after(&event.kind) {
            if let Some(open) = lane.segments.last_mut() {
                open.to_ms.get_or_insert(at_ms);
            }
            lane.segments.push(Segment {
                state,
                from_ms: at_ms,
                to_ms: None,
            });
        }
        let mark = match event.kind.as_str() {
            "paused" | "pause-requested" => Some((MarkKind::Pause, event.kind.replace('-', " "))),
            "failed" | "restarted" | "error-recorded" => Some((
                MarkKind::Failure,
                format!(
                    "{}: {}",
                    event.kind,
                    event.error.clone().unwrap_or_default()
                ),
            )),
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

    /// Total tasks per second, point by point, for the chart.
    pub fn throughput(&self) -> Vec<(f64, f64)> {
        let points: Vec<&(f64, u64)> = self.samples.iter().collect();
        points
            .windows(2)
            .filter(|w| w[1].0 > w[0].0)
            .map(|w| {
                (
                    w[1].0,
                    w[1].1.saturating_sub(w[0].1) as f64 * 1e3 / (w[1].0 - w[0].0),
                )
            })
            .collect()
    }
}
