//! The title, the pages' navigation and whether threads can run here.

use yew::prelude::*;

use crate::browser::renders;
use crate::state::{Page, Phase, STOPPED};

#[derive(Properties, PartialEq)]
pub struct HeaderProps {
    pub page: Page,
    pub phase: Phase,
    pub pool: usize,
    /// The page's service worker is about to take control (and reload).
    pub service_worker_pending: bool,
}

#[function_component(Header)]
pub fn header(props: &HeaderProps) -> Html {
    renders::count("Header");
    html! {
        <header>
            <h1>{ "threadyard" }</h1>
            <p class="tagline">{ "Real threads (Web Workers sharing one memory), paused, messaged and watched as they run." }</p>
            <nav aria-label="Pages">
                { for [
                    (Page::Yard, "#/", "nav-yard", "The yard"),
                    (Page::Steps, "#/steps", "nav-steps", "Races and deadlocks"),
                    (Page::Learn, "#/learn", "nav-learn", "The ideas"),
                    (Page::Seed, "#/seed", "nav-seed", "What the seed got wrong"),
                ].into_iter().map(|(page, href, testid, label)| html! {
                    <a {href} data-testid={testid} aria-current={(props.page == page).then_some("page")}>{ label }</a>
                }) }
            </nav>
            { isolation(props) }
        </header>
    }
}

fn isolation(props: &HeaderProps) -> Html {
    match &props.phase {
        Phase::Starting => {
            html! { <p data-testid="isolation-status" class="notice" role="status">{ "Starting the pool of Web Workers…" }</p> }
        }
        Phase::Ready => html! {
            <p data-testid="isolation-status" class="notice ok">
                { format!("This page is cross-origin isolated: SharedArrayBuffer is available, and {} Web Workers share one memory (capacity: {} workers at once).", props.pool, props.pool) }
            </p>
        },
        Phase::NotIsolated => html! {
            <div data-testid="isolation-status" class="notice error" role="alert">
                <p><strong>{ "Threads are unavailable: this page was served without isolation from other origins, so the browser withholds SharedArrayBuffer." }</strong></p>
                <p>{ "Serve it with the headers " }<code>{ "Cross-Origin-Opener-Policy: same-origin" }</code>{ " and " }<code>{ "Cross-Origin-Embedder-Policy: require-corp" }</code>{ "." }</p>
                <p>{ "From the repository, " }<code>{ "cargo xtask serve" }</code>{ " does that (Trunk.toml sets both)." }</p>
                if props.service_worker_pending {
                    <p data-testid="isolation-pending">{ "This page is installing its service worker (sw.js), which adds those headers on hosts that cannot send them, and then reloads by itself. If it has not reloaded within a few seconds, service workers are blocked in this browser: serve the page with the headers instead." }</p>
                } else {
                    <p>{ "On a static host that cannot send headers, the page's own service worker adds them: it needs HTTPS (or localhost) and service workers allowed in the browser. See \"Hosting anywhere\" in the README." }</p>
                }
            </div>
        },
        Phase::Stopped => html! {
            <p data-testid="isolation-status" class="notice error" role="alert">
                <span data-testid="module-stopped">{ STOPPED }</span>
                { " " }
                <button onclick={Callback::from(|_| { let _ = web_sys::window().map(|w| w.location().reload()); })}>{ "Reload" }</button>
            </p>
        },
        Phase::Failed(why) => html! {
            <p data-testid="isolation-status" class="notice error" role="alert">{ format!("The app could not start: {why}") }</p>
        },
    }
}
