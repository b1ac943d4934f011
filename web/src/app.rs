//! The page: startup, shared state, and the refresh loop.

use std::collections::BTreeMap;
use std::rc::Rc;

use gloo_timers::callback::Interval;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{spawn_local, JsFuture};
use yew::prelude::*;

use crate::chart::Chart;
use crate::controls::Controls;
use crate::history::History;
use crate::model::{read, EventPage, Report, Snapshot};
use crate::table::Table;
use crate::threads::{self, Threadyard};
use crate::timeline::Timeline;

/// How often the page reads the manager. The workers never wait for it.
const REFRESH_MS: u32 = 100;
/// Default Web Workers in the pool when the page does not say (`?threads=N`):
/// at least this many, so the demos' workers fit even on a 2-core machine.
const MIN_POOL: usize = 8;

pub fn start() {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => {
            root.set_inner_html("");
            yew::Renderer::<App>::with_root(root).render();
        }
        None => {
            yew::Renderer::<App>::new().render();
        }
    }
}

/// The manager, compared by identity.
#[derive(Clone)]
pub struct Yard(pub Rc<Threadyard>);

impl PartialEq for Yard {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

#[derive(Clone, PartialEq)]
pub enum Phase {
    Starting,
    Ready,
    NotIsolated,
    Failed(String),
}

#[derive(Clone, PartialEq)]
pub struct AppState {
    pub phase: Phase,
    pub yard: Option<Yard>,
    pub pool: usize,
    pub snapshot: Snapshot,
    pub history: History,
    /// Inline errors, by where they happened ("spawn", "row:worker_0"...).
    pub errors: BTreeMap<String, String>,
    pub notes: BTreeMap<String, String>,
    pub report: Option<Report>,
    /// Workers spawned with an automatic name so far.
    pub auto_named: usize,
}

pub enum Action {
    Ready(Yard, usize),
    NotIsolated,
    Failed(String),
    Refresh(Snapshot, EventPage),
    Error(String, String),
    Note(String, String),
    Clear(String),
    Report(Report),
    AutoNamed(usize),
    NewManager(Yard),
}

impl Reducible for AppState {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Ready(yard, pool) => {
                next.phase = Phase::Ready;
                next.yard = Some(yard);
                next.pool = pool;
            }
            Action::NotIsolated => next.phase = Phase::NotIsolated,
            Action::Failed(why) => next.phase = Phase::Failed(why),
            Action::Refresh(snapshot, page) => {
                for event in &page.events {
                    next.history.record(event);
                }
                next.history.sample(&snapshot);
                next.snapshot = snapshot;
            }
            Action::Error(place, message) => {
                next.notes.remove(&place);
                next.errors.insert(place, message);
            }
            Action::Note(place, message) => {
                next.errors.remove(&place);
                next.notes.insert(place, message);
            }
            Action::Clear(place) => {
                next.errors.remove(&place);
                next.notes.remove(&place);
            }
            Action::Report(report) => next.report = Some(report),
            Action::AutoNamed(n) => next.auto_named += n,
            Action::NewManager(yard) => {
                next.yard = Some(yard);
                next.report = None;
                next.history = History::default();
                next.snapshot = Snapshot::default();
                next.errors.clear();
                next.notes.clear();
                next.auto_named = 0;
            }
        }
        Rc::new(next)
    }
}

pub type Store = UseReducerHandle<AppState>;

/// How many Web Workers to start: `?threads=N` (1 to 64), else the larger of
/// the machine's core count and [`MIN_POOL`].
fn pool_size() -> Result<usize, String> {
    let window = web_sys::window().ok_or("no window")?;
    let search = window.location().search().unwrap_or_default();
    let params =
        web_sys::UrlSearchParams::new_with_str(&search).map_err(|e| threads::message(&e))?;
    if let Some(asked) = params.get("threads") {
        return match asked.parse::<usize>() {
            Ok(n @ 1..=64) => Ok(n),
            _ => Err(format!(
                "?threads={asked} is not a number from 1 to 64: remove it or fix it"
            )),
        };
    }
    let cores = window.navigator().hardware_concurrency() as usize;
    Ok(cores.max(MIN_POOL))
}

fn isolated() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("crossOriginIsolated")).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// A new manager with the page's settings: small mailboxes so back-pressure
/// is visible. Messages are not recorded as events (chatty workers send
/// thousands a second, each would take the event log's lock and become a
/// mark); the timeline marks message traffic from the mailbox counters.
pub fn new_manager() -> Result<Yard, String> {
    let options = serde_json::json!({ "mailboxCapacity": 16, "eventCapacity": 20000 });
    let options = serde_wasm_bindgen::to_value(&options).map_err(|e| e.to_string())?;
    Threadyard::new(&options)
        .map(|y| Yard(Rc::new(y)))
        .map_err(|e| threads::message(&e))
}

