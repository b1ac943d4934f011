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
    };
    if let Some(server) = &server {
        crate::serve::wait_for_viewer(server, &args.serve, args.json);
    }
    let began = Instant::now();
    for step in &scenario.script {
        wait_until(began + scale(step.at_ms), &yard, live.as_mut());
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
            Command::WaitAll { timeout_ms } => {
                let late = yard.join_all(scale(timeout_ms));
                outcome.late = late.iter().map(ToString::to_string).collect();
                Ok(if late.is_empty() {
                    "every worker finished by itself".to_owned()
                } else {
                    format!("still running after the wait: {}", outcome.late.join(", "))
                })
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
            // The step's own line first, then what it caused (events that
            // came before it were printed while waiting for its time).
            live.note(began.elapsed(), &said);
            live.refresh(&yard);
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
