//! One swimlane per worker, coloured by state and labelled with its state
//! in words, scrolling as time goes by.
//!
//! Lanes are drawn in the manager's time (x in milliseconds) inside a group
//! whose transform maps the window onto the view, and an open segment
//! reaches past the right edge (clipped there). So scrolling changes one
//! transform, and a lane is rendered again only when its own segments or
//! marks change: with 64 workers, a refresh does not rebuild 64 lanes.

use wasm_bindgen::prelude::*;
use web_sys::HtmlElement;
use yew::prelude::*;

use super::shared::Shared;
use crate::browser::renders;
use crate::history::{window_ms, History, Lane, Mark, MarkKind, RETAIN_MS};
use crate::model::{Activity, WorkerState};

/// The drawing's width until the page is measured (then one unit is one
/// CSS pixel, so labels stay readable from a phone's width up).
const WIDTH: f64 = 1000.0;
/// The narrowest drawing: below it, the timeline scrolls sideways.
const MIN_WIDTH: f64 = 340.0;
const LANE: f64 = 22.0;
/// The labels' column: a worker's name and its state in words.
const LABEL: f64 = 160.0;
/// How far an open segment reaches (ms): past any window, clipped at "now".
const OPEN_MS: f64 = RETAIN_MS * 10.0;

fn colour(state: WorkerState) -> &'static str {
    crate::palette::state(state)
}

/// The texture drawn over a running lane for what the worker does; none
/// while it computes, so solid colour means on (or ready for) a CPU.
/// `set` names the pattern set: the lanes' (scaled) or the legend's.
fn texture(activity: Activity, set: &str) -> Option<String> {
    (activity != Activity::Computing).then(|| format!("url(#tex-{}{set})", activity.name()))
}

/// The patterns behind [`texture`]: white strokes over the lane's colour.
/// The lanes are drawn in milliseconds and scaled by `k` pixels per
/// millisecond, so the patterns are scaled back to stay a few pixels wide.
fn patterns(k: f64, set: &str) -> Html {
    let unscale = format!("scale({:.6} 1)", 1.0 / k);
    let rotated = format!("{unscale} rotate(45)");
    html! {
        <>
            <pattern id={format!("tex-waiting-for-message{set}")} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform={rotated}>
                <rect width="3" height="6" fill="#fff" fill-opacity="0.55" />
            </pattern>
            <pattern id={format!("tex-waiting-for-room{set}")} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform={unscale.clone()}>
                <path d="M0 0L6 6M6 0L0 6" stroke="#fff" stroke-opacity="0.8" stroke-width="1.5" />
            </pattern>
            <pattern id={format!("tex-sleeping{set}")} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform={unscale.clone()}>
                <circle cx="3" cy="3" r="1.6" fill="#fff" fill-opacity="0.8" />
            </pattern>
            <pattern id={format!("tex-waiting-for-lock{set}")} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform={unscale.clone()}>
                <rect y="2" width="6" height="2" fill="#fff" fill-opacity="0.7" />
            </pattern>
            <pattern id={format!("tex-held{set}")} width="6" height="6" patternUnits="userSpaceOnUse" patternTransform={unscale}>
                <rect x="1" y="1" width="4" height="4" fill="none" stroke="#fff" stroke-opacity="0.85" stroke-width="1.2" />
            </pattern>
        </>
    }
}

/// A tick's colour and dash: told apart by both, not by hue alone.
fn mark_style(kind: MarkKind) -> (&'static str, &'static str) {
    match kind {
        MarkKind::Message => ("#222222", "none"),
        MarkKind::Broadcast => ("#CC79A7", "4 2"),
        MarkKind::Pause => ("#56B4E9", "none"),
        MarkKind::Failure => ("#A33A00", "2 2"),
        MarkKind::Deadlock => ("#000000", "6 2 1 2"),
    }
}

const MARKS: [(MarkKind, &str); 5] = [
    (MarkKind::Message, "messages read"),
    (MarkKind::Broadcast, "broadcast"),
    (MarkKind::Pause, "pause requested or taken"),
    (MarkKind::Failure, "failure or error"),
    (MarkKind::Deadlock, "deadlock: a cycle of waits"),
];

