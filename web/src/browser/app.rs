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
use crate::learn::{Learn, SeedNotes};
use crate::model::{read, EventPage, Report, ScenarioView, Snapshot};
use crate::narration::{LineKind, Narrator};
use crate::table::Table;
use crate::teach::{NarrationPanel, ScenarioPanel};
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

/// The page shown: the yard itself, or one of the reading pages.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Yard,
    Learn,
    Seed,
}

impl Page {
    /// The page a location hash names (`#/learn`, `#/seed`); the yard otherwise.
    fn from_hash(hash: &str) -> Self {
        match hash.trim_start_matches('#').trim_start_matches('/') {
            "learn" => Self::Learn,
            "seed" => Self::Seed,
            _ => Self::Yard,
        }
    }
}

fn current_page() -> Page {
    let hash = web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .unwrap_or_default();
    Page::from_hash(&hash)
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
    pub narrator: Narrator,
    /// Speed of the workloads and of a scenario's script.
    pub speed: f64,
    /// A moment picked in the narration, shown on the timeline.
    pub marker: Option<f64>,
    /// The scenario running or last run on this manager.
    pub scenario: Option<ScenarioView>,
    /// The scenario finished; its lessons are told at the next refresh.
    pub lesson_due: bool,
    pub page: Page,
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
    /// A narration line: at (manager ms), kind, text.
    Say(f64, LineKind, String),
    SetSpeed(f64),
    Mark(Option<f64>),
    ScenarioStarted(Yard, ScenarioView),
    /// The script's last step is done: its lessons follow the events that
    /// the next refresh brings (the shutdown's own, among them).
    ScenarioFinished,
    Page(Page),
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
                    next.narrator.event(event);
                }
                next.history.sample(&snapshot);
                next.narrator.sample(&snapshot);
                if std::mem::take(&mut next.lesson_due) {
                    next.finish_scenario(&snapshot);
                }
                next.snapshot = snapshot;
            }
            Action::Say(at, kind, text) => next.narrator.say(at, kind, text),
            Action::SetSpeed(speed) => {
                next.errors.remove("speed");
                next.speed = speed;
                next.narrator.speed = speed;
            }
            Action::Mark(at) => next.marker = at,
            Action::ScenarioStarted(yard, scenario) => {
                next.reset(yard);
                next.scenario = Some(scenario);
            }
            Action::ScenarioFinished => next.lesson_due = true,
            Action::Page(page) => next.page = page,
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
                next.reset(yard);
                next.scenario = None;
            }
        }
        Rc::new(next)
    }
}

impl AppState {
    /// A fresh manager: what the page showed of the old one goes.
    fn reset(&mut self, yard: Yard) {
        self.yard = Some(yard);
        self.report = None;
        self.history = History::default();
        self.snapshot = Snapshot::default();
        self.errors.clear();
        self.notes.clear();
        self.auto_named = 0;
        self.narrator = Narrator::at_speed(self.speed);
        self.marker = None;
        self.lesson_due = false;
    }

