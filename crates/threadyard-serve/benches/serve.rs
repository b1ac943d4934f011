//! The attach server's cost, each figure beside a baseline from the same
//! run: workers' throughput with a stalled client and a reading one
//! attached (10 snapshots a second of 1,000 workers) against no server at
//! all, and a command's round trip over loopback against a bare
//! WebSocket echo.
//!
//! `cargo bench -p threadyard-serve --bench serve -- [--quick] [--markdown FILE]`
//! (`cargo xtask bench` runs it and adds its table to BENCHMARKS.md).

use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use threadyard::workloads::Workload;
use threadyard::Yard;
use threadyard_serve::{serve, ServeOptions};
use tungstenite::client::IntoClientRequest;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

const LONG: Duration = Duration::from_secs(120);

struct Row {
    what: String,
    figure: String,
    baseline: String,
    ratio: f64,
    target: &'static str,
    met: bool,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn connect(link: &str) -> Socket {
    let mut request = link.into_client_request().expect("a request");
    request
        .headers_mut()
        .insert("Origin", "http://127.0.0.1:8080".parse().unwrap());
    let (socket, _) = tungstenite::connect(request).expect("connected");
    if let MaybeTlsStream::Plain(tcp) = socket.get_ref() {
        tcp.set_read_timeout(Some(LONG)).unwrap();
    }
    socket
}

/// 1,000 data processors (the seed's worker, an item every 10 ms), counted.
/// Not CPU-bound spinners: on 2 cores, 1,000 of those leave any other
/// thread (the server's, the measuring one) a thousandth of a core, which
/// measures the scheduler, not the server.
fn busy_yard(workers: usize) -> Arc<Yard<String>> {
    let yard = Arc::new(Yard::<String>::new());
    for i in 0..workers {
        let task = Workload::DataProcessor { item_ms: 10.0 }
            .task::<String>()
            .expect("a workload");
        yard.spawn(&format!("w{i}"), task).expect("spawned");
    }
    yard
}

fn total_tasks(yard: &Yard<String>) -> u64 {
    yard.snapshot()
        .workers
        .iter()
        .map(|w| w.tasks_completed)
        .sum()
}

/// Tasks per second over `window`.
fn rate(yard: &Yard<String>, window: Duration) -> f64 {
    let before = total_tasks(yard);
    let t = Instant::now();
    thread::sleep(window);
    let after = total_tasks(yard);
    (after - before) as f64 / t.elapsed().as_secs_f64()
}

/// Workers' throughput with no server, then with a stalled client and a
/// reading one, alternately; and the reading client's snapshots a second.
fn stalled_client(workers: usize, window: Duration, rounds: usize) -> Vec<Row> {
    let yard = busy_yard(workers);
    let mut bare = Vec::new();
    let mut served = Vec::new();
    let mut snapshot_rates = Vec::new();
    let mut skipped_told = 0_u64;
    thread::sleep(window); // every worker under way
    for _ in 0..rounds {
        bare.push(rate(&yard, window));
        let server = serve(
            &yard,
            ServeOptions::new()
                .snapshot_interval(Duration::from_millis(100))
                .queue_frames(4),
        )
        .expect("serving");
        let mut stalled = connect(server.link());
        let reading = Arc::new(AtomicU64::new(0));
        let done = Arc::new(AtomicBool::new(false));
        let reader = {
            let link = server.link().to_owned();
            let reading = Arc::clone(&reading);
            let done = Arc::clone(&done);
            thread::spawn(move || {
                let mut socket = connect(&link);
                while !done.load(Ordering::Relaxed) {
                    match socket.read() {
                        Ok(Message::Text(t)) if t.starts_with(r#"{"type":"snapshot""#) => {
                            reading.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(_) => {}
                        Err(_) => return,
                    }
                }
            })
        };
        // Let the stalled client's socket and queue fill first.
        thread::sleep(Duration::from_secs(2));
        let got_before = reading.load(Ordering::Relaxed);
        let t = Instant::now();
        served.push(rate(&yard, window));
        let got = reading.load(Ordering::Relaxed) - got_before;
        snapshot_rates.push(got as f64 / t.elapsed().as_secs_f64());
        done.store(true, Ordering::Relaxed);
        // The stalled client, reading at last, is told what it missed (in
        // one of the frames its socket buffered; read at most that many).
        for _ in 0..100 {
            match stalled.read() {
                Ok(Message::Text(t)) => {
                    let n: u64 = t
                        .strip_prefix(r#"{"type":"snapshot","skipped":"#)
                        .and_then(|rest| rest.split(',').next())
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0);
                    if n > 0 {
                        skipped_told = skipped_told.max(n);
                        break;
                    }
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        drop(stalled);
        drop(server);
        let _ = reader.join();
    }
    yard.begin_shutdown();
    let (bare, served, snaps) = (median(bare), median(served), median(snapshot_rates));
    let ratio = served / bare;
    vec![
        Row {
            what: format!("workers' throughput, {workers} data processors (an item every 10 ms), a stalled client and a reading one attached (10 snapshots/s)"),
            figure: format!("{:.0} tasks/s", served),
            baseline: format!("{:.0} tasks/s, no server", bare),
            ratio,
            target: "≥ 0.95x (drop < 5%)",
            met: ratio >= 0.95,
        },
        Row {
            what: format!("the reading client's snapshots a second, beside the stalled one (told, when it read at last, that it had missed {skipped_told})"),
            figure: format!("{snaps:.1}/s"),
            baseline: "10/s asked".to_owned(),
            ratio: snaps / 10.0,
            target: "≥ 0.9x",
            met: snaps >= 9.0,
        },
    ]
}

/// A command's round trip (pause then resume of a running worker, each
/// answered) against a bare tungstenite echo over loopback.
fn round_trip(samples: usize) -> Row {
    let yard = Arc::new(Yard::<String>::new());
    yard.spawn("w", |w| loop {
        w.pause_point()?;
        thread::sleep(Duration::from_micros(200));
    })
    .expect("spawned");
    let server = serve(
        &yard,
        ServeOptions::new()
            .allow_commands(true)
            .max_commands_per_second(1_000_000)
            .snapshot_interval(Duration::from_secs(60)),
    )
    .expect("serving");
    let mut client = connect(server.link());
    let mut ours = Vec::new();
    for i in 0..samples {
        let cmd = if i % 2 == 0 { "pause" } else { "resume" };
        let text = format!(r#"{{"id":{i},"cmd":"{cmd}","worker":"w"}}"#);
        let t = Instant::now();
        client.send(Message::text(text)).unwrap();
        loop {
            if let Message::Text(t) = client.read().unwrap() {
                if t.starts_with(r#"{"cmd""#)
                    || t.contains(r#""type":"ok""#)
                    || t.contains(r#""type":"error""#)
                {
                    assert!(t.contains(r#""type":"ok""#), "{t}");
                    break;
                }
            }
        }
        ours.push(t.elapsed().as_secs_f64() * 1e6);
    }
    // The baseline: the same frames echoed by a bare tungstenite server.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let echo = thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        stream.set_nodelay(true).unwrap();
        let mut ws = tungstenite::accept(stream).unwrap();
        while let Ok(message) = ws.read() {
            if message.is_text() && ws.send(message).is_err() {
                return;
            }
        }
    });
    let (mut raw, _) = tungstenite::connect(format!("ws://{addr}/")).unwrap();
    if let MaybeTlsStream::Plain(tcp) = raw.get_ref() {
        tcp.set_nodelay(true).unwrap();
    }
    let mut base = Vec::new();
    for i in 0..samples {
        let text = format!(r#"{{"id":{i},"cmd":"pause","worker":"w"}}"#);
        let t = Instant::now();
        raw.send(Message::text(text)).unwrap();
        while !raw.read().unwrap().is_text() {}
        base.push(t.elapsed().as_secs_f64() * 1e6);
    }
    drop(raw);
    let _ = echo.join();
    let (ours, base) = (median(ours), median(base));
    Row {
        what: "command round trip over loopback (pause or resume, answered ok), p50".to_owned(),
        figure: format!("{ours:.0} µs"),
        baseline: format!("{base:.0} µs, bare WebSocket echo"),
        ratio: ours / base,
        target: "≤ 3x",
        met: ours / base <= 3.0,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|a| a == "--quick");
    let markdown = args
        .iter()
        .position(|a| a == "--markdown")
        .and_then(|i| args.get(i + 1))
        .cloned();
    let (workers, window, rounds, samples) = if quick {
        (50, Duration::from_millis(300), 1, 20)
    } else {
        (1_000, Duration::from_secs(3), 3, 400)
    };
    eprintln!("bench: command round trip…");
    let mut rows = vec![round_trip(samples)];
    eprintln!("bench: a stalled client beside {workers} workers…");
    rows.extend(stalled_client(workers, window, rounds));
    let mut table = String::from(
        "| what | threadyard | baseline (same run) | ratio | target | met |\n|---|---|---|---|---|---|\n",
    );
    for r in &rows {
        table.push_str(&format!(
            "| {} | {} | {} | {:.2}x | {} | {} |\n",
            r.what,
            r.figure,
            r.baseline,
            r.ratio,
            r.target,
            if r.met { "yes" } else { "**no**" }
        ));
    }
    println!("{table}");
    if let Some(path) = markdown {
        std::fs::write(&path, &table).unwrap_or_else(|e| panic!("writing {path}: {e}"));
    }
    println!(
        "server benchmarks: {} rows{}",
        rows.len(),
        if quick {
            " (quick mode: figures not meaningful)"
        } else {
            ""
        }
    );
}
