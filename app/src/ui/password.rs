//! The form that changes one's password, the current one first: on the profile, and first of all
//! when an administrator asked for a new password at the next login.

use leptos::prelude::*;

use super::widgets::action_error;
use crate::api::account::ChangePassword;

/// Changes the password, the current one first (the profile, and the page an administrator's
/// "must change password" opens first).
#[component]
pub fn ChangePasswordForm(
    /// What the form is for, as its heading says.
    heading: &'static str,
    /// Runs once the password is changed (the account is fetched again: it says whether a change
    /// is still asked for).
    changed: Callback<()>,
) -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    Effect::new(move |_| {
        if change.value().with(|value| matches!(value, Some(Ok(())))) {
            changed.run(());
        }
    });
    let error = action_error(*change);
    let done = move || {
        matches!(change.value().get(), Some(Ok(()))).then(|| {
            view! { <p class="ok" role="status">"Password changed. Your other sessions have ended."</p> }
        })
    };
    view! {
        <section class="card narrow" data-widget="change-password">
            <h2>{heading}</h2>
            <ActionForm action=change attr:class="form" attr:data-testid="change-password-form">
                <label>
                    "Current password"
                    <input type="password" name="current" autocomplete="current-password" required/>
                </label>
                <label>
                    "New password"
                    <input type="password" name="password" autocomplete="new-password" minlength="10" required/>
                </label>
                {error}
                {done}
                <button type="submit" disabled=move || change.pending().get()>"Change password"</button>
            </ActionForm>
        </section>
    }
}
