//! Small pieces every page uses: a failed call said plainly, the red button of an action that
//! cannot be undone, and the page's own address.

use leptos::prelude::*;
use leptos_router::components::A;

use crate::api::UiError;

/// A failed call, said plainly.
#[component]
pub fn ErrorNote(error: UiError) -> impl IntoView {
    view! { <p class="error" role="alert">{error.to_string()}</p> }
}

/// The error of an action's last call, if it failed.
pub fn action_error<I: 'static, O: Clone + Send + Sync + 'static>(
    action: Action<I, Result<O, UiError>>,
) -> impl Fn() -> Option<AnyView> + Copy {
    move || action.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> }.into_any())
}

/// The red button of an action that cannot be undone (revoke, remove). `label` names what it acts
/// on for screen readers, since a table holds several buttons with the same text; it is disabled
/// while `pending`.
#[component]
pub fn DangerButton(
    text: &'static str,
    label: String,
    #[prop(into)] pending: Signal<bool>,
    on_click: Callback<()>,
) -> impl IntoView {
    view! {
        <button type="button" class="danger" aria-label=label disabled=move || pending.get() on:click=move |_| on_click.run(())>
            {text}
        </button>
    }
}

/// `https://host:port` of the page, for links and commands to copy (only ever called in the
/// browser, after an action).
pub(crate) fn site_origin() -> String {
    #[cfg(feature = "hydrate")]
    {
        window().location().origin().unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    String::new()
}

/// A page that is not there (or not there for this person): 404, with the way back.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="card narrow">
            <h1>"Page not found"</h1>
            <p><A href="/">"Back to the dashboard"</A></p>
        </section>
    }
}
