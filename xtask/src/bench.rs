//! `cargo xtask bench`: runs the benchmarks and writes BENCHMARKS.md.

use std::process::Command;

use crate::run::{cargo, root, status, threads_cargo};
use crate::{install, NIGHTLY, WASM};

const READING: &str = "\
## Reading

Natively, two rows miss their targets and a third sits on its edge; what bounds each, and what was tried, is below.

- **`pause_point()` with no pause requested** is one Acquire load and a byte compare, plus
  one more load than the baseline: the pointer to the worker's record. 1.3x to 1.5x across
  runs, on the target's edge. (It was 12x before: the state byte was converted to an enum
  and a `Result` built on every call.)
- **Pause** is acknowledged at the next pause point and the requester is woken once:
  faster than a park/unpark round trip, which takes two wakeups.
- **Resume misses (3 to 5x a bare unpark).** It is one condition-variable wakeup, but
  before it the resuming thread records the move (the event-log lock, the event) and
  notifies change waiters, and after it the worker re-takes its lock: the lock that makes
  the handshake lose no wakeup (see the loom models). Skipping the condvar notification
  when nobody waits was done, and the worker is now woken before change waiters are
  notified; neither moved the ratio beyond the noise (4.8x before, 5.4x after, 3x to 5x
  across runs). What is left is the event-log lock and the lane lock, both kept on
  purpose: the first keeps the log in the order the moves happened, the second is the
  lost-wakeup guard.
- **One sender to one worker streams faster than `sync_channel`**: receivers and blocked
  senders spin briefly on the mailbox depth before sleeping, so a stream pays no futex call
  per message.
- **Four senders to one worker misses (0.3x to 0.45x).** The mailbox is a mutex-guarded
  queue; five threads on two cores convoy on it (`perf`: 18% in `Mutex::lock_contended`,
  13% in context switches). A lock-free queue (crossbeam's `ArrayQueue`) was tried and did
  not help (0.43x): each send still made four contended read-modify-writes on shared cache
  lines (in-flight count twice, sent count, high-water mark) where `sync_channel` makes one,
  so it was reverted. What did help: the mailbox counters, written only under the lock, are
  now plain loads and stores instead of locked read-modify-writes (0.29x to 0.45x here,
  and one sender to one worker 2.8x to 5.6x). A lock-free queue with that bookkeeping
  batched per sender is the next attempt.
- **Shutdown of 1,000 workers** stops and closes each in one pass, wakes only workers that
  wait, and tracks only the ones still pending (it took 271 ms before). When a third of
  them busy-spin on two cores, the thread shutting down gets about one core in 167, which
  bounds it (the extra row).
- **Memory**: a registered worker's record, and what its thread adds once started, with an
  empty mailbox (the mailbox grows only with messages).
- Every ratio compares figures from the same run. The suite runs three times and each row
  shows the run with the median ratio: on a 2-core virtual machine a single run can land
  on either side of a target (the resume and fast-path rows moved by 2x between runs).
";

const BROWSER_INTRO: &str = "\
Headless Chromium, the threads module built as the app builds it. The measuring thread is a dedicated
worker; workers run on the pool's Web Workers. The baselines are the raw primitives: `std::thread::park` /
`unpark` and `std::sync::mpsc` between two Web Workers compile, on wasm32 with atomics, to
`memory.atomic.wait32` / `notify` on the shared memory, that is `Atomics.wait` / `Atomics.notify` on a
SharedArrayBuffer. Source: `crates/threadyard-web/tests/bench.rs` (300 samples, 300,000 messages).
";

const BROWSER_READING: &str = "
- Chromium rounds `performance.now()` to 5 µs in cross-origin isolated pages, so latencies come in
  steps of 5 µs.
- Pause meets its target. Resume sits around the 3x target (3x to 4x across runs), as natively,
  for the same reason: the bookkeeping before the wakeup and the re-lock after it.
- One sender to one worker misses (0.4x to 0.56x across runs). Measured with the worker's own
  counters: over 300,000 messages it slept only 112 to 260 times and its mailbox sat at its
  capacity, so neither wakeups nor the spin bound it: the per-message lock hand-off between
  two threads does (`sync_channel` is a lock-free array, one compare-exchange per side). Two
  fixes came out of it: std's mutex spins with `spin_loop()`, a no-op on wasm32, so a
  contended lock went straight to `Atomics.wait`; the core now tries the lock a thousand
  times first (0.44 to 1.19 M/s before, 1.24 to 1.41 M/s after; pause latency 55 to 95 µs
  before, 15 to 25 µs after). And `send_timeout` reads the clock (a call out to JavaScript
  here) only once the mailbox is full. The rest is the same bound as four senders natively.
- The browser suite runs once per `cargo xtask bench` (the native one three times).
- The spawn baseline is a job handed to an idle pool Web Worker and back, the pool's own dispatch,
  not a `postMessage` to a fresh Web Worker: the manager spawns onto the pool, never a new Worker.
  Recorded, without a target.
";

/// The browser benchmarks, run in full mode; returns their table.
fn browser() -> Result<String, String> {
    install::nightly(NIGHTLY, &["rust-src"])?;
    install::wasm_bindgen_cli()?;
    let chromedriver = install::chromium()?;
    println!("==> browser benchmarks (about a minute)");
    let out = threads_cargo("test")
        .args([
            "--target",
            WASM,
            "-p",
            "threadyard-web",
            "--test",
            "bench",
            "--",
            "--nocapture",
        ])
        // Read at compile time by the benchmark: full length, not quick.
        .env("THREADYARD_BENCH", "full")
        .env("CHROMEDRIVER", chromedriver)
        .env("WASM_BINDGEN_TEST_TIMEOUT", "600")
        .output()
        .map_err(|e| format!("could not run the browser benchmarks: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "the browser benchmarks failed:\n{text}{}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let table: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('|'))
        .collect();
    if table.is_empty() {
        return Err(format!("the browser benchmarks printed no table:\n{text}"));
    }
    Ok(table.join("\n") + "\n")
}

/// `cargo bench` of the benchmark binary; its own flags follow.
pub fn command() -> Command {
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "threadyard", "--bench", "overhead", "--"]);
    cmd
}

