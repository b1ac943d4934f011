//! The page's controls, for a native program: each becomes a command to
//! its server (or is refused here, with the reason, if the source cannot
//! take it). The answers come back through the connection.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::json;
use wasm_bindgen::JsValue;

use super::attach::LinkSlot;
use super::connection::{message, read, Dispatcher, Yard};
use super::export;
use crate::input::{self, RowAction};
use crate::model::Snapshot;
use crate::source::Source;
use crate::state::{Action, Place};
use crate::tape::{session_lines, Tape};
use crate::wire::recording_header;

pub fn row(link: &LinkSlot, source: &Source, dispatch: &Dispatcher, action: RowAction, id: &str) {
    let place = Place::Row(id.to_owned());
    if let Some(why) = source.command_refusal() {
        return dispatch.dispatch(Action::Error(place, why));
    }
    let cmd = match action {
        RowAction::Pause => "pause",
        RowAction::Resume => "resume",
        RowAction::Stop => "stop",
        RowAction::Remove => "remove",
    };
    link.command(dispatch, place, json!({"cmd": cmd, "worker": id}));
}

pub fn send(link: &LinkSlot, dispatch: &Dispatcher, to: &str, text: &str) {
    if to.is_empty() {
        return dispatch.dispatch(Action::Error(Place::Message, "pick a worker first".into()));
    }
    link.command(
        dispatch,
        Place::Message,
        json!({"cmd": "send", "worker": to, "message": text}),
    );
}

pub fn broadcast(link: &LinkSlot, dispatch: &Dispatcher, text: &str) {
    link.command(
        dispatch,
        Place::Broadcast,
        json!({"cmd": "broadcast", "message": text}),
    );
}

pub fn shutdown(link: &LinkSlot, dispatch: &Dispatcher, deadline: &str) {
    match input::deadline_ms(deadline) {
        Ok(ms) => link.command(
            dispatch,
            Place::Shutdown,
            json!({"cmd": "shutdown", "timeout_ms": ms}),
        ),
        Err(why) => dispatch.dispatch(Action::Error(Place::Shutdown, why)),
    }
}

pub fn remove_finished(link: &LinkSlot, dispatch: &Dispatcher, snapshot: &Snapshot) {
    for w in snapshot.workers.iter().filter(|w| w.finished()) {
        link.command(
            dispatch,
            Place::Shutdown,
            json!({"cmd": "remove", "worker": w.id}),
        );
    }
}

/// Saves what the page shows as a recording (JSON lines, the format
/// `threadyard seed --record` writes): a native program's frames as they
/// came, or the page's own manager's whole event log and its snapshot.
/// The page's own session's snapshots, kept by the refresh loop for
/// "Save as recording" (started afresh with each manager).
#[derive(Clone, Default)]
pub struct TapeSlot(pub Rc<RefCell<Tape<JsValue>>>);

impl PartialEq for TapeSlot {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

pub fn save_recording(
    source: &Source,
    yard: Option<&Yard>,
    link: &LinkSlot,
    tape: &TapeSlot,
    dispatch: &Dispatcher,
) {
    let text = match (source, yard) {
        (Source::Attached(_), _) => {
            let frames = &link.0.borrow().frames;
            // The frames follow the header as they came.
            let mut out = recording_header();
            for frame in frames {
                out.push_str(frame);
                out.push('\n');
            }
            Ok(out)
        }
        (Source::Page, Some(yard)) => page_recording(yard, &tape.0.borrow()),
        (Source::Replay(_), _) => {
            Err("this is a recording already: the file you opened".to_owned())
        }
        (Source::Page, None) => Err("no manager on this page yet".to_owned()),
    };
    match text.and_then(|t| {
        export::download(
            "threadyard-recording.jsonl",
            &wasm_bindgen::JsValue::from_str(&t),
        )
    }) {
        Ok(()) => dispatch.dispatch(Action::Note(
            Place::Source,
            "saved threadyard-recording.jsonl".into(),
        )),
        Err(why) => dispatch.dispatch(Action::Error(Place::Source, why)),
    }
}

fn page_recording(yard: &Yard, tape: &Tape<JsValue>) -> Result<String, String> {
    let stringify = |v: &JsValue| {
        js_sys::JSON::stringify(v)
            .map(String::from)
            .map_err(|e| message(&e))
    };
    let mut pages = Vec::new();
    let mut since = 0.0;
    loop {
        let page = yard.0.events(since).map_err(|e| message(&e))?;
        let text = stringify(&page)?;
        let read: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        let next = read["next"].as_f64().unwrap_or(since);
        let more = read["more"].as_bool().unwrap_or(false);
        pages.push(text);
        if !more || next <= since {
            break;
        }
        since = next;
    }
    // The snapshots the page read along the way, then one now (after the
    // events: every event read comes before it).
    let last = yard.0.snapshot().map_err(|e| message(&e))?;
    let at_ms = read::<Snapshot>(last.clone())?.at_ms;
    let mut snapshots = Vec::with_capacity(tape.len() + 1);
    for (at, snapshot) in tape.snapshots() {
        snapshots.push((at, stringify(snapshot)?));
    }
    snapshots.push((at_ms, stringify(&last)?));
    session_lines(&pages, &snapshots)
}
