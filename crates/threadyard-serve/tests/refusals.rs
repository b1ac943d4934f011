//! Every refusal, over a real WebSocket: each answered with its named
//! error, and the manager unchanged.

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::*;
use serde_json::json;
use threadyard_serve::{serve, ServeError, ServeOptions};
use tungstenite::client::IntoClientRequest;
use tungstenite::http::header::ORIGIN;
use tungstenite::Message;

#[test]
fn a_handshake_without_the_token_with_a_wrong_one_or_from_a_foreign_origin_is_refused() {
    let yard = yard(1);
    let server = serve(&yard, ServeOptions::new()).expect("serving");
    let before = fingerprint(&yard);
    let base = format!("ws://{}/", server.addr());

    let (status, body) = refused(open(&base, None));
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("missing-token"))
    );
    let wrong = format!("{base}?token={}", "0".repeat(40));
    let (status, body) = refused(open(&wrong, None));
    assert_eq!((status, body["error"].as_str()), (401, Some("bad-token")));
    assert!(body["message"].as_str().unwrap().contains("copy the link"));
    let short = format!("{base}?token=abc");
    assert_eq!(refused(open(&short, None)).1["error"], "bad-token");
    let (status, body) = refused(open(server.link(), Some("https://evil.example")));
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("foreign-origin"))
    );
    let bad_from = format!("{}&from=minus-one", server.link());
    assert_eq!(refused(open(&bad_from, None)).1["error"], "bad-request");

    // The app's own origins, and a client that is no browser, get in.
    for origin in [
        Some("http://127.0.0.1:8080"),
        Some("http://localhost:8080"),
        None,
    ] {
        let mut ok = open(server.link(), origin).expect("admitted");
        assert_eq!(next(&mut ok)["type"], "hello");
    }
    // An origin the program allowed gets in too.
    let other = serve(
        &yard,
        ServeOptions::new().allow_origin("http://127.0.0.1:9999"),
    )
    .expect("serving");
    let mut ok = open(other.link(), Some("http://127.0.0.1:9999")).expect("admitted");
    assert_eq!(next(&mut ok)["type"], "hello");
    assert_eq!(fingerprint(&yard), before, "the manager is unchanged");
}

/// The Origin is checked before the token: a page on a foreign site is
/// told `foreign-origin` whatever its link holds (none, a wrong token, even
/// the right one), and none of that is a guess at the token, nor is a link
/// with no token: however many come, the app still gets in at once.
#[test]
fn a_foreign_page_gets_foreign_origin_whatever_its_token_and_is_no_failed_authentication() {
    let yard = yard(1);
    let server = serve(
        &yard,
        ServeOptions::new().max_failed_auth(3, Duration::from_secs(600)),
    )
    .expect("serving");
    let before = fingerprint(&yard);
    let base = format!("ws://{}/", server.addr());
    let wrong = format!("{base}?token={}", "0".repeat(40));
    for url in [base.as_str(), wrong.as_str(), server.link()] {
        for origin in [
            "https://evil.example",
            "null",
            "http://127.0.0.1:8080.evil.example",
        ] {
            let (status, body) = refused(open(url, Some(origin)));
            assert_eq!(
                (status, body["error"].as_str()),
                (403, Some("foreign-origin")),
                "{url} from {origin}"
            );
        }
    }
    // Two Origin headers, one allowed: no page sends that; refused too.
    let mut twice = server.link().into_client_request().expect("a request");
    twice
        .headers_mut()
        .append(ORIGIN, "http://127.0.0.1:8080".parse().expect("an origin"));
    twice
        .headers_mut()
        .append(ORIGIN, "https://evil.example".parse().expect("an origin"));
    let (status, body) = refused(tungstenite::connect(twice).map(|(s, _)| s));
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("foreign-origin"))
    );
    // No token at all is no guess either.
    for _ in 0..5 {
        assert_eq!(refused(open(&base, None)).1["error"], "missing-token");
    }
    let mut app = open(server.link(), Some("http://127.0.0.1:8080")).expect("admitted");
    assert_eq!(next(&mut app)["type"], "hello");
    assert_eq!(fingerprint(&yard), before, "the manager is unchanged");
}

