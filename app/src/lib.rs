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
    // The page's route may be in a chunk of the wasm not fetched yet (`ui::pages`): hydration
    // waits for it, so it runs as a task (what `leptos::mount::hydrate_lazy` does, with the marks).
    // wasm-bindgen's own: leptos' executor is set up by the hydration that the task starts.
    wasm_bindgen_futures::spawn_local(async {
        leptos::mount::hydrate_from_async(leptos::tachys::dom::body(), ui::App).await.forget();
        mark("keytrack-hydrate-end");
        // `<html data-hydrated>` tells the browser tests and the first-load measurement that the
        // page answers clicks from now on: set once the effects hydration queued have run.
        leptos::task::spawn_local(async {
            if let Some(html) = leptos::prelude::document().document_element() {
                let _ = html.set_attribute("data-hydrated", "");
            }
        });
    });
}

#[cfg(feature = "hydrate")]
fn mark(name: &str) {
    if let Some(performance) = web_sys::window().and_then(|window| window.performance()) {
        let _ = performance.mark(name);
    }
}
