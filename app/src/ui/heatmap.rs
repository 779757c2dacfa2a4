//! Click and movement heatmaps: the pointer's positions binned on the wire format's 64x36 grid of
//! each display, drawn in SVG over the outlines of the displays where they sit on the desktop, on
//! a log colour scale and softened with a blur (kept inside its display) so that the grid reads as
//! a heat field. Pointing at a cell says its count under the map.

use keytrack_wire::{GRID_COLS, GRID_ROWS, ScreenHeatmap};
use leptos::prelude::*;

use crate::domain::drawing::{DesktopHeat, Layer, desktops, heat_shades};
use crate::domain::format::count;
use crate::ui::widgets::HeatLegend;

#[component]
pub fn PointerHeatmap(screens: Vec<ScreenHeatmap>, layer: Layer) -> impl IntoView {
    let desktops = desktops(screens);
    if desktops.is_empty() {
        return view! {
            <section class="card" data-widget=layer.widget()>
                <h2>{layer.title()}</h2>
                <p class="muted">{format!("No {} in this range.", layer.noun())}</p>
            </section>
        }
        .into_any();
    }
    // Where several desktops were used (the laptop alone, the laptop at the desk with a monitor),
    // one is drawn at a time, the most used first.
    let chosen = RwSignal::new(0usize);
    let choice = (desktops.len() > 1).then(|| {
        let options = desktops
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let label = format!("{}{}", d.describe(), if i == 0 { " (most used)" } else { "" });
                view! { <option value=i.to_string()>{label}</option> }
            })
            .collect_view();
        view! {
            <label class="muted small">
                "Desktop "
                <select
                    data-testid=format!("{}-desktop", layer.widget())
                    on:change=move |ev| chosen.set(event_target_value(&ev).parse().unwrap_or(0))
                >
                    {options}
                </select>
            </label>
        }
    });
    let drawn = move || {
        let desktop = desktops.get(chosen.get()).cloned().unwrap_or_else(|| desktops[0].clone());
        desktop_view(&desktop, layer)
    };
    view! {
        <section class="card" data-widget=layer.widget()>
            <h2>{layer.title()}</h2>
            {choice}
            {drawn}
            <HeatLegend class="pointer"/>
        </section>
    }
    .into_any()
}

