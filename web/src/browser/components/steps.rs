//! "Races and deadlocks": a stepped lesson on real threads. Each worker's
//! lane says whether it can go and what its next operation is; a click (or
//! its number key) grants it one step. "Run to the end" picks at random;
//! "Find a failing schedule" runs seeded schedules until one breaks the
//! lesson and plays it back. The schedule is kept in the address, so a link
//! reproduces the run; the wait-for graph is drawn, a cycle in red.

use std::cell::RefCell;
use std::rc::Rc;

use wasm_bindgen_futures::spawn_local;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

use crate::browser::lessons::{self, pause_for, replace_hash, Run};
use crate::browser::renders;
use crate::stepping::{tell, Link, Rng, StepView, WaitView};

#[derive(Properties, PartialEq)]
pub struct StepsProps {
    pub hidden: bool,
    /// The pool of Web Workers is up.
    pub ready: bool,
    pub reduced_motion: bool,
}

/// What the page holds between renders.
#[derive(Default)]
struct Session {
    lesson: String,
    run: Option<Run>,
    view: Option<Rc<StepView>>,
    busy: bool,
    note: Option<String>,
    error: Option<String>,
}

type Shared = Rc<RefCell<Session>>;

/// Pauses between played-back steps, so a learner can follow them.
const PLAYBACK_MS: i32 = 250;

