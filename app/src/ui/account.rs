//! Log in and sign up.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::session::use_auth;
use super::widgets::action_error;
use crate::domain::format::query_value;

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
    view! {
        <section class="card narrow">
            <h1>"Log in"</h1>
            <ActionForm action=auth.log_in attr:class="form" attr:data-testid="login-form">
                <label>"Email" <input type="email" name="email" autocomplete="username" required/></label>
                <label>
                    "Password" <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <input type="hidden" name="next" prop:value=next/>
                {error}
                <button type="submit" disabled=move || auth.log_in.pending().get()>"Log in"</button>
            </ActionForm>
            <p class="muted">"No account yet? " <A href=move || format!("/signup{}", suffix.get())>"Sign up"</A></p>
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
    let (time_zone, set_time_zone) = signal("UTC".to_string());
    Effect::new(move |_| {
        if let Some(zone) = browser_time_zone() {
            set_time_zone.set(zone);
        }
    });
    view! {
        <section class="card narrow">
            <h1>"Create your account"</h1>
            <ActionForm action=auth.sign_up attr:class="form" attr:data-testid="signup-form">
                <label>"Email" <input type="email" name="email" autocomplete="username" required/></label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="new-password" minlength="10" required/>
                    <small class="muted">"At least 10 characters."</small>
                </label>
                <input type="hidden" name="timezone" prop:value=time_zone/>
                <input type="hidden" name="next" prop:value=next/>
                <p class="muted">"Your days are counted in " <strong>{time_zone}</strong> "; change it later in your profile."</p>
                {error}
                <button type="submit" disabled=move || auth.sign_up.pending().get()>"Sign up"</button>
            </ActionForm>
            <p class="muted">"Have an account? " <A href=move || format!("/login{}", suffix.get())>"Log in"</A></p>
        </section>
    }
}
