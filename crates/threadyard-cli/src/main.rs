//! `threadyard`: the terminal front end of the threadyard thread manager.
//!
//! `threadyard seed` replays the seed's usage example on real threads;
//! `threadyard scenario ID` runs one of the teaching scenarios (`threadyard
//! scenario --help` lists them). Both can write a Chrome trace (`--trace`).
//! The stepped lessons (`lost-update`, `deadlock`, `philosophers` and their
//! fixes) replay a schedule (`--schedule 0,1,1,0`) or search for one that
//! breaks them (`--explore N`).

mod lesson;
mod out;
mod render;
mod scenario;
mod serve;

use std::process::ExitCode;

use clap::builder::PossibleValuesParser;
use clap::{Parser, Subcommand};
use threadyard::{lessons, scenarios};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(
    name = "threadyard",
    version,
    about = "Manage, watch and teach threads"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay the seed's example: three data processors; worker_1 asks for
    /// its own pause on a message at 5 s and is resumed at 8 s; "shutdown" is
    /// broadcast at 15 s; then the metrics and the shutdown report.
    Seed(scenario::RunArgs),
    /// Run a teaching scenario: seed, pause-points, back-pressure,
    /// supervision, unresponsive or speedup; or a stepped lesson:
    /// lost-update, deadlock, philosophers, and their fixes
    /// (lost-update-locked, deadlock-ordered, philosophers-ordered).
    Scenario {
        /// Which one.
        #[arg(value_parser = PossibleValuesParser::new(
            scenarios::all().iter().map(|s| s.id).chain(lessons::all().iter().map(|l| l.id))
        ))]
        id: String,
        #[command(flatten)]
        run: scenario::RunArgs,
        #[command(flatten)]
        steps: lesson::StepArgs,
    },
}

fn main() -> ExitCode {
    // Logs go to stderr, warnings and up unless RUST_LOG says otherwise.
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let no_steps = lesson::StepArgs::default();
    let (id, args, steps) = match &cli.command {
        Command::Seed(args) => ("seed", args, &no_steps),
        Command::Scenario { id, run, steps } => (id.as_str(), run, steps),
    };
    let result = match (lessons::find(id), scenarios::find(id)) {
        (Some(l), _) => lesson::run(&l, steps, args.json()),
        (None, Some(_)) if steps.given() => Err(format!(
            "{id} is a timed scenario: --schedule and --explore are for the stepped lessons"
        )),
        (None, Some(s)) => scenario::run(&s, args),
        (None, None) => Err(format!("no scenario called {id:?}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("threadyard: {error}");
            ExitCode::FAILURE
        }
    }
}
