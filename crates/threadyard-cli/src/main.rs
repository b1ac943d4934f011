//! `threadyard`: the terminal front end of the threadyard thread manager.
//!
//! `threadyard seed` replays the seed's usage example on real threads;
//! `threadyard scenario ID` runs one of the teaching scenarios (`threadyard
//! scenario --help` lists them). Both can write a Chrome trace (`--trace`).

mod out;
mod render;
mod scenario;
mod serve;

use std::process::ExitCode;

use clap::builder::PossibleValuesParser;
use clap::{Parser, Subcommand};
use threadyard::scenarios;
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
    /// Replay the seed's example: three data processors; worker_1 pauses
    /// itself on a message at 5 s and is resumed at 8 s; "shutdown" is
    /// broadcast at 15 s; then the metrics and the shutdown report.
    Seed(scenario::RunArgs),
    /// Run a teaching scenario: seed, pause-points, back-pressure,
    /// supervision or unresponsive.
    Scenario {
        /// Which one.
        #[arg(value_parser = PossibleValuesParser::new(scenarios::all().iter().map(|s| s.id)))]
        id: String,
        #[command(flatten)]
        run: scenario::RunArgs,
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
    let (id, args) = match &cli.command {
        Command::Seed(args) => ("seed", args),
        Command::Scenario { id, run } => (id.as_str(), run),
    };
    let result = scenarios::find(id)
        .ok_or_else(|| format!("no scenario called {id:?}"))
        .and_then(|s| scenario::run(&s, args));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("threadyard: {error}");
            ExitCode::FAILURE
        }
    }
}
