//! The PDF report's pages, drawn as SVG from the same figures as the dashboard (an A4 page is
//! 595 x 842 points): a cover with the headline figures against the previous period, activity and
//! typing speed over time, the keyboard heatmap, the week rhythm, top keys and shortcuts, clicks
//! by button, the click and movement heatmaps, and the applications (a page of its own when the
//! range names any); for a team, its consented figures.
//! `server::report` turns the pages into a PDF with the font embedded.

use std::fmt::Write;

use keytrack_wire::{ActivityStats, ScreenHeatmap, TeamStats};

use super::drawing::{ACCENT, DesktopHeat, KeyboardDrawing, Layer, SECOND, desktops, heat_shades, log_scale};
use super::format::{count, duration, short_duration};
use super::layouts::KeyboardLayout;
use super::stats::change_percent;

/// Page size in points (A4).
pub const PAGE_WIDTH: f64 = 595.0;
pub const PAGE_HEIGHT: f64 = 842.0;
/// The font the pages name; the PDF embeds it.
pub const FONT: &str = "DejaVu Sans";

const MARGIN: f64 = 42.0;
const CONTENT: f64 = PAGE_WIDTH - 2.0 * MARGIN;
const INK: &str = "#1d2330";
const MUTED: &str = "#667085";
const LINE: &str = "#d9dde5";
const CARD: &str = "#f6f7f9";

/// Text safe inside SVG markup.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// One page being drawn.
struct Page {
    svg: String,
}

impl Page {
    fn new(header: &str, number: usize) -> Page {
        let mut page = Page {
            svg: format!(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{PAGE_WIDTH}\" height=\"{PAGE_HEIGHT}\" viewBox=\"0 0 {PAGE_WIDTH} {PAGE_HEIGHT}\" font-family=\"{FONT}\">"
            ),
        };
        page.rect(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT, "#ffffff");
        page.text(MARGIN, 28.0, 8.0, MUTED, "start", false, header);
        page.text(PAGE_WIDTH - MARGIN, PAGE_HEIGHT - 20.0, 8.0, MUTED, "end", false, &format!("{number}"));
        page
    }

    fn finish(mut self) -> String {
        self.svg.push_str("</svg>");
        self.svg
    }

