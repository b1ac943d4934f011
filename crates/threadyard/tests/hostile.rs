//! The promises of GUARANTEES.md and README.md's "What it guarantees", tried
//! by a hostile caller with native threads: code of the caller's that calls
//! back into the manager from every place the core runs it, `Drop`s that
//! panic or block, shutdowns from inside workers, and races of remove, send,
//! stop, start and shutdown.
//!
//! Every attack runs under a watchdog ([`watched`]): a deadlock fails the
//! test at the deadline instead of hanging the run, and message values are
//! counted in a ledger, so a leak or a double drop fails too.
//!
//! Written by a reviewer whose job was to break those promises: 19 of these
//! attacks broke them when they were written (issue 12), and several doc
//! comments below still tell how. Each now holds, and stays here as a guard.

#![cfg(not(target_arch = "wasm32"))]

use std::cell::Cell;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Barrier, Mutex, OnceLock, Weak};
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use threadyard::platform::{Job, Spawn};
use threadyard::{
    ControlError, RestartPolicy, SendError, ShutdownReport, SpawnError, TaskError, WorkerOptions,
    WorkerState, Yard,
};

/// Long enough for any event on a loaded 2-core machine; reached only when
/// an attack hangs.
const LONG: Duration = Duration::from_secs(30);

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// Runs `attack` on a thread of its own and returns what it returned; a
/// panic in it is the test's; no answer within [`LONG`] fails the test (the
/// attack's thread is left behind, blocked).
fn watched<R: Send + 'static>(what: &str, attack: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = mpsc::channel();
    thread::Builder::new()
        .name(format!("attack: {what}"))
        .spawn(move || {
            let _ = tx.send(panic::catch_unwind(AssertUnwindSafe(attack)));
        })
        .unwrap();
    match rx.recv_timeout(LONG) {
        Ok(Ok(value)) => value,
        Ok(Err(payload)) => panic::resume_unwind(payload),
        Err(_) => panic!("{what}: no answer within {LONG:?}: a deadlock or a hang"),
    }
}

fn next<T>(rx: &Receiver<T>, what: &str) -> T {
    rx.recv_timeout(LONG)
        .unwrap_or_else(|e| panic!("{what}: nothing within {LONG:?} ({e})"))
}

/// Every message value ever made, and how many times each was dropped:
/// exactly once is right, 0 is a leak (or a value still held), 2 a double
/// drop.
#[derive(Default)]
struct Ledger {
    drops: Mutex<Vec<u32>>,
}

impl Ledger {
    fn make(&self) -> usize {
        let mut drops = self.drops.lock().unwrap();
        drops.push(0);
        drops.len() - 1
    }
    fn dropped(&self, id: usize) {
        self.drops.lock().unwrap()[id] += 1;
    }
    /// (values made, values still alive, values dropped more than once)
    fn tally(&self) -> (usize, usize, usize) {
        let drops = self.drops.lock().unwrap();
        let live = drops.iter().filter(|&&d| d == 0).count();
        let double = drops.iter().filter(|&&d| d > 1).count();
        (drops.len(), live, double)
    }
    fn live(&self) -> usize {
        self.tally().1
    }
    fn assert_all_dropped_once(&self, when: &str) {
        let (made, live, double) = self.tally();
        assert_eq!(
            (live, double),
            (0, 0),
            "{when}: of {made} message values, {live} still alive and {double} dropped twice"
        );
    }
}

/// A message whose every value (clones included) is counted in a ledger.
struct Msg {
    id: usize,
    ledger: Arc<Ledger>,
}

impl Msg {
    fn new(ledger: &Arc<Ledger>) -> Self {
        Self {
            id: ledger.make(),
            ledger: Arc::clone(ledger),
        }
    }
}

impl Clone for Msg {
    fn clone(&self) -> Self {
        Self::new(&self.ledger)
    }
}

impl Drop for Msg {
    fn drop(&mut self) {
        self.ledger.dropped(self.id);
    }
}

/// One `tracing` event as the hook sees it.
#[derive(Debug, Clone, Default)]
struct Line {
    message: String,
    worker: Option<String>,
}

type HookFn = dyn Fn(&Line) + Send + Sync + 'static;

thread_local! {
    /// Set while a hook runs on this thread: a hook's own calls log too, and
    /// are not fed back into it.
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

/// A `tracing` subscriber that runs the caller's closure on every event.
struct Hook(Arc<HookFn>);

impl Hook {
    fn new(f: impl Fn(&Line) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }
}

impl tracing::Subscriber for Hook {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        struct Visit<'a>(&'a mut Line);
        impl tracing::field::Visit for Visit<'_> {
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                let text = format!("{value:?}");
                match field.name() {
                    "message" => self.0.message = text,
                    "worker" => self.0.worker = Some(text),
                    _ => {}
                }
            }
        }
        if IN_HOOK.with(Cell::get) {
            return;
        }
        let mut line = Line::default();
        event.record(&mut Visit(&mut line));
        IN_HOOK.with(|h| h.set(true));
        struct Reset;
        impl Drop for Reset {
            fn drop(&mut self) {
                IN_HOOK.with(|h| h.set(false));
            }
        }
        let _reset = Reset;
        (self.0)(&line);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// A spawner standing for a thread pool that must survive its jobs (rayon
/// aborts when a job unwinds): each job runs on a named thread under an
/// optional subscriber, and a job that unwinds is counted.
#[derive(Clone, Default)]
struct PoolLike {
    hook: Option<Arc<HookFn>>,
    /// Told, at each job's end, whether it unwound.
    ends: Option<Arc<Mutex<Sender<bool>>>>,
}

impl PoolLike {
    fn with_hook(f: impl Fn(&Line) + Send + Sync + 'static) -> Self {
        Self {
            hook: Some(Arc::new(f)),
            ..Self::default()
        }
    }

    /// A pool that says when each job has ended, and whether it unwound.
    fn telling() -> (Self, Receiver<bool>) {
        Self::default().telling_too()
    }

    fn telling_too(mut self) -> (Self, Receiver<bool>) {
        let (tx, rx) = mpsc::channel();
        self.ends = Some(Arc::new(Mutex::new(tx)));
        (self, rx)
    }

    /// Waits for `jobs` job ends; none may have unwound.
    fn assert_none_unwound(ends: &Receiver<bool>, jobs: usize) {
        for _ in 0..jobs {
            assert!(
                !next(ends, "a job's end"),
                "a job unwound out of its pool thread"
            );
        }
    }
}

impl Spawn for PoolLike {
    fn spawn(&self, name: &str, job: Job) -> std::io::Result<()> {
        let hook = self.hook.clone();
        let ends = self.ends.clone();
        thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let run = AssertUnwindSafe(move || match hook {
                    Some(hook) => tracing::subscriber::with_default(Hook(hook), job),
                    None => job(),
                });
                let failed = panic::catch_unwind(run).is_err();
                if let Some(ends) = ends {
                    let _ = ends.lock().unwrap().send(failed);
                }
            })
            .map(drop)
    }
}

/// The manager, for hooks and spawners made before it exists.
type Later<T> = Arc<OnceLock<Weak<Yard<T>>>>;

fn later<T: Send + 'static>(cell: &Later<T>) -> Option<Arc<Yard<T>>> {
    cell.get().and_then(Weak::upgrade)
}

/// Polls `future` to completion on this thread, parking between wakeups.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        thread::park();
    }
}

/// A task that receives until it is asked to stop.
fn receiver<T: Send + 'static>(w: &threadyard::Worker<T>) -> Result<(), TaskError> {
    loop {
        w.recv()?;
    }
}

fn ids(report: &ShutdownReport) -> (Vec<&str>, Vec<&str>, Vec<&str>) {
    (
        report.clean.iter().map(|id| id.as_str()).collect(),
        report.failed.iter().map(|f| f.id.as_str()).collect(),
        report.unresponsive.iter().map(|id| id.as_str()).collect(),
    )
}

// ---------------------------------------------------------------------------
// Calling back into the manager from every place the core runs user code
// ---------------------------------------------------------------------------

/// A capture of the task whose `Drop` (on the worker's thread, at its end)
/// shuts the manager down with no deadline at all: the call must not wait for
/// the worker it runs on.
#[test]
fn a_capture_dropped_at_the_worker_end_may_shut_down_with_no_deadline() {
    struct ShutsDown(Arc<Yard<u32>>, Sender<ShutdownReport>);
    impl Drop for ShutsDown {
        fn drop(&mut self) {
            let _ = self.1.send(self.0.shutdown(Duration::MAX));
        }
    }
    let yard = Arc::new(Yard::<u32>::new());
    yard.spawn("other", receiver).unwrap();
    let (tx, reports) = mpsc::channel();
    let capture = ShutsDown(Arc::clone(&yard), tx);
    yard.spawn("w", move |_| {
        let _keep = &capture;
        Ok(())
    })
    .unwrap();
    let report = next(&reports, "the report of a shutdown from a capture's Drop");
    assert_eq!(
        report
            .in_shutdown
            .iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>(),
        ["w"]
    );
    assert_eq!(ids(&report), (vec!["other"], vec![], vec![]));
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
}

