//! Small pieces every page uses: a failed call said plainly, the red button of an action that
//! cannot be undone, the page's own address, a heat scale's legend and the arrow keys' focus in
//! a grid that is one tab stop.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::UiError;
use crate::domain::drawing::pointer_colour;

/// A failed call, said plainly.
#[component]
pub fn ErrorNote(error: UiError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

/// The error of an action's last call, if it failed.
pub fn action_error<I: 'static, O: Clone + Send + Sync + 'static>(
    action: Action<I, Result<O, UiError>>,
) -> impl Fn() -> Option<AnyView> + Copy {
    move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> }.into_any())
}

/// The red button of an action that cannot be undone (revoke, remove). `label` names what it acts
/// on for screen readers, since a table holds several buttons with the same text; it is disabled
/// while `pending`.
#[component]
pub fn DangerButton(
    text: &'static str,
    label: String,
    #[prop(into)] pending: Signal<bool>,
    on_click: Callback<()>,
) -> impl IntoView {
    view! {
        <button type="button" class="danger" aria-label=label disabled=move || pending.get() on:click=move |_| on_click.run(())>
            {text}
        </button>
    }
}

/// `https://host:port` of the page, for links and commands to copy (only ever called in the
/// browser, after an action).
pub(crate) fn site_origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

/// A page that is not there (or not there for this person): 404, with the way back.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p><A href="/">"Back to the dashboard"</A></p>
        </section>
    }
}

/// The scale of a heatmap's shades, from few to many (`class` picks the shading: `keys` for the
/// keyboard and week rhythm, `pointer` for clicks and movement).
#[component]
pub fn HeatLegend(class: &'static str) -> impl IntoView {
    // The pointer maps' colours come from domain::drawing (the SVG and the PDF draw them); the
    // keys' shade is the stylesheet's.
    let ramp = (class == "pointer").then(|| {
        let stops: Vec<String> = (0..=4).map(|i| pointer_colour(f64::from(i) / 4.0)).collect();
        format!("background: linear-gradient(to right, {})", stops.join(", "))
    });
    view! {
        <p class=format!("heat-legend {class}") data-testid="heat-legend">
            <span>"Fewer"</span>
            <span class="ramp" aria-hidden="true" style=ramp></span>
            <span>"More"</span>
        </p>
    }
}

/// Moves the focus to the element marked `data-stop=index` of a roving grid (one tab stop, the
/// arrows move inside it; the grid is marked `data-roving`), the grid of the key event's target.
pub fn focus_stop(ev: &leptos::ev::KeyboardEvent, index: usize) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let stop = ev
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .and_then(|focused| focused.closest("[data-roving]").ok().flatten())
            .and_then(|grid| grid.query_selector(&format!("[data-stop=\"{index}\"]")).ok().flatten());
        if let Some(stop) = stop {
            ev.prevent_default();
            if let Ok(svg) = stop.clone().dyn_into::<web_sys::SvgElement>() {
                let _ = svg.focus();
            } else if let Ok(html) = stop.dyn_into::<web_sys::HtmlElement>() {
                let _ = html.focus();
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, index);
}
