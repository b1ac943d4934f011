//! The forms: spawn, message, broadcast, shut down. Each keeps what is typed
//! in its own state and hands it over on submit; what comes of it (an
//! error, a note, the report) comes back as props.

use std::rc::Rc;

use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use super::feedback;
use crate::browser::renders;
use crate::input::SpawnRequest;
use crate::input::{MAX_DEADLINE_MS, MAX_SPAWN, WORKLOADS};
use crate::model::{list, Report};
use crate::state::Feedback;

/// A text field the form owns: Yew re-applies an input's `value` on each
/// render, so what a person types must live in state or it would snap back.
#[hook]
fn use_field(initial: &'static str) -> (UseStateHandle<String>, Callback<InputEvent>) {
    let field = use_state(|| initial.to_owned());
    let on_input = {
        let field = field.clone();
        Callback::from(move |e: InputEvent| {
            field.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    (field, on_input)
}

fn selected(node: &NodeRef) -> String {
    node.cast::<HtmlSelectElement>()
        .map(|s| s.value())
        .unwrap_or_default()
}

/// One labelled text field of a form.
fn text_row(
    id: &'static str,
    label: &'static str,
    value: &UseStateHandle<String>,
    oninput: Callback<InputEvent>,
) -> Html {
    html! {
        <div class="row">
            <label for={id}>{ label }</label>
            <input id={id} data-testid={id} type="text" value={(**value).clone()} {oninput} />
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct SpawnProps {
    pub feedback: Option<Feedback>,
    pub on_spawn: Callback<SpawnRequest>,
}

#[function_component(SpawnForm)]
pub fn spawn_form(props: &SpawnProps) -> Html {
    renders::count("SpawnForm");
    let kind = use_node_ref();
    let (count, on_count) = use_field("3");
    let (param, on_param) = use_field(WORKLOADS[0].3);
    let (name, on_name) = use_field("");
    let chosen = use_state(|| WORKLOADS[0].0.to_owned());
    let (_, _, param_label, _) = WORKLOADS
        .iter()
        .find(|w| w.0 == *chosen)
        .copied()
        .unwrap_or(WORKLOADS[0]);

    let on_kind = {
        let (chosen, kind, param) = (chosen.clone(), kind.clone(), param.clone());
        Callback::from(move |_: Event| {
            let picked = selected(&kind);
            if let Some(w) = WORKLOADS.iter().find(|w| w.0 == picked) {
                param.set(w.3.to_owned());
            }
            chosen.set(picked);
        })
    };
    let on_submit = {
        let on_spawn = props.on_spawn.clone();
        let (count, kind, param, name) = (count.clone(), kind.clone(), param.clone(), name.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_spawn.emit(SpawnRequest {
                count: (*count).clone(),
                kind: selected(&kind),
                param: (*param).clone(),
                name: (*name).clone(),
            });
        })
    };

    html! {
        <form class="panel" novalidate=true onsubmit={on_submit} aria-labelledby="spawn-title">
            <h2 id="spawn-title">{ "Spawn workers" }</h2>
            <div class="row">
                <label for="spawn-count">{ "How many" }</label>
                <input id="spawn-count" data-testid="spawn-count" type="number" min="1" max={MAX_SPAWN.to_string()} value={(*count).clone()} oninput={on_count} />
            </div>
            <div class="row">
                <label for="spawn-workload">{ "Workload" }</label>
                <select id="spawn-workload" data-testid="spawn-workload" ref={kind} onchange={on_kind}>
                    { for WORKLOADS.iter().map(|(k, label, _, _)| html! { <option value={*k} selected={*k == *chosen}>{ *label }</option> }) }
                </select>
            </div>
            <div class="row">
                <label for="spawn-param">{ param_label }</label>
                <input id="spawn-param" data-testid="spawn-param" type="text" inputmode="decimal" value={(*param).clone()} oninput={on_param} />
            </div>
            <div class="row">
                <label for="spawn-name">{ "Name (optional)" }</label>
                <input id="spawn-name" data-testid="spawn-name" type="text" placeholder="worker_N" maxlength="64" value={(*name).clone()} oninput={on_name} />
            </div>
            <button type="submit" data-testid="spawn-button">{ "Spawn" }</button>
            { feedback::view(props.feedback.as_ref()) }
        </form>
    }
}

#[derive(Properties, PartialEq)]
pub struct MessageProps {
    /// The workers one can write to.
    pub ids: Vec<String>,
    pub feedback: Option<Feedback>,
    /// (to, text)
    pub on_send: Callback<(String, String)>,
}

#[function_component(MessageForm)]
pub fn message_form(props: &MessageProps) -> Html {
    renders::count("MessageForm");
    let target = use_node_ref();
    let (text, on_text) = use_field("pause");
    let on_submit = {
        let on_send = props.on_send.clone();
        let (target, text) = (target.clone(), text.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_send.emit((selected(&target), (*text).clone()));
        })
    };
    html! {
        <form class="panel" novalidate=true onsubmit={on_submit} aria-labelledby="message-title">
            <h2 id="message-title">{ "Send a message" }</h2>
            <p class="hint">{ "Each worker has a bounded mailbox; a full one refuses. \"pause\" makes a worker ask for its own pause (taken at its next pause point), \"shutdown\" makes it finish." }</p>
            <div class="row">
                <label for="message-target">{ "To" }</label>
                <select id="message-target" data-testid="message-target" ref={target}>
                    { for props.ids.iter().map(|id| html! { <option value={id.clone()}>{ id.clone() }</option> }) }
                </select>
            </div>
            { text_row("message-text", "Message", &text, on_text) }
            <button type="submit" data-testid="send-button">{ "Send" }</button>
            { feedback::view(props.feedback.as_ref()) }
        </form>
    }
}

#[derive(Properties, PartialEq)]
pub struct BroadcastProps {
    pub feedback: Option<Feedback>,
    pub on_broadcast: Callback<String>,
}

#[function_component(BroadcastForm)]
pub fn broadcast_form(props: &BroadcastProps) -> Html {
    renders::count("BroadcastForm");
    let (text, on_text) = use_field("shutdown");
    let on_submit = {
        let (on_broadcast, text) = (props.on_broadcast.clone(), text.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_broadcast.emit((*text).clone());
        })
    };
    html! {
        <form class="panel" novalidate=true onsubmit={on_submit} aria-labelledby="broadcast-title">
            <h2 id="broadcast-title">{ "Broadcast" }</h2>
            <p class="hint">{ "One copy into each live mailbox in turn, during the call, with a report per worker." }</p>
            { text_row("broadcast-text", "Message", &text, on_text) }
            <button type="submit" data-testid="broadcast-button">{ "Broadcast" }</button>
            { feedback::view(props.feedback.as_ref()) }
        </form>
    }
}

#[derive(Properties, PartialEq)]
pub struct ShutdownProps {
    pub feedback: Option<Feedback>,
    pub report: Option<Rc<Report>>,
    /// The manager is shut down: a new one can be made.
    pub shut_down: bool,
    /// The deadline, as typed.
    pub on_shutdown: Callback<String>,
    pub on_remove_finished: Callback<()>,
    pub on_new_manager: Callback<()>,
}

#[function_component(ShutdownForm)]
pub fn shutdown_form(props: &ShutdownProps) -> Html {
    renders::count("ShutdownForm");
    let (deadline, on_deadline) = use_field("2000");
    let on_submit = {
        let (on_shutdown, deadline) = (props.on_shutdown.clone(), deadline.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            on_shutdown.emit((*deadline).clone());
        })
    };
    let on_remove = props.on_remove_finished.reform(|_: MouseEvent| ());
    let on_new = props.on_new_manager.reform(|_: MouseEvent| ());
    html! {
        <form class="panel" novalidate=true onsubmit={on_submit} aria-labelledby="shutdown-title">
            <h2 id="shutdown-title">{ "Shut down" }</h2>
            <p class="hint">{ "Asks every worker to stop, in one pass, and waits for all of them under one deadline. Paused and waiting workers are woken; a busy one stops at its next pause point, or is reported as not stopping in time." }</p>
            <div class="row">
                <label for="shutdown-deadline">{ "Deadline (ms)" }</label>
                <input id="shutdown-deadline" data-testid="shutdown-deadline" type="number" min="0" max={MAX_DEADLINE_MS.to_string()} value={(*deadline).clone()} oninput={on_deadline} />
            </div>
            <div class="buttons">
                <button type="submit" data-testid="shutdown-button">{ "Shut down" }</button>
                <button type="button" data-testid="remove-finished" onclick={on_remove}>{ "Remove finished" }</button>
                if props.shut_down {
                    <button type="button" data-testid="new-manager" onclick={on_new}>{ "New manager" }</button>
                }
            </div>
            { feedback::view(props.feedback.as_ref()) }
            { props.report.as_deref().map(report_view).unwrap_or_default() }
        </form>
    }
}

fn report_view(report: &Report) -> Html {
    let failed: Vec<String> = report
        .failed
        .iter()
        .map(|f| format!("{} ({})", f.id, f.error))
        .collect();
    html! {
        <dl class="report" data-testid="shutdown-report">
            <dt>{ "Stopped cleanly" }</dt><dd>{ list(&report.clean) }</dd>
            <dt>{ "Failed" }</dt><dd>{ list(&failed) }</dd>
            <dt>{ "Did not stop in time" }</dt><dd>{ list(&report.unresponsive) }</dd>
            <dt>{ "Undelivered messages" }</dt><dd>{ report.undelivered_messages }</dd>
            <dt>{ "Took" }</dt><dd>{ format!("{:.1} ms", report.elapsed_ms) }</dd>
        </dl>
    }
}
