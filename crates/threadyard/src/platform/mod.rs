//! The spawning seam: the only thing that differs per platform.
//!
//! The core asks a [`Spawn`] for a thread to run one job and never touches
//! `std::thread` or Web Workers itself (the way rayon-core's `ThreadSpawn`
//! lets wasm-bindgen-rayon supply threads).

#[cfg(not(target_arch = "wasm32"))]
mod native;
#[cfg(not(target_arch = "wasm32"))]
pub use native::NativeSpawner;
#[cfg(target_arch = "wasm32")]
mod web;
#[cfg(target_arch = "wasm32")]
pub use web::WebSpawner;

mod spawn;

pub use crate::threads::Occupancy;
pub use spawn::{Job, Spawn};

/// The platform's default spawner.
#[cfg(not(target_arch = "wasm32"))]
pub fn default_spawner() -> Box<dyn Spawn> {
    Box::new(NativeSpawner::default())
}

/// The platform's default spawner: the Web Worker pool.
#[cfg(target_arch = "wasm32")]
pub fn default_spawner() -> Box<dyn Spawn> {
    Box::new(WebSpawner)
}
