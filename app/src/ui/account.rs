//! Log in (with a password, or single sign-on's button), sign up (as the server's sign-up policy
//! allows), and the password pages: forgotten, reset with a link, changed.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::session::use_auth;
use super::widgets::{ErrorNote, action_error};
use crate::api::UiError;
use crate::api::account::{ForgotPassword, ResetPassword, ServerWelcome, SignInChoices, about_server, sign_in_options};
use crate::api::page_after_login;
use crate::domain::format::query_value;
use crate::model::{SSO_START_PATH, SignUpPolicy};

/// The page to open after logging in or signing up (`?next=`), and the same for the link to the
/// other form.
fn next_page() -> (Signal<String>, Signal<String>) {
    let query = use_query_map();
    let next = Signal::derive(move || query.with(|q| q.get("next").unwrap_or_default()));
    let suffix = Signal::derive(move || {
        if next.get().is_empty() { String::new() } else { format!("?next={}", query_value(&next.get())) }
    });
    (next, suffix)
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = use_auth();
    let error = action_error(*auth.log_in);
    let (next, suffix) = next_page();
    let choices = Resource::new(|| (), |_| sign_in_options());
    let password_form = move || {
        view! {
            <ActionForm action=auth.log_in attr:class="form" attr:data-testid="login-form">
                <label>"Email" <input type="email" name="email" autocomplete="username" required/></label>
                <label>
                    "Password" <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <input type="hidden" name="next" prop:value=next/>
                {error}
                <button type="submit" disabled=move || auth.log_in.pending().get()>"Log in"</button>
            </ActionForm>
            <p class="muted">
                <A href="/forgot">"Forgot password?"</A>
                " · No account yet? "
                <A href=move || format!("/signup{}", suffix.get())>"Sign up"</A>
            </p>
        }
    };
    view! {
        <section class="card narrow">
            <h1>"Log in"</h1>
            <Transition fallback=|| ()>
                {move || {
                    choices.get().map(|choices| match choices {
                        Ok(choices) => {
                            let password = choices.password_login;
                            view! {
                                <SsoChoice choices next invite=Signal::derive(String::new)/>
                                {password.then(password_form)}
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

/// Single sign-on on the login and sign-up pages, when the server has it: why the last try was
/// refused, and the "Sign in with NAME" button (a plain link: the browser leaves for the
/// provider). `invite`: the invite of the link that brought the person, carried through.
#[component]
fn SsoChoice(choices: SignInChoices, next: Signal<String>, invite: Signal<String>) -> impl IntoView {
    let (time_zone, set_time_zone) = signal(String::new());
    Effect::new(move |_| {
        if let Some(zone) = browser_time_zone() {
            set_time_zone.set(zone);
        }
    });
    let refusal = choices.sso_refusal.map(|text| {
        view! { <p class="error" role="alert" data-testid="sso-refusal">{text}</p> }
    });
    let button = choices.sso_name.map(|name| {
        let href = move || {
            let mut href = format!("{SSO_START_PATH}?next={}", query_value(page_after_login(Some(&next.get()))));
            for (key, value) in [("invite", invite.get()), ("timezone", time_zone.get())] {
                if !value.is_empty() {
                    href.push_str(&format!("&{key}={}", query_value(&value)));
                }
            }
            href
        };
        let or = choices.password_login.then(|| view! { <p class="muted or">"or with your email and password:"</p> });
        view! {
            <p><a class="button" rel="external" href=href data-testid="sso-button">{format!("Sign in with {name}")}</a></p>
            {or}
        }
    });
    view! {
        {refusal}
        {button}
    }
}

/// The second step of a login with two-factor sign-in on: a code of the app, or a recovery code.
#[component]
pub fn LoginCodePage() -> impl IntoView {
    let auth = use_auth();
    let error = action_error(*auth.log_in_code);
    let (next, _) = next_page();
    view! {
        <section class="card narrow">
            <h1>"Two-factor sign-in"</h1>
            <p>"Type the 6-digit code your authenticator app shows for KeyTrack, or one of your recovery codes."</p>
            <ActionForm action=auth.log_in_code attr:class="form" attr:data-testid="code-form">
                <label>
                    "Code"
                    <input type="text" name="code" autocomplete="one-time-code" maxlength="32" required autofocus/>
                </label>
                <input type="hidden" name="next" prop:value=next/>
                {error}
                <button type="submit" disabled=move || auth.log_in_code.pending().get()>"Log in"</button>
            </ActionForm>
            <p class="muted"><A href="/login">"Log in again from the start"</A></p>
        </section>
    }
}

/// The browser's IANA time zone, for a new account's default (UTC before hydration).
fn browser_time_zone() -> Option<String> {
    #[cfg(feature = "hydrate")]
    {
        let options =
            js_sys::Intl::DateTimeFormat::new(&js_sys::Array::new(), &js_sys::Object::new()).resolved_options();
        js_sys::Reflect::get(&options, &"timeZone".into()).ok().and_then(|zone| zone.as_string())
    }
    #[cfg(not(feature = "hydrate"))]
    None
}

#[component]
pub fn SignupPage() -> impl IntoView {
    let auth = use_auth();
    let error = action_error(*auth.sign_up);
    let (next, suffix) = next_page();
    let query = use_query_map();
    let invite = Signal::derive(move || query.with(|q| q.get("invite").unwrap_or_default()));
    let welcome = Resource::new(|| (), |_| about_server());
    let choices = Resource::new(|| (), |_| sign_in_options());
    let (time_zone, set_time_zone) = signal("UTC".to_string());
    Effect::new(move |_| {
        if let Some(zone) = browser_time_zone() {
            set_time_zone.set(zone);
        }
    });
    let password_form = move || {
        view! {
            <ActionForm action=auth.sign_up attr:class="form" attr:data-testid="signup-form">
                <label>"Email" <input type="email" name="email" autocomplete="username" required/></label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="new-password" minlength="10" required/>
                    <small class="muted">"At least 10 characters."</small>
                </label>
                <input type="hidden" name="timezone" prop:value=time_zone/>
                <input type="hidden" name="next" prop:value=next/>
                <input type="hidden" name="invite" prop:value=invite/>
                <p class="muted">"Your days are counted in " <strong>{time_zone}</strong> "; change it later in your profile."</p>
                {error}
                <button type="submit" disabled=move || auth.sign_up.pending().get()>"Sign up"</button>
            </ActionForm>
        }
    };
    view! {
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <Transition fallback=|| ()>
                {move || welcome.get().map(|welcome| sign_up_note(welcome, !invite.get().is_empty() || next.get().contains("code=")))}
                {move || {
                    choices.get().map(|choices| match choices {
                        Ok(choices) => {
                            let password = choices.password_login;
                            view! {
                                <SsoChoice choices next invite/>
                                {password.then(password_form)}
                            }
                            .into_any()
                        }
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
                }}
            </Transition>
            <p class="muted">"Have an account? " <A href=move || format!("/login{}", suffix.get())>"Log in"</A></p>
        </section>
    }
}

/// What the sign-up page says of the server's policy, before anyone types.
fn sign_up_note(welcome: Result<ServerWelcome, UiError>, invited: bool) -> AnyView {
    match welcome {
        Ok(welcome) if welcome.first_account => view! {
            <p class="ok" data-testid="sign-up-note">"This is the server's first account: it will be its administrator."</p>
        }
        .into_any(),
        Ok(welcome) if invited || welcome.sign_up == SignUpPolicy::Open => ().into_any(),
        Ok(welcome) => {
            let text = match welcome.sign_up {
                SignUpPolicy::Closed => "Sign-up is closed on this server: ask its administrator to add you.",
                _ => "This server makes accounts by invitation: open the invite link you were sent, or ask its administrator for one.",
            };
            view! { <p class="note" data-testid="sign-up-note">{text}</p> }.into_any()
        }
        Err(error) => view! { <ErrorNote error/> }.into_any(),
    }
}

/// "Forgot password?": a link to reset it is emailed, when the server sends email.
#[component]
pub fn ForgotPage() -> impl IntoView {
    let forgot = ServerAction::<ForgotPassword>::new();
    let welcome = Resource::new(|| (), |_| about_server());
    let error = action_error(*forgot);
    let sent = move || {
        matches!(forgot.value().get(), Some(Ok(()))).then(|| {
            view! {
                <p class="ok" role="status" data-testid="forgot-sent">
                    "If an account with that address exists, a link to reset its password is on its way. It works once, within an hour."
                </p>
            }
        })
    };
    view! {
        <section class="card narrow">
            <h1>"Forgot your password?"</h1>
            <Transition fallback=|| ()>
                {move || {
                    welcome.get().map(|welcome| match welcome {
                        Ok(welcome) if !welcome.sends_email => view! {
                            <p class="note" data-testid="no-email">
                                "This server sends no email. Ask its administrator for a reset link: they can make one for you."
                            </p>
                        }
                        .into_any(),
                        Ok(_) => view! {
                            <ActionForm action=forgot attr:class="form" attr:data-testid="forgot-form">
                                <label>"Email" <input type="email" name="email" autocomplete="username" required/></label>
                                {error}
                                {sent}
                                <button type="submit" disabled=move || forgot.pending().get()>"Send me a link"</button>
                            </ActionForm>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    })
                }}
            </Transition>
            <p class="muted"><A href="/login">"Back to log in"</A></p>
        </section>
    }
}

/// A reset link's page: a new password, then the dashboard (logged in).
#[component]
pub fn ResetPage() -> impl IntoView {
    let reset = ServerAction::<ResetPassword>::new();
    // Logged in by the reset: the header and the dashboard follow.
    use_auth().refetch_after(*reset);
    let query = use_query_map();
    let token = Signal::derive(move || query.with(|q| q.get("token").unwrap_or_default()));
    let error = action_error(*reset);
    view! {
        <section class="card narrow">
            <h1>"Choose a new password"</h1>
            <ActionForm action=reset attr:class="form" attr:data-testid="reset-form">
                <input type="hidden" name="token" prop:value=token/>
                <label>
                    "New password"
                    <input type="password" name="password" autocomplete="new-password" minlength="10" required/>
                    <small class="muted">"At least 10 characters. Every other session of your account ends."</small>
                </label>
                {error}
                <button type="submit" disabled=move || reset.pending().get()>"Set the new password"</button>
            </ActionForm>
        </section>
    }
}
