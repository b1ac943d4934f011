//! `cargo xtask bench`: runs the benchmarks and writes BENCHMARKS.md.

use std::process::Command;

use crate::run::{cargo, root, status};

const READING: &str = "\
## Reading

Three rows miss their targets; what bounds each, and what was tried, is below and in the
issue's note.

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
  when nobody waits was done; issuing the worker's wakeup before the bookkeeping is next.
- **One sender to one worker streams faster than `sync_channel`**: receivers and blocked
  senders spin briefly on the mailbox depth before sleeping, so a stream pays no futex call
  per message.
- **Four senders to one worker misses (0.3x to 0.4x).** The mailbox is a mutex-guarded
  queue; five threads on two cores convoy on it (`perf`: 18% in `Mutex::lock_contended`,
  13% in context switches). A lock-free queue (crossbeam's `ArrayQueue`) was tried and did
  not help (0.43x): each send still made four contended read-modify-writes on shared cache
  lines (in-flight count twice, sent count, high-water mark) where `sync_channel` makes one,
  so it was reverted. Batching that bookkeeping per sender is the next attempt.
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

/// `cargo bench` of the benchmark binary; its own flags follow.
pub fn command() -> Command {
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "threadyard", "--bench", "overhead", "--"]);
    cmd
}

/// Runs the benchmarks (all rows, full length) and writes BENCHMARKS.md.
pub fn bench() -> Result<(), String> {
    let table = root().join("target/bench-table.md");
    status("benchmarks", command().arg("--markdown").arg(&table))?;
    let table = std::fs::read_to_string(&table).map_err(|e| format!("reading the table: {e}"))?;
    let doc = format!(
        "# Benchmarks\n\nThe manager's overhead beside raw threads and channels, natively. Each figure sits beside a \
         baseline measured in the same run; the ratio is the result. Written by `cargo xtask bench` \
         (source: `crates/threadyard/benches/overhead.rs`).\n\n## Machine\n\n{}\n## Native\n\n{table}\n{READING}\n\
         ## In the browser\n\nNot measured yet (issue 6 stays open for it): pause and resume latency against a raw \
         SharedArrayBuffer `Atomics.wait`/`notify` round trip between two Web Workers, message throughput against a \
         raw shared channel, and spawn latency on a warm pool against `postMessage` to an idle Web Worker.\n",
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
