//! Where the page's figures come from: the page's own threads, a native
//! program it is attached to, or a recording it plays back. The same table,
//! timeline, chart and narration show all three; what a source cannot do
//! is said, with the reason, where the control would be.

use crate::wire::{Replay, ServerSettings};

/// Speeds a replay plays at.
pub const REPLAY_SPEEDS: [f64; 7] = [0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0];

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// The page's own threads (the default).
    Page,
    /// A native program, through its server.
    Attached(Attached),
    /// A recording, played back.
    Replay(Playback),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attached {
    pub link: String,
    pub conn: Conn,
    /// From the server's hello.
    pub settings: Option<ServerSettings>,
    /// Events the server's log had overwritten before the page read them.
    pub missed: f64,
    /// Snapshots the server skipped because the page was slow.
    pub skipped: u64,
}

/// The connection to a native program.
#[derive(Debug, Clone, PartialEq)]
pub enum Conn {
    Connecting {
        attempt: u32,
    },
    Connected,
    /// Dropped (or refused); another attempt follows after `retry_ms`.
    Disconnected {
        why: String,
        attempt: u32,
        retry_ms: u32,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Playback {
    pub name: String,
    pub replay: Replay,
    /// The recorded time shown now (ms of the recorded manager's clock).
    pub clock_ms: f64,
    pub playing: bool,
    pub speed: f64,
}

impl Source {
    pub fn is_page(&self) -> bool {
        matches!(self, Self::Page)
    }

    /// Why workloads cannot be spawned here, if they cannot.
    pub fn spawn_refusal(&self) -> Option<String> {
        match self {
            Self::Page => None,
            Self::Attached(_) => Some(
                "Spawning workloads is not available while attached: the native program makes its own workers. Switch to \"This page's threads\" to spawn here.".into(),
            ),
            Self::Replay(_) => Some("Spawning is not available in a replay: a recording only shows what happened.".into()),
        }
    }

    /// Why commands (pause, resume, stop, remove, shutdown) cannot be
    /// given here, if they cannot.
    pub fn command_refusal(&self) -> Option<String> {
        match self {
            Self::Page => None,
            Self::Attached(a) => match (&a.conn, &a.settings) {
                (Conn::Connected, Some(s)) if s.commands => None,
                (Conn::Connected, Some(_)) => Some(
                    "Commands are not available: the program serves read-only (it did not allow commands).".into(),
                ),
                _ => Some("Commands are not available: not connected to the program.".into()),
            },
            Self::Replay(_) => Some("Commands are not available in a replay: a recording only shows what happened.".into()),
        }
    }

    /// Why the trace and the snapshot cannot be exported here, if they
    /// cannot: both are made by the page's own manager.
    pub fn export_refusal(&self) -> Option<String> {
        match self {
            Self::Page => None,
            Self::Attached(_) => Some(
                "Trace and snapshot export are for this page's own threads: save this session with \"Save as recording\" above.".into(),
            ),
            Self::Replay(_) => Some(
                "Trace and snapshot export are for this page's own threads: a replay is already a saved file.".into(),
            ),
        }
    }

    /// Why the session cannot be saved as a recording here, if it cannot.
    pub fn save_refusal(&self) -> Option<String> {
        match self {
            Self::Replay(_) => Some(
                "Save as recording is unavailable in a replay: it is a recording already, the file you opened.".into(),
            ),
            _ => None,
        }
    }

    /// Why messages (send, broadcast) cannot be sent here, if they cannot.
    pub fn message_refusal(&self) -> Option<String> {
        if let Some(why) = self.command_refusal() {
            return Some(why);
        }
        match self {
            Self::Attached(Attached {
                settings: Some(s), ..
            }) if !s.messages => Some(
                "Messages are not available: the program's server has no decoder for its message type.".into(),
            ),
            _ => None,
        }
    }
}

impl Conn {
    /// The state in words, as the page shows it.
    pub fn describe(&self) -> String {
        match self {
            Self::Connecting { attempt: 0 } => "connecting…".into(),
            Self::Connecting { attempt } => format!("reconnecting (attempt {})…", attempt + 1),
            Self::Connected => "connected".into(),
            Self::Disconnected { why, retry_ms, .. } => format!(
                "disconnected: {why}; trying again in {:.1} s",
                f64::from(*retry_ms) / 1e3
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attached(conn: Conn, commands: bool, messages: bool) -> Source {
        Source::Attached(Attached {
            link: "ws://h/?token=t".into(),
            conn,
            settings: Some(ServerSettings {
                commands,
                messages,
                snapshot_interval_ms: 100.0,
            }),
            missed: 0.0,
            skipped: 0,
        })
    }

    #[test]
    fn each_source_says_what_it_cannot_do_and_why() {
        assert_eq!(Source::Page.spawn_refusal(), None);
        assert_eq!(Source::Page.command_refusal(), None);
        let live = attached(Conn::Connected, true, true);
        assert!(live
            .spawn_refusal()
            .unwrap()
            .contains("makes its own workers"));
        assert_eq!(live.command_refusal(), None);
        assert_eq!(live.message_refusal(), None);
        let read_only = attached(Conn::Connected, false, true);
        assert!(read_only.command_refusal().unwrap().contains("read-only"));
        let no_decoder = attached(Conn::Connected, true, false);
        assert!(no_decoder.message_refusal().unwrap().contains("decoder"));
        let dropped = attached(
            Conn::Disconnected {
                why: "the program went away".into(),
                attempt: 1,
                retry_ms: 1000,
            },
            true,
            true,
        );
        assert!(dropped.command_refusal().unwrap().contains("not connected"));
        assert_eq!(Source::Page.export_refusal(), None);
        assert_eq!(Source::Page.save_refusal(), None);
        assert_eq!(live.save_refusal(), None);
        assert!(live.export_refusal().unwrap().contains("Save as recording"));
    }

    #[test]
    fn the_connection_is_told_in_words() {
        assert_eq!(Conn::Connected.describe(), "connected");
        assert_eq!(
            Conn::Disconnected {
                why: "closed".into(),
                attempt: 0,
                retry_ms: 500
            }
            .describe(),
            "disconnected: closed; trying again in 0.5 s"
        );
        assert_eq!(
            Conn::Connecting { attempt: 2 }.describe(),
            "reconnecting (attempt 3)…"
        );
    }
}
