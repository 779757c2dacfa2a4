//! What the dashboard's pictures and the PDF report draw alike: the keyboard's keys and where
//! they sit, the logarithmic scale that shades keys and screen cells, and the colours.

use keytrack_wire::{GRID_COLS, GRID_ROWS, KEY_CODES, ScreenHeatmap, key_index};

use super::layouts::{KeyboardLayout, KeyboardShape};

/// The dashboard's two series colours (key presses, clicks).
pub const ACCENT: &str = "#2f6fde";
pub const SECOND: &str = "#e07b39";

/// A key unit and the gap between keys, in drawing units.
pub const KEY_UNIT: f64 = 40.0;
pub const KEY_GAP: f64 = 4.0;

/// One row of keys: (code, width in key units); a `""` code is a gap of that width.
type Row = &'static [(&'static str, f64)];

/// The function row above everything: Esc, F1-F12 in groups of four, the three system keys over
/// the navigation cluster and four media keys over the numpad.
const FUNCTION_ROW: Row = &[
    ("Escape", 1.0),
    ("", 1.0),
    ("F1", 1.0),
    ("F2", 1.0),
    ("F3", 1.0),
    ("F4", 1.0),
    ("", 0.5),
    ("F5", 1.0),
    ("F6", 1.0),
    ("F7", 1.0),
    ("F8", 1.0),
    ("", 0.5),
    ("F9", 1.0),
    ("F10", 1.0),
    ("F11", 1.0),
    ("F12", 1.0),
    ("", 0.5),
    ("PrintScreen", 1.0),
    ("ScrollLock", 1.0),
    ("Pause", 1.0),
    ("", 0.5),
    ("AudioVolumeMute", 1.0),
    ("AudioVolumeDown", 1.0),
    ("AudioVolumeUp", 1.0),
    ("MediaPlayPause", 1.0),
];

const NUMBER_ROW: Row = &[
    ("Backquote", 1.0),
    ("Digit1", 1.0),
    ("Digit2", 1.0),
    ("Digit3", 1.0),
    ("Digit4", 1.0),
    ("Digit5", 1.0),
    ("Digit6", 1.0),
    ("Digit7", 1.0),
    ("Digit8", 1.0),
    ("Digit9", 1.0),
    ("Digit0", 1.0),
    ("Minus", 1.0),
    ("Equal", 1.0),
    ("Backspace", 2.0),
];

const TOP_LETTERS: Row = &[
    ("Tab", 1.5),
    ("KeyQ", 1.0),
    ("KeyW", 1.0),
    ("KeyE", 1.0),
    ("KeyR", 1.0),
    ("KeyT", 1.0),
    ("KeyY", 1.0),
    ("KeyU", 1.0),
    ("KeyI", 1.0),
    ("KeyO", 1.0),
    ("KeyP", 1.0),
    ("BracketLeft", 1.0),
    ("BracketRight", 1.0),
];

const HOME_LETTERS: Row = &[
    ("CapsLock", 1.75),
    ("KeyA", 1.0),
    ("KeyS", 1.0),
    ("KeyD", 1.0),
    ("KeyF", 1.0),
    ("KeyG", 1.0),
    ("KeyH", 1.0),
    ("KeyJ", 1.0),
    ("KeyK", 1.0),
    ("KeyL", 1.0),
    ("Semicolon", 1.0),
    ("Quote", 1.0),
];

const BOTTOM_LETTERS: Row = &[
    ("KeyZ", 1.0),
    ("KeyX", 1.0),
    ("KeyC", 1.0),
    ("KeyV", 1.0),
    ("KeyB", 1.0),
    ("KeyN", 1.0),
    ("KeyM", 1.0),
    ("Comma", 1.0),
    ("Period", 1.0),
    ("Slash", 1.0),
    ("ShiftRight", 2.75),
];

const SPACE_ROW: Row = &[
    ("ControlLeft", 1.25),
    ("MetaLeft", 1.25),
    ("AltLeft", 1.25),
    ("Space", 6.25),
    ("AltRight", 1.25),
    ("MetaRight", 1.25),
    ("ContextMenu", 1.25),
    ("ControlRight", 1.25),
];

