//! The audit log's events as a table: on the administration page, and one's own on the profile.

use leptos::prelude::*;

use super::session::use_auth;
use crate::api::admin::AuditEvent;

/// Events as a table, the newest first (the profile shows one's own the same way).
#[component]
pub fn EventTable(events: Vec<AuditEvent>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="muted">"No events."</p> }.into_any();
    }
    let clock = use_auth().clock();
    view! {
        <div class="table-scroll">
            <table class="audit" data-testid="audit-events">
                <thead>
                    <tr>
                        <th>"When"</th>
                        <th>"What"</th>
                        <th>"Who"</th>
                        <th>"To whom"</th>
                        <th>"Detail"</th>
                        <th>"From"</th>
                    </tr>
                </thead>
                <tbody>
                    {events
                        .into_iter()
                        .map(|event| {
                            view! {
                                <tr data-action=event.action.clone()>
                                    <td>{clock.minute(event.at)}</td>
                                    <td>{event.label}</td>
                                    <td>{event.actor}</td>
                                    <td>{event.target}</td>
                                    <td>{event.detail}</td>
                                    <td>{event.address}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
