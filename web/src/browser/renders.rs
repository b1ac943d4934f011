//! Counts each component's renders, so a test can see that a refresh
//! re-renders only what changed: `window.threadyardRenders()` returns
//! `{name: renders so far}` (a row or lane is named with its worker:
//! `WorkerRow worker_1`).

use std::cell::RefCell;
use std::collections::BTreeMap;

use wasm_bindgen::prelude::*;

thread_local! {
    static RENDERS: RefCell<BTreeMap<String, u32>> = const { RefCell::new(BTreeMap::new()) };
}

/// One render of `component`.
pub fn count(component: &str) {
    RENDERS.with(|r| {
        let mut renders = r.borrow_mut();
        match renders.get_mut(component) {
            Some(n) => *n += 1,
            None => {
                renders.insert(component.to_owned(), 1);
            }
        }
    });
}

/// Puts `threadyardRenders()` on the window.
pub fn publish() {
    let read = Closure::<dyn Fn() -> JsValue>::new(|| {
        let counts = js_sys::Object::new();
        RENDERS.with(|r| {
            for (name, n) in r.borrow().iter() {
                let _ = js_sys::Reflect::set(&counts, &JsValue::from_str(name), &JsValue::from(*n));
            }
        });
        counts.into()
    });
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(
            &window,
            &JsValue::from_str("threadyardRenders"),
            &read.into_js_value(),
        );
    }
}
