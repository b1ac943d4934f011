//! `threadyard`: the terminal front end of the threadyard thread manager.
//!
//! `threadyard seed` replays the seed's usage example on real threads.

mod render;
mod seed;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
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
    Seed(seed::SeedArgs),
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
    let result = match cli.command {
        Command::Seed(args) => seed::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("threadyard: {error}");
            ExitCode::FAILURE
        }
    }
}
