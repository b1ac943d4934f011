//! The attach protocol and recordings, as the app reads them: the frames a
//! native program's server sends (`threadyard-serve`'s PROTOCOL.md) and the
//! JSON lines of a recording, which are the same frames. The snapshot and
//! the event page inside are the model's own types: one vocabulary for the
//! page's threads, a native program and a recording (the `vocabulary`
//! tests read frames the server crate made).

use serde::Deserialize;
use serde_json::Value;

use crate::model::{EventPage, EventView, Snapshot};

/// An event page as the server sends it: the model's, and how many events
/// the server's log had overwritten before this client read them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WirePage {
    pub events: Vec<EventView>,
    #[serde(default)]
    pub missed: f64,
    pub next: f64,
}

/// The protocol version this page speaks.
pub const PROTOCOL: u32 = 1;

/// What the server says it allows, from its hello.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ServerSettings {
    pub commands: bool,
    pub messages: bool,
    pub snapshot_interval_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum Frame {
    Hello {
        protocol: u32,
        settings: ServerSettings,
        from: f64,
    },
    Events {
        page: WirePage,
        #[serde(default)]
        more: bool,
    },
    Snapshot {
        snapshot: Snapshot,
        #[serde(default)]
        skipped: u64,
    },
    Ok {
        #[serde(default)]
        id: Option<Value>,
        cmd: String,
        #[serde(default)]
        result: Value,
    },
    Error {
        #[serde(default)]
        id: Option<Value>,
        error: String,
        message: String,
    },
    /// A recording's first line.
    #[serde(rename = "threadyard-recording")]
    Recording { protocol: u32 },
    /// A frame this page does not know (a newer server): ignored.
    #[serde(other)]
    Other,
}

impl Frame {
    pub fn read(text: &str) -> Result<Self, String> {
        serde_json::from_str(text).map_err(|e| format!("unreadable frame: {e}"))
    }
}

/// One refresh's worth: the events since the last, then a snapshot.
pub type Sample = (Snapshot, EventPage);

/// Gathers event pages until the snapshot that follows them: the pair
/// becomes one refresh, as the page's own threads give it. Keeps the
/// cursor (the `next` of the last page), which a reconnect resumes from.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pairing {
    pending: EventPage,
    /// Where the next connection starts: every event before it was taken.
    pub cursor: f64,
    /// Events the server's log had overwritten before they were read.
    pub missed: f64,
    /// Snapshots the server skipped (this client was slow).
    pub skipped: u64,
}

impl Pairing {
    /// Takes a frame in; a snapshot completes a sample.
    pub fn take(&mut self, frame: Frame) -> Option<Sample> {
        match frame {
            Frame::Events { page, .. } => {
                self.cursor = page.next;
                self.missed += page.missed;
                self.pending.next = page.next;
                self.pending.events.extend(page.events);
                None
            }
            Frame::Snapshot { snapshot, skipped } => {
                self.skipped += skipped;
                Some((snapshot, std::mem::take(&mut self.pending)))
            }
            _ => None,
        }
    }
}

/// Why a recording cannot be played: each says what is wrong and what to do.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordingError {
    #[error("not a threadyard recording: its first line is not {{\"type\": \"threadyard-recording\", ...}}; record one with `threadyard seed --record FILE` or the app's export")]
    NotARecording,
    #[error("this recording uses protocol {protocol}, newer than this page's {PROTOCOL}: open it with a newer app")]
    NewerProtocol { protocol: u32 },
    #[error("line {line}: {why}")]
    BadLine { line: usize, why: String },
    #[error("the recording has no snapshot: nothing to play")]
    NoSnapshot,
    /// A replay runs on the recorded clock, so it must never go back.
    #[error("line {line}: its snapshot is at {at_ms} ms, earlier than the one before it ({before_ms} ms): the recording's clock went back, or two recordings were joined into one file; split it where the clock goes back, or record it again")]
    ClockWentBack {
        line: usize,
        at_ms: f64,
        before_ms: f64,
    },
}

