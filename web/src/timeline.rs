//! One swimlane per worker, coloured by state, scrolling as time goes by.

use yew::prelude::*;

use crate::app::Store;
use crate::history::{Mark, MarkKind, WINDOW_MS};

const WIDTH: f64 = 1000.0;
const LANE: f64 = 22.0;
const LABEL: f64 = 90.0;

fn colour(state: &str) -> &'static str {
    match state {
        "running" => "#2f9e44",
        "pause-requested" => "#f08c00",
        "paused" => "#1971c2",
        "stopping" => "#9c36b5",
        "stopped" => "#868e96",
        "failed" => "#e03131",
        _ => "#ced4da",
    }
}

fn mark_colour(kind: MarkKind) -> &'static str {
    match kind {
        MarkKind::Message => "#495057",
        MarkKind::Broadcast => "#e8590c",
        MarkKind::Pause => "#1864ab",
        MarkKind::Failure => "#c92a2a",
    }
}

#[function_component(Timeline)]
pub fn timeline() -> Html {
    let store = use_context::<Store>().expect("the store");
    let now = store.snapshot.at_ms;
    let start = now - WINDOW_MS;
    let x = move |t: f64| LABEL + ((t - start) / WINDOW_MS).clamp(0.0, 1.0) * (WIDTH - LABEL);
    let lanes = &store.history.lanes;
    let height = (lanes.len().max(1) as f64) * LANE + 16.0;
    let tick = |m: &Mark, top: f64, bottom: f64| {
        html! {
            <line x1={x(m.at_ms).to_string()} x2={x(m.at_ms).to_string()} y1={top.to_string()} y2={bottom.to_string()}
                  stroke={mark_colour(m.kind)} stroke-width="2"><title>{ m.label.clone() }</title></line>
        }
    };
    html! {
        <div data-testid="timeline" class="timeline">
            <svg viewBox={format!("0 0 {WIDTH} {height}")} role="img" aria-label="Timeline of worker states over the last 20 seconds">
                { for lanes.iter().enumerate().map(|(i, lane)| {
                    let y = i as f64 * LANE;
                    html! {
                        <g key={lane.id.clone()} class="lane" data-worker-id={lane.id.clone()}>
                            <text x="0" y={(y + 15.0).to_string()} class="lane-label">{ lane.id.clone() }</text>
                            { for lane.segments.iter().filter(|s| s.to_ms.is_none_or(|to| to >= start)).map(|s| {
                                let (a, b) = (x(s.from_ms), x(s.to_ms.unwrap_or(now)));
                                html! {
                                    <rect x={a.to_string()} y={(y + 3.0).to_string()} width={(b - a).max(0.5).to_string()} height="16"
                                          fill={colour(s.state)} data-state={s.state}><title>{ s.state }</title></rect>
                                }
                            }) }
                            { for lane.marks.iter().map(|m| tick(m, y + 1.0, y + LANE - 1.0)) }
                        </g>
                    }
                }) }
                { for store.history.broadcasts.iter().map(|m| tick(m, 0.0, height - 16.0)) }
                <text x={LABEL.to_string()} y={(height - 2.0).to_string()} class="axis">{ "−20 s" }</text>
                <text x={(WIDTH - 30.0).to_string()} y={(height - 2.0).to_string()} class="axis">{ "now" }</text>
            </svg>
            <ul class="legend">
                { for ["running", "pause-requested", "paused", "stopping", "stopped", "failed"].iter().map(|s| html! {
                    <li><span class="swatch" style={format!("background:{}", colour(s))}></span>{ *s }</li>
                }) }
            </ul>
        </div>
    }
}