/// The navigation cluster and arrows, right of the main block: (code, column, row) with rows
/// counted like the main block's (1 = number row).
const NAVIGATION: &[(&str, f64, f64)] = &[
    ("Insert", 0.0, 1.0),
    ("Home", 1.0, 1.0),
    ("PageUp", 2.0, 1.0),
    ("Delete", 0.0, 2.0),
    ("End", 1.0, 2.0),
    ("PageDown", 2.0, 2.0),
    ("ArrowUp", 1.0, 4.0),
    ("ArrowLeft", 0.0, 5.0),
    ("ArrowDown", 1.0, 5.0),
    ("ArrowRight", 2.0, 5.0),
];

/// The numpad: (code, column, row, width, height) in key units.
const NUMPAD: &[(&str, f64, f64, f64, f64)] = &[
    ("NumLock", 0.0, 1.0, 1.0, 1.0),
    ("NumpadDivide", 1.0, 1.0, 1.0, 1.0),
    ("NumpadMultiply", 2.0, 1.0, 1.0, 1.0),
    ("NumpadSubtract", 3.0, 1.0, 1.0, 1.0),
    ("Numpad7", 0.0, 2.0, 1.0, 1.0),
    ("Numpad8", 1.0, 2.0, 1.0, 1.0),
    ("Numpad9", 2.0, 2.0, 1.0, 1.0),
    ("NumpadAdd", 3.0, 2.0, 1.0, 2.0),
    ("Numpad4", 0.0, 3.0, 1.0, 1.0),
    ("Numpad5", 1.0, 3.0, 1.0, 1.0),
    ("Numpad6", 2.0, 3.0, 1.0, 1.0),
    ("Numpad1", 0.0, 4.0, 1.0, 1.0),
    ("Numpad2", 1.0, 4.0, 1.0, 1.0),
    ("Numpad3", 2.0, 4.0, 1.0, 1.0),
    ("NumpadEnter", 3.0, 4.0, 1.0, 2.0),
    ("Numpad0", 0.0, 5.0, 2.0, 1.0),
    ("NumpadDecimal", 2.0, 5.0, 1.0, 1.0),
];

/// Width of the main block, and where the navigation cluster and the numpad start (key units).
const MAIN_WIDTH: f64 = 15.0;
const NAVIGATION_X: f64 = MAIN_WIDTH + 0.5;
const NUMPAD_X: f64 = NAVIGATION_X + 3.5;
/// The whole drawing is this many key units wide.
const DRAWING_UNITS: f64 = NUMPAD_X + 4.0;
/// Rows of the keyboard itself (function row and five main rows).
const KEYBOARD_ROW_COUNT: f64 = 6.0;

