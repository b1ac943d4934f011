//! The non-blocking forms the browser's main thread uses. Each case returns a
//! future: the browser harness awaits it, the native one blocks on it.

use std::future::{pending, ready};

use threadyard::{WorkerState, Yard};

use crate::support::*;

pub async fn shutdown_async_waits_for_every_worker() {
    let yard = Yard::<String>::new();
    paused_counter(&yard, "paused");
    yard.spawn("receiving", |w| loop {
        w.recv()?;
    })
    .unwrap();
    let report = yard.shutdown_async(pending::<()>()).await;
    assert_eq!(report.clean.len(), 2);
    assert!(report.unresponsive.is_empty());
}

pub async fn shutdown_async_reports_at_its_deadline() {
    let yard = Yard::<String>::new();
    let release_tx = stubborn(&yard, "stubborn");
    // A deadline that has already passed: report at once.
    let report = yard.shutdown_async(ready(())).await;
    assert_eq!(report.unresponsive.len(), 1);
    release_tx.send(()).unwrap();
    let state = yard.join_async("stubborn", pending::<()>()).await.unwrap();
    assert_eq!(state, Some(WorkerState::Stopped));
}

pub async fn changed_resolves_on_the_next_state_change() {
    let yard = Yard::<String>::new();
    running_counter(&yard, "w");
    let changed = yard.changed();
    yard.pause("w").unwrap();
    changed.await;
    assert_ne!(yard.state("w").unwrap(), WorkerState::Running);
    assert_eq!(
        yard.join_async("w", ready(())).await.unwrap(),
        None,
        "still live"
    );
}
