//! The conformance suite on Web Workers, in headless Chromium.
//!
//! It runs in a dedicated worker, where blocking is allowed (the cases block
//! on channels as the native run does); the workers under test run on
//! wasm-bindgen-rayon's pool of Web Workers sharing this module's memory.

#![cfg(target_arch = "wasm32")]

use std::sync::atomic::{AtomicBool, Ordering};

use threadyard_conformance::*;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_dedicated_worker);

/// Web Workers in the pool. More than this machine's 2 cores on purpose: the
/// cases keep up to five workers alive at once, and the managers' capacity
/// must come from the pool size, not from the core count.
const POOL: usize = 8;

async fn pool() {
    static STARTED: AtomicBool = AtomicBool::new(false);
    if !STARTED.swap(true, Ordering::SeqCst) {
        wasm_bindgen_futures::JsFuture::from(wasm_bindgen_rayon::init_thread_pool(POOL))
            .await
            .expect("the Web Worker pool starts");
    }
}

macro_rules! web {
    ($($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test]
            async fn $case() {
                pool().await;
                $module::$case();
            }
        )*
    };
}

macro_rules! web_async {
    ($($module:ident :: $case:ident),* $(,)?) => {
        $(
            #[wasm_bindgen_test]
            async fn $case() {
                pool().await;
                $module::$case().await;
            }
        )*
    };
}

for_each_case!(web);
for_each_async_case!(web_async);
