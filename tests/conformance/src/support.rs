//! Helpers shared by the cases.

use std::sync::mpsc::{self, Receiver, Sender, SyncSender};
use std::time::Duration;

use threadyard::{WorkerState, Yard};

/// Long enough for any event on a loaded 2-core machine; only reached when a
/// case is broken.
pub const LONG: Duration = Duration::from_secs(20);

/// Waits until worker `id` reaches `state`.
pub fn reach<T: Send + 'static>(yard: &Yard<T>, id: &str, state: WorkerState) {
    yard.wait_for_state(id, LONG, |s| s == state)
        .unwrap_or_else(|e| panic!("{id} never became {state}: {e}"));
}

/// A channel a test holds open to let a task go on, and on which the task
/// says where it is.
pub fn channel<T>() -> (Sender<T>, Receiver<T>) {
    mpsc::channel()
}

/// Receives one value, or fails the case at the deadline.
pub fn next<T>(rx: &Receiver<T>) -> T {
    rx.recv_timeout(LONG).expect("no event within the deadline")
}

/// A progress channel that never grows: a full one drops the report.
pub fn progress() -> (SyncSender<u64>, Receiver<u64>) {
    mpsc::sync_channel(1)
}

/// A task that counts one task per pause point, forever, reporting its count
/// on `progress` whenever the last report has been read.
pub fn counter(
    progress: SyncSender<u64>,
) -> impl FnMut(&threadyard::Worker<String>) -> Result<(), threadyard::TaskError> + Send + 'static {
    move |w| {
        let mut n = 0;
        loop {
            w.pause_point()?;
            n += 1;
            w.task_done();
            // The receiver may be gone once the case has seen enough.
            let _ = progress.try_send(n);
        }
    }
}
