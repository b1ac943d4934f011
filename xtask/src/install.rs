//! Installing what the tests need, pinned, only where it is missing: a warm
//! machine pays nothing, a fresh one gets everything from the registries
//! (rustup, crates.io, Debian). Nothing is downloaded at run time by a tool.

use std::path::PathBuf;
use std::process::Command;

use crate::run::status;

/// Rustup components of the pinned stable (rust-toolchain.toml) that an
/// older rustup may not have installed by itself.
pub fn stable_components(components: &[&str]) -> Result<(), String> {
    let installed = output("rustup", &["component", "list", "--installed"])?;
    for component in components {
        if !installed.lines().any(|line| line.starts_with(component)) {
            println!("    installing rustup component {component}");
            status(
                component,
                Command::new("rustup").args(["component", "add", component]),
            )?;
        }
    }
    Ok(())
}

/// A target for the pinned stable (rust-toolchain.toml lists wasm32 for the UI
/// module; an older rustup, or a toolchain installed before that line, may
/// lack it).
pub fn stable_target(target: &str) -> Result<(), String> {
    let installed = output("rustup", &["target", "list", "--installed"])?;
    if installed.lines().any(|line| line.trim() == target) {
        return Ok(());
    }
    println!("    adding the {target} target to the pinned stable");
    status(
        target,
        Command::new("rustup")
            .args(["target", "add", target])
            .current_dir(crate::run::root()),
    )
}

/// The pinned nightly with `components` (rust-src lets `-Z build-std`
/// rebuild std with atomics; no prebuilt wasm32 std is needed).
pub fn nightly(toolchain: &str, components: &[&str]) -> Result<(), String> {
    let installed = output(
        "rustup",
        &["component", "list", "--installed", "--toolchain", toolchain],
    )
    .unwrap_or_default();
    let missing: Vec<&str> = components
        .iter()
        .copied()
        .filter(|c| !installed.lines().any(|line| line.starts_with(c)))
        .collect();
    if installed.is_empty() {
        println!("    installing {toolchain} with {components:?} (about 30 s)");
        let mut cmd = Command::new("rustup");
        cmd.args(["toolchain", "install", toolchain, "--profile", "minimal"]);
        for c in components {
            cmd.args(["--component", c]);
        }
        return status(toolchain, &mut cmd);
    }
    for component in missing {
        println!("    adding {component} to {toolchain}");
        status(
            component,
            Command::new("rustup").args(["component", "add", component, "--toolchain", toolchain]),
        )?;
    }
    Ok(())
}

/// A toolchain with nothing beyond rustup's minimal profile (rustc, cargo,
/// std): enough for `cargo check`, such as the minimum supported Rust.
pub fn toolchain(name: &str) -> Result<(), String> {
    let installed = output("rustup", &["toolchain", "list"])?;
    let prefix = format!("{name}-");
    if installed.lines().any(|line| line.starts_with(&prefix)) {
        return Ok(());
    }
    println!("    installing Rust {name}, minimal profile (about 30 s)");
    status(
        name,
        Command::new("rustup").args(["toolchain", "install", name, "--profile", "minimal"]),
    )
}

/// wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock (the
/// two must match byte for byte). Installed without `--locked`: its own
/// lockfile pins a webpki-roots version that crates.io no longer serves.
pub fn wasm_bindgen_cli() -> Result<(), String> {
    let wanted = locked_version("wasm-bindgen")?;
    let have = output("wasm-bindgen", &["--version"]).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(wanted.as_str()) {
        return Ok(());
    }
    println!(
        "    installing wasm-bindgen-cli {wanted} (about 4 min on 2 cores; found {:?})",
        have.trim()
    );
    status(
        "wasm-bindgen-cli",
        Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &wanted]),
    )
}

/// Trunk, pinned. Trunk 0.22 declares rust-version 1.96, above the pinned
/// stable, so it is built with the pinned nightly (about 15 min on 2 cores,
/// once).
pub fn trunk() -> Result<(), String> {
    const TRUNK: &str = "0.22.1";
    let have = output("trunk", &["--version"]).unwrap_or_default();
    if have.split_whitespace().nth(1) == Some(TRUNK) {
        return Ok(());
    }
    println!(
        "    installing trunk {TRUNK} (about 15 min on 2 cores, once; found {:?})",
        have.trim()
    );
    status(
        "trunk",
        Command::new("cargo")
            .env("RUSTUP_TOOLCHAIN", crate::NIGHTLY)
            .args(["install", "trunk", "--version", TRUNK, "--locked"]),
    )
}