/// A panic payload whose `Drop` shuts the manager down (no deadline) and
/// then panics itself: contained, the worker Failed, the shutdown returns.
#[test]
fn a_panic_payload_may_shut_down_and_panic_again_when_dropped() {
    struct Payload(Arc<Yard<u32>>, Sender<ShutdownReport>);
    impl Drop for Payload {
        fn drop(&mut self) {
            let _ = self.1.send(self.0.shutdown(Duration::MAX));
            panic!("and the payload panics too");
        }
    }
    let yard = Arc::new(Yard::<u32>::builder().max_threads(2).build().unwrap());
    yard.spawn("other", receiver).unwrap();
    let (tx, reports) = mpsc::channel();
    let payload = Mutex::new(Some(Payload(Arc::clone(&yard), tx)));
    yard.spawn("w", move |_| {
        let payload = payload.lock().unwrap().take().unwrap();
        panic::panic_any(payload)
    })
    .unwrap();
    let report = next(&reports, "the report of a shutdown from a payload's Drop");
    assert_eq!(
        report
            .in_shutdown
            .iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>(),
        ["w"]
    );
    assert_eq!(ids(&report), (vec!["other"], vec![], vec![]));
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Failed));
    assert_eq!(yard.snapshot().live_threads, 0);
}

/// A message left unread whose `Drop` (run by the worker's thread as it
/// ends) calls back: a snapshot, a send to its own (closing) mailbox, a
/// remove of its own (not yet finished) worker, and a shutdown with no
/// deadline.
#[test]
fn an_unread_message_may_call_back_as_its_worker_ends() {
    struct Back {
        yard: Option<Arc<Yard<Back>>>,
        saw: Option<Sender<(bool, bool, bool, ShutdownReport)>>,
    }
    impl Drop for Back {
        fn drop(&mut self) {
            let (Some(yard), Some(saw)) = (self.yard.take(), self.saw.take()) else {
                return;
            };
            let listed = yard.snapshot().workers.iter().any(|w| w.id.as_str() == "w");
            let refused = matches!(
                yard.send(
                    "w",
                    Back {
                        yard: None,
                        saw: None
                    }
                ),
                Err(SendError::Finished { .. })
            );
            let not_removed = yard.remove("w").is_err();
            let report = yard.shutdown(Duration::MAX);
            let _ = saw.send((listed, refused, not_removed, report));
        }
    }
    let yard = Arc::new(Yard::<Back>::new());
    let (go_tx, go) = mpsc::channel::<()>();
    yard.spawn("w", move |_| {
        let _ = go.recv();
        Ok(())
    })
    .unwrap();
    let (saw_tx, saw) = mpsc::channel();
    yard.send(
        "w",
        Back {
            yard: Some(Arc::clone(&yard)),
            saw: Some(saw_tx),
        },
    )
    .map_err(drop)
    .unwrap();
    drop(go_tx);
    let (listed, refused, not_removed, report) = next(&saw, "the unread message's Drop");
    assert!(listed && refused && not_removed);
    assert_eq!(
        report
            .in_shutdown
            .iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>(),
        ["w"]
    );
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
}

/// Predicates of `wait_for_state`, `wait_for_state_async` and
/// `join_async`'s sibling that shut the manager down, stop workers and read
/// snapshots from inside the wait.
#[test]
fn predicates_may_stop_and_shut_down_from_inside_the_wait() {
    let yard = Arc::new(Yard::<u32>::new());
    for id in ["a", "b"] {
        yard.spawn(id, receiver).unwrap();
    }
    let y = Arc::clone(&yard);
    watched("predicates calling back", move || {
        let stopped = y.wait_for_state("a", LONG, |state| {
            let _ = y.snapshot();
            let _ = y.stop("a");
            state == WorkerState::Stopped
        });
        assert_eq!(stopped, Ok(WorkerState::Stopped));
        let shut = block_on(
            y.wait_for_state_async("b", std::future::pending::<()>(), |state| {
                if !y.is_shut_down() {
                    let report = y.shutdown(LONG);
                    assert!(report.unresponsive.is_empty());
                }
                state.is_finished()
            }),
        );
        assert_eq!(shut, Ok(Some(WorkerState::Stopped)));
        assert_eq!(
            block_on(y.join_async("a", std::future::pending::<()>())),
            Ok(Some(WorkerState::Stopped))
        );
    });
}

/// `broadcast` clones once per mailbox; a `Clone` that shuts the manager
/// down half-way, then removes a finished worker: every clone is dropped
/// exactly once and the report says who got one.
#[test]
fn a_clone_may_shut_down_half_way_through_a_broadcast() {
    #[derive(Default)]
    struct Plan {
        yard: OnceLock<Weak<Yard<Cloner>>>,
        clones: AtomicUsize,
    }
    struct Cloner(Msg, Arc<Plan>);
    impl Clone for Cloner {
        fn clone(&self) -> Self {
            if self.1.clones.fetch_add(1, Ordering::SeqCst) == 1 {
                if let Some(yard) = self.1.yard.get().and_then(Weak::upgrade) {
                    let report = yard.shutdown(LONG);
                    assert!(report.unresponsive.is_empty());
                    let _ = yard.remove("w0");
                }
            }
            Cloner(self.0.clone(), Arc::clone(&self.1))
        }
    }
    let ledger = Arc::new(Ledger::default());
    let plan = Arc::new(Plan::default());
    let yard = Arc::new(Yard::<Cloner>::new());
    plan.yard.set(Arc::downgrade(&yard)).ok().unwrap();
    for i in 0..4 {
        yard.spawn(&format!("w{i}"), receiver).unwrap();
    }
    let y = Arc::clone(&yard);
    let (l, p) = (Arc::clone(&ledger), Arc::clone(&plan));
    let report = watched("a Clone that shuts down", move || {
        y.broadcast(Cloner(Msg::new(&l), p))
    });
    // The first mailbox took its copy before the shutdown; none after it.
    assert_eq!(report.count(threadyard::Delivery::Delivered), 1);
    assert_eq!(report.count(threadyard::Delivery::Finished), 3);
    drop(yard);
    ledger.assert_all_dropped_once("after the manager's drop");
}