    #[allow(clippy::too_many_arguments)]
    fn text(&mut self, x: f64, y: f64, size: f64, fill: &str, anchor: &str, bold: bool, content: &str) {
        let weight = if bold { " font-weight=\"bold\"" } else { "" };
        let _ = write!(
            self.svg,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size}\" fill=\"{fill}\" text-anchor=\"{anchor}\"{weight}>{}</text>",
            esc(content)
        );
    }

    fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str) {
        // A zero-sized rectangle is invalid SVG (a quiet day's bar): nothing to draw.
        if w <= 0.0 || h <= 0.0 {
            return;
        }
        let _ =
            write!(self.svg, "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" fill=\"{fill}\"/>");
    }

    fn rounded(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, stroke: &str) {
        let _ = write!(
            self.svg,
            "<rect x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\" rx=\"6\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"0.8\"/>"
        );
    }

    /// A section title; returns the y below it.
    fn heading(&mut self, y: f64, title: &str) -> f64 {
        self.text(MARGIN, y, 13.0, INK, "start", true, title);
        y + 12.0
    }

    /// A section title with a line of explanation under it; returns the y below both.
    fn heading_with(&mut self, y: f64, title: &str, note: &str) -> f64 {
        let y = self.heading(y, title);
        self.text(MARGIN, y + 2.0, 8.0, MUTED, "start", false, note);
        y + 10.0
    }

    /// A cover's title, the line under it and notes in small print, a line each.
    fn cover(&mut self, title: &str, subtitle: &str, notes: &[&str]) {
        self.text(MARGIN, 84.0, 24.0, INK, "start", true, title);
        self.text(MARGIN, 106.0, 11.0, INK, "start", false, subtitle);
        for (i, note) in notes.iter().enumerate() {
            self.text(MARGIN, 121.0 + 11.0 * i as f64, 8.5, MUTED, "start", false, note);
        }
    }

    /// Headline figures in a row of cards: label, value and an optional line under the value
    /// (the change against the previous period).
    fn cards(&mut self, y: f64, cards: &[(&str, String, Option<String>)]) {
        let w = (CONTENT - 3.0 * 10.0) / 4.0;
        for (i, (label, value, note)) in cards.iter().enumerate() {
            let x = MARGIN + i as f64 * (w + 10.0);
            self.rounded(x, y, w, if note.is_some() { 66.0 } else { 56.0 }, CARD, LINE);
            self.text(x + 10.0, y + 18.0, 8.5, MUTED, "start", false, label);
            // A long value ("394 h 52 min") in a smaller size, so that it stays in its card.
            let size = if value.chars().count() > 10 { 14.0 } else { 17.0 };
            self.text(x + 10.0, y + 42.0, size, INK, "start", true, value);
            if let Some(note) = note {
                self.text(x + 10.0, y + 57.0, 7.5, MUTED, "start", false, note);
            }
        }
    }

    /// Vertical bars of `values`, with the largest value named.
    fn bars(&mut self, (x, y, w, h): (f64, f64, f64, f64), values: &[f64], colour: &str, unit: &str) {
        self.rect(x, y + h, w, 0.6, LINE);
        let max = values.iter().copied().fold(0.0_f64, f64::max);
        if values.is_empty() || max <= 0.0 {
            self.text(x + w / 2.0, y + h / 2.0, 9.0, MUTED, "middle", false, "Nothing in this range.");
            return;
        }
        let step = w / values.len() as f64;
        for (i, v) in values.iter().enumerate() {
            let bar = h * v / max;
            self.rect(x + i as f64 * step + step * 0.1, y + h - bar, (step * 0.8).max(0.3), bar, colour);
        }
        self.text(x, y - 3.0, 7.5, MUTED, "start", false, &format!("up to {} {unit}", count(max.round() as u64)));
    }

    /// A line through the non-zero `values` (zeros are days without typing).
    fn line(&mut self, (x, y, w, h): (f64, f64, f64, f64), values: &[f64], colour: &str, unit: &str) {
        self.rect(x, y + h, w, 0.6, LINE);
        let max = values.iter().copied().fold(0.0_f64, f64::max);
        if max <= 0.0 {
            self.text(x + w / 2.0, y + h / 2.0, 9.0, MUTED, "middle", false, "No typing in this range.");
            return;
        }
        let step = if values.len() > 1 { w / (values.len() - 1) as f64 } else { 0.0 };
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .filter(|(_, v)| **v > 0.0)
            .map(|(i, v)| format!("{:.1},{:.1}", x + i as f64 * step, y + h - h * v / max))
            .collect();
        let _ = write!(
            self.svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.4\" stroke-linejoin=\"round\"/>",
            points.join(" ")
        );
        self.text(x, y - 3.0, 7.5, MUTED, "start", false, &format!("up to {max:.0} {unit}"));
    }

    /// Key presses per weekday (rows, Monday first) and hour (columns).
    fn rhythm(&mut self, (x, y, w): (f64, f64, f64), grid: &[Vec<u64>]) -> f64 {
        const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
        let label = 26.0;
        let cell = (w - label) / 24.0;
        let max = grid.iter().flatten().copied().max().unwrap_or(0);
        for (d, name) in DAYS.iter().enumerate() {
            let row_y = y + d as f64 * cell;
            self.text(x, row_y + cell * 0.7, 7.5, MUTED, "start", false, name);
            for hour in 0..24 {
                let n = grid.get(d).and_then(|r| r.get(hour)).copied().unwrap_or(0);
                let share = if max == 0 { 0.0 } else { n as f64 / max as f64 };
                let fill = mix(share);
                let _ = write!(
                    self.svg,
                    "<rect x=\"{:.2}\" y=\"{row_y:.2}\" width=\"{:.2}\" height=\"{:.2}\" rx=\"1.5\" fill=\"{fill}\"/>",
                    x + label + hour as f64 * cell,
                    cell - 1.5,
                    cell - 1.5
                );
            }
        }
        for hour in (0..24).step_by(3) {
            let hx = x + label + hour as f64 * cell;
            self.text(hx, y + 7.0 * cell + 9.0, 7.0, MUTED, "start", false, &format!("{hour:02}:00"));
        }
        y + 7.0 * cell + 12.0
    }

    /// The keyboard, each key shaded by its presses (the dashboard's drawing, scaled to `w`).
    fn keyboard(
        &mut self,
        (x, y, w): (f64, f64, f64),
        keys: &std::collections::BTreeMap<String, u64>,
        layout: KeyboardLayout,
    ) -> f64 {
        let drawing = KeyboardDrawing::new(layout, keys.keys().map(String::as_str));
        let scale = w / drawing.width;
        let max = keys.values().copied().max().unwrap_or(0);
        let _ = write!(self.svg, "<g transform=\"translate({x:.2},{y:.2}) scale({scale:.4})\">");
        for key in &drawing.keys {
            let n = keys.get(key.code).copied().unwrap_or(0);
            let fill = mix(log_scale(n, max));
            let ink = if log_scale(n, max) > 0.55 { "#ffffff" } else { INK };
            let _ = write!(
                self.svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"5\" fill=\"{fill}\" stroke=\"{LINE}\"/>",
                key.x, key.y, key.width, key.height
            );
            self.text(key.x + key.width / 2.0, key.y + key.height / 2.0 + 4.0, 11.0, ink, "middle", false, &key.label);
        }
        self.svg.push_str("</g>");
        y + drawing.height * scale
    }

    /// A ranking: label, count and a bar, most first.
    fn ranking(&mut self, (x, y, w): (f64, f64, f64), title: &str, items: &[(String, u64)]) -> f64 {
        self.text(x, y, 10.0, INK, "start", true, title);
        let mut row_y = y + 14.0;
        let max = items.first().map_or(0, |(_, n)| *n);
        if items.is_empty() {
            self.text(x, row_y, 8.5, MUTED, "start", false, "None in this range.");
            return row_y + 8.0;
        }
        for (label, n) in items {
            self.text(x, row_y, 8.0, INK, "start", false, label);
            self.text(x + w, row_y, 8.0, MUTED, "end", false, &count(*n));
            let bar = if max == 0 { 0.0 } else { (w * 0.45) * *n as f64 / max as f64 };
            self.rect(x + w * 0.38, row_y - 6.0, bar, 5.0, ACCENT);
            row_y += 12.5;
        }
        row_y
    }

    /// A desktop's click or movement heatmap, each display's over its outline where it sits,
    /// `w` wide.
    fn desktop(&mut self, (x, y, w): (f64, f64, f64), desktop: &DesktopHeat, layer: Layer) -> f64 {
        let scale = w / f64::from(desktop.width.max(1));
        let h = f64::from(desktop.height) * scale;
        let max = desktop.displays.iter().flat_map(|d| layer.cells(d)).copied().max().unwrap_or(0);
        for display in &desktop.displays {
            let (dx, dy) = (x + f64::from(display.x) * scale, y + f64::from(display.y) * scale);
            let (dw, dh) = (f64::from(display.width) * scale, f64::from(display.height) * scale);
            self.rounded(dx, dy, dw, dh, "#fbfbfc", LINE);
            // A little wider and taller than a cell, so that no seam shows between cells.
            for shade in heat_shades(layer.cells(display), max, (dx, dy, dw, dh), 0.4) {
                let _ = write!(self.svg, "<path d=\"{}\" fill=\"{}\"/>", shade.path, shade.fill);
            }
        }
        y + h
    }
}

