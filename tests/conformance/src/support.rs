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
    next_within(rx).unwrap_or_else(|error| panic!("{error}"))
}

/// Receives one value, or says why none came: the deadline passed, or the
/// sender went away.
#[cfg(not(target_arch = "wasm32"))]
pub fn next_within<T>(rx: &Receiver<T>) -> Result<T, String> {
    rx.recv_timeout(LONG)
        .map_err(|e| format!("no event within the deadline ({e})"))
}

/// Receives one value. std's timed receive reads `std::time::Instant`, which
/// panics in the browser; there the test runner's timeout bounds a hung case.
#[cfg(target_arch = "wasm32")]
pub fn next_within<T>(rx: &Receiver<T>) -> Result<T, String> {
    rx.recv()
        .map_err(|_| "the sender went away before the event".to_owned())
}

/// Runs `f` on another thread of the platform (`std::thread::spawn` does not
/// exist in the browser), through a manager of its own. Join it with
/// `helper.join("helper", LONG)`.
pub fn helper(f: impl FnOnce() + Send + 'static) -> Yard<()> {
    let yard = Yard::new();
    let mut f = Some(f);
    yard.spawn("helper", move |_| {
        if let Some(f) = f.take() {
            f();
        }
        Ok(())
    })
    .expect("a helper thread");
    yard
}

/// Runs a future to completion on this thread, parking between polls: the
/// native stand-in for the browser's event loop.
#[cfg(not(target_arch = "wasm32"))]
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::sync::Arc;
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
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

/// Spawns a [`counter`] as `id` and waits for its first report.
pub fn running_counter(yard: &Yard<String>, id: &str) -> Receiver<u64> {
    let (tx, rx) = progress();
    yard.spawn(id, counter(tx)).expect("a counter worker");
    next(&rx);
    rx
}

/// Spawns a [`counter`] as `id`, pauses it and waits until it is Paused.
pub fn paused_counter(yard: &Yard<String>, id: &str) -> Receiver<u64> {
    let rx = running_counter(yard, id);
    yard.pause(id).expect("pausing a running worker");
    reach(yard, id, WorkerState::Paused);
    rx
}

/// Spawns worker "owner", which takes `lock` and holds it, and waits until
/// it does. Sending on the returned channel, or dropping it, makes it
/// release the lock and finish.
pub fn owner_holding<T: Send + 'static>(
    yard: &Yard<T>,
    lock: &threadyard::shared::SharedLock,
) -> Sender<()> {
    let (release, released) = channel::<()>();
    let (holding, held) = channel();
    let lock = lock.clone();
    yard.spawn("owner", move |w| {
        lock.lock(w)?;
        holding.send(()).unwrap();
        let _ = released.recv();
        lock.unlock(w)?;
        Ok(())
    })
    .expect("an owner");
    next(&held);
    release
}

/// Spawns a worker that ignores stop requests (it blocks on something the
/// manager cannot see) and waits until it runs. Sending on the returned
/// channel, or dropping it, lets it finish.
pub fn stubborn<T: Send + 'static>(yard: &Yard<T>, id: &str) -> Sender<()> {
    let (release_tx, release) = channel::<()>();
    let (started_tx, started) = channel::<()>();
    yard.spawn(id, move |_| {
        started_tx.send(()).unwrap();
        release.recv().ok();
        Ok(())
    })
    .expect("a stubborn worker");
    next(&started);
    release_tx
}
