//! The workers, one row each, with their controls. A row is its own
//! component: one whose worker did not change is not rendered again.

use std::collections::BTreeMap;

use yew::prelude::*;

use super::feedback;
use super::shared::Shared;
use crate::browser::renders;
use crate::history::History;
use crate::input::RowAction;
use crate::model::{Activity, Snapshot, WorkerState, WorkerView};
use crate::state::{Feedback, Place};

#[derive(Properties, PartialEq)]
pub struct TableProps {
    pub snapshot: Shared<Snapshot>,
    pub history: Shared<History>,
    pub pool: usize,
    /// The speed dial: Tasks/s is per second of script time, as the chart
    /// and the narration count (a 10-a-second worker reads 10 at 10x too).
    pub speed: f64,
    /// Every inline error or note; rows show their own.
    pub feedback: Shared<BTreeMap<Place, Feedback>>,
    /// (what, worker)
    pub on_row: Callback<(RowAction, String)>,
    /// Why the rows' controls cannot act on this source, if they cannot:
    /// they are then shown unavailable, with this reason, before any click.
    #[prop_or_default]
    pub unavailable: Option<AttrValue>,
}

/// The element that says why the rows' controls are unavailable; each
/// such button names it as its description, so a screen reader reads the
/// reason with the button.
const ROW_CONTROLS_WHY: &str = "row-controls-why";

#[function_component(WorkersTable)]
pub fn workers_table(props: &TableProps) -> Html {
    renders::count("WorkersTable");
    let snapshot = &props.snapshot;
    let workers = &snapshot.workers;
    html! {
        <section class="panel wide" aria-labelledby="workers-title">
            <h2 id="workers-title">{ format!("Workers ({} running on {} threads)", snapshot.live_threads, props.pool) }</h2>
            <p class="hint">{ "Pause only asks: a worker pauses at its next pause point (\"pause requested\" shows how long it has kept going). \"Doing\" says what a running worker does: computing, or waiting (for a message, for room in a full mailbox, in a blocking call). Busy time is time computing; a thread ready to compute but waiting for a free core counts too, since the program cannot see that." }</p>
            if let Some(why) = props.unavailable.clone() {
                <p class="unavailable-note" id={ROW_CONTROLS_WHY} data-testid="row-controls-unavailable" role="status">
                    { "Pause, resume, stop and remove are unavailable here. " }{ why }
                </p>
            }
            if workers.is_empty() {
                <p class="empty">{ "No workers yet: spawn some above." }</p>
            } else {
                <div class="scroll" tabindex="0" role="region" aria-labelledby="workers-title">
                <table>
                    <thead><tr>
                        <th scope="col">{ "Worker" }</th>
                        <th scope="col">{ "State" }</th>
                        <th scope="col">{ "Actions" }</th>
                        <th scope="col">{ "Doing" }</th>
                        <th scope="col" class="num">{ "Tasks" }</th>
                        <th scope="col" class="num" title="tasks per second of script time">{ "Tasks/s" }</th>
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
                    { for workers.iter().map(|w| {
                        let rate = props
                            .history
                            .rate(&w.id, snapshot.at_ms, w.tasks_completed)
                            .map_or_else(|| "–".to_owned(), |r| format!("{:.1}", r / props.speed));
                        let error = props.feedback.get(&Place::Row(w.id.clone())).cloned();
                        html! { <WorkerRow key={w.id.clone()} row={RowView::of(w, rate)} {error} on_row={props.on_row.clone()}
                                    unavailable={props.unavailable.clone()} /> }
                    }) }
                </table>
                </div>
            }
        </section>
    }
}

/// What a row shows, as shown: figures that move without showing it (the
/// time paused, a busy time's fraction of a millisecond) do not render the
/// row again.
#[derive(Debug, Clone, PartialEq)]
pub struct RowView {
    id: String,
    state: WorkerState,
    /// Only while its task runs (Running, or asked to pause and not there
    /// yet): a paused or finished worker does nothing.
    activity: Option<Activity>,
    tasks: u64,
    rate: String,
    busy: String,
    mailbox: String,
    received: u64,
    errors: u64,
    last_error: Option<String>,
    restarts: u64,
    pending: String,
}