/// A key as drawn: code, label, and its box.
pub struct PlacedKey {
    pub code: &'static str,
    pub label: String,
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

/// The keyboard as drawn for one layout: its keys and its size. Keys a real keyboard of this
/// shape lacks but that were counted (F13-F24, other media keys, Japanese and Korean keys, the
/// other shape's extra key) are drawn in a row of their own below it, so that nothing counted
/// is left off the drawing.
pub struct KeyboardDrawing {
    pub keys: Vec<PlacedKey>,
    pub width: f64,
    pub height: f64,
}

impl KeyboardDrawing {
    /// The drawing for `layout`, with an extra row for whichever of `counted` it would lack.
    pub fn new<'a>(layout: KeyboardLayout, counted: impl IntoIterator<Item = &'a str>) -> KeyboardDrawing {
        let mut keys = Vec::new();
        let mut place = |code: &'static str, x: f64, row: f64, width: f64, height: f64| {
            // The function row stands a little apart, as on a real keyboard.
            let y = row * KEY_UNIT + if row >= 1.0 { 0.5 * KEY_UNIT } else { 0.0 };
            keys.push(PlacedKey {
                code,
                label: layout.label(code),
                x: x * KEY_UNIT,
                y,
                width: width * KEY_UNIT - KEY_GAP,
                height: height * KEY_UNIT - KEY_GAP,
            });
        };
        let place_row = |row: Row, start: f64, y: f64, place: &mut dyn FnMut(&'static str, f64, f64, f64, f64)| {
            let mut x = start;
            for (code, units) in row {
                if !code.is_empty() {
                    place(code, x, y, *units, 1.0);
                }
                x += units;
            }
        };
        place_row(FUNCTION_ROW, 0.0, 0.0, &mut place);
        place_row(NUMBER_ROW, 0.0, 1.0, &mut place);
        place_row(TOP_LETTERS, 0.0, 2.0, &mut place);
        place_row(HOME_LETTERS, 0.0, 3.0, &mut place);
        match layout.shape() {
            KeyboardShape::Ansi => {
                place("Backslash", 13.5, 2.0, 1.5, 1.0);
                place("Enter", 12.75, 3.0, 2.25, 1.0);
                place("ShiftLeft", 0.0, 4.0, 2.25, 1.0);
                place_row(BOTTOM_LETTERS, 2.25, 4.0, &mut place);
            }
            KeyboardShape::Iso => {
                // The tall Enter spans the top and home rows; Backslash sits left of its foot.
                place("Enter", 13.75, 2.0, 1.25, 2.0);
                place("Backslash", 12.75, 3.0, 1.0, 1.0);
                place("ShiftLeft", 0.0, 4.0, 1.25, 1.0);
                place("IntlBackslash", 1.25, 4.0, 1.0, 1.0);
                place_row(BOTTOM_LETTERS, 2.25, 4.0, &mut place);
            }
        }
        place_row(SPACE_ROW, 0.0, 5.0, &mut place);
        for (code, column, row) in NAVIGATION {
            place(code, NAVIGATION_X + column, *row, 1.0, 1.0);
        }
        for (code, column, row, width, height) in NUMPAD {
            place(code, NUMPAD_X + column, *row, *width, *height);
        }
        let drawn: std::collections::BTreeSet<&'static str> = keys.iter().map(|k| k.code).collect();
        let mut extra: Vec<&'static str> = counted
            .into_iter()
            .filter_map(|code| key_index(code).map(|i| KEY_CODES[i]))
            .filter(|code| !drawn.contains(code))
            .collect();
        extra.sort_by_key(|code| key_index(code));
        extra.dedup();
        let per_row = (DRAWING_UNITS / 2.0) as usize;
        for (i, code) in extra.iter().enumerate() {
            let row = KEYBOARD_ROW_COUNT + 0.25 + (i / per_row) as f64;
            keys.push(PlacedKey {
                code,
                label: layout.label(code),
                x: (i % per_row) as f64 * 2.0 * KEY_UNIT,
                y: row * KEY_UNIT + 0.5 * KEY_UNIT,
                width: 2.0 * KEY_UNIT - KEY_GAP,
                height: KEY_UNIT - KEY_GAP,
            });
        }
        let extra_rows = extra.len().div_ceil(per_row) as f64;
        let rows = KEYBOARD_ROW_COUNT + if extra_rows > 0.0 { 0.25 + extra_rows } else { 0.0 };
        KeyboardDrawing { keys, width: DRAWING_UNITS * KEY_UNIT, height: rows * KEY_UNIT + 0.5 * KEY_UNIT }
    }

    /// Whether the drawing has this key.
    pub fn has(&self, code: &str) -> bool {
        self.keys.iter().any(|k| k.code == code)
    }
}

/// Where an arrow key (or Home, End) moves the focus on a drawing made of boxes (the keyboard
/// heatmap is one tab stop; the arrows walk its keys as they lie).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Left,
    Right,
    Up,
    Down,
    RowStart,
    RowEnd,
}

impl Step {
    /// The step a key of the keyboard asks for (`KeyboardEvent.key`), if it is one.
    pub fn from_key(key: &str) -> Option<Step> {
        Some(match key {
            "ArrowLeft" => Step::Left,
            "ArrowRight" => Step::Right,
            "ArrowUp" => Step::Up,
            "ArrowDown" => Step::Down,
            "Home" => Step::RowStart,
            "End" => Step::RowEnd,
            _ => return None,
        })
    }
}

impl PlacedKey {
    fn centre(&self) -> (f64, f64) {
        (self.x + self.width / 2.0, self.y + self.height / 2.0)
    }
}

