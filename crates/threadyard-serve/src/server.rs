//! The server's threads and its handle: one thread accepts connections,
//! one samples the manager for every client ([`hub`](crate::hub)), and each
//! connection has a reader and a writer of its own ([`conn`](crate::conn)).
//! Nothing the manager's workers do waits on any of them.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use threadyard::Yard;

use crate::conn;
use crate::guard::Guard;
use crate::hub::{self, Client};
use crate::options::{Decoder, ServeOptions};
use crate::protocol::{Settings, EVENTS_PER_PAGE};
use crate::token::Token;

/// Why [`serve`] refused to start (inside the `io::Error` it returns; see
/// [`io::Error::get_ref`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServeError {
    /// The address is not loopback and the caller did not opt in.
    #[error("refusing to listen on {addr}, which is not a loopback address: anyone who can reach it could watch this program; bind 127.0.0.1, or opt in with ServeOptions::allow_remote(true)")]
    NotLoopback {
        /// The address asked for.
        addr: SocketAddr,
    },
}

/// What every thread of one server shares.
pub(crate) struct Shared<T: Send + 'static> {
    pub(crate) yard: Weak<Yard<T>>,
    pub(crate) token: Token,
    pub(crate) settings: Settings,
    pub(crate) origins: Vec<String>,
    pub(crate) decoder: Option<Decoder<T>>,
    pub(crate) max_connections: usize,
    /// How long a whole handshake may take, from accept.
    pub(crate) handshake_deadline: Duration,
    /// Failed authentications, per remote address, across connections.
    pub(crate) guard: Guard,
    /// Clients past their handshake, for the hub.
    pub(crate) clients: Mutex<Vec<Client>>,
    /// Every open connection's socket (handshaking or not), to shut down
    /// when the server stops: that unblocks its reader and its writer.
    pub(crate) sockets: Mutex<HashMap<u64, TcpStream>>,
    pub(crate) connections: AtomicUsize,
    pub(crate) next_id: AtomicU64,
    pub(crate) stopping: AtomicBool,
    pub(crate) admitted: Arc<Admissions>,
}

/// Counts connections that passed their handshake, for
/// [`ServeHandle::wait_for_client`].
#[derive(Debug, Default)]
pub(crate) struct Admissions {
    count: Mutex<u64>,
    cv: Condvar,
}

impl Admissions {
    pub(crate) fn one_more(&self) {
        *lock(&self.count) += 1;
        self.cv.notify_all();
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked
/// (each holder makes one small change).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A running server. Dropping it stops it: no new connections, every open
/// one closed, its threads joined.
#[derive(Debug)]
#[must_use = "dropping the handle stops the server"]
pub struct ServeHandle {
    addr: SocketAddr,
    link: String,
    app_url: String,
    admitted: Arc<Admissions>,
    stop: Option<Stop>,
}

struct Stop {
    hub: Sender<()>,
    stopping: Arc<AtomicBool>,
    sockets: Box<dyn Fn() + Send>,
    threads: Vec<JoinHandle<()>>,
    conn_threads: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl std::fmt::Debug for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Stop(..)")
    }
}

impl ServeHandle {
    /// The address the server listens on (with the port it was given).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The link a client opens: `ws://ADDR/?token=...`. It carries the
    /// secret: show it only to whoever may watch.
    pub fn link(&self) -> &str {
        &self.link
    }

