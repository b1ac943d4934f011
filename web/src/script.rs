//! Runs a scenario's script on the page: a clock that the speed scales and
//! that can be held or stepped, and the commands it gives the threads module.
//! Nothing here blocks: each step is a timer, and the steps that wait (for
//! workers to finish, for shutdown) await promises.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};

use crate::app::{Action, Store, Yard};
use crate::model::{read, CommandView, Report, ScenarioView, Snapshot};
use crate::narration::LineKind;
use crate::threads;

/// Where a script is, for the page to show.
#[derive(Debug, Clone, PartialEq)]
pub struct Status {
    /// Script time now, in milliseconds at speed 1.
    pub now_ms: f64,
    /// When its last step is due.
    pub end_ms: f64,
    pub done_steps: usize,
    pub steps: usize,
    pub held: bool,
    pub finished: bool,
}

/// A running script; clones share it.
#[derive(Clone)]
pub struct Script(Rc<RefCell<Inner>>);

struct Inner {
    scenario: ScenarioView,
    yard: Yard,
    store: Store,
    next: usize,
    /// Script time at `anchor` (wall clock, ms).
    base_ms: f64,
    anchor: f64,
    speed: f64,
    held: bool,
    /// A step that awaits (wait-all, shutdown) is in progress.
    busy: bool,
    timer: Option<Timeout>,
}

fn wall() -> f64 {
    js_sys::Date::now()
}

impl Inner {
    fn now_ms(&self) -> f64 {
        if self.held {
            self.base_ms
        } else {
            self.base_ms + (wall() - self.anchor) * self.speed
        }
    }

    fn rebase(&mut self) {
        self.base_ms = self.now_ms();
        self.anchor = wall();
    }

    fn finished(&self) -> bool {
        self.next >= self.scenario.script.len() && !self.busy
    }

    /// The manager's clock now, for narration lines.
    fn yard_ms(&self) -> f64 {
        self.yard
            .0
            .snapshot()
            .ok()
            .and_then(|s| read::<Snapshot>(s).ok())
            .map_or(0.0, |s| s.at_ms)
    }

    fn say(&self, kind: LineKind, text: String) {
        self.store.dispatch(Action::Say(self.yard_ms(), kind, text));
    }
}

impl Script {
    /// Starts `scenario`'s script on `yard`, whose cast is already running.
    pub fn start(scenario: ScenarioView, yard: Yard, store: Store, speed: f64) -> Self {
        let script = Self(Rc::new(RefCell::new(Inner {
            scenario,
            yard,
            store,
            next: 0,
            base_ms: 0.0,
            anchor: wall(),
            speed,
            held: false,
            busy: false,
            timer: None,
        })));
        script.schedule();
        script
    }

    pub fn status(&self) -> Status {
        let inner = self.0.borrow();
        Status {
            now_ms: inner.now_ms(),
            end_ms: inner.scenario.script.last().map_or(0.0, |s| s.at_ms),
            done_steps: inner.next,
            steps: inner.scenario.script.len(),
            held: inner.held,
            finished: inner.finished(),
        }
    }

    pub fn set_speed(&self, speed: f64) {
        {
            let mut inner = self.0.borrow_mut();
            inner.rebase();
            inner.speed = speed;
        }
        self.schedule();
    }

    /// Holds the script's clock (the workers go on: they are real threads)
    /// or lets it go again.
    pub fn set_held(&self, held: bool) {
        {
            let mut inner = self.0.borrow_mut();
            if inner.held == held {
                return;
            }
            inner.rebase();
            inner.held = held;
        }
        self.schedule();
    }

    /// Runs the next step now: the script's clock jumps to its time.
    pub fn step(&self) {
        {
            let mut inner = self.0.borrow_mut();
            if inner.busy {
                return;
            }
            let Some(due) = inner.scenario.script.get(inner.next).map(|s| s.at_ms) else {
                return;
            };
            let now = inner.now_ms();
            inner.base_ms = now.max(due);
            inner.anchor = wall();
        }
        self.run_due();
    }

