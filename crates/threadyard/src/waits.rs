//! Who waits on whom: the wait-for graph the manager keeps of every wait it
//! owns (a worker blocked on a lock another holds, a worker blocked on a full
//! mailbox, a worker joining another), and the cycle check run the moment an
//! edge is added.
//!
//! A blocked worker waits for one thing at a time, so every worker has at
//! most one outgoing edge and a cycle through a new edge is found by
//! following the chain from its target: O(length of the chain). An edge
//! exists only while its worker is really blocked; one that may have gone
//! stale between the moment it was added and a check (a mailbox emptied by
//! its reader) carries a probe that says whether it still blocks, and a cycle
//! is reported only if every edge of it still does. So a long wait that is
//! not a cycle never reports anything.

use std::fmt;

use serde::Serialize;

use crate::id::WorkerId;
use crate::sync::Arc;

/// What a worker waits on.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "kebab-case")]
#[non_exhaustive]
pub enum Resource {
    /// A lock ([`SharedLock`](crate::shared::SharedLock)) another worker holds.
    Lock(String),
    /// Room in the named worker's full mailbox.
    Mailbox(WorkerId),
    /// The named worker's end (a join from inside a task).
    Join(WorkerId),
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Lock(name) => write!(f, "lock {name}"),
            Self::Mailbox(of) => write!(f, "room in {of}'s mailbox"),
            Self::Join(of) => write!(f, "{of} to finish"),
        }
    }
}

/// One edge of the wait-for graph: `worker` cannot go on until `waits_for`
/// acts on `on`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct WaitEdge {
    /// The blocked worker.
    pub worker: WorkerId,
    /// The worker it waits for (the lock's holder, the mailbox's reader, the
    /// worker being joined).
    pub waits_for: WorkerId,
    /// What it waits on.
    pub on: Resource,
}

impl fmt::Display for WaitEdge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.on {
            Resource::Lock(name) => write!(
                f,
                "{} waits for lock {name} held by {}",
                self.worker, self.waits_for
            ),
            Resource::Mailbox(of) => write!(f, "{} waits for room in {of}'s mailbox", self.worker),
            Resource::Join(of) => write!(f, "{} waits for {of} to finish", self.worker),
        }
    }
}

/// A cycle of waits: every worker in it waits for the next, the last for the
/// first, so none can ever go on by itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Deadlock {
    /// The edges, from the worker whose wait closed the cycle round to it.
    pub cycle: Vec<WaitEdge>,
    /// In words: "deadlock: a -> b -> a (a waits for lock L2 held by b; b
    /// waits for lock L1 held by a)".
    pub text: String,
}

impl Deadlock {
    fn new(cycle: Vec<WaitEdge>) -> Self {
        let mut path: Vec<&str> = cycle.iter().map(|e| e.worker.as_str()).collect();
        if let Some(first) = cycle.first() {
            path.push(first.worker.as_str());
        }
        let why: Vec<String> = cycle.iter().map(ToString::to_string).collect();
        let text = format!("deadlock: {} ({})", path.join(" -> "), why.join("; "));
        Self { cycle, text }
    }

    /// The workers of the cycle, in its order.
    pub fn workers(&self) -> Vec<&WorkerId> {
        self.cycle.iter().map(|e| &e.worker).collect()
    }
}

/// Says whether an edge still blocks its worker (read at the cycle check).
/// Never takes a lock the graph's owner may hold.
pub(crate) type Probe = Arc<dyn Fn() -> bool + Send + Sync>;

struct Entry {
    edge: WaitEdge,
    probe: Option<Probe>,
}

/// The graph: at most one edge out of each worker.
#[derive(Default)]
pub(crate) struct WaitGraph {
    entries: Vec<Entry>,
}

impl fmt::Debug for WaitGraph {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|e| &e.edge))
            .finish()
    }
}

impl WaitGraph {
    /// Adds `edge` (replacing any edge out of the same worker) and returns
    /// the deadlock it closes, if it closes one that still holds.
    pub(crate) fn add(&mut self, edge: WaitEdge, probe: Option<Probe>) -> Option<Deadlock> {
        self.remove(&edge.worker);
        let start = edge.worker.clone();
        self.entries.push(Entry { edge, probe });
        self.cycle_through(&start)
    }

