//! The narration: each event in plain words, announced politely to screen
//! readers as it comes. A line marks its moment on the timeline when picked
//! (click, or Enter/Space); the list is one stop for Tab, and the arrow
//! keys, Home and End move between its lines.

use web_sys::HtmlElement;
use yew::prelude::*;

use super::shared::Shared;
use crate::browser::renders;
use crate::narration::Narrator;

#[derive(Properties, PartialEq)]
pub struct NarrationProps {
    pub narrator: Shared<Narrator>,
    pub marker: Option<f64>,
    /// A moment picked (or `None`: unpicked).
    pub on_mark: Callback<Option<f64>>,
}

/// Moves focus from the focused line to the one `key` names.
fn move_focus(list: &NodeRef, key: &str) -> bool {
    let Some(list) = list.cast::<HtmlElement>() else {
        return false;
    };
    let lines = list.children();
    let count = lines.length();
    if count == 0 {
        return false;
    }
    let focused = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.active_element());
    let at = (0..count).find(|i| lines.item(*i).as_ref() == focused.as_ref());
    let to = match (key, at) {
        ("ArrowDown", Some(i)) => (i + 1).min(count - 1),
        ("ArrowUp", Some(i)) => i.saturating_sub(1),
        ("Home", _) => 0,
        ("End", _) | (_, None) => count - 1,
        _ => return false,
    };
    if let Some(line) = lines
        .item(to)
        .and_then(|e| wasm_bindgen::JsCast::dyn_into::<HtmlElement>(e).ok())
    {
        let _ = line.focus();
    }
    true
}

#[function_component(NarrationPanel)]
pub fn narration_panel(props: &NarrationProps) -> Html {
    renders::count("NarrationPanel");
    let list = use_node_ref();
    let lines = &props.narrator.lines;
    let (count, last) = (lines.len(), lines.back().map(|l| l.at_ms));
    {
        // Keep the newest line in view as lines arrive.
        let list = list.clone();
        use_effect_with((count, last), move |_| {
            if let Some(el) = list.cast::<HtmlElement>() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    }
    let on_key = {
        let list = list.clone();
        Callback::from(move |e: KeyboardEvent| {
            if matches!(e.key().as_str(), "ArrowDown" | "ArrowUp" | "Home" | "End")
                && move_focus(&list, &e.key())
            {
                e.prevent_default();
            }
        })
    };
    // The one line Tab reaches: the marked one, else the newest.
    let marked_index = props
        .marker
        .and_then(|at| lines.iter().position(|l| l.at_ms == at));
    let tab_stop = marked_index.unwrap_or(count.saturating_sub(1));
    html! {
        <section class="panel narration-panel" aria-labelledby="narration-title">
            <h2 id="narration-title">{ "What is happening" }</h2>
            <p class="hint" id="narration-hint">{ "Each event in plain words, as it happens. Pick a line (click, or Enter) to mark its moment on the timeline; arrow keys move between lines." }</p>
            <ol class="narration" data-testid="narration" ref={list} aria-live="polite" aria-relevant="additions" aria-describedby="narration-hint" onkeydown={on_key}>
                { for lines.iter().enumerate().map(|(i, line)| {
                    let at = line.at_ms;
                    let marked = props.marker == Some(at);
                    let pick = {
                        let on_mark = props.on_mark.clone();
                        move || on_mark.emit(if marked { None } else { Some(at) })
                    };
                    let onclick = {
                        let pick = pick.clone();
                        Callback::from(move |_: MouseEvent| pick())
                    };
                    let onkeydown = Callback::from(move |e: KeyboardEvent| {
                        if matches!(e.key().as_str(), "Enter" | " ") {
                            e.prevent_default();
                            pick();
                        }
                    });
                    html! {
                        <li class={classes!(line.kind.class(), marked.then_some("marked"))} {onclick} {onkeydown}
                            tabindex={if i == tab_stop { "0" } else { "-1" }} aria-current={marked.then_some("true")}
                            title="Show this moment on the timeline">
                            <time title={format!("{:.2} s real", at / 1e3)}>{ props.narrator.when(at) }</time>{ " " }{ line.text.clone() }
                        </li>
                    }
                }) }
            </ol>
        </section>
    }
}
