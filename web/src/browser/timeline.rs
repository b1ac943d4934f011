//! One swimlane per worker, coloured by state, scrolling as time goes by.

use yew::prelude::*;

use crate::app::Store;
use crate::history::{window_ms, Mark, MarkKind};

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
    let now = store.history.end_ms(&store.snapshot);
    let window = window_ms(store.speed);
    let start = now - window;
    let frozen = now < store.snapshot.at_ms;
    let x = move |t: f64| LABEL + ((t - start) / window).clamp(0.0, 1.0) * (WIDTH - LABEL);
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
            <svg viewBox={format!("0 0 {WIDTH} {height}")} role="img" aria-label="Timeline of worker states">
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
                { store.marker.filter(|at| (start..=now).contains(at)).map(|at| html! {
                    <line data-testid="timeline-marker" class="marker" x1={x(at).to_string()} x2={x(at).to_string()}
                          y1="0" y2={(height - 16.0).to_string()} stroke="#000" stroke-width="2" stroke-dasharray="4 3">
                        <title>{ format!("{:.2} s", at / 1e3) }</title>
                    </line>
                }).unwrap_or_default() }
                <text x={LABEL.to_string()} y={(height - 2.0).to_string()} class="axis">{ format!("−{:.0} s", window / 1e3) }</text>
                <text x={(WIDTH - 110.0).to_string()} y={(height - 2.0).to_string()} class="axis">
                    { if frozen { format!("end ({:.1} s)", now / 1e3) } else { "now".to_owned() } }
                </text>
            </svg>
            { store.marker.filter(|at| !(start..=now).contains(at)).map(|at| html! {
                <p class="hint">{ format!("The marked moment ({:.2} s) has scrolled out of the timeline's window.", at / 1e3) }</p>
            }).unwrap_or_default() }
            <ul class="legend">
                { for ["running", "pause-requested", "paused", "stopping", "stopped", "failed"].iter().map(|s| html! {
                    <li><span class="swatch" style={format!("background:{}", colour(s))}></span>{ *s }</li>
                }) }
            </ul>
        </div>
    }
}
