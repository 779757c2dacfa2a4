//! Chart.js charts. The server renders an empty canvas with its data described in text; in the
//! browser the chart is drawn once the app has hydrated, and destroyed with its component (so a
//! new date range never leaves old charts behind).

use leptos::prelude::*;

/// A Chart.js chart from its configuration (as Chart.js documents it, in JSON).
#[component]
pub fn Chart(
    /// The Chart.js configuration: `{type, data, options}`.
    config: serde_json::Value,
    /// What the chart shows, for screen readers.
    label: String,
) -> impl IntoView {
    let canvas = NodeRef::<leptos::html::Canvas>::new();
    #[cfg(feature = "hydrate")]
    {
        let config = config.to_string();
        let drawn = StoredValue::new_local(None::<chart_js::Chart>);
        Effect::new(move |_| {
            if let Some(element) = canvas.get() {
                match chart_js::draw(&element.into(), &config) {
                    Ok(chart) => drawn.set_value(Some(chart)),
                    Err(error) => leptos::logging::error!("the chart could not be drawn: {error:?}"),
                }
            }
        });
        on_cleanup(move || {
            drawn.update_value(|chart| {
                if let Some(chart) = chart.take() {
                    chart.destroy();
                }
            })
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = config;
    view! {
        <div class="chart">
            <canvas node_ref=canvas role="img" aria-label=label></canvas>
        </div>
    }
}

#[cfg(feature = "hydrate")]
mod chart_js {
    use wasm_bindgen::prelude::*;

    #[wasm_bindgen]
    extern "C" {
        /// `window.Chart`, loaded by the page's `<script>`.
        pub type Chart;

        #[wasm_bindgen(constructor, catch)]
        fn new(canvas: &JsValue, config: &JsValue) -> Result<Chart, JsValue>;

        #[wasm_bindgen(method)]
        pub fn destroy(this: &Chart);
    }

    pub fn draw(canvas: &JsValue, config: &str) -> Result<Chart, JsValue> {
        let config = js_sys::JSON::parse(config)?;
        Chart::new(canvas, &config)
    }
}