/// The key `step` moves to from key `from`: the next one in its row (keys that reach across the
/// row's middle, such as a tall Enter, are in it), or the closest one of the nearest row above
/// or below. None at an edge.
pub fn step_between(keys: &[PlacedKey], from: usize, step: Step) -> Option<usize> {
    let here = keys.get(from)?;
    let (cx, cy) = here.centre();
    let in_row = |k: &PlacedKey| k.y <= cy && cy <= k.y + k.height;
    let nearest = |candidates: &mut dyn Iterator<Item = (usize, f64)>| {
        candidates.min_by(|a, b| a.1.total_cmp(&b.1)).map(|(i, _)| i)
    };
    let others = || keys.iter().enumerate().filter(move |(i, _)| *i != from);
    match step {
        Step::Right => nearest(&mut others().filter(|(_, k)| in_row(k) && k.centre().0 > cx).map(|(i, k)| (i, k.x))),
        Step::Left => nearest(&mut others().filter(|(_, k)| in_row(k) && k.centre().0 < cx).map(|(i, k)| (i, -k.x))),
        Step::RowStart => nearest(&mut keys.iter().enumerate().filter(|(_, k)| in_row(k)).map(|(i, k)| (i, k.x))),
        Step::RowEnd => nearest(&mut keys.iter().enumerate().filter(|(_, k)| in_row(k)).map(|(i, k)| (i, -k.x))),
        Step::Down | Step::Up => {
            // Rows by their top edge: the nearest one beyond this key's middle, then the key in
            // it closest across.
            let beyond = |k: &PlacedKey| if step == Step::Down { k.y > cy } else { k.y + k.height < cy };
            let row_distance = |k: &PlacedKey| if step == Step::Down { k.y - cy } else { cy - k.y };
            let row = keys.iter().filter(|k| beyond(k)).map(row_distance).min_by(f64::total_cmp)?;
            nearest(
                &mut others()
                    .filter(|(_, k)| beyond(k) && (row_distance(k) - row).abs() < 1.0)
                    .map(|(i, k)| (i, (k.centre().0 - cx).abs())),
            )
        }
    }
}

/// 0 for nothing, 1 for the largest count, logarithmic in between: a few keys (or screen cells)
/// take most of the counts, and a linear scale would leave the rest blank.
pub fn log_scale(n: u64, max: u64) -> f64 {
    if n == 0 || max == 0 { 0.0 } else { (1.0 + n as f64).ln() / (1.0 + max as f64).ln() }
}

/// A pointer heatmap cell's colour: blue through orange to red as heat rises.
pub fn pointer_colour(heat: f64) -> String {
    let hue = 220.0 - 220.0 * heat;
    format!("hsla({hue:.0}, 85%, 50%, {:.2})", 0.25 + 0.65 * heat)
}

/// How many shades a pointer heatmap is drawn in. Cells of one shade are one SVG path, not an
/// element each: a year's movement heatmap has thousands of cells, and an element per cell made
/// the dashboard's HTML 830 KB and its hydration walk every one of them. Under the blur two
/// neighbouring shades of 24 can't be told apart.
pub const POINTER_SHADES: u32 = 24;

/// Which of a pointer heatmap's two layers to draw: on the dashboard and in the PDF report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Clicks,
    Moves,
}

impl Layer {
    /// The widget's name in the page (`data-widget`, test ids).
    pub fn widget(self) -> &'static str {
        match self {
            Layer::Clicks => "click-heatmap",
            Layer::Moves => "movement-heatmap",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Layer::Clicks => "Where you click",
            Layer::Moves => "Where the pointer moves",
        }
    }

    /// This layer's grid of counts of a display.
    pub fn cells(self, display: &ScreenHeatmap) -> &[u64] {
        match self {
            Layer::Clicks => &display.clicks,
            Layer::Moves => &display.moves,
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Layer::Clicks => "clicks",
            Layer::Moves => "pointer moves",
        }
    }
}

/// The cells of one shade of a pointer heatmap, as one SVG path (lightest shades first).
#[derive(Debug, Clone, PartialEq)]
pub struct HeatShade {
    pub fill: String,
    /// How many of the grid's cells are in this shade.
    pub cells: usize,
    /// An SVG path of one closed square per cell.
    pub path: String,
}

