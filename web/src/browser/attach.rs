//! The connection to a native program's server: a WebSocket that turns
//! its frames into the same refreshes the page's own threads give,
//! reconnects with back-off after a drop, and resumes from its event
//! cursor (so the timeline has no gap and no event twice). Commands go out
//! through it and their answers come back as notes or errors where they
//! were asked.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, MessageEvent, WebSocket};
use yew::prelude::*;

use super::connection::Dispatcher;
use crate::source::Conn;
use crate::state::{Action, Place};
use crate::wire::{backoff_ms, resume_link, Frame, Pairing, PROTOCOL};

/// Most frames kept for the export (about an hour at ten a second).
const KEPT_FRAMES: usize = 40_000;

/// The live connection, shared with the callbacks that send commands.
#[derive(Default)]
pub struct Link {
    socket: Option<WebSocket>,
    next_id: u64,
    /// Where each command's answer is to be shown.
    asked: HashMap<u64, Place>,
    /// The frames received (events and snapshots), for the export.
    pub frames: Vec<String>,
}

/// The connection's slot, kept across renders.
#[derive(Clone, Default)]
pub struct LinkSlot(pub Rc<RefCell<Link>>);

impl PartialEq for LinkSlot {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl LinkSlot {
    /// Sends a command; its answer is shown at `place`.
    pub fn command(&self, dispatch: &Dispatcher, place: Place, mut command: serde_json::Value) {
        let mut link = self.0.borrow_mut();
        link.next_id += 1;
        let id = link.next_id;
        command["id"] = serde_json::json!(id);
        let Some(socket) = link.socket.clone() else {
            return dispatch.dispatch(Action::Error(place, "not connected to the program".into()));
        };
        match socket.send_with_str(&command.to_string()) {
            Ok(()) => {
                link.asked.insert(id, place);
            }
            Err(_) => dispatch.dispatch(Action::Error(place, "the connection is closed".into())),
        }
    }
}

/// Everything one attachment owns; dropping it closes the socket and stops
/// any reconnect.
struct Attachment {
    socket: Option<WebSocket>,
    _handlers: Vec<Closure<dyn FnMut(JsValue)>>,
    retry: Option<Timeout>,
}

/// Connects to `link` while it is the source of manager `generation`.
#[hook]
pub fn use_attachment(link: Option<String>, generation: u64, slot: LinkSlot, dispatch: Dispatcher) {
    use_effect_with((link, generation), move |(link, generation)| {
        let state: Rc<RefCell<Option<Attachment>>> = Rc::default();
        if let Some(link) = link.clone() {
            let pairing = Rc::new(RefCell::new(Pairing::default()));
            slot.0.borrow_mut().frames.clear();
            open(
                &state,
                link,
                *generation,
                0,
                pairing,
                slot.clone(),
                dispatch,
            );
        }
        move || {
            if let Some(mut attachment) = state.borrow_mut().take() {
                attachment.retry.take();
                if let Some(socket) = attachment.socket.take() {
                    socket.set_onmessage(None);
                    socket.set_onclose(None);
                    socket.set_onerror(None);
                    let _ = socket.close();
                }
            }
            slot.0.borrow_mut().socket = None;
        }
    });
}

fn open(
    state: &Rc<RefCell<Option<Attachment>>>,
    link: String,
    generation: u64,
    attempt: u32,
    pairing: Rc<RefCell<Pairing>>,
    slot: LinkSlot,
    dispatch: Dispatcher,
) {
    dispatch.dispatch(Action::Connection(generation, Conn::Connecting { attempt }));
    let url = resume_link(&link, pairing.borrow().cursor);
    let socket = match WebSocket::new(&url) {
        Ok(socket) => socket,
        Err(_) => {
            return dispatch.dispatch(Action::Connection(
                generation,
                Conn::Disconnected {
                    why: "the browser refused the link".into(),
                    attempt,
                    retry_ms: 0,
                },
            ))
        }
    };
    let on_message = {
        let (pairing, slot, dispatch) = (Rc::clone(&pairing), slot.clone(), dispatch.clone());
        Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let Some(text) = event
                .dyn_ref::<MessageEvent>()
                .and_then(|m| m.data().as_string())
            else {
                return;
            };
            received(&text, generation, &pairing, &slot, &dispatch);
        })
    };
    let on_close = {
        let (state, link, pairing, slot, dispatch) = (
            Rc::clone(state),
            link.clone(),
            Rc::clone(&pairing),
            slot.clone(),
            dispatch.clone(),
        );
        Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let why = event
                .dyn_ref::<CloseEvent>()
                .map(|c| c.reason())
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| "the connection closed (did the program stop?)".into());
            slot.0.borrow_mut().socket = None;
            let retry_ms = backoff_ms(attempt);
            dispatch.dispatch(Action::Connection(
                generation,
                Conn::Disconnected {
                    why,
                    attempt,
                    retry_ms,
                },
            ));
            let (again, link, pairing, slot, dispatch) = (
                Rc::clone(&state),
                link.clone(),
                Rc::clone(&pairing),
                slot.clone(),
                dispatch.clone(),
            );
            let retry = Timeout::new(retry_ms, move || {
                // This very timeout is the old attachment's: it must not be
                // dropped while it runs, so it is let go first.
                if let Some(attachment) = again.borrow_mut().as_mut() {
                    if let Some(running) = attachment.retry.take() {
                        running.forget();
                    }
                }
                open(
                    &again,
                    link,
                    generation,
                    attempt + 1,
                    pairing,
                    slot,
                    dispatch,
                );
            });
            if let Some(attachment) = state.borrow_mut().as_mut() {
                attachment.retry = Some(retry);
            }
        })
    };
    let on_open = {
        let (slot, socket) = (slot.clone(), socket.clone());
        Closure::<dyn FnMut(JsValue)>::new(move |_| {
            slot.0.borrow_mut().socket = Some(socket.clone());
        })
    };
    socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
    *state.borrow_mut() = Some(Attachment {
        socket: Some(socket),
        _handlers: vec![on_message, on_close, on_open],
        retry: None,
    });
}

