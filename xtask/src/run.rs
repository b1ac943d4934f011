//! Running commands, timing them, and counting the tests they ran.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

/// The workspace root: every command runs there, wherever `cargo xtask` was
/// started.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Stable `cargo` for native builds and the UI module.
pub fn cargo() -> Command {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(root());
    cmd
}

/// `cargo SUBCOMMAND` on the pinned nightly with the threads flags
/// (`.cargo/wasm-threads.toml`), for the threads module and its tests. The
/// toolchain is chosen with RUSTUP_TOOLCHAIN so it also reaches the cargo
/// subprocesses the wasm test runner starts. `--config` goes after the
/// subcommand: before it, cargo does not pass it on to an external one such
/// as `cargo clippy`.
pub fn threads_cargo(subcommand: &str) -> Command {
    let mut cmd = Command::new("cargo");
    cmd.current_dir(root())
        .env("RUSTUP_TOOLCHAIN", crate::NIGHTLY)
        // The outer `cargo xtask`'s own CARGO must not leak in.
        .env_remove("CARGO")
        .arg(subcommand)
        .arg("--config")
        .arg(root().join(".cargo/wasm-threads.toml"));
    cmd
}

/// Runs `cmd`, failing with a message if it fails.
pub fn status(what: &str, cmd: &mut Command) -> Result<(), String> {
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

/// Tests passed, per step and in all.
#[derive(Default)]
pub struct Tally {
    pub passed: u64,
    pub by_step: Vec<(String, u64)>,
}

impl Tally {
    /// Runs a `cargo test`, echoing its output and adding up its
    /// `test result:` lines.
    pub fn run(&mut self, what: &str, cmd: &mut Command) -> Result<(), String> {
        let started = Instant::now();
        let mut child = cmd
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{what}: could not run {cmd:?}: {e}"))?;
        let mut passed = 0;
        if let Some(out) = child.stdout.take() {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                println!("{line}");
                passed += passed_in(&line);
            }
        }
        let status = child.wait().map_err(|e| format!("{what}: {e}"))?;
        if !status.success() {
            return Err(format!(
                "{what} failed ({status}); the output above says why"
            ));
        }
        if passed == 0 {
            return Err(format!(
                "{what} ran no test: the harness found nothing to run"
            ));
        }
        println!("    {what}: {passed} passed in {:.1?}", started.elapsed());
        self.record(what, passed);
        Ok(())
    }

    /// Adds checks that passed outside a test harness (an example that
    /// verified its own outcome and exited 0).
    pub fn record(&mut self, what: &str, passed: u64) {
        self.passed += passed;
        self.by_step.push((what.to_owned(), passed));
    }
}

/// Tests passed according to one line of output: `N` from cargo's
/// `test result: ok. N passed; ...` or from node's `# pass N`; else 0.
fn passed_in(line: &str) -> u64 {
    let line = line.trim();
    line.strip_prefix("test result: ok. ")
        .and_then(|rest| rest.split(' ').next())
        .or_else(|| line.strip_prefix("# pass "))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod test {
    #[test]
    fn reads_the_passed_count() {
        assert_eq!(
            super::passed_in("test result: ok. 48 passed; 0 failed; 0 ignored"),
            48
        );
        assert_eq!(
            super::passed_in("test result: FAILED. 3 passed; 1 failed"),
            0
        );
        assert_eq!(super::passed_in("running 3 tests"), 0);
        assert_eq!(super::passed_in("# pass 7"), 7);
    }
}