    /// The lesson lines at the end of a scenario: what to look for, and the
    /// figures that show it.
    fn finish_scenario(&mut self, last: &Snapshot) {
        let Some(scenario) = &self.scenario else {
            return;
        };
        let counts: Vec<String> = last
            .workers
            .iter()
            .map(|w| {
                let mut s = format!("{} {} tasks ({})", w.id, w.tasks_completed, w.state);
                if w.restarts > 0 {
                    s += &format!(", {} restarts", w.restarts);
                }
                if w.pause_count > 0 {
                    s += &format!(", paused {:.1} s", w.paused_ms / 1e3);
                }
                s
            })
            .collect();
        let at = last.at_ms;
        self.narrator.say(
            at,
            LineKind::Lesson,
            format!(
                "Final figures (real time, the script ran at {}x): {}.",
                self.speed,
                counts.join("; ")
            ),
        );
        if let Some(r) = &self.report {
            let list = |ids: &[String]| {
                if ids.is_empty() {
                    "none".to_owned()
                } else {
                    ids.join(", ")
                }
            };
            let failed: Vec<String> = r.failed.iter().map(|f| f.id.clone()).collect();
            self.narrator.say(
                at,
                LineKind::Lesson,
                format!(
                    "Shutdown report: stopped cleanly: {}; failed: {}; did not stop in time: {}; messages never read: {}.",
                    list(&r.clean),
                    list(&failed),
                    list(&r.unresponsive),
                    r.undelivered_messages
                ),
            );
        }
        self.narrator.say(
            at,
            LineKind::Lesson,
            format!("Scenario finished. Look for: {}", scenario.look_for),
        );
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

/// True while the page's service worker (registered by index.html) has not
/// yet taken control: the page will reload isolated.
fn service_worker_pending() -> bool {
    let get =
        |target: &JsValue, key: &str| js_sys::Reflect::get(target, &JsValue::from_str(key)).ok();
    let Some(window) = web_sys::window().map(JsValue::from) else {
        return false;
    };
    let secure = get(&window, "isSecureContext").and_then(|v| v.as_bool()) == Some(true);
    let container = get(&window, "navigator")
        .and_then(|n| get(&n, "serviceWorker"))
        .filter(|c| !c.is_undefined() && !c.is_null());
    let uncontrolled = container
        .and_then(|c| get(&c, "controller"))
        .is_some_and(|c| c.is_null() || c.is_undefined());
    secure && uncontrolled
}

fn isolated() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &JsValue::from_str("crossOriginIsolated")).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// A new manager for free play: small mailboxes so back-pressure is
/// visible. Messages are not recorded as events (chatty workers send
/// thousands a second, each would take the event log's lock and become a
/// mark); the timeline marks message traffic from the mailbox counters.
pub fn new_manager(speed: f64) -> Result<Yard, String> {
    manager(16, false, speed)
}

/// A new manager. Scenarios record messages: their traffic is small and the
/// exported trace shows each one.
pub fn manager(mailbox_capacity: usize, record_messages: bool, speed: f64) -> Result<Yard, String> {
    let options = serde_json::json!({
        "mailboxCapacity": mailbox_capacity,
        "eventCapacity": 20000,
        "recordMessages": record_messages,
        "speed": speed,
    });
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
    Ok((new_manager(1.0)?, pool))
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
        narrator: Narrator::default(),
        speed: 1.0,
        marker: None,
        scenario: None,
        lesson_due: false,
        page: current_page(),
    });

    {
        // Back and forward move between the pages (they are location hashes).
        let store = store.clone();
        use_effect_with((), move |()| {
            let listener = Closure::<dyn Fn()>::new(move || {
                store.dispatch(Action::Page(current_page()));
            });
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback(
                    "hashchange",
                    listener.as_ref().unchecked_ref(),
                );
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
                <nav aria-label="Pages">
                                        { for [
                        (Page::Yard, "#/", "nav-yard", "The yard"),
                        (Page::Learn, "#/learn", "nav-learn", "The ideas"),
                        (Page::Seed, "#/seed", "nav-seed", "What the seed got wrong"),
                    ].into_iter().map(|(page, href, testid, label)| html! {
                        <a {href} data-testid={testid} aria-current={(store.page == page).then_some("page")}>{ label }</a>
                    }) }
                </nav>
                <Isolation />
            </header>
            <Learn hidden={store.page != Page::Learn} />
            <SeedNotes hidden={store.page != Page::Seed} />
            { match &store.phase {
                Phase::Ready => html! {
                    <main hidden={store.page != Page::Yard}>
                        <section class="teach">
                            <ScenarioPanel />
                            <NarrationPanel />
                        </section>
                        <Controls />
                        <Table />
                        <section class="panel wide" aria-labelledby="timeline-title">
                            <h2 id="timeline-title">{ "Timeline" }</h2>
                            <p class="hint">{ "One lane per worker, coloured by state; the last 20 seconds scroll by (20 s divided by the speed: 2 s at 10x), and once every worker has stopped it holds still at the end. Ticks mark messages, broadcasts, pauses and failures; a dashed line marks the moment picked in the narration." }</p>
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
                { if service_worker_pending() {
                    html! { <p data-testid="isolation-pending">{ "This page is installing its service worker (sw.js), which adds those headers on hosts that cannot send them, and then reloads by itself. If it has not reloaded within a few seconds, service workers are blocked in this browser: serve the page with the headers instead." }</p> }
                } else {
                    html! { <p>{ "On a static host that cannot send headers, the page's own service worker adds them: it needs HTTPS (or localhost) and service workers allowed in the browser. See \"Hosting anywhere\" in the README." }</p> }
                } }
            </div>
        },
        Phase::Failed(why) => html! {
            <p data-testid="isolation-status" class="notice error" role="alert">{ format!("The app could not start: {why}") }</p>
        },
    }
}
