//! The core's promises, tried as a hostile user would: code of the caller's
//! that calls back into the manager from every place the core runs it
//! (predicates, `Drop`s, panic payloads, `tracing` subscribers), shutdown
//! from inside a worker, and sends racing shutdown and stop. Each case runs
//! the attack on a watched thread, so a deadlock fails the case instead of
//! hanging it.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use threadyard::{ControlError, SpawnError, WorkerSender, WorkerState, Yard};

use crate::support::*;

/// "No lock is held across user code": a `wait_for_state` predicate that
/// resumes the very worker it watches.
pub fn a_predicate_may_call_back_into_the_manager() {
    let yard = Arc::new(Yard::<String>::new());
    let _progress = paused_counter(&yard, "w");
    let watched = Arc::clone(&yard);
    on_watch("a predicate that calls resume", move || {
        let yard = &watched;
        let reached = yard.wait_for_state("w", LONG, |state| {
            if state == WorkerState::Paused {
                yard.resume("w").expect("resuming from inside a predicate");
            }
            state == WorkerState::Running
        });
        assert_eq!(reached, Ok(WorkerState::Running));
    });
    assert_eq!(yard.shutdown(LONG).clean.len(), 1);
}

/// A `tracing` subscriber that forwards every event line to a logger worker
/// with a send, installed on that very worker's thread: the worker's own
/// pause is logged, and forwarded into its own mailbox.
pub fn a_subscriber_may_send_to_the_worker_that_logs() {
    let yard = Arc::new(Yard::<String>::new());
    let (me_tx, me) = channel::<WorkerSender<String>>();
    let (lines_tx, lines) = channel::<String>();
    yard.create("logger", move |w| {
        let me = me.recv().expect("the logger's own sender");
        // A full mailbox refuses at once: a log line is not worth a wait.
        let forward = OnLine(move |line: String| drop(me.send(line)));
        let _default = tracing::subscriber::set_default(forward);
        loop {
            // A receive is a pause point: the pause is acknowledged (and
            // logged) in here.
            let line = w.recv()?;
            let _ = lines_tx.send(line);
        }
    })
    .unwrap();
    me_tx.send(yard.sender("logger").unwrap()).unwrap();
    yard.start("logger").unwrap();
    let watched = Arc::clone(&yard);
    on_watch("a subscriber sending to its own worker", move || {
        let yard = &watched;
        yard.pause("logger").unwrap();
        reach(yard, "logger", WorkerState::Paused);
        yard.resume("logger").unwrap();
        // The line of its own pause, read back from its own mailbox.
        let line = next(&lines);
        assert!(line.contains("paused"), "{line}");
        assert_eq!(yard.shutdown(LONG).clean.len(), 1);
    });
}

/// A value captured by a task whose `Drop` calls back into the manager, when
/// the manager refuses that task (at capacity, or a duplicate id) and drops
/// it.
pub fn a_refused_task_is_dropped_with_no_lock_held() {
    let yard = Arc::new(Yard::<String>::builder().max_threads(1).build().unwrap());
    let _blocker = running_counter(&yard, "blocker");
    let watched = Arc::clone(&yard);
    let dropped = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&dropped);
    on_watch("dropping a refused task", move || {
        let yard = &watched;
        let calls_back = OnDrop::new(Arc::clone(yard), Arc::clone(&counted));
        let refused = yard.spawn("one-too-many", move |_| {
            let _keep = &calls_back;
            Ok(())
        });
        assert!(matches!(
            refused,
            Err(SpawnError::Start(ControlError::AtCapacity { .. }))
        ));
        let calls_back = OnDrop::new(Arc::clone(yard), Arc::clone(&counted));
        let duplicate = yard.create("blocker", move |_| {
            let _keep = &calls_back;
            Ok(())
        });
        assert!(duplicate.is_err());
    });
    assert_eq!(
        dropped.load(Ordering::SeqCst),
        2,
        "both refused tasks dropped"
    );
    assert_eq!(yard.snapshot().workers.len(), 1, "nothing was kept");
}

/// "A panic is caught at the worker's boundary": a panic whose payload
/// panics again when dropped.
pub fn a_panic_payload_that_panics_when_dropped_still_fails_the_worker() {
    let yard = Yard::<String>::builder().max_threads(1).build().unwrap();
    yard.spawn("w", |_| std::panic::panic_any(Bomb(2))).unwrap();
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Failed));
    let error = yard.worker("w").unwrap().last_error.unwrap();
    assert!(error.contains("panicked"), "{error}");
    // Its thread was given back: the one place is free for another worker.
    yard.spawn("next", |_| Ok(())).unwrap();
    assert_eq!(yard.join("next", LONG), Ok(WorkerState::Stopped));
}