    /// Stops the script where it is (a new run replaces it).
    pub fn cancel(&self) {
        let mut inner = self.0.borrow_mut();
        inner.timer = None;
        inner.next = inner.scenario.script.len();
    }

    fn schedule(&self) {
        let mut inner = self.0.borrow_mut();
        inner.timer = None;
        if inner.held || inner.busy {
            return;
        }
        let Some(due) = inner.scenario.script.get(inner.next).map(|s| s.at_ms) else {
            return;
        };
        let delay = ((due - inner.now_ms()) / inner.speed).max(0.0);
        let me = self.clone();
        inner.timer = Some(Timeout::new(delay.ceil() as u32, move || me.run_due()));
    }

    /// Runs every step that is due, in order; a step that awaits runs the
    /// rest when it is done.
    fn run_due(&self) {
        loop {
            let step = {
                let inner = self.0.borrow();
                if inner.busy {
                    return;
                }
                match inner.scenario.script.get(inner.next) {
                    Some(step) if step.at_ms <= inner.now_ms() + 0.5 => step.clone(),
                    Some(_) => break,
                    None => return,
                }
            };
            self.0.borrow_mut().next += 1;
            self.0.borrow().say(LineKind::Script, step.says.clone());
            if let Some(wait) = self.run(&step.command) {
                self.0.borrow_mut().busy = true;
                let me = self.clone();
                spawn_local(async move {
                    wait.await;
                    me.0.borrow_mut().busy = false;
                    me.after_step();
                });
                return;
            }
            self.after_step();
        }
        self.schedule();
    }

    fn after_step(&self) {
        let finished = {
            let inner = self.0.borrow();
            inner.finished().then(|| inner.store.clone())
        };
        match finished {
            Some(store) => store.dispatch(Action::ScenarioFinished),
            None => self.run_due(),
        }
    }

    /// Gives one command; returns what to await for the ones that wait.
    fn run(
        &self,
        command: &CommandView,
    ) -> Option<std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>> {
        let inner = self.0.borrow();
        let yard = inner.yard.clone();
        let problem = |e: JsValue| inner.say(LineKind::Problem, threads::message(&e));
        match command {
            CommandView::Send { to, message } => {
                yard.0
                    .send(to, &JsValue::from_str(message))
                    .err()
                    .map(problem);
            }
            CommandView::Pause { worker } => {
                yard.0.pause(worker).err().map(problem);
            }
            CommandView::Resume { worker } => {
                yard.0.resume(worker).err().map(problem);
            }
            CommandView::Broadcast { message } => {
                yard.0
                    .broadcast(&JsValue::from_str(message))
                    .err()
                    .map(problem);
            }
            CommandView::WaitAll { timeout_ms } => {
                let real_ms = timeout_ms / inner.speed;
                let ids: Vec<String> = inner.scenario.cast.iter().map(|c| c.id.clone()).collect();
                let me = self.clone();
                return Some(Box::pin(async move {
                    let deadline = wall() + real_ms;
                    let mut late = Vec::new();
                    for id in ids {
                        let left = (deadline - wall()).max(0.0);
                        let end = JsFuture::from(yard.0.join(&id, left)).await;
                        if !end.is_ok_and(|state| state.is_string()) {
                            late.push(id);
                        }
                    }
                    let inner = me.0.borrow();
                    if late.is_empty() {
                        inner.say(LineKind::Event, "Every worker finished by itself.".into());
                    } else {
                        inner.say(
                            LineKind::Problem,
                            format!("Still running when the wait ended: {}.", late.join(", ")),
                        );
                    }
                }));
            }
            CommandView::Shutdown { timeout_ms } => {
                let real_ms = timeout_ms / inner.speed;
                let store = inner.store.clone();
                let me = self.clone();
                return Some(Box::pin(async move {
                    let report = JsFuture::from(yard.0.shutdown(real_ms))
                        .await
                        .map_err(|e| threads::message(&e))
                        .and_then(read::<Report>);
                    match report {
                        Ok(report) => store.dispatch(Action::Report(report)),
                        Err(why) => me.0.borrow().say(LineKind::Problem, why),
                    }
                }));
            }
        }
        None
    }
}
