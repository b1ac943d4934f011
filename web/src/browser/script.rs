//! Runs a scenario's script on the page: timers set from its clock
//! ([`Cue`]), and the commands it gives the threads module. Nothing here
//! blocks: each step is a timer, and the steps that wait (for workers to
//! finish, for shutdown) await promises.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};

use super::connection::{message, read, Dispatcher, Yard};
use crate::clock::{Anchor, Cue, Status};
use crate::model::{BroadcastView, CommandView, Report, ScenarioView, Snapshot};
use crate::narration::LineKind;
use crate::state::Action;

/// A running script; clones share it.
#[derive(Clone)]
pub struct Script(Rc<RefCell<Inner>>);

struct Inner {
    scenario: Rc<ScenarioView>,
    yard: Yard,
    /// The manager's number in the app's state.
    generation: u64,
    dispatch: Dispatcher,
    cue: Cue,
    timer: Option<Timeout>,
    /// "Run to next step" was pressed: hold once the next step has run.
    hold_after_step: bool,
}

/// Added to a wait for a state, in real milliseconds.
const WAIT_GRACE_MS: f64 = 30_000.0;

fn wall() -> f64 {
    js_sys::Date::now()
}

type Wait = Pin<Box<dyn Future<Output = ()>>>;

impl Inner {
    /// The manager's clock now, for narration lines.
    fn yard_ms(&self) -> f64 {
        self.yard
            .0
            .snapshot()
            .ok()
            .and_then(|s| read::<Snapshot>(s).ok())
            .map_or(0.0, |s| s.at_ms)
    }

    /// Tells the page how script time and manager time line up now.
    fn anchor(&self) {
        let anchor = Anchor {
            manager_ms: self.yard_ms(),
            script_ms: self.cue.now_ms(wall()),
            rate: self.cue.rate(),
        };
        self.dispatch
            .dispatch(Action::ScriptClock(self.generation, anchor));
    }

    fn say(&self, kind: LineKind, text: String) {
        self.dispatch
            .dispatch(Action::Say(self.generation, self.yard_ms(), kind, text));
    }
}

impl Script {
    /// Starts `scenario`'s script on `yard` (manager `generation`), whose
    /// cast is already running.
    pub fn start(
        scenario: Rc<ScenarioView>,
        yard: Yard,
        generation: u64,
        dispatch: Dispatcher,
        speed: f64,
    ) -> Self {
        let steps = scenario.script.iter().map(|s| s.at_ms).collect();
        let script = Self(Rc::new(RefCell::new(Inner {
            scenario,
            yard,
            generation,
            dispatch,
            cue: Cue::new(steps, wall(), speed),
            timer: None,
            hold_after_step: false,
        })));
        script.0.borrow().anchor();
        script.schedule();
        script
    }

    pub fn status(&self) -> Status {
        let inner = self.0.borrow();
        let mut status = inner.cue.status(wall());
        status.hold_after_step = inner.hold_after_step;
        status
    }

    pub fn set_speed(&self, speed: f64) {
        self.0.borrow_mut().cue.set_speed(wall(), speed);
        self.0.borrow().anchor();
        self.schedule();
    }

    /// Holds the script's clock and the lesson's threads, or lets both go
    /// on from where they stood.
    pub fn set_held(&self, held: bool) {
        if !held {
            self.0.borrow_mut().hold_after_step = false;
        }
        if self.hold(held) {
            self.schedule();
        }
    }

    /// Holds or lets go of the script's clock and the lesson's threads
    /// together (the threads module holds its workloads' pace), so that
    /// nothing happens in the threads that the script's clock does not
    /// count. False when nothing changed.
    fn hold(&self, held: bool) -> bool {
        let changed = self.0.borrow_mut().cue.set_held(wall(), held);
        if changed {
            // Dispatched with no mutable borrow out: a render may read the
            // script's status.
            let inner = self.0.borrow();
            if let Err(e) = inner.yard.0.set_held(held) {
                inner.say(LineKind::Problem, message(&e));
            }
            inner.anchor();
        }
        changed
    }

    /// Runs to the next step: the script's clock and the threads go on
    /// (from a hold, too) until the next step has run, then both hold. The
    /// clock never jumps: the threads live through every second it counts.
    pub fn step(&self) {
        {
            let mut inner = self.0.borrow_mut();
            if inner.cue.finished() {
                return;
            }
            inner.hold_after_step = true;
        }
        if self.hold(false) {
            self.schedule();
        }
    }

    /// A step has run (and its wait ended): holds now if "Run to next step"
    /// asked for it; true if it did.
    fn hold_if_asked(&self) -> bool {
        if !std::mem::take(&mut self.0.borrow_mut().hold_after_step) {
            return false;
        }
        self.hold(true);
        true
    }

    /// Stops the script where it is (a new run replaces it).
    pub fn cancel(&self) {
        let mut inner = self.0.borrow_mut();
        inner.timer = None;
        inner.cue.cancel();
    }

