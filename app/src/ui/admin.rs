//! The administration page (`/admin`, site administrators only; "Page not found" for anyone
//! else): the people on the server and what an administrator does with them, site invites, the
//! sign-up policy, whether two-factor sign-in is required, and the audit log.

use leptos::prelude::*;

use super::audit::EventTable;
use super::session::{RequireLogin, use_auth};
use super::widgets::{DangerButton, ErrorNote, NotFound, action_error};
use crate::api::admin::{
    AdminCreateInvite, AdminDeletePerson, AdminRequireTwoFactor, AdminResetLink, AdminResetTwoFactor,
    AdminRevokeInvite, AdminSetAdmin, AdminSetDisabled, AdminSetMustChangePassword, AdminSetSignUpPolicy, AuditEvent,
    Person, SignUpPolicy, admin_audit, admin_invites, admin_people, admin_sign_up_policy, admin_two_factor_required,
};
use crate::domain::format::{count, query_value};
use crate::model::AuditAction;

#[component]
pub fn AdminPage() -> impl IntoView {
    let auth = use_auth();
    view! {
        <RequireLogin>
            {move || {
                auth.account().map(|account| match account {
                    Ok(Some(account)) if account.is_admin => view! { <Administration/> }.into_any(),
                    // As for a team one is not in: nothing here.
                    Ok(_) => view! { <NotFound/> }.into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                })
            }}
        </RequireLogin>
    }
}

#[component]
fn Administration() -> impl IntoView {
    view! {
        <div class="admin" data-testid="administration">
            <h1>"Administration"</h1>
            <People/>
            <Invites/>
            <Policy/>
            <TwoFactorPolicy/>
            <AuditLog/>
        </div>
    }
}

/// Bytes in words: `1.2 MB`.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.0} KB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