/// A vertical tick at `m`, in the lanes' time coordinates.
fn tick(m: &Mark, top: f64, bottom: f64) -> Html {
    let x = m.at_ms.to_string();
    let (colour, dash) = mark_style(m.kind);
    html! {
        <line x1={x.clone()} x2={x} y1={top.to_string()} y2={bottom.to_string()} vector-effect="non-scaling-stroke"
              stroke={colour} stroke-dasharray={dash} stroke-width="2"><title>{ m.label.clone() }</title></line>
    }
}

/// The window's left edge, in script seconds (real beside, where they differ).
fn axis(window_ms: f64, speed: f64) -> String {
    let script = window_ms * speed / 1e3;
    if (speed - 1.0).abs() < 1e-9 {
        format!("−{script:.0} s")
    } else {
        format!("−{script:.1} s ({:.0} s real)", window_ms / 1e3)
    }
}

#[derive(Properties, PartialEq)]
pub struct TimelineProps {
    pub history: Shared<History>,
    /// The right edge: now, or the end of a finished run.
    pub end_ms: f64,
    /// The manager's clock now.
    pub now_ms: f64,
    pub speed: f64,
    pub marker: Option<f64>,
    /// Scroll in whole seconds instead of every refresh.
    pub reduced_motion: bool,
}

