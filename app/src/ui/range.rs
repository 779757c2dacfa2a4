//! The range of days a dashboard shows: read from the page's URL, and chosen with presets and a
//! custom range (the dashboard's and the team page's filter).

use leptos::prelude::*;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;

use crate::domain::range::{Preset, RangeQuery};

/// The date range in the page's URL (`range=` or `from=`/`to=`).
pub fn use_range_query() -> Memo<RangeQuery> {
    let params = use_query_map();
    Memo::new(move |_| params.with(|p| RangeQuery { range: p.get("range"), from: p.get("from"), to: p.get("to") }))
}

/// Presets as links (bookmarkable, keyboard friendly) and a custom range as a GET form, for the
/// dashboard at `path`.
#[component]
pub fn RangeFilter(query: Memo<RangeQuery>, path: String) -> impl IntoView {
    let form_path = path.clone();
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
            <Form action=form_path method="GET" attr:class="custom-range">
                <label>"From " <input type="date" name="from" prop:value=move || query.get().from.unwrap_or_default()/></label>
                <label>"to " <input type="date" name="to" prop:value=move || query.get().to.unwrap_or_default()/></label>
                <button type="submit">"Show"</button>
            </Form>
        </nav>
    }
}