/// Sends a request that never ends (one header whose value goes on), a
/// chunk every 150 ms, until the server closes the connection; panics if
/// it has not by the deadline. The chunks are 160 bytes: tungstenite's own
/// check closes a handshake read in pieces of less than 128 bytes on
/// average, or past 64 KiB (more than a minute at this pace), and the
/// per-read wait never runs out at it, so only a deadline on the whole
/// handshake closes it.
fn trickle(addr: std::net::SocketAddr, path: String) {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(addr).expect("connected");
    tcp.set_read_timeout(Some(Duration::from_millis(150)))
        .expect("the trickle's pace");
    let start = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: ");
    if tcp.write_all(start.as_bytes()).is_err() {
        return;
    }
    let deadline = std::time::Instant::now() + LONG;
    let mut buf = [0_u8; 512];
    loop {
        assert!(
            std::time::Instant::now() < deadline,
            "a trickling handshake was not closed before the deadline"
        );
        match tcp.read(&mut buf) {
            Ok(_) => return,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return,
        }
        if tcp.write_all(&[b'a'; 160]).is_err() {
            return;
        }
    }
}

/// The handshake's deadline is on the whole handshake, from accept, not on
/// each read: connections that trickle their requests (as many as the
/// server even answers, twice its limit) are closed at it, and a real
/// client gets in after. A deadline per read let them hold every slot for
/// as long as they trickled, and the app got 503 too-many-connections.
#[test]
fn trickling_handshakes_are_closed_at_the_deadline_and_a_real_client_gets_in_after() {
    let yard = yard(0);
    let server = serve(
        &yard,
        ServeOptions::new()
            .max_connections(2)
            .handshake_deadline(Duration::from_millis(500)),
    )
    .expect("serving");
    let path = server
        .link()
        .split_once(&server.addr().to_string())
        .map(|(_, path)| path.to_owned())
        .expect("a path in the link");
    let tricklers: Vec<_> = (0..4)
        .map(|_| {
            let (addr, path) = (server.addr(), path.clone());
            std::thread::spawn(move || trickle(addr, path))
        })
        .collect();
    for trickler in tricklers {
        trickler
            .join()
            .expect("closed by the server before the deadline");
    }
    let mut app = open(server.link(), Some("http://127.0.0.1:8080")).expect("admitted");
    assert_eq!(next(&mut app)["type"], "hello");
}

/// Sends `request` as raw bytes and reads the answer until the server
/// closes: its status line and JSON body.
fn raw(addr: std::net::SocketAddr, request: &str) -> (String, serde_json::Value) {
    use std::io::{Read, Write};
    let mut tcp = std::net::TcpStream::connect(addr).expect("connected");
    tcp.set_read_timeout(Some(LONG)).expect("a read deadline");
    tcp.write_all(request.as_bytes()).expect("sent");
    let mut answer = String::new();
    let _ = tcp.read_to_string(&mut answer);
    let status = answer.lines().next().unwrap_or("").to_owned();
    let body = answer
        .split_once("\r\n\r\n")
        .and_then(|(_, body)| serde_json::from_str(body).ok())
        .unwrap_or(serde_json::Value::Null);
    (status, body)
}

/// A request that is not a WebSocket upgrade (a browser tab opening the
/// link, a POST, an upgrade without its key, bytes that are not HTTP) is
/// answered `400 bad-request` with a reason, as PROTOCOL.md says: it used
/// to get no HTTP answer at all, only a closed connection.
#[test]
fn a_request_that_is_not_a_websocket_upgrade_gets_400_bad_request() {
    let yard = yard(0);
    let server = serve(&yard, ServeOptions::new()).expect("serving");
    let path = server
        .link()
        .split_once(&server.addr().to_string())
        .map(|(_, path)| path.to_owned())
        .expect("a path in the link");
    for request in [
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"),
        format!("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"),
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\r\n"),
        "hello there\r\n\r\n".to_owned(),
    ] {
        let (status, body) = raw(server.addr(), &request);
        assert!(status.starts_with("HTTP/1.1 400"), "{request:?}: {status:?}");
        assert_eq!(body["error"], "bad-request", "{request:?}: {body}");
        assert!(
            body["message"].as_str().unwrap_or("").contains("WebSocket"),
            "{body}"
        );
    }
    // The server goes on: a real client gets in.
    let mut app = connect(&server);
    assert_eq!(next(&mut app)["type"], "hello");
}