#[function_component(StepsPage)]
pub fn steps_page(props: &StepsProps) -> Html {
    renders::count("Steps");
    let session: Shared = use_mut_ref(Session::default);
    let redraw = use_force_update();
    let lessons_list = use_memo(props.ready, |ready| {
        if *ready {
            lessons::lessons()
        } else {
            Err("starting".to_owned())
        }
    });
    let tries = use_state(|| 100_u32);

    // Opened when shown, from the address (a link, unless it is the run
    // already shown) or, the first time, with the first lesson.
    {
        let (session, redraw) = (Rc::clone(&session), redraw.clone());
        let visible = props.ready && !props.hidden;
        use_effect_with(visible, move |visible| {
            if *visible {
                let hash = web_sys::window()
                    .and_then(|w| w.location().hash().ok())
                    .unwrap_or_default();
                let shown = {
                    let s = session.borrow();
                    s.view.as_ref().map(|v| Link {
                        lesson: s.lesson.clone(),
                        schedule: v.steps.schedule.clone(),
                    })
                };
                let link = match Link::parse(&hash) {
                    Some(link) if Some(&link) != shown.as_ref() => Some(link),
                    Some(_) => None,
                    None if shown.is_none() => Some(Link {
                        lesson: "lost-update".to_owned(),
                        schedule: Vec::new(),
                    }),
                    None => None,
                };
                if let Some(link) = link {
                    // A link replays at once: it reproduces a run, not a show.
                    open(session, redraw, link, false);
                }
            }
        });
    }

    let s = session.borrow();
    let Ok(all) = lessons_list.as_ref() else {
        return html! { <main data-testid="steps-page" hidden={props.hidden}><p>{ "Starting the pool of Web Workers…" }</p></main> };
    };

    let on_lesson = {
        let (session, redraw) = (Rc::clone(&session), redraw.clone());
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            let link = Link {
                lesson: select.value(),
                schedule: Vec::new(),
            };
            open(Rc::clone(&session), redraw.clone(), link, false);
        })
    };
    let grant = {
        let (session, redraw) = (Rc::clone(&session), redraw.clone());
        Callback::from(move |index: usize| grant(Rc::clone(&session), redraw.clone(), index))
    };
    let on_key = {
        let grant = grant.clone();
        Callback::from(move |e: KeyboardEvent| {
            if let Some(d) = e.key().chars().next().and_then(|c| c.to_digit(10)) {
                if (1..=9).contains(&d) && e.key().len() == 1 {
                    e.prevent_default();
                    grant.emit(d as usize - 1);
                }
            }
        })
    };
    let on_restart = {
        let (session, redraw) = (Rc::clone(&session), redraw.clone());
        Callback::from(move |_| {
            let lesson = session.borrow().lesson.clone();
            open(
                Rc::clone(&session),
                redraw.clone(),
                Link {
                    lesson,
                    schedule: Vec::new(),
                },
                false,
            );
        })
    };
    let on_run_to_end = {
        let (session, redraw) = (Rc::clone(&session), redraw.clone());
        Callback::from(move |_| run_to_end(Rc::clone(&session), redraw.clone()))
    };
    let on_find = {
        let (session, redraw, tries) = (Rc::clone(&session), redraw.clone(), tries.clone());
        let slow = !props.reduced_motion;
        Callback::from(move |_| find_failing(Rc::clone(&session), redraw.clone(), *tries, slow))
    };
    let on_tries = {
        let tries = tries.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(n) = input.value().parse::<u32>() {
                tries.set(n.clamp(1, 1000));
            }
        })
    };

    let view = s.view.clone();
    let info = all.iter().find(|l| l.id == s.lesson);
    let ready = view.as_ref().map(|v| v.ready()).unwrap_or_default();
    let busy = s.busy;
    html! {
        <main data-testid="steps-page" hidden={props.hidden} class="steps" aria-labelledby="steps-title">
            <section class="panel wide" onkeydown={on_key}>
                <h2 id="steps-title">{ "Races and deadlocks: you are the scheduler" }</h2>
                <p class="hint">{ "Real threads, held before every operation on shared state until you let one go. Pick who runs next and watch what happens. Keys 1, 2, 3 grant a step to worker 1, 2, 3." }</p>
                <label>{ "Lesson " }
                    <select data-testid="lesson-select" onchange={on_lesson} disabled={busy}>
                        { for all.iter().map(|l| html! {
                            <option value={l.id.clone()} selected={l.id == s.lesson}>{ &l.title }</option>
                        }) }
                    </select>
                </label>
                if let Some(info) = info {
                    <p data-testid="lesson-teaches">{ &info.teaches }</p>
                    <p data-testid="lesson-try"><strong>{ "Try this: " }</strong>{ &info.try_this }</p>
                }
                <div class="lanes" role="group" aria-label="Workers: grant one a step">
                    { for view.iter().flat_map(|v| v.steps.lanes.iter()).map(|lane| {
                        let index = lane.index;
                        let can = ready.contains(&index) && !busy;
                        let words = match lane.status.as_str() {
                            "ready" => format!("ready, next: {}", lane.next_text.as_deref().unwrap_or("")),
                            "blocked" => format!("blocked, waiting to {}", lane.next_text.as_deref().unwrap_or("")),
                            "done" => "finished".to_owned(),
                            _ => "running".to_owned(),
                        };
                        let onclick = { let grant = grant.clone(); Callback::from(move |_| grant.emit(index)) };
                        html! {
                            <button class={classes!("lane", lane.status.clone())} data-testid="lane" data-worker-id={lane.id.clone()}
                                    data-status={lane.status.clone()} disabled={!can} {onclick}>
                                <span class="lane-key">{ index + 1 }</span>
                                <strong>{ &lane.id }</strong>
                                <span data-testid="lane-next">{ words }</span>
                            </button>
                        }
                    }) }
                </div>
                <div class="step-actions">
                    <button data-testid="restart" onclick={on_restart} disabled={busy}>{ "Start again" }</button>
                    <button data-testid="run-to-end" onclick={on_run_to_end} disabled={busy || view.as_ref().is_none_or(|v| v.over())}>{ "Run to the end (random)" }</button>
                    <label>{ "Try up to " }
                        <input data-testid="tries" type="number" min="1" max="1000" value={tries.to_string()} onchange={on_tries} disabled={busy} />
                        { " schedules" }
                    </label>
                    <button data-testid="find-failing" onclick={on_find} disabled={busy}>{ "Find a failing schedule" }</button>
                </div>
                if let Some(note) = &s.note {
                    <p data-testid="steps-note" role="status">{ note }</p>
                }
                if let Some(error) = &s.error {
                    <p data-testid="error" class="error" role="alert">{ error }</p>
                }
            </section>
            if let Some(v) = view {
                { state_panel(&v) }
                { graph(&v) }
                { narration(&v) }
            }
        </main>
    }
}

fn state_panel(v: &StepView) -> Html {
    let ids = v.schedule_ids();
    html! {
        <section class="panel" aria-labelledby="schedule-title">
            <h3 id="schedule-title">{ "Schedule and shared state" }</h3>
            <p data-testid="schedule">
                { if v.steps.schedule.is_empty() { "No step granted yet.".to_owned() } else {
                    format!("Schedule: {} ({})",
                        v.steps.schedule.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                        ids.join(", "))
                } }
            </p>
            <ul>
                { for v.run.cells.iter().map(|(name, value)| html! {
                    <li data-testid="cell" data-cell={name.clone()}>{ format!("{name} = {value}") }</li>
                }) }
            </ul>
        </section>
    }
}

