//! The tasks behind [`Workload`](super::Workload), usable directly.

use std::time::Duration;

use web_time::Instant;

use super::pace::Pace;
use crate::activity::Activity;
use crate::error::{SendError, StopRequested, TaskError};
use crate::worker::Worker;

/// What a message turned out to be.
enum Control {
    /// `"pause"`: the worker asked for its own pause, which its next pause
    /// point takes (as the seed's worker calls `pause_thread` and goes on
    /// to its `check_pause_point`).
    PauseAsked,
    /// `"shutdown"`: the worker should finish.
    Finish,
    /// Anything else: the workload's own business.
    Other,
}

/// Handles the seed's control messages.
fn control<T: AsRef<str> + Send + 'static>(
    w: &Worker<T>,
    message: &T,
) -> Result<Control, StopRequested> {
    match message.as_ref() {
        "pause" => {
            w.request_pause()?;
            Ok(Control::PauseAsked)
        }
        "shutdown" => Ok(Control::Finish),
        _ => Ok(Control::Other),
    }
}

/// Obeys a message for a workload that expects no other: true on
/// `"shutdown"`, anything unknown is recorded as an error.
fn obey<T: AsRef<str> + Send + 'static>(w: &Worker<T>, message: &T) -> Result<bool, StopRequested> {
    match control(w, message)? {
        Control::Finish => Ok(true),
        Control::PauseAsked => Ok(false),
        Control::Other => {
            unknown(w, message);
            Ok(false)
        }
    }
}

/// Waits up to `timeout` for a message, obeying it if one comes: `None` if
/// none came, else whether it was `"shutdown"`.
fn wait_obeying<T: AsRef<str> + Send + 'static>(
    w: &Worker<T>,
    timeout: Duration,
) -> Result<Option<bool>, StopRequested> {
    match w.recv_timeout(timeout)? {
        Some(message) => obey(w, &message).map(Some),
        None => Ok(None),
    }
}

/// Waits `length` of time neither paused nor held, obeying any message
/// that comes: `None` when the time is up, else whether the message was
/// `"shutdown"`.
fn make<T: AsRef<str> + Send + 'static>(
    w: &Worker<T>,
    pace: &Pace,
    length: Duration,
) -> Result<Option<bool>, StopRequested> {
    let mut due = Due::after(w, pace, length);
    loop {
        held(w, pace);
        let left = due.left(w);
        if left.is_zero() {
            return Ok(None);
        }
        if let Some(finish) = wait_obeying(w, left)? {
            return Ok(Some(finish));
        }
    }
}

/// Obeys the messages already waiting without blocking; true on
/// `"shutdown"`. For workloads that look at their mailbox between items.
/// Stops at a `"pause"`, so the caller's next pause point takes the pause
/// before anything queued behind it is read.
fn drain<T: AsRef<str> + Send + 'static>(w: &Worker<T>) -> Result<bool, StopRequested> {
    while let Some(message) = w.try_recv() {
        match control(w, &message)? {
            Control::Finish => return Ok(true),
            Control::PauseAsked => return Ok(false),
            Control::Other => unknown(w, &message),
        }
    }
    Ok(false)
}

/// Stands still while `pace` is held (one relaxed load when it is not),
/// as [`Activity::Held`]: not paused, not computing.
fn held<T: Send + 'static>(w: &Worker<T>, pace: &Pace) {
    if pace.is_held() {
        w.doing(Activity::Held, || pace.wait_while_held());
    }
}

/// Sleeps `length` in a blocking call ([`Activity::Sleeping`]), standing
/// still while `pace` is held: a hold stops the sleep part-way, and the
/// rest is slept after the release.
fn sleep_paced<T: Send + 'static>(w: &Worker<T>, pace: &Pace, length: Duration) {
    let mut left = length;
    loop {
        held(w, pace);
        if left.is_zero() {
            return;
        }
        left = w.doing(Activity::Sleeping, || pace.nap(left));
    }
}

/// A deadline that stands still while its worker is paused or its pace is
/// held: after any pause (asked for by the manager or by the worker itself)
/// or hold, the worker goes on from where it stopped, with as much of its
/// item left as it had, instead of catching up on the time it spent
/// stopped.
struct Due {
    at: Instant,
    paused: Duration,
    pace: Pace,
    held: Duration,
    /// When the deadline was last moved on.
    looked: Instant,
}

