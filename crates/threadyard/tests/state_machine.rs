//! A randomized state-machine test: random sequences of create, start,
//! pause, resume, stop, send, broadcast, remove and shutdown run against the
//! real manager and against a small reference model. After every step:
//! states are the model's (and moved only along legal edges), every error is
//! the one the model predicts, counters never go back, and no message is lost
//! or duplicated: each accepted message is read at most once, in order, and
//! at the end is read or counted as undelivered.
//!
//! 64 cases run by default; `PROPTEST_CASES=5000 cargo test -p threadyard
//! --test state_machine` searches longer.

#![cfg(not(target_arch = "wasm32"))]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proptest::prelude::*;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};
use threadyard::{
    ControlError, CreateError, Delivery, SendError, WorkerOptions, WorkerState, Yard,
};

const LONG: Duration = Duration::from_secs(20);
const IDS: [&str; 4] = ["w0", "w1", "w2", "w3"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Create(usize),
    Start(usize),
    Pause(usize),
    Resume(usize),
    Stop(usize),
    Send(usize),
    Broadcast,
    Remove(usize),
    Shutdown,
}

/// What the model says a step returns.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Ok,
    Unknown,
    Duplicate,
    Invalid,
    ShutDown,
    Finished,
    Broadcast(Vec<(String, Delivery)>),
}

#[derive(Debug, Clone, Default)]
struct Model {
    workers: BTreeMap<String, ModelWorker>,
    shut_down: bool,
    next_message: u32,
    expect: Option<Outcome>,
}

#[derive(Debug, Clone)]
struct ModelWorker {
    state: WorkerState,
    accepted: Vec<u32>,
}

struct Reference;

impl ReferenceStateMachine for Reference {
    type State = Model;
    type Transition = Op;

    fn init_state() -> BoxedStrategy<Model> {
        Just(Model::default()).boxed()
    }

    fn transitions(_: &Model) -> BoxedStrategy<Op> {
        let id = 0..IDS.len();
        prop_oneof![
            3 => id.clone().prop_map(Op::Create),
            3 => id.clone().prop_map(Op::Start),
            2 => id.clone().prop_map(Op::Pause),
            2 => id.clone().prop_map(Op::Resume),
            2 => id.clone().prop_map(Op::Stop),
            4 => id.clone().prop_map(Op::Send),
            1 => Just(Op::Broadcast),
            1 => id.prop_map(Op::Remove),
            1 => Just(Op::Shutdown),
        ]
        .boxed()
    }

    fn apply(mut m: Model, op: &Op) -> Model {
        use WorkerState::*;
        let outcome = match *op {
            Op::Create(i) if m.shut_down => {
                let _ = i;
                Outcome::ShutDown
            }
            Op::Create(i) => match m.workers.contains_key(IDS[i]) {
                true => Outcome::Duplicate,
                false => {
                    m.workers.insert(
                        IDS[i].into(),
                        ModelWorker {
                            state: Created,
                            accepted: Vec::new(),
                        },
                    );
                    Outcome::Ok
                }
            },
            Op::Start(_) if m.shut_down => Outcome::ShutDown,
            Op::Start(i) => m.change(i, |s| (s == Created).then_some(Running)),
            Op::Pause(i) => m.change(i, |s| (s == Running).then_some(Paused)),
            Op::Resume(i) => m.change(i, |s| (s == Paused).then_some(Running)),
            Op::Stop(i) => m.change(i, |s| {
                matches!(s, Created | Running | Paused).then_some(Stopped)
            }),
            Op::Send(i) => {
                let message = m.next_message;
                m.next_message += 1;
                match m.workers.get_mut(IDS[i]) {
                    None => Outcome::Unknown,
                    Some(w) if w.state.is_finished() => Outcome::Finished,
                    Some(w) => {
                        w.accepted.push(message);
                        Outcome::Ok
                    }
                }
            }
            Op::Broadcast => {
                let message = m.next_message;
                m.next_message += 1;
                let report = m
                    .workers
                    .iter_mut()
                    .map(|(id, w)| {
                        let outcome = if w.state.is_finished() {
                            Delivery::Finished
                        } else {
                            w.accepted.push(message);
                            Delivery::Delivered
                        };
                        (id.clone(), outcome)
                    })
                    .collect();
                Outcome::Broadcast(report)
            }
            Op::Remove(i) => match m.workers.get(IDS[i]).map(|w| w.state) {
                None => Outcome::Unknown,
                Some(s) if s.is_finished() => {
                    m.workers.remove(IDS[i]);
                    Outcome::Ok
                }
                Some(_) => Outcome::Invalid,
            },
            Op::Shutdown => {
                m.shut_down = true;
                m.workers.values_mut().for_each(|w| w.state = Stopped);
                Outcome::Ok
            }
        };
        m.expect = Some(outcome);
        m
    }
}