async fn boot() -> Result<(Yard, usize), String> {
    let pool = pool_size()?;
    JsFuture::from(threads::init_threads_module())
        .await
        .map_err(|e| format!("the threads module did not load: {}", threads::message(&e)))?;
    JsFuture::from(threads::init_thread_pool(pool))
        .await
        .map_err(|e| {
            format!(
                "the pool of Web Workers did not start: {}",
                threads::message(&e)
            )
        })?;
    Ok((new_manager()?, pool))
}

#[function_component(App)]
pub fn app() -> Html {
    let store = use_reducer(|| AppState {
        phase: Phase::Starting,
        yard: None,
        pool: 0,
        snapshot: Snapshot::default(),
        history: History::default(),
        errors: BTreeMap::new(),
        notes: BTreeMap::new(),
        report: None,
        auto_named: 0,
    });

    {
        let store = store.clone();
        use_effect_with((), move |()| {
            if isolated() {
                spawn_local(async move {
                    match boot().await {
                        Ok((yard, pool)) => store.dispatch(Action::Ready(yard, pool)),
                        Err(why) => store.dispatch(Action::Failed(why)),
                    }
                });
            } else {
                store.dispatch(Action::NotIsolated);
            }
        });
    }

    // The refresh loop owns its event cursor: a handle captured here would
    // hold the state of one render, not the latest.
    let cursor = use_mut_ref(|| 0.0_f64);
    {
        let store = store.clone();
        let yard = store.yard.clone();
        use_effect_with(yard, move |yard| {
            *cursor.borrow_mut() = 0.0;
            let interval = yard.clone().map(|yard| {
                Interval::new(REFRESH_MS, move || {
                    let snapshot = yard
                        .0
                        .snapshot()
                        .map_err(|e| threads::message(&e))
                        .and_then(read::<Snapshot>);
                    let since = *cursor.borrow();
                    let page = yard
                        .0
                        .events(since)
                        .map_err(|e| threads::message(&e))
                        .and_then(read::<EventPage>);
                    match (snapshot, page) {
                        (Ok(snapshot), Ok(page)) => {
                            *cursor.borrow_mut() = page.next;
                            store.dispatch(Action::Refresh(snapshot, page));
                        }
                        (Err(e), _) | (_, Err(e)) => {
                            store.dispatch(Action::Error("refresh".into(), e))
                        }
                    }
                })
            });
            move || drop(interval)
        });
    }

    html! {
        <ContextProvider<Store> context={store.clone()}>
            <header>
                <h1>{ "threadyard" }</h1>
                <p class="tagline">{ "Real threads (Web Workers sharing one memory), paused, messaged and watched as they run." }</p>
                <Isolation />
            </header>
            { match &store.phase {
                Phase::Ready => html! {
                    <main>
                        <Controls />
                        <Table />
                        <section class="panel wide" aria-labelledby="timeline-title">
                            <h2 id="timeline-title">{ "Timeline" }</h2>
                            <p class="hint">{ "One lane per worker, coloured by state; the last 20 seconds scroll by. Ticks mark messages, broadcasts, pauses and failures." }</p>
                            <Timeline />
                        </section>
                        <section class="panel wide" aria-labelledby="chart-title">
                            <h2 id="chart-title">{ "Throughput" }</h2>
                            <Chart />
                        </section>
                        { store.errors.get("refresh").map(|e| html! { <p class="error" data-testid="error" role="alert">{ e.clone() }</p> }).unwrap_or_default() }
                    </main>
                },
                _ => Html::default(),
            }}
        </ContextProvider<Store>>
    }
}

#[function_component(Isolation)]
fn isolation() -> Html {
    let store = use_context::<Store>().expect("the store");
    match &store.phase {
        Phase::Starting => {
            html! { <p data-testid="isolation-status" class="notice">{ "Starting the pool of Web Workers…" }</p> }
        }
        Phase::Ready => html! {
            <p data-testid="isolation-status" class="notice ok">
                { format!("This page is cross-origin isolated: SharedArrayBuffer is available, and {} Web Workers share one memory (capacity: {} workers at once).", store.pool, store.pool) }
            </p>
        },
        Phase::NotIsolated => html! {
            <div data-testid="isolation-status" class="notice error" role="alert">
                <p><strong>{ "Threads are unavailable: this page was served without isolation from other origins, so the browser withholds SharedArrayBuffer." }</strong></p>
                <p>{ "Serve it with the headers " }<code>{ "Cross-Origin-Opener-Policy: same-origin" }</code>{ " and " }<code>{ "Cross-Origin-Embedder-Policy: require-corp" }</code>{ "." }</p>
                <p>{ "From the repository, " }<code>{ "cargo xtask serve" }</code>{ " does that (Trunk.toml sets both)." }</p>
            </div>
        },
        Phase::Failed(why) => html! {
            <p data-testid="isolation-status" class="notice error" role="alert">{ format!("The app could not start: {why}") }</p>
        },
    }
}
