//! The speedup lesson's plot: total throughput against the number of
//! CPU-bound workers computing at once, beside the machine's cores.

use yew::prelude::*;

use super::shared::Shared;
use crate::browser::renders;
use crate::history::History;

const WIDTH: f64 = 480.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 56.0;
const BOTTOM: f64 = 30.0;
/// The x axis: 1 to 8 workers, doubling at each step.
const MAX_WORKERS: f64 = 8.0;

fn x(workers: f64) -> f64 {
    LEFT + workers.log2() / MAX_WORKERS.log2() * (WIDTH - LEFT - 20.0)
}

#[derive(Properties, PartialEq)]
pub struct SpeedupProps {
    pub history: Shared<History>,
}

#[function_component(Speedup)]
pub fn speedup(props: &SpeedupProps) -> Html {
    renders::count("Speedup");
    let cores = web_sys::window().map_or(0, |w| w.navigator().hardware_concurrency() as usize);
    let points = props.history.speedup();
    let peak = points.iter().map(|p| p.1).fold(1.0_f64, f64::max);
    let y = |rate: f64| HEIGHT - BOTTOM - rate / peak * (HEIGHT - BOTTOM - 16.0);
    let one = points.iter().find(|p| p.0 == 1).map(|p| p.1);
    let path: Vec<String> = points
        .iter()
        .map(|&(n, rate)| format!("{:.1},{:.1}", x(n as f64), y(rate)))
        .collect();
    html! {
        <section class="panel wide" aria-labelledby="speedup-title">
            <h2 id="speedup-title">{ "Speedup: throughput against workers" }</h2>
            <p class="hint">{ format!(
                "This machine offers {cores} cores (navigator.hardwareConcurrency). Each point is the total tasks per second while that many CPU-bound workers computed at once."
            ) }</p>
            <svg class="speedup" data-testid="speedup-plot" viewBox={format!("0 0 {WIDTH} {HEIGHT}")} role="img"
                 aria-label="Tasks per second against the number of workers computing at once">
                <line x1={LEFT.to_string()} x2={(WIDTH - 10.0).to_string()} y1={(HEIGHT - BOTTOM).to_string()} y2={(HEIGHT - BOTTOM).to_string()} stroke="#495057" />
                <line x1={LEFT.to_string()} x2={LEFT.to_string()} y1="8" y2={(HEIGHT - BOTTOM).to_string()} stroke="#495057" />
                { for [1.0, 2.0, 4.0, 8.0].iter().map(|&n| html! {
                    <text class="axis" x={(x(n) - 3.0).to_string()} y={(HEIGHT - BOTTOM + 16.0).to_string()}>{ n.to_string() }</text>
                }) }
                <text class="axis" x={LEFT.to_string()} y={(HEIGHT - 2.0).to_string()}>{ "workers computing at once" }</text>
                <text class="axis" x="2" y="14">{ format!("{peak:.0}/s") }</text>
                if (1..=8).contains(&cores) {
                    <line data-testid="speedup-cores" x1={x(cores as f64).to_string()} x2={x(cores as f64).to_string()} y1="8" y2={(HEIGHT - BOTTOM).to_string()}
                          stroke="#D55E00" stroke-dasharray="4 3"><title>{ format!("{cores} cores") }</title></line>
                    <text class="axis" x={(x(cores as f64) + 4.0).to_string()} y="20">{ format!("{cores} cores") }</text>
                }
                <polyline points={path.join(" ")} fill="none" stroke="#0072B2" stroke-width="2" />
                { for points.iter().map(|&(n, rate)| html! {
                    <circle data-testid="speedup-point" data-workers={n.to_string()} cx={x(n as f64).to_string()} cy={y(rate).to_string()} r="4" fill="#0072B2">
                        <title>{ format!("{n} worker(s): {rate:.0} tasks/s{}", one.map_or_else(String::new, |one| format!(", {:.2}x of one", rate / one))) }</title>
                    </circle>
                }) }
            </svg>
            <ul class="speedup-figures" data-testid="speedup-figures">
                { for points.iter().map(|&(n, rate)| html! {
                    <li>{ format!("{n} worker(s): {rate:.0} tasks/s{}", one.map_or_else(String::new, |one| format!(" ({:.2}x of one)", rate / one))) }</li>
                }) }
            </ul>
            <p>{ "Amdahl's law, in plain words: when part of a job must run alone, more cores only speed up the rest. If a fraction p of the work can run in parallel, n cores make it at most 1 / ((1 − p) + p / n) times faster: with p = 0.9, even endless cores give at most 10x. These workers share nothing, so p is close to 1 and the limit you see is the cores: past their number, threads take turns." }</p>
        </section>
    }
}
