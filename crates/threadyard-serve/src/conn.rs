//! One connection: the handshake (its checks are in [`handshake`](crate::handshake)), then a
//! reader on this thread and a writer on a thread of its own, joined by
//! the client's bounded queue. The reader runs commands and answers them
//! through the queue (waiting for room there only ever holds up this
//! client's own commands); the hub offers frames to the queue without
//! waiting. Only the writer touches the socket's sending side: the
//! reader's own replies (pong, close) are diverted to it as bytes.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::mpsc::SyncSender;
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use tungstenite::handshake::server::{Request, Response};
use tungstenite::handshake::HandshakeError;
use tungstenite::protocol::frame::coding::CloseCode;
use tungstenite::protocol::{CloseFrame, Role, WebSocketConfig, WebSocketContext};
use tungstenite::{Message, Utf8Bytes, WebSocket};

use crate::control;
use crate::handshake::{admit, hold_until, not_an_upgrade, refuse, Admitted};
use crate::hub::{self, Client, Out, Outbox};
use crate::protocol::{self, frame, ErrorCode, Refusal};
use crate::server::{lock, Shared};

/// The connection's socket as the reader's WebSocket sees it: reads come
/// from the socket; writes (tungstenite's automatic pong and close
/// replies, and the HTTP answer before that) go to the socket during the
/// handshake and to the writer's queue after it, so that only one thread
/// ever writes frames.
///
/// During the handshake every read is given only what remains of the
/// handshake's deadline: a socket timeout alone restarts at each read,
/// so a client trickling its request a byte at a time held its slot for as
/// long as it trickled.
struct ReadSide {
    socket: TcpStream,
    divert: Option<SyncSender<Out>>,
    /// The end of the handshake's time, while it lasts.
    deadline: Option<Instant>,
}

impl ReadSide {
    /// Gives the next read only what is left of the handshake's time; an
    /// error once none is left.
    fn within_deadline(&self) -> io::Result<()> {
        let Some(deadline) = self.deadline else {
            return Ok(());
        };
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the handshake took longer than its deadline",
            ));
        }
        self.socket.set_read_timeout(Some(left))
    }
}

impl Read for ReadSide {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.within_deadline()?;
        self.socket.read(buf)
    }
}

impl Write for ReadSide {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &self.divert {
            // Taken whole, so each piece is whole frames.
            Some(queue) => queue
                .send(Out::Raw(buf.to_vec()))
                .map(|()| buf.len())
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "writer gone")),
            // Not bound by the deadline: the answer (a tarpit's comes at
            // the deadline) is one small write into an empty socket buffer,
            // which a client cannot slow by reading slowly; the socket's
            // write timeout bounds it anyway.
            None => self.socket.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &self.divert {
            Some(_) => Ok(()),
            None => self.socket.flush(),
        }
    }
}

pub(crate) fn run<T: Clone + Send + 'static>(shared: &Arc<Shared<T>>, id: u64, socket: TcpStream) {
    let _ = socket.set_nodelay(true);
    // From accept (near enough: this thread starts just after), for the
    // whole handshake, the tarpit's wait included.
    let deadline = Instant::now() + shared.handshake_deadline;
    let _ = socket.set_write_timeout(Some(shared.handshake_deadline));
    let Ok(write_socket) = socket.try_clone() else {
        return;
    };
    let hold = socket.try_clone().ok();
    let peer = socket.peer_addr().ok().map(|a| a.ip());
    let max = shared.settings.max_frame_bytes;
    // tungstenite's own limit, past which a frame is not even read: four
    // times ours, so a frame between the two is answered and the
    // connection goes on.
    let config = WebSocketConfig::default()
        .max_message_size(Some(max * 4))
        .max_frame_size(Some(max * 4));
    let mut admitted = None;
    // Whether the request got as far as the callback: then tungstenite
    // has answered it (the upgrade, or the refusal the callback made).
    let asked = std::cell::Cell::new(false);
    // The callback's type is tungstenite's: its error is the HTTP answer.
    #[allow(clippy::result_large_err)]
    let callback = |request: &Request, response: Response| {
        asked.set(true);
        match admit(shared, request, peer) {
            Ok(a) => {
                admitted = Some(a);
                Ok(response)
            }
            Err((status, refusal)) => {
                if refusal.error == ErrorCode::TooManyFailures {
                    // The tarpit: a guesser past the limit waits for its answer.
                    if let Some(socket) = &hold {
                        hold_until(socket, deadline);
                    }
                }
                Err(refuse(status, &refusal))
            }
        }
    };
    let side = ReadSide {
        socket,
        divert: None,
        deadline: Some(deadline),
    };
    let mut ws = match tungstenite::accept_hdr_with_config(side, callback, Some(config)) {
        Ok(ws) => ws,
        Err(error) => {
            tracing::debug!(%error, "handshake refused or failed");
            if let (false, HandshakeError::Failure(failure)) = (asked.get(), &error) {
                not_an_upgrade(&write_socket, failure);
            }
            return;
        }
    };
    let Some(Admitted { from }) = admitted else {
        return;
    };
    ws.get_mut().deadline = None;
    let _ = ws.get_ref().socket.set_read_timeout(None);
    let _ = write_socket.set_write_timeout(None);

    let (queue, outbox) = hub::queue(shared.settings.queue_frames);
    let client = Client::new(id, queue.clone(), from, &outbox);
    let writer = {
        let write_config = config;
        thread::Builder::new()
            .name("threadyard-serve-write".into())
            .spawn(move || write(write_socket, outbox, write_config))
    };
    let Ok(writer) = writer else {
        return;
    };
    let capacity = shared.yard.upgrade().and_then(|y| y.snapshot().capacity);
    // The hello goes first: the queue is empty, and the hub does not know
    // this client until it is registered below.
    if queue
        .send(Out::Text(Utf8Bytes::from(frame::hello(
            &shared.settings,
            from,
            capacity,
        ))))
        .is_err()
    {
        return;
    }
    ws.get_mut().divert = Some(queue.clone());
    lock(&shared.clients).push(client);
    shared.admitted.one_more();
    read(shared, &mut ws, &queue);
    lock(&shared.clients).retain(|c| c.id != id);
    drop(queue);
    drop(ws);
    let _ = writer.join();
}

