//! The messages on the wire (see `PROTOCOL.md`): what the server sends,
//! built around the core's own serde types, and the commands it reads.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use threadyard::{EventPage, Snapshot};

/// The protocol's version, in the hello and in a recording's first line.
/// Raised when a message changes shape in a way an older reader would
/// misread; new fields and new message types do not raise it.
pub const PROTOCOL_VERSION: u32 = 1;

/// Most events in one `events` message (the JavaScript API's page size).
pub const EVENTS_PER_PAGE: usize = 1_000;

/// What a refusal is about: the `error` field of an `error` message, and
/// of the JSON body of a refused handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// The link had no `token`.
    MissingToken,
    /// The link's `token` is not this server's.
    BadToken,
    /// The page's `Origin` is not on the server's allowlist.
    ForeignOrigin,
    /// The server already has as many connections as it allows.
    TooManyConnections,
    /// A wrong token from an address past its limit of wrong tokens
    /// within the server's window: answered only at the handshake's
    /// deadline (the right token is never refused for it).
    TooManyFailures,
    /// The request was not a WebSocket upgrade the server understands.
    BadRequest,
    /// A frame that is not JSON.
    MalformedJson,
    /// A binary frame: the protocol is JSON text.
    BinaryFrame,
    /// A frame longer than the server's limit.
    FrameTooLarge,
    /// JSON, but no `cmd` this server knows.
    UnknownCommand,
    /// A known command with missing or wrong fields.
    BadCommand,
    /// Commands are not allowed on this server (it is read-only).
    ReadOnly,
    /// More commands per second than the server allows.
    RateLimited,
    /// `send` or `broadcast` on a server given no decoder for its messages.
    NoDecoder,
    /// The decoder refused the message.
    BadMessage,
    /// No worker by that id.
    UnknownWorker,
    /// The worker's state does not allow that command.
    InvalidTransition,
    /// The worker's mailbox is full.
    MailboxFull,
    /// The worker has finished and reads no more messages.
    Finished,
    /// The manager is shut down.
    ShutDown,
    /// The manager has been dropped.
    ManagerGone,
    /// Any other refusal of the manager's (its message says what).
    Refused,
}

impl ErrorCode {
    /// The code as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MissingToken => "missing-token",
            Self::BadToken => "bad-token",
            Self::ForeignOrigin => "foreign-origin",
            Self::TooManyConnections => "too-many-connections",
            Self::TooManyFailures => "too-many-failures",
            Self::BadRequest => "bad-request",
            Self::MalformedJson => "malformed-json",
            Self::BinaryFrame => "binary-frame",
            Self::FrameTooLarge => "frame-too-large",
            Self::UnknownCommand => "unknown-command",
            Self::BadCommand => "bad-command",
            Self::ReadOnly => "read-only",
            Self::RateLimited => "rate-limited",
            Self::NoDecoder => "no-decoder",
            Self::BadMessage => "bad-message",
            Self::UnknownWorker => "unknown-worker",
            Self::InvalidTransition => "invalid-transition",
            Self::MailboxFull => "mailbox-full",
            Self::Finished => "finished",
            Self::ShutDown => "shut-down",
            Self::ManagerGone => "manager-gone",
            Self::Refused => "refused",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal: its code and a sentence saying what to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{error}: {message}")]
pub struct Refusal {
    /// What it is about.
    pub error: ErrorCode,
    /// What went wrong and what to do, in words.
    pub message: String,
}

impl Refusal {
    pub(crate) fn new(error: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            error,
            message: message.into(),
        }
    }
}

/// The server's settings, told in the hello.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Settings {
    /// Whether commands are allowed (false: read-only watching).
    pub commands: bool,
    /// Whether `send` and `broadcast` can be used (a decoder was given).
    pub messages: bool,
    /// How often snapshots are sent.
    pub snapshot_interval_ms: f64,
    /// Longest frame the server reads, in bytes.
    pub max_frame_bytes: usize,
    /// Most commands a connection may send per second.
    pub max_commands_per_second: u32,
    /// Most frames waiting for this client before the server skips some.
    pub queue_frames: usize,
    /// Most events in one `events` message.
    pub events_per_page: usize,
}

/// The first message on every connection.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Hello<'a> {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) protocol: u32,
    pub(crate) server: &'static str,
    pub(crate) settings: &'a Settings,
    /// The event position this connection starts from.
    pub(crate) from: u64,
    /// The manager's limit on running workers, if any.
    pub(crate) capacity: Option<usize>,
}

/// Frames as JSON text. The snapshot and the page are the core's own
/// serializations, the shapes the JavaScript API returns.
pub(crate) mod frame {
    use super::*;

    pub(crate) fn hello(settings: &Settings, from: u64, capacity: Option<usize>) -> String {
        json(&Hello {
            kind: "hello",
            protocol: PROTOCOL_VERSION,
            server: concat!("threadyard-serve ", env!("CARGO_PKG_VERSION")),
            settings,
            from,
            capacity,
        })
    }

    /// The snapshot's own JSON, to be wrapped once per client.
    pub(crate) fn snapshot_body(snapshot: &Snapshot) -> String {
        json(snapshot)
    }

    /// `{"type":"snapshot","skipped":N,"snapshot":{...}}`: `skipped` counts
    /// the snapshots this client did not get since the last it got.
    pub(crate) fn snapshot(body: &str, skipped: u64) -> String {
        format!(r#"{{"type":"snapshot","skipped":{skipped},"snapshot":{body}}}"#)
    }

    /// `{"type":"events","more":B,"page":{events, missed, next}}`.
    pub(crate) fn events(page: &EventPage, more: bool) -> String {
        #[derive(Serialize)]
        struct Events<'a> {
            #[serde(rename = "type")]
            kind: &'static str,
            more: bool,
            page: &'a EventPage,
        }
        json(&Events {
            kind: "events",
            more,
            page,
        })
    }

