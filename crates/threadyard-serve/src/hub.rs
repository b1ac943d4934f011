//! The sampler: at every tick it takes one snapshot of the manager and
//! offers each client its new events and that snapshot, without ever
//! waiting for a client. A client whose queue is full is skipped for this
//! tick: its skipped snapshots are counted and told in the next one it
//! gets, and its events stay in the manager's log, from its own cursor,
//! until it has room (or, if the log overwrote them meanwhile, the page's
//! `missed` says how many).

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use threadyard::Yard;
use tungstenite::Utf8Bytes;

use crate::protocol::{frame, ErrorCode, Refusal, EVENTS_PER_PAGE};
use crate::server::{lock, Shared};

/// Most pages of events one client is offered per tick (a client catching
/// up on a long log gets up to this many thousand events a tick).
const PAGES_PER_TICK: usize = 8;

/// What a connection's writer sends.
#[derive(Debug)]
pub(crate) enum Out {
    /// A JSON frame (shared between clients: a clone is a count).
    Text(Utf8Bytes),
    /// Bytes the connection's reader wrote (pong and close replies),
    /// already framed.
    Raw(Vec<u8>),
    /// Close the connection with this code and reason.
    Close(u16, String),
    /// End the connection after what was queued before (the reader has
    /// already queued its close frame).
    End,
}

/// A client the hub feeds.
#[derive(Debug)]
pub(crate) struct Client {
    pub(crate) id: u64,
    pub(crate) queue: SyncSender<Out>,
    /// The next event position to send it.
    pub(crate) cursor: u64,
    /// Snapshots it missed since the last it got.
    pub(crate) skipped: u64,
}

pub(crate) fn run<T: Send + 'static>(shared: &Shared<T>, stop: &Receiver<()>, every: Duration) {
    // Ticks keep to a schedule rather than waiting `every` after each
    // tick's work: waiting after the work made the rate 1 / (every + work),
    // and a snapshot of 1,000 workers sent to two clients took long enough
    // on a loaded machine that a client asking for 10 a second got 9.
    let mut next = Instant::now();
    loop {
        next += every;
        let now = Instant::now();
        if now.saturating_duration_since(next) > every {
            // More than a tick behind (a stalled machine): start the
            // schedule again from now rather than making up in a burst.
            next = now;
        }
        match stop.recv_timeout(next.saturating_duration_since(now)) {
            Err(RecvTimeoutError::Timeout) => {}
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
        }
        if shared.stopping.load(Ordering::Acquire) {
            return;
        }
        let Some(yard) = shared.yard.upgrade() else {
            gone(shared);
            return;
        };
        tick(&yard, shared);
        // If the caller dropped their handles meanwhile, this drop shuts the
        // manager down, here, with no lock of the server's held.
        drop(yard);
    }
}

/// One round: every client offered its events, then the snapshot.
fn tick<T: Send + 'static>(yard: &Yard<T>, shared: &Shared<T>) {
    let mut clients = lock(&shared.clients);
    if clients.is_empty() {
        return;
    }
    let snapshot = frame::snapshot_body(&yard.snapshot());
    let shared_snapshot = Utf8Bytes::from(frame::snapshot(&snapshot, 0));
    // Clients at the same position share one page, read and serialized once.
    let mut pages: HashMap<u64, Page> = HashMap::new();
    clients.retain_mut(|client| {
        for _ in 0..PAGES_PER_TICK {
            let page = pages
                .entry(client.cursor)
                .or_insert_with(|| Page::read(yard, client.cursor));
            let Some(text) = &page.text else { break };
            match client.queue.try_send(Out::Text(text.clone())) {
                Ok(()) => {
                    client.cursor = page.next;
                    if !page.more {
                        break;
                    }
                }
                // Stalled: its events wait in the log, at its cursor.
                Err(TrySendError::Full(_)) => break,
                Err(TrySendError::Disconnected(_)) => return false,
            }
        }
        let frame = if client.skipped == 0 {
            shared_snapshot.clone()
        } else {
            Utf8Bytes::from(frame::snapshot(&snapshot, client.skipped))
        };
        match client.queue.try_send(Out::Text(frame)) {
            Ok(()) => client.skipped = 0,
            Err(TrySendError::Full(_)) => client.skipped += 1,
            Err(TrySendError::Disconnected(_)) => return false,
        }
        true
    });
}

/// A page of events from one position, as a frame.
struct Page {
    /// `None` when there is nothing new (and nothing missed).
    text: Option<Utf8Bytes>,
    next: u64,
    more: bool,
}

impl Page {
    fn read<T: Send + 'static>(yard: &Yard<T>, from: u64) -> Self {
        let page = yard.events_page(from, EVENTS_PER_PAGE);
        let more = page.events.len() == EVENTS_PER_PAGE;
        let text = (!page.events.is_empty() || page.missed > 0)
            .then(|| Utf8Bytes::from(frame::events(&page, more)));
        Self {
            text,
            next: page.next,
            more,
        }
    }
}

/// The manager was dropped: every client is told, then closed.
fn gone<T: Send + 'static>(shared: &Shared<T>) {
    let refusal = Refusal::new(
        ErrorCode::ManagerGone,
        "the program dropped the manager this server watched: there is nothing more to see",
    );
    let text = Utf8Bytes::from(frame::error(None, &refusal));
    for client in lock(&shared.clients).drain(..) {
        let _ = client.queue.try_send(Out::Text(text.clone()));
        let _ = client
            .queue
            .try_send(Out::Close(1001, "manager gone".into()));
    }
}
