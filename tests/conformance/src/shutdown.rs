use std::time::Duration;

use threadyard::{ControlError, CreateError, SendError, WorkerState, Yard};

use crate::support::*;

pub fn with_no_workers() {
    let yard = Yard::<String>::new();
    let report = yard.shutdown(Duration::ZERO);
    assert!(report.clean.is_empty() && report.failed.is_empty() && report.unresponsive.is_empty());
    assert_eq!(report.undelivered_messages, 0);
}

pub fn wakes_paused_and_receiving_workers() {
    let yard = Yard::<String>::new();
    paused_counter(&yard, "paused");
    let (in_recv_tx, in_recv) = channel::<()>();
    yard.spawn("receiving", move |w| {
        in_recv_tx.send(()).unwrap();
        loop {
            w.recv()?;
        }
    })
    .unwrap();
    next(&in_recv);
    yard.create("never-started", |_| Ok(())).unwrap();
    let report = yard.shutdown(LONG);
    let clean: Vec<&str> = report.clean.iter().map(|i| i.as_str()).collect();
    assert_eq!(clean, ["paused", "receiving", "never-started"]);
    assert!(report.unresponsive.is_empty() && report.failed.is_empty());
    assert!(report.elapsed_ms >= 0.0);
}

pub fn reports_unresponsive_workers_by_the_deadline() {
    let yard = Yard::<String>::new();
    // Ignores stop: blocks on something the manager cannot see.
    let release_tx = stubborn(&yard, "stubborn");
    yard.spawn("polite", |w| loop {
        w.recv()?;
    })
    .unwrap();
    let report = yard.shutdown(Duration::from_millis(50));
    assert_eq!(
        report
            .unresponsive
            .iter()
            .map(|i| i.as_str())
            .collect::<Vec<_>>(),
        ["stubborn"]
    );
    assert_eq!(
        report.clean.iter().map(|i| i.as_str()).collect::<Vec<_>>(),
        ["polite"]
    );
    assert_eq!(yard.state("stubborn").unwrap(), WorkerState::Stopping);
    // Once released it finishes on its own, detached.
    release_tx.send(()).unwrap();
    assert_eq!(yard.join("stubborn", LONG).unwrap(), WorkerState::Stopped);
}

pub fn counts_undelivered_messages() {
    let yard = Yard::<u32>::new();
    let (started_tx, started) = channel::<()>();
    yard.spawn("w", move |w| loop {
        started_tx.send(()).ok();
        w.pause_self()?;
    })
    .unwrap();
    next(&started);
    reach(&yard, "w", WorkerState::Paused);
    for m in 0..5 {
        yard.send("w", m).unwrap();
    }
    let report = yard.shutdown(LONG);
    assert_eq!(report.undelivered_messages, 5);
    assert_eq!(report.clean.len(), 1);
}

pub fn refuses_new_work_afterwards() {
    let yard = Yard::<String>::new();
    yard.spawn("w", |w| loop {
        w.recv()?;
    })
    .unwrap();
    yard.shutdown(LONG);
    assert!(yard.is_shut_down());
    assert_eq!(
        yard.create("x", |_| Ok(())).unwrap_err(),
        CreateError::ShutDown
    );
    assert!(matches!(
        yard.send("w", "late".into()),
        Err(SendError::Finished { .. })
    ));
    assert!(matches!(yard.start("w"), Err(ControlError::ShutDown)));
    // Shutdown again just reports again.
    assert_eq!(yard.shutdown(Duration::ZERO).clean.len(), 1);
}

pub fn drop_shuts_down() {
    let (stopped_tx, stopped) = channel::<bool>();
    {
        let yard = Yard::<String>::new();
        yard.spawn("w", move |w| {
            let result = w.recv();
            stopped_tx.send(result.is_err()).unwrap();
            Ok(())
        })
        .unwrap();
    }
    assert!(
        next(&stopped),
        "recv returned StopRequested when the manager was dropped"
    );
}
