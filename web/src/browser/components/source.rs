//! The source panel: which threads the page shows (its own, a native
//! program's, a recording's), the connection's state, the replay's
//! controls; and the box that stands where a control the source cannot
//! use would be, saying why.

use web_sys::HtmlInputElement;
use yew::prelude::*;

use super::feedback;
use crate::source::{Source, REPLAY_SPEEDS};
use crate::state::Feedback;

#[derive(Properties, PartialEq)]
pub struct SourceProps {
    pub source: Source,
    pub feedback: Option<Feedback>,
    pub on_page: Callback<()>,
    pub on_attach: Callback<String>,
    pub on_open: Callback<Event>,
    pub on_export: Callback<()>,
    pub on_play: Callback<bool>,
    pub on_seek: Callback<f64>,
    pub on_speed: Callback<f64>,
}

#[function_component(SourcePanel)]
pub fn source_panel(props: &SourceProps) -> Html {
    let link = use_node_ref();
    let on_attach = {
        let (link, cb) = (link.clone(), props.on_attach.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if let Some(input) = link.cast::<HtmlInputElement>() {
                cb.emit(input.value());
            }
        })
    };
    let now = match &props.source {
        Source::Page => "This page's own threads (Web Workers).".to_owned(),
        Source::Attached(a) => format!(
            "A native program at {}.",
            a.link.split('?').next().unwrap_or("")
        ),
        Source::Replay(p) => format!("The recording {}.", p.name),
    };
    let on_page = props.on_page.reform(|_: MouseEvent| ());
    let on_export = props.on_export.reform(|_: MouseEvent| ());
    // Unavailable for a replay: reachable by keyboard, the reason read with
    // it and shown beside it; a click says it again.
    let save_why = props.source.save_refusal();
    html! {
        <section class="panel wide source" aria-labelledby="source-title" data-testid="source">
            <h2 id="source-title">{ "Watching" }</h2>
            <p data-testid="source-now">{ now }</p>
            <div class="source-choices" style="display: flex; flex-wrap: wrap; gap: 0.5rem 1.5rem; align-items: center;">
                <button type="button" data-testid="source-page" onclick={on_page}
                        disabled={props.source.is_page()}>{ "This page's threads" }</button>
                <form class="attach" onsubmit={on_attach} style="display: flex; gap: 0.5rem; align-items: center;">
                    <label for="attach-link">{ "Attach to a program: its link" }</label>
                    <input id="attach-link" data-testid="attach-link" ref={link} type="text"
                           placeholder="ws://127.0.0.1:PORT/?token=..." autocomplete="off" />
                    <button type="submit" data-testid="attach">{ "Attach" }</button>
                </form>
                <div class="open">
                    <label for="open-recording">{ "Open a recording (JSON lines)" }</label>
                    <input id="open-recording" data-testid="open-recording" type="file"
                           accept=".jsonl,.json,.ndjson,application/json" onchange={props.on_open.clone()} />
                </div>
                <button type="button" data-testid="export-recording" onclick={on_export}
                        aria-disabled={save_why.as_ref().map(|_| "true")}
                        aria-describedby={save_why.as_ref().map(|_| "save-why")}>{ "Save as recording" }</button>
            </div>
            if let Some(why) = save_why {
                <p class="unavailable-note" id="save-why" data-testid="save-unavailable">{ why }</p>
            }
            { detail(props) }
            { feedback::view(props.feedback.as_ref()) }
        </section>
    }
}

fn detail(props: &SourceProps) -> Html {
    match &props.source {
        Source::Page => Html::default(),
        Source::Attached(a) => {
            let allows = match &a.settings {
                Some(s) if s.commands => "commands allowed",
                Some(_) => "read-only: the program allows no commands",
                None => "waiting for the program's hello",
            };
            html! {
                <div class="connection">
                    <p data-testid="connection" role="status">{ format!("Connection: {}", a.conn.describe()) }</p>
                    <p data-testid="connection-allows">{ allows }</p>
                    if a.missed > 0.0 || a.skipped > 0 {
                        <p class="note" data-testid="connection-missed">{ format!(
                            "Missed: {} events the program's log no longer held; {} snapshots skipped while this page was slow.",
                            a.missed, a.skipped) }</p>
                    }
                </div>
            }
        }
        Source::Replay(p) => {
            let (first, last) = p.replay.span();
            let playing = p.playing;
            let on_play = props.on_play.reform(move |_: MouseEvent| !playing);
            let on_seek = props.on_seek.reform(|e: InputEvent| {
                e.target_unchecked_into::<HtmlInputElement>()
                    .value()
                    .parse()
                    .unwrap_or(0.0)
            });
            let on_speed = props.on_speed.reform(|e: Event| {
                e.target_unchecked_into::<HtmlInputElement>()
                    .value()
                    .parse()
                    .unwrap_or(1.0)
            });
            html! {
                <div class="replay" data-testid="replay" style="display: flex; flex-wrap: wrap; gap: 0.5rem 1rem; align-items: center;">
                    <button type="button" data-testid="replay-play" onclick={on_play}>
                        { if playing { "Pause" } else { "Play" } }
                    </button>
                    <label for="replay-scrub">{ "Position" }</label>
                    <input id="replay-scrub" data-testid="replay-scrub" type="range"
                           min={first.to_string()} max={last.to_string()} step="10"
                           value={p.clock_ms.to_string()} oninput={on_seek} />
                    <span data-testid="replay-time">{ format!("{:.1} s of {:.1} s", (p.clock_ms - first) / 1e3, (last - first) / 1e3) }</span>
                    <label for="replay-speed">{ "Speed" }</label>
                    <select id="replay-speed" data-testid="replay-speed" onchange={on_speed}>
                        { for REPLAY_SPEEDS.iter().map(|s| html! {
                            <option value={s.to_string()} selected={*s == p.speed}>{ format!("{s}x") }</option>
                        }) }
                    </select>
                    if p.replay.finished() {
                        <span data-testid="replay-ended">{ "the end of the recording" }</span>
                    }
                </div>
            }
        }
    }
}

#[derive(Properties, PartialEq)]
pub struct UnavailableProps {
    pub what: AttrValue,
    pub why: AttrValue,
}

/// Stands where a control would be, saying why it is not there.
#[function_component(Unavailable)]
pub fn unavailable(props: &UnavailableProps) -> Html {
    html! {
        <section class="panel unavailable" data-testid="unavailable">
            <h2>{ props.what.clone() }</h2>
            <p>{ props.why.clone() }</p>
        </section>
    }
}
