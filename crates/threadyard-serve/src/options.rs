//! What the caller sets: where to listen, who may connect, what they may do.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

/// Turns a command's `message` (any JSON) into the manager's message type,
/// or says why it cannot.
pub type Decoder<T> = Arc<dyn Fn(&Value) -> Result<T, String> + Send + Sync>;

/// The app's local origins, allowed by default: `cargo xtask serve` and
/// `trunk serve` (port 8080), on either loopback name.
pub const DEFAULT_ORIGINS: [&str; 4] = [
    "http://127.0.0.1:8080",
    "http://localhost:8080",
    "https://127.0.0.1:8080",
    "https://localhost:8080",
];

/// How a server is set up. The defaults are the safe ones: loopback only,
/// read-only, the app's local origins.
pub struct ServeOptions<T> {
    pub(crate) addr: SocketAddr,
    pub(crate) allow_remote: bool,
    pub(crate) origins: Vec<String>,
    pub(crate) allow_commands: bool,
    pub(crate) decoder: Option<Decoder<T>>,
    pub(crate) snapshot_interval: Duration,
    pub(crate) max_frame_bytes: usize,
    pub(crate) max_connections: usize,
    pub(crate) max_commands_per_second: u32,
    pub(crate) queue_frames: usize,
    pub(crate) max_failed_auth: u32,
    pub(crate) failed_auth_window: Duration,
    pub(crate) handshake_deadline: Duration,
    pub(crate) app_url: String,
}

impl<T> Default for ServeOptions<T> {
    fn default() -> Self {
        Self {
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            allow_remote: false,
            origins: DEFAULT_ORIGINS.iter().map(|o| (*o).to_owned()).collect(),
            allow_commands: false,
            decoder: None,
            snapshot_interval: Duration::from_millis(100),
            max_frame_bytes: 64 * 1024,
            max_connections: 16,
            max_commands_per_second: 50,
            queue_frames: 64,
            max_failed_auth: 10,
            failed_auth_window: Duration::from_secs(60),
            handshake_deadline: Duration::from_secs(5),
            app_url: "http://127.0.0.1:8080/".to_owned(),
        }
    }
}

impl<T> fmt::Debug for ServeOptions<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServeOptions")
            .field("addr", &self.addr)
            .field("allow_remote", &self.allow_remote)
            .field("origins", &self.origins)
            .field("allow_commands", &self.allow_commands)
            .field("decoder", &self.decoder.is_some())
            .field("snapshot_interval", &self.snapshot_interval)
            .field("max_frame_bytes", &self.max_frame_bytes)
            .field("max_connections", &self.max_connections)
            .field("max_commands_per_second", &self.max_commands_per_second)
            .field("queue_frames", &self.queue_frames)
            .field("handshake_deadline", &self.handshake_deadline)
            .finish()
    }
}

impl<T> ServeOptions<T> {
    /// The safe defaults (see the type).
    pub fn new() -> Self {
        Self::default()
    }

    /// Listens on `addr` (port 0: any free port). An address other than
    /// loopback is refused by [`serve`](crate::serve) unless
    /// [`allow_remote`](Self::allow_remote) is also set.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Opts into listening on an address other than loopback. Anyone who
    /// can reach it and has the link can watch (and, with commands allowed,
    /// steer) the program; the connection is not encrypted.
    pub fn allow_remote(mut self, allow: bool) -> Self {
        self.allow_remote = allow;
        self
    }

    /// Replaces the allowed page origins (`scheme://host:port`). A browser
    /// always sends its page's origin; a connection that sends none is not
    /// a browser, and still needs the token.
    pub fn origins<I, S>(mut self, origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.origins = origins.into_iter().map(Into::into).collect();
        self
    }

    /// Adds one allowed page origin.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.origins.push(origin.into());
        self
    }

    /// Allows commands (pause, resume, stop, remove, send, broadcast,
    /// shutdown). Off by default: watching is read-only.
    pub fn allow_commands(mut self, allow: bool) -> Self {
        self.allow_commands = allow;
        self
    }

    /// How `send` and `broadcast` turn a command's JSON `message` into a
    /// `T`. A `Yard<String>` needs none (a JSON string is taken as it is);
    /// for any other `T`, without one those two commands are refused.
    pub fn decoder(
        mut self,
        decode: impl Fn(&Value) -> Result<T, String> + Send + Sync + 'static,
    ) -> Self {
        self.decoder = Some(Arc::new(decode));
        self
    }

    /// How often a snapshot goes to each client (and new events with it).
    /// Clamped to 10 ms .. 60 s.
    pub fn snapshot_interval(mut self, every: Duration) -> Self {
        self.snapshot_interval = every.clamp(Duration::from_millis(10), Duration::from_secs(60));
        self
    }

    /// The longest frame read from a client, in bytes (at least 256).
    pub fn max_frame_bytes(mut self, bytes: usize) -> Self {
        self.max_frame_bytes = bytes.max(256);
        self
    }

    /// Most connections at once (at least 1).
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }

    /// Most commands one connection may send per second (at least 1).
    pub fn max_commands_per_second(mut self, n: u32) -> Self {
        self.max_commands_per_second = n.max(1);
        self
    }

    /// Most frames waiting for one client (at least 4). When they are all
    /// waiting (a slow or stalled client), snapshots for it are skipped and
    /// counted, and its events wait in the manager's log.
    pub fn queue_frames(mut self, n: usize) -> Self {
        self.queue_frames = n.max(4);
        self
    }

    /// Wrong tokens (a link with no token is no guess: not counted) one
    /// remote address is answered at once within `window` (at least 1; 10
    /// in 60 s by default). Past them each further wrong token is answered
    /// (`too-many-failures`) only at the handshake's deadline, until
    /// `window` after its first. The right token is never refused for it.
    pub fn max_failed_auth(mut self, limit: u32, window: Duration) -> Self {
        self.max_failed_auth = limit.max(1);
        self.failed_auth_window = window;
        self
    }

    /// How long a connection may take over its whole handshake, from the
    /// moment it is accepted (5 s by default; clamped to 10 ms .. 60 s).
    /// Past it the connection is closed, however it trickles its request,
    /// and its slot is free again.
    pub fn handshake_deadline(mut self, deadline: Duration) -> Self {
        self.handshake_deadline =
            deadline.clamp(Duration::from_millis(10), Duration::from_secs(60));
        self
    }

    /// Where the app is served, for [`ServeHandle::app_link`](crate::ServeHandle::app_link).
    pub fn app_url(mut self, url: impl Into<String>) -> Self {
        self.app_url = url.into();
        self
    }
}
