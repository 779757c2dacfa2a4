//! The range of days a dashboard shows: read from the page's URL, and chosen with presets and a
//! custom range (the dashboard's and the team page's filter).

use leptos::html::Input;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::domain::format::query_value;
use crate::domain::range::{Preset, RangeQuery};

/// The date range in the page's URL (`range=` or `from=`/`to=`).
pub fn use_range_query() -> Memo<RangeQuery> {
    let params = use_query_map();
    Memo::new(move |_| params.with(|p| RangeQuery { range: p.get("range"), from: p.get("from"), to: p.get("to") }))
}

/// The range of `query` as query parameters (`range=30d`, `from=...&to=...`).
pub fn range_params(query: &RangeQuery) -> Vec<String> {
    [("range", &query.range), ("from", &query.from), ("to", &query.to)]
        .into_iter()
        .filter_map(|(name, value)| {
            value.as_deref().filter(|v| !v.is_empty()).map(|v| format!("{name}={}", query_value(v)))
        })
        .collect()
}

/// `path` over the range of `query` (a dashboard, a PDF report).
pub fn url_with_range(path: &str, query: &RangeQuery) -> String {
    let params = range_params(query);
    if params.is_empty() { path.to_string() } else { format!("{path}?{}", params.join("&")) }
}

/// Presets as links (bookmarkable, keyboard friendly) and a custom range as a GET form, for the
/// dashboard at `path`. The form navigates in the page once hydrated (and is a plain GET before):
/// the router's `<Form>` also sent its nameless submit button, which put a stray `&=` in the URL.
#[component]
pub fn RangeFilter(query: Memo<RangeQuery>, path: String) -> impl IntoView {
    let form_path = path.clone();
    let from_input = NodeRef::<Input>::new();
    let to_input = NodeRef::<Input>::new();
    let show_custom_range = {
        let path = path.clone();
        let navigate = use_navigate();
        move |ev: leptos::ev::SubmitEvent| {
            let (Some(from), Some(to)) = (from_input.get(), to_input.get()) else { return };
            ev.prevent_default();
            let chosen = RangeQuery { range: None, from: Some(from.value()), to: Some(to.value()) };
            navigate(&url_with_range(&path, &chosen), Default::default());
        }
    };
    view! {
        <nav class="range" aria-label="Date range">
            {Preset::ALL
                .into_iter()
                .map(|preset| {
                    let current = move || query.get().preset() == Some(preset);
                    view! {
                        <A
                            href=format!("{path}?range={}", preset.key())
                            attr:class=move || if current() { "chip current" } else { "chip" }
                            attr:aria-current=move || current().then_some("page")
                        >
                            {preset.label()}
                        </A>
                    }
                })
                .collect_view()}
            <form action=form_path method="GET" class="custom-range" on:submit=show_custom_range>
                <label>"From " <input node_ref=from_input type="date" name="from" prop:value=move || query.get().from.unwrap_or_default()/></label>
                <label>"to " <input node_ref=to_input type="date" name="to" prop:value=move || query.get().to.unwrap_or_default()/></label>
                <button type="submit">"Show"</button>
            </form>
        </nav>
    }
}