impl Model {
    fn change(&mut self, i: usize, next: impl Fn(WorkerState) -> Option<WorkerState>) -> Outcome {
        match self.workers.get_mut(IDS[i]) {
            None => Outcome::Unknown,
            Some(w) => match next(w.state) {
                Some(to) => {
                    w.state = to;
                    Outcome::Ok
                }
                None => Outcome::Invalid,
            },
        }
    }
}

/// The real manager, what its workers read, and the last figures seen.
struct Real {
    yard: Yard<u32>,
    /// (worker, message) for every message a worker read.
    read: Arc<Mutex<Vec<(String, u32)>>>,
    last: Mutex<BTreeMap<String, (u64, u64, u64)>>,
}

fn control(result: Result<(), ControlError>) -> Outcome {
    match result {
        Ok(()) => Outcome::Ok,
        Err(ControlError::UnknownWorker { .. }) => Outcome::Unknown,
        Err(ControlError::InvalidTransition { .. }) => Outcome::Invalid,
        Err(ControlError::ShutDown) => Outcome::ShutDown,
        Err(other) => panic!("unexpected error {other:?}"),
    }
}

impl Real {
    fn settle(&self, id: &str, state: WorkerState) {
        let reached = self.yard.wait_for_state(id, LONG, |s| s == state);
        assert_eq!(reached, Ok(state), "{id} never settled in {state}");
    }

    fn run(&mut self, op: Op) -> Outcome {
        match op {
            Op::Create(i) => {
                let read = Arc::clone(&self.read);
                let task = move |w: &threadyard::Worker<u32>| loop {
                    if let Some(message) = w.recv_timeout(Duration::from_millis(1))? {
                        read.lock().unwrap().push((w.id().to_string(), message));
                    }
                    w.pause_point()?;
                };
                match self
                    .yard
                    .create_with(IDS[i], WorkerOptions::new().mailbox_capacity(64), task)
                {
                    Ok(_) => Outcome::Ok,
                    Err(CreateError::Duplicate(_)) => Outcome::Duplicate,
                    Err(CreateError::ShutDown) => Outcome::ShutDown,
                    Err(other) => panic!("unexpected {other:?}"),
                }
            }
            Op::Start(i) => control(self.yard.start(IDS[i])),
            Op::Pause(i) => {
                let outcome = control(self.yard.pause(IDS[i]));
                if outcome == Outcome::Ok {
                    self.settle(IDS[i], WorkerState::Paused);
                }
                outcome
            }
            Op::Resume(i) => control(self.yard.resume(IDS[i])),
            Op::Stop(i) => {
                let outcome = control(self.yard.stop(IDS[i]));
                if outcome == Outcome::Ok {
                    self.settle(IDS[i], WorkerState::Stopped);
                }
                outcome
            }
            Op::Send(_) | Op::Broadcast => unreachable!("needs the message number"),
            Op::Remove(i) => {
                let outcome = control(self.yard.remove(IDS[i]).map(drop));
                if outcome == Outcome::Ok {
                    self.last.lock().unwrap().remove(IDS[i]);
                }
                outcome
            }
            Op::Shutdown => {
                let report = self.yard.shutdown(LONG);
                assert!(
                    report.unresponsive.is_empty() && report.failed.is_empty(),
                    "{report:?}"
                );
                Outcome::Ok
            }
        }
    }
}

impl StateMachineTest for Real {
    type SystemUnderTest = Real;
    type Reference = Reference;

    fn init_test(_: &Model) -> Real {
        Real {
            yard: Yard::new(),
            read: Arc::default(),
            last: Mutex::default(),
        }
    }

