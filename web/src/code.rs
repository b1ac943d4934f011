//! The code on screen: each ready-made workload's loop, cut from the core's
//! own source at build time (`include_str!`), so what the page shows is
//! what the threads run and cannot drift from it. Lines that are pause
//! points are marked, and so is the line a worker waits at now.

use crate::model::{Activity, WorkerState, WorkerView};

const TASKS: &str = include_str!("../../crates/threadyard/src/workloads/tasks.rs");

#[derive(Debug, Clone, PartialEq)]
pub struct CodeLine {
    pub number: usize,
    pub text: &'static str,
    /// A call where a pause (or a stop) requested of the worker is taken.
    pub pause_point: bool,
    /// The wait a worker doing this activity is in, on this line.
    pub waits: Option<Activity>,
}

/// The source of the functions a workload's loop is made of.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing {
    pub kind: String,
    pub lines: Vec<CodeLine>,
}

/// The functions that make up the loop of workload `kind`.
fn functions(kind: &str) -> &'static [&'static str] {
    match kind {
        "data-processor" | "flaky" | "chatty" => &["fn paced<"],
        "cpu-bound" => &["pub fn cpu_bound_held_by<"],
        "batch" => &["pub fn batch<"],
        "producer" => &["pub fn producer<"],
        "consumer" => &["pub fn consumer<", "fn work<"],
        _ => &[],
    }
}

fn classify(number: usize, text: &'static str) -> CodeLine {
    let waits = if text.contains("recv_timeout(") || text.contains(".recv()") {
        Some(Activity::WaitingForMessage)
    } else if text.contains("w.sleep(") || text.contains("sleep_paced(") {
        Some(Activity::Sleeping)
    } else if text.contains("held(w, ") {
        Some(Activity::Held)
    } else if text.contains("send_to_timeout(") {
        Some(Activity::WaitingForRoom)
    } else {
        None
    };
    // `control` only asks for a pause on the message "pause": the loop's
    // next pause point takes it.
    let pause_point = text.contains("pause_point()")
        || text.contains("pause_self()")
        || waits == Some(Activity::WaitingForMessage);
    CodeLine {
        number,
        text,
        pause_point,
        waits,
    }
}

/// Workload `kind`'s loop, as the core's source has it.
pub fn listing(kind: &str) -> Option<Listing> {
    let source: Vec<&'static str> = TASKS.lines().collect();
    let mut lines = Vec::new();
    for start in functions(kind) {
        let first = source.iter().position(|l| l.starts_with(start))?;
        let last = first + source[first..].iter().position(|l| *l == "}")?;
        if !lines.is_empty() {
            lines.push(classify(0, ""));
        }
        lines.extend((first..=last).map(|i| classify(i + 1, source[i])));
    }
    (!lines.is_empty()).then(|| Listing {
        kind: kind.to_owned(),
        lines,
    })
}

/// The line of `listing` worker `w` is at, where its state and activity
/// say so: the wait it is in (a paused worker inside a receive waits
/// there), or the pause point it paused at. `None` while it computes: it
/// is somewhere between these lines.
pub fn line_of(listing: &Listing, w: &WorkerView) -> Option<usize> {
    let at = |wanted: &dyn Fn(&CodeLine) -> bool| {
        listing.lines.iter().find(|l| wanted(l)).map(|l| l.number)
    };
    match (w.state, w.activity) {
        // Held inside a sleep that holds (a batch's item) when the loop has
        // no hold of its own.
        (WorkerState::Running | WorkerState::PauseRequested, Activity::Held) => {
            at(&|l| l.waits == Some(Activity::Held))
                .or_else(|| at(&|l| l.text.contains("sleep_paced(")))
        }
        (WorkerState::Running | WorkerState::PauseRequested | WorkerState::Paused, activity)
            if activity != Activity::Computing =>
        {
            at(&|l| l.waits == Some(activity))
        }
        (WorkerState::Paused, _) => at(&|l| l.text.contains("pause_point()")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_shows_its_real_loop_with_its_pause_points() {
        for kind in [
            "data-processor",
            "cpu-bound",
            "chatty",
            "batch",
            "producer",
            "consumer",
            "flaky",
        ] {
            let listing = listing(kind).unwrap_or_else(|| panic!("{kind} has no listing"));
            assert!(listing.lines.len() >= 5, "{kind}");
            assert!(listing.lines.iter().any(|l| l.pause_point), "{kind}");
            assert!(
                listing.lines.iter().all(|l| TASKS.contains(l.text)),
                "cut from the real source"
            );
            assert_eq!(listing.lines.last().map(|l| l.text), Some("}"), "{kind}");
        }
        let batch = listing("batch").unwrap();
        assert!(batch
            .lines
            .iter()
            .any(|l| l.waits == Some(Activity::Sleeping) && !l.pause_point));
        assert!(listing("juggler").is_none());
    }

    #[test]
    fn a_waiting_worker_is_shown_at_the_line_it_waits_on() {
        let batch = listing("batch").unwrap();
        let mut w = WorkerView {
            activity: Activity::Sleeping,
            ..crate::model::fixtures::worker("batch", WorkerState::Running, 0)
        };
        let line = line_of(&batch, &w).unwrap();
        let text = batch.lines.iter().find(|l| l.number == line).unwrap().text;
        assert!(text.contains("sleep_paced("), "{text}");
        // Held by the page's Hold: inside the sleep that holds (a batch's
        // loop has no hold of its own); a paced loop at its own hold.
        w.activity = Activity::Held;
        let line = line_of(&batch, &w).unwrap();
        let text = batch.lines.iter().find(|l| l.number == line).unwrap().text;
        assert!(text.contains("sleep_paced("), "{text}");
        let paced = listing("data-processor").unwrap();
        let line = line_of(&paced, &w).unwrap();
        let text = paced.lines.iter().find(|l| l.number == line).unwrap().text;
        assert!(text.contains("held(w, "), "{text}");
        w.activity = Activity::Computing;
        assert_eq!(line_of(&batch, &w), None, "computing: between the lines");
        w.state = WorkerState::Paused;
        let line = line_of(&batch, &w).unwrap();
        let text = batch.lines.iter().find(|l| l.number == line).unwrap().text;
        assert!(text.contains("pause_point()"), "{text}");
    }
}
