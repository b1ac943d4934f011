//! The forms: spawn, message, broadcast, shut down.

use wasm_bindgen::JsValue;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::app::{new_manager, Action, Store};
use crate::model::{read, Report};
use crate::threads;

fn value(node: &NodeRef) -> String {
    node.cast::<HtmlSelectElement>()
        .map(|s| s.value())
        .unwrap_or_default()
}

/// A text field the page owns: the page re-renders ten times a second, and
/// Yew re-applies an input's `value` on each render, so what a person types
/// must live in state or it would snap back.
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

/// An inline error or note for `place`, if there is one.
pub fn feedback(store: &Store, place: &str) -> Html {
    if let Some(error) = store.errors.get(place) {
        return html! { <p class="error" data-testid="error" role="alert">{ error.clone() }</p> };
    }
    store
        .notes
        .get(place)
        .map(|note| html! { <p class="note" role="status">{ note.clone() }</p> })
        .unwrap_or_default()
}

#[function_component(Controls)]
pub fn controls() -> Html {
    html! {
        <section class="controls">
            <SpawnForm />
            <MessageForm />
            <BroadcastForm />
            <ShutdownForm />
        </section>
    }
}

/// Workload name, its parameter's label and default, and the JSON spec.
const WORKLOADS: [(&str, &str, &str, &str); 3] = [
    (
        "data-processor",
        "Data processor (like the seed)",
        "ms per item",
        "100",
    ),
    ("cpu-bound", "CPU-bound", "work rounds per item", "200000"),
    ("chatty", "Chatty (messages peers)", "ms per message", "200"),
];

fn workload(kind: &str, param: &str) -> Result<serde_json::Value, String> {
    let number: f64 = param.trim().parse().map_err(|_| {
        format!("{param:?} is not a number: give the workload's parameter as a number")
    })?;
    Ok(match kind {
        "cpu-bound" => {
            if !(1.0..=1e9).contains(&number) || number.fract() != 0.0 {
                return Err(format!(
                    "work per item must be a whole number from 1 to 1000000000, not {param}"
                ));
            }
            serde_json::json!({ "kind": kind, "work_per_item": number as u64 })
        }
        _ => serde_json::json!({ "kind": kind, "item_ms": number }),
    })
}

#[function_component(SpawnForm)]
fn spawn_form() -> Html {
    let store = use_context::<Store>().expect("the store");
    let kind = use_node_ref();
    let (count, on_count) = use_field("3");
    let (param, on_param) = use_field(WORKLOADS[0].3);
    let (name, on_name) = use_field("");
    let selected = use_state(|| WORKLOADS[0].0.to_owned());
    let (_, _, param_label, _) = WORKLOADS
        .iter()
        .find(|w| w.0 == *selected)
        .copied()
        .unwrap_or(WORKLOADS[0]);

    let on_kind = {
        let (selected, kind, param) = (selected.clone(), kind.clone(), param.clone());
        Callback::from(move |_: Event| {
            let chosen = value(&kind);
            if let Some(w) = WORKLOADS.iter().find(|w| w.0 == chosen) {
                param.set(w.3.to_owned());
            }
            selected.set(chosen);
        })
    };

    let on_spawn = {
        let store = store.clone();
        let (count, kind, param, name) = (count.clone(), kind.clone(), param.clone(), name.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(yard) = store.yard.clone() else {
                return;
            };
            let n = match count.trim().parse::<usize>() {
                Ok(n @ 1..=64) => n,
                _ => {
                    let msg = format!("{:?} is not a count from 1 to 64", *count);
                    store.dispatch(Action::Error("spawn".into(), msg));
                    return;
                }
            };
            let spec = match workload(&value(&kind), &param) {
                Ok(spec) => spec,
                Err(msg) => return store.dispatch(Action::Error("spawn".into(), msg)),
            };
            let spec = serde_wasm_bindgen::to_value(&spec).unwrap_or(JsValue::NULL);
            let name = name.trim().to_owned();
            let ids: Vec<String> = match (name.is_empty(), n) {
                (true, _) => (0..n)
                    .map(|i| format!("worker_{}", store.auto_named + i))
                    .collect(),
                (false, 1) => vec![name.clone()],
                (false, _) => (0..n).map(|i| format!("{name}_{i}")).collect(),
            };
            let mut started = 0;
            for id in &ids {
                if let Err(e) = yard.0.spawn(id, &spec, &JsValue::UNDEFINED) {
                    let msg = format!("{id}: {}", threads::message(&e));
                    store.dispatch(Action::Error("spawn".into(), msg));
                    break;
                }
                started += 1;
            }
            if name.is_empty() {
                store.dispatch(Action::AutoNamed(started));
            }
            if started == ids.len() {
                store.dispatch(Action::Note(
                    "spawn".into(),
                    format!("started {started} worker(s)"),
                ));
            }
        })
    };

    html! {
        <form class="panel" novalidate=true onsubmit={on_spawn} aria-labelledby="spawn-title">
            <h2 id="spawn-title">{ "Spawn workers" }</h2>
            <div class="row">
                <label for="spawn-count">{ "How many" }</label>
                <input id="spawn-count" data-testid="spawn-count" type="number" min="1" max="64" value={(*count).clone()} oninput={on_count} />
            </div>
            <div class="row">
                <label for="spawn-workload">{ "Workload" }</label>
                <select id="spawn-workload" data-testid="spawn-workload" ref={kind} onchange={on_kind}>
                    { for WORKLOADS.iter().map(|(k, label, _, _)| html! { <option value={*k} selected={*k == *selected}>{ *label }</option> }) }
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
            { feedback(&store, "spawn") }
        </form>
    }
}

