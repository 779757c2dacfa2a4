//! Click and movement heatmaps: the pointer's positions binned on the wire format's 64x36 grid,
//! drawn in SVG over the outline of the screen they happened on, on a log colour scale and
//! softened with a blur so that the grid reads as a heat field. Each cell's count is in its tooltip.

use keytrack_wire::{GRID_COLS, GRID_ROWS, ScreenHeatmap};
use leptos::prelude::*;

use crate::domain::drawing::{log_scale, pointer_colour};
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
                <rect x=x y=y width=cell_w height=cell_h fill=pointer_colour(log_scale(n, max))>
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
