//! `initThreadPool(threads)`: the page's pool of Web Workers, started once.
//!
//! wasm-bindgen-rayon's own entry point takes a `usize` (so the glue coerces
//! whatever it is given, and a BigInt throws there) and, called a second
//! time, starts that many Web Workers again before failing with "called
//! `Result::unwrap_throw()` on an `Err` value" and leaving them running.
//! This one checks the count and says what happened on a second call.

use std::sync::atomic::{AtomicUsize, Ordering};

use js_sys::Promise;
use wasm_bindgen::prelude::*;

use crate::input::{self, error};

/// The most Web Workers one page's pool may have.
pub const MAX_POOL: usize = 256;

/// The pool's size once started; 0 before.
static STARTED: AtomicUsize = AtomicUsize::new(0);

/// Starts the pool with `threads` Web Workers (1 to 256; usually
/// `navigator.hardwareConcurrency`). Resolves once they are ready. A page
/// has one pool: a second call rejects with `PoolError`, saying its size.
#[wasm_bindgen(js_name = initThreadPool)]
pub fn init_thread_pool(threads: JsValue) -> Result<Promise, JsValue> {
    let n = input::number(&threads, "initThreadPool(threads): threads")?;
    if n.fract() != 0.0 || !(1.0..=MAX_POOL as f64).contains(&n) {
        return Err(error(
            "OptionsError",
            format_args!(
                "initThreadPool(threads): {n} is not a thread count: give a whole number from 1 to {MAX_POOL}"
            ),
        ));
    }
    let n = n as usize;
    match STARTED.compare_exchange(0, n, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => Ok(wasm_bindgen_rayon::init_thread_pool(n)),
        Err(size) => Ok(Promise::reject(&error(
            "PoolError",
            format_args!(
                "the pool of Web Workers is already started, with {size} threads: a page has one pool; reload the page to start another"
            ),
        ))),
    }
}
