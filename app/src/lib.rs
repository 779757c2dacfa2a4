//! The KeyTrack web app: one crate that is both the server (feature `ssr`: axum, SQLite, the JSON
//! API and server-side rendering) and the browser UI (feature `hydrate`: the same components,
//! compiled to wasm, taking over the server-rendered page).

#![recursion_limit = "256"]

#[cfg(feature = "ssr")]
pub mod admin;
pub mod api;
pub mod domain;
pub mod model;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Marks for the first-load measurement (end2end/bench/first-load.mjs): when the wasm began to
    // run, and when hydration's walk of the page ended (effects, the charts among them, run after).
    mark("keytrack-hydrate-start");
    leptos::mount::hydrate_body(ui::App);
    mark("keytrack-hydrate-end");
}

#[cfg(feature = "hydrate")]
fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|window| window.performance()) {
        let _ = performance.mark(name);
    }
}
