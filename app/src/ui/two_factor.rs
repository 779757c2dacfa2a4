//! Two-factor sign-in on the profile (and first of all, when the server requires it and the account
//! has none): set up with a QR code and a code from the app, the recovery codes shown once, new
//! codes, turned off. The login's code page is `account::LoginCodePage`.

use leptos::prelude::*;

use super::widgets::{ErrorNote, action_error};
use crate::api::account::{
    BeginTwoFactor, ConfirmTwoFactor, RenewRecoveryCodes, TurnOffTwoFactor, TwoFactorSetup, my_two_factor,
};

/// The account's two-factor sign-in. `done`, when given, is offered once it is on and the
/// recovery codes were shown (the page that asked for it first goes on).
#[component]
pub fn TwoFactorCard(#[prop(into)] heading: String, #[prop(optional)] done: Option<Callback<()>>) -> impl IntoView {
    let begin = ServerAction::<BeginTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let renew = ServerAction::<RenewRecoveryCodes>::new();
    let turn_off = ServerAction::<TurnOffTwoFactor>::new();
    let status = Resource::new(
        move || (confirm.version().get(), renew.version().get(), turn_off.version().get()),
        |_| my_two_factor(),
    );
    let errors = (action_error(*begin), action_error(*confirm), action_error(*renew), action_error(*turn_off));
    // The codes of the latest confirmation or renewal: shown on this page once, never again.
    let (codes, set_codes) = signal(None::<Vec<String>>);
    Effect::new(move |_| {
        if let Some(Ok(made)) = confirm.value().get() {
            set_codes.set(Some(made));
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(made)) = renew.value().get() {
            set_codes.set(Some(made));
        }
    });
    Effect::new(move |_| {
        if matches!(turn_off.value().get(), Some(Ok(()))) {
            set_codes.set(None);
        }
    });
    let shown_codes = move || {
        codes.get().map(|codes| {
            view! {
                <div class="note" data-testid="recovery-codes">
                    <p>
                        <strong>"Your recovery codes. "</strong>
                        "Keep them where you keep passwords: each logs you in once without the app (a lost phone). "
                        "They are shown now and never again."
                    </p>
                    <ol class="codes">{codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}</ol>
                    {done.map(|done| {
                        view! { <button type="button" on:click=move |_| done.run(())>"I have saved them: go on"</button> }
                    })}
                </div>
            }
        })
    };
    let setup = move |setup: TwoFactorSetup| {
        // The QR code is the server's drawing (rectangles, no text or script); the XML declaration
        // has no place inside HTML.
        let qr = setup.qr_svg.split_once("?>").map_or(setup.qr_svg.clone(), |(_, svg)| svg.to_string());
        view! {
            <div class="two-factor-setup" data-testid="two-factor-setup">
                <p>"1. Scan this with an authenticator app (Aegis, Google Authenticator, 1Password, Bitwarden…):"</p>
                <div class="qr" role="img" aria-label="QR code of the two-factor secret" inner_html=qr></div>
                <p class="muted">
                    "Cannot scan? Type this key into the app: " <code data-testid="two-factor-secret">{setup.secret}</code>
                </p>
                <ActionForm action=confirm attr:class="form" attr:data-testid="two-factor-confirm">
                    <label>
                        "2. The 6-digit code the app shows now"
                        <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="10" required/>
                    </label>
                    <button type="submit" disabled=move || confirm.pending().get()>"Turn on"</button>
                </ActionForm>
            </div>
        }
    };
    view! {
        <section class="card narrow" data-widget="two-factor">
            <h2>{heading}</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    status.get().map(|status| match status {
                        Ok(status) if status.on => view! {
                            <p data-testid="two-factor-on">
                                "On: a login asks for a code from your app after the password. "
                                {format!("{} of 10 recovery codes left.", status.recovery_codes_left)}
                            </p>
                            <ActionForm action=renew attr:class="form inline" attr:data-testid="renew-codes">
                                <label>"Password" <input type="password" name="password" autocomplete="current-password" required/></label>
                                <button type="submit" disabled=move || renew.pending().get()>"New recovery codes"</button>
                            </ActionForm>
                            {if status.required {
                                view! { <p class="muted">"This server requires two-factor sign-in: an administrator can reset it for a lost phone."</p> }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=turn_off attr:class="form inline" attr:data-testid="two-factor-off">
                                        <label>"Password" <input type="password" name="password" autocomplete="current-password" required/></label>
                                        <button type="submit" class="danger" disabled=move || turn_off.pending().get()>"Turn off"</button>
                                    </ActionForm>
                                }.into_any()
                            }}
                        }
                        .into_any(),
                        Ok(status) => view! {
                            <p data-testid="two-factor-off-note">
                                {if status.required { "This server requires two-factor sign-in. " } else { "Off. " }}
                                "With it on, a login asks for a 6-digit code from an authenticator app on your phone after the password, so a stolen password alone opens nothing."
                            </p>
                            {move || match begin.value().get() {
                                Some(Ok(made)) => setup(made).into_any(),
                                _ => view! {
                                    <ActionForm action=begin attr:data-testid="two-factor-begin">
                                        <button type="submit" disabled=move || begin.pending().get()>"Set up two-factor sign-in"</button>
                                    </ActionForm>
                                }
                                .into_any(),
                            }}
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
                }}
            </Transition>
            {shown_codes}
            {errors}
        </section>
    }
}
