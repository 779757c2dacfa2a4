//! The keyboard heatmap: a US ANSI keyboard drawn in SVG (`domain::drawing`), each key shaded by
//! its presses on a log scale. Hovering or focusing a key shows its count.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::domain::drawing::{KEY_GAP, KEY_UNIT, is_drawn, keyboard_size, log_scale, placed_keys};
use crate::domain::format::count;

#[component]
pub fn KeyboardHeatmap(keys: BTreeMap<String, u64>) -> impl IntoView {
    let max = keys.values().copied().max().unwrap_or(0);
    let hovered = RwSignal::new(None::<(String, u64)>);
    let (width, height) = keyboard_size();
    let drawn: Vec<_> = placed_keys()
        .into_iter()
        .map(|k| (k.code.to_string(), k.label, k.x, k.y, k.width, keys.get(k.code).copied().unwrap_or(0)))
        .collect();
    let unplaced: u64 = keys.iter().filter(|(code, _)| !is_drawn(code)).map(|(_, n)| n).sum();
    view! {
        <section class="card wide" data-widget="keyboard-heatmap">
            <h2>"Keyboard"</h2>
            <svg
                class="keyboard"
                viewBox=format!("0 0 {width} {height}")
                role="img"
                aria-label="Key presses per key, darker is more"
            >
                {drawn
                    .into_iter()
                    .map(|(code, label, x, y, w, n)| {
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
                                    height=KEY_UNIT - KEY_GAP
                                    rx="5"
                                    style=format!("--heat: {:.3}", log_scale(n, max))
                                />
                                <text x=x + w / 2.0 y=y + KEY_UNIT / 2.0 + 2.0>{label}</text>
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
            {(unplaced > 0)
                .then(|| {
                    view! {
                        <p class="muted small">
                            {format!("{} presses on keys outside this layout (arrows, numpad, media keys).", count(unplaced))}
                        </p>
                    }
                })}
        </section>
    }
}