/// A `Waker` whose `wake` shuts the manager down with no deadline, run from
/// inside the change signal's notification on a worker's thread (the worker
/// pausing itself).
#[test]
fn a_waker_may_shut_down_from_inside_a_notification() {
    struct ShutsDown(Weak<Yard<u32>>, Mutex<Option<Sender<ShutdownReport>>>);
    impl Wake for ShutsDown {
        fn wake(self: Arc<Self>) {
            let tx = self.1.lock().unwrap().take();
            if let (Some(yard), Some(tx)) = (self.0.upgrade(), tx) {
                let _ = tx.send(yard.shutdown(Duration::MAX));
            }
        }
    }
    let yard = Arc::new(Yard::<u32>::new());
    let (go_tx, go) = mpsc::channel::<()>();
    yard.spawn("w", move |w| {
        let _ = go.recv();
        w.pause_self()?;
        Ok(())
    })
    .unwrap();
    let (tx, reports) = mpsc::channel();
    let waker = Waker::from(Arc::new(ShutsDown(
        Arc::downgrade(&yard),
        Mutex::new(Some(tx)),
    )));
    let mut changed = pin!(yard.changed());
    assert!(changed
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    drop(go_tx);
    let report = next(&reports, "the waker's shutdown");
    assert!(report.unresponsive.is_empty(), "{report:?}");
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
}

/// A spawner of the caller's that calls back before it hands the job over:
/// a snapshot, a stop of the very worker being started, a send to it.
#[test]
fn a_spawner_may_stop_the_worker_it_is_starting() {
    struct StopsFirst(Later<u32>);
    impl Spawn for StopsFirst {
        fn spawn(&self, name: &str, job: Job) -> std::io::Result<()> {
            let yard = later(&self.0).expect("the manager");
            assert!(yard
                .snapshot()
                .workers
                .iter()
                .any(|w| w.id.as_str() == name));
            yard.stop(name).unwrap();
            // A Stopping worker may still take a message; it is then counted
            // undelivered at its end.
            let _ = yard.send(name, 7);
            thread::Builder::new()
                .name(name.to_owned())
                .spawn(job)
                .map(drop)
        }
    }
    let cell: Later<u32> = Arc::default();
    let yard = Arc::new(
        Yard::<u32>::builder()
            .spawner(StopsFirst(Arc::clone(&cell)))
            .build()
            .unwrap(),
    );
    cell.set(Arc::downgrade(&yard)).ok().unwrap();
    let y = Arc::clone(&yard);
    watched("a spawner that stops", move || {
        y.spawn("w", receiver).unwrap();
        assert_eq!(y.join("w", LONG), Ok(WorkerState::Stopped));
        let mailbox = y.worker("w").unwrap().mailbox;
        assert_eq!(mailbox.sent, mailbox.depth as u64);
    });
    assert_eq!(yard.snapshot().live_threads, 0);
}

/// A subscriber on each worker's thread that, on that worker's lines, sends
/// into its own mailbox (started), shuts the whole manager down with no
/// deadline (paused) and removes its own worker (finished).
#[test]
fn a_subscriber_on_a_worker_thread_may_shut_down_remove_and_send() {
    let cell: Later<u32> = Arc::default();
    let removed = Arc::new(Mutex::new(Vec::new()));
    let (reports_tx, reports) = mpsc::channel();
    let reports_tx = Mutex::new(reports_tx);
    let hook = {
        let (cell, removed) = (Arc::clone(&cell), Arc::clone(&removed));
        move |line: &Line| {
            let (Some(yard), Some(id)) = (later(&cell), line.worker.as_deref()) else {
                return;
            };
            match line.message.as_str() {
                "started" => drop(yard.send(id, 1)),
                "paused" => {
                    let report = yard.shutdown(Duration::MAX);
                    let _ = reports_tx.lock().unwrap().send((id.to_owned(), report));
                }
                "finished" if yard.remove(id).is_ok() => {
                    removed.lock().unwrap().push(id.to_owned());
                }
                _ => {}
            }
        }
    };
    let (pool, ends) = PoolLike::with_hook(hook).telling_too();
    let yard = Arc::new(Yard::<u32>::builder().spawner(pool).build().unwrap());
    cell.set(Arc::downgrade(&yard)).ok().unwrap();
    yard.spawn("other", receiver).unwrap();
    yard.spawn("w", |w| {
        assert_eq!(w.recv()?, 1, "the message its own subscriber sent");
        w.pause_self()?;
        Ok(())
    })
    .unwrap();
    let (caller, report) = next(&reports, "the shutdown from the paused line");
    assert_eq!(caller, "w");
    assert_eq!(
        report
            .in_shutdown
            .iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>(),
        ["w"]
    );
    assert!(report.unresponsive.is_empty(), "{report:?}");
    // Both jobs end after their "finished" line, where each removed itself.
    PoolLike::assert_none_unwound(&ends, 2);
    let mut removed = removed.lock().unwrap().clone();
    removed.sort();
    assert_eq!(removed, ["other", "w"]);
    assert!(yard.snapshot().workers.is_empty());
}

/// A subscriber that panics on every line logged on one worker's thread:
/// around its start and end it is contained, in its pause it fails the
/// worker; the pooled thread survives and the place is given back.
#[test]
fn a_subscriber_that_panics_on_a_worker_thread_fails_only_that_worker() {
    let (pool, ends) = PoolLike::with_hook(|line: &Line| {
        if line.worker.as_deref() == Some("w") {
            panic!("subscriber panics on {:?}", line.message);
        }
    })
    .telling_too();
    let yard = Yard::<u32>::builder()
        .spawner(pool)
        .max_threads(1)
        .build()
        .unwrap();
    yard.spawn("w", |w| {
        w.pause_self()?;
        Ok(())
    })
    .unwrap();
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Failed));
    let error = yard.worker("w").unwrap().last_error.unwrap();
    assert!(error.contains("subscriber panics"), "{error}");
    yard.spawn("next", |_| Ok(())).unwrap();
    assert_eq!(yard.join("next", LONG), Ok(WorkerState::Stopped));
    PoolLike::assert_none_unwound(&ends, 2);
}

/// A subscriber on the caller's thread that, on every line the caller's
/// calls log (created, pause, resume, stop, shutting down), reads a
/// snapshot, sends to every worker and pages the event log.
#[test]
fn a_subscriber_on_the_callers_thread_may_call_back_on_every_line() {
    let ledger = Arc::new(Ledger::default());
    let yard = Arc::new(Yard::<Msg>::new());
    let seen = Arc::new(AtomicUsize::new(0));
    let hook = {
        let (yard, ledger, seen) = (
            Arc::downgrade(&yard),
            Arc::clone(&ledger),
            Arc::clone(&seen),
        );
        move |_: &Line| {
            let Some(yard) = yard.upgrade() else { return };
            seen.fetch_add(1, Ordering::SeqCst);
            for w in yard.snapshot().workers {
                let _ = yard.send(w.id.as_str(), Msg::new(&ledger));
            }
            let _ = yard.events_since(0);
        }
    };
    let y = Arc::clone(&yard);
    watched("a subscriber on the caller's thread", move || {
        tracing::subscriber::with_default(Hook::new(hook), || {
            y.spawn("w", |w| loop {
                w.pause_point()?;
                w.recv()?;
            })
            .unwrap();
            y.pause("w").unwrap();
            y.wait_for_state("w", LONG, |s| s == WorkerState::Paused)
                .unwrap();
            y.resume("w").unwrap();
            y.stop("w").unwrap();
            let report = y.shutdown(LONG);
            assert!(report.unresponsive.is_empty());
        });
    });
    assert!(seen.load(Ordering::SeqCst) >= 4);
    drop(yard);
    ledger.assert_all_dropped_once("after the manager's drop");
}

// ---------------------------------------------------------------------------
// Panics and blocking in Drop
// ---------------------------------------------------------------------------

/// A spawner that panics while it holds the job: the job (and the task's
/// captures, which panic too and call back into the manager) is dropped
/// while the spawner unwinds. Contained: `start` says Spawn, the worker is
/// Failed, nothing aborts.
#[test]
fn a_job_dropped_while_the_spawner_unwinds_is_contained() {
    struct PanicsHolding;
    impl Spawn for PanicsHolding {
        fn spawn(&self, _: &str, job: Job) -> std::io::Result<()> {
            let _held = job;
            panic!("the spawner panics holding the job")
        }
    }
    struct Loud(Weak<Yard<u32>>);
    impl Drop for Loud {
        fn drop(&mut self) {
            if let Some(yard) = self.0.upgrade() {
                let _ = yard.snapshot();
            }
            panic!("a capture panics while the spawner unwinds");
        }
    }
    let yard = Arc::new(
        Yard::<u32>::builder()
            .spawner(PanicsHolding)
            .build()
            .unwrap(),
    );
    let loud = Loud(Arc::downgrade(&yard));
    let y = Arc::clone(&yard);
    watched("a job dropped while the spawner unwinds", move || {
        y.create("w", move |_| {
            let _keep = &loud;
            Ok(())
        })
        .unwrap();
        assert!(matches!(y.start("w"), Err(ControlError::Spawn { .. })));
        assert_eq!(y.state("w"), Ok(WorkerState::Failed));
    });
    assert_eq!(yard.snapshot().live_threads, 0);
}

