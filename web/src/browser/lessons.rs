//! The threads module's stepped lessons (`Threadyard.lesson`, `grant`,
//! `settle`...), for the "Races and deadlocks" page. Declared apart from
//! `connection.rs`: the same JavaScript class, seen through the calls this
//! page makes.

use std::rc::Rc;

use js_sys::Promise;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use super::connection::{message, read};
use crate::stepping::{LessonView, StepView};

#[wasm_bindgen(raw_module = "./threads/threadyard_web.js")]
extern "C" {
    /// A manager running a stepped lesson.
    #[wasm_bindgen(js_name = Threadyard)]
    pub type LessonYard;

    #[wasm_bindgen(static_method_of = LessonYard, js_class = Threadyard, js_name = lessons, catch)]
    fn all_lessons() -> Result<JsValue, JsValue>;
    #[wasm_bindgen(static_method_of = LessonYard, js_class = Threadyard, js_name = lesson, catch)]
    fn lesson(id: &str, seed: &JsValue) -> Result<LessonYard, JsValue>;
    #[wasm_bindgen(method, js_class = Threadyard, catch)]
    fn grant(this: &LessonYard, id: &str) -> Result<(), JsValue>;
    #[wasm_bindgen(method, js_class = Threadyard, js_name = beginSteps, catch)]
    fn begin_steps(this: &LessonYard) -> Result<(), JsValue>;
    #[wasm_bindgen(method, js_class = Threadyard, catch)]
    fn settle(this: &LessonYard, timeout_ms: f64) -> Result<Promise, JsValue>;
    #[wasm_bindgen(method, js_class = Threadyard)]
    fn shutdown(this: &LessonYard, timeout_ms: f64) -> Promise;
}

/// How long a step may take to settle: only reached when something is
/// wrong. A step settles in milliseconds, but a page just opened on a loaded
/// machine starts its pool's Web Workers first; the 10 s this was is the
/// likeliest cause of a reopened link that once showed no run in the e2e
/// loop, so the deadline leaves room for a starved pool.
const SETTLE_MS: f64 = 60_000.0;

/// A lesson's run, compared by identity.
#[derive(Clone)]
pub struct Run(Rc<LessonYard>);

impl PartialEq for Run {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// Every lesson.
pub fn lessons() -> Result<Vec<LessonView>, String> {
    LessonYard::all_lessons()
        .map_err(|e| message(&e))
        .and_then(read::<Vec<LessonView>>)
}

impl Run {
    /// A learner's run of lesson `id` (`seed`: `None`), or a seeded random
    /// one, begun at once.
    pub fn start(id: &str, seed: Option<u64>) -> Result<Self, String> {
        let seed = seed.map_or(JsValue::NULL, |s| JsValue::from_f64(s as f64));
        let yard = LessonYard::lesson(id, &seed).map_err(|e| message(&e))?;
        if !seed.is_null() {
            yard.begin_steps().map_err(|e| message(&e))?;
        }
        Ok(Self(Rc::new(yard)))
    }

    /// The run once it has settled.
    pub async fn settled(&self) -> Result<StepView, String> {
        let promise = self.0.settle(SETTLE_MS).map_err(|e| message(&e))?;
        let value = JsFuture::from(promise).await.map_err(|e| message(&e))?;
        if value.is_null() {
            return Err(format!(
                "the run did not settle within {} s: reload the page, or try another lesson",
                SETTLE_MS / 1e3
            ));
        }
        read::<StepView>(value)
    }

    /// Grants worker `id` a step and waits for it to be done.
    pub async fn step(&self, id: &str) -> Result<StepView, String> {
        self.0.grant(id).map_err(|e| message(&e))?;
        self.settled().await
    }

    /// Ends the run (its held workers stop); resolves once they have.
    pub async fn end(&self) {
        let _ = JsFuture::from(self.0.shutdown(5_000.0)).await;
    }
}

/// Resolves after `ms` (setTimeout), to pace a playback.
pub async fn pause_for(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        if let Some(w) = web_sys::window() {
            let _ = w.set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms);
        }
    });
    let _ = JsFuture::from(promise).await;
}

/// Puts `hash` in the address bar without a new history entry (each step
/// would otherwise be one) and without a `hashchange`.
pub fn replace_hash(hash: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    let history = js_sys::Reflect::get(&window, &JsValue::from_str("history")).ok();
    let replace = history.as_ref().and_then(|h| {
        js_sys::Reflect::get(h, &JsValue::from_str("replaceState"))
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
    });
    if let (Some(history), Some(replace)) = (history, replace) {
        let _ = replace.call3(
            &history,
            &JsValue::NULL,
            &JsValue::from_str(""),
            &JsValue::from_str(hash),
        );
    }
}
