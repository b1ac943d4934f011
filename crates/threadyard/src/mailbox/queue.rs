//! The mailbox's bounded queue: crossbeam's `ArrayQueue` (a lock-free
//! array, one compare-exchange per push and per pop, natively and on wasm32
//! with atomics), or under `--cfg loom` a queue of the same algorithm built
//! on `crate::sync`, so the model checker sees its atomics.
//!
//! Why two: loom only explores the orderings of atomics it owns, and
//! crossbeam's are std's. The part of the mailbox that can lose a wakeup is
//! not inside the queue (crossbeam's own tests check that) but around it:
//! a push becoming visible against a receiver registering to sleep, and a
//! close against a push. So the model queue only has to behave like
//! `ArrayQueue` at its edges: a push is published by a sequentially
//! consistent compare-exchange on `tail` followed by a release store of the
//! slot's stamp, and `pop` answers "empty" only after a `SeqCst` fence and
//! a look at `tail` (so it never reports empty while a push it can see is
//! half done; it waits that push out, as `ArrayQueue` does).

#[cfg(not(loom))]
pub(crate) use crossbeam_queue::ArrayQueue as Queue;

#[cfg(loom)]
pub(crate) use model::Queue;

#[cfg(loom)]
mod model {
    use crate::sync::{fence, lock, AtomicUsize, Mutex, Ordering};

    /// Dmitry Vyukov's bounded queue, as `ArrayQueue` implements it, with
    /// positions that never wrap (a model runs a handful of operations),
    /// stamps that tell "free for position p" (`2p`) from "holds the value
    /// of position p" (`2p + 1`) even with one slot, and
    /// each value behind a lock of its own (no `unsafe`), held by a push or
    /// pop from before its claim to its stamp (see [`wait_out`]).
    #[derive(Debug)]
    pub(crate) struct Queue<T> {
        head: AtomicUsize,
        tail: AtomicUsize,
        slots: Box<[Slot<T>]>,
    }

    #[derive(Debug)]
    struct Slot<T> {
        /// `2 pos`: free for the push at `pos`; `2 pos + 1`: holds its value.
        stamp: AtomicUsize,
        value: Mutex<Option<T>>,
    }

    /// Waits until the push or pop in progress on `slot` is done. Each
    /// holds the slot's lock from before its claim to its stamp, so taking
    /// the lock waits it out. `ArrayQueue` spins here instead; under loom a
    /// spin of two receivers waiting for one sender starved the sender
    /// (loom's preemption bound let it schedule only the spinners), while
    /// a thread blocked on a lock must let the holder run. The ordering is
    /// the same: the spin ends on an acquire load of the stamp the other
    /// side stored with release, the lock on the release of its unlock.
    fn wait_out<T>(slot: &Slot<T>) {
        drop(lock(&slot.value));
        loom::thread::yield_now();
    }

    impl<T> Queue<T> {
        pub(crate) fn new(capacity: usize) -> Self {
            Self {
                head: AtomicUsize::new(0),
                tail: AtomicUsize::new(0),
                slots: (0..capacity)
                    .map(|i| Slot {
                        stamp: AtomicUsize::new(2 * i),
                        value: Mutex::new(None),
                    })
                    .collect(),
            }
        }

        fn slot(&self, pos: usize) -> &Slot<T> {
            &self.slots[pos % self.slots.len()]
        }

        pub(crate) fn capacity(&self) -> usize {
            self.slots.len()
        }

        pub(crate) fn push(&self, value: T) -> Result<(), T> {
            let mut tail = self.tail.load(Ordering::Relaxed);
            loop {
                let slot = self.slot(tail);
                let stamp = slot.stamp.load(Ordering::Acquire);
                if stamp == 2 * tail {
                    // Held from the claim to the stamp: see `wait_out`.
                    let mut held = lock(&slot.value);
                    match self.tail.compare_exchange(
                        tail,
                        tail + 1,
                        Ordering::SeqCst,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => {
                            *held = Some(value);
                            slot.stamp.store(2 * tail + 1, Ordering::Release);
                            return Ok(());
                        }
                        Err(now) => tail = now,
                    }
                } else if tail >= self.capacity() && stamp == 2 * (tail - self.capacity()) + 1 {
                    // The slot still holds the value from a lap ago: full,
                    // unless a pop has moved on since.
                    fence(Ordering::SeqCst);
                    if self.head.load(Ordering::Relaxed) + self.capacity() == tail {
                        return Err(value);
                    }
                    wait_out(slot);
                    tail = self.tail.load(Ordering::Relaxed);
                } else {
                    wait_out(slot);
                    tail = self.tail.load(Ordering::Relaxed);
                }
            }
        }

        pub(crate) fn pop(&self) -> Option<T> {
            let mut head = self.head.load(Ordering::Relaxed);
            loop {
                let slot = self.slot(head);
                let stamp = slot.stamp.load(Ordering::Acquire);
                if stamp == 2 * head + 1 {
                    let mut held = lock(&slot.value);
                    match self.head.compare_exchange(
                        head,
                        head + 1,
                        Ordering::SeqCst,
                        Ordering::Relaxed,
                    ) {
                        Ok(_) => {
                            let value = held.take();
                            slot.stamp
                                .store(2 * (head + self.capacity()), Ordering::Release);
                            return value;
                        }
                        Err(now) => head = now,
                    }
                } else if stamp == 2 * head {
                    fence(Ordering::SeqCst);
                    if self.tail.load(Ordering::Relaxed) == head {
                        return None;
                    }
                    // A push took this place and has yet to fill it.
                    wait_out(slot);
                    head = self.head.load(Ordering::Relaxed);
                } else {
                    wait_out(slot);
                    head = self.head.load(Ordering::Relaxed);
                }
            }
        }

        pub(crate) fn len(&self) -> usize {
            loop {
                let tail = self.tail.load(Ordering::SeqCst);
                let head = self.head.load(Ordering::SeqCst);
                if self.tail.load(Ordering::SeqCst) == tail {
                    return tail - head;
                }
                loom::thread::yield_now();
            }
        }

        pub(crate) fn is_full(&self) -> bool {
            self.len() == self.capacity()
        }
    }
}
