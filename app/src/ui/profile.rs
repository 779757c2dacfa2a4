//! The profile: display name, time zone and day start, which every figure is counted in, and the
//! keyboard layout the keyboard is labelled with.

use leptos::prelude::*;

use super::audit::EventTable;
use super::password::ChangePasswordForm;
use super::session::{RequireLogin, use_auth};
use super::two_factor::TwoFactorCard;
use super::widgets::{ErrorNote, action_error};
use crate::api::account::my_audit_events;
use crate::api::{AddNeverCount, RemoveNeverCount, SaveProfile, UiError, time_zones};
use crate::domain::layouts::KeyboardLayout;

#[component]
pub fn ProfilePage() -> impl IntoView {
    // Made outside RequireLogin's Transition, for the reason the dashboard's are (see
    // `home::HomePage`): inside it, the server sent the time zones three times.
    let auth = use_auth();
    let zones = Resource::new(|| (), move |_| auth.when_logged_in(time_zones()));
    view! {
        <RequireLogin>
            <Profile zones/>
            <NeverCount/>
            <ChangePasswordForm heading="Password" changed=Callback::new(|()| ())/>
            <TwoFactorCard heading="Two-factor sign-in"/>
            <AccountEvents/>
        </RequireLogin>
    }
}

#[component]
fn Profile(zones: Resource<Result<Vec<String>, UiError>>) -> impl IntoView {
    let save = ServerAction::<SaveProfile>::new();
    // The account the whole page (and the header's name) shows, fetched again once saved.
    let auth = use_auth();
    auth.refetch_after(*save);
    let account = move || auth.account();
    let error = action_error(*save);
    let saved =
        move || matches!(save.value().get(), Some(Ok(()))).then(|| view! { <p class="ok" role="status">"Saved."</p> });
    view! {
        <section class="card narrow">
            <h1>"Profile"</h1>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    match (account(), zones.get()) {
                        (Some(Ok(Some(account))), Some(Ok(zones))) => {
                            view! {
                                <ActionForm action=save attr:class="form" attr:data-testid="profile-form">
                                    <p class="muted">{account.email.clone()}</p>
                                    <label>
                                        "Display name"
                                        <input type="text" name="display_name" maxlength="100" value=account.display_name.clone()/>
                                    </label>
                                    <label>
                                        "Time zone"
                                        <select name="timezone">
                                            {zones
                                                .into_iter()
                                                .map(|zone| {
                                                    let selected = zone == account.timezone;
                                                    let label = zone.clone();
                                                    view! { <option value=zone selected=selected>{label}</option> }
                                                })
                                                .collect_view()}
                                        </select>
                                    </label>
                                    <label>
                                        "My day starts at"
                                        <select name="day_start_hour">
                                            {(0u8..24)
                                                .map(|hour| {
                                                    let selected = hour == account.day_start_hour;
                                                    view! { <option value=hour.to_string() selected=selected>{format!("{hour:02}:00")}</option> }
                                                })
                                                .collect_view()}
                                        </select>
                                        <small class="muted">"Activity before this hour counts for the day before (for night owls)."</small>
                                    </label>
                                    <label>
                                        "Keyboard layout"
                                        <select name="keyboard_layout">
                                            {KeyboardLayout::ALL
                                                .into_iter()
                                                .map(|layout| {
                                                    let selected = layout.id() == account.keyboard_layout;
                                                    view! { <option value=layout.id() selected=selected>{layout.name()}</option> }
                                                })
                                                .collect_view()}
                                        </select>
                                        <small class="muted">"What your keys are labelled with. KeyTrack counts physical keys, so this changes no count."</small>
                                    </label>
                                    {error}
                                    {saved}
                                    <button type="submit" disabled=move || save.pending().get()>"Save"</button>
                                </ActionForm>
                            }
                                .into_any()
                        }
                        (Some(Err(error)), _) | (_, Some(Err(error))) => view! { <ErrorNote error/> }.into_any(),
                        _ => view! { <p class="muted">"Loading…"</p> }.into_any(),
                    }
                }}
            </Transition>
        </section>
    }
}

/// The applications the user's agents never count, besides each agent's own list (password
/// managers by default): added here, they apply on every computer from its next upload on.
#[component]
fn NeverCount() -> impl IntoView {
    let add = ServerAction::<AddNeverCount>::new();
    let remove = ServerAction::<RemoveNeverCount>::new();
    let auth = use_auth();
    auth.refetch_after(*add);
    auth.refetch_after(*remove);
    let account = move || auth.account();
    let add_error = action_error(*add);
    let remove_error = action_error(*remove);
    let defaults = keytrack_wire::apps::DEFAULT_NEVER_COUNT.join(", ");
    view! {
        <section class="card narrow" data-widget="never-count">
            <h2>"Never counted"</h2>
            <p class="muted">
                "While one of these applications has the focus, your agents count nothing at all: no key, no click, no position. "
                "Only the time shows, as “excluded”. Each agent also keeps its own list (change it with "
                <code>"keytrack-agent never-count"</code>
                "), which holds by default: "
                {defaults}
                ", and terminals while sudo, su, doas, passwd or pkexec runs in them."
            </p>
            <p class="muted" data-testid="never-count-wayland">
                "On Wayland desktops the list applies where the desktop says which application is active: sway, Hyprland and other wlroots desktops. "
                "On GNOME and KDE the agent cannot know (its "
                <code>"keytrack-agent status"</code>
                " says so) and counts that time under no application: pause it before typing a password there."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    account()
                        .map(|account| match account {
                            Ok(Some(account)) if account.never_count.is_empty() => {
                                view! { <p data-testid="never-count-empty">"Nothing added for all your computers yet."</p> }.into_any()
                            }
                            Ok(Some(account)) => {
                                view! {
                                    <ul class="never-count" data-testid="never-count-list">
                                        {account
                                            .never_count
                                            .into_iter()
                                            .map(|name| {
                                                let label = format!("Count {name} again");
                                                view! {
                                                    <li>
                                                        <code>{name.clone()}</code>
                                                        <ActionForm action=remove>
                                                            <input type="hidden" name="name" value=name/>
                                                            <button type="submit" aria-label=label.clone() title=label>"×"</button>
                                                        </ActionForm>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                            Ok(None) => ().into_any(),
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        })
                }}
            </Transition>
            {remove_error}
            <ActionForm action=add attr:class="form" attr:data-testid="never-count-form">
                <label>
                    "Application"
                    <input type="text" name="name" maxlength="64" required placeholder="e.g. keepassxc"/>
                    <small class="muted">"Its program's name, as the dashboard's Applications shows it."</small>
                </label>
                {add_error}
                <button type="submit" disabled=move || add.pending().get()>"Never count it"</button>
            </ActionForm>
        </section>
    }
}

/// What happened to the account lately, as the audit log keeps it: logins (and failed ones),
/// passwords, tokens, pairing, and what administrators did to it.
#[component]
fn AccountEvents() -> impl IntoView {
    let events = Resource::new(|| (), |_| my_audit_events());
    view! {
        <section class="card" data-widget="account-events">
            <h2>"Your account's events"</h2>
            <p class="muted">"The latest 50: logins and failed logins, passwords, API tokens, pairing, and what an administrator did."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    events.get().map(|listed| match listed {
                        Ok(listed) => view! { <EventTable events=listed/> }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
                }}
            </Transition>
        </section>
    }
}