/// The wait-for graph: one node per worker, an arrow from each waiting
/// worker to the one it waits for; a deadlock's cycle in red. The same as a
/// list, for screen readers and for reading.
fn graph(v: &StepView) -> Html {
    let ids: Vec<&str> = v.steps.lanes.iter().map(|l| l.id.as_str()).collect();
    let x = |id: &str| 70.0 + 150.0 * ids.iter().position(|i| *i == id).unwrap_or(0) as f64;
    let width = 140.0 + 150.0 * ids.len().saturating_sub(1) as f64;
    let edge = |e: &WaitView, i: usize| {
        let (x1, x2) = (x(&e.worker), x(&e.waits_for));
        // Arcs above for rightward waits, below for leftward ones (so a
        // two-worker cycle shows two arrows), from circle edge to circle
        // edge so the arrowhead shows.
        let (dir, side) = if x2 > x1 { (1.0, -1.0) } else { (-1.0, 1.0) };
        let y = 70.0 + side * 22.0;
        let (sx, ex) = (x1 + dir * 21.0, x2 - dir * 21.0);
        let lift = side * (55.0 + 8.0 * i as f64);
        let mid = (x1 + x2) / 2.0;
        let d = format!("M {sx} {y} Q {mid} {} {ex} {y}", y + lift);
        let cycle = v.in_cycle(e);
        html! {
            <g>
                <path d={d} class={classes!("wait-edge", cycle.then_some("cycle"))} data-testid="wait-edge"
                      data-cycle={cycle.to_string()} marker-end={if cycle { "url(#arrow-red)" } else { "url(#arrow)" }} />
                <text x={mid.to_string()} y={(y + lift * 0.5 + side * 4.0).to_string()} text-anchor="middle"
                      class={classes!("edge-label", cycle.then_some("cycle"))}>{ &e.on.name }</text>
            </g>
        }
    };
    html! {
        <section class="panel" aria-labelledby="graph-title">
            <h3 id="graph-title">{ "Who waits for whom" }</h3>
            <svg data-testid="wait-graph" viewBox={format!("0 0 {width} 140")} role="img"
                 aria-label={if v.waits.is_empty() { "Nobody waits.".to_owned() } else { format!("{} waits", v.waits.len()) }}>
                <defs>
                    <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head" /></marker>
                    <marker id="arrow-red" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" class="arrow-head cycle" /></marker>
                </defs>
                { for v.waits.iter().enumerate().map(|(i, e)| edge(e, i)) }
                { for ids.iter().map(|id| html! {
                    <g class="node">
                        <circle cx={x(id).to_string()} cy="70" r="30" />
                        <text x={x(id).to_string()} y="75" text-anchor="middle">{ *id }</text>
                    </g>
                }) }
            </svg>
            <ul data-testid="wait-list">
                if v.waits.is_empty() { <li>{ "Nobody waits." }</li> }
                { for v.waits.iter().map(|e| html! {
                    <li class={classes!(v.in_cycle(e).then_some("cycle"))}>
                        { format!("{} waits for {} {} held by {}{}", e.worker, e.on.kind, e.on.name, e.waits_for,
                            if v.in_cycle(e) { " (in a deadlock's cycle)" } else { "" }) }
                    </li>
                }) }
            </ul>
        </section>
    }
}

fn narration(v: &StepView) -> Html {
    let lines: Vec<String> = v.run.happened.iter().filter_map(tell).collect();
    html! {
        <section class="panel wide" aria-labelledby="steps-narration-title">
            <h3 id="steps-narration-title">{ "What happened" }</h3>
            <ol data-testid="steps-narration">
                { for lines.iter().map(|l| html! { <li>{ l }</li> }) }
            </ol>
            <p data-testid="steps-outcome" aria-live="polite" class={classes!("outcome", (v.over() && !v.run.outcome.holds).then_some("broken"))}>
                { if v.over() { v.run.outcome.says.clone() } else { String::new() } }
            </p>
        </section>
    }
}

fn set_view(session: &Shared, view: StepView) {
    let mut s = session.borrow_mut();
    replace_hash(
        &Link {
            lesson: s.lesson.clone(),
            schedule: view.steps.schedule.clone(),
        }
        .to_hash(),
    );
    s.view = Some(Rc::new(view));
}

fn fail(session: &Shared, redraw: &UseForceUpdateHandle, error: String) {
    let mut s = session.borrow_mut();
    s.error = Some(error);
    s.busy = false;
    drop(s);
    redraw.force_update();
}

