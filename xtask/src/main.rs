//! `cargo xtask <task>`: the project's two front doors.
//!
//! * `cargo xtask demo [ARGS]`: the main job (the terminal demo of the seed
//!   until the web app lands), building what it needs.
//! * `cargo xtask test`: every check and test, installing what is missing.
//!
//! Std only, so it compiles in seconds on a fresh machine.

use std::env;
use std::process::{Command, ExitCode};
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(&args[1..]),
        Some("test") => test(),
        Some("help" | "--help" | "-h") | None => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown task `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("xtask: {error}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "usage: cargo xtask <task>

tasks:
  demo [ARGS]   run the terminal demo: `threadyard seed` (ARGS default to --speed 1;
                try `cargo xtask demo --speed 10` or `--json`)
  test          install what is missing, then run formatting, lint and every test";

fn demo(args: &[String]) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.args([
        "run",
        "--release",
        "--quiet",
        "-p",
        "threadyard-cli",
        "--",
        "seed",
    ]);
    cmd.args(args);
    run("terminal demo", &mut cmd)
}

fn test() -> Result<(), String> {
    let started = Instant::now();
    ensure_components(&["rustfmt", "clippy"])?;
    let steps: [(&str, &[&str]); 3] = [
        ("format check", &["fmt", "--all", "--check"]),
        (
            "clippy",
            &[
                "clippy",
                "--workspace",
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ],
        ),
        (
            "tests: core, conformance suite (native), CLI, doctests",
            &["test", "--workspace"],
        ),
    ];
    for (i, (name, args)) in steps.iter().enumerate() {
        println!(
            "==> [{}/{}] {name}: cargo {}",
            i + 1,
            steps.len(),
            args.join(" ")
        );
        run(name, cargo().args(*args))?;
    }
    println!("==> all checks passed in {:.0?}", started.elapsed());
    Ok(())
}

/// Adds rustup components the pinned toolchain lacks (rust-toolchain.toml
/// asks for them, but an older rustup may not install them by itself).
fn ensure_components(components: &[&str]) -> Result<(), String> {
    let installed = Command::new("rustup")
        .args(["component", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup is needed to install {components:?}: {e}; install it from https://rustup.rs"))?;
    let installed = String::from_utf8_lossy(&installed.stdout);
    for component in components {
        if !installed.lines().any(|line| line.starts_with(component)) {
            println!("==> installing rustup component {component}");
            run(
                component,
                Command::new("rustup").args(["component", "add", component]),
            )?;
        }
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn run(what: &str, cmd: &mut Command) -> Result<(), String> {
    let started = Instant::now();
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: could not run {cmd:?}: {e}"))?;
    if status.success() {
        println!("    {what}: ok in {:.1?}", started.elapsed());
        Ok(())
    } else {
        Err(format!(
            "{what} failed ({status}); the output above says why"
        ))
    }
}
