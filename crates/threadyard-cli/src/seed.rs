//! The seed's usage example, scripted against a scaled clock.

use std::io::{self, IsTerminal};
use std::thread;
use std::time::Duration;

use clap::Args;
use serde::Serialize;
use threadyard::{workloads, ShutdownReport, WorkerSnapshot, Yard};
use web_time::Instant;

use crate::render::Live;

/// Scheduled times of the seed's script, at speed 1.
const ITEM: Duration = Duration::from_millis(100);
const PAUSE_AT: Duration = Duration::from_secs(5);
const RESUME_AT: Duration = Duration::from_secs(8);
const SHUTDOWN_AT: Duration = Duration::from_secs(15);
/// How long the workers get to finish after "shutdown", at any speed.
const FINISH_DEADLINE: Duration = Duration::from_secs(5);

#[derive(Args)]
pub struct SeedArgs {
    /// Run N times faster than the seed (1 to 100).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    speed: u32,
    /// Print one JSON document at the end instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Serialize)]
struct Outcome {
    speed: u32,
    workers: Vec<WorkerSnapshot>,
    shutdown: ShutdownReport,
}

enum Step {
    Send(&'static str, &'static str),
    Resume(&'static str),
    Broadcast(&'static str),
}

pub fn run(args: &SeedArgs) -> Result<(), String> {
    let scale = |d: Duration| d / args.speed;
    let yard = Yard::<String>::new();
    for i in 0..3 {
        yard.spawn(
            &format!("worker_{i}"),
            workloads::data_processor(scale(ITEM)),
        )
        .map_err(|e| e.to_string())?;
    }
    let mut live = (!args.json).then(|| Live::new(io::stdout().is_terminal()));
    let began = Instant::now();
    let script = [
        (PAUSE_AT, Step::Send("worker_1", "pause")),
        (RESUME_AT, Step::Resume("worker_1")),
        (SHUTDOWN_AT, Step::Broadcast("shutdown")),
    ];
    for (at, step) in script {
        wait_until(began + scale(at), &yard, live.as_mut());
        let said = match step {
            Step::Send(id, message) => yard
                .send(id, message.to_owned())
                .map(|()| format!("sent {message:?} to {id}"))
                .map_err(|e| e.to_string()),
            Step::Resume(id) => yard
                .resume(id)
                .map(|()| format!("resumed {id}"))
                .map_err(|e| e.to_string()),
            Step::Broadcast(message) => {
                let report = yard.broadcast(message.to_owned());
                Ok(format!(
                    "broadcast {message:?} to {} workers",
                    report.recipients.len()
                ))
            }
        }?;
        if let Some(live) = live.as_mut() {
            live.note(began.elapsed(), &said);
        }
    }
    let late = yard.join_all(FINISH_DEADLINE);
    if let Some(live) = live.as_mut() {
        live.refresh(&yard);
        if !late.is_empty() {
            live.note(
                began.elapsed(),
                &format!("still running after the broadcast: {late:?}"),
            );
        }
    }
    let shutdown = yard.shutdown(FINISH_DEADLINE);
    let workers = yard.snapshot().workers;
    if args.json {
        let outcome = Outcome {
            speed: args.speed,
            workers,
            shutdown,
        };
        println!(
            "{}",
            serde_json::to_string_pretty(&outcome).map_err(|e| e.to_string())?
        );
    } else if let Some(live) = live {
        live.finish(&workers, &shutdown);
    }
    Ok(())
}

/// Sleeps until `until`, refreshing the live view meanwhile. This is the
/// script's clock, not a wait for an event: the seed's steps happen at times.
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