/// Unread messages whose `Drop` blocks (until the test lets them go):
/// shutdown still returns by its deadline, naming that worker unresponsive;
/// once let go, every value is dropped exactly once.
#[test]
fn unread_messages_whose_drop_blocks_do_not_hold_shutdown() {
    struct Blocks(#[allow(dead_code)] Msg, Arc<Mutex<Receiver<()>>>);
    impl Drop for Blocks {
        fn drop(&mut self) {
            let _ = self.1.lock().unwrap().recv_timeout(LONG);
        }
    }
    let ledger = Arc::new(Ledger::default());
    let (release, gate) = mpsc::channel::<()>();
    let gate = Arc::new(Mutex::new(gate));
    let yard = Arc::new(Yard::<Blocks>::new());
    yard.spawn("w", |w| loop {
        w.pause_point()?;
        thread::yield_now();
    })
    .unwrap();
    yard.spawn("ok", receiver).unwrap();
    for _ in 0..3 {
        yard.send("w", Blocks(Msg::new(&ledger), Arc::clone(&gate)))
            .map_err(drop)
            .unwrap();
    }
    let y = Arc::clone(&yard);
    let report = watched("a shutdown over blocking Drops", move || {
        y.shutdown(Duration::from_millis(300))
    });
    assert_eq!(ids(&report), (vec!["ok"], vec![], vec!["w"]));
    drop(release);
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
    drop(yard);
    ledger.assert_all_dropped_once("after the blocking Drops were let go");
}

// ---------------------------------------------------------------------------
// Shutdown and drop from inside workers
// ---------------------------------------------------------------------------

/// Worker A shuts the manager down with no deadline while worker B, asked to
/// stop, drops its handle; A's own handle is then the last, dropped at its
/// end. Nothing hangs; the report names A the caller and B clean.
#[test]
fn one_worker_shuts_down_while_another_drops_its_handle() {
    let (pool, ends) = PoolLike::telling();
    let yard = Arc::new(
        Yard::<u32>::builder()
            .spawner(pool)
            .drop_deadline(Duration::MAX)
            .build()
            .unwrap(),
    );
    let (reports_tx, reports) = mpsc::channel();
    let (b_ready_tx, b_ready) = mpsc::channel();
    let (go_tx, go) = mpsc::channel::<()>();
    let mine = Mutex::new(Some(Arc::clone(&yard)));
    yard.spawn("b", move |w| {
        let handle = mine.lock().unwrap().take();
        let _ = b_ready_tx.send(());
        let stopped = w.recv().map(drop);
        drop(handle);
        stopped.map_err(TaskError::from)
    })
    .unwrap();
    next(&b_ready, "b holds its handle");
    let mine = Mutex::new(Some(Arc::clone(&yard)));
    yard.spawn("a", move |_| {
        let Some(handle) = mine.lock().unwrap().take() else {
            return Ok(());
        };
        let _ = go.recv();
        let _ = reports_tx.send(handle.shutdown(Duration::MAX));
        drop(handle);
        Ok(())
    })
    .unwrap();
    let watcher = yard.sender("a").unwrap();
    drop(yard);
    go_tx.send(()).unwrap();
    let report = next(&reports, "a's shutdown");
    assert_eq!(
        report
            .in_shutdown
            .iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>(),
        ["a"]
    );
    assert_eq!(ids(&report), (vec!["b"], vec![], vec![]));
    // Both jobs end (a's with the manager's last handle dropped inside it);
    // a kept sender is then refused.
    PoolLike::assert_none_unwound(&ends, 2);
    assert!(matches!(
        watcher.send(0),
        Err(SendError::Finished { message: 0, .. })
    ));
}

// ---------------------------------------------------------------------------
// Races
// ---------------------------------------------------------------------------

/// Senders (by id, through kept `WorkerSender`s, by broadcast) racing a
/// controller that stops, removes and re-creates the same ids, then a
/// shutdown and the manager's drop; round after round. Every message value
/// (clones included) is dropped exactly once by the time the manager's drop
/// has returned and the senders have ended, and for every incarnation of
/// every worker, accepted = read by its task + counted undelivered.
#[test]
fn every_message_is_dropped_exactly_once_under_remove_send_stop_and_shutdown() {
    const ROUNDS: usize = 60;
    const IDS: [&str; 3] = ["a", "b", "c"];
    let ledger = Arc::new(Ledger::default());
    let read = Arc::new(AtomicUsize::new(0));
    watched("remove, send, stop, shutdown", {
        let (ledger, read) = (Arc::clone(&ledger), Arc::clone(&read));
        move || {
            let mut accounted_sent = 0u64;
            let mut accounted_unread = 0u64;
            for round in 0..ROUNDS {
                let yard = Arc::new(Yard::<Msg>::builder().mailbox_capacity(4).build().unwrap());
                let spawn = |id: &str| {
                    let read = Arc::clone(&read);
                    yard.spawn(id, move |w| loop {
                        let message = w.recv()?;
                        read.fetch_add(1, Ordering::SeqCst);
                        if message.id % 7 == 0 {
                            return Ok(());
                        }
                        if message.id % 11 == 0 {
                            return Err(TaskError::Failed("told to fail".into()));
                        }
                    })
                };
                for id in IDS {
                    spawn(id).unwrap();
                }
                let stop = Arc::new(AtomicBool::new(false));
                let senders: Vec<_> = (0..2)
                    .map(|n| {
                        let (yard, ledger, stop) =
                            (Arc::clone(&yard), Arc::clone(&ledger), Arc::clone(&stop));
                        thread::spawn(move || {
                            let kept = yard.sender(IDS[n]).ok();
                            let mut i = 0usize;
                            while !stop.load(Ordering::SeqCst) {
                                i += 1;
                                let id = IDS[i % IDS.len()];
                                match i % 3 {
                                    0 => drop(yard.send(id, Msg::new(&ledger))),
                                    1 => {
                                        if let Some(kept) = &kept {
                                            drop(kept.send(Msg::new(&ledger)));
                                        }
                                    }
                                    _ => drop(yard.broadcast(Msg::new(&ledger))),
                                }
                                if i % 64 == 0 {
                                    thread::yield_now();
                                }
                            }
                            kept
                        })
                    })
                    .collect();
                for step in 0..30 {
                    let id = IDS[(round + step) % IDS.len()];
                    let _ = yard.stop(id);
                    if yard.join(id, LONG).is_ok() {
                        let gone = yard.remove(id).unwrap();
                        accounted_sent += gone.mailbox.sent;
                        accounted_unread += gone.mailbox.depth as u64;
                        spawn(id).unwrap();
                    }
                }
                let report = if round % 2 == 0 {
                    yard.shutdown(LONG)
                } else {
                    yard.begin_shutdown();
                    yard.shutdown(LONG)
                };
                assert!(report.unresponsive.is_empty(), "{report:?}");
                stop.store(true, Ordering::SeqCst);
                let kept: Vec<_> = senders.into_iter().map(|s| s.join().unwrap()).collect();
                for w in yard.snapshot().workers {
                    accounted_sent += w.mailbox.sent;
                    accounted_unread += w.mailbox.depth as u64;
                }
                let yard = Arc::into_inner(yard).expect("the last handle");
                drop(yard);
                // A kept sender neither keeps messages alive nor takes new ones.
                for kept in kept.into_iter().flatten() {
                    assert!(matches!(
                        kept.send(Msg::new(&ledger)),
                        Err(SendError::Finished { .. })
                    ));
                    drop(kept);
                }
                assert_eq!(
                    ledger.live(),
                    0,
                    "round {round}: message values still alive"
                );
            }
            (accounted_sent, accounted_unread)
        }
    });
    ledger.assert_all_dropped_once("after every round");
}

/// Three helper threads sharing one `&Worker` (scoped threads) receive and
/// pass pause points while the caller pauses, resumes and sends in a storm,
/// then stops: every helper is woken and the worker ends Stopped, with every
/// message read or counted.
#[test]
fn helper_threads_sharing_a_worker_survive_a_pause_resume_storm() {
    let ledger = Arc::new(Ledger::default());
    let read = Arc::new(AtomicUsize::new(0));
    let yard = Arc::new(Yard::<Msg>::builder().mailbox_capacity(2).build().unwrap());
    let r = Arc::clone(&read);
    yard.spawn("w", move |w| {
        thread::scope(|scope| {
            for helper in 0..3 {
                let r = &r;
                scope.spawn(move || loop {
                    let result = match helper {
                        0 => w.recv().map(Some),
                        1 => w.recv_timeout(Duration::from_micros(50)),
                        _ => w.pause_point().map(|()| None),
                    };
                    match result {
                        Ok(Some(_)) => {
                            r.fetch_add(1, Ordering::SeqCst);
                        }
                        Ok(None) => thread::yield_now(),
                        Err(_) => return,
                    }
                });
            }
        });
        Ok(())
    })
    .unwrap();
    let y = Arc::clone(&yard);
    let l = Arc::clone(&ledger);
    watched("a pause/resume storm over helper threads", move || {
        for i in 0..300 {
            let _ = y.send("w", Msg::new(&l));
            if i % 3 == 0 {
                let _ = y.pause("w");
                if i % 2 == 0 {
                    y.wait_for_state("w", LONG, |s| s == WorkerState::Paused)
                        .unwrap();
                }
                let _ = y.resume("w");
            }
        }
        y.stop("w").unwrap();
        assert_eq!(y.join("w", LONG), Ok(WorkerState::Stopped));
    });
    let s = yard.worker("w").unwrap();
    assert_eq!(
        s.mailbox.sent,
        read.load(Ordering::SeqCst) as u64 + s.mailbox.depth as u64
    );
    drop(yard);
    ledger.assert_all_dropped_once("after the storm");
}

/// A failing task with a generous restart policy, stopped at random moments
/// of its restart loop, round after round: it always ends (never stuck
/// Running or Stopping) and its place is always given back.
#[test]
fn restarts_racing_stop_always_end() {
    let policy = RestartPolicy::OnFailure {
        max_restarts: 10_000,
        window: Duration::from_secs(3600),
    };
    watched("restarts racing stop", move || {
        let yard = Yard::<u32>::builder().max_threads(1).build().unwrap();
        for round in 0..200 {
            let id = format!("w{round}");
            yard.spawn_with(&id, WorkerOptions::new().restart(policy), move |w| {
                w.pause_point()?;
                Err(TaskError::Failed(format!("round {round}")))
            })
            .unwrap();
            for _ in 0..round % 5 {
                thread::yield_now();
            }
            let _ = yard.stop(&id);
            let end = yard.join(&id, LONG).unwrap();
            assert!(end.is_finished());
            yard.remove(&id).unwrap();
        }
        assert_eq!(yard.snapshot().live_threads, 0);
    });
}

/// Spawns racing a shutdown from another thread: once shutdown has
/// returned, every worker it knows is finished, none is unresponsive, and
/// no thread stays counted busy.
#[test]
fn spawns_racing_shutdown_leave_nothing_running() {
    for _ in 0..20 {
        let yard = Arc::new(Yard::<u32>::new());
        let y = Arc::clone(&yard);
        let spawner = thread::spawn(move || {
            for i in 0.. {
                match y.spawn(&format!("w{i}"), receiver) {
                    Ok(_) => {}
                    Err(SpawnError::Create(_)) => return i,
                    Err(SpawnError::Start(ControlError::ShutDown)) => return i,
                    Err(SpawnError::Start(ControlError::InvalidTransition { .. })) => {}
                    Err(other) => panic!("unexpected: {other}"),
                }
            }
            unreachable!()
        });
        thread::yield_now();
        let y = Arc::clone(&yard);
        let report = watched("shutdown racing spawns", move || y.shutdown(LONG));
        assert!(report.unresponsive.is_empty(), "{report:?}");
        spawner.join().unwrap();
        let y = Arc::clone(&yard);
        watched("every worker ends", move || {
            assert!(y.join_all(LONG).is_empty());
        });
        for w in yard.snapshot().workers {
            assert!(w.state.is_finished(), "{} is {}", w.id, w.state);
        }
        assert_eq!(yard.snapshot().live_threads, 0);
    }
}

// ---------------------------------------------------------------------------
// Promises found broken (ignored so the branch stays green; see each reason)
// ---------------------------------------------------------------------------

/// "pause_self pauses at once ... until resumed" and "a task may lend
/// `&Worker` to helper threads": a second helper thread that pauses itself
/// while the worker is already Paused must wait for the resume too.
#[test]
fn pause_self_from_a_second_helper_thread_waits_for_the_resume() {
    let yard = Arc::new(Yard::<u32>::new());
    let resumed = Arc::new(AtomicBool::new(false));
    let (go_tx, go) = mpsc::channel::<()>();
    let (back_tx, back) = mpsc::channel::<(bool, WorkerState)>();
    let seen = Arc::clone(&resumed);
    let go = Mutex::new(go);
    yard.spawn("w", move |w| {
        thread::scope(|scope| {
            scope.spawn(|| w.pause_self());
            scope.spawn(|| {
                let _ = go.lock().unwrap().recv();
                let result = w.pause_self();
                let _ = back_tx.send((seen.load(Ordering::SeqCst), w.state()));
                result
            });
        });
        Ok(())
    })
    .unwrap();
    yard.wait_for_state("w", LONG, |s| s == WorkerState::Paused)
        .unwrap();
    go_tx.send(()).unwrap();
    // A correct second pause_self answers only after the resume below; the
    // wait is only how long the buggy one gets to answer early.
    let early = back.recv_timeout(Duration::from_millis(500)).ok();
    resumed.store(true, Ordering::SeqCst);
    yard.resume("w").unwrap();
    let (after_resume, state) = early.unwrap_or_else(|| next(&back, "the second pause_self"));
    assert!(
        after_resume,
        "the second pause_self returned while the worker was {state}, before any resume"
    );
    yard.stop("w").ok();
    assert!(yard.join("w", LONG).unwrap().is_finished());
}

/// "Whatever happens, the worker's end is published and its thread is given
/// back (a pooled Web Worker survives)." An async waiter's `Waker` whose
/// `wake` panics: the worker's own thread wakes it when it publishes its
/// end, and the panic must not unwind out of the job (rayon aborts then).
#[test]
fn a_panicking_waker_does_not_unwind_out_of_the_worker_thread() {
    struct Panics;
    impl Wake for Panics {
        fn wake(self: Arc<Self>) {
            panic!("a waker that panics");
        }
    }
    let (pool, ends) = PoolLike::telling();
    let yard = Yard::<u32>::builder().spawner(pool).build().unwrap();
    let (go_tx, go) = mpsc::channel::<()>();
    yard.spawn("w", move |_| {
        let _ = go.recv();
        Ok(())
    })
    .unwrap();
    let waker = Waker::from(Arc::new(Panics));
    let mut changed = pin!(yard.changed());
    assert!(changed
        .as_mut()
        .poll(&mut Context::from_waker(&waker))
        .is_pending());
    drop(go_tx);
    let unwound = next(&ends, "the end of the worker's job");
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
    assert!(!unwound, "the worker's job unwound out of the pool thread");
}

/// A panicking `Waker` must not cost the other async waiters their wakeup:
/// a `join_async` registered after it is never woken by the change.
#[test]
fn a_panicking_waker_does_not_lose_the_other_wakers() {
    struct Panics;
    impl Wake for Panics {
        fn wake(self: Arc<Self>) {
            panic!("a waker that panics");
        }
    }
    struct Flag(AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let yard = Yard::<u32>::new();
    yard.spawn("w", receiver).unwrap();
    let panics = Waker::from(Arc::new(Panics));
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let flagged = Waker::from(Arc::clone(&flag));
    let mut first = pin!(yard.changed());
    let mut second = pin!(yard.changed());
    assert!(first
        .as_mut()
        .poll(&mut Context::from_waker(&panics))
        .is_pending());
    assert!(second
        .as_mut()
        .poll(&mut Context::from_waker(&flagged))
        .is_pending());
    // The panic is contained (GUARANTEES.md): the move is made and the
    // caller of `pause` never sees the executor's panic.
    let paused = panic::catch_unwind(AssertUnwindSafe(|| yard.pause("w")));
    assert!(matches!(paused, Ok(Ok(()))));
    assert!(matches!(
        yard.state("w"),
        Ok(WorkerState::PauseRequested | WorkerState::Paused)
    ));
    assert!(
        flag.0.load(Ordering::SeqCst),
        "the second waiter was never woken by the change"
    );
}

/// "Called from inside a worker's task, shutdown never waits for that
/// worker, which cannot finish while the call lasts." Two workers that
/// each call shutdown with no deadline: each waits for the other, which
/// cannot finish while its own call lasts.
#[test]
fn two_workers_shutting_down_at_once_with_no_deadline() {
    let yard = Arc::new(Yard::<u32>::new());
    let barrier = Arc::new(Barrier::new(2));
    let (reports_tx, reports) = mpsc::channel();
    for id in ["a", "b"] {
        let (y, barrier, tx) = (Arc::clone(&yard), Arc::clone(&barrier), reports_tx.clone());
        yard.spawn(id, move |_| {
            barrier.wait();
            let _ = tx.send(y.shutdown(Duration::MAX));
            Ok(())
        })
        .unwrap();
    }
    for _ in 0..2 {
        let report = next(&reports, "a shutdown called from inside a worker");
        assert!(!report.in_shutdown.is_empty());
    }
}

/// The limit of that promise, as documented: a helper thread the task lent
/// `&Worker` to is not the worker's own thread, so a shutdown called there
/// waits for the worker, whose task waits for the helper. With a deadline
/// it returns by it, naming the worker unresponsive; it never hangs.
#[test]
fn shutdown_from_a_helper_thread_of_a_task_waits_for_that_task_until_its_deadline() {
    let yard = Arc::new(Yard::<u32>::new());
    let (reports_tx, reports) = mpsc::channel();
    let y = Arc::clone(&yard);
    yard.spawn("w", move |w| {
        thread::scope(|scope| {
            scope.spawn(|| {
                let _ = w.pause_point();
                let _ = reports_tx.send(y.shutdown(Duration::from_millis(100)));
            });
        });
        Ok(())
    })
    .unwrap();
    let report = next(&reports, "the helper's shutdown");
    assert_eq!(
        report
            .unresponsive
            .iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>(),
        ["w"]
    );
    assert!(report.in_shutdown.is_empty());
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
}

/// "Unread messages are dropped ... before its final state is published."
/// A worker stopped before it ever started: `stop` publishes Stopped (the
/// state byte, the change signal that wakes joiners, the log line) and only
/// then drops its task's captures and its unread messages. A joiner is back
/// with Stopped while both are still alive.
#[test]
fn stopping_a_never_started_worker_drops_its_messages_before_publishing_stopped() {
    /// Waits, if the worker already reads Stopped, for the joiner to say
    /// what it saw.
    struct Capture(
        Weak<Yard<Msg>>,
        Arc<Mutex<Receiver<usize>>>,
        Arc<Mutex<Option<usize>>>,
    );
    impl Drop for Capture {
        fn drop(&mut self) {
            let Some(yard) = self.0.upgrade() else { return };
            if yard.state("w") == Ok(WorkerState::Stopped) {
                let saw = self.1.lock().unwrap().recv_timeout(LONG).ok();
                *self.2.lock().unwrap() = saw;
            }
        }
    }
    let ledger = Arc::new(Ledger::default());
    let yard = Arc::new(Yard::<Msg>::new());
    let (saw_tx, saw_rx) = mpsc::channel();
    let seen = Arc::new(Mutex::new(None));
    let capture = Capture(
        Arc::downgrade(&yard),
        Arc::new(Mutex::new(saw_rx)),
        Arc::clone(&seen),
    );
    yard.create("w", move |_| {
        let _keep = &capture;
        Ok(())
    })
    .unwrap();
    yard.send("w", Msg::new(&ledger)).map_err(drop).unwrap();
    let (y, l) = (Arc::clone(&yard), Arc::clone(&ledger));
    let joiner = thread::spawn(move || {
        assert_eq!(y.join("w", LONG), Ok(WorkerState::Stopped));
        let live = l.live();
        let _ = saw_tx.send(live);
        live
    });
    let y = Arc::clone(&yard);
    watched("a stop of a never-started worker", move || {
        y.stop("w").unwrap()
    });
    let live_at_join = joiner.join().unwrap();
    assert_eq!(
        live_at_join, 0,
        "join returned Stopped while {live_at_join} unread message(s) were still alive"
    );
    assert_eq!(
        *seen.lock().unwrap(),
        None,
        "the task's captures were alive after Stopped was published"
    );
}

/// "Every message accepted ... is received by its worker exactly once, or
/// is still in that worker's mailbox when the worker ends and is then
/// counted ... (a `WorkerSender` kept by the caller does not keep them
/// alive either)." `spawn` refused at capacity after `create` made the
/// worker visible: a sender that found it in between (here: the caller's
/// subscriber on the "created" line) has its messages accepted into a
/// mailbox that is never run, never closed, never counted, and kept alive
/// by the sender after the manager is gone.
#[test]
fn a_spawn_refused_at_capacity_leaves_no_mailbox_taking_messages() {
    let ledger = Arc::new(Ledger::default());
    let yard = Arc::new(Yard::<Msg>::builder().max_threads(1).build().unwrap());
    yard.spawn("busy", receiver).unwrap();
    let kept = Arc::new(Mutex::new(None));
    let accepted = Arc::new(AtomicUsize::new(0));
    let hook = {
        let (yard, ledger, kept, accepted) = (
            Arc::downgrade(&yard),
            Arc::clone(&ledger),
            Arc::clone(&kept),
            Arc::clone(&accepted),
        );
        move |line: &Line| {
            if line.message != "created" || line.worker.as_deref() != Some("late") {
                return;
            }
            let Some(yard) = yard.upgrade() else { return };
            let sender = yard.sender("late").unwrap();
            if sender.send(Msg::new(&ledger)).is_ok() {
                accepted.fetch_add(1, Ordering::SeqCst);
            }
            *kept.lock().unwrap() = Some(sender);
        }
    };
    let y = Arc::clone(&yard);
    let refused = watched("a spawn refused at capacity", move || {
        tracing::subscriber::with_default(Hook::new(hook), || y.spawn("late", receiver))
    });
    assert!(matches!(
        refused,
        Err(SpawnError::Start(ControlError::AtCapacity { .. }))
    ));
    // The refused worker was never seen: no "created" line to hook, no
    // mailbox to send to, nothing in the log.
    assert!(
        kept.lock().unwrap().is_none(),
        "the refused worker was visible"
    );
    assert_eq!(accepted.load(Ordering::SeqCst), 0);
    let late_events = yard
        .events_since(0)
        .events
        .iter()
        .filter(|e| e.worker.as_ref().is_some_and(|w| w.as_str() == "late"))
        .count();
    assert_eq!(late_events, 0, "a refused spawn leaves no trace in the log");
    let report = yard.shutdown(LONG);
    drop(yard);
    assert_eq!((ledger.live(), report.undelivered_messages), (0, 0));
}

/// "A spawner that panics [...] fails the worker instead of leaving it
/// Running with no thread." A spawner that hands the job to a thread and
/// then panics: `start` says the worker failed, yet the job runs its task
/// on a worker already published Failed, whose thread is counted free (so
/// `max_threads` is exceeded) and which stop and shutdown can no longer
/// reach.
#[test]
fn a_spawner_that_panics_after_handing_off_the_job_does_not_run_it() {
    struct HandsOffThenPanics(Mutex<Option<Sender<Job>>>);
    impl Spawn for HandsOffThenPanics {
        fn spawn(&self, _: &str, job: Job) -> std::io::Result<()> {
            if let Some(tx) = self.0.lock().unwrap().as_ref() {
                let _ = tx.send(job);
            }
            panic!("the spawner's bookkeeping panics after the hand-off")
        }
    }
    let (jobs_tx, jobs) = mpsc::channel::<Job>();
    let yard = Yard::<u32>::builder()
        .spawner(HandsOffThenPanics(Mutex::new(Some(jobs_tx))))
        .max_threads(1)
        .build()
        .unwrap();
    let ran = Arc::new(AtomicBool::new(false));
    let r = Arc::clone(&ran);
    let started = yard.spawn("w", move |_| {
        r.store(true, Ordering::SeqCst);
        Ok(())
    });
    assert!(matches!(
        started,
        Err(SpawnError::Start(ControlError::Spawn { .. }))
    ));
    // The pool gets round to the job after the spawner's panic.
    let job = next(&jobs, "the handed-off job");
    watched("the handed-off job", job);
    assert!(
        !ran.load(Ordering::SeqCst),
        "the task ran although start reported the worker failed"
    );
}

/// Caller's code on the caller's thread may call anything (the subscriber
/// row of the table). A subscriber that starts the worker `spawn` has just
/// created (on its "created" line): `spawn`'s own start is refused, and
/// `spawn` then removes the worker from the registry although its task is
/// running: a running worker no call can reach, that shutdown neither stops
/// nor waits for.
#[test]
fn spawn_does_not_forget_a_worker_started_by_someone_else() {
    let yard = Arc::new(Yard::<u32>::new());
    let hook = {
        let yard = Arc::downgrade(&yard);
        move |line: &Line| {
            if line.message == "created" {
                if let (Some(yard), Some(id)) = (yard.upgrade(), line.worker.as_deref()) {
                    yard.start(id).unwrap();
                }
            }
        }
    };
    let (release, gate) = mpsc::channel::<()>();
    let (running_tx, running) = mpsc::channel();
    let y = Arc::clone(&yard);
    let spawned = watched("spawn racing a start", move || {
        tracing::subscriber::with_default(Hook::new(hook), || {
            y.spawn("w", move |_| {
                let _ = running_tx.send(());
                let _ = gate.recv();
                Ok(())
            })
            .map(drop)
        })
    });
    next(&running, "the task runs");
    let known = yard.state("w");
    drop(release);
    assert!(
        spawned.is_ok() || known.is_ok(),
        "spawn said {spawned:?}, the task runs, and the manager says {known:?}"
    );
}

/// "A RestartPolicy runs the task again up to its limit within a window;
/// never after a stop request." The restart's own log line runs the
/// caller's subscriber on the worker's thread between the decision and the
/// re-run: a stop requested there is not seen, and the task runs again in
/// Stopping.
#[test]
fn a_stop_requested_during_the_restart_log_line_prevents_the_restart() {
    let cell: Later<u32> = Arc::default();
    let pool = PoolLike::with_hook({
        let cell = Arc::clone(&cell);
        move |line: &Line| {
            if line.message == "task failed; restarting it" {
                if let Some(yard) = later(&cell) {
                    let _ = yard.stop("w");
                }
            }
        }
    });
    let yard = Arc::new(Yard::<u32>::builder().spawner(pool).build().unwrap());
    cell.set(Arc::downgrade(&yard)).ok().unwrap();
    let runs = Arc::new(Mutex::new(Vec::new()));
    let r = Arc::clone(&runs);
    let policy = RestartPolicy::OnFailure {
        max_restarts: 5,
        window: Duration::from_secs(3600),
    };
    yard.spawn_with("w", WorkerOptions::new().restart(policy), move |w| {
        r.lock().unwrap().push(w.state());
        Err(TaskError::Failed("fails at once".into()))
    })
    .unwrap();
    assert!(yard.join("w", LONG).unwrap().is_finished());
    let runs = runs.lock().unwrap().clone();
    assert_eq!(
        runs,
        [WorkerState::Running],
        "runs, by the state each began in"
    );
}

/// "A custom Spawn: runs on the caller of start/spawn, may call anything."
/// A spawner that shuts the manager down (no deadline) before it hands the
/// job over: shutdown waits for the worker being started, whose job the
/// spawner holds until shutdown returns.
#[test]
fn a_spawner_may_shut_down_before_handing_over_the_job() {
    struct ShutsDownFirst(Later<u32>);
    impl Spawn for ShutsDownFirst {
        fn spawn(&self, name: &str, job: Job) -> std::io::Result<()> {
            if let Some(yard) = later(&self.0) {
                let report = yard.shutdown(Duration::MAX);
                assert!(report.unresponsive.is_empty());
            }
            thread::Builder::new()
                .name(name.to_owned())
                .spawn(job)
                .map(drop)
        }
    }
    let cell: Later<u32> = Arc::default();
    let yard = Arc::new(
        Yard::<u32>::builder()
            .spawner(ShutsDownFirst(Arc::clone(&cell)))
            .build()
            .unwrap(),
    );
    cell.set(Arc::downgrade(&yard)).ok().unwrap();
    let y = Arc::clone(&yard);
    watched("a spawner that shuts down", move || {
        let _ = y.spawn("w", receiver);
    });
}

/// "Dropping a manager shuts it down (natively waiting up to its drop
/// deadline)." After `begin_shutdown` (which only asks), the drop returns at
/// once without waiting: a worker still stopping holds its unread messages
/// (and runs) after the manager's drop has returned.
#[test]
fn dropping_after_begin_shutdown_still_waits_for_the_workers() {
    let ledger = Arc::new(Ledger::default());
    let yard = Yard::<Msg>::builder().drop_deadline(LONG).build().unwrap();
    yard.spawn("slow", |w| {
        let stopped = w.recv().map(drop);
        // A stop that takes a moment of work before the task returns.
        let (_keep, delay) = mpsc::channel::<()>();
        let _ = delay.recv_timeout(Duration::from_millis(500));
        stopped.map_err(TaskError::from)
    })
    .unwrap();
    // The task reads at most one of them; the other is unread at its end.
    yard.send("slow", Msg::new(&ledger)).map_err(drop).unwrap();
    yard.send("slow", Msg::new(&ledger)).map_err(drop).unwrap();
    yard.begin_shutdown();
    watched("the manager's drop", move || drop(yard));
    assert_eq!(
        ledger.live(),
        0,
        "unread messages alive after the manager's drop returned"
    );
}

/// The manager's last handle dropped inside the `Drop` of an unread
/// message, as its worker ends (on the worker's thread, no deadline): the
/// drop's shutdown does not wait for that worker, and nothing hangs.
#[test]
fn the_last_handle_dropped_in_an_unread_messages_drop() {
    struct Holds(Mutex<Option<Yard<Holds>>>, Option<Sender<()>>);
    impl Drop for Holds {
        fn drop(&mut self) {
            drop(self.0.lock().unwrap().take());
            if let Some(tx) = self.1.take() {
                let _ = tx.send(());
            }
        }
    }
    let yard = Yard::<Holds>::builder()
        .drop_deadline(Duration::MAX)
        .build()
        .unwrap();
    let (stopped_tx, stopped) = mpsc::channel();
    yard.spawn("other", move |w| {
        let result = w.recv().map(drop);
        let _ = stopped_tx.send(());
        result.map_err(TaskError::from)
    })
    .unwrap();
    let (go_tx, go) = mpsc::channel::<()>();
    yard.spawn("w", move |_| {
        let _ = go.recv();
        Ok(())
    })
    .unwrap();
    let sender = yard.sender("w").unwrap();
    let (dropped_tx, dropped) = mpsc::channel();
    sender
        .send(Holds(Mutex::new(Some(yard)), Some(dropped_tx)))
        .map_err(drop)
        .unwrap();
    drop(go_tx);
    next(&dropped, "the manager's drop inside the message's Drop");
    next(&stopped, "the other worker asked to stop by that drop");
    assert!(sender.send(Holds(Mutex::new(None), None)).is_err());
}

/// The same ordering in `stop` of a never-started worker, with a subscriber
/// on the caller's thread that panics on the stop's line (documented:
/// "reaches the caller, after the move is complete"): the move is made, but
/// the task and the unread messages are never dropped or drained; with a
/// `WorkerSender` kept, they outlive the manager.
#[test]
fn a_panic_on_the_stop_line_does_not_leak_a_never_started_worker() {
    let ledger = Arc::new(Ledger::default());
    let yard = Yard::<Msg>::new();
    let capture = Msg::new(&ledger);
    yard.create("w", move |_| {
        let _keep = &capture;
        Ok(())
    })
    .unwrap();
    let sender = yard.sender("w").unwrap();
    sender.send(Msg::new(&ledger)).map_err(drop).unwrap();
    let hook = Hook::new(|line: &Line| {
        if line.message.starts_with("stop") {
            panic!("the subscriber panics on the stop line");
        }
    });
    let stopped = tracing::subscriber::with_default(hook, || {
        panic::catch_unwind(AssertUnwindSafe(|| yard.stop("w")))
    });
    assert!(
        stopped.is_err(),
        "the subscriber's panic reaches the caller"
    );
    assert_eq!(yard.state("w"), Ok(WorkerState::Stopped));
    let report = yard.shutdown(LONG);
    assert_eq!(report.clean.len(), 1);
    drop(yard);
    let live = ledger.live();
    drop(sender);
    assert_eq!(
        live, 0,
        "the task's capture and its unread message outlived the manager"
    );
}

/// "paused_ms: total time paused, the current pause included." A worker
/// that fails while Paused (a subscriber on its thread panics on its
/// "paused" line) ends with its pause interval left open: after its end,
/// its paused_ms keeps growing, past its whole wall time.
#[test]
fn a_worker_that_ends_while_paused_stops_counting_its_pause() {
    let (pool, ends) = PoolLike::with_hook(|line: &Line| {
        if line.worker.as_deref() == Some("w") && line.message == "paused" {
            panic!("subscriber panics on the paused line");
        }
    })
    .telling_too();
    let yard = Yard::<u32>::builder().spawner(pool).build().unwrap();
    yard.spawn("w", |w| {
        w.pause_self()?;
        Ok(())
    })
    .unwrap();
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Failed));
    let before = yard.worker("w").unwrap();
    // Time passes: another worker runs from start to end.
    yard.spawn("next", |_| Ok(())).unwrap();
    assert_eq!(yard.join("next", LONG), Ok(WorkerState::Stopped));
    PoolLike::assert_none_unwound(&ends, 2);
    let after = yard.worker("w").unwrap();
    assert_eq!(
        (after.paused_ms, after.wall_ms),
        (before.paused_ms, before.wall_ms),
        "a finished worker's figures changed after its end"
    );
    assert!(after.paused_ms <= after.wall_ms, "{after:?}");
}