#[function_component(MessageForm)]
fn message_form() -> Html {
    let store = use_context::<Store>().expect("the store");
    let target = use_node_ref();
    let (text, on_text) = use_field("pause");
    let on_send = {
        let store = store.clone();
        let (target, text) = (target.clone(), text.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(yard) = store.yard.clone() else {
                return;
            };
            let id = value(&target);
            if id.is_empty() {
                return store.dispatch(Action::Error(
                    "message".into(),
                    "spawn a worker first, then pick it".into(),
                ));
            }
            match yard.0.send(&id, &JsValue::from_str(&text)) {
                Ok(()) => store.dispatch(Action::Note("message".into(), format!("sent to {id}"))),
                Err(e) => store.dispatch(Action::Error("message".into(), threads::message(&e))),
            }
        })
    };
    html! {
        <form class="panel" novalidate=true onsubmit={on_send} aria-labelledby="message-title">
            <h2 id="message-title">{ "Send a message" }</h2>
            <p class="hint">{ "Each worker has a bounded mailbox; a full one refuses. \"pause\" makes a worker pause itself, \"shutdown\" makes it finish." }</p>
            <div class="row">
                <label for="message-target">{ "To" }</label>
                <select id="message-target" data-testid="message-target" ref={target}>
                    { for store.snapshot.workers.iter().map(|w| html! { <option value={w.id.clone()}>{ w.id.clone() }</option> }) }
                </select>
            </div>
                        { text_row("message-text", "Message", &text, on_text) }
            <button type="submit" data-testid="send-button">{ "Send" }</button>
            { feedback(&store, "message") }
        </form>
    }
}