impl Due {
    fn after<T: Send + 'static>(w: &Worker<T>, pace: &Pace, length: Duration) -> Self {
        let now = Instant::now();
        Self {
            at: later(now, length),
            paused: w.time_paused(),
            held: pace.time_held(),
            pace: pace.clone(),
            looked: now,
        }
    }

    /// Moves the deadline on by the time paused and held since the last
    /// look, and returns the time left.
    ///
    /// A pause and a hold can overlap (the pace held while the worker is
    /// paused): both totals then grow by the same stretch, which must be
    /// taken out once. The time stopped since the last look is at most the
    /// time since it, so the sum is capped there: exact when the two do not
    /// overlap and when one of them lasted the whole while, and never more
    /// than the time that passed (the time left never grows).
    fn left<T: Send + 'static>(&mut self, w: &Worker<T>) -> Duration {
        let paused = w.time_paused();
        let held = self.pace.time_held();
        let now = Instant::now();
        let stopped = paused
            .saturating_sub(self.paused)
            .saturating_add(held.saturating_sub(self.held))
            .min(now.saturating_duration_since(self.looked));
        self.at = later(self.at, stopped);
        self.paused = paused;
        self.held = held;
        self.looked = now;
        self.at.saturating_duration_since(now)
    }
}

/// `from + by`, or as far on as the clock can count: an item of
/// `Duration::MAX` (one that never ends) waits, where `Instant + Duration`
/// would panic with an overflow.
fn later(from: Instant, by: Duration) -> Instant {
    let mut by = by;
    loop {
        if let Some(at) = from.checked_add(by) {
            return at;
        }
        by /= 2;
    }
}

/// The loop of the paced workloads: `tick` every `every` (at the pace's
/// speed), scheduled against deadlines so a slow wakeup does not make the
/// worker fall behind; between ticks it reads messages, obeys the seed's
/// two, and hands the others to `other`. Time paused does not count: after
/// any pause the worker goes on from where it stopped, never catching up.
/// When the speed changes, the schedule starts afresh.
fn paced<T: AsRef<str> + Send + 'static>(
    w: &Worker<T>,
    every: Duration,
    pace: &Pace,
    mut other: impl FnMut(&Worker<T>, &T),
    mut tick: impl FnMut(&Worker<T>),
) -> Result<(), TaskError> {
    let mut speed = pace.speed();
    let mut due = Due::after(w, pace, pace.scale(every));
    loop {
        w.pause_point()?;
        held(w, pace);
        let wait = due.left(w);
        let message = w.recv_timeout(wait)?;
        // A pause inside the receive moves the deadline on too.
        let left = due.left(w);
        let Some(message) = message else {
            if !left.is_zero() {
                // Woken early by a resume: the item is not done yet.
                continue;
            }
            tick(w);
            let now_speed = pace.speed();
            if now_speed == speed {
                due.at = later(due.at, pace.scale(every));
            } else {
                speed = now_speed;
                due = Due::after(w, pace, pace.scale(every));
            }
            continue;
        };
        match control(w, &message)? {
            Control::Finish => return Ok(()),
            // The loop's pause point takes the pause; the time paused is
            // taken out at the next look.
            Control::PauseAsked => {}
            Control::Other => other(w, &message),
        }
    }
}

fn unknown<T: AsRef<str> + Send + 'static>(w: &Worker<T>, message: &T) {
    w.record_error(format_args!(
        "unknown message {:?}: expected \"pause\" or \"shutdown\"",
        message.as_ref()
    ));
}

/// The seed's data processor: processes one item every `item`, asks for its
/// own pause on the message `"pause"` (taken at its next pause point),
/// finishes on `"shutdown"`, and records any other message as an error.
pub fn data_processor<T>(
    item: Duration,
    pace: Pace,
) -> impl FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static
where
    T: AsRef<str> + Send + 'static,
{
    move |w| paced(w, item, &pace, unknown, Worker::task_done)
}

/// CPU-bound work: `work_per_item` rounds of arithmetic per item with a pause
/// point between items (and every million rounds inside a longer item, so a
/// pause or a stop is taken within milliseconds however long the item), never
/// waiting; control messages are picked up between items without blocking.
pub fn cpu_bound<T>(
    work_per_item: u32,
) -> impl FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static
where
    T: AsRef<str> + Send + 'static,
{
    cpu_bound_held_by(work_per_item, Pace::default())
}

/// Rounds of CPU-bound work between two pause points, at most.
const ROUNDS_PER_POINT: u32 = 1 << 20;