    fn apply(mut real: Real, model: &Model, op: Op) -> Real {
        // The model numbered the message it expects this step to carry.
        let outcome = match op {
            Op::Send(i) => match real.yard.send(IDS[i], model.next_message - 1) {
                Ok(()) => Outcome::Ok,
                Err(SendError::UnknownWorker { .. }) => Outcome::Unknown,
                Err(SendError::Finished { .. }) => Outcome::Finished,
                Err(SendError::Full { .. }) => panic!("a 64-message mailbox filled in a short run"),
                Err(other) => panic!("unexpected error {other:?}"),
            },
            Op::Broadcast => {
                let report = real.yard.broadcast(model.next_message - 1);
                let mut got: Vec<(String, Delivery)> = report
                    .recipients
                    .into_iter()
                    .map(|r| (r.id.to_string(), r.outcome))
                    .collect();
                got.sort_by(|a, b| a.0.cmp(&b.0));
                Outcome::Broadcast(got)
            }
            other => real.run(other),
        };
        assert_eq!(Some(&outcome), model.expect.as_ref(), "{op:?}");
        real
    }

    fn check_invariants(real: &Real, model: &Model) {
        // The read log is looked at before and after the snapshot: a running
        // worker keeps reading in between, but holds at most one message it
        // has taken and not yet logged.
        let before = real.read.lock().unwrap().clone();
        let snapshot = real.yard.snapshot();
        let after = real.read.lock().unwrap().clone();
        let mut seen = after.clone();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen.len(),
            after.len(),
            "a message was read twice by one worker: {after:?}"
        );
        assert_eq!(snapshot.workers.len(), model.workers.len());
        for w in &snapshot.workers {
            let expected = &model.workers[w.id.as_str()];
            assert_eq!(w.state, expected.state, "{}", w.id);
            let mine = |log: &[(String, u32)]| -> Vec<u32> {
                log.iter()
                    .filter(|(id, m)| id == w.id.as_str() && expected.accepted.contains(m))
                    .map(|(_, m)| *m)
                    .collect()
            };
            let (read_before, read_after) = (mine(&before), mine(&after));
            // FIFO: what it read is a prefix of what it accepted.
            assert_eq!(
                read_after[..],
                expected.accepted[..read_after.len()],
                "{} read out of order",
                w.id
            );
            // Takes hold no lock, so a running worker's take can fall between
            // the snapshot's looks at its counter and at its queue: `sent`
            // then reads one low (never high). Exact once it is not running.
            let accepted = expected.accepted.len() as u64;
            if w.state == WorkerState::Running {
                assert!(
                    w.mailbox.sent + 1 >= accepted && w.mailbox.sent <= accepted,
                    "{}: sent {} of {accepted}",
                    w.id,
                    w.mailbox.sent
                );
            } else {
                assert_eq!(w.mailbox.sent, accepted, "{}", w.id);
            }
            let taken = w.mailbox.received as usize;
            assert!(
                read_before.len() <= taken && taken <= read_after.len() + 1,
                "{}: took {taken}, logged {} then {}",
                w.id,
                read_before.len(),
                read_after.len()
            );
            if w.state != WorkerState::Running {
                assert_eq!(
                    taken,
                    read_after.len(),
                    "{}: a worker that is not running has logged all it took",
                    w.id
                );
            }
            if w.state.is_finished() {
                // Read, or still in the closed mailbox: counted undelivered.
                assert_eq!(
                    taken + w.mailbox.depth,
                    expected.accepted.len(),
                    "{}: lost a message",
                    w.id
                );
            }
            // Counters never go back.
            let now = (w.mailbox.sent, w.mailbox.received, w.pause_count);
            if let Some(before) = real.last.lock().unwrap().insert(w.id.to_string(), now) {
                assert!(
                    now.0 >= before.0 && now.1 >= before.1 && now.2 >= before.2,
                    "{}: {before:?} -> {now:?}",
                    w.id
                );
            }
        }
    }
}

prop_state_machine! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|c| c.parse().ok()).unwrap_or(64),
        max_shrink_iters: 2048,
        .. ProptestConfig::default()
    })]

    #[test]
    fn the_manager_follows_its_model(sequential 1..40 => Real);
}
