//! The sampler: at every tick it takes one snapshot of the manager and
//! offers each client its new events and that snapshot, without ever
//! waiting for a client. A client whose queue is full is skipped for this
//! tick: its skipped snapshots are counted and told in the next one it
//! gets, and its events stay in the manager's log, from its own cursor,
//! until it has room (or, if the log overwrote them meanwhile, the page's
//! `missed` says how many).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
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
    /// How many frames its writer has taken from the queue (see [`Outbox`]).
    taken: Arc<AtomicU64>,
    /// `taken` as it was when the queue was last found full: while the
    /// writer has taken nothing since, the queue is still full, and the
    /// hub builds nothing for this client.
    full_at: Option<u64>,
    /// Frames built or offered for this client (pages read at its cursor,
    /// snapshots offered): the work a tick does for it, which the tests count.
    pub(crate) work: u64,
}

impl Client {
    pub(crate) fn new(id: u64, queue: SyncSender<Out>, cursor: u64, outbox: &Outbox) -> Self {
        Self {
            id,
            queue,
            cursor,
            skipped: 0,
            taken: Arc::clone(&outbox.taken),
            full_at: None,
            work: 0,
        }
    }
}

/// A client's bounded queue: its sending side, and the writer's side.
pub(crate) fn queue(frames: usize) -> (SyncSender<Out>, Outbox) {
    let (queue, rx) = mpsc::sync_channel(frames);
    let outbox = Outbox {
        rx,
        taken: Arc::default(),
    };
    (queue, outbox)
}

/// The writer's side of a client's queue. It counts every frame taken, so
/// that the hub, having found the queue full, knows without trying again
/// (without reading the log or building a frame) whether it has room yet.
#[derive(Debug)]
pub(crate) struct Outbox {
    rx: Receiver<Out>,
    taken: Arc<AtomicU64>,
}

impl Iterator for Outbox {
    type Item = Out;

    fn next(&mut self) -> Option<Out> {
        let out = self.rx.recv().ok()?;
        self.taken.fetch_add(1, Ordering::Release);
        Some(out)
    }
}

impl Drop for Outbox {
    // A writer that ends changes the count too: the hub then offers the
    // client a frame again, finds the queue closed, and forgets it.
    fn drop(&mut self) {
        self.taken.fetch_add(1, Ordering::Release);
    }
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
        tick(&yard, &mut lock(&shared.clients));
        // If the caller dropped their handles meanwhile, this drop shuts the
        // manager down, here, with no lock of the server's held.
        drop(yard);
    }
}

/// One round: every client offered its events, then the snapshot. A
/// client whose queue was full and whose writer has taken nothing since is
/// not offered anything (its snapshot is counted as skipped): its queue is
/// still full, and reading its backlog and building frames only to drop
/// them cost each stalled client a share of a core. The snapshot is taken
/// only if some client has room.
fn tick<T: Send + 'static>(yard: &Yard<T>, clients: &mut Vec<Client>) {
    if clients.is_empty() {
        return;
    }
    let mut snapshot = None;
    // Clients at the same position share one page, read and serialized once.
    let mut pages: HashMap<u64, Page> = HashMap::new();
    clients.retain_mut(|client| {
        // Read before offering anything: a frame the writer takes after
        // this makes the next tick try again, so a client is never left
        // waiting with room in its queue.
        let taken = client.taken.load(Ordering::Acquire);
        if client.full_at == Some(taken) {
            client.skipped += 1;
            return true;
        }
        client.full_at = None;
        for _ in 0..PAGES_PER_TICK {
            client.work += 1;
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
                // Stalled: its events wait in the log, at its cursor, and
                // there is no room for the snapshot either.
                Err(TrySendError::Full(_)) => {
                    client.full_at = Some(taken);
                    client.skipped += 1;
                    return true;
                }
                Err(TrySendError::Disconnected(_)) => return false,
            }
        }
        client.work += 1;
        let (body, shared) = snapshot.get_or_insert_with(|| {
            let body = frame::snapshot_body(&yard.snapshot());
            let shared = Utf8Bytes::from(frame::snapshot(&body, 0));
            (body, shared)
        });
        let frame = if client.skipped == 0 {
            shared.clone()
        } else {
            Utf8Bytes::from(frame::snapshot(body, client.skipped))
        };
        match client.queue.try_send(Out::Text(frame)) {
            Ok(()) => client.skipped = 0,
            Err(TrySendError::Full(_)) => {
                client.full_at = Some(taken);
                client.skipped += 1;
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every event position in the frames, in order.
    fn seqs(frames: &[Out]) -> Vec<u64> {
        frames
            .iter()
            .filter_map(|out| match out {
                Out::Text(text) => serde_json::from_str::<serde_json::Value>(text).ok(),
                _ => None,
            })
            .filter(|frame| frame["type"] == "events")
            .flat_map(|frame| {
                frame["page"]["events"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .map(|event| event["seq"].as_u64().expect("a seq"))
            .collect()
    }

    /// A stalled client (its writer takes nothing: the socket is not
    /// writable) costs the hub nothing: no page read at its cursor, no
    /// frame built, however many ticks and events go by; its skipped
    /// snapshots are still counted. Once its writer takes again, it gets
    /// every event from its cursor, none lost or repeated. (Each tick used
    /// to read and serialize its backlog only to find the queue full.)
    #[test]
    fn a_stalled_client_costs_nothing_until_it_reads_again() {
        let yard = Yard::<String>::new();
        let (queue, mut outbox) = queue(4);
        let mut clients = vec![Client::new(1, queue, 0, &outbox)];
        let mut spawned = 0;
        let mut spawn = |yard: &Yard<String>| {
            yard.spawn(&format!("w{spawned}"), |_w| Ok(()))
                .expect("spawned");
            spawned += 1;
        };
        // Fill its queue: nobody takes.
        for _ in 0..4 {
            spawn(&yard);
            tick(&yard, &mut clients);
        }
        let work = clients[0].work;
        let skipped = clients[0].skipped;
        for _ in 0..50 {
            spawn(&yard);
            tick(&yard, &mut clients);
        }
        assert_eq!(clients[0].work, work, "no work for a stalled client");
        assert_eq!(
            clients[0].skipped,
            skipped + 50,
            "its snapshots are counted"
        );
        // It reads again: the four frames waiting, then what the next ticks offer.
        let mut got: Vec<Out> = outbox.by_ref().take(4).collect();
        let log_next = yard.events_since(0).next;
        for _ in 0..PAGES_PER_TICK {
            tick(&yard, &mut clients);
            while let Ok(out) = outbox.rx.try_recv() {
                got.push(out);
            }
            if clients[0].cursor >= log_next {
                break;
            }
        }
        assert!(clients[0].work > work, "served again");
        assert_eq!(
            seqs(&got),
            (0..log_next).collect::<Vec<_>>(),
            "every event once, in order"
        );
        yard.shutdown(Duration::from_secs(30));
    }
}