#[function_component(BroadcastForm)]
fn broadcast_form() -> Html {
    let store = use_context::<Store>().expect("the store");
    let (text, on_text) = use_field("shutdown");
    let on_broadcast = {
        let store = store.clone();
        let text = text.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(yard) = store.yard.clone() else {
                return;
            };
            let result = yard
                .0
                .broadcast(&JsValue::from_str(&text))
                .map_err(|e| threads::message(&e))
                .and_then(read::<serde_json::Value>);
            match result {
                Ok(report) => {
                    let count = |outcome: &str| {
                        report["recipients"]
                            .as_array()
                            .map_or(0, |r| r.iter().filter(|x| x["outcome"] == outcome).count())
                    };
                    let (delivered, full, finished) =
                        (count("delivered"), count("mailbox-full"), count("finished"));
                    let summary = format!("delivered to {delivered}; mailbox full at {full}; already finished: {finished}");
                    if full > 0 {
                        store.dispatch(Action::Error("broadcast".into(), summary));
                    } else {
                        store.dispatch(Action::Note("broadcast".into(), summary));
                    }
                }
                Err(msg) => store.dispatch(Action::Error("broadcast".into(), msg)),
            }
        })
    };
    html! {
        <form class="panel" novalidate=true onsubmit={on_broadcast} aria-labelledby="broadcast-title">
            <h2 id="broadcast-title">{ "Broadcast" }</h2>
            <p class="hint">{ "One copy into every live mailbox at once, with a report per worker." }</p>
                        { text_row("broadcast-text", "Message", &text, on_text) }
            <button type="submit" data-testid="broadcast-button">{ "Broadcast" }</button>
            { feedback(&store, "broadcast") }
        </form>
    }
}

#[function_component(ShutdownForm)]
fn shutdown_form() -> Html {
    let store = use_context::<Store>().expect("the store");
    let (deadline, on_deadline) = use_field("2000");
    let on_shutdown = {
        let store = store.clone();
        let deadline = deadline.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Some(yard) = store.yard.clone() else {
                return;
            };
            let ms = match deadline.trim().parse::<f64>() {
                Ok(ms) if (0.0..=600_000.0).contains(&ms) => ms,
                _ => {
                    let msg = format!("{:?} is not a deadline from 0 to 600000 ms", *deadline);
                    return store.dispatch(Action::Error("shutdown".into(), msg));
                }
            };
            store.dispatch(Action::Note("shutdown".into(), "shutting down…".into()));
            let store = store.clone();
            spawn_local(async move {
                match JsFuture::from(yard.0.shutdown(ms))
                    .await
                    .map_err(|e| threads::message(&e))
                    .and_then(read::<Report>)
                {
                    Ok(report) => {
                        store.dispatch(Action::Clear("shutdown".into()));
                        store.dispatch(Action::Report(report));
                    }
                    Err(msg) => store.dispatch(Action::Error("shutdown".into(), msg)),
                }
            });
        })
    };
    let on_new = {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| match new_manager(store.speed) {
            Ok(yard) => store.dispatch(Action::NewManager(yard)),
            Err(msg) => store.dispatch(Action::Error("shutdown".into(), msg)),
        })
    };
    let on_remove_finished = {
        let store = store.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(yard) = store.yard.clone() else {
                return;
            };
            for w in store.snapshot.workers.iter().filter(|w| w.finished()) {
                if let Err(e) = yard.0.remove(&w.id) {
                    store.dispatch(Action::Error("shutdown".into(), threads::message(&e)));
                }
            }
        })
    };
    html! {
        <form class="panel" novalidate=true onsubmit={on_shutdown} aria-labelledby="shutdown-title">
            <h2 id="shutdown-title">{ "Shut down" }</h2>
            <p class="hint">{ "Stops every worker at once and waits for all of them within one deadline; paused and waiting workers wake immediately." }</p>
            <div class="row">
                <label for="shutdown-deadline">{ "Deadline (ms)" }</label>
                <input id="shutdown-deadline" data-testid="shutdown-deadline" type="number" min="0" max="600000" value={(*deadline).clone()} oninput={on_deadline} />
            </div>
            <div class="buttons">
                <button type="submit" data-testid="shutdown-button">{ "Shut down" }</button>
                <button type="button" data-testid="remove-finished" onclick={on_remove_finished}>{ "Remove finished" }</button>
                { if store.snapshot.shut_down { html! { <button type="button" data-testid="new-manager" onclick={on_new}>{ "New manager" }</button> } } else { Html::default() } }
            </div>
            { feedback(&store, "shutdown") }
            { store.report.as_ref().map(report_view).unwrap_or_default() }
        </form>
    }
}

fn report_view(report: &Report) -> Html {
    let list = |ids: &[String]| {
        if ids.is_empty() {
            "none".to_owned()
        } else {
            ids.join(", ")
        }
    };
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