    /// Removes the edge out of `worker`; true if there was one.
    pub(crate) fn remove(&mut self, worker: &WorkerId) -> bool {
        let before = self.entries.len();
        self.entries.retain(|e| &e.edge.worker != worker);
        self.entries.len() != before
    }

    /// Removes every edge on `on`, returning their workers (a lock released:
    /// its waiters are no longer blocked by its old holder).
    pub(crate) fn remove_on(&mut self, on: &Resource) -> Vec<WorkerId> {
        let mut gone = Vec::new();
        self.entries.retain(|e| {
            let keep = &e.edge.on != on;
            if !keep {
                gone.push(e.edge.worker.clone());
            }
            keep
        });
        gone
    }

    /// The edge out of `worker`, if it waits.
    pub(crate) fn out_of(&self, worker: &WorkerId) -> Option<&WaitEdge> {
        self.entry(worker).map(|e| &e.edge)
    }

    fn entry(&self, worker: &WorkerId) -> Option<&Entry> {
        self.entries.iter().find(|e| &e.edge.worker == worker)
    }

    /// Every edge, oldest first.
    pub(crate) fn edges(&self) -> Vec<WaitEdge> {
        self.entries.iter().map(|e| e.edge.clone()).collect()
    }

    /// The cycle that runs through `start`, if every edge of it still blocks.
    fn cycle_through(&self, start: &WorkerId) -> Option<Deadlock> {
        let mut cycle: Vec<&Entry> = Vec::new();
        let mut at = start;
        loop {
            let entry = self.entry(at)?;
            // A chain that loops without coming back to `start` is a cycle
            // found (and reported) when its own last edge was added.
            if cycle
                .iter()
                .any(|seen| seen.edge.worker == entry.edge.worker)
            {
                return None;
            }
            cycle.push(entry);
            at = &entry.edge.waits_for;
            if at == start {
                break;
            }
        }
        let holds = cycle
            .iter()
            .all(|entry| entry.probe.as_ref().is_none_or(|still| still()));
        holds.then(|| Deadlock::new(cycle.iter().map(|e| e.edge.clone()).collect()))
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn id(name: &str) -> WorkerId {
        WorkerId::new(name).unwrap()
    }

    fn lock_edge(worker: &str, holder: &str, lock: &str) -> WaitEdge {
        WaitEdge {
            worker: id(worker),
            waits_for: id(holder),
            on: Resource::Lock(lock.into()),
        }
    }

    #[test]
    fn a_two_worker_cycle_is_named_when_it_closes() {
        let mut graph = WaitGraph::default();
        assert!(graph.add(lock_edge("a", "b", "L2"), None).is_none());
        let deadlock = graph.add(lock_edge("b", "a", "L1"), None).unwrap();
        assert_eq!(
            deadlock.text,
            "deadlock: b -> a -> b (b waits for lock L1 held by a; a waits for lock L2 held by b)"
        );
        assert_eq!(deadlock.workers(), [&id("b"), &id("a")]);
    }

    #[test]
    fn a_chain_is_not_a_cycle() {
        let mut graph = WaitGraph::default();
        for (w, h) in [("a", "b"), ("b", "c"), ("c", "d"), ("e", "a")] {
            assert!(graph.add(lock_edge(w, h, "L"), None).is_none());
        }
        assert_eq!(graph.edges().len(), 4);
        assert!(graph.remove(&id("b")));
        assert!(graph.add(lock_edge("d", "e", "M"), None).is_none());
    }

    #[test]
    fn a_stale_edge_breaks_the_cycle() {
        let mut graph = WaitGraph::default();
        let never: Probe = Arc::new(|| false);
        let edge = WaitEdge {
            worker: id("a"),
            waits_for: id("b"),
            on: Resource::Mailbox(id("b")),
        };
        assert!(graph.add(edge, Some(never)).is_none());
        assert!(graph.add(lock_edge("b", "a", "L"), None).is_none());
    }

    #[test]
    fn releasing_a_lock_removes_its_waiters_edges() {
        let mut graph = WaitGraph::default();
        graph.add(lock_edge("a", "c", "L"), None);
        graph.add(lock_edge("b", "c", "L"), None);
        graph.add(lock_edge("c", "d", "M"), None);
        assert_eq!(
            graph.remove_on(&Resource::Lock("L".into())),
            [id("a"), id("b")]
        );
        assert_eq!(graph.edges().len(), 1);
        assert!(graph.out_of(&id("c")).is_some());
    }
}
