//! Teaching mode: the scenario chooser with its speed, hold and step
//! controls and exports, and the narration beside it.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen::JsValue;
use web_sys::{HtmlElement, HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::app::{manager, Action, Store};
use crate::controls::feedback;
use crate::export;
use crate::model::{read, ScenarioView};
use crate::script::Script;
use crate::threads::{self, Threadyard};

/// Slowest and fastest speeds the page offers.
pub const MIN_SPEED: f64 = 0.1;
pub const MAX_SPEED: f64 = 10.0;
const PRESETS: [f64; 5] = [0.1, 0.5, 1.0, 2.0, 10.0];

fn scenarios() -> Result<Vec<ScenarioView>, String> {
    Threadyard::scenarios()
        .map_err(|e| threads::message(&e))
        .and_then(read::<Vec<ScenarioView>>)
}

/// Starts `scenario` on a fresh manager: the old one is shut down (its
/// threads go back to the pool), the cast is spawned, the script begins.
fn run(scenario: &ScenarioView, store: &Store, speed: f64) -> Result<Script, String> {
    if let Some(old) = &store.yard {
        // Not awaited: its report is of no interest once a new run starts.
        let _ = old.0.shutdown(0.0);
    }
    let yard = manager(scenario.mailbox_capacity, true, speed)?;
    store.dispatch(Action::ScenarioStarted(yard.clone(), scenario.clone()));
    for cast in &scenario.cast {
        let workload = serde_wasm_bindgen::to_value(&cast.workload).map_err(|e| e.to_string())?;
        let options = match cast.max_restarts {
            Some(n) => serde_wasm_bindgen::to_value(&serde_json::json!({ "maxRestarts": n }))
                .map_err(|e| e.to_string())?,
            None => JsValue::UNDEFINED,
        };
        yard.0
            .spawn(&cast.id, &workload, &options)
            .map_err(|e| format!("{}: {}", cast.id, threads::message(&e)))?;
    }
    Ok(Script::start(scenario.clone(), yard, store.clone(), speed))
}

/// A button's handler that saves what `text` makes of the manager as `file`,
/// and says where it went.
fn exporter(
    store: &Store,
    file: &'static str,
    what: &'static str,
    text: fn(&Threadyard) -> Result<String, String>,
) -> Callback<MouseEvent> {
    let store = store.clone();
    Callback::from(move |_: MouseEvent| {
        let Some(yard) = &store.yard else { return };
        match text(&yard.0).and_then(|text| export::download(file, &text)) {
            Ok(()) => store.dispatch(Action::Note(
                "export".into(),
                format!("saved as {file}: {what}"),
            )),
            Err(why) => store.dispatch(Action::Error("export".into(), why)),
        }
    })
}

fn parse_speed(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(s) if (MIN_SPEED..=MAX_SPEED).contains(&s) => Ok(s),
        _ => Err(format!(
            "{text:?} is not a speed from {MIN_SPEED} to {MAX_SPEED}: 1 is real time, 0.1 slow motion, 10 ten times faster"
        )),
    }
}

