//! Playing a recording: its clock, and opening the file.

use gloo_timers::callback::Timeout;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::connection::{message, Dispatcher};
use crate::state::{Action, Place};
use crate::wire::read_recording;

/// How often a playing replay moves on (real time).
const TICK_MS: u32 = 100;

/// While replay `generation` plays, moves its clock on every tick. Keyed
/// on the recorded time shown, so each step schedules the next.
#[hook]
pub fn use_replay_clock(playing: bool, generation: u64, clock_ms: f64, dispatch: Dispatcher) {
    use_effect_with(
        (playing, generation, clock_ms.to_bits()),
        move |(playing, generation, _)| {
            let generation = *generation;
            let tick = playing.then(|| {
                Timeout::new(TICK_MS, move || {
                    dispatch.dispatch(Action::ReplayTick(generation, f64::from(TICK_MS)));
                })
            });
            move || drop(tick)
        },
    );
}

/// Reads the file picked in `input` and plays it.
pub fn open(input: &HtmlInputElement, dispatch: &Dispatcher) {
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return;
    };
    let name = file.name();
    let dispatch = dispatch.clone();
    spawn_local(async move {
        let text = JsFuture::from(file.text())
            .await
            .map_err(|e| format!("could not read {name}: {}", message(&e)))
            .and_then(|v| v.as_string().ok_or_else(|| format!("{name} is not text")));
        match text.and_then(|t| read_recording(&t).map_err(|e| format!("{name}: {e}"))) {
            Ok(samples) => dispatch.dispatch(Action::OpenRecording(name, samples)),
            Err(why) => dispatch.dispatch(Action::Error(Place::Source, why)),
        }
    });
}

/// The file input behind an event.
pub fn input_of(event: &Event) -> Option<HtmlInputElement> {
    event
        .target()
        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
}