/// A display's grid of counts as shaded paths, lightest first, in drawing units: the display
/// sits at (`left`, `top`) and is `width` x `height`; `max` is the largest count on the desktop
/// (one scale for all its displays); `bleed` widens each cell so that no seam shows between
/// neighbours where nothing blurs them (the PDF report).
pub fn heat_shades(
    cells: &[u64],
    max: u64,
    (left, top, width, height): (f64, f64, f64, f64),
    bleed: f64,
) -> Vec<HeatShade> {
    use std::fmt::Write;
    let (cell_w, cell_h) = (width / f64::from(GRID_COLS), height / f64::from(GRID_ROWS));
    let levels = f64::from(POINTER_SHADES);
    let mut shades: Vec<HeatShade> = (1..=POINTER_SHADES)
        .map(|level| HeatShade { fill: pointer_colour(f64::from(level) / levels), cells: 0, path: String::new() })
        .collect();
    for (i, &n) in cells.iter().enumerate().filter(|(_, n)| **n > 0) {
        // Shade 1 is the faintest that still shows: a count of 1 is never drawn as nothing.
        let level = (log_scale(n, max) * levels).ceil().clamp(1.0, levels) as usize;
        let (col, row) = (i % usize::from(GRID_COLS), i / usize::from(GRID_COLS));
        let (x, y) = (left + col as f64 * cell_w, top + row as f64 * cell_h);
        let Some(shade) = shades.get_mut(level - 1) else { continue };
        shade.cells += 1;
        let (w, h) = (rounded(cell_w + bleed), rounded(cell_h + bleed));
        let _ = write!(shade.path, "M{} {}h{w}v{h}h-{w}z", rounded(x), rounded(y));
    }
    shades.retain(|shade| shade.cells > 0);
    shades
}