#[test]
fn a_non_loopback_address_is_refused_unless_opted_into() {
    let yard = yard(0);
    let any = SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0));
    let error = serve(&yard, ServeOptions::new().bind(any)).expect_err("refused");
    assert_eq!(error.kind(), std::io::ErrorKind::PermissionDenied);
    let inner = error.get_ref().and_then(|e| e.downcast_ref::<ServeError>());
    assert!(
        matches!(inner, Some(ServeError::NotLoopback { addr }) if *addr == any),
        "{error}"
    );
    assert!(error.to_string().contains("allow_remote"), "{error}");
    let opted = serve(&yard, ServeOptions::new().bind(any).allow_remote(true)).expect("opted in");
    assert!(opted.addr().ip().is_unspecified());
}

#[test]
fn connections_past_the_limit_are_refused() {
    let yard = yard(0);
    let server = serve(&yard, ServeOptions::new().max_connections(2)).expect("serving");
    let mut first = connect(&server);
    let mut second = connect(&server);
    next(&mut first);
    next(&mut second);
    let (status, body) = refused(open(server.link(), None));
    assert_eq!(
        (status, body["error"].as_str()),
        (503, Some("too-many-connections"))
    );
}

/// Wrong tokens are counted across connections: past the limit each
/// further wrong one from that address is answered (429) only at the
/// handshake's deadline, so a guesser gets a guess per connection per
/// deadline, not thousands a second; but the right token is never refused,
/// however many wrong ones came before it or come meanwhile (it used to be
/// refused with 429 for the window: ten wrong tokens from any local program
/// locked the app out). The manager is unchanged.
#[test]
fn an_address_that_keeps_guessing_is_slowed_but_the_right_token_is_always_admitted() {
    let yard = yard(1);
    let server = serve(
        &yard,
        ServeOptions::new()
            .max_failed_auth(3, Duration::from_secs(600))
            .handshake_deadline(Duration::from_secs(1)),
    )
    .expect("serving");
    let before = fingerprint(&yard);
    let base = format!("ws://{}/", server.addr());
    let mut first = open(server.link(), None).expect("admitted");
    assert_eq!(next(&mut first)["type"], "hello");
    for guess in ["0", "1", "2"] {
        let wrong = format!("{base}?token={}", guess.repeat(40));
        assert_eq!(refused(open(&wrong, None)).1["error"], "bad-token");
    }
    // Past the limit: a wrong token is slowed and told so...
    let wrong = format!("{base}?token={}", "3".repeat(40));
    let (status, body) = refused(open(&wrong, None));
    assert_eq!(
        (status, body["error"].as_str()),
        (429, Some("too-many-failures"))
    );
    assert!(
        body["message"].as_str().unwrap().contains("wrong token"),
        "{body}"
    );
    // ...and the right one is admitted at once, even while a guesser waits
    // for its answer.
    let guesser = std::thread::spawn(move || refused(open(&wrong, None)).1["error"].clone());
    for origin in [None, Some("http://127.0.0.1:8080")] {
        let mut app = open(server.link(), origin).expect("the right token is admitted");
        assert_eq!(next(&mut app)["type"], "hello");
    }
    assert_eq!(guesser.join().expect("the guesser"), "too-many-failures");
    // A connection admitted before goes on.
    assert_eq!(next(&mut first)["type"], "events");
    assert_eq!(fingerprint(&yard), before, "the manager is unchanged");
}

#[test]
fn commands_on_a_read_only_server_are_refused_and_change_nothing() {
    let yard = yard(2);
    let server = serve(&yard, ServeOptions::new()).expect("serving");
    let mut client = connect(&server);
    let before = fingerprint(&yard);
    for command in [
        json!({"id": 1, "cmd": "pause", "worker": "worker_0"}),
        json!({"id": 2, "cmd": "stop", "worker": "worker_1"}),
        json!({"id": 3, "cmd": "broadcast", "message": "shutdown"}),
        json!({"id": 4, "cmd": "shutdown", "timeout_ms": 100}),
    ] {
        let answer = ask(&mut client, command);
        assert_eq!(answer["error"], "read-only", "{answer}");
        assert!(answer["message"]
            .as_str()
            .unwrap()
            .contains("allow_commands"));
    }
    assert_eq!(fingerprint(&yard), before);
    assert!(!yard.is_shut_down());
}

