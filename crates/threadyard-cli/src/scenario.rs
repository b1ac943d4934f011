//! Runs a scenario's script against a scaled clock: the seed's example or a
//! teaching demo, on real threads.

use std::fs;
use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use clap::Args;
use serde::Serialize;
use threadyard::scenarios::{Command, Scenario};
use threadyard::workloads::Pace;
use threadyard::{
    BroadcastReport, RestartPolicy, ShutdownReport, WorkerOptions, WorkerSnapshot, Yard,
};
use web_time::Instant;

use crate::out::say;
use crate::render::Live;

/// How often a recording takes a snapshot (real time).
const RECORD_EVERY: Duration = Duration::from_millis(100);

/// How long a restart policy's window is: the whole of any scenario.
const RESTART_WINDOW: Duration = Duration::from_secs(600);

/// Added to a wait for a state: the wait is for an event, and a loaded
/// machine must not turn the scenario's point into a timeout.
const GRACE: Duration = Duration::from_secs(30);

#[derive(Args)]
pub struct RunArgs {
    /// Run this many times faster than written, from 0.01 (slow motion) to
    /// 100; scales the script's clock and the workers' item times.
    #[arg(long, default_value = "1", value_parser = speed)]
    speed: Pace,
    /// Print one JSON document at the end instead of text.
    #[arg(long)]
    json: bool,
    /// Also write the run's timeline to FILE as Chrome Trace Event JSON
    /// (open it in https://ui.perfetto.dev or chrome://tracing).
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Also record the run to FILE as JSON lines (events and snapshots),
    /// which the app opens and plays back.
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    #[command(flatten)]
    serve: crate::serve::ServeArgs,
}

impl RunArgs {
    /// True when `--json` was given.
    pub fn json(&self) -> bool {
        self.json
    }
}

/// Reads `--speed` into the dial the workloads share; the range is the
/// core's (`Pace::new` refuses the rest and says why).
fn speed(text: &str) -> Result<Pace, String> {
    let speed: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number"))?;
    Pace::new(speed).map_err(|e| e.to_string())
}

#[derive(Serialize)]
struct Outcome<'a> {
    scenario: &'a str,
    speed: f64,
    workers: Vec<WorkerSnapshot>,
    broadcasts: Vec<BroadcastReport>,
    /// Workers still running when a wait-all step gave up.
    late: Vec<String>,
    shutdown: Option<ShutdownReport>,
    /// Total throughput between one step time and the next, with how many
    /// workers were running meanwhile (the speedup lesson's figures).
    phases: Vec<Phase>,
    /// The cores this machine offers (`std::thread::available_parallelism`).
    cores: Option<usize>,
}

#[derive(Serialize)]
struct Phase {
    workers: usize,
    tasks_per_s: f64,
}

/// Total tasks, and workers running (or asked to pause, still running
/// until their next pause point), now.
fn tally(yard: &Yard<String>) -> (u64, usize) {
    let workers = yard.snapshot().workers;
    let running = workers
        .iter()
        .filter(|w| {
            matches!(
                w.state,
                threadyard::WorkerState::Running | threadyard::WorkerState::PauseRequested
            )
        })
        .count();
    (workers.iter().map(|w| w.tasks_completed).sum(), running)
}