/// Reads a recording: its samples, in order of the recorded clock, or
/// what is wrong with it.
pub fn read_recording(text: &str) -> Result<Vec<Sample>, RecordingError> {
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    match lines.next().map(|(_, l)| Frame::read(l)) {
        Some(Ok(Frame::Recording { protocol })) if protocol <= PROTOCOL => {}
        Some(Ok(Frame::Recording { protocol })) => {
            return Err(RecordingError::NewerProtocol { protocol })
        }
        _ => return Err(RecordingError::NotARecording),
    }
    let mut pairing = Pairing::default();
    let mut samples: Vec<Sample> = Vec::new();
    for (n, line) in lines {
        let frame =
            Frame::read(line).map_err(|why| RecordingError::BadLine { line: n + 1, why })?;
        if let Some(sample) = pairing.take(frame) {
            // Checked here, where the line is known: the replay's span and
            // its search by time both rely on the order.
            if let Some((before, _)) = samples.last() {
                if sample.0.at_ms < before.at_ms {
                    return Err(RecordingError::ClockWentBack {
                        line: n + 1,
                        at_ms: sample.0.at_ms,
                        before_ms: before.at_ms,
                    });
                }
            }
            samples.push(sample);
        }
    }
    if samples.is_empty() {
        return Err(RecordingError::NoSnapshot);
    }
    Ok(samples)
}

/// Checks an attach link: `ws://host:port/?token=...` (or `wss://`).
pub fn check_link(text: &str) -> Result<String, String> {
    let link = text.trim();
    if !(link.starts_with("ws://") || link.starts_with("wss://")) {
        return Err(format!(
            "{:?} is not an attach link: paste the `ws://...?token=...` link the program printed",
            cut(link)
        ));
    }
    if !link.contains("token=") {
        return Err(
            "the link has no token: paste the whole link the program printed, with its `?token=...`"
                .to_owned(),
        );
    }
    Ok(link.to_owned())
}

/// The link with the cursor to resume from.
pub fn resume_link(link: &str, cursor: f64) -> String {
    // A link pasted with a `from` of its own starts there only the first time.
    let base: String = link
        .split('&')
        .filter(|part| !part.starts_with("from="))
        .collect::<Vec<_>>()
        .join("&");
    if cursor > 0.0 {
        format!("{base}&from={cursor}")
    } else {
        base
    }
}

/// How long to wait before reconnect attempt `attempt` (from 0): doubling
/// from half a second, at most 8 s.
pub fn backoff_ms(attempt: u32) -> u32 {
    500_u32.saturating_mul(1 << attempt.min(4)).min(8_000)
}

fn cut(text: &str) -> &str {
    match text.char_indices().nth(80) {
        Some((at, _)) => &text[..at],
        None => text,
    }
}

/// Where a replay is: the samples shown so far, by the recorded clock.
#[derive(Debug, Clone)]
pub struct Replay {
    pub samples: std::rc::Rc<Vec<Sample>>,
    /// Samples applied so far.
    pub shown: usize,
}

/// The same recording (by identity: comparing thousands of samples on
/// every render would cost more than the render), at the same place.
impl PartialEq for Replay {
    fn eq(&self, other: &Self) -> bool {
        std::rc::Rc::ptr_eq(&self.samples, &other.samples) && self.shown == other.shown
    }
}

impl Replay {
    pub fn new(samples: Vec<Sample>) -> Self {
        Self {
            samples: std::rc::Rc::new(samples),
            shown: 0,
        }
    }

    /// The recorded clock's first and last moments (ms), first <= last
    /// even for samples out of order (`read_recording` refuses those, but
    /// a replay must not trust its caller): the earliest and the latest.
    pub fn span(&self) -> (f64, f64) {
        let mut times = self.samples.iter().map(|s| s.0.at_ms);
        let first = times.next().unwrap_or(0.0);
        times.fold((first, first), |(lo, hi), at| (lo.min(at), hi.max(at)))
    }

