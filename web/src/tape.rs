//! The page's own session, kept for "Save as recording": the snapshots the
//! refresh loop read along the way, so that the saved file replays with
//! the chart as it grew and not only its last point. Bounded like an
//! attached session's frames: past a budget of worker rows, every other
//! snapshot kept is dropped and only every other one offered from then on
//! is kept, so the tape always spans the whole run, at a coarser step the
//! longer the run.

use serde_json::{json, Value};

use crate::wire::recording_header;

/// Worker rows kept in all (a snapshot of N workers is N + 1 rows): about
/// 80 minutes of three workers at ten refreshes a second before thinning.
pub const ROWS_KEPT: usize = 50_000;

/// The snapshots kept, each a handle `S` the threads module gave (turned
/// into JSON text only when the session is saved).
#[derive(Debug)]
pub struct Tape<S> {
    kept: Vec<(f64, usize, S)>,
    rows: usize,
    budget: usize,
    /// Keep one snapshot in this many offered.
    stride: usize,
    offered: usize,
}

impl<S> Default for Tape<S> {
    fn default() -> Self {
        Self::with_budget(ROWS_KEPT)
    }
}

impl<S> Tape<S> {
    pub fn with_budget(budget: usize) -> Self {
        Self {
            kept: Vec::new(),
            rows: 0,
            budget,
            stride: 1,
            offered: 0,
        }
    }

    /// Offers the snapshot taken at `at_ms` (of `workers` workers).
    pub fn offer(&mut self, at_ms: f64, workers: usize, snapshot: S) {
        let turn = self.offered;
        self.offered += 1;
        if !turn.is_multiple_of(self.stride) {
            return;
        }
        self.kept.push((at_ms, workers + 1, snapshot));
        self.rows += workers + 1;
        // Two are always kept: the first and the latest say where the run
        // began and how far it got, whatever a snapshot weighs.
        while self.rows > self.budget && self.kept.len() > 2 {
            let mut index = 0;
            self.kept.retain(|_| {
                index += 1;
                index % 2 == 1
            });
            self.rows = self.kept.iter().map(|k| k.1).sum();
            self.stride *= 2;
        }
    }

    /// The snapshots kept, in order: (when, handle).
    pub fn snapshots(&self) -> impl Iterator<Item = (f64, &S)> {
        self.kept.iter().map(|(at, _, s)| (*at, s))
    }

    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn clear(&mut self) {
        *self = Self::with_budget(self.budget);
    }
}

/// The JSON lines of the page's own session: every event, from `pages` (the
/// event pages as the threads module gave them, in order), with each of
/// `snapshots` (when, JSON text; in order, the last taken after the pages
/// were read) after the events up to its moment, as a watcher of a native
/// program gets them. A replay then has a sample per snapshot kept.
pub fn session_lines(pages: &[String], snapshots: &[(f64, String)]) -> Result<String, String> {
    let mut events = Vec::new();
    let mut missed = 0.0;
    let mut next = 0.0;
    for (n, text) in pages.iter().enumerate() {
        let page: Value = serde_json::from_str(text)
            .map_err(|e| format!("event page {n} from the threads module is not JSON: {e}"))?;
        if n == 0 {
            missed = page["missed"].as_f64().unwrap_or(0.0);
        }
        next = page["next"].as_f64().unwrap_or(next);
        if let Some(list) = page["events"].as_array() {
            events.extend(list.iter().cloned());
        }
    }
    if snapshots.is_empty() {
        return Err("no snapshot to save: the page has not read its threads yet".to_owned());
    }
    let mut out = recording_header();
    let mut events = events.into_iter().peekable();
    // The cursor after each page: the event after its last one.
    let mut cursor = events
        .peek()
        .and_then(|e| e["seq"].as_f64())
        .unwrap_or(next);
    for (i, (at_ms, snapshot)) in snapshots.iter().enumerate() {
        let last = i + 1 == snapshots.len();
        let mut group = Vec::new();
        while let Some(e) = events.next_if(|e| last || event_ms(e) <= *at_ms) {
            group.push(e);
        }
        if let Some(seq) = group.last().and_then(|e| e["seq"].as_f64()) {
            cursor = seq + 1.0;
        }
        if last {
            cursor = cursor.max(next);
        }
        let page = json!({
            "events": group,
            "missed": if i == 0 { missed } else { 0.0 },
            "next": cursor,
        });
        out.push_str(&format!(
            "{{\"type\":\"events\",\"more\":false,\"page\":{page}}}\n"
        ));
        out.push_str(&format!(
            "{{\"type\":\"snapshot\",\"skipped\":0,\"snapshot\":{snapshot}}}\n"
        ));
    }
    Ok(out)
}

