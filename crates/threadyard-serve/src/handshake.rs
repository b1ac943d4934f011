//! The handshake's checks and answers: which requests become connections
//! (the Origin, then the token, then the limit), the tarpit for a guesser,
//! and the answers tungstenite does not give itself.

use std::io::{self, Read, Write};
use std::net::{IpAddr, TcpStream};
use std::sync::atomic::Ordering;
use std::time::Instant;

use tungstenite::error::ProtocolError;
use tungstenite::handshake::server::{ErrorResponse, Request};
use tungstenite::http::{header, StatusCode};

use crate::protocol::{self, ErrorCode, Refusal};
use crate::server::Shared;

/// What the handshake found out.
pub(crate) struct Admitted {
    pub(crate) from: u64,
}

/// Checks a request before it becomes a connection: the token, the
/// origin, the limit. A refusal is an HTTP error whose body is
/// `{"error": CODE, "message": ...}`, and the connection is closed: a
/// client that failed authentication gets no second try on it.
pub(crate) fn admit<T: Send + 'static>(
    shared: &Shared<T>,
    request: &Request,
    peer: Option<IpAddr>,
) -> Result<Admitted, (StatusCode, Refusal)> {
    // The Origin first: a page on a foreign site is told so whatever its
    // link holds, and what it sent is no guess at the token (checking the
    // token first answered it `missing-token` and counted a failure).
    check_origin(shared, request)?;
    let query = request.uri().query().unwrap_or("");
    let param = |key: &str| {
        query
            .split('&')
            .filter_map(|pair| pair.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    };
    // No token is no guess at it: not counted.
    let token = param("token").ok_or_else(|| {
        (
            StatusCode::UNAUTHORIZED,
            Refusal::new(ErrorCode::MissingToken,
            "the link has no token: open the whole link the program printed (ws://...?token=...)"),
        )
    })?;
    // Compared first and in constant time: the right token is admitted
    // whatever wrong ones came before it (no lockout to refuse it).
    if !shared.token.matches(token) {
        tracing::warn!("a connection presented a wrong token");
        // Counted across connections: each wrong token closes its own.
        let slowed = peer.is_some_and(|peer| shared.guard.failed(peer, Instant::now()));
        if slowed {
            return Err((
                StatusCode::TOO_MANY_REQUESTS,
                Refusal::new(
                    ErrorCode::TooManyFailures,
                    "too many wrong tokens from this address: each further wrong one is answered only at the handshake's deadline; copy the whole link again from the program (each run has a new one)",
                ),
            ));
        }
        return Err((
            StatusCode::UNAUTHORIZED,
            Refusal::new(ErrorCode::BadToken,
            "the token is not this server's: copy the link again from the program (each run has a new one)"),
        ));
    }
    if shared.connections.load(Ordering::Acquire) > shared.max_connections {
        return Err((
            StatusCode::SERVICE_UNAVAILABLE,
            Refusal::new(
                ErrorCode::TooManyConnections,
                format!(
                    "this server takes at most {} connections: close one and try again",
                    shared.max_connections
                ),
            ),
        ));
    }
    let from = match param("from") {
        None => 0,
        Some(text) => text.parse::<u64>().map_err(|_| {
            (
                StatusCode::BAD_REQUEST,
                Refusal::new(ErrorCode::BadRequest,
                "`from` must be an event position (a whole number): the `next` of the last page read"),
            )
        })?,
    };
    Ok(Admitted { from })
}

/// A request with no `Origin` is not from a browser page (it still needs
/// the token); one with an `Origin` must be on the allowlist. Origins are
/// compared ignoring ASCII case (scheme and host are case-insensitive). More
/// than one `Origin` header is refused: no browser sends that, and taking
/// either one would let the other through.
fn check_origin<T: Send + 'static>(
    shared: &Shared<T>,
    request: &Request,
) -> Result<(), (StatusCode, Refusal)> {
    let forbidden = |why: String| {
        Err((
            StatusCode::FORBIDDEN,
            Refusal::new(ErrorCode::ForeignOrigin, why),
        ))
    };
    let mut sent = request.headers().get_all(header::ORIGIN).iter();
    let origin = match (sent.next(), sent.next()) {
        (None, _) => return Ok(()),
        (Some(one), None) => one.to_str().unwrap_or(""),
        (Some(_), Some(_)) => {
            tracing::warn!("a request with more than one Origin header tried to connect");
            return forbidden(
                "the request has more than one Origin header, which no browser sends: send one, from an allowed page".to_owned(),
            );
        }
    };
    if shared
        .origins
        .iter()
        .any(|o| o.eq_ignore_ascii_case(origin))
    {
        return Ok(());
    }
    tracing::warn!(origin, "a page from a foreign origin tried to connect");
    forbidden(format!(
        "pages from {:?} may not connect: the program must allow that origin (ServeOptions::allow_origin, or --origin)",
        protocol::truncate(origin)
    ))
}

/// Waits until `deadline` without reading the request further: returns
/// early if the client goes, or the server stops (which shuts the socket
/// down), so a held connection never delays the server's drop. Whatever
/// the client sends meanwhile is thrown away (it gets no second try).
pub(crate) fn hold_until(mut socket: &TcpStream, deadline: Instant) {
    let mut sink = [0_u8; 256];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() || socket.set_read_timeout(Some(left)).is_err() {
            return;
        }
        match socket.read(&mut sink) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
}

/// Answers `400 bad-request` to a request tungstenite refused before
/// asking the callback (it answers nothing itself): one that is not a
/// WebSocket upgrade, or not HTTP. A handshake that failed for any other
/// reason (the deadline, the client gone) gets no answer: there is no one
/// to read it, or it had its time.
pub(crate) fn not_an_upgrade(mut socket: &TcpStream, failure: &tungstenite::Error) {
    let why = match failure {
        tungstenite::Error::Protocol(ProtocolError::HandshakeIncomplete) => return,
        tungstenite::Error::Protocol(problem) => problem.to_string(),
        tungstenite::Error::HttpFormat(problem) => format!("not an HTTP request ({problem})"),
        tungstenite::Error::AttackAttempt => {
            "the request came in too many tiny pieces or is too large".to_owned()
        }
        _ => return,
    };
    let refusal = Refusal::new(
        ErrorCode::BadRequest,
        format!(
            "this server speaks WebSocket only, and the request is not a WebSocket upgrade: {}; open the link with a WebSocket client (the app attaches to it), not as a web page",
            protocol::truncate(&why)
        ),
    );
    let body = serde_json::to_string(&refusal).unwrap_or_default();
    let answer = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    if let Err(error) = socket.write_all(answer.as_bytes()) {
        tracing::debug!(%error, "the bad request's answer could not be sent");
    }
}

pub(crate) fn refuse(status: StatusCode, refusal: &Refusal) -> ErrorResponse {
    let body = serde_json::to_string(refusal).ok();
    let mut response = ErrorResponse::new(body);
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        header::HeaderValue::from_static("application/json"),
    );
    response
}
