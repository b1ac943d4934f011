//! `cargo xtask bench`: runs the benchmarks and writes BENCHMARKS.md.

use std::process::Command;

use crate::run::{cargo, root, status, threads_cargo};
use crate::{install, NIGHTLY, WASM};

const READING: &str = "\
## Reading

Natively, the message rows pin the receiver to one core and every sender to another, for the mailbox and the channel alike (`core_affinity`): unpinned, one binary read 0.34x in one run and 1.41x in the next on this idle machine, depending on whether the scheduler put the two sides on one core or two. Pinned, the ratio is what each side does per message. It still moves between runs, because this virtual machine's two cores are not always equally far apart: the channel alone read 5 M/s one to one in some runs and 17 M/s in others, minutes apart, with nothing else running. Which CPU the figures came from matters for the message rows: see their lines in the reading.

- **`pause_point()` with no pause requested** is one load of the state byte, a compare
  and a branch: in the disassembly of the loop, `movzbl 0x171(%r15)`, `cmp`, `jne`. It
  sat at 1.3x to 2x until three things were found there. The worker's context was a
  handle holding a pointer to the worker's record, so each call loaded that pointer
  first; the context is now the record itself (the task gets a reference to it), so the
  state byte is at a fixed offset from the reference. The baseline's atomic was a local
  that never escaped, and the compiler had folded its load to a constant: its loop had no
  load at all; it now goes through `black_box`. And the bench wrapped the pause point's
  result in `black_box` before `?`, a store and a reload that a task's `w.pause_point()?`
  does not make. Each pass is under a nanosecond, so the row takes the fastest of seven
  passes of each loop. (It was 12x before all that: the state byte was converted to an
  enum and a `Result` built on every call.) The native rows are built with LLVM's
  mitigation for Intel's jump-alignment erratum: without it this loop read 2.0x after an
  unrelated change moved it so that its closing jump crossed a 32-byte boundary, which on
  this Xeon takes the loop out of the micro-op cache; with it, 1.0x from the same source.
- **Pause** is acknowledged at the next pause point and the requester is woken once:
  faster than a park/unpark round trip, which takes two wakeups.
- **Resume** is one condition-variable wakeup. Against the first baseline (a thread
  parked right after being woken) it missed, at 3 to 5x. A probe split it: the manager's
  own work in `resume()` is 0.1 µs (a refused resume, which does all of it but the
  wakeup, takes that long); the rest is the wakeup. `perf sched timehist` then showed why
  the baseline was faster: a thread that parks right after being woken sleeps on the
  waker's own core and its wakeup is a same-core hand-off (it ran 3 µs after the wake),
  while a worker paused mid-loop sleeps on the other, idle, core, and waking an idle core
  of this virtual machine takes 14 to 20 µs of scheduling delay. A raw `park`/`unpark`
  thread with the worker's history (running a loop, told to park, unparked) measured
  12 to 21 µs against the manager's 21 to 22 µs. The baseline is now that thread, so the
  row compares like with like. Also done on the way: the worker is woken before change
  waiters are notified, and the change signal skips its syscall when nobody waits.
- **The message rows (issue 14).** The mailbox was a mutex-guarded `VecDeque` with a spin
  before sleeping: on an Intel Xeon of this size 0.38x to 0.42x of `sync_channel` one to
  one, 0.15x to 0.22x four to one (and 2.8x to 5.6x one to one on an AMD EPYC, where the
  scheduler placed the two threads kindly). It is now crossbeam's `ArrayQueue`, the
  algorithm of `sync_channel`'s array flavour, and neither side takes a lock per message:
  a send is the queue's compare-exchange on its tail and two loads from a line written
  only when someone sleeps or the mailbox closes; a take is the queue's compare-exchange
  on its head, a load of the state byte and a plain store to a counter on the receiving
  side's own line. A receiver about to sleep and a sender about to wait for room each
  register with a `SeqCst` read-modify-write and look at the queue once more; the
  queue's own `SeqCst` compare-exchanges order the other side, so a send has no fence of
  its own. Senders waiting for room are parked on their own threads and unparked one per
  freed place (with a condition variable they woke into the lock the receiver and the
  other senders used, a convoy when senders outnumber cores).