fn event_ms(event: &Value) -> f64 {
    event["at_us"].as_f64().unwrap_or(0.0) / 1e3
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use std::sync::mpsc::channel;
    use std::time::Duration;

    use threadyard::Yard;

    use super::*;
    use crate::history::History;
    use crate::wire::read_recording;

    const LONG: Duration = Duration::from_secs(30);

    #[test]
    fn a_long_run_is_thinned_within_its_budget_and_still_spans_the_whole_run() {
        // Three workers: 4 rows a snapshot, so 10 fit in 40.
        let mut tape = Tape::with_budget(40);
        for i in 0..1_000 {
            tape.offer(f64::from(i) * 100.0, 3, i);
            assert!(tape.rows <= 40, "over budget after {i}: {}", tape.rows);
        }
        let kept: Vec<i32> = tape.snapshots().map(|(_, s)| *s).collect();
        assert!(kept.len() >= 5, "{kept:?}");
        assert_eq!(kept[0], 0, "the run's start is kept");
        let step = kept[1] - kept[0];
        assert!(
            kept.windows(2).all(|w| w[1] - w[0] == step),
            "evenly spaced: {kept:?}"
        );
        assert!(
            1_000 - kept[kept.len() - 1] <= step,
            "up to its end: {kept:?}"
        );
        // A snapshot heavier than the whole budget still leaves first and latest.
        let mut heavy = Tape::with_budget(10);
        for i in 0..5 {
            heavy.offer(f64::from(i), 100, i);
        }
        assert_eq!(heavy.len(), 2);
    }

    /// The page's own session, saved: a sample per snapshot kept (the
    /// chart's points), with every event once, each before the snapshot
    /// that follows it. Saved with only the final snapshot, as before, the
    /// replay had one sample: one point on its chart.
    #[test]
    fn a_saved_session_replays_with_a_sample_per_snapshot_kept() {
        let yard = Yard::<String>::new();
        let (done_tx, done) = channel();
        yard.spawn("w", move |w| loop {
            let _item = w.recv()?;
            w.task_done();
            done_tx.send(()).ok();
        })
        .unwrap();
        let mut tape = Tape::default();
        let take = |tape: &mut Tape<String>| {
            let snapshot = yard.snapshot();
            let text = serde_json::to_string(&snapshot).unwrap();
            tape.offer(snapshot.at_ms, snapshot.workers.len(), text);
        };
        for _ in 0..5 {
            yard.send("w", "item".into()).unwrap();
            done.recv_timeout(LONG).expect("the item done");
            take(&mut tape);
        }
        let pages = vec![serde_json::to_string(&yard.events_since(0)).unwrap()];
        let last = yard.snapshot();
        let mut snapshots: Vec<(f64, String)> =
            tape.snapshots().map(|(at, s)| (at, s.clone())).collect();
        snapshots.push((last.at_ms, serde_json::to_string(&last).unwrap()));

        let samples = read_recording(&session_lines(&pages, &snapshots).unwrap()).unwrap();
        assert_eq!(samples.len(), 6);
        let tasks: Vec<u64> = samples
            .iter()
            .map(|(s, _)| s.workers[0].tasks_completed)
            .collect();
        assert_eq!(tasks, [1, 2, 3, 4, 5, 5]);
        let events: usize = samples.iter().map(|(_, page)| page.events.len()).sum();
        assert_eq!(
            events,
            yard.events_since(0).events.len(),
            "every event once"
        );
        for (snapshot, page) in &samples {
            assert!(page.events.iter().all(|e| e.at_us / 1e3 <= snapshot.at_ms));
        }
        let mut history = History::default();
        for (snapshot, page) in &samples {
            page.events.iter().for_each(|e| history.record(e));
            history.sample(snapshot);
        }
        assert_eq!(history.samples.len(), 6, "the chart's points");

        let only_the_end = session_lines(&pages, &snapshots[5..]).unwrap();
        assert_eq!(read_recording(&only_the_end).unwrap().len(), 1);
        yard.shutdown(LONG);
    }
}
