//! The code on screen: the loops the scenario's workers run, cut from the
//! core's source, with the pause points marked and each worker's name
//! beside the line it waits at now.

use std::rc::Rc;

use yew::prelude::*;

use super::shared::Shared;
use crate::browser::renders;
use crate::code::{line_of, listing, Listing};
use crate::model::{ScenarioView, Snapshot};

#[derive(Properties, PartialEq)]
pub struct CodeProps {
    pub scenario: Rc<ScenarioView>,
    pub snapshot: Shared<Snapshot>,
}

/// The scenario's workloads, each once, with the workers that run it.
fn listings(scenario: &ScenarioView) -> Vec<(Listing, Vec<String>)> {
    let mut out: Vec<(Listing, Vec<String>)> = Vec::new();
    for cast in &scenario.cast {
        let Some(kind) = cast.workload.get("kind").and_then(|k| k.as_str()) else {
            continue;
        };
        match out.iter_mut().find(|(l, _)| l.kind == kind) {
            Some((_, ids)) => ids.push(cast.id.clone()),
            None => {
                if let Some(l) = listing(kind) {
                    out.push((l, vec![cast.id.clone()]));
                }
            }
        }
    }
    out
}

#[function_component(CodePanel)]
pub fn code_panel(props: &CodeProps) -> Html {
    renders::count("CodePanel");
    let listings = use_memo(Rc::clone(&props.scenario), |s| listings(s));
    html! {
        <section class="panel wide" aria-labelledby="code-title">
            <h2 id="code-title">{ "The code the workers run" }</h2>
            <p class="hint">{ "Cut from threadyard's own source (crates/threadyard/src/workloads/tasks.rs) when this page was built. Lines marked ‖ are pause points: a pause asked for takes effect there. A worker's name shows beside the line it waits at now (a computing worker is between these lines)." }</p>
            { for listings.iter().map(|(l, ids)| {
                let here: Vec<(usize, String)> = props
                    .snapshot
                    .workers
                    .iter()
                    .filter(|w| ids.contains(&w.id))
                    .filter_map(|w| line_of(l, w).map(|n| (n, w.id.clone())))
                    .collect();
                html! {
                    <figure class="code" data-testid="code-listing" data-kind={l.kind.clone()}>
                        <figcaption>{ format!("{}: {}", l.kind, ids.join(", ")) }</figcaption>
                        // Scrolls sideways on a narrow screen: reachable from the keyboard.
                        <pre tabindex="0" aria-label={format!("The loop of {}", l.kind)}><code>
                            { for l.lines.iter().map(|line| {
                                let at: Vec<&str> = here.iter().filter(|(n, _)| *n == line.number && n > &0).map(|(_, id)| id.as_str()).collect();
                                html! {
                                    <span class={classes!("code-line", line.pause_point.then_some("pause-point"), (!at.is_empty()).then_some("here"))}
                                          data-line={line.number.to_string()}>
                                        <span class="ln" aria-hidden="true">{ if line.number > 0 { format!("{:>4} ", line.number) } else { "     ".to_owned() } }</span>
                                        <span class="mark">{ if line.pause_point { "‖ " } else { "  " } }</span>
                                        { line.text }
                                        { for at.iter().map(|id| html! { <span class="worker-here" data-testid="worker-here">{ format!("  ◀ {id}") }</span> }) }
                                        { "\n" }
                                    </span>
                                }
                            }) }
                        </code></pre>
                    </figure>
                }
            }) }
        </section>
    }
}
