//! A producer/consumer pipeline with back-pressure: the consumer's mailbox is
//! bounded, so a producer faster than its consumer waits for room instead of
//! piling up memory or dropping work.
//!
//! ```sh
//! cargo run -p threadyard --example pipeline
//! ```
//!
//! It checks its own outcome and exits non-zero if the manager misbehaved.

use std::error::Error;
use std::thread;
use std::time::Duration;

use threadyard::{SendError, TaskError, Worker, WorkerOptions, WorkerState, Yard};

/// What flows down the pipe.
enum Job {
    Item(u64),
    /// No more items: the consumer finishes when it reads this.
    End,
}

const ITEMS: u64 = 100;
/// Small, so the producer runs into it at once.
const CAPACITY: usize = 4;
/// The consumer's work per item: it is the slow stage.
const WORK: Duration = Duration::from_millis(2);
/// Far longer than anything here should take: a deadline for a broken
/// manager, never a wait for a working one.
const GENEROUS: Duration = Duration::from_secs(10);

fn main() -> Result<(), Box<dyn Error>> {
    let yard = Yard::<Job>::new();

    // The consumer first: the producer sends to it by name from its first
    // moment.
    let mut expected = 1;
    yard.spawn_with(
        "consumer",
        WorkerOptions::new().mailbox_capacity(CAPACITY),
        move |w| loop {
            match w.recv()? {
                Job::Item(n) => {
                    // A lost, repeated or reordered item fails the worker,
                    // and the checks below see it.
                    if n != expected {
                        return Err(format!("got item {n}, expected {expected}").into());
                    }
                    expected += 1;
                    thread::sleep(WORK);
                    w.task_done();
                }
                Job::End => return Ok(()),
            }
        },
    )?;

    yard.spawn("producer", |w| {
        for n in 1..=ITEMS {
            send_waiting(w, "consumer", Job::Item(n))?;
            w.task_done();
        }
        send_waiting(w, "consumer", Job::End)
    })?;

    let late = yard.join_all(GENEROUS);
    assert!(late.is_empty(), "still running: {late:?}");

    let producer = yard.worker("producer")?;
    let consumer = yard.worker("consumer")?;
    let mailbox = consumer.mailbox;
    println!(
        "producer: {} items sent in {:.0} ms (the consumer needs {} ms for them)",
        producer.tasks_completed,
        producer.wall_ms,
        ITEMS * WORK.as_millis() as u64
    );
    println!(
        "consumer: {} items in order; mailbox at most {} of {}, {} messages taken",
        consumer.tasks_completed, mailbox.high_water, mailbox.capacity, mailbox.received
    );
    for w in [&producer, &consumer] {
        assert_eq!(
            w.state,
            WorkerState::Stopped,
            "{}: {:?}",
            w.id,
            w.last_error
        );
        assert_eq!(w.tasks_completed, ITEMS, "{}", w.id);
    }
    // The producer outran the consumer until the mailbox was full: from then
    // on it went at the consumer's pace, and the queue never grew past it.
    assert_eq!(mailbox.high_water, CAPACITY);
    assert_eq!(mailbox.received, ITEMS + 1, "every item and the end");

    let report = yard.shutdown(Duration::from_millis(500));
    assert_eq!(report.clean.len(), 2);
    assert_eq!(report.undelivered_messages, 0);
    Ok(())
}

/// Hands `job` to worker `to`, waiting for room in its mailbox: that wait is
/// the back-pressure. Waiting for room is not a pause point, so it waits in
/// short turns and answers pause and stop requests between them.
fn send_waiting(w: &Worker<Job>, to: &str, mut job: Job) -> Result<(), TaskError> {
    loop {
        match w.send_to_timeout(to, job, Duration::from_millis(50)) {
            Ok(()) => return Ok(()),
            Err(SendError::Full { message, .. }) => {
                job = message;
                w.pause_point()?;
            }
            // The consumer is gone: nothing will ever take this job.
            Err(other) => return Err(TaskError::failed(other)),
        }
    }
}