pub fn run(scenario: &Scenario, args: &RunArgs) -> Result<(), String> {
    let pace = &args.speed;
    // Opened before the run, so a path that cannot be written is said at
    // once, not after the whole scenario has played.
    let trace_file = args
        .trace
        .as_ref()
        .map(|path| {
            fs::File::create(path)
                .map_err(|e| format!("could not write the trace to {}: {e}", path.display()))
        })
        .transpose()?;

    let record_file = args
        .record
        .as_ref()
        .map(|path| {
            fs::File::create(path)
                .map_err(|e| format!("could not write the recording to {}: {e}", path.display()))
        })
        .transpose()?;

    let scale = |ms: f64| pace.scale(Duration::from_secs_f64(ms / 1e3));
    let yard = Arc::new(
        Yard::<String>::builder()
            .mailbox_capacity(scenario.mailbox_capacity)
            // Every message becomes a mark in the trace (or a recording, or
            // a watcher's timeline); only when asked.
            .record_messages(args.trace.is_some() || args.record.is_some() || args.serve.serving())
            .build()
            .map_err(|e| e.to_string())?,
    );
    // Served before the workers start, so a watcher sees them from the first.
    let server = crate::serve::start(&yard, &args.serve, args.json)?;
    let recording = record_file
        .map(|file| {
            threadyard_serve::record(&yard, io::BufWriter::new(file), RECORD_EVERY)
                .map_err(|e| format!("could not start recording: {e}"))
        })
        .transpose()?;
    for cast in &scenario.cast {
        let mut options = WorkerOptions::new();
        if let Some(max_restarts) = cast.max_restarts {
            options = options.restart(RestartPolicy::OnFailure {
                max_restarts,
                window: RESTART_WINDOW,
            });
        }
        let task = cast.workload.task_paced(pace).map_err(|e| e.to_string())?;
        yard.spawn_with(cast.id, options, task)
            .map_err(|e| e.to_string())?;
    }
    let mut live = (!args.json).then(|| Live::new(io::stdout().is_terminal()));
    if let Some(live) = live.as_mut() {
        live.note(Duration::ZERO, scenario.title);
    }
    let mut outcome = Outcome {
        scenario: scenario.id,
        speed: pace.speed(),
        workers: Vec::new(),
        broadcasts: Vec::new(),
        late: Vec::new(),
        shutdown: None,
        phases: Vec::new(),
        cores: thread::available_parallelism().ok().map(usize::from),
    };
    if let Some(server) = &server {
        crate::serve::wait_for_viewer(server, &args.serve, args.json);
    }
    let began = Instant::now();
    // (when, total tasks) at the last step time, and who ran since.
    let mut phase: Option<(Instant, u64, usize)> = None;
    let mut last_at = None;
    for step in &scenario.script {
        wait_until(began + scale(step.at_ms), &yard, live.as_mut());
        if last_at != Some(step.at_ms) {
            last_at = Some(step.at_ms);
            let (total, running) = tally(&yard);
            let now = Instant::now();
            if let Some((from, before, _)) = phase {
                let seconds = now.duration_since(from).as_secs_f64();
                if running > 0 && seconds > 0.0 {
                    outcome.phases.push(Phase {
                        workers: running,
                        tasks_per_s: total.saturating_sub(before) as f64 / seconds,
                    });
                }
            }
            phase = Some((now, total, running));
        }
        // A step that waits says what it starts first: the events it causes
        // come while it waits, and its result after them.
        let starts = match step.command {
            Command::WaitAll { .. } => {
                Some("waiting for every worker to finish by itself".to_owned())
            }
            Command::WaitFor { worker, state, .. } => {
                Some(format!("waiting until {worker} is {state}"))
            }
            Command::Shutdown { .. } => Some("shutting down".to_owned()),
            _ => None,
        };
        if let (Some(live), Some(starts)) = (live.as_mut(), &starts) {
            live.note(began.elapsed(), starts);
        }
        let said = match step.command {
            Command::Send { to, message } => yard
                .send(to, message.to_owned())
                .map(|()| format!("sent {message:?} to {to}"))
                .map_err(|e| e.to_string()),
            Command::Pause { worker } => yard
                .pause(worker)
                .map(|()| format!("asked {worker} to pause"))
                .map_err(|e| e.to_string()),
            Command::Resume { worker } => yard
                .resume(worker)
                .map(|()| format!("resumed {worker}"))
                .map_err(|e| e.to_string()),
            Command::Broadcast { message } => {
                let report = yard.broadcast(message.to_owned());
                let said = format!(
                    "broadcast {message:?}: {} of {} mailboxes took it",
                    report.count(threadyard::Delivery::Delivered),
                    report.recipients.len()
                );
                outcome.broadcasts.push(report);
                Ok(said)
            }
            Command::WaitFor {
                worker,
                state,
                timeout_ms,
            } => {
                let reached = yard
                    .wait_for_state(worker, scale(timeout_ms) + GRACE, |s| s == state)
                    .is_ok();
                if !reached {
                    outcome.late.push(worker.to_owned());
                }
                yard.state(worker)
                    .map(|now| {
                        if reached {
                            format!("{worker} is {now}")
                        } else {
                            format!("{worker} is still {now}, not {state}, after the wait")
                        }
                    })
                    .map_err(|e| e.to_string())
            }
            Command::WaitAll { timeout_ms } => {
                let late = yard.join_all(scale(timeout_ms));
                outcome.late = late.iter().map(ToString::to_string).collect();
                Ok(ends(&yard.snapshot().workers, &outcome.late))
            }
            Command::Shutdown { timeout_ms } => {
                let report = yard.shutdown(scale(timeout_ms));
                let said = format!("shut down in {:.1} ms", report.elapsed_ms);
                outcome.shutdown = Some(report);
                Ok(said)
            }
            // A command added to the core after this player was written.
            ref other => Err(format!("this player cannot run {other:?}")),
        }?;
        if let Some(live) = live.as_mut() {
            if starts.is_some() {
                // What happened while it waited, then how it ended.
                live.refresh(&yard);
                live.note(began.elapsed(), &said);
            } else {
                // The step's own line first, then what it caused (events
                // that came before it were printed while waiting for its
                // time).
                live.note(began.elapsed(), &said);
                live.refresh(&yard);
            }
        }
    }
    if let (Some(path), Some(file)) = (&args.trace, trace_file) {
        serde_json::to_writer(io::BufWriter::new(file), &yard.trace())
            .map_err(|e| format!("could not write the trace to {}: {e}", path.display()))?;
    }
    if let (Some(path), Some(recording)) = (&args.record, recording) {
        recording
            .finish()
            .map_err(|e| format!("could not write the recording to {}: {e}", path.display()))?;
    }
    outcome.workers = yard.snapshot().workers;
    if args.json {
        say!(
            "{}",
            serde_json::to_string_pretty(&outcome).map_err(|e| e.to_string())?
        );
    } else if let Some(live) = live {
        live.finish(&outcome.workers, outcome.shutdown.as_ref());
        if scenario.id == "speedup" {
            speedup_table(&outcome.phases, outcome.cores);
        }
        say!("\nlook for: {}", scenario.look_for);
        if let Some(path) = &args.trace {
            say!("trace written to {}", path.display());
        }
        if let Some(path) = &args.record {
            say!("recording written to {}", path.display());
        }
    }
    if let Some(server) = server {
        crate::serve::until_interrupted(server, args.json);
    }
    Ok(())
}

