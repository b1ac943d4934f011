//! Total throughput (tasks per second, all workers) over the last 20 seconds.

use yew::prelude::*;

use super::shared::Shared;
use crate::browser::renders;
use crate::history::{History, WINDOW_MS};

const WIDTH: f64 = 1000.0;
const HEIGHT: f64 = 140.0;

#[derive(Properties, PartialEq)]
pub struct ChartProps {
    pub history: Shared<History>,
    pub now_ms: f64,
    pub speed: f64,
}

#[function_component(Chart)]
pub fn chart(props: &ChartProps) -> Html {
    renders::count("Chart");
    let points = props.history.throughput(props.speed);
    let now = props.now_ms;
    let peak = points.iter().map(|p| p.1).fold(1.0_f64, f64::max);
    let path: Vec<String> = points
        .iter()
        .map(|(t, rate)| {
            let x = ((t - (now - WINDOW_MS)) / WINDOW_MS).clamp(0.0, 1.0) * WIDTH;
            let y = HEIGHT - rate / peak * (HEIGHT - 10.0);
            format!("{x:.1},{y:.1}")
        })
        .collect();
    // A rate needs a span of samples behind it: before that there is no
    // figure, and "0 tasks per second" would say the workers are idle.
    let reading = match points.last() {
        Some(&(_, latest)) => {
            format!("{latest:.0} tasks per second of script time now; peak {peak:.0} in view")
        }
        None => "Tasks per second of script time: measuring (the first figure comes after one second of samples).".to_owned(),
    };
    html! {
        <div class="chart" data-testid="throughput">
            <p>{ reading }</p>
            <svg viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img" aria-label="Total tasks per second over the last 20 seconds">
                <polyline points={path.join(" ")} fill="none" stroke="#0072B2" stroke-width="2" />
            </svg>
        </div>
    }
}
