//! The browser half of the benchmarks: the manager on Web Workers beside
//! baselines measured in the same run, in headless Chromium.
//!
//! Runs in a dedicated worker, where blocking is allowed. The baselines are
//! the raw primitives the browser offers: `std::thread::park`/`unpark` and
//! `std::sync::mpsc` between two Web Workers compile, on wasm32 with atomics,
//! to `memory.atomic.wait32`/`notify` on the shared memory, that is
//! `Atomics.wait`/`Atomics.notify` on a SharedArrayBuffer; a job handed to an
//! idle pool worker is the pool's own dispatch.
//!
//! The test command runs it in quick mode (it checks that it runs);
//! `cargo xtask bench` builds it with THREADYARD_BENCH=full and reads the
//! table from the runner's output (`-- --nocapture`).

#![cfg(target_arch = "wasm32")]

use std::hint::black_box;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use threadyard::Yard;
use wasm_bindgen_test::*;
use web_time::Instant;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

#[path = "../../threadyard/benches/common/baselines.rs"]
mod baselines;

use baselines::{park_round_trip, percentile, unpark_to_running, us, LONG};

fn pool_spawn(job: Box<dyn FnOnce() + Send>) {
    rayon::spawn(job);
}

fn full() -> bool {
    option_env!("THREADYARD_BENCH") == Some("full")
}

fn row(what: &str, ours: String, baseline: String, ratio: f64, target: &str, met: bool) -> String {
    format!(
        "| {what} | {ours} | {baseline} | {ratio:.2}x | {target} | {} |",
        if met { "yes" } else { "**no**" }
    )
}

/// Pool Web Workers: enough for a receiver and four senders beside the
/// workers the other rows leave running.
async fn pool() {
    wasm_bindgen_futures::JsFuture::from(wasm_bindgen_rayon::init_thread_pool(8))
        .await
        .unwrap();
}

#[wasm_bindgen_test]
async fn browser_benchmarks() {
    pool().await;
    let samples = if full() { 300 } else { 10 };
    let messages: u64 = if full() { 300_000 } else { 3_000 };
    let mut rows = vec![
        "| what (in a dedicated worker, workers on pool Web Workers) | threadyard | baseline (same run) | ratio | target | met |".to_owned(),
        "|---|---|---|---|---|---|".to_owned(),
    ];

    // Pause and resume latency of a worker calling pause points in a tight loop.
    let (mut pause, mut resume) = baselines::pause_and_resume(samples, Duration::from_micros(500));
    let mut rt = park_round_trip(samples, pool_spawn);
    let mut one_way = unpark_to_running(samples, pool_spawn, Duration::from_micros(500));
    let (p50, r50) = (percentile(&mut pause, 0.5), percentile(&mut resume, 0.5));
    let (rt50, ow50) = (percentile(&mut rt, 0.5), percentile(&mut one_way, 0.5));
    let ratio = p50.as_secs_f64() / rt50.as_secs_f64();
    rows.push(row(
        "pause requested → worker reports Paused (p50)",
        us(p50),
        format!(
            "Atomics.wait/notify round trip between two Web Workers: {}",
            us(rt50)
        ),
        ratio,
        "p50 ≤ 3x",
        ratio <= 3.0,
    ));
    let ratio = r50.as_secs_f64() / ow50.as_secs_f64();
    rows.push(row(
        "resume → worker running again (p50)",
        us(r50),
        format!(
            "Atomics.notify → a Web Worker parked mid-loop running again: {}",
            us(ow50)
        ),
        ratio,
        "p50 ≤ 3x",
        ratio <= 3.0,
    ));

    // Stepped mode: a learner's grant until the granted worker runs.
    let mut grant = baselines::grant_to_run(samples, Duration::from_micros(500));
    let g50 = percentile(&mut grant, 0.5);
    let ratio = g50.as_secs_f64() / ow50.as_secs_f64();
    rows.push(row(
        "stepped mode: grant → worker past its scheduling point (p50)",
        us(g50),
        format!(
            "Atomics.notify → a Web Worker parked mid-loop running again: {}",
            us(ow50)
        ),
        ratio,
        "p50 ≤ 3x",
        ratio <= 3.0,
    ));

    let yard = Yard::<u64>::new();
    rows.push(messages_row(&yard, 1, messages));
    rows.push(messages_row(&yard, 4, messages));

    // Spawn + join on a warm pool, against handing a job to an idle pool
    // worker and hearing back.
    let (mut spawn, mut dispatch) = (Vec::new(), Vec::new());
    for i in 0..samples {
        let id = format!("s{i}");
        let t = Instant::now();
        yard.spawn(&id, |_| Ok(())).unwrap();
        yard.join(&id, LONG).unwrap();
        spawn.push(t.elapsed());
        yard.remove(&id).unwrap();
        let (tx, rx) = mpsc::channel();
        let t = Instant::now();
        rayon::spawn(move || tx.send(()).unwrap());
        rx.recv().unwrap();
        dispatch.push(t.elapsed());
    }
    let (s50, d50) = (percentile(&mut spawn, 0.5), percentile(&mut dispatch, 0.5));
    let ratio = s50.as_secs_f64() / d50.as_secs_f64();
    rows.push(row(
        "spawn + start + join on a warm pool (p50)",
        us(s50),
        format!("a job to an idle pool Web Worker and back: {}", us(d50)),
        ratio,
        "(recorded)",
        true,
    ));
    yard.shutdown(LONG);
    for line in &rows {
        console_log!("{line}");
    }
    console_log!(
        "browser benchmarks: {} rows{}",
        rows.len() - 2,
        if full() {
            ""
        } else {
            " (quick mode: figures not meaningful)"
        }
    );
}

