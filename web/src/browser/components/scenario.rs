//! Teaching mode's controls: the scenario chooser with its speed, hold and
//! step controls, and the exports.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::feedback;
use crate::browser::renders;
use crate::clock::Status;
use crate::input::Export;
use crate::input::{MAX_SPEED, MIN_SPEED};
use crate::model::ScenarioView;
use crate::state::Feedback;

const PRESETS: [f64; 5] = [0.1, 0.5, 1.0, 2.0, 10.0];

/// What the panel's buttons do.
#[derive(Clone, PartialEq)]
pub struct ScenarioActions {
    /// Runs the scenario at this index.
    pub run: Callback<usize>,
    /// The speed, as typed.
    pub speed: Callback<String>,
    /// Holds (true) or lets go of the script.
    pub hold: Callback<bool>,
    pub step: Callback<()>,
    pub export: Callback<Export>,
}

#[derive(Properties, PartialEq)]
pub struct ScenarioProps {
    pub scenarios: Rc<Result<Vec<ScenarioView>, String>>,
    /// The script's place, while one has run on this page.
    pub status: Option<Status>,
    pub speed_feedback: Option<Feedback>,
    pub scenario_feedback: Option<Feedback>,
    pub export_feedback: Option<Feedback>,
    /// A manager exists to export from.
    pub can_export: bool,
    /// Why this source cannot export a trace or a snapshot, if it cannot:
    /// the buttons are then shown unavailable with this reason.
    #[prop_or_default]
    pub export_unavailable: Option<AttrValue>,
    pub actions: ScenarioActions,
}

fn status_line(status: Option<&Status>) -> String {
    match status {
        None => "Pick a scenario and press Run: it starts a fresh manager with its own workers."
            .to_owned(),
        Some(s) if s.finished => format!("Finished: all {} steps done.", s.steps),
        Some(s) => format!(
            "Script clock {:.1} s of {:.1} s, step {} of {}{}",
            s.now_ms / 1e3,
            s.end_ms / 1e3,
            s.done_steps.min(s.steps),
            s.steps,
            if s.held {
                ". Held: the script's clock and the lesson's workers stand still. Each worker \
                 stops where it is in its own code (the table says \"held by Hold\"; one \
                 waiting for a message goes on waiting) and is not paused: a pause or stop you \
                 ask for now is answered when you continue. Script seconds leave the held time \
                 out."
            } else if s.hold_after_step {
                ", running to the next step; the script and the workers hold once it has run."
            } else {
                "."
            }
        ),
    }
}

#[function_component(ScenarioPanel)]
pub fn scenario_panel(props: &ScenarioProps) -> Html {
    renders::count("ScenarioPanel");
    let chosen = use_state(|| 0_usize);
    let select = use_node_ref();
    let speed_text = use_state(|| "1".to_owned());
    let list = match &*props.scenarios {
        Ok(list) => list,
        Err(why) => {
            return html! { <section class="panel"><p class="error" role="alert">{ format!("No scenarios: {why}") }</p></section> }
        }
    };
    let scenario = list.get(*chosen);
    let actions = &props.actions;

    let on_choose = {
        let (chosen, select) = (chosen.clone(), select.clone());
        Callback::from(move |_: Event| {
            if let Some(s) = select.cast::<HtmlSelectElement>() {
                chosen.set(s.selected_index().max(0) as usize);
            }
        })
    };
    let set_speed = {
        let (speed, speed_text) = (actions.speed.clone(), speed_text.clone());
        Callback::from(move |text: String| {
            speed_text.set(text.clone());
            speed.emit(text);
        })
    };
    let on_speed =
        set_speed.reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
    let status = props.status.as_ref();
    let running = status.is_some_and(|s| !s.finished);
    let held = status.is_some_and(|s| s.held);
    let on_run = {
        let (run, chosen) = (actions.run.clone(), *chosen);
        Callback::from(move |_: MouseEvent| run.emit(chosen))
    };
    let on_hold = actions.hold.reform(move |_: MouseEvent| !held);
    let on_step = actions.step.reform(|_: MouseEvent| ());
    let on_trace = actions.export.reform(|_: MouseEvent| Export::Trace);
    let on_snapshot = actions.export.reform(|_: MouseEvent| Export::Snapshot);
    let export_why = props.export_unavailable.as_ref();
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
            { scenario.map(|s| html! {
                <>
                    <p class="teaches" data-testid="scenario-teaches">{ s.teaches.clone() }</p>
                    <p class="hint" data-testid="scenario-look-for">{ format!("Look for: {}", s.look_for) }</p>
                </>
            }).unwrap_or_default() }
            <div class="row">
                <label for="speed">{ "Speed" }</label>
                <input id="speed" data-testid="speed" type="number" min={MIN_SPEED.to_string()} max={MAX_SPEED.to_string()} step="0.1"
                       value={(*speed_text).clone()} oninput={on_speed} aria-describedby="speed-hint" />
                <span class="presets" role="group" aria-label="Speed presets">
                    { for PRESETS.iter().map(|p| {
                        let set_speed = set_speed.clone();
                        let text = p.to_string();
                        html! { <button type="button" class="preset" onclick={Callback::from(move |_: MouseEvent| set_speed.emit(text.clone()))}>{ format!("{p}x") }</button> }
                    }) }
                </span>
            </div>
            <p class="hint" id="speed-hint">{ "Scales the script's clock and every item the workers do, live: 0.1 is slow motion, 10 is ten times faster." }</p>
            { feedback::view(props.speed_feedback.as_ref()) }
            <div class="buttons">
                <button type="button" data-testid="scenario-run" onclick={on_run}>{ if running { "Restart" } else { "Run" } }</button>
                <button type="button" data-testid="scenario-hold" onclick={on_hold} disabled={!running}>
                    { if held { "Continue" } else { "Hold" } }
                </button>
                <button type="button" data-testid="scenario-step" onclick={on_step} disabled={!running}>{ "Run to next step" }</button>
            </div>
            <p class="status" data-testid="scenario-status">{ status_line(status) }</p>
            { feedback::view(props.scenario_feedback.as_ref()) }
            <div class="buttons">
                // Unavailable for this source: reachable by keyboard, with the
                // reason as their description; a click does nothing.
                <button type="button" data-testid="export-trace" onclick={on_trace}
                        disabled={!props.can_export && export_why.is_none()}
                        aria-disabled={export_why.map(|_| "true")} aria-describedby={export_why.map(|_| "export-why")}>
                    { "Export trace (Chrome JSON)" }</button>
                <button type="button" data-testid="export-snapshot" onclick={on_snapshot}
                        disabled={!props.can_export && export_why.is_none()}
                        aria-disabled={export_why.map(|_| "true")} aria-describedby={export_why.map(|_| "export-why")}>
                    { "Export snapshot (JSON)" }</button>
            </div>
            if let Some(why) = export_why.cloned() {
                <p class="unavailable-note" id="export-why" data-testid="export-unavailable">{ why }</p>
            }
            { feedback::view(props.export_feedback.as_ref()) }
        </section>
    }
}