/// The page colour `share` (0-1) of the way from white to the accent colour.
fn mix(share: f64) -> String {
    let share = share.clamp(0.0, 1.0);
    let (r, g, b) = (0x2f as f64, 0x6f as f64, 0xde as f64);
    let blend = |c: f64| (255.0 + (c - 255.0) * share).round() as u8;
    format!("#{:02x}{:02x}{:02x}", blend(r), blend(g), blend(b))
}

/// Who and what a report is about, for its cover.
pub struct ReportTitle {
    /// "Ada Lovelace (ada@example.com)" or the team's name.
    pub who: String,
    /// The time zone and day start the days are counted in.
    pub clock: String,
    /// When it was made, as the reader's clock shows it.
    pub made: String,
    /// The reader's keyboard layout, which names the keys and shortcuts listed.
    pub layout: KeyboardLayout,
}

/// The `n` most pressed, named by `name` (a key or a shortcut as printed in the reader's layout).
fn top(map: &std::collections::BTreeMap<String, u64>, n: usize, name: impl Fn(&str) -> String) -> Vec<(String, u64)> {
    let mut items: Vec<(String, u64)> = map.iter().filter(|(_, v)| **v > 0).map(|(k, v)| (k.clone(), *v)).collect();
    items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    items.truncate(n);
    items.into_iter().map(|(code, count)| (name(&code), count)).collect()
}