/// The speedup lesson's figures: throughput against workers.
fn speedup_table(phases: &[Phase], cores: Option<usize>) {
    let Some(one) = phases.first().map(|p| p.tasks_per_s) else {
        return;
    };
    say!(
        "\nthroughput against workers ({} cores here):",
        cores.map_or_else(|| "unknown".to_owned(), |c| c.to_string())
    );
    say!("{:>8} {:>12} {:>9}", "workers", "tasks/s", "speedup");
    for p in phases {
        say!(
            "{:>8} {:>12.0} {:>8.2}x",
            p.workers,
            p.tasks_per_s,
            p.tasks_per_s / one.max(f64::MIN_POSITIVE)
        );
    }
}

/// How a wait for every worker ended: a failed worker is named as failed.
fn ends(workers: &[WorkerSnapshot], late: &[String]) -> String {
    let with = |state: threadyard::WorkerState| -> Vec<&str> {
        workers
            .iter()
            .filter(|w| w.state == state)
            .map(|w| w.id.as_str())
            .collect()
    };
    let failed = with(threadyard::WorkerState::Failed);
    if failed.is_empty() && late.is_empty() {
        return "every worker finished by itself".to_owned();
    }
    let mut parts = vec![format!(
        "stopped cleanly: {}",
        with(threadyard::WorkerState::Stopped).join(", ")
    )];
    if !failed.is_empty() {
        parts.push(format!("failed earlier: {}", failed.join(", ")));
    }
    if !late.is_empty() {
        parts.push(format!("still running after the wait: {}", late.join(", ")));
    }
    parts.join("; ")
}

/// Sleeps until `until`, refreshing the live view meanwhile. This is the
/// script's clock, not a wait for an event: scripts happen at times.
fn wait_until(until: Instant, yard: &Yard<String>, mut live: Option<&mut Live>) {
    const FRAME: Duration = Duration::from_millis(100);
    loop {
        if let Some(live) = live.as_deref_mut() {
            live.refresh(yard);
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        thread::sleep(left.min(FRAME));
    }
}
