//! Counting the threads workers occupy, against two limits.
//!
//! A manager may be limited by its own `max_threads`, and by the platform: a
//! browser page has one pool of Web Workers shared by every manager on it, so
//! that count is shared too. A start reserves a place under both limits or
//! under neither, and the reservation is released (before the worker's final
//! state is published) when its task ends.

use crate::sync::{Arc, AtomicUsize, Ordering};

/// A count of threads in use, shared by every manager that draws on the same
/// threads: what [`Spawn::occupancy`](crate::platform::Spawn::occupancy)
/// hands out. Clones count together.
#[derive(Debug, Clone, Default)]
pub struct Occupancy(Arc<AtomicUsize>);

impl Occupancy {
    /// A new count, at zero.
    pub fn new() -> Self {
        Self::default()
    }

    /// Threads counted in use now.
    pub fn in_use(&self) -> usize {
        self.0.load(Ordering::Acquire)
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct ThreadCounts {
    /// This manager's workers that hold a thread.
    pub(crate) own: Occupancy,
    /// The shared pool's threads in use, where the platform has one.
    pub(crate) pool: Option<Occupancy>,
}

/// Which limit refused a reservation.
pub(crate) struct Full {
    pub(crate) capacity: usize,
}

impl ThreadCounts {
    /// Takes a place under `own_limit` (this manager) and `pool_limit` (the
    /// shared pool), or under neither.
    pub(crate) fn reserve(
        &self,
        own_limit: Option<usize>,
        pool_limit: Option<usize>,
    ) -> Result<(), Full> {
        take(&self.own.0, own_limit)?;
        if let Some(pool) = &self.pool {
            if let Err(full) = take(&pool.0, pool_limit) {
                self.own.0.fetch_sub(1, Ordering::AcqRel);
                return Err(full);
            }
        }
        Ok(())
    }

    pub(crate) fn release(&self) {
        self.own.0.fetch_sub(1, Ordering::AcqRel);
        if let Some(pool) = &self.pool {
            pool.0.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// Threads in use: the pool's where there is one (that is what limits a
    /// start), else this manager's.
    pub(crate) fn in_use(&self) -> usize {
        self.pool.as_ref().unwrap_or(&self.own).in_use()
    }
}

fn take(count: &AtomicUsize, limit: Option<usize>) -> Result<(), Full> {
    let Some(capacity) = limit else {
        count.fetch_add(1, Ordering::AcqRel);
        return Ok(());
    };
    count
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < capacity).then_some(n + 1)
        })
        .map(drop)
        .map_err(|_| Full { capacity })
}