#[component]
fn People() -> impl IntoView {
    let (search, set_search) = signal(String::new());
    let (page, set_page) = signal(1u64);
    let set_admin = ServerAction::<AdminSetAdmin>::new();
    let set_disabled = ServerAction::<AdminSetDisabled>::new();
    let must_change = ServerAction::<AdminSetMustChangePassword>::new();
    let reset_link = ServerAction::<AdminResetLink>::new();
    let delete = ServerAction::<AdminDeletePerson>::new();
    let reset_two_factor = ServerAction::<AdminResetTwoFactor>::new();
    let people = Resource::new(
        move || {
            (
                search.get(),
                page.get(),
                set_admin.version().get(),
                set_disabled.version().get(),
                must_change.version().get(),
                delete.version().get(),
                reset_two_factor.version().get(),
            )
        },
        |(search, page, ..)| admin_people(search, page),
    );
    let errors = (
        action_error(*set_admin),
        action_error(*set_disabled),
        action_error(*must_change),
        action_error(*reset_link),
        action_error(*delete),
        action_error(*reset_two_factor),
    );
    let actions = PersonActions { set_admin, set_disabled, must_change, reset_link, delete, reset_two_factor };
    let auth = use_auth();
    let clock = auth.clock();
    let link = move || {
        reset_link.value().get().and_then(Result::ok).map(|link| {
            let url = format!("{}{}", auth.site_url(), link.path);
            view! {
                <p class="note" data-testid="reset-link">
                    "Hand this link over (it works once, until " {clock.minute(link.expires_at)} "): "
                    <code>{url}</code>
                </p>
            }
        })
    };
    view! {
        <section class="card" data-widget="admin-people">
            <h2>"People"</h2>
            <form class="inline" on:submit=|event| event.prevent_default()>
                <label>
                    "Find "
                    <input
                        type="search"
                        name="search"
                        placeholder="email or name"
                        maxlength="200"
                        data-testid="people-search"
                        on:input=move |event| {
                            set_search.set(event_target_value(&event));
                            set_page.set(1);
                        }
                    />
                </label>
            </form>
            {errors}
            {link}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    people.get().map(|listed| match listed {
                        Ok(listed) => {
                            let (shown, pages) = (listed.page, listed.pages);
                            view! {
                                <p class="muted" data-testid="people-count">
                                    {format!("{} people", count(listed.total))}
                                    {(pages > 1).then(|| format!(", page {shown} of {pages}"))}
                                </p>
                                <div class="table-scroll">
                                    <table class="people">
                                        <thead>
                                            <tr>
                                                <th>"Email"</th>
                                                <th>"Name"</th>
                                                <th>"Created"</th>
                                                <th>"Last login"</th>
                                                <th>"Last upload"</th>
                                                <th>"Devices"</th>
                                                <th>"Stored"</th>
                                                <th>"Role"</th>
                                                <th>"Actions"</th>
                                            </tr>
                                        </thead>
                                        <tbody>
                                            {listed
                                                .people
                                                .into_iter()
                                                .map(|person| view! { <PersonRow person actions/> })
                                                .collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <p class="pager">
                                    <button type="button" disabled={shown <= 1} on:click=move |_| set_page.update(|p| *p -= 1)>
                                        "Previous"
                                    </button>
                                    <button type="button" disabled={shown >= pages} on:click=move |_| set_page.update(|p| *p += 1)>
                                        "Next"
                                    </button>
                                </p>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
                }}
            </Transition>
        </section>
    }
}

/// What an administrator can do to a person, one action each.
#[derive(Clone, Copy)]
struct PersonActions {
    set_admin: ServerAction<AdminSetAdmin>,
    set_disabled: ServerAction<AdminSetDisabled>,
    must_change: ServerAction<AdminSetMustChangePassword>,
    reset_link: ServerAction<AdminResetLink>,
    delete: ServerAction<AdminDeletePerson>,
    reset_two_factor: ServerAction<AdminResetTwoFactor>,
}

#[component]
fn PersonRow(person: Person, actions: PersonActions) -> impl IntoView {
    let id = person.id;
    let (confirming, set_confirming) = signal(false);
    let role = match (person.admin, person.disabled) {
        (_, true) => "disabled",
        (true, false) => "administrator",
        (false, false) => "member",
    };
    let email = person.email.clone();
    let clock = use_auth().clock();
    view! {
        <tr data-person=person.email.clone() class:disabled=person.disabled>
            <td>{person.email.clone()}</td>
            <td>{person.name.clone()}</td>
            <td>{clock.minute(person.created_at)}</td>
            <td>{clock.minute_or_never(person.last_login_at)}</td>
            <td>{clock.minute_or_never(person.last_upload)}</td>
            <td>{count(person.devices)}</td>
            <td>{size(person.stored_bytes)}</td>
            <td data-role=role>
                {role}
                {person.must_change_password.then(|| view! { <small class="muted">" (new password at next login)"</small> })}
                {person.two_factor.then(|| view! { <small class="muted" data-two-factor="on">" · two-factor"</small> })}
            </td>
            <td class="actions">
                <button
                    type="button"
                    class="link"
                    on:click=move |_| {
                        actions.set_admin.dispatch(AdminSetAdmin { person: id, admin: !person.admin });
                    }
                >
                    {if person.admin { "Remove administrator" } else { "Make administrator" }}
                </button>
                <button
                    type="button"
                    class="link"
                    data-action=if person.disabled { "enable" } else { "disable" }
                    on:click=move |_| {
                        actions.set_disabled.dispatch(AdminSetDisabled { person: id, disabled: !person.disabled });
                    }
                >
                    {if person.disabled { "Enable" } else { "Disable" }}
                </button>
                <button
                    type="button"
                    class="link"
                    on:click=move |_| {
                        actions
                            .must_change
                            .dispatch(AdminSetMustChangePassword { person: id, must: !person.must_change_password });
                    }
                >
                    {if person.must_change_password { "No new password needed" } else { "Ask for a new password" }}
                </button>
                {person.two_factor.then(|| view! {
                    <button
                        type="button"
                        class="link"
                        data-action="reset-two-factor"
                        on:click=move |_| {
                            actions.reset_two_factor.dispatch(AdminResetTwoFactor { person: id });
                        }
                    >
                        "Reset two-factor"
                    </button>
                })}
                <button
                    type="button"
                    class="link"
                    data-action="reset-link"
                    on:click=move |_| {
                        actions.reset_link.dispatch(AdminResetLink { person: id });
                    }
                >
                    "Reset link"
                </button>
                <Show
                    when=move || confirming.get()
                    fallback=move || {
                        view! {
                            <button type="button" class="link danger-text" on:click=move |_| set_confirming.set(true)>
                                "Delete…"
                            </button>
                        }
                    }
                >
                    <DangerButton
                        text="Delete the account and all its data"
                        label=format!("Delete {email}")
                        pending=actions.delete.pending()
                        on_click=Callback::new(move |()| {
                            actions.delete.dispatch(AdminDeletePerson { person: id });
                        })
                    />
                </Show>
            </td>
        </tr>
    }
}

#[component]
fn Invites() -> impl IntoView {
    let create = ServerAction::<AdminCreateInvite>::new();
    let revoke = ServerAction::<AdminRevokeInvite>::new();
    let invites = Resource::new(move || (create.version().get(), revoke.version().get()), |_| admin_invites());
    let error = action_error(*create);
    let revoke_error = action_error(*revoke);
    let auth = use_auth();
    let clock = auth.clock();
    let made = move || {
        create.value().get().and_then(Result::ok).map(|invite| {
            let url = format!("{}/signup?invite={}", auth.site_url(), query_value(&invite.code));
            view! {
                <p class="note" data-testid="new-invite">
                    "Send this link (it works once, until " {clock.minute(invite.expires_at)}
                    {invite.email.map(|email| format!(", for {email} only"))} "): "
                    <code>{url}</code>
                </p>
            }
        })
    };
    view! {
        <section class="card" data-widget="admin-invites">
            <h2>"Invites"</h2>
            <p class="muted">"A link that lets someone make an account while sign-up is by invite. It works once."</p>
            <ActionForm action=create attr:class="form inline" attr:data-testid="invite-form">
                <label>"For (optional) " <input type="email" name="email" placeholder="anyone with the link"/></label>
                <label>
                    "Valid for "
                    <select name="valid_days">
                        {[1u32, 3, 7, 14, 30]
                            .into_iter()
                            .map(|days| view! { <option value=days.to_string() selected=days == 7>{format!("{days} days")}</option> })
                            .collect_view()}
                    </select>
                </label>
                <button type="submit" disabled=move || create.pending().get()>"Make an invite link"</button>
            </ActionForm>
            {error}
            {revoke_error}
            {made}
            <Transition fallback=|| ()>
                {move || {
                    let clock = use_auth().clock();
                    invites.get().map(|listed| match listed {
                        Ok(listed) if listed.is_empty() => view! { <p class="muted">"No invites yet."</p> }.into_any(),
                        Ok(listed) => view! {
                            <table class="invites">
                                <thead>
                                    <tr>
                                        <th>"Status"</th>
                                        <th>"For"</th>
                                        <th>"Made by"</th>
                                        <th>"Expires"</th>
                                        <th>"Used by"</th>
                                        <th></th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {listed
                                        .into_iter()
                                        .map(|invite| {
                                            let id = invite.id;
                                            let open = invite.status == "open";
                                            let status = invite.status.clone();
                                            view! {
                                                <tr data-invite-status=status>
                                                    <td>{invite.status}</td>
                                                    <td>{invite.email.unwrap_or_else(|| "anyone".into())}</td>
                                                    <td>{invite.created_by}</td>
                                                    <td>{clock.minute(invite.expires_at)}</td>
                                                    <td>{invite.used_by.unwrap_or_default()}</td>
                                                    <td>
                                                        <Show when=move || open>
                                                            <DangerButton
                                                                text="Revoke"
                                                                label=format!("Revoke invite {id}")
                                                                pending=revoke.pending()
                                                                on_click=Callback::new(move |()| {
                                                                    revoke.dispatch(AdminRevokeInvite { invite: id });
                                                                })
                                                            />
                                                        </Show>
                                                    </td>
                                                </tr>
                                            }
                                        })
                                        .collect_view()}
                                </tbody>
                            </table>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn Policy() -> impl IntoView {
    let save = ServerAction::<AdminSetSignUpPolicy>::new();
    let policy = Resource::new(move || save.version().get(), |_| admin_sign_up_policy());
    let error = action_error(*save);
    let saved =
        move || matches!(save.value().get(), Some(Ok(()))).then(|| view! { <p class="ok" role="status">"Saved."</p> });
    view! {
        <section class="card" data-widget="admin-policy">
            <h2>"Sign-up"</h2>
            <Transition fallback=|| ()>
                {move || {
                    policy.get().map(|current| match current {
                        Ok(current) => view! {
                            <ActionForm action=save attr:class="form" attr:data-testid="policy-form">
                                {SignUpPolicy::ALL
                                    .into_iter()
                                    .map(|choice| {
                                        view! {
                                            <label class="choice">
                                                <input type="radio" name="policy" value=choice.key() checked=choice == current/>
                                                {choice.describe()}
                                            </label>
                                        }
                                    })
                                    .collect_view()}
                                <button type="submit" disabled=move || save.pending().get()>"Save"</button>
                            </ActionForm>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
                }}
            </Transition>
            {error}
            {saved}
        </section>
    }
}

/// Whether every password account must have two-factor sign-in: people without it set it up at
/// their next page.
#[component]
fn TwoFactorPolicy() -> impl IntoView {
    let save = ServerAction::<AdminRequireTwoFactor>::new();
    let required = Resource::new(move || save.version().get(), |_| admin_two_factor_required());
    let error = action_error(*save);
    view! {
        <section class="card" data-widget="admin-two-factor">
            <h2>"Two-factor sign-in"</h2>
            <Transition fallback=|| ()>
                {move || {
                    required.get().map(|required| match required {
                        Ok(required) => view! {
                            <p data-testid="two-factor-required">
                                {if required {
                                    "Required of every password account: people without it set it up before anything else."
                                } else {
                                    "Optional: each person turns it on from their profile. Requiring it asks you too, at your next page."
                                }}
                            </p>
                            <button
                                type="button"
                                disabled=move || save.pending().get()
                                on:click=move |_| {
                                    save.dispatch(AdminRequireTwoFactor { required: !required });
                                }
                            >
                                {if required { "Make it optional" } else { "Require it of everyone" }}
                            </button>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
                }}
            </Transition>
            {error}
        </section>
    }
}

#[component]
fn AuditLog() -> impl IntoView {
    let (action, set_action) = signal(String::new());
    let (person, set_person) = signal(String::new());
    let (from, set_from) = signal(String::new());
    let (to, set_to) = signal(String::new());
    let (before, set_before) = signal(None::<i64>);
    let events = Resource::new(
        move || (action.get(), person.get(), from.get(), to.get(), before.get()),
        |(action, person, from, to, before)| admin_audit(action, person, from, to, before),
    );
    let csv = move || {
        format!(
            "/api/v1/admin/audit.csv?action={}&person={}&from={}&to={}",
            query_value(&action.get()),
            query_value(&person.get()),
            query_value(&from.get()),
            query_value(&to.get())
        )
    };
    let refilter = move |set: WriteSignal<String>, value: String| {
        set.set(value);
        set_before.set(None);
    };
    view! {
        <section class="card" data-widget="admin-audit">
            <h2>"Audit log"</h2>
            <form class="form inline" on:submit=|event| event.prevent_default()>
                <label>
                    "What "
                    <select name="action" data-testid="audit-action" on:change=move |e| refilter(set_action, event_target_value(&e))>
                        <option value="">"anything"</option>
                        {AuditAction::ALL
                            .into_iter()
                            .map(|action| view! { <option value=action.key()>{action.label()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <label>
                    "Who "
                    <input
                        type="search"
                        name="person"
                        placeholder="part of an email"
                        data-testid="audit-person"
                        on:input=move |e| refilter(set_person, event_target_value(&e))
                    />
                </label>
                <label>"From " <input type="date" name="from" on:change=move |e| refilter(set_from, event_target_value(&e))/></label>
                <label>"to " <input type="date" name="to" on:change=move |e| refilter(set_to, event_target_value(&e))/></label>
                <a href=csv download="keytrack-audit.csv">"Download CSV"</a>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    events.get().map(|listed| match listed {
                        Ok(listed) => view! { <EventTable events=listed.clone()/> {older(&listed, set_before)}}.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
                }}
            </Transition>
        </section>
    }
}

/// "Older events" after a full page, which pages on from its last event.
fn older(listed: &[AuditEvent], set_before: WriteSignal<Option<i64>>) -> Option<impl IntoView + use<>> {
    let last = listed.last().map(|event| event.id).filter(|_| listed.len() >= 100)?;
    Some(view! {
        <button type="button" on:click=move |_| set_before.set(Some(last))>"Older events"</button>
    })
}