#[test]
fn bad_frames_are_answered_with_the_problem_named_and_change_nothing() {
    let yard = yard(2);
    let server = serve(
        &yard,
        ServeOptions::new()
            .allow_commands(true)
            .max_frame_bytes(1024),
    )
    .expect("serving");
    let mut client = connect(&server);
    let before = fingerprint(&yard);
    let error_after = |client: &mut Socket, message: Message| {
        client.send(message).expect("sent");
        until(client, |f| f["type"] == "error")
    };

    let answer = error_after(&mut client, Message::text("{\"cmd\": \"pause\", "));
    assert_eq!(answer["error"], "malformed-json");
    let answer = error_after(&mut client, Message::binary(vec![1, 2, 3]));
    assert_eq!(answer["error"], "binary-frame");
    let answer = ask(
        &mut client,
        json!({"id": 5, "cmd": "explode", "worker": "worker_0"}),
    );
    assert_eq!(answer["error"], "unknown-command");
    assert!(answer["message"]
        .as_str()
        .unwrap()
        .contains("pause, resume"));
    let answer = ask(&mut client, json!({"id": 6, "cmd": "pause"}));
    assert_eq!(answer["error"], "bad-command");
    let answer = ask(
        &mut client,
        json!({"id": 7, "cmd": "pause", "worker": "nobody"}),
    );
    assert_eq!(answer["error"], "unknown-worker");
    let answer = ask(
        &mut client,
        json!({"id": 8, "cmd": "send", "worker": "nobody", "message": "x"}),
    );
    assert_eq!(answer["error"], "unknown-worker");
    let answer = ask(
        &mut client,
        json!({"id": 9, "cmd": "send", "worker": "worker_0", "message": 42}),
    );
    assert_eq!(answer["error"], "bad-message");
    let answer = ask(
        &mut client,
        json!({"id": 10, "cmd": "resume", "worker": "worker_0"}),
    );
    assert_eq!(answer["error"], "invalid-transition");

    // Over the limit, but within what is read: answered, and the
    // connection goes on.
    let long = json!({"id": 11, "cmd": "send", "worker": "worker_0", "message": "x".repeat(2000)});
    let answer = error_after(&mut client, Message::text(long.to_string()));
    assert_eq!(answer["error"], "frame-too-large");
    assert_eq!(fingerprint(&yard), before, "the manager is unchanged");
    let answer = ask(
        &mut client,
        json!({"id": 12, "cmd": "pause", "worker": "nobody"}),
    );
    assert_eq!(answer["error"], "unknown-worker", "still connected");

    // Far over it: not even read; answered, then the connection closes.
    let huge = json!({"cmd": "send", "worker": "worker_0", "message": "x".repeat(10_000)});
    let answer = error_after(&mut client, Message::text(huge.to_string()));
    assert_eq!(answer["error"], "frame-too-large");
    let closed = loop {
        match client.read() {
            Ok(Message::Close(frame)) => break frame,
            Ok(_) => {}
            Err(_) => break None,
        }
    };
    if let Some(frame) = closed {
        assert_eq!(u16::from(frame.code), 1009);
    }
    assert_eq!(fingerprint(&yard), before, "the manager is unchanged");
}

#[test]
fn commands_past_the_rate_are_refused() {
    let yard = yard(1);
    let server = serve(
        &yard,
        ServeOptions::new()
            .allow_commands(true)
            .max_commands_per_second(3),
    )
    .expect("serving");
    let mut client = connect(&server);
    // Fifty at once: a bucket of three a second cannot hold them all.
    for id in 0..50 {
        let command = json!({"id": id, "cmd": "pause", "worker": "nobody"});
        client
            .send(Message::text(command.to_string()))
            .expect("sent");
    }
    let answers: Vec<String> = (0..50)
        .map(|_| {
            let answer = until(&mut client, |f| f["type"] == "error");
            answer["error"].as_str().unwrap().to_owned()
        })
        .collect();
    assert!(answers.iter().any(|e| e == "unknown-worker"));
    assert!(answers.iter().any(|e| e == "rate-limited"), "{answers:?}");
}