/// [`cpu_bound`] that stands still between items while `pace` is held (its
/// speed does not change how fast arithmetic runs).
pub fn cpu_bound_held_by<T>(
    work_per_item: u32,
    pace: Pace,
) -> impl FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static
where
    T: AsRef<str> + Send + 'static,
{
    move |w| {
        let mut acc = 0x9E37_79B9_7F4A_7C15_u64;
        loop {
            let mut round = 0_u32;
            loop {
                // A pause point (and a look at the hold) at least every
                // ROUNDS_PER_POINT rounds: an item may be u32::MAX rounds,
                // seconds of arithmetic.
                w.pause_point()?;
                held(w, &pace);
                let end = round.saturating_add(ROUNDS_PER_POINT).min(work_per_item);
                for r in round..end {
                    acc = (acc ^ u64::from(r))
                        .wrapping_mul(0x0100_0000_01B3)
                        .rotate_left(5);
                }
                round = end;
                if round >= work_per_item {
                    break;
                }
            }
            std::hint::black_box(acc);
            w.task_done();
            if drain(w)? {
                return Ok(());
            }
        }
    }
}

/// Every `item`, sends `"hello from ID"` to the next peer in turn (a full
/// mailbox is skipped, not waited on); counts each message sent as a task;
/// reads what others send it.
pub fn chatty<T>(
    item: Duration,
    pace: Pace,
) -> impl FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static
where
    T: AsRef<str> + From<String> + Send + 'static,
{
    move |w| {
        let mut turn = 0usize;
        // Chatter from peers is what this workload is for: nothing to do.
        paced(
            w,
            item,
            &pace,
            |_, _| {},
            |w| {
                let peers = w.peers();
                if let Some(peer) = peers.get(turn % peers.len().max(1)) {
                    turn = turn.wrapping_add(1);
                    if w.send_to(peer.as_str(), T::from(format!("hello from {}", w.id())))
                        .is_ok()
                    {
                        w.task_done();
                    }
                }
            },
        )
    }
}

/// Items of `item` done in one piece: the thread sleeps through each one in a
/// blocking call ([`Worker::sleep`]), with a pause point only between items. So a
/// pause request waits (Pause requested) until the item ends.
pub fn batch<T>(
    item: Duration,
    pace: Pace,
) -> impl FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static
where
    T: AsRef<str> + Send + 'static,
{
    move |w| loop {
        w.pause_point()?;
        sleep_paced(w, &pace, pace.scale(item));
        w.task_done();
        if drain(w)? {
            return Ok(());
        }
    }
}

/// How long a producer waits for room at a time before it looks at its own
/// mailbox and its pause point again.
const ROOM_WAIT: Duration = Duration::from_millis(20);

/// Makes an item every `item` and sends it (`"item N from ID"`) to its first
/// peer; while that mailbox is full it waits for room, checking its own
/// mailbox and pause point every 20 ms, so it slows to the pace of its
/// consumer instead of dropping items. Finishes when its peer has finished.
pub fn producer<T>(
    item: Duration,
    pace: Pace,
) -> impl FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static
where
    T: AsRef<str> + From<String> + Send + 'static,
{
    move |w| {
        let mut made = 0u64;
        let mut pending: Option<T> = None;
        loop {
            w.pause_point()?;
            held(w, &pace);
            if drain(w)? {
                return Ok(());
            }
            let message = match pending.take() {
                Some(message) => message,
                None => {
                    // Making the item: a wait that still hears control
                    // messages, and that a pause does not shorten.
                    match make(w, &pace, pace.scale(item))? {
                        Some(true) => return Ok(()),
                        Some(false) => continue,
                        None => {}
                    }
                    made += 1;
                    T::from(format!("item {made} from {}", w.id()))
                }
            };
            let Some(peer) = w.peers().into_iter().next() else {
                pending = Some(message);
                if wait_obeying(w, ROOM_WAIT)? == Some(true) {
                    return Ok(());
                }
                continue;
            };
            match w.send_to_timeout(peer.as_str(), message, ROOM_WAIT) {
                Ok(()) => w.task_done(),
                Err(SendError::Full { message, .. }) => pending = Some(message),
                // Its consumer is gone: nothing left to produce for.
                Err(_) => return Ok(()),
            }
        }
    }
}

/// Takes one message at a time and works `item` on it (with pause points
/// every few milliseconds), counting each as a task. The seed's `"pause"` and
/// `"shutdown"` are obeyed; every other message is work.
pub fn consumer<T>(
    item: Duration,
    pace: Pace,
) -> impl FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static
where
    T: AsRef<str> + Send + 'static,
{
    move |w| loop {
        let message = w.recv()?;
        match control(w, &message)? {
            Control::Finish => return Ok(()),
            // `recv` is the next pause point.
            Control::PauseAsked => {}
            Control::Other => {
                work(w, &pace, pace.scale(item))?;
                w.task_done();
            }
        }
    }
}