    /// Waits until a client has connected (passed its handshake), at most
    /// `timeout`; true if one has. For a program that should not start
    /// its work before someone watches (`threadyard seed --serve --wait`).
    pub fn wait_for_client(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut count = lock(&self.admitted.count);
        while *count == 0 {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            count = self
                .admitted
                .cv
                .wait_timeout(count, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        true
    }

    /// The app's address with this server's link, which attaches at once:
    /// `http://127.0.0.1:8080/?attach=ws%3A...`.
    pub fn app_link(&self) -> String {
        let sep = if self.app_url.contains('?') { '&' } else { '?' };
        format!("{}{sep}attach={}", self.app_url, encode(&self.link))
    }
}

/// `text` as a URL query value.
fn encode(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'A'..='Z' | 'a'..='z' | '0'..='9' | '-' | '_' | '.' | '~' => c.to_string(),
            other => {
                let mut buf = [0_u8; 4];
                other
                    .encode_utf8(&mut buf)
                    .bytes()
                    .map(|b| format!("%{b:02X}"))
                    .collect()
            }
        })
        .collect()
}

impl Drop for ServeHandle {
    fn drop(&mut self) {
        let Some(stop) = self.stop.take() else {
            return;
        };
        stop.stopping.store(true, Ordering::Release);
        // The hub waits on this channel between ticks: a send ends it now.
        let _ = stop.hub.send(());
        // The acceptor is blocked in accept(): one connection wakes it, and
        // it sees `stopping`.
        let _ = TcpStream::connect(wake_addr(self.addr));
        (stop.sockets)();
        for thread in stop.threads {
            let _ = thread.join();
        }
        // Shut down again: a connection accepted just before the acceptor
        // saw `stopping` may have registered its socket after the first pass.
        (stop.sockets)();
        let conns = std::mem::take(&mut *lock(&stop.conn_threads));
        for thread in conns {
            let _ = thread.join();
        }
        tracing::debug!(addr = %self.addr, "server stopped");
    }
}

/// Where to connect to wake an acceptor listening on `addr`.
fn wake_addr(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

/// Serves `yard` over WebSocket on background threads, with `options`
/// (safe by default: loopback, read-only, the app's local origins, a fresh
/// random token). Returns at once; the handle says where, and dropping it
/// stops the server. The server holds the manager weakly: it never keeps
/// it alive, and once it is dropped clients are told so.
///
/// Fails if the address cannot be bound, or is not loopback without
/// [`ServeOptions::allow_remote`] (a [`ServeError`] inside the `io::Error`).
pub fn serve<T: Clone + Send + 'static>(
    yard: &Arc<Yard<T>>,
    options: ServeOptions<T>,
) -> io::Result<ServeHandle> {
    if !options.addr.ip().is_loopback() && !options.allow_remote {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            ServeError::NotLoopback { addr: options.addr },
        ));
    }
    let listener = TcpListener::bind(options.addr)?;
    let addr = listener.local_addr()?;
    let token = Token::random()?;
    let link = format!("ws://{}/?token={}", wake_addr(addr), token.as_str());
    let settings = Settings {
        commands: options.allow_commands,
        messages: options.decoder.is_some()
            || std::any::TypeId::of::<T>() == std::any::TypeId::of::<String>(),
        snapshot_interval_ms: options.snapshot_interval.as_secs_f64() * 1e3,
        max_frame_bytes: options.max_frame_bytes,
        max_commands_per_second: options.max_commands_per_second,
        queue_frames: options.queue_frames,
        events_per_page: EVENTS_PER_PAGE,
    };
    let shared = Arc::new(Shared {
        yard: Arc::downgrade(yard),
        token,
        settings,
        origins: options.origins,
        decoder: options.decoder,
        max_connections: options.max_connections,
        handshake_deadline: options.handshake_deadline,
        guard: Guard::new(options.max_failed_auth, options.failed_auth_window),
        clients: Mutex::new(Vec::new()),
        sockets: Mutex::new(HashMap::new()),
        connections: AtomicUsize::new(0),
        next_id: AtomicU64::new(0),
        stopping: AtomicBool::new(false),
        admitted: Arc::default(),
    });
    let stopping = Arc::new(AtomicBool::new(false));
    let (hub_tx, hub_rx) = mpsc::channel::<()>();
    let conn_threads = Arc::new(Mutex::new(Vec::new()));

    let hub = {
        let shared = Arc::clone(&shared);
        let every = options.snapshot_interval;
        thread::Builder::new()
            .name("threadyard-serve-hub".into())
            .spawn(move || hub::run(&shared, &hub_rx, every))?
    };
    let acceptor = {
        let shared = Arc::clone(&shared);
        let conn_threads = Arc::clone(&conn_threads);
        let stopping = Arc::clone(&stopping);
        thread::Builder::new()
            .name("threadyard-serve-accept".into())
            .spawn(move || accept(&listener, &shared, &stopping, &conn_threads))?
    };
    let sockets = {
        let shared = Arc::clone(&shared);
        Box::new(move || {
            shared.stopping.store(true, Ordering::Release);
            for socket in lock(&shared.sockets).values() {
                let _ = socket.shutdown(std::net::Shutdown::Both);
            }
        })
    };
    tracing::info!(%addr, commands = shared.settings.commands, "serving the manager");
    Ok(ServeHandle {
        addr,
        link,
        app_url: options.app_url,
        admitted: Arc::clone(&shared.admitted),
        stop: Some(Stop {
            hub: hub_tx,
            stopping,
            sockets,
            threads: vec![acceptor, hub],
            conn_threads,
        }),
    })
}

fn accept<T: Clone + Send + 'static>(
    listener: &TcpListener,
    shared: &Arc<Shared<T>>,
    stopping: &AtomicBool,
    conn_threads: &Mutex<Vec<JoinHandle<()>>>,
) {
    for stream in listener.incoming() {
        if stopping.load(Ordering::Acquire) {
            return;
        }
        let stream = match stream {
            Ok(stream) => stream,
            Err(error) => {
                tracing::debug!(%error, "accept failed");
                continue;
            }
        };
        // Past twice the limit a connection is not even answered: each
        // answer takes a thread for up to the handshake's deadline.
        if shared.connections.load(Ordering::Acquire) >= shared.max_connections * 2 {
            drop(stream);
            continue;
        }
        shared.connections.fetch_add(1, Ordering::AcqRel);
        let id = shared.next_id.fetch_add(1, Ordering::Relaxed);
        if let Ok(socket) = stream.try_clone() {
            lock(&shared.sockets).insert(id, socket);
        }
        let shared_conn = Arc::clone(shared);
        let spawned = thread::Builder::new()
            .name("threadyard-serve-conn".into())
            .spawn(move || {
                conn::run(&shared_conn, id, stream);
                // Counted out before the last handle on the socket closes
                // it: a client that sees its connection closed can count
                // on its slot being free.
                shared_conn.connections.fetch_sub(1, Ordering::AcqRel);
                lock(&shared_conn.sockets).remove(&id);
            });
        match spawned {
            Ok(thread) => {
                let mut threads = lock(conn_threads);
                threads.retain(|t| !t.is_finished());
                threads.push(thread);
            }
            Err(error) => {
                tracing::warn!(%error, "no thread for a connection; it is closed");
                lock(&shared.sockets).remove(&id);
                shared.connections.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn links_are_encoded_as_one_query_value() {
        assert_eq!(
            super::encode("ws://127.0.0.1:9/?token=ab"),
            "ws%3A%2F%2F127.0.0.1%3A9%2F%3Ftoken%3Dab"
        );
    }
}