/// The Node packages pinned in tests/e2e (package.json, package-lock.json):
/// playwright-core (drives the system Chromium, never downloads a browser)
/// and axe-core for the e2e tests, and binaryen, whose wasm-opt optimizes
/// both WebAssembly modules of a release build. `npm ci` when one is missing
/// or not at its pinned version.
pub fn e2e_packages() -> Result<(), String> {
    let dir = crate::run::root().join("tests/e2e");
    let manifest = std::fs::read_to_string(dir.join("package.json"))
        .map_err(|e| format!("reading tests/e2e/package.json: {e}"))?;
    let installed = pinned(&manifest).iter().all(|(name, version)| {
        std::fs::read_to_string(dir.join("node_modules").join(name).join("package.json"))
            .is_ok_and(|text| text.contains(&format!("\"version\": \"{version}\"")))
    });
    if installed {
        return Ok(());
    }
    if output("node", &["--version"]).is_err() {
        return Err(
            "the app's release build (wasm-opt) and its end-to-end tests need Node.js 18 \
                    or later and npm: `apt-get install nodejs npm` (Debian), then run this again"
                .into(),
        );
    }
    println!("    installing the Node packages of tests/e2e (npm ci)");
    status(
        "npm ci",
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir),
    )
}

/// The `"name": "version"` pairs of a package.json's devDependencies.
fn pinned(manifest: &str) -> Vec<(String, String)> {
    let Some(start) = manifest.find("\"devDependencies\"") else {
        return Vec::new();
    };
    let block = &manifest[start..];
    let block = &block[..block.find('}').unwrap_or(block.len())];
    block
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut parts = line
                .split('"')
                .filter(|p| !p.trim().is_empty() && p.trim() != ":" && p.trim() != ",");
            Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
        })
        .collect()
}

/// The folder holding binaryen's wasm-opt (from npm, pinned in tests/e2e:
/// Debian's binaryen is too old for the threads module), installed if
/// missing. Trunk finds it on the PATH.
pub fn wasm_opt_dir() -> Result<PathBuf, String> {
    e2e_packages()?;
    Ok(crate::run::root().join("tests/e2e/node_modules/.bin"))
}

/// `PATH` with `dir` first.
pub fn path_with(dir: &std::path::Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_path_buf()];
    paths.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    std::env::join_paths(paths).unwrap_or_default()
}

/// Debian's Chromium and its driver; installs them with apt-get when root.
/// Returns the driver's path.
pub fn chromium() -> Result<PathBuf, String> {
    let driver = PathBuf::from("/usr/bin/chromedriver");
    if driver.exists() && PathBuf::from("/usr/bin/chromium").exists() {
        return Ok(driver);
    }
    let root = output("id", &["-u"])
        .map(|uid| uid.trim() == "0")
        .unwrap_or(false);
    if !root {
        return Err("the browser tests need Chromium and ChromeDriver: run \
                    `sudo apt-get install chromium chromium-driver` (Debian/Ubuntu), \
                    then run this again; or `cargo xtask test --native` to skip the browser half"
            .into());
    }
    println!("    installing chromium and chromium-driver from Debian (about 1 min)");
    status(
        "apt-get update",
        Command::new("apt-get").args(["update", "-q"]),
    )?;
    status(
        "apt-get install",
        Command::new("apt-get")
            .args([
                "install",
                "-y",
                "-q",
                "--no-install-recommends",
                "chromium",
                "chromium-driver",
            ])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )?;
    Ok(driver)
}

/// The version of `package` recorded in Cargo.lock.
fn locked_version(package: &str) -> Result<String, String> {
    let lock =
        std::fs::read_to_string("Cargo.lock").map_err(|e| format!("reading Cargo.lock: {e}"))?;
    let needle = format!("name = \"{package}\"\nversion = \"");
    let start = lock
        .find(&needle)
        .ok_or_else(|| format!("{package} is not in Cargo.lock"))?
        + needle.len();
    let end = lock[start..].find('"').ok_or("Cargo.lock is malformed")?;
    Ok(lock[start..start + end].to_owned())
}

/// A command's stdout, if it ran and succeeded.
fn output(program: &str, args: &[&str]) -> Result<String, String> {
    let out = Command::new(program)
        .args(args)
        .output()
        .map_err(|e| format!("could not run {program}: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{program} {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}
