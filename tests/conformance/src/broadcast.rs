use threadyard::{Delivery, WorkerOptions, WorkerState, Yard};

use crate::support::*;

pub fn reaches_every_live_worker_with_a_report() {
    let yard = Yard::<String>::new();
    let (out_tx, out) = channel();
    for id in ["a", "b"] {
        let out_tx = out_tx.clone();
        yard.spawn(id, move |w| {
            let m = w.recv()?;
            out_tx.send((w.id().to_string(), m)).unwrap();
            Ok(())
        })
        .unwrap();
    }
    // One with a full mailbox, one finished, one not started yet.
    let (gate_tx, gate) = channel::<()>();
    yard.spawn_with(
        "full",
        WorkerOptions::new().mailbox_capacity(1),
        move |_| {
            gate.recv().ok();
            Ok(())
        },
    )
    .unwrap();
    yard.send("full", "filler".into()).unwrap();
    yard.spawn("done", |_| Ok(())).unwrap();
    yard.join("done", LONG).unwrap();
    yard.create("later", |w| {
        w.recv()?;
        Ok(())
    })
    .unwrap();

    let report = yard.broadcast("shutdown".to_owned());
    let ids = |d| report.ids(d).iter().map(|i| i.as_str()).collect::<Vec<_>>();
    assert_eq!(ids(Delivery::Delivered), ["a", "b", "later"]);
    assert_eq!(ids(Delivery::MailboxFull), ["full"]);
    assert_eq!(ids(Delivery::Finished), ["done"]);

    let mut got = vec![next(&out), next(&out)];
    got.sort();
    assert_eq!(
        got,
        [
            ("a".into(), "shutdown".into()),
            ("b".into(), "shutdown".into())
        ]
    );
    yard.start("later").unwrap();
    assert_eq!(yard.join("later", LONG).unwrap(), WorkerState::Stopped);
    gate_tx.send(()).unwrap();
}
