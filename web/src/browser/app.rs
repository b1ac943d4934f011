//! The app: its state, the refresh loop, and the components wired to the
//! commands their callbacks give.

use std::rc::Rc;

use gloo_timers::callback::Interval;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::spawn_local;
use yew::prelude::*;

use super::attach::{use_attachment, LinkSlot};
use super::commands;
use super::components::{
    BroadcastForm, Chart, CodePanel, Header, Learn, MessageForm, NarrationPanel, PredictPanel,
    ScenarioActions, ScenarioPanel, SeedNotes, Shared, ShutdownForm, SourcePanel, SpawnForm,
    Speedup, StepsPage, Timeline, Unavailable, WorkersTable,
};
use super::connection::{self, message, read, Dispatcher, Yard, STOPPED};
use super::remote::{self, TapeSlot};
use super::renders;
use super::replay;
use super::script::{Script, ScriptSlot};
use crate::input::{RowAction, SpawnRequest};
use crate::model::{EventPage, Snapshot};
use crate::source::Source;
use crate::state::{Action, AppState, Page, Phase, Place};

/// How often the page reads the manager (the workers never wait for it):
/// ten times a second, and four times with more workers than
/// [`MANY_WORKERS`], whose rows nobody reads ten times a second and whose
/// redrawing would take the page's share of a busy machine.
const REFRESH_MS: u32 = 100;
const REFRESH_MANY_MS: u32 = 250;
const MANY_WORKERS: usize = 16;

impl Reducible for AppState<Yard> {
    type Action = Action<Yard>;

    fn reduce(self: Rc<Self>, action: Action<Yard>) -> Rc<Self> {
        if !self.accepts(&action) {
            // The same state: nothing renders again.
            return self;
        }
        Rc::new(Rc::unwrap_or_clone(self).reduce(action))
    }
}

fn current_page() -> Page {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    Page::from_hash(&hash)
}

fn prefers_reduced_motion() -> bool {
    web_sys::window()
        .and_then(|w| {
            w.match_media("(prefers-reduced-motion: reduce)")
                .ok()
                .flatten()
        })
        .is_some_and(|m| m.matches())
}

/// Back and forward move between the pages (they are location hashes).
#[hook]
fn use_hash_pages(dispatch: Dispatcher) {
    use_effect_with((), move |()| {
        let listener =
            Closure::<dyn Fn()>::new(move || dispatch.dispatch(Action::Page(current_page())));
        let window = web_sys::window();
        if let Some(w) = &window {
            let _ =
                w.add_event_listener_with_callback("hashchange", listener.as_ref().unchecked_ref());
        }
        move || {
            if let Some(w) = window {
                let _ = w.remove_event_listener_with_callback(
                    "hashchange",
                    listener.as_ref().unchecked_ref(),
                );
            }
        }
    });
}

/// Reads manager `generation` every `period` ms while it is the current
/// one. The loop owns its event cursor, kept across a change of period and
/// started afresh with each manager: a handle captured here would hold the
/// state of one render, not the latest.
#[hook]
fn use_refresh(
    yard: Option<Yard>,
    generation: u64,
    period: u32,
    tape: TapeSlot,
    dispatch: Dispatcher,
) {
    // (manager, position in its event log)
    let cursor = use_mut_ref(|| (0_u64, 0.0_f64));
    use_effect_with(
        (yard, generation, period),
        move |(yard, generation, period)| {
            let generation = *generation;
            if cursor.borrow().0 != generation {
                *cursor.borrow_mut() = (generation, 0.0);
                tape.0.borrow_mut().clear();
            }
            let interval = yard.clone().map(|yard| {
                let tape = tape.clone();
                Interval::new(*period, move || {
                    let raw = yard.0.snapshot().map_err(|e| message(&e));
                    let snapshot = raw.clone().and_then(read::<Snapshot>);
                    let since = cursor.borrow().1;
                    let page = yard
                        .0
                        .events(since)
                        .map_err(|e| message(&e))
                        .and_then(read::<EventPage>);
                    match (snapshot, page) {
                        (Ok(snapshot), Ok(page)) => {
                            cursor.borrow_mut().1 = page.next;
                            if let Ok(raw) = raw {
                                // Kept for "Save as recording", as JS objects:
                                // made into text only if the session is saved.
                                tape.0.borrow_mut().offer(
                                    snapshot.at_ms,
                                    snapshot.workers.len(),
                                    raw,
                                );
                            }
                            dispatch.dispatch(Action::Refresh(generation, snapshot, page));
                        }
                        (Err(e), _) | (_, Err(e)) if e == STOPPED => {
                            dispatch.dispatch(Action::Stopped)
                        }
                        (Err(e), _) | (_, Err(e)) => {
                            dispatch.dispatch(Action::Error(Place::Refresh, e))
                        }
                    }
                })
            });
            move || drop(interval)
        },
    );
}