/// Messages per second from `senders` senders to one worker, against
/// `sync_channel(64)` with the same senders and a pool Web Worker
/// receiving. One sender is this thread; more are each on a pool Web
/// Worker, started together at a barrier.
///
/// Each receiver, the worker and the channel's, counts its own messages
/// and says when it has them all, and this thread waits for that word in
/// both (a shared counter bumped per message, as this row once had for the
/// worker only, is a locked add the channel's receiver did not make, and a
/// spin here took a core from the threads measured).
///
/// Alternated rounds, the median of each side, as natively: V8 compiles a
/// module's hot functions to optimized code in the background while the
/// first round runs, so a single round measured the tier-up (the first
/// round of fifteen read 0.4 to 1.6 M/s for the mailbox, the rest 5 to
/// 17 M/s).
fn messages_row(yard: &Yard<u64>, senders: u64, messages: u64) -> String {
    let rounds = if full() { 5 } else { 1 };
    let per = messages / senders;
    let total = per * senders;
    let run_senders = |send: Arc<dyn Fn(u64) + Send + Sync>| {
        if senders == 1 {
            (0..total).for_each(|i| send(i));
            return;
        }
        let start = Arc::new(std::sync::Barrier::new(senders as usize + 1));
        for _ in 0..senders {
            let (send, start) = (Arc::clone(&send), Arc::clone(&start));
            rayon::spawn(move || {
                start.wait();
                for i in 0..per {
                    send(i);
                }
            });
        }
        start.wait();
    };
    let (mut ours, mut raw) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let id = format!("rx{senders}-{round}");
        let (done_tx, done) = mpsc::channel();
        yard.spawn(&id, move |w| {
            for _ in 0..total {
                black_box(w.recv()?);
            }
            done_tx.send(()).unwrap();
            Ok(())
        })
        .unwrap();
        let sender = yard.sender(&id).unwrap();
        let t = Instant::now();
        run_senders(Arc::new(move |i| sender.send_timeout(i, LONG).unwrap()));
        done.recv().unwrap();
        let rate = total as f64 / t.elapsed().as_secs_f64();
        yard.join(&id, LONG).unwrap();
        // The worker's own counters say what bounds the row: how often it slept.
        ours.push((rate, yard.worker(&id).unwrap().wakeups));
        yard.remove(&id).unwrap();

        let (tx, rx) = mpsc::sync_channel::<u64>(64);
        let (done_tx, done) = mpsc::channel();
        rayon::spawn(move || {
            for _ in 0..total {
                black_box(rx.recv().unwrap());
            }
            done_tx.send(()).unwrap();
        });
        let t = Instant::now();
        run_senders(Arc::new(move |i| tx.send(i).unwrap()));
        done.recv().unwrap();
        raw.push(total as f64 / t.elapsed().as_secs_f64());
    }
    ours.sort_by(|a, b| a.0.total_cmp(&b.0));
    raw.sort_by(f64::total_cmp);
    let ((rate, woke), raw) = (ours[ours.len() / 2], raw[raw.len() / 2]);
    let ratio = rate / raw;
    let (what, between) = if senders == 1 {
        ("messages/s, 1 sender → 1 worker", "between two Web Workers")
    } else {
        (
            "messages/s, 4 senders → 1 worker",
            "four Web Workers to one",
        )
    };
    row(
        what,
        format!("{:.2} M/s (the worker slept {woke} times)", rate / 1e6),
        format!("`sync_channel(64)` {between}: {:.2} M/s", raw / 1e6),
        ratio,
        "≥ 0.8x",
        ratio >= 0.8,
    )
}
