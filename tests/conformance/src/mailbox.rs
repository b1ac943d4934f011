use std::time::Duration;

use threadyard::{SendError, WorkerOptions, WorkerState, Yard};

use crate::support::*;

/// A worker that waits for the test's go-ahead before reading its mailbox,
/// then forwards everything it reads.
fn held_reader(
    yard: &Yard<u32>,
    id: &str,
    capacity: usize,
) -> (std::sync::mpsc::Sender<()>, std::sync::mpsc::Receiver<u32>) {
    let (go_tx, go) = channel::<()>();
    let (out_tx, out) = channel();
    yard.spawn_with(
        id,
        WorkerOptions::new().mailbox_capacity(capacity),
        move |w| {
            go.recv().ok();
            loop {
                out_tx.send(w.recv()?).ok();
            }
        },
    )
    .unwrap();
    (go_tx, out)
}

pub fn full_mailbox_refuses_and_returns_the_message() {
    let yard = Yard::<u32>::new();
    let (go, out) = held_reader(&yard, "w", 2);
    yard.send("w", 1).unwrap();
    yard.send("w", 2).unwrap();
    match yard.send("w", 3) {
        Err(SendError::Full {
            capacity: 2,
            message: 3,
            ..
        }) => {}
        other => panic!("expected Full with the message back, got {other:?}"),
    }
    let mailbox = yard.worker("w").unwrap().mailbox;
    assert_eq!(
        (
            mailbox.depth,
            mailbox.high_water,
            mailbox.sent,
            mailbox.rejected_full
        ),
        (2, 2, 2, 1)
    );
    go.send(()).unwrap();
    assert_eq!((next(&out), next(&out)), (1, 2));
    let mailbox = yard.worker("w").unwrap().mailbox;
    assert_eq!(
        (mailbox.depth, mailbox.received, mailbox.high_water),
        (0, 2, 2)
    );
}

pub fn send_timeout_waits_for_room() {
    let yard = Yard::<u32>::new();
    let (go, out) = held_reader(&yard, "w", 1);
    yard.send("w", 1).unwrap();
    let sender = yard.sender("w").unwrap();
    let (sent_tx, sent) = channel();
    let blocked = helper(move || {
        sent_tx
            .send(sender.send_timeout(2, LONG).map_err(|e| e.to_string()))
            .unwrap();
    });
    go.send(()).unwrap();
    assert_eq!(next(&out), 1);
    next(&sent).unwrap();
    assert_eq!(next(&out), 2);
    assert_eq!(blocked.join("helper", LONG).unwrap(), WorkerState::Stopped);
}

pub fn send_timeout_gives_up_at_the_deadline() {
    let yard = Yard::<u32>::new();
    let (_go, _out) = held_reader(&yard, "w", 1);
    yard.send("w", 1).unwrap();
    match yard.send_timeout("w", 2, Duration::from_millis(20)) {
        Err(SendError::Full { message: 2, .. }) => {}
        other => panic!("expected Full after waiting, got {other:?}"),
    }
    assert_eq!(yard.worker("w").unwrap().mailbox.depth, 1);
}

pub fn messages_arrive_in_order_per_sender() {
    const PER_SENDER: u32 = 2_000;
    let yard = Yard::<u32>::new();
    let (out_tx, out) = channel();
    yard.spawn_with("w", WorkerOptions::new().mailbox_capacity(8), move |w| {
        for _ in 0..3 * PER_SENDER {
            out_tx.send(w.recv()?).ok();
        }
        Ok(())
    })
    .unwrap();
    let senders: Vec<_> = (0..3)
        .map(|s| {
            let sender = yard.sender("w").unwrap();
            helper(move || {
                for i in 0..PER_SENDER {
                    sender.send_timeout(s * PER_SENDER + i, LONG).unwrap();
                }
            })
        })
        .collect();
    for s in senders {
        assert_eq!(s.join("helper", LONG).unwrap(), WorkerState::Stopped);
    }
    let got: Vec<u32> = (0..3 * PER_SENDER).map(|_| next(&out)).collect();
    for s in 0..3 {
        let mine: Vec<u32> = got
            .iter()
            .copied()
            .filter(|m| m / PER_SENDER == s)
            .collect();
        assert_eq!(
            mine,
            (s * PER_SENDER..(s + 1) * PER_SENDER).collect::<Vec<_>>(),
            "sender {s}"
        );
    }
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
    let mailbox = yard.worker("w").unwrap().mailbox;
    assert_eq!(
        (mailbox.sent, mailbox.received),
        (3 * PER_SENDER as u64, 3 * PER_SENDER as u64)
    );
    assert!(mailbox.high_water <= 8);
}

