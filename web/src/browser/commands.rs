//! What the page's buttons and forms do to the manager: each command takes
//! the manager, the app's dispatcher and what was asked, gives the threads
//! module its calls, and reports the outcome as actions.

use std::rc::Rc;

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};

use super::connection::{manager, message, new_manager, read, to_js, Dispatcher, Yard};
use super::export;
use super::script::{Script, ScriptSlot};
use crate::input::{self, Export, RowAction, SpawnRequest};
use crate::model::{BroadcastView, Report, ScenarioView, Snapshot};
use crate::state::{Action, Place};

pub fn spawn(yard: &Yard, dispatch: &Dispatcher, auto_named: usize, ask: &SpawnRequest) {
    let refuse = |why: String| dispatch.dispatch(Action::Error(Place::Spawn, why));
    let n = match input::count(&ask.count) {
        Ok(n) => n,
        Err(why) => return refuse(why),
    };
    let spec = match input::workload(&ask.kind, &ask.param).and_then(|w| to_js(&w)) {
        Ok(spec) => spec,
        Err(why) => return refuse(why),
    };
    let ids = input::worker_ids(&ask.name, n, auto_named);
    let mut started = 0;
    for id in &ids {
        if let Err(e) = yard.0.spawn(id, &spec, &JsValue::UNDEFINED) {
            refuse(format!("{id}: {}", message(&e)));
            break;
        }
        started += 1;
    }
    if ask.name.trim().is_empty() {
        dispatch.dispatch(Action::AutoNamed(started));
    }
    if started == ids.len() {
        dispatch.dispatch(Action::Note(
            Place::Spawn,
            format!("started {started} worker(s)"),
        ));
    }
}

pub fn send(yard: &Yard, dispatch: &Dispatcher, to: &str, text: &str) {
    if to.is_empty() {
        return dispatch.dispatch(Action::Error(
            Place::Message,
            "spawn a worker first, then pick it".into(),
        ));
    }
    match yard.0.send(to, &JsValue::from_str(text)) {
        Ok(()) => dispatch.dispatch(Action::Note(Place::Message, format!("sent to {to}"))),
        Err(e) => dispatch.dispatch(Action::Error(Place::Message, message(&e))),
    }
}

pub fn broadcast(yard: &Yard, dispatch: &Dispatcher, text: &str) {
    let result = yard
        .0
        .broadcast(&JsValue::from_str(text))
        .map_err(|e| message(&e))
        .and_then(read::<BroadcastView>);
    match result.map(|r| r.summary()) {
        Ok((summary, false)) => dispatch.dispatch(Action::Note(Place::Broadcast, summary)),
        Ok((summary, true)) | Err(summary) => {
            dispatch.dispatch(Action::Error(Place::Broadcast, summary))
        }
    }
}

pub fn shutdown(yard: &Yard, dispatch: &Dispatcher, generation: u64, deadline: &str) {
    let ms = match input::deadline_ms(deadline) {
        Ok(ms) => ms,
        Err(why) => return dispatch.dispatch(Action::Error(Place::Shutdown, why)),
    };
    dispatch.dispatch(Action::Note(Place::Shutdown, "shutting down…".into()));
    let (yard, dispatch) = (yard.clone(), dispatch.clone());
    spawn_local(async move {
        match JsFuture::from(yard.0.shutdown(ms))
            .await
            .map_err(|e| message(&e))
            .and_then(read::<Report>)
        {
            Ok(report) => {
                dispatch.dispatch(Action::Clear(Place::Shutdown));
                dispatch.dispatch(Action::Report(generation, report));
            }
            Err(why) => dispatch.dispatch(Action::Error(Place::Shutdown, why)),
        }
    });
}

/// Removes every worker that has finished, as the manager has them now.
pub fn remove_finished(yard: &Yard, dispatch: &Dispatcher) {
    let snapshot = yard
        .0
        .snapshot()
        .map_err(|e| message(&e))
        .and_then(read::<Snapshot>);
    let workers = match snapshot {
        Ok(snapshot) => snapshot.workers,
        Err(why) => return dispatch.dispatch(Action::Error(Place::Shutdown, why)),
    };
    for w in workers.iter().filter(|w| w.finished()) {
        if let Err(e) = yard.0.remove(&w.id) {
            dispatch.dispatch(Action::Error(Place::Shutdown, message(&e)));
        }
    }
}