/// The width of `container` in CSS pixels, now and whenever the window is
/// resized.
#[hook]
fn use_width(container: NodeRef) -> f64 {
    let width = use_state_eq(|| WIDTH);
    {
        let width = width.clone();
        use_effect_with((), move |()| {
            let measure = move || {
                if let Some(el) = container.cast::<HtmlElement>() {
                    let w = f64::from(el.client_width());
                    if w > 0.0 {
                        width.set(w.max(MIN_WIDTH).round());
                    }
                }
            };
            measure();
            let listener = Closure::<dyn Fn()>::new(measure);
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ =
                    w.add_event_listener_with_callback("resize", listener.as_ref().unchecked_ref());
            }
            move || {
                if let Some(w) = window {
                    let _ = w.remove_event_listener_with_callback(
                        "resize",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    *width
}

#[function_component(Timeline)]
pub fn timeline(props: &TimelineProps) -> Html {
    renders::count("Timeline");
    let container = use_node_ref();
    let width = use_width(container.clone());
    let now = if props.reduced_motion {
        (props.end_ms / 1e3).floor() * 1e3
    } else {
        props.end_ms
    };
    let window = window_ms(props.speed);
    let start = now - window;
    let frozen = props.end_ms < props.now_ms;
    let lanes = &props.history.lanes;
    let height = (lanes.len().max(1) as f64) * LANE + 16.0;
    let k = (width - LABEL) / window;
    let transform = format!("translate({:.3} 0) scale({k:.6} 1)", LABEL - start * k);
    let plot = height - 16.0;
    html! {
        <div data-testid="timeline" class="timeline" ref={container}>
            <div class="scroll" tabindex="0" role="region" aria-label="Timeline lanes (scrolls sideways on a narrow screen)">
            <svg viewBox={format!("0 0 {width} {height}")} width={width.to_string()} role="img" aria-labelledby="timeline-title" aria-describedby="timeline-hint">
                <defs>
                    { patterns(k, "") }
                    <clipPath id="timeline-plot"><rect x={LABEL.to_string()} y="0" width={(width - LABEL).to_string()} height={plot.to_string()} /></clipPath>
                </defs>
                { for lanes.iter().enumerate().map(|(i, lane)| html! {
                    <LaneLabel key={lane.id.clone()} id={lane.id.clone()} state={lane.segments.last().map(|s| s.state)} y={i as f64 * LANE} />
                }) }
                <g clip-path="url(#timeline-plot)">
                    <g transform={transform}>
                        { for lanes.iter().enumerate().map(|(i, lane)| html! {
                            <LaneView key={lane.id.clone()} lane={lane.clone()} y={i as f64 * LANE} />
                        }) }
                        { for props.history.broadcasts.iter().map(|m| tick(m, 0.0, plot)) }
                        { props.marker.map(|at| html! {
                            <line data-testid="timeline-marker" class="marker" x1={at.to_string()} x2={at.to_string()} vector-effect="non-scaling-stroke"
                                  y1="0" y2={plot.to_string()} stroke="#000" stroke-width="2" stroke-dasharray="4 3">
                                <title>{ format!("{:.2} s", at / 1e3) }</title>
                            </line>
                        }).unwrap_or_default() }
                    </g>
                </g>
                <text x={LABEL.to_string()} y={(height - 2.0).to_string()} class="axis">{ axis(window, props.speed) }</text>
                <text x={(width - 90.0).to_string()} y={(height - 2.0).to_string()} class="axis">
                    { if frozen { format!("end ({:.1} s)", now / 1e3) } else { "now".to_owned() } }
                </text>
            </svg>
            </div>
            { props.marker.filter(|at| !(start..=now).contains(at)).map(|at| html! {
                <p class="hint">{ format!("The marked moment ({:.2} s) is outside the timeline's window.", at / 1e3) }</p>
            }).unwrap_or_default() }
            <ul class="legend" aria-label="Colours of the states">
                { for WorkerState::ALL.iter().skip(1).map(|s| html! {
                    <li><span class="swatch" style={format!("background:{}", colour(*s))}></span>{ s.name() }</li>
                }) }
            </ul>
            <ul class="legend" data-testid="tick-legend" aria-label="Ticks on the lanes">
                { for MARKS.iter().map(|(kind, words)| {
                    let (colour, dash) = mark_style(*kind);
                    html! {
                        <li>
                            <svg class="swatch" width="14" height="14" aria-hidden="true">
                                <line x1="7" x2="7" y1="0" y2="14" stroke={colour} stroke-dasharray={dash} stroke-width="3" />
                            </svg>
                            { *words }
                        </li>
                    }
                }) }
            </ul>
            <ul class="legend" data-testid="activity-legend" aria-label="Textures of a running lane: what the worker does">
                { for Activity::ALL.iter().map(|a| html! {
                    <li>
                        <svg class="swatch" width="14" height="14" aria-hidden="true">
                            <defs>{ patterns(1.0, &format!("-key-{}", a.name())) }</defs>
                            <rect width="14" height="14" fill={colour(WorkerState::Running)} />
                            { texture(*a, &format!("-key-{}", a.name())).map(|t| html! { <rect width="14" height="14" fill={t} /> }).unwrap_or_default() }
                        </svg>
                        { a.words() }
                    </li>
                }) }
            </ul>
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct LabelProps {
    id: String,
    state: Option<WorkerState>,
    y: f64,
}

/// A lane's name and its state now, in words.
#[function_component(LaneLabel)]
fn lane_label(props: &LabelProps) -> Html {
    html! {
        <text x="0" y={(props.y + 15.0).to_string()} class="lane-label">
            { props.id.clone() }
            { props.state.map(|s| html! { <tspan class="lane-state" dx="6">{ s.name() }</tspan> }).unwrap_or_default() }
        </text>
    }
}

#[derive(Properties, PartialEq)]
struct LaneProps {
    lane: Lane,
    y: f64,
}

#[function_component(LaneView)]
fn lane_view(props: &LaneProps) -> Html {
    let y = props.y;
    let lane = &props.lane;
    renders::count(&format!("Lane {}", lane.id));
    html! {
        <g class="lane" data-worker-id={lane.id.clone()}>
            { for lane.segments.iter().map(|s| {
                let to = s.to_ms.unwrap_or(s.from_ms + OPEN_MS);
                html! {
                    <rect x={s.from_ms.to_string()} y={(y + 3.0).to_string()} width={(to - s.from_ms).max(0.0).to_string()} height="16"
                          fill={colour(s.state)} data-state={s.state.name()}><title>{ s.state.name() }</title></rect>
                }
            }) }
            { for lane.spans.iter().filter_map(|s| {
                let fill = texture(s.activity, "")?;
                let to = s.to_ms.unwrap_or(s.from_ms + OPEN_MS);
                Some(html! {
                    <rect x={s.from_ms.to_string()} y={(y + 3.0).to_string()} width={(to - s.from_ms).max(0.0).to_string()} height="16"
                          fill={fill} data-activity={s.activity.name()}><title>{ s.activity.words() }</title></rect>
                })
            }) }
            { for lane.marks.iter().map(|m| tick(m, y + 1.0, y + LANE - 1.0)) }
        </g>
    }
}
