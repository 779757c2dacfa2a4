//! The keyboard heatmap: a US ANSI keyboard drawn in SVG, each key shaded by its presses on a
//! log scale (a few keys take most presses; a linear scale would leave the rest blank). Hovering
//! or focusing a key shows its count.

use std::collections::BTreeMap;

use leptos::prelude::*;

use crate::domain::format::count;

/// (code, label, width in key units); rows of the main block, function row first.
const ROWS: &[&[(&str, &str, f64)]] = &[
    &[
        ("Escape", "Esc", 1.0),
        ("F1", "F1", 1.0),
        ("F2", "F2", 1.0),
        ("F3", "F3", 1.0),
        ("F4", "F4", 1.0),
        ("F5", "F5", 1.0),
        ("F6", "F6", 1.0),
        ("F7", "F7", 1.0),
        ("F8", "F8", 1.0),
        ("F9", "F9", 1.0),
        ("F10", "F10", 1.0),
        ("F11", "F11", 1.0),
        ("F12", "F12", 1.0),
    ],
    &[
        ("Backquote", "`", 1.0),
        ("Digit1", "1", 1.0),
        ("Digit2", "2", 1.0),
        ("Digit3", "3", 1.0),
        ("Digit4", "4", 1.0),
        ("Digit5", "5", 1.0),
        ("Digit6", "6", 1.0),
        ("Digit7", "7", 1.0),
        ("Digit8", "8", 1.0),
        ("Digit9", "9", 1.0),
        ("Digit0", "0", 1.0),
        ("Minus", "-", 1.0),
        ("Equal", "=", 1.0),
        ("Backspace", "Backspace", 2.0),
    ],
    &[
        ("Tab", "Tab", 1.5),
        ("KeyQ", "Q", 1.0),
        ("KeyW", "W", 1.0),
        ("KeyE", "E", 1.0),
        ("KeyR", "R", 1.0),
        ("KeyT", "T", 1.0),
        ("KeyY", "Y", 1.0),
        ("KeyU", "U", 1.0),
        ("KeyI", "I", 1.0),
        ("KeyO", "O", 1.0),
        ("KeyP", "P", 1.0),
        ("BracketLeft", "[", 1.0),
        ("BracketRight", "]", 1.0),
        ("Backslash", "\\", 1.5),
    ],
    &[
        ("CapsLock", "Caps", 1.75),
        ("KeyA", "A", 1.0),
        ("KeyS", "S", 1.0),
        ("KeyD", "D", 1.0),
        ("KeyF", "F", 1.0),
        ("KeyG", "G", 1.0),
        ("KeyH", "H", 1.0),
        ("KeyJ", "J", 1.0),
        ("KeyK", "K", 1.0),
        ("KeyL", "L", 1.0),
        ("Semicolon", ";", 1.0),
        ("Quote", "'", 1.0),
        ("Enter", "Enter", 2.25),
    ],
    &[
        ("ShiftLeft", "Shift", 2.25),
        ("KeyZ", "Z", 1.0),
        ("KeyX", "X", 1.0),
        ("KeyC", "C", 1.0),
        ("KeyV", "V", 1.0),
        ("KeyB", "B", 1.0),
        ("KeyN", "N", 1.0),
        ("KeyM", "M", 1.0),
        ("Comma", ",", 1.0),
        ("Period", ".", 1.0),
        ("Slash", "/", 1.0),
        ("ShiftRight", "Shift", 2.75),
    ],
    &[
        ("ControlLeft", "Ctrl", 1.25),
        ("MetaLeft", "Meta", 1.25),
        ("AltLeft", "Alt", 1.25),
        ("Space", "Space", 6.25),
        ("AltRight", "Alt", 1.25),
        ("MetaRight", "Meta", 1.25),
        ("ContextMenu", "Menu", 1.25),
        ("ControlRight", "Ctrl", 1.25),
    ],
];

const UNIT: f64 = 40.0;
const GAP: f64 = 4.0;

/// 0 for no presses, 1 for the most pressed key, logarithmic in between.
fn shade(n: u64, max: u64) -> f64 {
    if n == 0 || max == 0 {
        return 0.0;
    }
    (1.0 + n as f64).ln() / (1.0 + max as f64).ln()
}

#[component]
pub fn KeyboardHeatmap(keys: BTreeMap<String, u64>) -> impl IntoView {
    let max = keys.values().copied().max().unwrap_or(0);
    let hovered = RwSignal::new(None::<(String, u64)>);
    let width = 15.0 * UNIT;
    let height = ROWS.len() as f64 * UNIT + 0.5 * UNIT;
    let mut drawn = Vec::new();
    for (row_index, row) in ROWS.iter().enumerate() {
        // The function row stands a little apart, as on a real keyboard.
        let y = row_index as f64 * UNIT + if row_index > 0 { 0.5 * UNIT } else { 0.0 };
        let mut x = 0.0;
        for (code, label, units) in row.iter() {
            let n = keys.get(*code).copied().unwrap_or(0);
            drawn.push((code.to_string(), *label, x, y, units * UNIT - GAP, n));
            x += units * UNIT;
        }
    }
    let unplaced: u64 = keys
        .iter()
        .filter(|(code, _)| !ROWS.iter().flat_map(|r| r.iter()).any(|(c, _, _)| c == code))
        .map(|(_, n)| n)
        .sum();
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
                                    height=UNIT - GAP
                                    rx="5"
                                    style=format!("--heat: {:.3}", shade(n, max))
                                />
                                <text x=x + w / 2.0 y=y + UNIT / 2.0 + 2.0>{label}</text>
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_logarithmic_from_zero_to_one() {
        assert_eq!(shade(0, 100), 0.0);
        assert_eq!(shade(100, 100), 1.0);
        // 10 of 1,000 presses is 1% but a third of the way up the scale.
        assert!((shade(10, 1000) - 0.347).abs() < 0.01);
    }

    #[test]
    fn every_key_drawn_is_a_code_the_server_accepts() {
        for (code, _, _) in ROWS.iter().flat_map(|r| r.iter()) {
            assert!(keytrack_wire::is_known_key(code), "{code}");
        }
    }
}
