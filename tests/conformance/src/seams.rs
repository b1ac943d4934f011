//! The seams of issue 24 part 2, held on both platforms: a wait that never
//! blocks is no edge of the wait-for graph, a lock belongs to the
//! incarnation of the worker that took it (and is poisoned when that one
//! ends holding it), and nested activities keep the accounting identity.

use std::sync::Arc;
use std::time::Duration;

use threadyard::{ControlError, SendError, WorkerState, Yard};

use crate::support::{channel, next, LONG};

/// What worker `a` saw of its two calls that must not wait.
#[derive(Debug)]
struct Answers {
    join_timed_out: bool,
    send_was_full: bool,
}

/// `a` holds L while `b` waits for L with a full mailbox; `a` then joins `b`
/// and sends to it with no time to wait. Neither call blocks, so neither is
/// an edge: both answer at once, both workers finish, and no deadlock is
/// recorded (before, `a -> b -> a` was, for a cycle that never held).
pub fn a_wait_that_never_blocks_is_not_an_edge() {
    let yard = Arc::new(Yard::<u32>::builder().mailbox_capacity(1).build().unwrap());
    let lock = yard.lock("L").unwrap();
    let (held_tx, held) = channel();
    let (go_tx, go) = channel::<()>();
    let (answers_tx, answers) = channel();
    let inside = Arc::clone(&yard);
    let l = lock.clone();
    yard.spawn("a", move |w| {
        l.lock(w)?;
        held_tx.send(()).unwrap();
        let _ = go.recv();
        let joined = inside.join("b", Duration::ZERO);
        let sent = w.send_to_timeout("b", 1, Duration::ZERO);
        answers_tx
            .send(Answers {
                join_timed_out: matches!(joined, Err(ControlError::Timeout { .. })),
                send_was_full: matches!(sent, Err(SendError::Full { .. })),
            })
            .unwrap();
        l.unlock(w)?;
        Ok(())
    })
    .unwrap();
    next(&held);
    yard.create("b", move |w| {
        lock.lock(w)?;
        lock.unlock(w)?;
        Ok(())
    })
    .unwrap();
    // b's mailbox is full before it runs: it never reads.
    yard.send("b", 0).unwrap();
    yard.start("b").unwrap();
    assert!(
        yard.wait_for_waits(LONG, |waits, _| waits
            .iter()
            .any(|e| e.worker.as_str() == "b")),
        "b never waited for L: {:?}",
        yard.waits()
    );
    go_tx.send(()).unwrap();
    let answers = next(&answers);
    assert!(
        answers.join_timed_out && answers.send_was_full,
        "{answers:?}"
    );
    for id in ["a", "b"] {
        assert_eq!(yard.join(id, LONG).unwrap(), WorkerState::Stopped, "{id}");
    }
    assert_eq!(
        yard.deadlocks(),
        [],
        "a join and a send with no time to wait never block"
    );
    assert!(yard.waits().is_empty(), "{:?}", yard.waits());
    assert!(yard.shutdown(LONG).deadlocks.is_empty());
}

/// The other side: a join that does wait is an edge the moment it blocks,
/// and closes the cycle `a -> b -> a` while it lasts (b waits for L held by
/// a); the cycle ends when b is stopped out of its wait.
pub fn a_wait_that_blocks_is_an_edge_while_it_lasts() {
    let yard = Arc::new(Yard::<u32>::new());
    let lock = yard.lock("L").unwrap();
    let (held_tx, held) = channel();
    let (go_tx, go) = channel::<()>();
    let (joined_tx, joined) = channel();
    let inside = Arc::clone(&yard);
    let l = lock.clone();
    yard.spawn("a", move |w| {
        l.lock(w)?;
        held_tx.send(()).unwrap();
        let _ = go.recv();
        joined_tx.send(inside.join("b", LONG)).unwrap();
        l.unlock(w)?;
        Ok(())
    })
    .unwrap();
    next(&held);
    yard.spawn("b", move |w| {
        lock.lock(w)?;
        lock.unlock(w)?;
        Ok(())
    })
    .unwrap();
    assert!(yard.wait_for_waits(LONG, |waits, _| waits
        .iter()
        .any(|e| e.worker.as_str() == "b")));
    go_tx.send(()).unwrap();
    assert!(
        yard.wait_for_waits(LONG, |_, deadlocks| !deadlocks.is_empty()),
        "the join closed a cycle: {:?}",
        yard.waits()
    );
    let deadlocks = yard.deadlocks();
    assert_eq!(deadlocks.len(), 1, "{deadlocks:?}");
    assert!(
        deadlocks[0].text.starts_with("deadlock: a -> b -> a"),
        "{}",
        deadlocks[0].text
    );
    yard.stop("b").unwrap();
    assert_eq!(next(&joined).unwrap(), WorkerState::Stopped);
    assert_eq!(yard.join("a", LONG).unwrap(), WorkerState::Stopped);
    assert!(yard.waits().is_empty(), "{:?}", yard.waits());
}