/// Reads frames until the client goes or the server stops.
fn read<T: Clone + Send + 'static>(
    shared: &Shared<T>,
    ws: &mut WebSocket<ReadSide>,
    queue: &SyncSender<Out>,
) {
    let mut bucket = Bucket::new(shared.settings.max_commands_per_second);
    let reply = |text: String| queue.send(Out::Text(Utf8Bytes::from(text))).is_ok();
    loop {
        let text = match ws.read() {
            Ok(Message::Text(text)) => text,
            Ok(Message::Binary(_)) => {
                let refusal = Refusal::new(
                    ErrorCode::BinaryFrame,
                    "binary frames are not part of the protocol: send JSON as text",
                );
                if !reply(frame::error(None, &refusal)) {
                    return;
                }
                continue;
            }
            Ok(_) => continue,
            Err(tungstenite::Error::Capacity(error)) => {
                let refusal = Refusal::new(
                    ErrorCode::FrameTooLarge,
                    format!(
                        "{error}: frames are at most {} bytes; the connection is closed",
                        shared.settings.max_frame_bytes
                    ),
                );
                let _ = reply(frame::error(None, &refusal));
                let _ = ws.close(Some(CloseFrame {
                    code: CloseCode::Size,
                    reason: "frame too large".into(),
                }));
                let _ = queue.send(Out::End);
                return;
            }
            Err(_) => return,
        };
        let answer = handle(shared, &text, &mut bucket);
        if !reply(answer) {
            return;
        }
    }
}

/// One text frame: checked, run, answered.
fn handle<T: Clone + Send + 'static>(
    shared: &Shared<T>,
    text: &str,
    bucket: &mut Bucket,
) -> String {
    if text.len() > shared.settings.max_frame_bytes {
        let refusal = Refusal::new(
            ErrorCode::FrameTooLarge,
            format!(
                "the frame is {} bytes; this server reads at most {}: send a shorter one",
                text.len(),
                shared.settings.max_frame_bytes
            ),
        );
        return frame::error(None, &refusal);
    }
    let command = match protocol::parse(text) {
        Ok(command) => command,
        Err((id, refusal)) => return frame::error(id.as_ref(), &refusal),
    };
    let id = command.id();
    if !shared.settings.commands {
        let refusal = Refusal::new(
            ErrorCode::ReadOnly,
            format!(
                "{}: this server is read-only; the program must allow commands (ServeOptions::allow_commands)",
                command.name()
            ),
        );
        return frame::error(id, &refusal);
    }
    if !bucket.take() {
        let refusal = Refusal::new(
            ErrorCode::RateLimited,
            format!(
                "{}: more than {} commands a second; wait and send it again",
                command.name(),
                shared.settings.max_commands_per_second
            ),
        );
        return frame::error(id, &refusal);
    }
    let Some(yard) = shared.yard.upgrade() else {
        let refusal = Refusal::new(ErrorCode::ManagerGone, "the program dropped its manager");
        return frame::error(id, &refusal);
    };
    let outcome = control::run(&yard, &command, shared.decoder.as_ref());
    drop(yard);
    match outcome {
        Ok(result) => frame::ok(id, command.name(), &result),
        Err(refusal) => frame::error(id, &refusal),
    }
}

/// Sends what the queue holds until it closes or the socket fails.
fn write(mut socket: TcpStream, outbox: Outbox, config: WebSocketConfig) {
    let mut context = WebSocketContext::new(Role::Server, Some(config));
    for out in outbox {
        let sent = match out {
            Out::Text(text) => context
                .write(&mut socket, Message::Text(text))
                .and_then(|()| context.flush(&mut socket))
                .map_err(|e| e.to_string()),
            Out::Raw(bytes) => socket.write_all(&bytes).map_err(|e| e.to_string()),
            Out::Close(code, reason) => {
                let frame = CloseFrame {
                    code: CloseCode::from(code),
                    reason: reason.into(),
                };
                let _ = context.close(&mut socket, Some(frame));
                let _ = context.flush(&mut socket);
                Err("closed by the server".to_owned())
            }
            Out::End => Err("ended by the reader".to_owned()),
        };
        if let Err(error) = sent {
            tracing::debug!(%error, "connection ends");
            break;
        }
    }
    // Ends the reader too, if it is still waiting for a frame.
    let _ = socket.shutdown(std::net::Shutdown::Both);
}

/// Commands per second: a bucket of `rate` tokens refilled continuously.
struct Bucket {
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: u32) -> Self {
        Self {
            rate: f64::from(rate),
            tokens: f64::from(rate),
            at: Instant::now(),
        }
    }

    fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.rate);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