/// A task whose captured values panic when the task is dropped.
pub fn a_task_whose_captures_panic_when_dropped_still_ends() {
    let yard = Yard::<String>::builder().max_threads(1).build().unwrap();
    let loud = Bomb(0);
    yard.spawn("w", move |_| {
        let _keep = &loud;
        Ok(())
    })
    .unwrap();
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Failed));
    let s = yard.worker("w").unwrap();
    assert!(
        s.last_error
            .as_deref()
            .unwrap()
            .contains("while dropping the task"),
        "{:?}",
        s.last_error
    );
    yard.spawn("next", |_| Ok(())).unwrap();
    assert_eq!(yard.join("next", LONG), Ok(WorkerState::Stopped));
    let report = yard.shutdown(LONG);
    assert_eq!(report.failed.len(), 1);
}

/// "One overall deadline": shutdown called from inside a worker's task,
/// with no deadline at all, returns (it does not wait for its caller).
pub fn shutdown_from_inside_a_worker_does_not_wait_for_it() {
    let yard = Arc::new(Yard::<String>::new());
    let (report_tx, reports) = channel();
    let inside = Arc::clone(&yard);
    yard.spawn("other", |w| loop {
        w.recv()?;
    })
    .unwrap();
    yard.spawn("caller", move |_| {
        let _ = report_tx.send(inside.shutdown(Duration::MAX));
        Ok(())
    })
    .unwrap();
    let report = next(&reports);
    assert_eq!(
        report
            .in_shutdown
            .iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>(),
        ["caller"]
    );
    assert_eq!(
        report
            .clean
            .iter()
            .map(|id| id.as_str())
            .collect::<Vec<_>>(),
        ["other"]
    );
    assert!(report.unresponsive.is_empty());
    assert_eq!(yard.join("caller", LONG), Ok(WorkerState::Stopped));
}

/// "Dropping the manager shuts it down": the last handle dropped inside a
/// worker's task, with no drop deadline at all.
pub fn dropping_the_last_handle_inside_a_worker_does_not_wait_for_it() {
    let yard = Yard::<String>::builder()
        .drop_deadline(Duration::MAX)
        .build()
        .unwrap();
    let (stopped_tx, stopped) = channel();
    yard.spawn("other", move |w| loop {
        if w.recv().is_err() {
            let _ = stopped_tx.send(());
            return Ok(());
        }
    })
    .unwrap();
    let (handle_tx, handle) = channel::<Yard<String>>();
    let (done_tx, done) = channel();
    yard.spawn("dropper", move |_| {
        drop(handle.recv().expect("the manager"));
        let _ = done_tx.send(());
        Ok(())
    })
    .unwrap();
    handle_tx.send(yard).unwrap();
    next(&done);
    // The drop asked every other worker to stop.
    next(&stopped);
}

/// "After shutdown begins no message is accepted": a sender that has seen
/// `is_shut_down()` is refused, however many mailboxes shutdown still has
/// to close.
pub fn no_send_is_accepted_once_shutdown_is_seen() {
    const WORKERS: usize = 1000;
    let yard = Arc::new(Yard::<u32>::new());
    for i in 0..WORKERS {
        yard.create(&format!("w{i}"), |_| Ok(())).unwrap();
    }
    let (go_tx, go) = channel();
    let (done_tx, done) = channel();
    let sender = Arc::clone(&yard);
    let _helper = helper(move || {
        let mut late = 0;
        go_tx.send(()).unwrap();
        for round in 0.. {
            let id = format!("w{}", round % WORKERS);
            let seen = sender.is_shut_down();
            let accepted = sender.send(&id, 0).is_ok();
            late += usize::from(seen && accepted);
            if seen && round % WORKERS == WORKERS - 1 {
                break;
            }
        }
        done_tx.send(late).unwrap();
    });
    next(&go);
    let _ = yard.shutdown(LONG);
    assert_eq!(
        next(&done),
        0,
        "sends accepted after is_shut_down() was true"
    );
}