    /// How many samples are at or before `at_ms`.
    pub fn count_until(&self, at_ms: f64) -> usize {
        self.samples.partition_point(|s| s.0.at_ms <= at_ms)
    }

    pub fn finished(&self) -> bool {
        self.shown >= self.samples.len()
    }
}

/// A recording's first line.
pub fn recording_header() -> String {
    format!(
        "{{\"type\":\"threadyard-recording\",\"protocol\":{PROTOCOL},\"by\":\"the threadyard app\"}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_checked_and_resume_from_the_cursor() {
        assert!(check_link("http://x")
            .unwrap_err()
            .contains("not an attach link"));
        assert!(check_link("ws://127.0.0.1:1/")
            .unwrap_err()
            .contains("no token"));
        let link = check_link(" ws://127.0.0.1:1/?token=ab ").unwrap();
        assert_eq!(resume_link(&link, 0.0), "ws://127.0.0.1:1/?token=ab");
        assert_eq!(
            resume_link(&link, 12.0),
            "ws://127.0.0.1:1/?token=ab&from=12"
        );
        assert_eq!(
            resume_link("ws://h/?token=ab&from=3", 40.0),
            "ws://h/?token=ab&from=40"
        );
    }

    #[test]
    fn backoff_doubles_up_to_eight_seconds() {
        let waits: Vec<u32> = (0..7).map(backoff_ms).collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000, 8000]);
    }

    /// A recording whose clock goes back (a clock that went back, or a
    /// long recording with a short one appended) is refused on open with
    /// the line and the times: the replay's clamp needs first <= last, and
    /// its search by time needs them in order.
    #[test]
    fn a_recording_whose_clock_goes_back_is_refused_with_the_line_and_times() {
        let snapshot = |at: f64| {
            format!(
                "{{\"type\":\"snapshot\",\"skipped\":0,\"snapshot\":{{\"at_ms\":{at},\"workers\":[],\"live_threads\":0,\"capacity\":null,\"shut_down\":false}}}}"
            )
        };
        let header = "{\"type\":\"threadyard-recording\",\"protocol\":1}";
        let good = [
            header.to_owned(),
            snapshot(100.0),
            snapshot(100.0),
            snapshot(200.0),
        ]
        .join("\n");
        assert_eq!(read_recording(&good).map(|s| s.len()), Ok(3));
        // A long run with a short one appended: the first is later than the last.
        let joined = [
            header.to_owned(),
            snapshot(5_000.0),
            snapshot(9_000.0),
            header.to_owned(),
            snapshot(10.0),
        ]
        .join("\n");
        let error = read_recording(&joined).unwrap_err();
        assert_eq!(
            error,
            RecordingError::ClockWentBack {
                line: 5,
                at_ms: 10.0,
                before_ms: 9_000.0
            }
        );
        let told = error.to_string();
        assert!(told.contains("line 5") && told.contains("9000"), "{told}");
        assert!(told.contains("record it again"), "says what to do: {told}");
    }

    #[test]
    fn a_recording_that_is_not_one_is_refused_with_the_reason() {
        assert!(read_recording("")
            .unwrap_err()
            .to_string()
            .contains("not a threadyard recording"));
        assert!(
            read_recording("{\"type\":\"threadyard-recording\",\"protocol\":99}")
                .unwrap_err()
                .to_string()
                .contains("newer")
        );
        assert!(
            read_recording("{\"type\":\"threadyard-recording\",\"protocol\":1}\nnot json")
                .unwrap_err()
                .to_string()
                .starts_with("line 2")
        );
        assert!(
            read_recording("{\"type\":\"threadyard-recording\",\"protocol\":1}\n")
                .unwrap_err()
                .to_string()
                .contains("no snapshot")
        );
    }
}
