//! `cargo xtask <task>`: the project's front doors.
//!
//! * `cargo xtask serve`: the main job, the web app, built and served.
//! * `cargo xtask demo [SCENARIO] [ARGS]`: the terminal demo (the seed's
//!   example, or another scenario), building what it needs.
//! * `cargo xtask test`: every check and test, natively and in headless
//!   Chromium, installing what is missing first.
//!
//! Std only, so it compiles in seconds on a fresh machine.

mod adopt;
mod bench;
mod install;
mod run;
mod web;

use std::env;
use std::process::ExitCode;
use std::time::Instant;

use run::{cargo, threads_cargo, Tally};

/// The nightly that builds the browser side (std rebuilt with atomics).
pub const NIGHTLY: &str = "nightly-2026-05-19";
/// The browser target.
pub const WASM: &str = "wasm32-unknown-unknown";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("demo") => demo(&args[1..]),
        Some("serve") => web::serve(&args[1..]),
        Some("bench") => bench::bench(&args[1..]),
        Some("build") => web::build(&args[1..]),
        Some("build-threads") => web::build_threads(args[1..].iter().any(|a| a == "--release")),
        Some("test") => test(&args[1..]),
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
  serve [--dev]      build the app (release unless --dev) and serve it with Trunk,
                     COOP/COEP set, at http://127.0.0.1:8080/
  build [--release]  build the app into dist/
  build-threads      build the threads module (Trunk runs this as its pre-build hook)
  bench [--app]      run the benchmarks (about four minutes) and write BENCHMARKS.md
                     (--app: only the app's frame times, sizes and start-up)
  demo [SCENARIO] [ARGS]
                     run a scenario in the terminal: the seed's example unless one of
                     pause-points, back-pressure, supervision, unresponsive is named
                     (try --speed 10, --json, --trace trace.json)
  test [--native]    install what is missing, then formatting, clippy, every test, the
                     core's examples, its API docs and package, and the check with the
                     minimum Rust, natively and in headless Chromium (--native: skip
                     the browser half)";

fn demo(args: &[String]) -> Result<(), String> {
    let mut cmd = cargo();
    cmd.args(["run", "--release", "--quiet", "-p", "threadyard-cli", "--"]);
    match args.first() {
        Some(scenario) if !scenario.starts_with('-') => cmd.arg("scenario").args(args),
        _ => cmd.arg("seed").args(args),
    };
    run::status("terminal demo", &mut cmd)
}

fn test(args: &[String]) -> Result<(), String> {
    let native_only = match args {
        [] => false,
        [flag] if flag == "--native" => true,
        _ => return Err(format!("unknown arguments {args:?}\n\n{USAGE}")),
    };
    let started = Instant::now();
    let mut tally = Tally::default();
    let steps = if native_only { 9 } else { 13 };
    let mut done = 0;
    let mut step = |what: &str| {
        done += 1;
        println!("==> [{done}/{steps}] {what}");
    };

    install::stable_components(&["rustfmt", "clippy"])?;
    step("format check");
    run::status("format check", cargo().args(["fmt", "--all", "--check"]))?;
    step("clippy, native");
    run::status(
        "clippy",
        cargo().args([
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
    )?;
    step("tests, native: core, conformance suite, state machine, faults, CLI, the app's logic, doctests");
    tally.run("native tests", cargo().args(["test", "--workspace"]))?;
    step("the core's examples, each checking its own outcome");
    adopt::examples(&mut tally)?;
    step("API docs with warnings denied (broken links fail)");
    adopt::docs()?;
    step("the core packaged for crates.io, and built from the package");
    adopt::package()?;
    step(&format!(
        "the core and the CLI checked with the minimum Rust ({})",
        adopt::rust_version()?
    ));
    adopt::msrv()?;
    step("loom models of the pause/resume, mailbox and shutdown handshakes");
    tally.run(
        "loom models",
        cargo()
            .args(["test", "-p", "threadyard", "--lib", "--release", "model"])
            // Native build only, so no config rustflags are being replaced.
            .env("RUSTFLAGS", "--cfg loom")
            .env("CARGO_TARGET_DIR", run::root().join("target/loom"))
            // Bounded so the models fit in CI; raise it to search deeper.
            .env(
                "LOOM_MAX_PREEMPTIONS",
                std::env::var("LOOM_MAX_PREEMPTIONS").unwrap_or_else(|_| "2".into()),
            ),
    )?;
    step("benchmarks, quick mode (they run; cargo xtask bench measures)");
    run::status("benchmarks, quick", bench::command().arg("--quick"))?;
    run::status(
        "server benchmarks, quick",
        bench::serve_command().arg("--quick"),
    )?;

    if !native_only {
        step("browser toolchain: pinned nightly, wasm-bindgen-cli, Chromium, Trunk, Node packages");
        install::nightly(NIGHTLY, &["rust-src", "clippy"])?;
        install::wasm_bindgen_cli()?;
        let chromedriver = install::chromium()?;
        install::trunk()?;
        install::stable_target(WASM)?;
        install::e2e_packages()?;
        let wasm_crates = [
            "-p",
            "threadyard",
            "-p",
            "threadyard-web",
            "-p",
            "threadyard-conformance",
        ];
        step("clippy, wasm32 (the threads module and the UI module)");
        run::status(
            "clippy wasm32, threads",
            threads_cargo("clippy")
                // Library and tests: the benchmarks are native-only.
                .args(["--target", WASM, "--lib", "--tests"])
                .args(wasm_crates)
                .args(["--", "-D", "warnings"]),
        )?;
        run::status(
            "clippy wasm32, UI",
            cargo().args([
                "clippy",
                "--target",
                WASM,
                "-p",
                "threadyard-app",
                "--",
                "-D",
                "warnings",
            ]),
        )?;
        step("tests in headless Chromium: conformance suite (dedicated worker), main thread");
        tally.run(
            "browser tests",
            threads_cargo("test")
                .args([
                    "--target",
                    WASM,
                    "-p",
                    "threadyard-conformance",
                    "-p",
                    "threadyard-web",
                ])
                .env("CHROMEDRIVER", chromedriver)
                // A hung test fails after this many seconds instead of hanging CI.
                .env("WASM_BINDGEN_TEST_TIMEOUT", "120"),
        )?;
        step("the app: release build with Trunk, then end-to-end tests and the JS API's hostile-value suite in headless Chromium");
        web::build(&["--release".to_owned()])?;
        tally.run(
            "app end-to-end tests, JS API hostile values",
            std::process::Command::new("node")
                .args([
                    "--test",
                    "--test-concurrency=1",
                    "--test-reporter=tap",
                    "app.test.mjs",
                    // The stepped lessons' page.
                    "steps.test.mjs",
                    // The JS API against hostile values, through the real glue.
                    "api.test.mjs",
                    // The app attached to a native program, and a replay.
                    "attach.test.mjs",
                ])
                .current_dir(run::root().join("tests/e2e"))
                .env("THREADYARD_DIST", run::root().join("dist"))
                // Built by the native tests above.
                .env(
                    "THREADYARD_BIN",
                    run::root().join("target/debug/threadyard"),
                ),
        )?;
        println!("    screenshots of the app: tests/e2e/artifacts/");
    }
    println!("==> all checks passed in {:.0?}", started.elapsed());
    for (what, passed) in &tally.by_step {
        println!("    {what}: {passed} passed");
    }
    println!("{} passed, 0 failed", tally.passed);
    Ok(())
}
