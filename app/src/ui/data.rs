//! "Your data": export every kind of file, and delete a range of days or the whole account (a
//! device's data goes from the devices page), each after a confirmation that says what goes. Also the
//! Export menu the dashboards carry.

use leptos::prelude::*;
use leptos_router::components::A;

use super::range::{range_params, url_with_range};
use super::session::{RequireLogin, use_auth};
use super::widgets::{ErrorNote, action_error};
use crate::api::dashboard_stats;
use crate::api::data::{DeleteAccount, DeleteDays};
use crate::domain::format::{count, duration};
use crate::domain::range::RangeQuery;

/// The URL of an export of `kind` over the range of `query`, under `base` (an API route).
pub fn export_url(base: &str, kind: &str, query: &RangeQuery) -> String {
    let mut params = vec![format!("kind={kind}")];
    params.extend(range_params(query));
    format!("{base}?{}", params.join("&"))
}

/// The dashboards' Export menu: the PDF report and a CSV file per kind, over the range the
/// dashboard shows (`base` is the API route the files come from, e.g. `/api/v1`). Downloads
/// stream; the browser's download list shows their progress.
#[component]
pub fn ExportMenu(
    base: String,
    query: Memo<RangeQuery>,
    kinds: &'static [(&'static str, &'static str)],
) -> impl IntoView {
    let report = format!("{base}/report.pdf");
    let base = format!("{base}/export.csv");
    view! {
        <details class="export-menu" data-testid="export-menu">
            <summary>"Export"</summary>
            <ul>
                <li>
                    <a href=move || url_with_range(&report, &query.get()) download="" rel="external" data-kind="pdf">
                        "PDF report"
                    </a>
                </li>
                {kinds
                    .iter()
                    .map(|(kind, label)| {
                        let base = base.clone();
                        view! {
                            <li>
                                <a href=move || export_url(&base, kind, &query.get()) download="" rel="external" data-kind=*kind>
                                    {*label}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </details>
    }
}

/// The personal CSV files: kind and label.
pub const OWN_CSV_KINDS: &[(&str, &str)] = &[
    ("day", "CSV: per day"),
    ("hour", "CSV: per hour"),
    ("key", "CSV: per key"),
    ("shortcut", "CSV: per shortcut"),
    ("application", "CSV: per application"),
    ("minute", "CSV: per minute"),
];

/// The team CSV files.
pub const TEAM_CSV_KINDS: &[(&str, &str)] =
    &[("members", "CSV: team and members"), ("hours", "CSV: week rhythm"), ("shortcuts", "CSV: top shortcuts")];

#[component]
pub fn DataPage() -> impl IntoView {
    let delete_days = ServerAction::<DeleteDays>::new();
    view! {
        <RequireLogin>
            <h1>"Your data"</h1>
            <ExportSection/>
            <DevicesSection/>
            <DeleteDaysSection delete=delete_days/>
            <DeleteAccountSection/>
        </RequireLogin>
    }
}

#[component]
fn ExportSection() -> impl IntoView {
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let query = Memo::new(move |_| {
        let (from, to) = (from.get(), to.get());
        if from.is_empty() && to.is_empty() {
            RangeQuery { range: Some("all".into()), from: None, to: None }
        } else {
            RangeQuery {
                range: None,
                from: Some(from).filter(|f| !f.is_empty()),
                to: Some(to).filter(|t| !t.is_empty()),
            }
        }
    });
    view! {
        <section class="card" data-testid="export-section">
            <h2>"Export"</h2>
            <p class="muted">
                "CSV files count days and hours in your time zone and day start (their first line says which). "
                "Leave the dates empty for everything."
            </p>
            <div class="form inline">
                <label>"From" <input type="date" prop:value=from on:input=move |ev| from.set(event_target_value(&ev))/></label>
                <label>"To" <input type="date" prop:value=to on:input=move |ev| to.set(event_target_value(&ev))/></label>
            </div>
            <ul class="downloads">
                {OWN_CSV_KINDS
                    .iter()
                    .map(|(kind, label)| {
                        view! {
                            <li>
                                <a href=move || export_url("/api/v1/export.csv", kind, &query.get()) download="" rel="external" data-kind=*kind>
                                    {*label}
                                </a>
                            </li>
                        }
                    })
                    .collect_view()}
                <li>
                    <a href=move || url_with_range("/api/v1/report.pdf", &query.get()) download="" rel="external" data-kind="pdf">
                        "PDF report: the dashboard on paper"
                    </a>
                </li>
                <li>
                    <a href="/api/v1/export.json" download="" rel="external" data-kind="json">"JSON: everything, to keep or to load into another KeyTrack server"</a>
                </li>
            </ul>
        </section>
    }
}

/// Devices are managed on their own page; this says where, since a device's data goes with it.
#[component]
fn DevicesSection() -> impl IntoView {
    view! {
        <section class="card" data-testid="devices-section">
            <h2>"Devices"</h2>
            <p>
                "To delete what one computer uploaded, remove it on the " <A href="/devices">"Devices"</A>
                " page: you choose there whether its data goes with it."
            </p>
        </section>
    }
}

#[component]
fn DeleteDaysSection(delete: ServerAction<DeleteDays>) -> impl IntoView {
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    // The range under review: what it holds is shown before anything is deleted.
    let review = RwSignal::new(None::<(String, String)>);
    let summary = Resource::new(
        move || review.get(),
        |range| async move {
            match range {
                Some((from, to)) => dashboard_stats(None, Some(from), Some(to)).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let done = move || {
        delete.value().get().and_then(Result::ok).map(|receipt| {
            view! {
                <p class="ok" role="status" data-testid="days-deleted">
                    {format!(
                        "Deleted {} of figures: {} minute records and {} hour blocks.",
                        if receipt.days == 1 { "1 day".to_string() } else { format!("{} days", count(receipt.days)) },
                        count(receipt.minutes),
                        count(receipt.blocks)
                    )}
                </p>
            }
        })
    };
    view! {
        <section class="card" data-testid="delete-days-section">
            <h2>"Delete days"</h2>
            <p class="muted">"Everything recorded on these days (your days, in your time zone) goes: totals, keys, clicks, positions."</p>
            <div class="form inline">
                <label>"From" <input type="date" name="from" prop:value=from on:input=move |ev| from.set(event_target_value(&ev))/></label>
                <label>"To" <input type="date" name="to" prop:value=to on:input=move |ev| to.set(event_target_value(&ev))/></label>
                <button
                    type="button"
                    disabled=move || from.get().is_empty() || to.get().is_empty()
                    on:click=move |_| review.set(Some((from.get(), to.get())))
                >
                    "Review…"
                </button>
            </div>
            <Transition fallback=|| ()>
                {move || {
                    summary
                        .get()
                        .map(|summary| match summary {
                            Ok(Some(stats)) => {
                                let (from, to) = (stats.from.clone(), stats.to.clone());
                                view! {
                                    <div class="confirm" role="alertdialog" data-testid="confirm-days">
                                        <p>
                                            {format!(
                                                "From {} to {}: {} key presses, {} clicks and {} of activity will be deleted. This cannot be undone.",
                                                stats.from,
                                                stats.to,
                                                count(stats.total_keys),
                                                count(stats.total_clicks),
                                                duration(stats.active_seconds)
                                            )}
                                        </p>
                                        <button
                                            type="button"
                                            class="danger"
                                            on:click=move |_| {
                                                delete.dispatch(DeleteDays { from: from.clone(), to: to.clone() });
                                                review.set(None);
                                            }
                                        >
                                            "Yes, delete these days"
                                        </button>
                                        " "
                                        <button type="button" on:click=move |_| review.set(None)>"Cancel"</button>
                                    </div>
                                }
                                    .into_any()
                            }
                            Ok(None) => ().into_any(),
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        })
                }}
            </Transition>
            {action_error(*delete)}
            {done}
        </section>
    }
}

#[component]
fn DeleteAccountSection() -> impl IntoView {
    let delete = ServerAction::<DeleteAccount>::new();
    // The session is gone with the account: the header and pages follow at once.
    use_auth().refetch_after(*delete);
    view! {
        <section class="card" data-testid="delete-account-section">
            <h2>"Delete my account"</h2>
            <p class="muted">
                "Your profile, API tokens, devices, every record and figure, and your team memberships go, on this server, at once. "
                "A team you own alone with others in it needs another owner first. Export your data first if you want to keep it."
            </p>
            <ActionForm action=delete attr:class="form">
                <label>"Your password, to confirm" <input type="password" name="password" autocomplete="current-password" required/></label>
                {action_error(*delete)}
                <button type="submit" class="danger" disabled=move || delete.pending().get()>"Delete my account for good"</button>
            </ActionForm>
        </section>
    }
}