    pub(crate) fn ok(id: Option<&Value>, cmd: &str, result: &Value) -> String {
        json(&serde_json::json!({"type": "ok", "id": id, "cmd": cmd, "result": result}))
    }

    pub(crate) fn error(id: Option<&Value>, refusal: &Refusal) -> String {
        json(&serde_json::json!({
            "type": "error", "id": id, "error": refusal.error, "message": refusal.message,
        }))
    }

    fn json(value: &impl Serialize) -> String {
        // The core's types and these are plain data: maps with string
        // keys, finite numbers. Serializing them cannot fail.
        serde_json::to_string(value).unwrap_or_else(|e| {
            tracing::error!(%e, "a frame did not serialize");
            String::from(
                r#"{"type":"error","error":"refused","message":"a frame did not serialize"}"#,
            )
        })
    }
}

/// A command, as read from a client.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "cmd", rename_all = "kebab-case", deny_unknown_fields)]
pub(crate) enum Command {
    Pause {
        #[serde(default)]
        id: Option<Value>,
        worker: String,
    },
    Resume {
        #[serde(default)]
        id: Option<Value>,
        worker: String,
    },
    Stop {
        #[serde(default)]
        id: Option<Value>,
        worker: String,
    },
    Remove {
        #[serde(default)]
        id: Option<Value>,
        worker: String,
    },
    Send {
        #[serde(default)]
        id: Option<Value>,
        worker: String,
        message: Value,
    },
    Broadcast {
        #[serde(default)]
        id: Option<Value>,
        message: Value,
    },
    Shutdown {
        #[serde(default)]
        id: Option<Value>,
        timeout_ms: f64,
    },
}

/// Every command's name, as in `cmd`.
pub(crate) const COMMANDS: [&str; 7] = [
    "pause",
    "resume",
    "stop",
    "remove",
    "send",
    "broadcast",
    "shutdown",
];

/// A frame's text read as a command, or the refusal that names what is
/// wrong with it (and the request's `id`, when it had one).
pub(crate) fn parse(text: &str) -> Result<Command, (Option<Value>, Refusal)> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        (
            None,
            Refusal::new(
                ErrorCode::MalformedJson,
                format!("the frame is not JSON ({e}): send one JSON object per text frame"),
            ),
        )
    })?;
    let id = value.get("id").cloned();
    let Some(cmd) = value.get("cmd").and_then(Value::as_str) else {
        return Err((
            id,
            Refusal::new(
                ErrorCode::UnknownCommand,
                format!(
                    "the frame has no \"cmd\" string: use one of {}",
                    COMMANDS.join(", ")
                ),
            ),
        ));
    };
    if !COMMANDS.contains(&cmd) {
        return Err((
            id,
            Refusal::new(
                ErrorCode::UnknownCommand,
                format!(
                    "no command called {:?}: use one of {}",
                    truncate(cmd),
                    COMMANDS.join(", ")
                ),
            ),
        ));
    }
    let cmd = cmd.to_owned();
    serde_json::from_value(value).map_err(|e| {
        (
            id,
            Refusal::new(
                ErrorCode::BadCommand,
                format!("{cmd}: {e} (see PROTOCOL.md for its fields)"),
            ),
        )
    })
}

impl Command {
    pub(crate) fn id(&self) -> Option<&Value> {
        match self {
            Self::Pause { id, .. }
            | Self::Resume { id, .. }
            | Self::Stop { id, .. }
            | Self::Remove { id, .. }
            | Self::Send { id, .. }
            | Self::Broadcast { id, .. }
            | Self::Shutdown { id, .. } => id.as_ref(),
        }
    }

    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Pause { .. } => "pause",
            Self::Resume { .. } => "resume",
            Self::Stop { .. } => "stop",
            Self::Remove { .. } => "remove",
            Self::Send { .. } => "send",
            Self::Broadcast { .. } => "broadcast",
            Self::Shutdown { .. } => "shutdown",
        }
    }
}

/// A client's text cut short for an error message.
pub(crate) fn truncate(text: &str) -> &str {
    const MAX: usize = 64;
    match text.char_indices().nth(MAX) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> ErrorCode {
        parse(text).unwrap_err().1.error
    }

    #[test]
    fn frames_are_read_or_refused_with_the_problem_named() {
        assert_eq!(
            parse(r#"{"cmd":"pause","worker":"w","id":3}"#).unwrap(),
            Command::Pause {
                id: Some(serde_json::json!(3)),
                worker: "w".into()
            }
        );
        assert_eq!(code("{not json"), ErrorCode::MalformedJson);
        assert_eq!(code(r#"{"cmd":"explode"}"#), ErrorCode::UnknownCommand);
        assert_eq!(code(r#"{"worker":"w"}"#), ErrorCode::UnknownCommand);
        assert_eq!(code(r#"[1,2]"#), ErrorCode::UnknownCommand);
        assert_eq!(code(r#"{"cmd":"pause"}"#), ErrorCode::BadCommand);
        assert_eq!(
            code(r#"{"cmd":"pause","worker":"w","extra":1}"#),
            ErrorCode::BadCommand
        );
        let (id, refusal) = parse(r#"{"cmd":"send","id":"a"}"#).unwrap_err();
        assert_eq!(id, Some(serde_json::json!("a")));
        assert!(refusal.message.contains("worker"), "{refusal}");
    }

    #[test]
    fn codes_serialize_as_their_names() {
        for code in [
            ErrorCode::BadToken,
            ErrorCode::FrameTooLarge,
            ErrorCode::ReadOnly,
        ] {
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                serde_json::json!(code.as_str())
            );
        }
    }
}
