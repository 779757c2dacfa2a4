//! Click and movement heatmaps: the pointer's positions binned on the wire format's 64x36 grid,
//! drawn in SVG over the outline of the screen they happened on, on a log colour scale and
//! softened with a blur so that the grid reads as a heat field. Each cell's count is in its tooltip.

use keytrack_wire::{GRID_COLS, GRID_ROWS, ScreenHeatmap};
use leptos::prelude::*;

use crate::domain::format::count;

/// Which of a heatmap's two layers to draw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer {
    Clicks,
    Moves,
}

impl Layer {
    fn widget(self) -> &'static str {
        match self {
            Layer::Clicks => "click-heatmap",
            Layer::Moves => "movement-heatmap",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Layer::Clicks => "Where you click",
            Layer::Moves => "Where the pointer moves",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Layer::Clicks => "clicks",
            Layer::Moves => "pointer moves",
        }
    }
}

/// 0 for nothing, 1 for the busiest cell, logarithmic in between.
fn heat(n: u64, max: u64) -> f64 {
    if n == 0 || max == 0 { 0.0 } else { (1.0 + n as f64).ln() / (1.0 + max as f64).ln() }
}

/// Blue through orange to red as heat rises.
fn colour(heat: f64) -> String {
    let hue = 220.0 - 220.0 * heat;
    format!("hsla({hue:.0}, 85%, 50%, {:.2})", 0.25 + 0.65 * heat)
}

#[component]
pub fn PointerHeatmap(screens: Vec<ScreenHeatmap>, layer: Layer) -> impl IntoView {
    let others = screens.len().saturating_sub(1);
    let Some(screen) = screens.into_iter().next() else {
        return view! {
            <section class="card" data-widget=layer.widget()>
                <h2>{layer.title()}</h2>
                <p class="muted">{format!("No {} in this range.", layer.noun())}</p>
            </section>
        }
        .into_any();
    };
    let cells = match layer {
        Layer::Clicks => screen.clicks,
        Layer::Moves => screen.moves,
    };
    let total: u64 = cells.iter().sum();
    let max = cells.iter().copied().max().unwrap_or(0);
    let (w, h) = (f64::from(screen.width), f64::from(screen.height));
    let (cell_w, cell_h) = (w / f64::from(GRID_COLS), h / f64::from(GRID_ROWS));
    let filter = format!("blur-{}", layer.widget());
    let drawn = cells
        .into_iter()
        .enumerate()
        .filter(|(_, n)| *n > 0)
        .map(|(i, n)| {
            let (col, row) = (i % usize::from(GRID_COLS), i / usize::from(GRID_COLS));
            let (x, y) = (col as f64 * cell_w, row as f64 * cell_h);
            view! {
                <rect x=x y=y width=cell_w height=cell_h fill=colour(heat(n, max))>
                    <title>
                        {format!(
                            "{} {} around ({:.0}, {:.0})",
                            count(n),
                            layer.noun(),
                            x + cell_w / 2.0,
                            y + cell_h / 2.0
                        )}
                    </title>
                </rect>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-widget=layer.widget()>
            <h2>{layer.title()}</h2>
            <svg
                class="screen"
                viewBox=format!("0 0 {w} {h}")
                role="img"
                aria-label=format!("{} {} on a {}x{} screen", count(total), layer.noun(), screen.width, screen.height)
            >
                <defs>
                    <filter id=filter.clone() x="-5%" y="-5%" width="110%" height="110%">
                        <feGaussianBlur stdDeviation=format!("{:.1}", cell_w * 0.6)/>
                    </filter>
                </defs>
                <rect class="outline" x="0" y="0" width=w height=h rx=w * 0.01/>
                <g filter=format!("url(#{filter})")>{drawn}</g>
            </svg>
            <p class="muted small" data-testid=format!("{}-total", layer.widget())>
                {format!("{} {} on a {}×{} screen", count(total), layer.noun(), screen.width, screen.height)}
                {(others > 0).then(|| format!(" (the most used of {} screen sizes)", others + 1))}
            </p>
        </section>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heat_is_logarithmic_and_colours_go_from_blue_to_red() {
        assert_eq!(heat(0, 10), 0.0);
        assert_eq!(heat(10, 10), 1.0);
        assert_eq!(colour(0.0), "hsla(220, 85%, 50%, 0.25)");
        assert_eq!(colour(1.0), "hsla(0, 85%, 50%, 0.90)");
    }
}