/// Runs the benchmarks, native and browser (all rows, full length), and
/// writes BENCHMARKS.md.
pub fn bench() -> Result<(), String> {
    let table = root().join("target/bench-table.md");
    status("benchmarks", command().arg("--markdown").arg(&table))?;
    let table = std::fs::read_to_string(&table).map_err(|e| format!("reading the table: {e}"))?;
    let browser = browser()?;
    let doc = format!(
        "# Benchmarks\n\nThe manager's overhead beside raw threads and channels, natively and in the browser. Each \
         figure sits beside a \
         baseline measured in the same run; the ratio is the result. Written by `cargo xtask bench` \
         (source: `crates/threadyard/benches/overhead.rs`).\n\n## Machine\n\n{}\n## Native\n\n{table}\n{READING}\n\
         ## In the browser\n\n{BROWSER_INTRO}\n{browser}\n{BROWSER_READING}",
        machine()
    );
    std::fs::write(root().join("BENCHMARKS.md"), doc)
        .map_err(|e| format!("writing BENCHMARKS.md: {e}"))?;
    println!("==> wrote BENCHMARKS.md");
    Ok(())
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let os = std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|o| {
            o.lines()
                .find(|l| l.starts_with("PRETTY_NAME="))
                .map(|l| l[12..].trim_matches('"').to_owned())
        })
        .unwrap_or_else(|| std::env::consts::OS.into());
    let version = |program: &str, arg: &str| {
        Command::new(program)
            .arg(arg)
            .current_dir(root())
            .output()
            .ok()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_else(|| "not found".into())
    };
    format!(
        "- CPU: {cpu}, {cores} cores\n- OS: {os}\n- Rust: {}\n- Browser: {}\n",
        version("rustc", "-V"),
        version("chromium", "--version")
    )
}