fn received(
    text: &str,
    generation: u64,
    pairing: &RefCell<Pairing>,
    slot: &LinkSlot,
    dispatch: &Dispatcher,
) {
    let frame = match Frame::read(text) {
        Ok(frame) => frame,
        Err(why) => return dispatch.dispatch(Action::Error(Place::Refresh, why)),
    };
    match frame {
        Frame::Hello {
            protocol, settings, ..
        } => {
            if protocol > PROTOCOL {
                dispatch.dispatch(Action::Error(
                    Place::Refresh,
                    format!("the program speaks protocol {protocol}, newer than this page's {PROTOCOL}: reload a newer app"),
                ));
            }
            dispatch.dispatch(Action::Hello(generation, settings));
        }
        Frame::Ok { id, cmd, .. } => {
            let place = answer_place(slot, id.as_ref());
            dispatch.dispatch(Action::Note(place, format!("{cmd}: done by the program")));
        }
        Frame::Error {
            id, error, message, ..
        } => {
            let place = answer_place(slot, id.as_ref());
            dispatch.dispatch(Action::Error(place, format!("{error}: {message}")));
        }
        frame @ (Frame::Events { .. } | Frame::Snapshot { .. }) => {
            {
                let mut link = slot.0.borrow_mut();
                if link.frames.len() < KEPT_FRAMES {
                    link.frames.push(text.to_owned());
                }
            }
            let mut pairing = pairing.borrow_mut();
            let before = (pairing.missed, pairing.skipped);
            if let Some((snapshot, page)) = pairing.take(frame) {
                dispatch.dispatch(Action::Refresh(generation, snapshot, page));
            }
            if (pairing.missed, pairing.skipped) != before {
                dispatch.dispatch(Action::Missed(generation, pairing.missed, pairing.skipped));
            }
        }
        Frame::Recording { .. } | Frame::Other => {}
    }
}

fn answer_place(slot: &LinkSlot, id: Option<&serde_json::Value>) -> Place {
    id.and_then(serde_json::Value::as_u64)
        .and_then(|id| slot.0.borrow_mut().asked.remove(&id))
        .unwrap_or(Place::Refresh)
}