pub fn control_is_never_blocked_by_a_full_mailbox() {
    let yard = Yard::<u32>::new();
    let (at_gate_tx, at_gate) = channel::<()>();
    yard.spawn_with("w", WorkerOptions::new().mailbox_capacity(1), move |w| {
        at_gate_tx.send(()).ok();
        loop {
            w.pause_point()?;
            std::thread::yield_now();
        }
    })
    .unwrap();
    next(&at_gate);
    yard.send("w", 1).unwrap();
    assert!(yard.send("w", 2).is_err(), "mailbox is full");
    yard.pause("w").unwrap();
    reach(&yard, "w", WorkerState::Paused);
    yard.resume("w").unwrap();
    yard.stop("w").unwrap();
    assert_eq!(yard.join("w", LONG).unwrap(), WorkerState::Stopped);
}

pub fn receive_variants() {
    let yard = Yard::<u32>::new();
    let (out_tx, out) = channel();
    let (go_tx, go) = channel::<()>();
    yard.spawn("w", move |w| {
        out_tx.send(("try on empty", w.try_recv())).unwrap();
        out_tx
            .send((
                "timeout on empty",
                w.recv_timeout(Duration::from_millis(5))?,
            ))
            .unwrap();
        go.recv().ok();
        out_tx.send(("try", w.try_recv())).unwrap();
        out_tx.send(("timeout", w.recv_timeout(LONG)?)).unwrap();
        out_tx.send(("blocking", Some(w.recv()?))).unwrap();
        Ok(())
    })
    .unwrap();
    assert_eq!(next(&out), ("try on empty", None));
    assert_eq!(next(&out), ("timeout on empty", None));
    for m in [10, 20, 30] {
        yard.send("w", m).unwrap();
    }
    go_tx.send(()).unwrap();
    assert_eq!(next(&out), ("try", Some(10)));
    assert_eq!(next(&out), ("timeout", Some(20)));
    assert_eq!(next(&out), ("blocking", Some(30)));
}

pub fn workers_message_each_other() {
    let yard = Yard::<u32>::new();
    let (out_tx, out) = channel();
    yard.spawn("pong", move |w| {
        let n = w.recv()?;
        out_tx.send(n).unwrap();
        Ok(())
    })
    .unwrap();
    yard.spawn("ping", |w| {
        assert_eq!(
            w.peers().iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            ["pong"]
        );
        w.send_to("pong", 42).map_err(|e| e.to_string())?;
        match w.send_to("nobody", 1) {
            Err(SendError::UnknownWorker { message: 1, .. }) => Ok(()),
            other => Err(format!("expected UnknownWorker, got {other:?}").into()),
        }
    })
    .unwrap();
    assert_eq!(next(&out), 42);
    assert_eq!(yard.join("ping", LONG).unwrap(), WorkerState::Stopped);
}

/// Neither `Clone` nor `Debug`: only `Send + 'static` is asked of a message.
struct Opaque(Box<u64>);

pub fn any_message_type_works() {
    let yard = Yard::<Opaque>::new();
    let (out_tx, out) = channel();
    yard.spawn("w", move |w| {
        out_tx.send(*w.recv()?.0).unwrap();
        Ok(())
    })
    .unwrap();
    yard.send("w", Opaque(Box::new(7))).unwrap();
    assert_eq!(next(&out), 7);
    yard.join("w", LONG).unwrap();
    // A refused message comes back whole.
    let back = yard
        .send("w", Opaque(Box::new(8)))
        .unwrap_err()
        .into_message();
    assert_eq!(*back.0, 8);
}