/// A manager dropped while its caller's thread unwinds from a panic of its
/// own: the drop's shutdown drops a never-started worker's task, whose
/// capture panics, and its unread message, which panics too. Both panics
/// start while the thread is already panicking; the core catches them
/// (nothing aborts), and the caller's own panic is the one that arrives.
#[test]
fn panicking_drops_while_the_caller_unwinds_are_contained() {
    struct Loud(#[allow(dead_code)] Msg);
    impl Drop for Loud {
        fn drop(&mut self) {
            panic!("a value panics when dropped during the caller's unwinding");
        }
    }
    let ledger = Arc::new(Ledger::default());
    let l = Arc::clone(&ledger);
    let result = panic::catch_unwind(AssertUnwindSafe(|| {
        watched("a manager dropped during unwinding", move || {
            let yard = Yard::<Loud>::new();
            let capture = Loud(Msg::new(&l));
            yard.create("idle", move |_| {
                let _keep = &capture;
                Ok(())
            })
            .unwrap();
            yard.send("idle", Loud(Msg::new(&l))).map_err(drop).unwrap();
            yard.spawn("w", receiver).unwrap();
            yard.send("w", Loud(Msg::new(&l))).map_err(drop).unwrap();
            panic!("the caller's own panic");
        })
    }));
    let payload = result.expect_err("the caller's panic comes through");
    assert_eq!(
        payload.downcast_ref::<&str>().copied(),
        Some("the caller's own panic")
    );
    ledger.assert_all_dropped_once("after the drop during unwinding");
}

/// Two starts, a stop and a shutdown let go at once on one created worker,
/// round after round: its task runs at most once, and if it never ran its
/// captures were still dropped; the worker always ends finished and no
/// place stays reserved.
#[test]
fn starts_racing_stop_and_shutdown_run_the_task_at_most_once() {
    let ledger = Arc::new(Ledger::default());
    let l = Arc::clone(&ledger);
    watched("start, start, stop, shutdown", move || {
        for round in 0..150 {
            let yard = Arc::new(Yard::<u32>::builder().max_threads(1).build().unwrap());
            let runs = Arc::new(AtomicUsize::new(0));
            let (r, capture) = (Arc::clone(&runs), Msg::new(&l));
            yard.create("w", move |w| {
                let _keep = &capture;
                r.fetch_add(1, Ordering::SeqCst);
                receiver(w)
            })
            .unwrap();
            let go = Arc::new(Barrier::new(4));
            let racers: Vec<_> = (0..4)
                .map(|n| {
                    let (yard, go) = (Arc::clone(&yard), Arc::clone(&go));
                    thread::spawn(move || {
                        go.wait();
                        match (n + round) % 4 {
                            0 | 1 => drop(yard.start("w")),
                            2 => drop(yard.stop("w")),
                            _ => drop(yard.shutdown(LONG)),
                        }
                    })
                })
                .collect();
            for racer in racers {
                racer.join().unwrap();
            }
            let report = yard.shutdown(LONG);
            assert!(report.unresponsive.is_empty(), "round {round}: {report:?}");
            assert!(yard.state("w").unwrap().is_finished());
            assert!(runs.load(Ordering::SeqCst) <= 1, "round {round}: ran twice");
            assert_eq!(yard.snapshot().live_threads, 0, "round {round}");
            drop(yard);
            assert_eq!(l.live(), 0, "round {round}: the task's capture is alive");
        }
    });
    ledger.assert_all_dropped_once("after every round");
}

/// `spawn`'s roll-back removes by id whatever is registered under that id
/// when it gets there. A spawner that fails once: the worker's end ("worker
/// failed") is logged on the caller's thread before the roll-back, and the
/// caller's subscriber there removes the failed worker and spawns a new one
/// under the same id. The new worker's `spawn` says Ok, yet the first
/// `spawn`'s roll-back then removes it: it runs on, unknown to the manager.
#[test]
fn a_failed_spawn_rolls_back_only_its_own_worker() {
    struct FailsOnce(AtomicBool);
    impl Spawn for FailsOnce {
        fn spawn(&self, name: &str, job: Job) -> std::io::Result<()> {
            if !self.0.swap(true, Ordering::SeqCst) {
                return Err(std::io::Error::other("no thread this time"));
            }
            thread::Builder::new()
                .name(name.to_owned())
                .spawn(job)
                .map(drop)
        }
    }
    let yard = Arc::new(
        Yard::<u32>::builder()
            .spawner(FailsOnce(AtomicBool::new(false)))
            .build()
            .unwrap(),
    );
    let (release, gate) = mpsc::channel::<()>();
    let gate = Arc::new(Mutex::new(Some(gate)));
    let respawned = Arc::new(Mutex::new(None));
    let hook = {
        let (yard, gate, respawned) = (
            Arc::downgrade(&yard),
            Arc::clone(&gate),
            Arc::clone(&respawned),
        );
        move |line: &Line| {
            if line.message != "worker failed" || line.worker.as_deref() != Some("w") {
                return;
            }
            let (Some(yard), Some(gate)) = (yard.upgrade(), gate.lock().unwrap().take()) else {
                return;
            };
            yard.remove("w").unwrap();
            let again = yard.spawn("w", move |_| {
                let _ = gate.recv();
                Ok(())
            });
            *respawned.lock().unwrap() = Some(again.map(drop));
        }
    };
    let y = Arc::clone(&yard);
    let first = watched("a spawn that fails once", move || {
        tracing::subscriber::with_default(Hook::new(hook), || y.spawn("w", |_| Ok(())).map(drop))
    });
    assert!(matches!(
        first,
        Err(SpawnError::Start(ControlError::Spawn { .. }))
    ));
    let second = respawned.lock().unwrap().take().expect("the second spawn");
    assert!(second.is_ok(), "{second:?}");
    let known = yard.state("w");
    drop(release);
    assert!(
        known.is_ok(),
        "the second spawn said Ok, its task runs, and the manager says {known:?}"
    );
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
}

/// "cpu_time_ms: CPU time of its thread." A task that lends `&Worker` to a
/// helper thread: the helper's receive samples the CPU clock of the
/// helper's own thread into the worker's figure, which then goes backwards
/// (from the worker thread's busy time to the idle helper's).
#[test]
fn a_helper_threads_wait_does_not_replace_the_workers_cpu_time() {
    let yard = Yard::<u32>::new();
    let (sampled_tx, sampled) = mpsc::channel();
    let (go_tx, go) = mpsc::channel::<()>();
    let go = Mutex::new(go);
    yard.spawn("w", move |w| {
        // Work on the worker's own thread until its CPU clock has moved a
        // few milliseconds, then sample it (every 64th task_done does).
        let mut x = 1u64;
        for i in 0..20_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        for _ in 0..64 {
            w.task_done();
        }
        let _ = sampled_tx.send(());
        let _ = go.lock().unwrap().recv();
        thread::scope(|scope| {
            // Waits for a message that never comes: samples on entering.
            scope.spawn(|| w.recv_timeout(Duration::from_millis(20)));
        });
        let _ = sampled_tx.send(());
        receiver(w)
    })
    .unwrap();
    next(&sampled, "the worker's own sample");
    let before = yard
        .worker("w")
        .unwrap()
        .cpu_time_ms
        .expect("a per-thread clock");
    go_tx.send(()).unwrap();
    next(&sampled, "the helper's wait");
    let after = yard
        .worker("w")
        .unwrap()
        .cpu_time_ms
        .expect("a per-thread clock");
    yard.stop("w").unwrap();
    assert!(
        after >= before,
        "cpu_time_ms went backwards: {before} ms, then {after} ms"
    );
}

/// Three senders (one with back-pressure waits) into a small mailbox read
/// by three helper threads of one task at once: every message is read
/// exactly once and none is left waiting while every reader sleeps (a lost
/// wakeup would stall the readers with messages queued, and fail here at
/// the watchdog).
#[test]
fn three_readers_of_one_worker_get_every_message_exactly_once() {
    const PER_SENDER: usize = 3_000;
    let (read_tx, read) = mpsc::channel::<usize>();
    let read_tx = Mutex::new(read_tx);
    let yard = Arc::new(
        Yard::<usize>::builder()
            .mailbox_capacity(4)
            .build()
            .unwrap(),
    );
    yard.spawn("w", move |w| {
        thread::scope(|scope| {
            for _ in 0..3 {
                let read_tx = read_tx.lock().unwrap().clone();
                scope.spawn(move || {
                    while let Ok(n) = w.recv() {
                        let _ = read_tx.send(n);
                    }
                });
            }
        });
        Ok(())
    })
    .unwrap();
    let y = Arc::clone(&yard);
    let read = watched("three readers, three senders", move || {
        let senders: Vec<_> = (0..3)
            .map(|s| {
                let sender = y.sender("w").unwrap();
                thread::spawn(move || {
                    for i in 0..PER_SENDER {
                        let mut n = s * PER_SENDER + i;
                        loop {
                            let sent = if s == 0 {
                                sender.send_timeout(n, LONG)
                            } else {
                                sender.send(n)
                            };
                            match sent {
                                Ok(()) => break,
                                Err(SendError::Full { message, .. }) => {
                                    n = message;
                                    thread::yield_now();
                                }
                                Err(other) => panic!("{other}"),
                            }
                        }
                    }
                })
            })
            .collect();
        // Every message is read before any stop.
        let mut got: Vec<usize> = (0..3 * PER_SENDER)
            .map(|_| next(&read, "a message queued while every reader sleeps"))
            .collect();
        for sender in senders {
            sender.join().unwrap();
        }
        y.stop("w").unwrap();
        assert_eq!(y.join("w", LONG), Ok(WorkerState::Stopped));
        got.extend(read.try_iter());
        got
    });
    let mut read = read;
    read.sort_unstable();
    assert_eq!(read, (0..3 * PER_SENDER).collect::<Vec<_>>());
}

/// `recv_timeout`: a pause lasts until the resume, whatever the receive's
/// timeout (a paused worker does not run its task); once resumed, a receive
/// whose time ran out meanwhile returns at once with nothing.
#[test]
fn recv_timeout_paused_past_its_timeout_returns_nothing_once_resumed() {
    let yard = Yard::<u32>::new();
    let (back_tx, back) = mpsc::channel();
    let (go_tx, go) = mpsc::channel::<()>();
    yard.spawn("w", move |w| {
        let _ = go.recv();
        let got = w.recv_timeout(Duration::from_millis(50));
        let _ = back_tx.send(got);
        receiver(w)
    })
    .unwrap();
    yard.pause("w").unwrap();
    go_tx.send(()).unwrap();
    yard.wait_for_state("w", LONG, |s| s == WorkerState::Paused)
        .unwrap();
    yard.resume("w").unwrap();
    assert_eq!(next(&back, "the receive after the resume"), Ok(None));
    yard.stop("w").unwrap();
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Stopped));
}