/// Starts a learner's run of `link.lesson` and grants `link.schedule`,
/// pausing between steps when `slow` (a playback).
fn open(session: Shared, redraw: UseForceUpdateHandle, link: Link, slow: bool) {
    {
        let mut s = session.borrow_mut();
        if s.busy {
            return;
        }
        s.busy = true;
        s.error = None;
        s.lesson = link.lesson.clone();
    }
    spawn_local(async move {
        let old = session.borrow_mut().run.take();
        if let Some(old) = old {
            old.end().await;
        }
        let run = match Run::start(&link.lesson, None) {
            Ok(run) => run,
            Err(e) => return fail(&session, &redraw, e),
        };
        session.borrow_mut().run = Some(run.clone());
        let mut view = match run.settled().await {
            Ok(v) => v,
            Err(e) => return fail(&session, &redraw, e),
        };
        set_view(&session, view.clone());
        redraw.force_update();
        for index in link.schedule {
            let Some(id) = view.steps.lanes.get(index).map(|l| l.id.clone()) else {
                return fail(
                    &session,
                    &redraw,
                    format!(
                        "the link names worker {}, which this lesson does not have",
                        index + 1
                    ),
                );
            };
            if slow {
                pause_for(PLAYBACK_MS).await;
            }
            view = match run.step(&id).await {
                Ok(v) => v,
                Err(e) => return fail(&session, &redraw, e),
            };
            set_view(&session, view.clone());
            redraw.force_update();
        }
        session.borrow_mut().busy = false;
        redraw.force_update();
    });
}

fn grant(session: Shared, redraw: UseForceUpdateHandle, index: usize) {
    let (run, id) = {
        let mut s = session.borrow_mut();
        let Some(view) = s.view.clone() else { return };
        if s.busy || !view.ready().contains(&index) {
            return;
        }
        let (Some(run), Some(lane)) = (s.run.clone(), view.steps.lanes.get(index)) else {
            return;
        };
        s.busy = true;
        s.note = None;
        (run, lane.id.clone())
    };
    spawn_local(async move {
        match run.step(&id).await {
            Ok(view) => {
                set_view(&session, view);
                session.borrow_mut().busy = false;
                redraw.force_update();
            }
            Err(e) => fail(&session, &redraw, e),
        }
    });
}

fn run_to_end(session: Shared, redraw: UseForceUpdateHandle) {
    let (run, mut view) = {
        let mut s = session.borrow_mut();
        let (Some(run), Some(view)) = (s.run.clone(), s.view.clone()) else {
            return;
        };
        if s.busy {
            return;
        }
        s.busy = true;
        s.note = Some("Running to the end, each step to a worker picked at random.".to_owned());
        (run, view)
    };
    let mut rng = Rng(js_sys::Date::now() as u64);
    spawn_local(async move {
        while let Some(index) = rng.pick(&view.ready()) {
            let id = view.steps.lanes[index].id.clone();
            match run.step(&id).await {
                Ok(next) => {
                    set_view(&session, next);
                    view = session.borrow().view.clone().unwrap_or(view);
                    redraw.force_update();
                }
                Err(e) => return fail(&session, &redraw, e),
            }
        }
        session.borrow_mut().busy = false;
        redraw.force_update();
    });
}

/// Runs up to `tries` seeded schedules of the current lesson; plays back
/// the first that breaks it.
fn find_failing(session: Shared, redraw: UseForceUpdateHandle, tries: u32, slow: bool) {
    let lesson = {
        let mut s = session.borrow_mut();
        if s.busy {
            return;
        }
        s.busy = true;
        s.error = None;
        s.note = Some(format!("Searching up to {tries} schedules…"));
        s.lesson.clone()
    };
    redraw.force_update();
    spawn_local(async move {
        let old = session.borrow_mut().run.take();
        if let Some(old) = old {
            old.end().await;
        }
        for seed in 1..=u64::from(tries) {
            let run = match Run::start(&lesson, Some(seed)) {
                Ok(run) => run,
                Err(e) => return fail(&session, &redraw, e),
            };
            let view = run.settled().await;
            run.end().await;
            let view = match view {
                Ok(v) => v,
                Err(e) => return fail(&session, &redraw, e),
            };
            if !view.run.outcome.holds {
                let schedule = view.steps.schedule.clone();
                {
                    let mut s = session.borrow_mut();
                    s.note = Some(format!(
                        "Found a failing schedule after {seed} of at most {tries} tries: {}. Playing it back.",
                        schedule.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
                    ));
                    s.busy = false;
                }
                return open(session, redraw, Link { lesson, schedule }, slow);
            }
            if seed % 10 == 0 {
                session.borrow_mut().note = Some(format!("Tried {seed} of {tries} schedules…"));
                redraw.force_update();
            }
        }
        let mut s = session.borrow_mut();
        s.note = Some(format!(
            "No schedule of {tries} broke it: every one kept the invariant."
        ));
        s.busy = false;
        drop(s);
        redraw.force_update();
    });
}