/// Works (sleeps in a blocking call) for `length`, with a pause point every
/// few milliseconds; time paused or held does not count as work done.
fn work<T: Send + 'static>(
    w: &Worker<T>,
    pace: &Pace,
    length: Duration,
) -> Result<(), StopRequested> {
    const SLICE: Duration = Duration::from_millis(5);
    let mut end = Due::after(w, pace, length);
    loop {
        w.pause_point()?;
        held(w, pace);
        let left = end.left(w);
        if left.is_zero() {
            return Ok(());
        }
        sleep_paced(w, pace, left.min(SLICE));
    }
}

/// "every item", "every 2nd item", "every 11th item", "every 23rd item"...
fn every_nth(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    match n {
        0 | 1 => "every item".to_owned(),
        n => format!("every {n}{suffix} item"),
    }
}

/// The data processor, except that every `fail_every`-th item panics. The
/// count goes on across restarts, so under a restart policy the worker fails
/// again every `fail_every` items.
pub fn flaky<T>(
    item: Duration,
    fail_every: u32,
    pace: Pace,
) -> impl FnMut(&Worker<T>) -> Result<(), TaskError> + Send + 'static
where
    T: AsRef<str> + Send + 'static,
{
    let mut items = 0u64;
    move |w| {
        paced(w, item, &pace, unknown, |w| {
            items += 1;
            if items % u64::from(fail_every.max(1)) == 0 {
                panic!(
                    "item {items} was malformed (this worker panics on {})",
                    every_nth(fail_every)
                );
            }
            w.task_done();
        })
    }
}

#[cfg(test)]
mod test {
    /// "After any pause or hold, the worker goes on with as much of its
    /// item left as it had": a hold that lies inside a pause was taken out
    /// of the item twice (once as time paused, once as time held), so the
    /// item had more left after the pause than before it.
    #[cfg(not(target_arch = "wasm32"))]
    #[test]
    fn a_hold_inside_a_pause_is_not_taken_out_twice() {
        use std::sync::mpsc;
        use std::time::Duration;

        use super::{Due, Pace};
        use crate::{WorkerState, Yard};

        const LONG: Duration = Duration::from_secs(30);
        let yard = Yard::<String>::new();
        let pace = Pace::new(1.0).unwrap();
        let (tx, rx) = mpsc::channel();
        let theirs = pace.clone();
        yard.spawn("w", move |w| {
            let mut due = Due::after(w, &theirs, Duration::from_secs(600));
            tx.send(due.left(w)).unwrap();
            // Paused while blocked here; held while paused.
            w.recv()?;
            tx.send(due.left(w)).unwrap();
            Ok(())
        })
        .unwrap();
        let before = rx.recv_timeout(LONG).unwrap();
        yard.pause("w").unwrap();
        assert_eq!(
            yard.wait_for_state("w", LONG, |s| s == WorkerState::Paused),
            Ok(WorkerState::Paused)
        );
        pace.hold();
        // Time passes while held and paused: a 50 ms item of another worker
        // (on a pace of its own) runs to its end.
        yard.spawn(
            "clock",
            super::batch(Duration::from_millis(50), Pace::default()),
        )
        .unwrap();
        yard.send("clock", "shutdown".to_owned()).unwrap();
        assert_eq!(yard.join("clock", LONG), Ok(WorkerState::Stopped));
        pace.release();
        yard.resume("w").unwrap();
        yard.send("w", "go".to_owned()).unwrap();
        let after = rx.recv_timeout(LONG).unwrap();
        assert!(
            after <= before,
            "{before:?} left before the pause, {after:?} after it"
        );
        drop(yard.shutdown(LONG));
    }

    #[test]
    fn the_flaky_workload_counts_in_plain_english() {
        let said: Vec<String> = [1, 2, 3, 4, 10, 11, 12, 13, 21, 22, 23, 101, 111]
            .into_iter()
            .map(super::every_nth)
            .collect();
        assert_eq!(
            said,
            [
                "every item",
                "every 2nd item",
                "every 3rd item",
                "every 4th item",
                "every 10th item",
                "every 11th item",
                "every 12th item",
                "every 13th item",
                "every 21st item",
                "every 22nd item",
                "every 23rd item",
                "every 101st item",
                "every 111th item"
            ]
        );
    }
}
