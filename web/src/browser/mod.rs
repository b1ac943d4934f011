//! The part of the app that needs a browser: the connection to the threads
//! module, the script runner, the components and the app that wires them.

mod app;
mod attach;
mod commands;
mod components;
mod connection;
mod export;
mod lessons;
mod remote;
mod renders;
mod replay;
mod script;

/// Renders the app into the page's `#app` element.
pub fn start() {
    renders::publish();
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("app"));
    match root {
        Some(root) => {
            root.set_inner_html("");
            yew::Renderer::<app::App>::with_root(root).render();
        }
        None => {
            yew::Renderer::<app::App>::new().render();
        }
    }
}