pub fn fresh_manager(dispatch: &Dispatcher, speed: f64) {
    match new_manager(speed) {
        Ok(yard) => dispatch.dispatch(Action::NewManager(yard)),
        Err(why) => dispatch.dispatch(Action::Error(Place::Shutdown, why)),
    }
}

pub fn row(yard: &Yard, dispatch: &Dispatcher, action: RowAction, id: &str) {
    let place = Place::Row(id.to_owned());
    let done = match action {
        RowAction::Pause => yard.0.pause(id),
        RowAction::Resume => yard.0.resume(id),
        RowAction::Stop => yard.0.stop(id),
        RowAction::Remove => yard.0.remove(id).map(drop),
    };
    match done {
        Ok(()) => dispatch.dispatch(Action::Clear(place)),
        Err(e) => dispatch.dispatch(Action::Error(place, message(&e))),
    }
}

/// The speed, for the manager, the script and the page; refused out of range.
pub fn set_speed(yard: Option<&Yard>, script: &ScriptSlot, dispatch: &Dispatcher, text: &str) {
    match input::speed(text) {
        Ok(speed) => {
            script.with(|s| s.set_speed(speed));
            if let Some(yard) = yard {
                // Refused only out of range, which input::speed excludes.
                let _ = yard.0.set_speed(speed);
            }
            dispatch.dispatch(Action::SetSpeed(speed));
        }
        Err(why) => dispatch.dispatch(Action::Error(Place::Speed, why)),
    }
}

/// Starts `scenario` on a fresh manager: the old one is shut down (its
/// threads go back to the pool), the cast is spawned, the script begins.
/// `generation` is the number the new manager gets in the app's state.
pub fn run_scenario(
    old: Option<&Yard>,
    dispatch: &Dispatcher,
    scenario: &Rc<ScenarioView>,
    generation: u64,
    speed: f64,
) -> Result<Script, String> {
    if let Some(old) = old {
        // Not awaited: its report is of no interest once a new run starts.
        let _ = old.0.shutdown(0.0);
    }
    let yard = manager(scenario.mailbox_capacity, true, speed)?;
    dispatch.dispatch(Action::ScenarioStarted(yard.clone(), Rc::clone(scenario)));
    for cast in &scenario.cast {
        let workload = to_js(&cast.workload)?;
        let options = match cast.max_restarts {
            Some(n) => to_js(&serde_json::json!({ "maxRestarts": n }))?,
            None => JsValue::UNDEFINED,
        };
        yard.0
            .spawn(&cast.id, &workload, &options)
            .map_err(|e| format!("{}: {}", cast.id, message(&e)))?;
    }
    Ok(Script::start(
        Rc::clone(scenario),
        yard,
        generation,
        dispatch.clone(),
        speed,
    ))
}

pub fn export(yard: &Yard, dispatch: &Dispatcher, what: Export) {
    let (file, about, text) = match what {
        // The trace is built a slice per turn of the event loop: a Promise.
        Export::Trace => (
            "threadyard-trace.json",
            "open it in ui.perfetto.dev or chrome://tracing",
            yard.0.trace().map_err(|e| message(&e)),
        ),
        Export::Snapshot => (
            "threadyard-snapshot.json",
            "the figures of every worker, as JSON",
            yard.0
                .snapshot()
                .map_err(|e| message(&e))
                .and_then(|s| export::pretty_json(&s))
                .map(|text| js_sys::Promise::resolve(&JsValue::from_str(&text))),
        ),
    };
    let dispatch = dispatch.clone();
    wasm_bindgen_futures::spawn_local(async move {
        let saved = match text {
            Ok(text) => wasm_bindgen_futures::JsFuture::from(text)
                .await
                .map_err(|e| message(&e))
                .and_then(|text| export::download(file, &text)),
            Err(why) => Err(why),
        };
        match saved {
            Ok(()) => dispatch.dispatch(Action::Note(
                Place::Export,
                format!("saved as {file}: {about}"),
            )),
            Err(why) => dispatch.dispatch(Action::Error(Place::Export, why)),
        }
    });
}