/// A subscriber on the caller's thread that panics on every line: each
/// panic reaches the caller, after the move is made and the worker woken
/// (pause, resume, stop, and shutdown's "shutting down", which comes after
/// every worker was asked to stop).
#[test]
fn a_subscriber_that_panics_on_the_callers_lines_leaves_every_move_made() {
    let yard = Arc::new(Yard::<u32>::new());
    let y = Arc::clone(&yard);
    watched(
        "a subscriber that panics on the caller's lines",
        move || {
            let calls = |f: &dyn Fn()| {
                tracing::subscriber::with_default(
                    Hook::new(|line: &Line| panic!("the caller's subscriber panics on {line:?}")),
                    || panic::catch_unwind(AssertUnwindSafe(f)).is_err(),
                )
            };
            assert!(calls(&|| drop(y.spawn("w", receiver))));
            assert!(calls(&|| drop(y.spawn("p", |w| loop {
                w.pause_point()?;
                thread::yield_now();
            }))));
            // "created" panicked: each worker exists but spawn never got to
            // start it.
            for id in ["w", "p"] {
                assert_eq!(y.state(id), Ok(WorkerState::Created));
                y.start(id).unwrap();
            }
            assert!(calls(&|| drop(y.pause("p"))));
            y.wait_for_state("p", LONG, |s| s == WorkerState::Paused)
                .unwrap();
            assert!(calls(&|| drop(y.resume("p"))));
            y.wait_for_state("p", LONG, |s| s == WorkerState::Running)
                .unwrap();
            assert!(calls(&|| drop(y.stop("w"))));
            assert_eq!(y.join("w", LONG), Ok(WorkerState::Stopped));
            assert!(calls(&|| drop(y.shutdown(LONG))));
            assert!(y.is_shut_down());
            assert!(y.join_all(LONG).is_empty());
        },
    );
    let report = yard.shutdown(LONG);
    assert_eq!(ids(&report), (vec!["w", "p"], vec![], vec![]));
}
