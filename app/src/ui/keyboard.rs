//! The keyboard heatmap: the whole keyboard (function row, main block, navigation, arrows,
//! numpad, and any other key counted) drawn in SVG (`domain::drawing`) in the shape and with the
//! labels of the user's layout, each key shaded by its presses on a log scale. Hovering or
//! focusing a key shows its count. The keyboard is one tab stop: the arrow keys, Home and End
//! walk its keys as they lie (a roving tabindex), not 108 stops of Tab.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::domain::drawing::{KeyboardDrawing, Step, log_scale, step_between};
use crate::domain::format::count;
use crate::domain::layouts::KeyboardLayout;
use crate::ui::widgets::{HeatLegend, focus_stop};

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
    // The key the Tab key lands on: the most pressed one at first, then the last one visited.
    let most_pressed = drawing
        .keys
        .iter()
        .enumerate()
        .max_by_key(|(i, k)| (keys.get(k.code).copied().unwrap_or(0), std::cmp::Reverse(*i)))
        .map_or(0, |(i, _)| i);
    let stop = RwSignal::new(most_pressed);
    let drawn: Vec<_> = drawing
        .keys
        .iter()
        .enumerate()
        .map(|(i, k)| {
            let n = keys.get(k.code).copied().unwrap_or(0);
            (i, k.code.to_string(), layout.key_name(k.code), k.label.clone(), k.x, k.y, k.width, k.height, n)
        })
        .collect();
    let placed = drawing.keys;
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if let Some(next) = Step::from_key(&ev.key()).and_then(|step| step_between(&placed, stop.get_untracked(), step))
        {
            stop.set(next);
            focus_stop(&ev, next);
        }
    };
    view! {
        <section class="card wide" data-widget="keyboard-heatmap">
            <h2>"Keyboard"</h2>
            <p class="muted small" data-testid="keyboard-layout">
                {format!("Labelled for {}; change it in your profile.", layout.name())}
            </p>
            <div class="keyboard-frame">
                <svg
                    class="keyboard"
                    viewBox=format!("0 0 {width} {height}")
                    role="group"
                    data-roving=""
                    aria-label="Key presses per key: the stronger the shade, the more presses. Arrow keys move between keys."
                    on:keydown=on_keydown
                >
                    {drawn
                        .into_iter()
                        .map(|(i, code, name, label, x, y, w, h, n)| {
                            let title = format!("{name}: {} presses", count(n));
                            let said = title.clone();
                            let hover = (name, n);
                            let focus = hover.clone();
                            let heat = log_scale(n, max);
                            view! {
                                <g
                                    class="key"
                                    role="img"
                                    aria-label=said
                                    tabindex=move || if stop.get() == i { "0" } else { "-1" }
                                    data-key=code
                                    data-stop=i
                                    on:mouseenter=move |_| hovered.set(Some(hover.clone()))
                                    on:focus=move |_| {
                                        stop.set(i);
                                        hovered.set(Some(focus.clone()));
                                    }
                                >
                                    <title>{title}</title>
                                    <rect
                                        x=x
                                        y=y
                                        width=w
                                        height=h
                                        rx="5"
                                        style=format!("--heat: {heat:.3}")
                                    />
                                    <text x=x + w / 2.0 y=y + h / 2.0 + 2.0 aria-hidden="true">{label}</text>
                                </g>
                            }
                        })
                        .collect_view()}
                </svg>
            </div>
            <HeatLegend class="keys"/>
            <p class="muted" data-testid="key-readout" aria-live="polite">
                {move || match hovered.get() {
                    Some((name, n)) => format!("{name}: {} presses", count(n)),
                    None => "Hover or focus a key to see its presses.".to_string(),
                }}
            </p>
        </section>
    }
}
