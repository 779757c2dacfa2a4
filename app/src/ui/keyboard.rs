//! The keyboard heatmap: the whole keyboard (function row, main block, navigation, arrows,
//! numpad, and any other key counted) drawn in SVG (`domain::drawing`) in the shape and with the
//! labels of the user's layout, each key shaded by its presses on a log scale. Hovering or
//! focusing a key shows its count.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::domain::drawing::{KeyboardDrawing, log_scale};
use crate::domain::format::count;
use crate::domain::layouts::KeyboardLayout;

#[component]
pub fn KeyboardHeatmap(
    keys: BTreeMap<String, u64>,
    /// The user's layout (`KeyboardLayout::id`): the shape and labels; counts stay per key.
    layout: String,
) -> impl IntoView {
    let layout = KeyboardLayout::or_us(&layout);
    let max = keys.values().copied().max().unwrap_or(0);
    let hovered = RwSignal::new(None::<(String, u64)>);
    let drawing = KeyboardDrawing::new(layout, keys.keys().map(String::as_str));
    let (width, height) = (drawing.width, drawing.height);
    let drawn: Vec<_> = drawing
        .keys
        .into_iter()
        .map(|k| {
            let n = keys.get(k.code).copied().unwrap_or(0);
            (k.code.to_string(), k.label, k.x, k.y, k.width, k.height, n)
        })
        .collect();
    view! {
        <section class="card wide" data-widget="keyboard-heatmap">
            <h2>"Keyboard"</h2>
            <p class="muted small" data-testid="keyboard-layout">
                {format!("Labelled for {}; change it in your profile.", layout.name())}
            </p>
            <svg
                class="keyboard"
                viewBox=format!("0 0 {width} {height}")
                role="img"
                aria-label="Key presses per key, darker is more"
            >
                {drawn
                    .into_iter()
                    .map(|(code, label, x, y, w, h, n)| {
                        let title = format!("{code}: {} presses", count(n));
                        let hover = (code.clone(), n);
                        let focus = hover.clone();
                        view! {
                            <g
                                class="key"
                                tabindex="0"
                                data-key=code
                                on:mouseenter=move |_| hovered.set(Some(hover.clone()))
                                on:focus=move |_| hovered.set(Some(focus.clone()))
                            >
                                <title>{title}</title>
                                <rect
                                    x=x
                                    y=y
                                    width=w
                                    height=h
                                    rx="5"
                                    style=format!("--heat: {:.3}", log_scale(n, max))
                                />
                                <text x=x + w / 2.0 y=y + h / 2.0 + 2.0>{label}</text>
                            </g>
                        }
                    })
                    .collect_view()}
            </svg>
            <p class="muted" data-testid="key-readout" aria-live="polite">
                {move || match hovered.get() {
                    Some((code, n)) => format!("{code}: {} presses", count(n)),
                    None => "Hover or focus a key to see its presses.".to_string(),
                }}
            </p>
        </section>
    }
}
