//! What someone adopting the core relies on beyond its tests: the examples
//! run and check their own outcome, the API docs have no broken link, the
//! crate packages for crates.io, and the minimum Rust in Cargo.toml is true.

use std::process::Command;
use std::time::Instant;

use crate::install;
use crate::run::{self, cargo, root, Tally};

/// Runs every example of the core as its users would (`cargo run
/// --example`). They are programs, not tests: each asserts its own outcome
/// and exits non-zero if the behaviour is wrong, and a program is what a
/// reader copies. Found in the folder, so a new one is run without a line
/// here.
pub fn examples(tally: &mut Tally) -> Result<(), String> {
    let dir = root().join("crates/threadyard/examples");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("reading {}: {e}", dir.display()))?
        .filter_map(|entry| {
            let path = entry.ok()?.path();
            if path.extension()? != "rs" {
                return None;
            }
            Some(path.file_stem()?.to_str()?.to_owned())
        })
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(format!("no example found in {}", dir.display()));
    }
    let started = Instant::now();
    for name in &names {
        println!("    example {name}");
        run::status(
            &format!("example {name}"),
            cargo()
                .args(["run", "--quiet", "-p", "threadyard", "--example", name])
                // The supervision example panics on purpose, four times: a
                // backtrace for each would bury its output. A failed check
                // still prints its message.
                .env("RUST_BACKTRACE", "0"),
        )?;
    }
    println!(
        "    examples: {} ran and checked their outcome in {:.1?}",
        names.len(),
        started.elapsed()
    );
    tally.record("examples", names.len() as u64);
    Ok(())
}

/// The API docs of every crate, with rustdoc's warnings (broken intra-doc
/// links, bare URLs...) as errors. Native only, so RUSTDOCFLAGS replaces no
/// flags from a config file (the threads flags are rustc's, not rustdoc's,
/// and live in a file native builds never load).
pub fn docs() -> Result<(), String> {
    run::status(
        "API docs",
        cargo()
            .args(["doc", "--workspace", "--no-deps"])
            .env("RUSTDOCFLAGS", "-D warnings"),
    )
}

/// Packages the core as `cargo publish` would, and builds it from the
/// package, so a file it needs but does not ship (GUARANTEES.md is
/// `include_str!`ed) fails here. `--allow-dirty`: uncommitted work must not
/// fail the test command; `--locked`: the package resolves to Cargo.lock.
pub fn package() -> Result<(), String> {
    run::status(
        "cargo package",
        cargo().args(["package", "-p", "threadyard", "--allow-dirty", "--locked"]),
    )
}

/// Checks the core and the CLI with exactly the Rust that Cargo.toml's
/// `rust-version` names, against Cargo.lock. Library and binary only: the
/// dev-dependencies (proptest) need a newer Rust, and they are not what a
/// user builds. Its own target dir, so it does not evict the main build.
pub fn msrv() -> Result<(), String> {
    let toolchain = rust_version()?;
    install::toolchain(&toolchain)?;
    run::status(
        &format!("check with Rust {toolchain}"),
        Command::new("cargo")
            .current_dir(root())
            // Through rustup's proxy, overriding rust-toolchain.toml; the
            // outer cargo's own path must not leak in.
            .env("RUSTUP_TOOLCHAIN", &toolchain)
            .env_remove("CARGO")
            .env("CARGO_TARGET_DIR", root().join("target/msrv"))
            .args([
                "check",
                "-p",
                "threadyard",
                "-p",
                "threadyard-cli",
                "--locked",
            ]),
    )
}

/// The workspace's `rust-version`, as a full toolchain name: "1.85" means
/// 1.85.0, the oldest release it promises.
pub fn rust_version() -> Result<String, String> {
    let manifest = std::fs::read_to_string(root().join("Cargo.toml"))
        .map_err(|e| format!("reading Cargo.toml: {e}"))?;
    let version = manifest
        .lines()
        .find_map(|line| line.trim().strip_prefix("rust-version = \""))
        .and_then(|rest| rest.split('"').next())
        .ok_or("Cargo.toml has no workspace `rust-version = \"...\"`")?;
    Ok(full_version(version))
}

fn full_version(version: &str) -> String {
    match version.split('.').count() {
        2 => format!("{version}.0"),
        _ => version.to_owned(),
    }
}

#[cfg(test)]
mod test {
    #[test]
    fn a_two_part_rust_version_is_its_first_release() {
        assert_eq!(super::full_version("1.85"), "1.85.0");
        assert_eq!(super::full_version("1.85.1"), "1.85.1");
    }

    #[test]
    fn the_workspace_names_a_rust_version() {
        let version = super::rust_version().expect("Cargo.toml names one");
        assert_eq!(version.split('.').count(), 3, "{version}");
    }
}