    fn schedule(&self) {
        let mut inner = self.0.borrow_mut();
        inner.timer = None;
        if let Some(delay) = inner.cue.delay_ms(wall()) {
            let me = self.clone();
            inner.timer = Some(Timeout::new(delay.ceil() as u32, move || me.run_due()));
        }
    }

    /// Runs every step that is due, in order; a step that awaits runs the
    /// rest when it is done.
    fn run_due(&self) {
        loop {
            let taken = self.0.borrow_mut().cue.take_due(wall());
            let Some(index) = taken else { break };
            let step = self.0.borrow().scenario.script[index].clone();
            self.0.borrow().say(LineKind::Script, step.says.clone());
            if let Some(wait) = self.run(&step.command) {
                self.0.borrow_mut().cue.set_busy(true);
                let me = self.clone();
                spawn_local(async move {
                    wait.await;
                    me.0.borrow_mut().cue.set_busy(false);
                    me.hold_if_asked();
                    me.after_step();
                });
                return;
            }
            if self.hold_if_asked() {
                break;
            }
        }
        self.after_step();
    }

    fn after_step(&self) {
        let finished = {
            let inner = self.0.borrow();
            inner
                .cue
                .finished()
                .then(|| (inner.dispatch.clone(), inner.generation))
        };
        match finished {
            Some((dispatch, generation)) => dispatch.dispatch(Action::ScenarioFinished(generation)),
            None => self.schedule_or_run(),
        }
    }

    fn schedule_or_run(&self) {
        let due_now = self.0.borrow().cue.delay_ms(wall()) == Some(0.0);
        if due_now {
            self.run_due();
        } else {
            self.schedule();
        }
    }

    /// Gives one command; returns what to await for the ones that wait.
    fn run(&self, command: &CommandView) -> Option<Wait> {
        let inner = self.0.borrow();
        let yard = inner.yard.clone();
        let problem = |e: JsValue| inner.say(LineKind::Problem, message(&e));
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
                match yard.0.broadcast(&JsValue::from_str(message)) {
                    Ok(report) => {
                        if let Ok(report) = read::<BroadcastView>(report) {
                            let (kind, text) = crate::narration::broadcast_report(&report);
                            inner.say(kind, text);
                        }
                    }
                    Err(e) => problem(e),
                }
            }
            CommandView::WaitFor {
                worker,
                state,
                timeout_ms,
            } => {
                // An event, not a time: a loaded machine gets a grace.
                let real_ms = timeout_ms / inner.cue.speed() + WAIT_GRACE_MS;
                let wait = match yard.0.wait_for_state(worker, state.name(), real_ms) {
                    Ok(wait) => wait,
                    Err(e) => {
                        problem(e);
                        return None;
                    }
                };
                let (me, worker, state) = (self.clone(), worker.clone(), *state);
                return Some(Box::pin(async move {
                    let reached = JsFuture::from(wait)
                        .await
                        .is_ok_and(|s| s.as_string().as_deref() == Some(state.name()));
                    if !reached {
                        me.0.borrow().say(
                            LineKind::Problem,
                            format!("{worker} did not become {state} within the wait."),
                        );
                    }
                }));
            }
            CommandView::WaitAll { timeout_ms } => {
                let real_ms = timeout_ms / inner.cue.speed();
                let ids: Vec<String> = inner.scenario.cast.iter().map(|c| c.id.clone()).collect();
                let me = self.clone();
                return Some(Box::pin(async move {
                    let deadline = wall() + real_ms;
                    let mut ends = Vec::new();
                    for id in ids {
                        let left = (deadline - wall()).max(0.0);
                        let end = JsFuture::from(yard.0.join(&id, left)).await;
                        ends.push((id, end.ok().and_then(|state| state.as_string())));
                    }
                    let (kind, text) = crate::narration::ends(&ends);
                    me.0.borrow().say(kind, text);
                }));
            }
            CommandView::Shutdown { timeout_ms } => {
                let real_ms = timeout_ms / inner.cue.speed();
                let (dispatch, generation) = (inner.dispatch.clone(), inner.generation);
                let me = self.clone();
                return Some(Box::pin(async move {
                    let report = JsFuture::from(yard.0.shutdown(real_ms))
                        .await
                        .map_err(|e| message(&e))
                        .and_then(read::<Report>);
                    match report {
                        Ok(report) => dispatch.dispatch(Action::Report(generation, report)),
                        Err(why) => me.0.borrow().say(LineKind::Problem, why),
                    }
                }));
            }
        }
        None
    }
}

/// The page's script, if one has run: the same slot for the page's life,
/// compared by identity.
#[derive(Clone, Default)]
pub struct ScriptSlot(Rc<RefCell<Option<Script>>>);

impl PartialEq for ScriptSlot {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl ScriptSlot {
    /// Puts `script` in, cancelling the one it replaces.
    pub fn replace(&self, script: Option<Script>) {
        let old = std::mem::replace(&mut *self.0.borrow_mut(), script);
        if let Some(old) = old {
            old.cancel();
        }
    }

    /// `f` of the script, if there is one.
    pub fn with<R>(&self, f: impl FnOnce(&Script) -> R) -> Option<R> {
        self.0.borrow().as_ref().map(f)
    }
}