#[function_component(ScenarioPanel)]
pub fn scenario_panel() -> Html {
    let store = use_context::<Store>().expect("the store");
    let all = use_memo((), |()| scenarios());
    let chosen = use_state(|| 0_usize);
    let select = use_node_ref();
    let script: Rc<RefCell<Option<Script>>> = use_mut_ref(|| None);
    let speed_text = use_state(|| "1".to_owned());

    let list = match &*all {
        Ok(list) => list.clone(),
        Err(why) => {
            return html! { <section class="panel"><p class="error" role="alert">{ format!("No scenarios: {why}") }</p></section> }
        }
    };
    let scenario = list.get(*chosen).cloned();

    let on_choose = {
        let (chosen, select) = (chosen.clone(), select.clone());
        Callback::from(move |_: Event| {
            if let Some(s) = select.cast::<HtmlSelectElement>() {
                chosen.set(s.selected_index().max(0) as usize);
            }
        })
    };
    let on_run = {
        let (store, script, scenario) = (store.clone(), script.clone(), scenario.clone());
        Callback::from(move |_: MouseEvent| {
            let Some(scenario) = &scenario else { return };
            if let Some(old) = script.borrow_mut().take() {
                old.cancel();
            }
            match run(scenario, &store, store.speed) {
                Ok(started) => *script.borrow_mut() = Some(started),
                Err(why) => store.dispatch(Action::Error("scenario".into(), why)),
            }
        })
    };
    let set_speed = {
        let (store, script, speed_text) = (store.clone(), script.clone(), speed_text.clone());
        Callback::from(move |text: String| {
            speed_text.set(text.clone());
            match parse_speed(&text) {
                Ok(speed) => {
                    if let Some(s) = &*script.borrow() {
                        s.set_speed(speed);
                    }
                    if let Some(yard) = &store.yard {
                        // Refused only out of range, which parse_speed excludes.
                        let _ = yard.0.set_speed(speed);
                    }
                    store.dispatch(Action::SetSpeed(speed));
                }
                Err(why) => store.dispatch(Action::Error("speed".into(), why)),
            }
        })
    };
    let on_speed = {
        let set_speed = set_speed.clone();
        Callback::from(move |e: InputEvent| {
            set_speed.emit(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let status = script.borrow().as_ref().map(Script::status);
    let on_hold = {
        let script = script.clone();
        let held = status.as_ref().is_some_and(|s| s.held);
        Callback::from(move |_: MouseEvent| {
            if let Some(s) = &*script.borrow() {
                s.set_held(!held);
            }
        })
    };
    let on_step = {
        let script = script.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(s) = &*script.borrow() {
                s.step();
            }
        })
    };
    let on_trace = exporter(
        &store,
        "threadyard-trace.json",
        "open it in ui.perfetto.dev or chrome://tracing",
        |yard| yard.trace().map_err(|e| threads::message(&e)),
    );
    let on_snapshot = exporter(
        &store,
        "threadyard-snapshot.json",
        "the figures of every worker, as JSON",
        |yard| {
            yard.snapshot()
                .map_err(|e| threads::message(&e))
                .and_then(|s| export::pretty_json(&s))
        },
    );

    let running = status.as_ref().is_some_and(|s| !s.finished);
    let status_line = match &status {
        None => "Pick a scenario and press Run: it starts a fresh manager with its own workers."
            .to_owned(),
        Some(s) if s.finished => format!("Finished: all {} steps done.", s.steps),
        Some(s) => format!(
            "Script clock {:.1} s of {:.1} s, step {} of {}{}.",
            s.now_ms / 1e3,
            s.end_ms / 1e3,
            s.done_steps.min(s.steps),
            s.steps,
            if s.held {
                ", held (the workers go on: they are real threads)"
            } else {
                ""
            }
        ),
    };
    html! {
        <section class="panel scenario" aria-labelledby="scenario-title">
            <h2 id="scenario-title">{ "Scenarios" }</h2>
            <div class="row">
                <label for="scenario-select">{ "Scenario" }</label>
                <select id="scenario-select" data-testid="scenario-select" ref={select} onchange={on_choose}>
                    { for list.iter().enumerate().map(|(i, s)| html! {
                        <option value={s.id.clone()} selected={i == *chosen}>{ s.title.clone() }</option>
                    }) }
                </select>
            </div>
            { scenario.as_ref().map(|s| html! {
                <>
                    <p class="teaches" data-testid="scenario-teaches">{ s.teaches.clone() }</p>
                    <p class="hint">{ format!("Look for: {}", s.look_for) }</p>
                </>
            }).unwrap_or_default() }
            <div class="row">
                <label for="speed">{ "Speed" }</label>
                <input id="speed" data-testid="speed" type="number" min={MIN_SPEED.to_string()} max={MAX_SPEED.to_string()} step="0.1"
                       value={(*speed_text).clone()} oninput={on_speed} aria-describedby="speed-hint" />
                <span class="presets">
                    { for PRESETS.iter().map(|p| {
                        let set_speed = set_speed.clone();
                        let text = p.to_string();
                        html! { <button type="button" class="preset" onclick={Callback::from(move |_: MouseEvent| set_speed.emit(text.clone()))}>{ format!("{p}x") }</button> }
                    }) }
                </span>
            </div>
            <p class="hint" id="speed-hint">{ "Scales the script's clock and every item the workers do, live: 0.1 is slow motion, 10 is ten times faster." }</p>
            { feedback(&store, "speed") }
            <div class="buttons">
                <button type="button" data-testid="scenario-run" onclick={on_run}>{ if running { "Restart" } else { "Run" } }</button>
                <button type="button" data-testid="scenario-hold" onclick={on_hold} disabled={!running}>
                    { if status.as_ref().is_some_and(|s| s.held) { "Continue script" } else { "Hold script" } }
                </button>
                <button type="button" data-testid="scenario-step" onclick={on_step} disabled={!running}>{ "Next step now" }</button>
            </div>
            <p class="status" data-testid="scenario-status" role="status">{ status_line }</p>
            { feedback(&store, "scenario") }
            <div class="buttons">
                <button type="button" data-testid="export-trace" onclick={on_trace} disabled={store.yard.is_none()}>{ "Export trace (Chrome JSON)" }</button>
                <button type="button" data-testid="export-snapshot" onclick={on_snapshot} disabled={store.yard.is_none()}>{ "Export snapshot (JSON)" }</button>
            </div>
            { feedback(&store, "export") }
        </section>
    }
}

#[function_component(NarrationPanel)]
pub fn narration_panel() -> Html {
    let store = use_context::<Store>().expect("the store");
    let list = use_node_ref();
    let count = store.narrator.lines.len();
    let last = store.narrator.lines.back().map(|l| l.at_ms);
    {
        // Keep the newest line in view as lines arrive.
        let list = list.clone();
        use_effect_with((count, last), move |_| {
            if let Some(el) = list.cast::<HtmlElement>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    html! {
        <section class="panel narration-panel" aria-labelledby="narration-title">
            <h2 id="narration-title">{ "What is happening" }</h2>
            <p class="hint">{ "Each event in plain words, as it happens. Click a line to mark its moment on the timeline." }</p>
            <ol class="narration" data-testid="narration" ref={list} aria-live="polite">
                { for store.narrator.lines.iter().map(|line| {
                    let at = line.at_ms;
                    let marked = store.marker == Some(at);
                    let onclick = {
                        let store = store.clone();
                        Callback::from(move |_: MouseEvent| store.dispatch(Action::Mark(if marked { None } else { Some(at) })))
                    };
                    html! {
                        <li class={classes!(line.kind.class(), marked.then_some("marked"))} {onclick} title="Show this moment on the timeline">
                            <time>{ format!("{:>6.2} s", at / 1e3) }</time>{ " " }{ line.text.clone() }
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}