- **What `perf` found on the way** (pinned, so the same threads meet the same cores each
  run): the receive path spent two thirds of its time on its locked counter add, which
  waits for the take's own store to the queue's slot line (shared with the senders) to
  drain: the worker's own thread now counts with a plain store. A sender retrying on a
  full mailbox read the high-water mark on the receiving side's line, so every take
  missed: a full mailbox is now a flag on the senders' line. Together: one to one from
  3.4 to 3.8 M/s to 12 to 16 M/s in the same runs as the channel's 4.8 to 11.7 M/s.
- **Why the rows had missed, and what changed (stop 22).** Counting, per run, how many sends
  found the mailbox full showed the mailbox bistable. Once the receiver fell behind, the
  mailbox stayed full: each waiting sender went back to the queue as soon as one place freed,
  so it read the queue's head between every two takes and every take's compare-exchange waited
  for that line to come back (9 to 15% of sends found it full; 4 to 11 M/s one to one, and a
  plain `ArrayQueue` with the same threads did 30 M/s). A sender now backs off until the
  mailbox is half empty, then sends if it has any room at all (so no free place keeps it
  waiting longer than its back-off, and a sender asleep is still woken by the first take):
  under 1% of sends find it full. A receive that finds a message takes it without marking the
  worker as waiting. Alternated, old and new binaries in the same minutes (`examples` built
  from the bench's own loops, 5 rounds each, receiver-timed): one to one 6.2 to 9.5 M/s before,
  19.8 to 29.7 after; four to one 4.2 to 5.2 before, 18.5 to 21.8 after; sixteen to one 4.6
  to 4.9 before, 18.1 to 20.6 after, against the channel's 5 to 8 M/s one to one and 14 to
  20 M/s four and sixteen to one in the same runs. The
  spread between runs shrank with it (one to one, 17.2 to 19.3 M/s over 11 rounds, from 3.5
  to 11.2).
- **What the rows measure.** The receiver times its own run, from the start barrier to its
  last message, for the mailbox and the channel alike: the bench's own thread is not pinned,
  and with seventeen threads on two cores its clock read after the barrier could come late by
  any amount (one sixteen-sender run of a plain queue read 7,500 M/s that way).
- **Shutdown of 1,000 workers** stops and closes each in one pass, wakes only workers that
  wait, and tracks only the ones still pending (it took 271 ms before). The extra row has
  a third of them busy-spinning on two cores. Their spinning now starts once all 1,000 are
  set up: spinning from their first moment, they starved the threads still being created
  (setup took up to 98 s, and one new thread went 24 s without running, so a run of
  `cargo xtask bench` failed waiting for its pause; that is the kernel's scheduler under
  333 CPU-bound threads, not the manager, whose shutdown row then read 200 to 230 ms).
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
- Pause meets its target. Resume is compared, as natively, with a Web Worker parked mid-loop
  (the worker's own history); against one parked right after a wake it sat at 3x to 4x, for
  the same reason as natively: where the sleeper sleeps, not the manager's work.
- The message rows are an optimized build, as the app ships (a debug build compared the two
  queues' code at `-O0`: the mailbox's layers, each a call there, against the channel's one
  function). Each alternates five rounds of the mailbox and the channel and shows the median of
  each: V8 compiles hot functions to optimized code in the background while the first round
  runs, and a single round measured that (the first of fifteen rounds read 0.4 to 1.6 M/s for
  the mailbox, the rest 5 to 17 M/s). Both receivers count their own messages and say when they
  have them all, and the measuring thread waits for that word in both: the mailbox's row used
  to bump a shared counter per message, a locked add the channel's receiver did not make, and
  to wait for it by spinning, taking a core from the threads measured.
- With that, and the sender's wait for half the room (see the native reading), one to one read
  1.76x to 2.50x over three runs and four to one 1.72x to 4.06x. The change alone, alternated
  with the build before it with both receivers already signalling their end the same way (one
  round each): one to one 0.50x, 0.55x and 0.75x before, 0.85x, 0.97x and 1.02x after. Spacing the receiver's looks out in the browser as the
  native back-off does (1, 2, 4 … 64 empty turns apart) measured no different (1.7x to 3.0x
  either way over 15 rounds), so the browser keeps its plain count of 2,048 turns.
- Like the native suite, the browser suite runs three times and each row shows the run with
  the median ratio: its baselines are bimodal (a round trip between two Web Workers took
  5 µs in one run, when both sides shared a core, and 40 to 60 µs in others).
- The spawn baseline is a job handed to an idle pool Web Worker and back, the pool's own dispatch,
  not a `postMessage` to a fresh Web Worker: the manager spawns onto the pool, never a new Worker.
  Recorded, without a target.
";

const MAIN_THREAD_READING: &str = "
- Every call returns well within a frame, full log or not, busy workers or not. The worst is a page of
  `events` (1,000 events, handed over as JSON text parsed by the engine). Handed over a value at a time
  across the boundary, the same page took a median of 533 ms with the workers busy; unpaged, the whole
  log took 5.5 s (the figure in issue 17).
- `trace()`'s turns sit at the event loop's own floor: compare its row with the floor's in the same
  conditions. On a shared 2-core machine the floor itself can pass a frame. With 64 cpu-bound workers
  spinning on 2 cores the page's main thread gets about 1/33 of a core and the event loop alone waits
  hundreds of milliseconds between turns, and so does `trace()`: there nothing on the page gets a turn
  within a frame; those rows measure the operating system's scheduler, not the API.
";

const APP_INTRO: &str = "\
The app itself (`web/`), release build, in headless Chromium on this machine, measured by the frame
probe (`tests/e2e/frames.mjs`): fresh pages of the same build in one run, each with a pool of 64 Web
Workers, the timeline live; frame times from `requestAnimationFrame` over 10 s; each p95 against the
page with no workers, measured in the same run. Module sizes are of the files served.
";

/// The app's figures: a release build, then the frame probe; returns its
/// tables.
fn app() -> Result<String, String> {
    crate::web::build(&["--release".to_owned()])?;
    install::chromium()?;
    let table = root().join("target/app-bench.md");
    println!("==> the app: frame times with 0, 8 and 64 workers, sizes, start-up (about a minute)");
    status(
        "frame probe",
        Command::new("node")
            .arg("frames.mjs")
            .arg(root().join("dist"))
            .arg("--markdown")
            .arg(&table)
            .arg("--trace")
            .arg(root().join("target/app-64-workers.trace.json"))
            .current_dir(root().join("tests/e2e")),
    )?;
    std::fs::read_to_string(&table).map_err(|e| format!("reading the app's table: {e}"))
}

const APP_READING: &str = "
- **No workers and 8 workers** keep the page at 60 frames a second: with 8 data processors at
  full speed the p95 equals the no-worker page's.
- **64 workers meet the target when the machine is otherwise quiet, and miss it when other
  builds load it**: 1.0x in two of three runs here (load average about 3), 6x in the third;
  2x to 5x in all three runs of an earlier set with the load average at 40 to 70. The p50
  stays at 16.7 ms throughout. What bounds the bad runs is the page's main thread getting a
  core, not the work it does. The Chromium trace of the third run's 64-worker page
  (`frames.mjs --trace`, the last run's) shows the main thread inside tasks for 7.3 s of
  10.8 s but on a CPU for 1.4 s of them: runnable and waiting for a core most of the time,
  while 64 Web Workers each wake a thousand times a second (an item every 1 ms) on 2 cores.
  Its own work over those 10.8 s, in CPU time: paint 391 ms, layout 343 ms, the refresh
  and Yew's rendering 308 ms (a JavaScript profile puts most of that in updating the
  table's text nodes and decoding strings from the module): about 13% of one core. The
  control row, a blank page measured beside the 64-worker page in the same run, holds 60
  frames a second: a thread that sleeps between short frames is scheduled at once, one
  with work to finish is preempted by the workers' wakeups.
- What keeps the page's share small: a refresh renders again only what it changed (a row
  whose shown figures changed, a lane whose segments or marks changed, the timeline's
  scroll as one transform; the forms, the narration and the reading pages not at all, as
  the e2e test `a refresh re-renders only what changed` checks by counting renders); past
  16 workers the page refreshes four times a second instead of ten (64 rows of figures are
  not read ten times a second); off-screen panels and rows skip layout and paint
  (`content-visibility: auto`). Before those, the same probe read p50 83 ms and p95 350 ms
  with 64 workers (21x, under load). What would go further: drawing only the table rows in
  view, and fewer wakeups per worker at full speed (the workload's pacing, in the core).
- **Sizes**: both modules go through binaryen's wasm-opt 132 (from npm, pinned in
  `tests/e2e`): the UI module at `-Oz` by Trunk (1,063 KiB before, 733 KiB after), the
  threads module at `-O3` by `cargo xtask build-threads --release` (797 KiB before, 486 KiB
  after). The optimized build passes every e2e test.
- **Start-up** is mostly the pool: 64 Web Workers each load and instantiate the threads
  module before the page is ready; the first worker then runs within a refresh or two.
";

/// Times the browser suite runs; each row shows its median-ratio run.
const BROWSER_RUNS: usize = 3;

/// The browser benchmarks, run in full mode `BROWSER_RUNS` times; returns
/// their table, each row from the run with that row's median ratio.
fn browser() -> Result<String, String> {
    install::nightly(NIGHTLY, &["rust-src"])?;
    install::wasm_bindgen_cli()?;
    let chromedriver = install::chromium()?;
    let mut runs = Vec::new();
    for run in 1..=BROWSER_RUNS {
        println!("==> browser benchmarks, run {run} of {BROWSER_RUNS} (about 20 s each)");
        runs.push(browser_run(&chromedriver, "bench")?);
    }
    println!("==> the main-thread benchmark: a full event log, 64 busy workers (about a minute)");
    let main_thread = browser_run(&chromedriver, "main_bench")?;
    let (header, rows) = runs[0].split_at(2.min(runs[0].len()));
    let mut table: Vec<String> = header.to_vec();
    for i in 0..rows.len() {
        let mut same: Vec<&String> = runs.iter().filter_map(|run| run.get(i + 2)).collect();
        same.sort_by(|a, b| ratio(a).total_cmp(&ratio(b)));
        table.push(same[same.len() / 2].clone());
    }
    Ok(format!(
        "{}\n\n{MAIN_THREAD_INTRO}\n{}\n{MAIN_THREAD_READING}\n### Reading\n",
        table.join("\n"),
        main_thread.join("\n")
    ))
}

const MAIN_THREAD_INTRO: &str = "\
### On the page's main thread

The JavaScript API's calls made on the page's main thread, as the app makes them, with the event log
full (1,048,576 events), first with the workers idle (what the calls themselves cost), then with 64
cpu-bound workers busy on the pool's Web Workers, against one frame at 60 Hz. Each kind of call is timed
21 times and its median kept; a row names the kind with the worst median. `trace()` builds its file in
turns of the event loop of at most 2 ms each; its rows are the longest gap between two turns while it
builds (a timer's own delay, about 4 ms, included), beside the floor: the longest gap between turns of
the event loop with nothing to do, in the same conditions. Built optimized, as the app ships. Source:
`crates/threadyard-web/tests/main_bench.rs`.
";

/// The ratio cell (the fourth) of a table row: "2.95x" is 2.95; none is 0.
fn ratio(row: &str) -> f64 {
    row.split('|')
        .nth(4)
        .and_then(|cell| cell.trim().trim_end_matches('x').parse().ok())
        .unwrap_or(0.0)
}

/// One run of a browser benchmark (`test`, a test target of threadyard-web):
/// its table's lines, header first.
fn browser_run(chromedriver: &std::path::Path, test: &str) -> Result<Vec<String>, String> {
    // Optimized, as the app ships and as the native rows are: the message
    // rows of a debug build compared the two queues' code at `-O0` (the
    // mailbox's layers, each a call there, against the channel's one
    // function), not what either does per message.
    let out = threads_cargo("test")
        .arg("--release")
        .args([
            "--target",
            WASM,
            "-p",
            "threadyard-web",
            "--test",
            test,
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
    let table: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with('|'))
        .map(str::to_owned)
        .collect();
    if table.is_empty() {
        return Err(format!("the browser benchmarks printed no table:\n{text}"));
    }
    Ok(table)
}

/// `cargo bench` of the benchmark binary; its own flags follow.
pub fn command() -> Command {
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "threadyard", "--bench", "overhead", "--"]);
    cmd
}

/// The benchmark binary for the figures in BENCHMARKS.md: on x86-64, built
/// with LLVM's mitigation for Intel's jump-alignment erratum (jumps placed
/// so none crosses or ends on a 32-byte boundary), in a target directory of
/// its own so the usual builds keep their cache. Skylake-derived cores
/// decode a 32-byte chunk holding such a jump without their micro-op cache,
/// so a loop of a few instructions ran at half speed or full speed
/// depending on where the linker happened to put it: the pause point's
/// loop read 2.0x of its baseline after an unrelated change moved it across
/// a boundary, and 1.0x with the mitigation, from the same source. Both
/// sides of every row get the same code placement rules.
fn full_command() -> Command {
    let mut cmd = command();
    if cfg!(target_arch = "x86_64") {
        cmd.env(
            "CARGO_ENCODED_RUSTFLAGS",
            "-Cllvm-args=-x86-branches-within-32B-boundaries",
        )
        .env("CARGO_TARGET_DIR", root().join("target/bench-aligned"));
    }
    cmd
}

/// `cargo bench` of the attach server's benchmark; its own flags follow.
pub fn serve_command() -> Command {
    let mut cmd = cargo();
    cmd.args(["bench", "-p", "threadyard-serve", "--bench", "serve", "--"]);
    cmd
}

const SERVE_INTRO: &str = "\
The attach server (`crates/threadyard-serve`), natively, release build. A stalled client (connected,
never reading) and a reading one are attached to 1,000 busy workers at 10 snapshots a second; the
workers' throughput is compared with the same workers and no server, alternately in the same run
(three rounds of 3 s, medians). The round trip is a command (pause or resume, answered ok) against a
bare tungstenite echo of the same frame over loopback, 400 samples. Source:
`crates/threadyard-serve/benches/serve.rs`.
";

/// The app's section of BENCHMARKS.md.
fn app_section() -> Result<String, String> {
    Ok(format!(
        "## The app\n\n{APP_INTRO}\n{}\n{APP_READING}",
        app()?
    ))
}

/// `cargo xtask bench --app`: measures only the app and replaces its
/// section of BENCHMARKS.md, leaving the other rows as they were.
fn bench_app() -> Result<(), String> {
    let path = root().join("BENCHMARKS.md");
    let doc = std::fs::read_to_string(&path).map_err(|e| format!("reading BENCHMARKS.md: {e}"))?;
    let kept = doc
        .split("\n## The app\n")
        .next()
        .unwrap_or(&doc)
        .trim_end();
    let doc = format!("{kept}\n\n{}", app_section()?);
    std::fs::write(&path, doc).map_err(|e| format!("writing BENCHMARKS.md: {e}"))?;
    println!("==> wrote the app's section of BENCHMARKS.md");
    Ok(())
}

/// Runs the benchmarks, native and browser (all rows, full length), and
/// writes BENCHMARKS.md; with `--app`, only the app's.
pub fn bench(args: &[String]) -> Result<(), String> {
    match args {
        [] => {}
        [flag] if flag == "--app" => return bench_app(),
        _ => {
            return Err(format!(
                "unknown arguments {args:?}: `cargo xtask bench [--app]`"
            ))
        }
    }
    let table = root().join("target/bench-table.md");
    status("benchmarks", full_command().arg("--markdown").arg(&table))?;
    let table = std::fs::read_to_string(&table).map_err(|e| format!("reading the table: {e}"))?;
    let serve_table = root().join("target/bench-serve-table.md");
    status(
        "server benchmarks",
        serve_command().arg("--markdown").arg(&serve_table),
    )?;
    let serve_table = std::fs::read_to_string(&serve_table)
        .map_err(|e| format!("reading the server's table: {e}"))?;
    let browser = browser()?;
    let app = app_section()?;
    let doc = format!(
        "# Benchmarks\n\nThe manager's overhead beside raw threads and channels, natively and in the browser. Each \
         figure sits beside a \
         baseline measured in the same run; the ratio is the result. Written by `cargo xtask bench` \
         (source: `crates/threadyard/benches/overhead.rs`).\n\n## Machine\n\n{}\n## Native\n\n{table}\n{READING}\n\
         ### The attach server\n\n{SERVE_INTRO}\n{serve_table}\n\
         ## In the browser\n\n{BROWSER_INTRO}\n{browser}\n{BROWSER_READING}\n{app}",
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
