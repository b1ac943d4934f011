//! A real WebSocket client (tungstenite's) for the server's tests.

#![allow(dead_code, unreachable_pub)]

use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use threadyard::workloads::Workload;
use threadyard::{WorkerState, Yard};
use threadyard_serve::ServeHandle;
use tungstenite::client::IntoClientRequest;
use tungstenite::http::header::ORIGIN;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Message, WebSocket};

/// A generous deadline for anything awaited: never a timing assertion.
pub const LONG: Duration = Duration::from_secs(30);

pub type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

/// A manager with `n` data processors (one item a millisecond), running.
pub fn yard(n: usize) -> Arc<Yard<String>> {
    let yard = Arc::new(Yard::<String>::new());
    for i in 0..n {
        let task = Workload::DataProcessor { item_ms: 1.0 }
            .task::<String>()
            .expect("a workload");
        yard.spawn(&format!("worker_{i}"), task).expect("spawned");
        yard.wait_for_state(&format!("worker_{i}"), LONG, |s| s == WorkerState::Running)
            .expect("running");
    }
    yard
}

/// Opens `url` with an optional `Origin`, as a browser page would.
pub fn open(url: &str, origin: Option<&str>) -> Result<Socket, tungstenite::Error> {
    let mut request = url.into_client_request()?;
    if let Some(origin) = origin {
        request
            .headers_mut()
            .insert(ORIGIN, origin.parse().expect("an origin header"));
    }
    let (socket, _) = tungstenite::connect(request)?;
    if let MaybeTlsStream::Plain(tcp) = socket.get_ref() {
        tcp.set_read_timeout(Some(LONG)).expect("a read deadline");
    }
    Ok(socket)
}

/// Connects to the server's own link, from the app's origin.
pub fn connect(server: &ServeHandle) -> Socket {
    open(server.link(), Some("http://127.0.0.1:8080")).expect("connected")
}

/// The next JSON frame (pings and pongs skipped).
pub fn next(socket: &mut Socket) -> Value {
    loop {
        match socket.read().expect("a frame before the deadline") {
            Message::Text(text) => {
                return serde_json::from_str(&text).expect("the server sends JSON")
            }
            Message::Close(frame) => panic!("closed by the server: {frame:?}"),
            _ => {}
        }
    }
}

/// Reads frames until one for which `want` holds; returns it.
pub fn until(socket: &mut Socket, mut want: impl FnMut(&Value) -> bool) -> Value {
    let deadline = Instant::now() + LONG;
    loop {
        assert!(
            Instant::now() < deadline,
            "no such frame before the deadline"
        );
        let frame = next(socket);
        if want(&frame) {
            return frame;
        }
    }
}

/// The answer to a command (the frames in between skipped).
pub fn ask(socket: &mut Socket, command: Value) -> Value {
    let id = command["id"].clone();
    assert!(!id.is_null(), "give the command an id");
    socket
        .send(Message::text(command.to_string()))
        .expect("sent");
    until(socket, |f| {
        (f["type"] == "ok" || f["type"] == "error") && f["id"] == id
    })
}

/// The refusal of a handshake: its HTTP status and JSON body.
pub fn refused(result: Result<Socket, tungstenite::Error>) -> (u16, Value) {
    match result {
        Err(tungstenite::Error::Http(response)) => {
            let body = response
                .body()
                .as_ref()
                .map(|b| serde_json::from_slice(b).expect("a JSON body"))
                .expect("a body that names the problem");
            (response.status().as_u16(), body)
        }
        Err(other) => panic!("refused without an HTTP answer: {other}"),
        Ok(_) => panic!("the connection was accepted"),
    }
}

/// What a command must not have changed: every worker's state, and the
/// events in the log. A worker's Started event is left out: its thread
/// logs it as it begins, which can be just after its state reads Running
/// (when the fixture stops waiting), and no command makes one.
pub fn fingerprint(yard: &Yard<String>) -> (Vec<(String, WorkerState)>, usize) {
    let states = yard
        .snapshot()
        .workers
        .iter()
        .map(|w| (w.id.to_string(), w.state))
        .collect();
    let events = yard
        .events_since(0)
        .events
        .iter()
        .filter(|e| e.kind != threadyard::EventKind::Started)
        .count();
    (states, events)
}
