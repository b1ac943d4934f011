//! Recording a run: the same frames a client gets (events pages and
//! snapshots), one JSON document per line, after a first line that says
//! what the file is. The app opens such a file and plays it back; its own
//! export writes the same format.

use std::io::{self, Write};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, Weak};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use threadyard::Yard;

use crate::protocol::{frame, EVENTS_PER_PAGE, PROTOCOL_VERSION};
use crate::server::lock;

/// The first line's `type`.
pub const RECORDING_TYPE: &str = "threadyard-recording";

/// Takes the final sample, if the manager is still there.
type FinalSample = Box<dyn Fn(&mut Recorder) -> io::Result<()> + Send>;

/// A recording in progress. [`finish`](Self::finish) writes the last
/// events and a final snapshot and says whether everything was written;
/// dropping it does the same, quietly.
#[must_use = "dropping the recording ends it"]
pub struct Recording {
    stop: Option<Sender<()>>,
    thread: Option<JoinHandle<io::Result<()>>>,
    state: Arc<Mutex<Recorder>>,
    /// The final sample, if the manager is still there.
    last: FinalSample,
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording").finish_non_exhaustive()
    }
}

/// The writer, the manager and the cursor, shared with the thread.
struct Recorder {
    out: Box<dyn Write + Send>,
    cursor: u64,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("cursor", &self.cursor)
            .finish()
    }
}

impl Recorder {
    /// New events (all of them, page by page), then a snapshot.
    fn sample<T: Send + 'static>(&mut self, yard: &Yard<T>) -> io::Result<()> {
        loop {
            let page = yard.events_page(self.cursor, EVENTS_PER_PAGE);
            if page.events.is_empty() && page.missed == 0 {
                break;
            }
            let more = page.events.len() == EVENTS_PER_PAGE;
            self.cursor = page.next;
            writeln!(self.out, "{}", frame::events(&page, more))?;
            if !more {
                break;
            }
        }
        let body = frame::snapshot_body(&yard.snapshot());
        writeln!(self.out, "{}", frame::snapshot(&body, 0))?;
        self.out.flush()
    }
}

/// Records `yard` to `out` on a background thread: a header line, then
/// every `every` the new events and a snapshot. Holds the manager weakly;
/// once it is dropped, the recording stops taking samples.
pub fn record<T: Send + 'static>(
    yard: &Arc<Yard<T>>,
    out: impl Write + Send + 'static,
    every: Duration,
) -> io::Result<Recording> {
    let every = every.clamp(Duration::from_millis(10), Duration::from_secs(60));
    let mut recorder = Recorder {
        out: Box::new(out),
        cursor: 0,
    };
    writeln!(
        recorder.out,
        "{}",
        serde_json::json!({
            "type": RECORDING_TYPE,
            "protocol": PROTOCOL_VERSION,
            "interval_ms": every.as_secs_f64() * 1e3,
            "by": concat!("threadyard-serve ", env!("CARGO_PKG_VERSION")),
        })
    )?;
    let state = Arc::new(Mutex::new(recorder));
    let weak: Weak<Yard<T>> = Arc::downgrade(yard);
    let weak_last = Weak::clone(&weak);
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = {
        let state = Arc::clone(&state);
        thread::Builder::new()
            .name("threadyard-record".into())
            .spawn(move || loop {
                match stopped.recv_timeout(every) {
                    Err(RecvTimeoutError::Timeout) => {}
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return Ok(()),
                }
                let Some(yard) = weak.upgrade() else {
                    return Ok(());
                };
                lock(&state).sample(&yard)?;
            })?
    };
    let last = Box::new(move |state: &mut Recorder| match weak_last.upgrade() {
        Some(yard) => state.sample(&yard),
        None => Ok(()),
    });
    Ok(Recording {
        stop: Some(stop),
        thread: Some(thread),
        state,
        last,
    })
}

impl Recording {
    /// Ends the recording: the sampling thread stops, the events since
    /// its last sample and a final snapshot are written. Any write error
    /// of the whole recording is returned here.
    pub fn finish(mut self) -> io::Result<()> {
        self.end()
    }

    fn end(&mut self) -> io::Result<()> {
        drop(self.stop.take());
        let sampled = match self.thread.take() {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|_| Err(io::Error::other("the recording thread panicked"))),
            None => return Ok(()),
        };
        sampled?;
        (self.last)(&mut lock(&self.state))
    }
}

impl Drop for Recording {
    fn drop(&mut self) {
        if let Err(error) = self.end() {
            tracing::warn!(%error, "the recording could not be written to the end");
        }
    }
}