/// A user's report: the pages, as SVG documents.
pub fn personal_pages(title: &ReportTitle, stats: &ActivityStats, screens: &[ScreenHeatmap]) -> Vec<String> {
    let header = format!("KeyTrack report · {} · {} to {}", title.who, stats.from, stats.to);
    let mut pages = Vec::new();

    // The cover: the range and the headline figures against the period before.
    let mut page = Page::new(&header, 1);
    page.cover(
        "Your keyboard and mouse",
        &format!("{} · {} to {}", title.who, stats.from, stats.to),
        &[&format!("Days counted in {}; made {}.", title.clock, title.made)],
    );
    let previous = stats.previous.clone().unwrap_or_default();
    let change = |percent: Option<f64>| {
        Some(match percent {
            Some(p) => format!("{}{p:.0} % vs the period before", if p >= 0.0 { "+" } else { "" }),
            None => "nothing to compare with".to_string(),
        })
    };
    let versus = |now: u64, before: u64| change(change_percent(now as f64, before as f64));
    page.cards(
        140.0,
        &[
            ("Key presses", count(stats.total_keys), versus(stats.total_keys, previous.total_keys)),
            ("Clicks", count(stats.total_clicks), versus(stats.total_clicks, previous.total_clicks)),
            ("Active time", duration(stats.active_seconds), versus(stats.active_seconds, previous.active_seconds)),
            (
                "Typing speed",
                format!("{:.0} wpm", stats.typing.wpm),
                change(change_percent(stats.typing.wpm, previous.wpm)),
            ),
        ],
    );
    let y = page.heading(250.0, "Activity over time");
    let keys: Vec<f64> = stats.daily.iter().map(|d| d.keys as f64).collect();
    page.bars((MARGIN, y + 14.0, CONTENT, 120.0), &keys, ACCENT, "key presses a day");
    let clicks: Vec<f64> = stats.daily.iter().map(|d| d.clicks as f64).collect();
    page.bars((MARGIN, y + 160.0, CONTENT, 60.0), &clicks, SECOND, "clicks a day");
    page.text(MARGIN, y + 236.0, 7.5, MUTED, "start", false, &format!("{} to {}, a bar a day", stats.from, stats.to));
    let y = page.heading(y + 268.0, "Typing speed");
    let wpm: Vec<f64> = stats.daily.iter().map(|d| d.wpm).collect();
    page.line((MARGIN, y + 14.0, CONTENT, 110.0), &wpm, ACCENT, "words per minute");
    page.text(
        MARGIN,
        y + 142.0,
        8.5,
        INK,
        "start",
        false,
        &format!(
            "{:.0} words per minute over {} typed keys; fastest burst {:.0} wpm; {:.1} corrections per 100 keys.",
            stats.typing.wpm,
            count(stats.typing.typed_keys),
            stats.typing.best_burst_wpm,
            stats.corrections_per_100
        ),
    );
    pages.push(page.finish());

    // Keys and rhythm.
    let mut page = Page::new(&header, 2);
    let y = page.heading(70.0, "Keyboard");
    let y = page.keyboard((MARGIN, y + 6.0, CONTENT), &stats.keys, KeyboardLayout::or_us(&stats.keyboard_layout));
    let y = page.heading_with(y + 34.0, "Week rhythm", "Key presses per weekday and hour, darker is more.");
    let y = page.rhythm((MARGIN, y + 6.0, CONTENT), &stats.by_weekday_hour);
    let half = (CONTENT - 24.0) / 2.0;
    let left = page.ranking((MARGIN, y + 28.0, half), "Top keys", &top(&stats.keys, 12, |k| title.layout.key_name(k)));
    let right = page.ranking(
        (MARGIN + half + 24.0, y + 28.0, half),
        "Top shortcuts",
        &top(&stats.combos, 12, |c| title.layout.shortcut_name(c)),
    );
    let y = left.max(right) + 18.0;
    let b = &stats.clicks_by_button;
    let buttons = [("Left", b.left), ("Right", b.right), ("Middle", b.middle), ("Other", b.other)]
        .into_iter()
        .map(|(name, n)| (name.to_string(), n))
        .collect::<Vec<_>>();
    page.ranking((MARGIN, y, half), "Clicks by button", &buttons);
    page.text(MARGIN + half + 24.0, y, 10.0, INK, "start", true, "Pointer");
    page.text(
        MARGIN + half + 24.0,
        y + 14.0,
        8.0,
        INK,
        "start",
        false,
        &format!("{} px travelled", count(stats.mouse.distance_px)),
    );
    page.text(
        MARGIN + half + 24.0,
        y + 26.5,
        8.0,
        INK,
        "start",
        false,
        &format!("{} scroll notches", count(stats.mouse.scroll_vertical + stats.mouse.scroll_horizontal)),
    );
    pages.push(page.finish());

    // Where the pointer went, on the most used desktop (each of its displays where it sits).
    let mut page = Page::new(&header, 3);
    match desktops(screens.to_vec()).first() {
        Some(desktop) => {
            let total = |layer: Layer| -> u64 { desktop.displays.iter().flat_map(|d| layer.cells(d)).sum() };
            let note = format!("{} {} on {}", count(total(Layer::Clicks)), Layer::Clicks.noun(), desktop.describe());
            let y = page.heading_with(70.0, Layer::Clicks.title(), &note);
            let y = page.desktop((MARGIN, y + 6.0, CONTENT), desktop, Layer::Clicks);
            let note = format!("{} {}", count(total(Layer::Moves)), Layer::Moves.noun());
            let y = page.heading_with(y + 34.0, Layer::Moves.title(), &note);
            page.desktop((MARGIN, y + 6.0, CONTENT), desktop, Layer::Moves);
        }
        None => {
            page.heading(70.0, "Where you click and move");
            page.text(MARGIN, 100.0, 9.0, MUTED, "start", false, "No pointer positions in this range.");
        }
    }
    pages.push(page.finish());

    // The applications that had the focus, by time and by key presses.
    if !stats.applications.is_empty() {
        let mut page = Page::new(&header, 4);
        let y = page.heading_with(70.0, "Applications", "The program that had the focus (never a window title).");
        let half = (CONTENT - 24.0) / 2.0;
        let apps = &stats.applications;
        let minutes: Vec<(String, u64)> = apps.iter().map(|a| (a.name.clone(), a.active_seconds / 60)).collect();
        let mut keys: Vec<(String, u64)> = apps.iter().map(|a| (a.name.clone(), a.keys)).collect();
        keys.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let left = page.ranking((MARGIN, y + 28.0, half), "Active minutes", &minutes);
        let right = page.ranking((MARGIN + half + 24.0, y + 28.0, half), "Key presses", &keys);
        if stats.excluded_seconds > 0 {
            let note = format!(
                "Excluded: {} in applications never counted (nothing of it is kept but its length).",
                short_duration(stats.excluded_seconds)
            );
            page.text(MARGIN, left.max(right) + 18.0, 8.5, MUTED, "start", false, &note);
        }
        pages.push(page.finish());
    }
    pages
}