/// A drawing coordinate to two decimals, without trailing zeros ("30", "12.5").
fn rounded(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Displays used together: the size of one desktop and its displays' heatmaps, numbered left to
/// right (then top to bottom).
#[derive(Debug, Clone, PartialEq)]
pub struct DesktopHeat {
    pub width: u32,
    pub height: u32,
    pub displays: Vec<ScreenHeatmap>,
}

impl DesktopHeat {
    /// All clicks and pointer moves on this desktop.
    pub fn use_count(&self) -> u64 {
        self.displays.iter().map(|d| d.clicks.iter().sum::<u64>() + d.moves.iter().sum::<u64>()).sum()
    }

    /// The display (its index) and the grid cell (row by row) under a point of the desktop.
    pub fn cell_at(&self, x: f64, y: f64) -> Option<(usize, usize)> {
        self.displays.iter().enumerate().find_map(|(i, d)| {
            let (cx, cy) = (x - f64::from(d.x), y - f64::from(d.y));
            let (w, h) = (f64::from(d.width), f64::from(d.height));
            if !(0.0..w).contains(&cx) || !(0.0..h).contains(&cy) {
                return None;
            }
            let col = (cx / w * f64::from(GRID_COLS)) as usize;
            let row = (cy / h * f64::from(GRID_ROWS)) as usize;
            Some((i, row * usize::from(GRID_COLS) + col))
        })
    }

    /// "a 1920×1080 screen" or "a 4480×1440 desktop of 2 displays".
    pub fn describe(&self) -> String {
        match self.displays.len() {
            1 => format!("a {}×{} screen", self.width, self.height),
            n => format!("a {}×{} desktop of {n} displays", self.width, self.height),
        }
    }
}

/// The heatmaps of a range grouped into the desktops they were used on, the most used first.
/// Displays of one desktop size that overlap can't have been used together (a whole-screen grid
/// kept before per-display detail beside the displays of the same desktop later): they go to
/// desktops of their own.
pub fn desktops(screens: Vec<ScreenHeatmap>) -> Vec<DesktopHeat> {
    let used = |s: &ScreenHeatmap| s.clicks.iter().sum::<u64>() + s.moves.iter().sum::<u64>();
    let mut screens = screens;
    screens.sort_by_key(|s| std::cmp::Reverse(used(s)));
    let mut desktops: Vec<DesktopHeat> = Vec::new();
    for screen in screens {
        let place = screen.place();
        let fits = desktops.iter_mut().find(|d| {
            (d.width, d.height) == (place.desktop_width, place.desktop_height)
                && d.displays.iter().all(|other| !other.place().overlaps(&place))
        });
        match fits {
            Some(desktop) => desktop.displays.push(screen),
            None => desktops.push(DesktopHeat {
                width: place.desktop_width,
                height: place.desktop_height,
                displays: vec![screen],
            }),
        }
    }
    for desktop in &mut desktops {
        desktop.displays.sort_by_key(|d| (d.x, d.y));
    }
    desktops.sort_by_key(|d| std::cmp::Reverse(d.use_count()));
    desktops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_logarithmic_from_zero_to_one() {
        assert_eq!(log_scale(0, 100), 0.0);
        assert_eq!(log_scale(100, 100), 1.0);
        // 10 of 1,000 presses is 1% but a third of the way up the scale.
        assert!((log_scale(10, 1000) - 0.347).abs() < 0.01);
    }

    #[test]
    fn pointer_colours_go_from_blue_to_red() {
        assert_eq!(pointer_colour(0.0), "hsla(220, 85%, 50%, 0.25)");
        assert_eq!(pointer_colour(1.0), "hsla(0, 85%, 50%, 0.90)");
    }

    #[test]
    fn every_key_drawn_is_a_code_the_server_accepts_and_none_twice() {
        for layout in KeyboardLayout::ALL {
            let drawing = KeyboardDrawing::new(layout, []);
            let mut codes: Vec<&str> = drawing.keys.iter().map(|k| k.code).collect();
            for code in &codes {
                assert!(keytrack_wire::is_known_key(code), "{code}");
            }
            let before = codes.len();
            codes.sort_unstable();
            codes.dedup();
            assert_eq!(codes.len(), before, "{layout:?} draws a key twice");
            assert!(drawing.has("ArrowUp") && drawing.has("Numpad5") && drawing.has("F12"));
        }
    }

    #[test]
    fn every_counted_key_is_drawn_whatever_the_shape() {
        // Every code the server accepts, counted: all of them are on the drawing.
        for layout in [KeyboardLayout::Us, KeyboardLayout::German] {
            let drawing = KeyboardDrawing::new(layout, KEY_CODES.iter().copied());
            for code in KEY_CODES {
                assert!(drawing.has(code), "{layout:?} leaves {code} off");
            }
            assert!(drawing.height > KeyboardDrawing::new(layout, []).height);
        }
        // ISO boards have the key left of Z; ANSI boards draw it only when it was counted.
        assert!(KeyboardDrawing::new(KeyboardLayout::Uk, []).has("IntlBackslash"));
        assert!(!KeyboardDrawing::new(KeyboardLayout::Us, []).has("IntlBackslash"));
        assert!(KeyboardDrawing::new(KeyboardLayout::Us, ["IntlBackslash"]).has("IntlBackslash"));
        // A name that is no key code is not drawn.
        assert!(!KeyboardDrawing::new(KeyboardLayout::Us, ["NoSuchKey"]).has("NoSuchKey"));
    }

    #[test]
    fn arrows_walk_the_keys_as_they_lie() {
        for layout in [KeyboardLayout::or_us("us"), KeyboardLayout::or_us("de")] {
            let drawing = KeyboardDrawing::new(layout, []);
            let at = |code: &str| drawing.keys.iter().position(|k| k.code == code).expect(code);
            let go = |from: &str, step: Step| step_between(&drawing.keys, at(from), step).map(|i| drawing.keys[i].code);
            assert_eq!(go("KeyQ", Step::Right), Some("KeyW"));
            assert_eq!(go("KeyW", Step::Left), Some("KeyQ"));
            assert_eq!(go("KeyQ", Step::Down), Some("KeyA"));
            assert_eq!(go("KeyA", Step::Up), Some("KeyQ"));
            assert_eq!(go("KeyA", Step::RowStart), Some("CapsLock"));
            assert_eq!(go("Escape", Step::Left), None, "the first key of the first row");
            assert_eq!(go("Escape", Step::Up), None);
            assert_eq!(go("ArrowUp", Step::Down), Some("ArrowDown"));
            // The home row reaches Enter in either shape (a tall one on ISO boards).
            assert_eq!(
                go("Quote", Step::Right),
                Some(if layout.shape() == KeyboardShape::Iso { "Backslash" } else { "Enter" })
            );
            assert_eq!(go("KeyP", Step::Right).and_then(|code| go(code, Step::Right)), Some("BracketRight"));
            assert!(
                go("KeyL", Step::RowEnd).is_some_and(|code| code.starts_with("Numpad")),
                "rows go on into the numpad"
            );
        }
        for key in ["ArrowLeft", "ArrowRight", "ArrowUp", "ArrowDown", "Home", "End"] {
            assert!(Step::from_key(key).is_some(), "{key}");
        }
        assert_eq!(Step::from_key("a"), None);
    }

    #[test]
    fn keys_do_not_overlap() {
        for layout in [KeyboardLayout::Us, KeyboardLayout::Nordic] {
            let keys = KeyboardDrawing::new(layout, KEY_CODES.iter().copied()).keys;
            for (i, a) in keys.iter().enumerate() {
                for b in &keys[i + 1..] {
                    let apart =
                        a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
                    assert!(apart, "{layout:?}: {} overlaps {}", a.code, b.code);
                }
            }
        }
    }

    fn heat(place: (u32, u32, u32, u32, u32, u32), clicks: u64) -> ScreenHeatmap {
        let (desktop_width, desktop_height, x, y, width, height) = place;
        let mut cells = vec![0; 2304];
        cells[0] = clicks;
        ScreenHeatmap { width, height, x, y, desktop_width, desktop_height, clicks: cells, moves: vec![0; 2304] }
    }

    #[test]
    fn a_heatmap_is_one_path_per_shade_with_every_counted_cell_in_one() {
        let mut cells = vec![0u64; 2304];
        cells[0] = 1;
        cells[1] = 1;
        cells[65] = 1_000;
        cells[2303] = 30;
        let shades = heat_shades(&cells, 1_000, (100.0, 0.0, 1920.0, 1080.0), 0.0);
        assert_eq!(shades.iter().map(|s| s.cells).sum::<usize>(), 4);
        // Lightest first; the two single counts share the faintest shade, the largest is the
        // hottest colour of the scale.
        assert_eq!(shades.len(), 3);
        assert_eq!((shades[0].cells, shades[0].path.as_str()), (2, "M100 0h30v30h-30zM130 0h30v30h-30z"));
        assert_eq!(shades[2].fill, pointer_colour(1.0));
        assert_eq!(shades[2].path, "M130 30h30v30h-30z");
        // The last cell sits in the display's bottom-right corner.
        assert!(shades[1].path.starts_with("M1990 1050h30"), "{}", shades[1].path);
        // The report's cells bleed into their neighbours; nothing counted, nothing drawn.
        let bled = heat_shades(&cells, 1_000, (0.0, 0.0, 64.0, 36.0), 0.4);
        assert_eq!(bled[0].path, "M0 0h1.4v1.4h-1.4zM1 0h1.4v1.4h-1.4z");
        assert!(heat_shades(&[0; 2304], 0, (0.0, 0.0, 64.0, 36.0), 0.0).is_empty());
    }

    #[test]
    fn the_cell_under_a_point_is_found_on_its_display() {
        let laptop = heat((4480, 1440, 0, 360, 1920, 1080), 5);
        let monitor = heat((4480, 1440, 1920, 0, 2560, 1440), 20);
        let desktop = &desktops(vec![laptop, monitor])[0];
        assert_eq!(desktop.cell_at(0.0, 360.0), Some((0, 0)));
        assert_eq!(desktop.cell_at(1919.0, 1439.0), Some((0, 2303)));
        // The monitor's cells are 40 wide: x 1960 is its second column.
        assert_eq!(desktop.cell_at(1960.0, 0.0), Some((1, 1)));
        // Above the laptop is no display.
        assert_eq!(desktop.cell_at(10.0, 10.0), None);
        assert_eq!(desktop.cell_at(4480.0, 0.0), None);
    }

    #[test]
    fn heatmaps_group_into_the_desktops_they_were_used_on() {
        let laptop = heat((4480, 1440, 0, 360, 1920, 1080), 5);
        let monitor = heat((4480, 1440, 1920, 0, 2560, 1440), 20);
        let alone = heat((1920, 1080, 0, 0, 1920, 1080), 7);
        // Kept before per-display detail: the whole 4480x1440 desktop as one screen.
        let whole = heat((4480, 1440, 0, 0, 4480, 1440), 3);
        let grouped = desktops(vec![alone.clone(), laptop.clone(), whole.clone(), monitor.clone()]);
        assert_eq!(grouped.len(), 3, "{grouped:?}");
        // Most used first (25 clicks), its displays left to right.
        assert_eq!(grouped[0].displays, vec![laptop, monitor]);
        assert_eq!((grouped[0].width, grouped[0].height, grouped[0].use_count()), (4480, 1440, 25));
        assert_eq!(grouped[0].describe(), "a 4480×1440 desktop of 2 displays");
        assert_eq!(grouped[1].displays, vec![alone]);
        assert_eq!(grouped[1].describe(), "a 1920×1080 screen");
        assert_eq!(grouped[2].displays, vec![whole]);
        assert!(desktops(Vec::new()).is_empty());
    }
}
