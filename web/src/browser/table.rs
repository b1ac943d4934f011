//! The workers, one row each, with their controls.

use yew::prelude::*;

use crate::app::{Action, Store};
use crate::controls::feedback;
use crate::model::WorkerView;
use crate::threads::{self, Threadyard};

#[function_component(Table)]
pub fn table() -> Html {
    let store = use_context::<Store>().expect("the store");
    let workers = &store.snapshot.workers;
    html! {
        <section class="panel wide" aria-labelledby="workers-title">
            <h2 id="workers-title">{ format!("Workers ({} running on {} threads)", store.snapshot.live_threads, store.pool) }</h2>
            <p class="hint">{ "Pause only asks: a worker pauses at its next pause point (\"pause requested\" shows how long it has kept going). Busy time leaves out time paused or waiting for messages." }</p>
            if workers.is_empty() {
                <p class="empty">{ "No workers yet: spawn some above." }</p>
            } else {
                <div class="scroll">
                <table>
                    <thead><tr>
                        <th scope="col">{ "Worker" }</th>
                        <th scope="col">{ "State" }</th>
                        <th scope="col">{ "Actions" }</th>
                        <th scope="col" class="num">{ "Tasks" }</th>
                        <th scope="col" class="num">{ "Tasks/s" }</th>
                        <th scope="col" class="num">{ "Busy ms" }</th>
                        <th scope="col" class="num" title="messages waiting / most ever waiting / capacity">{ "Mailbox" }</th>
                        <th scope="col" class="num">{ "Messages read" }</th>
                        <th scope="col" class="num">{ "Errors" }</th>
                        <th scope="col" class="num">{ "Restarts" }</th>
                        <th scope="col" class="num">{ "Pause requested" }</th>
                    </tr></thead>
                    // One keyed <tbody> per worker: keyed by id, a row is never
                    // patched into another worker's row when the list changes
                    // (unkeyed, a click during such a patch hit the wrong worker).
                    { for workers.iter().map(|w| row(&store, w)) }
                </table>
                </div>
            }
        </section>
    }
}

fn act(
    store: &Store,
    id: &str,
    what: fn(&Threadyard, &str) -> Result<(), wasm_bindgen::JsValue>,
) -> Callback<MouseEvent> {
    let store = store.clone();
    let id = id.to_owned();
    Callback::from(move |_| {
        let Some(yard) = store.yard.clone() else {
            return;
        };
        let place = format!("row:{id}");
        match what(&yard.0, &id) {
            Ok(()) => store.dispatch(Action::Clear(place)),
            Err(e) => store.dispatch(Action::Error(place, threads::message(&e))),
        }
    })
}

fn row(store: &Store, w: &WorkerView) -> Html {
    let rate = store
        .history
        .rate(&w.id, store.snapshot.at_ms, w.tasks_completed)
        .map_or_else(|| "–".to_owned(), |r| format!("{r:.1}"));
    let pending = w
        .pause_pending_ms
        .map_or_else(|| "–".to_owned(), |ms| format!("{:.0} ms ago", ms));
    let remove = {
        let store = store.clone();
        let id = w.id.clone();
        Callback::from(move |_: MouseEvent| {
            let Some(yard) = store.yard.clone() else {
                return;
            };
            if let Err(e) = yard.0.remove(&id) {
                store.dispatch(Action::Error(format!("row:{id}"), threads::message(&e)));
            }
        })
    };
    let title = w.last_error.clone().unwrap_or_default();
    html! {
        <tbody key={w.id.clone()}>
        <tr data-testid="worker-row" data-worker-id={w.id.clone()}>
            <th scope="row">{ w.id.clone() }</th>
            <td><span class={classes!("state", w.state.clone())} data-testid="worker-state">{ w.state.clone() }</span></td>
            // Beside the name, not after the counters: numbers gaining a digit
            // must not move the buttons under the pointer.
            <td class="actions">
                if w.finished() {
                    <button data-testid="remove-button" aria-label={format!("remove {}", w.id)} onclick={remove}>{ "Remove" }</button>
                } else {
                    <button data-testid="pause-button" aria-label={format!("pause {}", w.id)} onclick={act(store, &w.id, Threadyard::pause)}>{ "Pause" }</button>
                    <button data-testid="resume-button" aria-label={format!("resume {}", w.id)} onclick={act(store, &w.id, Threadyard::resume)}>{ "Resume" }</button>
                    <button data-testid="stop-button" aria-label={format!("stop {}", w.id)} onclick={act(store, &w.id, Threadyard::stop)}>{ "Stop" }</button>
                }
            </td>
            <td class="num" data-testid="worker-tasks">{ w.tasks_completed }</td>
            <td class="num">{ rate }</td>
            <td class="num">{ format!("{:.0}", w.busy_ms) }</td>
            <td class="num" data-testid="worker-mailbox">{ format!("{} / {} / {}", w.mailbox.depth, w.mailbox.high_water, w.mailbox.capacity) }</td>
            <td class="num">{ w.mailbox.received }</td>
            <td class="num" title={title}>{ w.errors }</td>
            <td class="num">{ w.restarts }</td>
            <td class="num">{ pending }</td>
        </tr>
        if store.errors.contains_key(&format!("row:{}", w.id)) {
            <tr class="row-error"><td colspan="11">{ feedback(store, &format!("row:{}", w.id)) }</td></tr>
        }
        </tbody>
    }
}