/// A team's report: only the figures the team dashboard shows the asking member.
pub fn team_pages(title: &ReportTitle, stats: &TeamStats) -> Vec<String> {
    let header = format!("KeyTrack team report · {} · {} to {}", stats.team_name, stats.from, stats.to);
    let mut page = Page::new(&header, 1);
    page.cover(
        &stats.team_name,
        &format!("Team report · {} to {}", stats.from, stats.to),
        &[
            &format!(
                "{} members, {} keeping their figures private; each member's days in their own time zone.",
                stats.members, stats.private_members
            ),
            &format!("Made {} for {}.", title.made, title.who),
        ],
    );
    let mut y = 150.0;
    match &stats.totals {
        Some(totals) => {
            page.cards(
                y,
                &[
                    ("Key presses", count(totals.total_keys), None),
                    ("Clicks", count(totals.total_clicks), None),
                    ("Active time", duration(totals.active_seconds), None),
                    ("Typing speed", format!("{:.0} wpm", totals.wpm), None),
                ],
            );
            let made_of = format!(
                "Made of {} contributing members, only of hours in which at least {} were active.",
                stats.contributors.unwrap_or(0),
                keytrack_wire::MIN_CONTRIBUTORS
            );
            page.text(MARGIN, y + 72.0, 8.0, MUTED, "start", false, &made_of);
            let per_member = format!(
                "Per contributing member: {} key presses, {} clicks, {} active.",
                count(totals.average_keys),
                count(totals.average_clicks),
                duration(totals.average_active_seconds)
            );
            page.text(MARGIN, y + 83.0, 8.0, MUTED, "start", false, &per_member);
            y = page.heading(y + 104.0, "Week rhythm");
            y = page.rhythm((MARGIN, y + 6.0, CONTENT), &totals.by_weekday_hour);
            let chords: Vec<(String, u64)> =
                totals.top_chords.iter().map(|c| (title.layout.shortcut_name(&c.chord), c.count)).collect();
            y = page.ranking((MARGIN, y + 28.0, CONTENT / 2.0), "Top shortcuts", &chords);
        }
        None => {
            page.text(
                MARGIN,
                y + 14.0,
                9.0,
                MUTED,
                "start",
                false,
                &format!(
                    "No team totals: fewer than {} members were active in any hour of this range.",
                    keytrack_wire::MIN_CONTRIBUTORS
                ),
            );
            y += 30.0;
        }
    }
    let y = page.heading(y + 30.0, "Members who share their figures");
    let members: Vec<(String, u64)> = stats.member_figures.iter().map(|m| (m.name.clone(), m.total_keys)).collect();
    page.ranking((MARGIN, y + 8.0, CONTENT), "Key presses", &members);
    vec![page.finish()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_colours_mix_from_white() {
        assert_eq!(esc("<Ann & \"Bo\">\u{7}"), "&lt;Ann &amp; &quot;Bo&quot;&gt;");
        assert_eq!(mix(0.0), "#ffffff");
        assert_eq!(mix(1.0), "#2f6fde");
    }

    #[test]
    fn a_report_has_its_three_pages_and_names_its_figures() {
        let mut stats = ActivityStats {
            from: "2026-01-01".into(),
            to: "2026-01-31".into(),
            total_keys: 12_345,
            ..Default::default()
        };
        stats.keys.insert("KeyA".into(), 500);
        stats.by_weekday_hour = vec![vec![1; 24]; 7];
        let title = ReportTitle {
            who: "Ada <ada@example.com>".into(),
            clock: "UTC".into(),
            made: "today".into(),
            layout: KeyboardLayout::Us,
        };
        let pages = personal_pages(&title, &stats, &[]);
        assert_eq!(pages.len(), 3);
        assert!(pages[0].contains(">12,345<"), "{}", pages[0]);
        assert!(pages[0].contains("Ada &lt;ada@example.com&gt;"));
        assert!(pages[1].contains(">A<"), "the keyboard's labels");
        assert!(pages.iter().all(|p| p.starts_with("<svg") && p.ends_with("</svg>")));

        // A range that names applications has a fourth page for them.
        stats.applications = vec![keytrack_wire::AppTrend {
            name: "code".into(),
            keys: 900,
            clicks: 12,
            active_seconds: 3_600,
            daily: vec![3_600],
        }];
        stats.excluded_seconds = 120;
        let pages = personal_pages(&title, &stats, &[]);
        assert_eq!(pages.len(), 4);
        assert!(pages[3].contains(">code<") && pages[3].contains(">60<") && pages[3].contains(">900<"), "{}", pages[3]);
        assert!(pages[3].contains("Excluded: 2 min"), "{}", pages[3]);
    }
}