/// "Send after the worker ended gets `Finished`": a sender that has seen a
/// never-started worker Stopped is refused, even while the stop is still
/// under way. The stop's own log line (a `tracing` subscriber on the
/// stopping thread) is where the sender is let in to look and send.
pub fn no_send_is_accepted_once_a_stop_is_seen() {
    const WORKERS: usize = 20;
    let yard = Arc::new(Yard::<u32>::new());
    for i in 0..WORKERS {
        yard.create(&format!("w{i}"), |_| Ok(())).unwrap();
    }
    let (look_tx, look) = channel::<String>();
    let (saw_tx, saw) = channel::<(WorkerState, bool)>();
    let sender = Arc::clone(&yard);
    let _helper = helper(move || {
        while let Ok(id) = look.recv() {
            let state = sender.state(&id).unwrap();
            let accepted = sender.send(&id, 0).is_ok();
            saw_tx.send((state, accepted)).unwrap();
        }
    });
    let current = Arc::new(Mutex::new(String::new()));
    let seen = Arc::new(Mutex::new(Vec::new()));
    // On the stop's log line, the sender looks at the worker's state and
    // sends to it; what it saw is kept.
    let during = {
        let (current, seen, saw) = (Arc::clone(&current), Arc::clone(&seen), Mutex::new(saw));
        OnLine(move |line: String| {
            if line.starts_with("message=stop ") {
                look_tx.send(current.lock().unwrap().clone()).unwrap();
                let saw = next(&saw.lock().unwrap());
                seen.lock().unwrap().push(saw);
            }
        })
    };
    tracing::subscriber::with_default(during, || {
        for i in 0..WORKERS {
            let id = format!("w{i}");
            *current.lock().unwrap() = id.clone();
            yard.stop(&id).unwrap();
        }
    });
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert_eq!(seen.len(), WORKERS, "every stop was logged");
    for (state, accepted) in seen {
        assert_eq!(state, WorkerState::Stopped);
        assert!(!accepted, "a send was accepted after state() read Stopped");
    }
}

/// "Nothing lost, nothing left behind": messages left unread when a worker
/// ends are dropped before its end is published (and counted), even while
/// someone still holds a sender to it.
pub fn unread_messages_are_dropped_before_the_end_is_published() {
    let yard = Yard::<Counted>::new();
    let live = Arc::new(AtomicUsize::new(0));
    yard.spawn("w", |w| loop {
        w.pause_point()?;
        std::thread::yield_now();
    })
    .unwrap();
    let sender = yard.sender("w").unwrap();
    for _ in 0..3 {
        sender.send(Counted::new(&live)).unwrap();
    }
    let report = yard.shutdown(LONG);
    assert_eq!(report.undelivered_messages, 3);
    assert_eq!(yard.worker("w").unwrap().mailbox.depth, 3);
    assert_eq!(
        live.load(Ordering::SeqCst),
        0,
        "unread messages still alive"
    );
    drop(sender);
}

/// `broadcast` clones the message once per mailbox: a `Clone` that calls
/// back into the manager (here: a snapshot and a send of its own).
pub fn a_message_clone_may_call_back_into_the_manager() {
    let yard = Arc::new(Yard::<Echo>::new());
    for id in ["a", "b"] {
        yard.spawn(id, |w| loop {
            w.recv()?;
        })
        .unwrap();
    }
    let watched = Arc::clone(&yard);
    on_watch("a Clone that calls back", move || {
        let report = watched.broadcast(Echo(Some(Arc::clone(&watched))));
        assert_eq!(report.count(threadyard::Delivery::Delivered), 2);
    });
    assert_eq!(yard.shutdown(LONG).clean.len(), 2);
}

/// A waker whose `wake` makes another state change: the change signal wakes
/// its async waiters with no lock held.
pub fn a_waker_may_call_back_into_the_manager() {
    use std::future::Future;
    use std::task::{Context, Wake, Waker};
    struct Resumes(Arc<Yard<String>>);
    impl Wake for Resumes {
        fn wake(self: Arc<Self>) {
            let _ = self.0.resume("w");
        }
    }
    let yard = Arc::new(Yard::<String>::new());
    let _progress = running_counter(&yard, "w");
    let watched = Arc::clone(&yard);
    on_watch("a waker that resumes", move || {
        let waker = Waker::from(Arc::new(Resumes(Arc::clone(&watched))));
        let mut changed = std::pin::pin!(watched.changed());
        assert!(changed
            .as_mut()
            .poll(&mut Context::from_waker(&waker))
            .is_pending());
        // The pause wakes the waker, which resumes: a change made from
        // inside the change signal's own notification.
        watched.pause("w").unwrap();
        watched
            .wait_for_state("w", LONG, |s| s == WorkerState::Running)
            .unwrap();
    });
    assert_eq!(yard.shutdown(LONG).clean.len(), 1);
}

