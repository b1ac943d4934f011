//! Building the page: the threads module (built here, with the threads flags)
//! and the Yew UI module (built by Trunk, which calls `build-threads` as a
//! pre-build hook so a plain `trunk serve` works too).

use std::path::PathBuf;
use std::process::Command;

use crate::install;
use crate::run::{root, status, threads_cargo};
use crate::{NIGHTLY, WASM};

/// Where the threads module goes: Trunk's staging directory when run as its
/// hook (so it lands in `dist/threads/`), else `dist/threads`.
fn threads_out() -> PathBuf {
    std::env::var_os("TRUNK_STAGING_DIR")
        .map_or_else(|| root().join("dist"), PathBuf::from)
        .join("threads")
}

/// Builds `threadyard-web` for wasm32 with shared memory and runs
/// wasm-bindgen on it (`--target web`, loaded by the UI module as an ES
/// module with its worker helper snippet beside it).
pub fn build_threads(release: bool) -> Result<(), String> {
    install::nightly(NIGHTLY, &["rust-src"])?;
    install::wasm_bindgen_cli()?;
    let release = release || std::env::var("TRUNK_PROFILE").is_ok_and(|p| p == "release");
    // A target directory of its own: the UI module is built for the same
    // target with other flags, and sharing one would rebuild both each time.
    let target_dir = root().join("target/threads");
    let mut cmd = threads_cargo("build");
    cmd.args(["-p", "threadyard-web", "--target", WASM, "--target-dir"])
        .arg(&target_dir);
    if release {
        cmd.arg("--release");
    }
    status("threads module", &mut cmd)?;
    let profile = if release { "release" } else { "debug" };
    let wasm = target_dir
        .join(WASM)
        .join(profile)
        .join("threadyard_web.wasm");
    let out = threads_out();
    status(
        "wasm-bindgen (threads module)",
        Command::new("wasm-bindgen")
            .args(["--target", "web", "--out-dir"])
            .arg(&out)
            .arg(&wasm),
    )?;
    if release {
        // Optimized for speed (the workers run in it); the features come
        // from the module's own target-features section.
        let bindgen_out = out.join("threadyard_web_bg.wasm");
        status(
            "wasm-opt (threads module)",
            Command::new(install::wasm_opt_dir()?.join("wasm-opt"))
                .args(["-O3", "--output"])
                .arg(&bindgen_out)
                .arg(&bindgen_out),
        )?;
    }
    println!("    threads module in {}", out.display());
    Ok(())
}

/// Builds and serves the app with Trunk, with the COOP/COEP headers from
/// Trunk.toml. Release by default: the debug build of the UI renders several
/// times slower; `--dev` builds faster for working on the app itself.
pub fn serve(args: &[String]) -> Result<(), String> {
    let dev = args.iter().any(|a| a == "--dev");
    let mut trunk_args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--dev")
        .collect();
    if !dev {
        trunk_args.push("--release");
    }
    prepare()?;
    println!("==> building, then serving the app at http://127.0.0.1:8080/ (open it in a browser; Ctrl-C stops)");
    let mut trunk = Command::new("trunk");
    trunk.arg("serve").args(&trunk_args).current_dir(root());
    if !dev {
        // Trunk runs wasm-opt on the UI module of a release build.
        trunk.env("PATH", install::path_with(&install::wasm_opt_dir()?));
    }
    status("trunk serve", &mut trunk)
}

/// Builds the app into `dist/` (add `--release` for an optimized build).
pub fn build(args: &[String]) -> Result<(), String> {
    prepare()?;
    let mut trunk = Command::new("trunk");
    trunk.arg("build").args(args).current_dir(root());
    if args.iter().any(|a| a == "--release") {
        // Trunk runs wasm-opt on the UI module of a release build.
        trunk.env("PATH", install::path_with(&install::wasm_opt_dir()?));
    }
    status("trunk build", &mut trunk)
}

/// Everything Trunk needs, installed where missing; crates fetched, since
/// Trunk runs cargo offline (Trunk.toml) so it never downloads a tool.
fn prepare() -> Result<(), String> {
    install::nightly(NIGHTLY, &["rust-src"])?;
    install::wasm_bindgen_cli()?;
    install::trunk()?;
    install::stable_target(WASM)?;
    status("cargo fetch", crate::run::cargo().arg("fetch"))
}