impl RowView {
    fn of(w: &WorkerView, rate: String) -> Self {
        Self {
            id: w.id.clone(),
            state: w.state,
            activity: matches!(w.state, WorkerState::Running | WorkerState::PauseRequested)
                .then_some(w.activity),
            tasks: w.tasks_completed,
            rate,
            busy: format!("{:.0}", w.busy_ms),
            mailbox: format!(
                "{} / {} / {}",
                w.mailbox.depth, w.mailbox.high_water, w.mailbox.capacity
            ),
            received: w.mailbox.received,
            errors: w.errors,
            last_error: w.last_error.clone(),
            restarts: w.restarts,
            pending: w
                .pause_pending_ms
                .map_or_else(|| "–".to_owned(), |ms| format!("{ms:.0} ms ago")),
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct RowProps {
    pub row: RowView,
    pub error: Option<Feedback>,
    pub on_row: Callback<(RowAction, String)>,
    pub unavailable: Option<AttrValue>,
}

#[function_component(WorkerRow)]
pub fn worker_row(props: &RowProps) -> Html {
    let w = &props.row;
    renders::count(&format!("WorkerRow {}", w.id));
    // Unavailable buttons stay in the tab order (aria-disabled, not
    // disabled) so a keyboard user reaches them and hears why; a click
    // still puts the reason in the row.
    let unavailable = props.unavailable.as_ref();
    let button = |action: RowAction, testid: &'static str, label: &'static str| {
        let on_row = props.on_row.clone();
        let id = w.id.clone();
        html! {
            <button type="button" data-testid={testid} aria-label={format!("{} {}", label.to_lowercase(), w.id)}
                    aria-disabled={unavailable.map(|_| "true")}
                    aria-describedby={unavailable.map(|_| ROW_CONTROLS_WHY)}
                    title={unavailable.cloned()}
                    onclick={Callback::from(move |_: MouseEvent| on_row.emit((action, id.clone())))}>{ label }</button>
        }
    };
    let title = w.last_error.clone().unwrap_or_default();
    html! {
        <tbody>
        <tr data-testid="worker-row" data-worker-id={w.id.clone()}>
            <th scope="row">{ w.id.clone() }</th>
            <td><span class={classes!("state", w.state.name())} data-testid="worker-state">{ w.state.name() }</span></td>
            // Beside the name, not after the counters: numbers gaining a digit
            // must not move the buttons under the pointer.
            <td class="actions">
                if w.state.finished() {
                    { button(RowAction::Remove, "remove-button", "Remove") }
                } else {
                    { button(RowAction::Pause, "pause-button", "Pause") }
                    { button(RowAction::Resume, "resume-button", "Resume") }
                    { button(RowAction::Stop, "stop-button", "Stop") }
                }
            </td>
            <td data-testid="worker-activity">
                if let Some(activity) = w.activity {
                    <span class={classes!("activity", activity.name())}>{ activity.words() }</span>
                } else {
                    { "–" }
                }
            </td>
            <td class="num" data-testid="worker-tasks">{ w.tasks }</td>
            <td class="num">{ w.rate.clone() }</td>
            <td class="num">{ w.busy.clone() }</td>
            <td class="num" data-testid="worker-mailbox">{ w.mailbox.clone() }</td>
            <td class="num">{ w.received }</td>
            <td class="num" title={title}>{ w.errors }</td>
            <td class="num">{ w.restarts }</td>
            <td class="num">{ w.pending.clone() }</td>
        </tr>
        if props.error.is_some() {
            <tr class="row-error"><td colspan="12">{ feedback::view(props.error.as_ref()) }</td></tr>
        }
        </tbody>
    }
}