/// A spawner of the caller's that panics, or that drops the job without
/// running it: the worker becomes Failed, never Running with no thread.
pub fn a_broken_spawner_fails_the_worker() {
    #[derive(Debug)]
    struct Panics;
    impl threadyard::platform::Spawn for Panics {
        fn spawn(&self, _: &str, _: threadyard::platform::Job) -> std::io::Result<()> {
            panic!("no threads today")
        }
    }
    #[derive(Debug)]
    struct DropsTheJob;
    impl threadyard::platform::Spawn for DropsTheJob {
        fn spawn(&self, _: &str, job: threadyard::platform::Job) -> std::io::Result<()> {
            drop(job);
            Ok(())
        }
    }
    let yard = Yard::<String>::builder().spawner(Panics).build().unwrap();
    yard.create("w", |_| Ok(())).unwrap();
    match yard.start("w") {
        Err(ControlError::Spawn { reason, .. }) => {
            assert!(reason.contains("no threads today"), "{reason}")
        }
        other => panic!("expected a Spawn error, got {other:?}"),
    }
    assert_eq!(yard.state("w"), Ok(WorkerState::Failed));
    assert_eq!(
        yard.snapshot().live_threads,
        0,
        "its thread place is given back"
    );

    let yard = Yard::<String>::builder()
        .spawner(DropsTheJob)
        .build()
        .unwrap();
    yard.spawn("w", |_| Ok(())).unwrap();
    assert_eq!(yard.join("w", LONG), Ok(WorkerState::Failed));
    let error = yard.worker("w").unwrap().last_error.unwrap();
    assert!(error.contains("never ran"), "{error}");
    assert_eq!(yard.snapshot().live_threads, 0);
}

/// Runs `attack` on a thread of its own and waits for it: a deadlock fails
/// the case at the deadline (naming `what`) instead of hanging the suite.
fn on_watch(what: &str, attack: impl FnOnce() + Send + 'static) {
    let (done_tx, done) = channel();
    let watcher = helper(move || {
        attack();
        let _ = done_tx.send(());
    });
    if let Err(error) = next_within(&done) {
        let failure = watcher.worker("helper").ok().and_then(|s| s.last_error);
        panic!("{what}: {error}; {failure:?}");
    }
}

/// A message that counts how many of its kind are alive.
pub struct Counted(Arc<AtomicUsize>);

impl Counted {
    fn new(live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(live))
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Panics when dropped. The panic's payload is a bomb with one charge
/// fewer, so it panics again when dropped, until the charges run out.
struct Bomb(u32);

impl Drop for Bomb {
    fn drop(&mut self) {
        match self.0 {
            0 => panic!("the last bomb went off"),
            n => std::panic::panic_any(Bomb(n - 1)),
        }
    }
}

/// A message whose `Clone` calls back into the manager it is sent through.
struct Echo(Option<Arc<Yard<Echo>>>);

impl Clone for Echo {
    fn clone(&self) -> Self {
        if let Some(yard) = &self.0 {
            let _ = yard.snapshot();
            let _ = yard.send("a", Echo(None));
        }
        Echo(None)
    }
}

/// Calls back into the manager when dropped, and counts the drop.
struct OnDrop {
    yard: Arc<Yard<String>>,
    dropped: Arc<AtomicUsize>,
}

impl OnDrop {
    fn new(yard: Arc<Yard<String>>, dropped: Arc<AtomicUsize>) -> Self {
        Self { yard, dropped }
    }
}

impl Drop for OnDrop {
    fn drop(&mut self) {
        let _ = self.yard.snapshot();
        self.dropped.fetch_add(1, Ordering::SeqCst);
    }
}

/// A `tracing` subscriber that hands every event, as a line of text
/// (`field=value ` pairs), to a closure.
struct OnLine<F>(F);

impl<F: Fn(String) + Send + Sync + 'static> tracing::Subscriber for OnLine<F> {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        let mut line = Line::default();
        event.record(&mut line);
        (self.0)(line.0);
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[derive(Default)]
struct Line(String);

impl tracing::field::Visit for Line {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.0.push_str(&format!("{}={value:?} ", field.name()));
    }
}
