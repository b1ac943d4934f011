//! What the terminal shows: live bars on a terminal, plain lines when piped,
//! then the metrics table and the shutdown report.

use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use threadyard::{EventKind, ShutdownReport, WorkerSnapshot, Yard};

use crate::out::say;

pub struct Live {
    bars: Option<(MultiProgress, Vec<ProgressBar>)>,
    next_event: u64,
}

impl Live {
    pub fn new(terminal: bool) -> Self {
        let bars = terminal.then(|| {
            (
                MultiProgress::with_draw_target(ProgressDrawTarget::stdout()),
                Vec::new(),
            )
        });
        Self {
            bars,
            next_event: 0,
        }
    }

    /// Brings the view up to date: bars, and one line per new event.
    pub fn refresh<T: Send + 'static>(&mut self, yard: &Yard<T>) {
        let page = yard.events_since(self.next_event);
        self.next_event = page.next;
        for event in page.events {
            let who = event.worker.as_ref().map_or("manager", |w| w.as_str());
            self.line(&format!(
                "[{:>7.2}s] {who}: {}",
                event.at_us as f64 / 1e6,
                describe(&event.kind)
            ));
        }
        let Some((multi, bars)) = self.bars.as_mut() else {
            return;
        };
        for (i, worker) in yard.snapshot().workers.iter().enumerate() {
            if bars.len() <= i {
                let style = ProgressStyle::with_template("{prefix:>9} {spinner} {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner());
                let bar = multi.add(
                    ProgressBar::new_spinner()
                        .with_style(style)
                        .with_prefix(worker.id.to_string()),
                );
                bars.push(bar);
            }
            bars[i].set_message(format!(
                "{:<15} {:>5} tasks  {:>2} pauses  mailbox {}/{}",
                worker.state.as_str(),
                worker.tasks_completed,
                worker.pause_count,
                worker.mailbox.depth,
                worker.mailbox.capacity
            ));
            bars[i].tick();
        }
    }

    /// A line from the script itself.
    pub fn note(&mut self, at: Duration, text: &str) {
        self.line(&format!("[{:>7.2}s] script: {text}", at.as_secs_f64()));
    }

    fn line(&self, text: &str) {
        match &self.bars {
            Some((multi, _)) => {
                let _ = multi.println(text);
            }
            None => say!("{text}"),
        }
    }

    pub fn finish(self, workers: &[WorkerSnapshot], report: Option<&ShutdownReport>) {
        if let Some((_, bars)) = &self.bars {
            bars.iter().for_each(ProgressBar::finish);
        }
        say!();
        say!(
            "{:<10} {:<9} {:>6} {:>7} {:>10} {:>9} {:>9} {:>7} {:>8}",
            "worker",
            "state",
            "tasks",
            "pauses",
            "paused ms",
            "busy ms",
            "cpu ms",
            "errors",
            "messages"
        );
        for w in workers {
            let cpu = w
                .cpu_time_ms
                .map_or_else(|| "n/a".to_owned(), |c| format!("{c:.1}"));
            say!(
                "{:<10} {:<9} {:>6} {:>7} {:>10.0} {:>9.1} {:>9} {:>7} {:>8}",
                w.id.as_str(),
                w.state.as_str(),
                w.tasks_completed,
                w.pause_count,
                w.paused_ms,
                w.busy_ms,
                cpu,
                w.errors,
                w.mailbox.received
            );
        }
        say!();
        let Some(report) = report else {
            return;
        };
        let ids = |ids: &[threadyard::WorkerId]| {
            ids.iter()
                .map(|i| i.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        say!("shutdown in {:.2} ms", report.elapsed_ms);
        say!("  clean:        {}", ids(&report.clean));
        say!(
            "  failed:       {}",
            report
                .failed
                .iter()
                .map(|f| format!("{} ({})", f.id, f.error))
                .collect::<Vec<_>>()
                .join(", ")
        );
        say!("  unresponsive: {}", ids(&report.unresponsive));
        say!("  undelivered messages: {}", report.undelivered_messages);
    }
}

fn describe(kind: &EventKind) -> String {
    match kind {
        EventKind::Created => "created".into(),
        EventKind::Started => "started".into(),
        EventKind::PauseRequested => "pause requested".into(),
        EventKind::Paused { by_itself: true } => "paused itself".into(),
        EventKind::Paused { by_itself: false } => "paused at a pause point".into(),
        EventKind::Resumed => "resumed".into(),
        EventKind::StopRequested => "stop requested".into(),
        EventKind::Stopped => "stopped".into(),
        EventKind::Failed { error } => format!("failed: {error}"),
        EventKind::Restarted { error } => format!("restarted after: {error}"),
        EventKind::ErrorRecorded { error } => format!("error: {error}"),
        EventKind::MessageSent { from } => format!(
            "message from {}",
            from.as_ref().map_or("the manager", |f| f.as_str())
        ),
        EventKind::Broadcast { delivered, full } => {
            format!("broadcast delivered to {delivered}, {full} full")
        }
        EventKind::Removed => "removed".into(),
        EventKind::ShutdownStarted => "shutdown started".into(),
        EventKind::ShutdownFinished { unresponsive } => {
            format!("shutdown finished, {unresponsive} unresponsive")
        }
        // A kind added to the core after this was written.
        other => format!("{other:?}"),
    }
}
