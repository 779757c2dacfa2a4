//! The charts the pages share: Chart.js charts and their options (the server renders an empty
//! canvas with its data described in text; in the browser the chart is drawn once the app has
//! hydrated, and destroyed with its component, so a new date range never leaves old charts
//! behind), the week rhythm grid and the sparkline, drawn by us.

use leptos::prelude::*;

use crate::domain::format::count;

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

/// Text and grid colour that reads on light and dark backgrounds alike.
const CHART_INK: &str = "#8a94a6";
pub use crate::domain::drawing::{ACCENT, SECOND};

/// Our charts' options: sized by their box, readable in light and dark mode; with `by_day`, the
/// tooltip shows every series of the hovered day.
pub fn chart_options(by_day: bool) -> serde_json::Value {
    let axis = serde_json::json!({ "ticks": { "color": CHART_INK }, "grid": { "color": "rgba(138,148,166,0.2)" } });
    let mut options = serde_json::json!({
        "responsive": true,
        // Live pages redraw charts as data arrives: no animation from zero each time.
        "animation": false,
        "maintainAspectRatio": false,
        "plugins": { "legend": { "labels": { "color": CHART_INK } } },
        "scales": { "x": axis.clone(), "y": axis },
    });
    if by_day {
        options["interaction"] = serde_json::json!({ "mode": "index", "intersect": false });
    }
    options
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Key presses by day of the week and hour: when the user (or the team) works.
#[component]
pub fn WeekdayHour(grid: Vec<Vec<u64>>, widget: &'static str, caption: &'static str) -> impl IntoView {
    let max = grid.iter().flatten().copied().max().unwrap_or(0).max(1);
    view! {
        <section class="card" data-widget=widget>
            <h2>"Week rhythm"</h2>
            <table class="rhythm">
                <caption class="muted small">{caption}</caption>
                <thead>
                    <tr>
                        <th></th>
                        {(0..24).map(|h| view! { <th scope="col">{if h % 6 == 0 { format!("{h}") } else { String::new() }}</th> }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    {grid
                        .into_iter()
                        .zip(WEEKDAYS)
                        .map(|(row, day)| {
                            view! {
                                <tr>
                                    <th scope="row">{day}</th>
                                    {row
                                        .into_iter()
                                        .enumerate()
                                        .map(|(hour, n)| {
                                            view! {
                                                <td
                                                    title=format!("{day} {hour:02}:00: {} key presses", count(n))
                                                    style=format!("--heat: {:.3}", n as f64 / max as f64)
                                                ></td>
                                            }
                                        })
                                        .collect_view()}
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </section>
    }
}

/// A small line of values over the days of the range (the trend of one shortcut).
#[component]
pub fn Sparkline(values: Vec<u64>, label: String) -> impl IntoView {
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    let step = if values.len() > 1 { 100.0 / (values.len() - 1) as f64 } else { 0.0 };
    let points: Vec<String> = values
        .iter()
        .enumerate()
        .map(|(i, n)| format!("{:.1},{:.1}", i as f64 * step, 18.0 - 16.0 * *n as f64 / max))
        .collect();
    view! {
        <svg class="sparkline" viewBox="0 0 100 20" preserveAspectRatio="none" role="img" aria-label=label>
            <polyline points=points.join(" ")/>
        </svg>
    }
}