/// The page's `?attach=LINK`, if any.
fn attach_param() -> Option<String> {
    let search = web_sys::window()?.location().search().ok()?;
    web_sys::UrlSearchParams::new_with_str(&search)
        .ok()?
        .get("attach")
}

/// Attaches to a pasted (or given) link, or says what is wrong with it.
fn attach(dispatch: &Dispatcher, link: &str) {
    match crate::wire::check_link(link) {
        Ok(link) => dispatch.dispatch(Action::Attach(link)),
        Err(why) => dispatch.dispatch(Action::Error(Place::Source, why)),
    }
}

#[function_component(App)]
pub fn app() -> Html {
    renders::count("App");
    let store = use_reducer(|| AppState::<Yard>::new(current_page()));
    let dispatch = store.dispatcher();
    let script = (*use_memo((), |()| ScriptSlot::default())).clone();
    // Read once the threads module has loaded (it knows the scenarios).
    let scenarios = use_memo(store.phase == Phase::Ready, |ready| {
        if *ready {
            connection::scenarios()
        } else {
            Err("the threads module has not loaded yet".to_owned())
        }
    });
    let reduced_motion = use_memo((), |()| prefers_reduced_motion());

    use_hash_pages(dispatch.clone());
    {
        let dispatch = dispatch.clone();
        use_effect_with((), move |()| {
            if connection::isolated() {
                spawn_local(async move {
                    match connection::boot().await {
                        Ok((yard, pool)) => dispatch.dispatch(Action::Ready(yard, pool)),
                        Err(why) => dispatch.dispatch(Action::Failed(why)),
                    }
                });
            } else {
                dispatch.dispatch(Action::NotIsolated);
            }
        });
    }
    let period = if store.snapshot.workers.len() > MANY_WORKERS {
        REFRESH_MANY_MS
    } else {
        REFRESH_MS
    };
    let tape = (*use_memo((), |()| TapeSlot::default())).clone();
    use_refresh(
        store.yard.clone(),
        store.generation,
        period,
        tape.clone(),
        dispatch.clone(),
    );
    // The other two sources: a native program, a recording.
    let link_slot = (*use_memo((), |()| LinkSlot::default())).clone();
    let attached = match &store.source {
        Source::Attached(a) => Some(a.link.clone()),
        _ => None,
    };
    use_attachment(
        attached,
        store.generation,
        link_slot.clone(),
        dispatch.clone(),
    );
    let (playing, clock_ms) = match &store.source {
        Source::Replay(p) => (p.playing, p.clock_ms),
        _ => (false, 0.0),
    };
    replay::use_replay_clock(playing, store.generation, clock_ms, dispatch.clone());
    {
        // `?attach=LINK` attaches as soon as the page is ready.
        let dispatch = dispatch.clone();
        use_effect_with(store.phase == Phase::Ready, move |ready| {
            if *ready {
                if let Some(link) = attach_param() {
                    attach(&dispatch, &link);
                }
            }
        });
    }
    let on_page = use_callback((store.speed, dispatch.clone()), |(), (speed, dispatch)| {
        commands::fresh_manager(dispatch, *speed)
    });
    let on_attach = use_callback(dispatch.clone(), |link: String, dispatch| {
        attach(dispatch, &link)
    });
    let on_open = use_callback(dispatch.clone(), |e: Event, dispatch| {
        if let Some(input) = replay::input_of(&e) {
            replay::open(&input, dispatch);
        }
    });
    let on_export = use_callback(
        (
            store.source.clone(),
            store.yard.clone(),
            link_slot.clone(),
            tape.clone(),
            dispatch.clone(),
        ),
        |(), (source, yard, link, tape, dispatch)| {
            remote::save_recording(source, yard.as_ref(), link, tape, dispatch)
        },
    );
    let on_play = use_callback(dispatch.clone(), |playing, dispatch| {
        dispatch.dispatch(Action::ReplayPlaying(playing))
    });
    let on_seek = use_callback(
        (store.generation, dispatch.clone()),
        |at, (generation, dispatch)| dispatch.dispatch(Action::ReplaySeek(*generation, at)),
    );
    let on_speed = use_callback(dispatch.clone(), |speed, dispatch| {
        dispatch.dispatch(Action::ReplaySpeed(speed))
    });
    let source_panel = html! {
        <SourcePanel source={store.source.clone()} feedback={store.feedback(&Place::Source).cloned()}
            {on_page} {on_attach} {on_open} {on_export} {on_play} {on_seek} {on_speed} />
    };

    // Callbacks keep their identity while what they use stays the same, so
    // the components they go to are not rendered again for them.
    let yard = store.yard.clone();
    let on_spawn = use_callback(
        (yard.clone(), store.auto_named, dispatch.clone()),
        |ask: SpawnRequest, (yard, auto_named, dispatch)| {
            if let Some(yard) = yard {
                commands::spawn(yard, dispatch, *auto_named, &ask);
            }
        },
    );
    let on_send = use_callback(
        (yard.clone(), link_slot.clone(), dispatch.clone()),
        |(to, text): (String, String), (yard, link, dispatch)| match yard {
            Some(yard) => commands::send(yard, dispatch, &to, &text),
            None => remote::send(link, dispatch, &to, &text),
        },
    );
    let on_broadcast = use_callback(
        (yard.clone(), link_slot.clone(), dispatch.clone()),
        |text: String, (yard, link, dispatch)| match yard {
            Some(yard) => commands::broadcast(yard, dispatch, &text),
            None => remote::broadcast(link, dispatch, &text),
        },
    );
    let on_shutdown = use_callback(
        (
            yard.clone(),
            store.generation,
            link_slot.clone(),
            dispatch.clone(),
        ),
        |deadline: String, (yard, generation, link, dispatch)| match yard {
            Some(yard) => commands::shutdown(yard, dispatch, *generation, &deadline),
            None => remote::shutdown(link, dispatch, &deadline),
        },
    );
    // The snapshot the click acts on is the latest one, read when clicked:
    // a callback that depended on it would be new at every refresh, and so
    // would render the Shut down panel again ten times a second.
    let latest_snapshot = use_mut_ref(|| Rc::clone(&store.snapshot));
    *latest_snapshot.borrow_mut() = Rc::clone(&store.snapshot);
    let on_remove_finished = use_callback(
        (yard.clone(), link_slot.clone(), dispatch.clone()),
        move |(), (yard, link, dispatch)| match yard {
            Some(yard) => commands::remove_finished(yard, dispatch),
            None => remote::remove_finished(link, dispatch, &latest_snapshot.borrow()),
        },
    );
    let on_new_manager = use_callback((store.speed, dispatch.clone()), |(), (speed, dispatch)| {
        commands::fresh_manager(dispatch, *speed)
    });
    let on_row = use_callback(
        (
            yard.clone(),
            store.source.clone(),
            link_slot.clone(),
            dispatch.clone(),
        ),
        |(action, id): (RowAction, String), (yard, source, link, dispatch)| match yard {
            Some(yard) => commands::row(yard, dispatch, action, &id),
            None => remote::row(link, source, dispatch, action, &id),
        },
    );
    let on_mark = use_callback(dispatch.clone(), |at: Option<f64>, dispatch| {
        dispatch.dispatch(Action::Mark(at))
    });
    let scenario_actions = ScenarioActions {
        run: use_callback(
            (
                yard.clone(),
                store.generation,
                store.speed,
                dispatch.clone(),
                scenarios.clone(),
                script.clone(),
            ),
            |index: usize, (yard, generation, speed, dispatch, scenarios, script)| {
                let Some(scenario) = scenarios.as_ref().as_ref().ok().and_then(|l| l.get(index))
                else {
                    return;
                };
                script.replace(None);
                match commands::run_scenario(
                    yard.as_ref(),
                    dispatch,
                    &Rc::new(scenario.clone()),
                    generation + 1,
                    *speed,
                ) {
                    Ok(started) => script.replace(Some(started)),
                    Err(why) => dispatch.dispatch(Action::Error(Place::Scenario, why)),
                }
            },
        ),
        speed: use_callback(
            (yard.clone(), dispatch.clone(), script.clone()),
            |text: String, (yard, dispatch, script)| {
                commands::set_speed(yard.as_ref(), script, dispatch, &text);
            },
        ),
        hold: use_callback(script.clone(), |held: bool, script| {
            script.with(|s| s.set_held(held));
        }),
        step: use_callback(script.clone(), |(), script| {
            script.with(Script::step);
        }),
        export: use_callback(
            (yard.clone(), dispatch.clone()),
            |what, (yard, dispatch)| {
                if let Some(yard) = yard {
                    commands::export(yard, dispatch, what);
                }
            },
        ),
    };

    let feedback = |place: Place| store.feedback(&place).cloned();
    let status = script.with(Script::status);
    let ids: Vec<String> = store
        .snapshot
        .workers
        .iter()
        .map(|w| w.id.clone())
        .collect();
    let on_yard = store.page == Page::Yard;
    html! {
        <>
            <Header page={store.page} phase={store.phase.clone()} pool={store.pool}
                    service_worker_pending={store.phase == Phase::NotIsolated && connection::service_worker_pending()} />
            <Learn hidden={store.page != Page::Learn} />
            <SeedNotes hidden={store.page != Page::Seed} />
            <StepsPage hidden={store.page != Page::Steps} ready={store.phase == Phase::Ready} reduced_motion={*reduced_motion} />
            if store.phase == Phase::Ready {
                <main hidden={!on_yard}>
                    { source_panel }
                    <section class="teach">
                        <ScenarioPanel scenarios={scenarios.clone()} {status}
                            speed_feedback={feedback(Place::Speed)} scenario_feedback={feedback(Place::Scenario)}
                            export_feedback={feedback(Place::Export)} can_export={store.yard.is_some()}
                            export_unavailable={store.source.export_refusal().map(AttrValue::from)}
                            actions={scenario_actions} />
                        <NarrationPanel narrator={Shared::from(&store.narrator)} marker={store.marker} {on_mark} />
                        if let Some(scenario) = store.scenario.as_ref() {
                            // A fresh set of answers for every run.
                            <PredictPanel key={store.generation.to_string()} scenario={AttrValue::from(scenario.id.clone())}
                                narrator={Shared::from(&store.narrator)} />
                        }
                    </section>
                    <section class="controls" aria-label="Workers and messages">
                        if let Some(why) = store.source.spawn_refusal() {
                            <Unavailable what="Spawn workers" {why} />
                        } else {
                            <SpawnForm feedback={feedback(Place::Spawn)} {on_spawn} />
                        }
                        if let Some(why) = store.source.message_refusal() {
                            <Unavailable what="Messages and broadcast" {why} />
                        } else {
                            <MessageForm {ids} feedback={feedback(Place::Message)} {on_send} />
                            <BroadcastForm feedback={feedback(Place::Broadcast)} {on_broadcast} />
                        }
                        if let Some(why) = store.source.command_refusal() {
                            <Unavailable what="Shutdown" {why} />
                        } else {
                            <ShutdownForm feedback={feedback(Place::Shutdown)} report={store.report.clone()}
                                shut_down={store.snapshot.shut_down} {on_shutdown} {on_remove_finished} {on_new_manager} />
                        }
                    </section>
                    <WorkersTable snapshot={Shared::from(&store.snapshot)} history={Shared::from(&store.history)}
                        pool={store.pool} speed={store.speed} feedback={Shared::from(&store.feedback)} {on_row}
                        unavailable={store.source.command_refusal().map(AttrValue::from)} />
                    <section class="panel wide" aria-labelledby="timeline-title">
                        <h2 id="timeline-title">{ "Timeline" }</h2>
                        <p class="hint" id="timeline-hint">{ "One lane per worker, coloured by state and named in words beside it; while a worker runs, a texture says what it does (none: computing). From 1x up the window holds 20 s of script time (2 s of real time at 10x); in slow motion it holds 20 s of real time, so slow motion magnifies. Once every worker has stopped it holds still at the end. Ticks mark messages, broadcasts, pauses and failures; a dashed line marks the moment picked in the narration." }</p>
                        <Timeline history={Shared::from(&store.history)} end_ms={store.history.end_ms(&store.snapshot)}
                            now_ms={store.snapshot.at_ms} speed={store.speed} marker={store.marker} reduced_motion={*reduced_motion} />
                    </section>
                    if let Some(scenario) = store.scenario.clone() {
                        <CodePanel {scenario} snapshot={Shared::from(&store.snapshot)} />
                    }
                    <section class="panel wide" aria-labelledby="chart-title">
                        <h2 id="chart-title">{ "Throughput" }</h2>
                        <Chart history={Shared::from(&store.history)} now_ms={store.snapshot.at_ms} speed={store.speed} />
                    </section>
                    if store.scenario.as_ref().is_some_and(|s| s.id == "speedup") {
                        <Speedup history={Shared::from(&store.history)} />
                    }
                    { super::components::feedback_view(store.feedback(&Place::Refresh)) }
                </main>
            }
        </>
    }
}