/// One desktop: each display's outline where it sits, its own grid's heat inside it (on one
/// colour scale for the whole desktop), and the counts per display below. Pointing at the map
/// tells the count of the cell under the pointer.
fn desktop_view(desktop: &DesktopHeat, layer: Layer) -> impl IntoView + use<> {
    let max = desktop.displays.iter().flat_map(|d| layer.cells(d).iter().copied()).max().unwrap_or(0);
    let totals: Vec<u64> = desktop.displays.iter().map(|d| layer.cells(d).iter().sum()).collect();
    let total: u64 = totals.iter().sum();
    let (w, h) = (f64::from(desktop.width), f64::from(desktop.height));
    let several = desktop.displays.len() > 1;
    let displays = desktop
        .displays
        .iter()
        .enumerate()
        .map(|(i, display)| {
            let (left, top) = (f64::from(display.x), f64::from(display.y));
            let (dw, dh) = (f64::from(display.width), f64::from(display.height));
            let filter = format!("blur-{}-{i}", layer.widget());
            let shades = heat_shades(layer.cells(display), max, (left, top, dw, dh), 0.0);
            let counted: usize = shades.iter().map(|shade| shade.cells).sum();
            let heat = shades
                .into_iter()
                .map(|shade| view! { <path class="heat" fill=shade.fill d=shade.path data-cells=shade.cells/> })
                .collect_view();
            let clip = format!("clip-{}-{i}", layer.widget());
            view! {
                <g data-display=i + 1 data-cells=counted>
                    <defs>
                        <filter id=filter.clone() x="-5%" y="-5%" width="110%" height="110%">
                            <feGaussianBlur stdDeviation=format!("{:.1}", dw / f64::from(GRID_COLS) * 0.6)/>
                        </filter>
                        <clipPath id=clip.clone()>
                            <rect x=left y=top width=dw height=dh/>
                        </clipPath>
                    </defs>
                    <rect class="outline" x=left y=top width=dw height=dh rx=dw * 0.01/>
                    <g clip-path=format!("url(#{clip})")>
                        <g filter=format!("url(#{filter})")>{heat}</g>
                    </g>
                    {several
                        .then(|| {
                            view! {
                                <text class="display-number" x=left + dw * 0.02 y=top + dh * 0.08 font-size=dh * 0.06>
                                    {(i + 1).to_string()}
                                </text>
                            }
                        })}
                </g>
            }
        })
        .collect_view();
    // The cell under the pointer, said in words ("1,204 pointer moves around (990, 45)").
    let pointed = RwSignal::new(None::<String>);
    let point_at = {
        let desktop = desktop.clone();
        move |ev: leptos::ev::MouseEvent| {
            let cell = point_on_map(&ev, (w, h)).and_then(|(x, y)| desktop.cell_at(x, y));
            pointed.set(cell.map(|(i, cell)| {
                let display = &desktop.displays[i];
                let n = layer.cells(display).get(cell).copied().unwrap_or(0);
                let (col, row) = (cell % usize::from(GRID_COLS), cell / usize::from(GRID_COLS));
                let (cell_w, cell_h) =
                    (f64::from(display.width) / f64::from(GRID_COLS), f64::from(display.height) / f64::from(GRID_ROWS));
                let on = if several { format!(" on display {}", i + 1) } else { String::new() };
                format!(
                    "{} {} around ({:.0}, {:.0}){on}",
                    count(n),
                    layer.noun(),
                    (col as f64 + 0.5) * cell_w,
                    (row as f64 + 0.5) * cell_h
                )
            }));
        }
    };
    let per_display = several.then(|| {
        desktop
            .displays
            .iter()
            .zip(&totals)
            .enumerate()
            .map(|(i, (d, n))| {
                view! {
                    <li data-testid=format!("{}-display-{}", layer.widget(), i + 1)>
                        {format!(
                            "Display {} ({}×{} at {}, {}): {} {}",
                            i + 1,
                            d.width,
                            d.height,
                            d.x,
                            d.y,
                            count(*n),
                            layer.noun()
                        )}
                    </li>
                }
            })
            .collect_view()
    });
    let described = desktop.describe();
    view! {
        <svg
            class="screen"
            viewBox=format!("0 0 {w} {h}")
            role="img"
            aria-label=format!("{} {} on {described}", count(total), layer.noun())
            on:mousemove=point_at
            on:mouseleave=move |_| pointed.set(None)
        >
            {displays}
        </svg>
        <p class="muted small pointed" data-testid=format!("{}-pointed", layer.widget())>
            {move || pointed.get().unwrap_or_else(|| "Point at the map for a spot's count.".to_string())}
        </p>
        <p class="muted small" data-testid=format!("{}-total", layer.widget())>
            {format!("{} {} on {described}", count(total), layer.noun())}
        </p>
        {per_display.map(|items| view! { <ul class="displays muted small">{items}</ul> })}
    }
}

/// Where the pointer is on the map, in the desktop's own units (the SVG keeps the desktop's
/// proportions, so its box scales both axes alike).
#[cfg(feature = "hydrate")]
fn point_on_map(ev: &leptos::ev::MouseEvent, (w, h): (f64, f64)) -> Option<(f64, f64)> {
    use wasm_bindgen::JsCast;
    let map = ev.current_target()?.dyn_into::<web_sys::Element>().ok()?;
    let bounds = map.get_bounding_client_rect();
    if bounds.width() <= 0.0 || bounds.height() <= 0.0 {
        return None;
    }
    let x = (f64::from(ev.client_x()) - bounds.left()) / bounds.width() * w;
    let y = (f64::from(ev.client_y()) - bounds.top()) / bounds.height() * h;
    Some((x, y))
}

#[cfg(not(feature = "hydrate"))]
fn point_on_map(_: &leptos::ev::MouseEvent, _: (f64, f64)) -> Option<(f64, f64)> {
    None
}
