//! The stepped lessons for JavaScript: a manager that runs one, granted a
//! step at a time by the page (a learner) or by a seeded random chooser.
//!
//! ```js
//! const run = Threadyard.lesson("lost-update", null); // a learner grants
//! let view = await run.settle(5000);                   // every worker held
//! run.grant("worker_a");                               // one step
//! view = await run.settle(5000);
//! view.steps.lanes[0].next_text;                       // "store counter"
//! const search = Threadyard.lesson("deadlock", 7);     // seeded random steps
//! search.beginSteps();
//! (await search.settle(5000)).run.outcome.holds;       // false: a deadlock
//! ```

use std::panic::AssertUnwindSafe;
use std::rc::Rc;

use js_sys::Promise;
use serde::Serialize;
use threadyard::lessons::{self, Lesson, Run};
use threadyard::{Chooser, Deadlock, StepSnapshot, WaitEdge, Yard};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::future_to_promise;

use crate::api::{timeout, to_js, Threadyard};
use crate::input::{self, error};

/// What `steps()` and `settle()` give: the stepped run as it stands.
#[derive(Serialize)]
struct View<'a> {
    lesson: &'a Lesson,
    steps: StepSnapshot,
    waits: Vec<WaitEdge>,
    deadlocks: Vec<Deadlock>,
    run: Run,
}

fn view(yard: &Yard<String>, lesson: &Lesson) -> Result<JsValue, JsValue> {
    let Some(steps) = yard.steps() else {
        return Ok(JsValue::NULL);
    };
    let run = lessons::outcome(
        yard,
        lesson,
        steps.schedule.clone(),
        steps.left_schedule.clone(),
    );
    to_js(&View {
        lesson,
        waits: yard.waits(),
        deadlocks: yard.deadlocks(),
        steps,
        run,
    })
}

#[wasm_bindgen]
impl Threadyard {
    /// Every stepped lesson, as data: `[{id, title, teaches, try_this,
    /// when_broken, when_held, fixes, cells, locks, cast, expect}]`.
    pub fn lessons() -> Result<JsValue, JsValue> {
        to_js(&lessons::all())
    }

    /// A manager in stepped mode running lesson `id`, its workers started
    /// and held at their first step. `seed`: `null` (or `undefined`) for a
    /// learner, who grants each step with `grant`; a whole number from 0 to
    /// 2^53 for seeded random steps, which begin with `beginSteps()`.
    pub fn lesson(id: JsValue, seed: JsValue) -> Result<Threadyard, JsValue> {
        let id = input::string(&id, "lesson(id, seed): id", 64)?;
        let lesson = lessons::find(&id).ok_or_else(|| {
            error(
                "ArgumentError",
                format_args!("lesson(id, seed): no lesson called {id:?}: see Threadyard.lessons()"),
            )
        })?;
        let chooser = if seed.is_null() || seed.is_undefined() {
            Chooser::Learner
        } else {
            let seed = input::number(&seed, "lesson(id, seed): seed")?;
            if seed < 0.0 || seed.fract() != 0.0 || seed > 9_007_199_254_740_992.0 {
                return Err(error(
                    "OptionsError",
                    format_args!(
                        "lesson(id, seed): seed {seed} must be a whole number from 0 to 2^53"
                    ),
                ));
            }
            Chooser::Random { seed: seed as u64 }
        };
        let yard = Yard::<String>::builder()
            .stepped(chooser)
            .build()
            .map_err(|e| error("OptionsError", e))?;
        lessons::start(&yard, &lesson).map_err(|e| error("ControlError", e))?;
        Ok(Threadyard::for_lesson(yard, lesson))
    }

    /// Grants worker `id` one step (a learner's click). Throws
    /// `ControlError` saying why when it cannot go (not a stepped manager, a
    /// step still running, the worker blocked or finished).
    pub fn grant(&self, id: JsValue) -> Result<(), JsValue> {
        let id = input::id(&id, "grant")?;
        self.yard.grant(&id).map_err(|e| error("ControlError", e))
    }

    /// Lets a seeded chooser begin granting steps.
    #[wasm_bindgen(js_name = beginSteps)]
    pub fn begin_steps(&self) -> Result<(), JsValue> {
        self.yard
            .begin_steps()
            .map_err(|e| error("ControlError", e))
    }

    /// The stepped run now: `{lesson, steps: {lanes, schedule, settled,
    /// stuck, finished}, waits, deadlocks, run: {happened, cells, outcome}}`;
    /// `null` for a manager that runs no lesson.
    pub fn steps(&self) -> Result<JsValue, JsValue> {
        match &self.lesson {
            Some(lesson) => view(&self.yard, lesson),
            None => Ok(JsValue::NULL),
        }
    }

    /// Resolves to `steps()` once the run has settled (the step granted is
    /// done; a seeded run has finished or is stuck), or to `null` after
    /// `timeout_ms`.
    pub fn settle(&self, timeout_ms: JsValue) -> Result<Promise, JsValue> {
        let deadline = timeout(input::timeout_ms(
            &timeout_ms,
            "settle(timeoutMs): timeoutMs",
        )?);
        let yard = Rc::clone(&self.yard);
        let lesson = self.lesson.clone();
        Ok(future_to_promise(AssertUnwindSafe(async move {
            let Some(lesson) = lesson else {
                return Ok(JsValue::NULL);
            };
            match yard.settle_async(deadline).await {
                Ok(_) => view(&yard, &lesson),
                Err(_) => Ok(JsValue::NULL),
            }
        })))
    }
}
