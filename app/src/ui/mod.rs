//! Pages and components: views only. Data comes from the server functions in `crate::api`.

mod account;
mod add_computer;
mod apps;
mod charts;
mod data;
mod devices;
mod ergonomics;
mod heatmap;
mod home;
mod keyboard;
mod live;
mod pairing;
mod profile;
mod teams;
mod tokens;

use keytrack_wire::Account;
use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::path;

use crate::api::{LogIn, LogOut, SignUp, UiError, current_account};

/// The HTML document around the app (rendered on the server only). `assets` is where this build's
/// files are (`/assets/<version>`, see `server::assets`), so browsers can keep them for good.
pub fn shell(options: LeptosOptions, assets: String) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                <link rel="stylesheet" id="leptos" href=format!("{assets}/pkg/keytrack.css")/>
                // Chart.js, copied from npm at build time; `defer` runs it before the app's module script.
                <script src=format!("{assets}/vendor/chart.umd.min.js") defer></script>
                <HydrationScripts options root=assets/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Who is logged in, and the actions that change it. Provided once at the top.
#[derive(Clone, Copy)]
pub struct Auth {
    pub log_in: ServerAction<LogIn>,
    pub sign_up: ServerAction<SignUp>,
    pub log_out: ServerAction<LogOut>,
    pub account: Resource<Result<Option<Account>, UiError>>,
}

impl Auth {
    fn provide() -> Auth {
        let log_in = ServerAction::<LogIn>::new();
        let sign_up = ServerAction::<SignUp>::new();
        let log_out = ServerAction::<LogOut>::new();
        let account = Resource::new(
            move || (log_in.version().get(), sign_up.version().get(), log_out.version().get()),
            |_| current_account(),
        );
        let auth = Auth { log_in, sign_up, log_out, account };
        provide_context(auth);
        auth
    }

    /// The answer of `fetch` for someone logged in; someone logged out gets `NotLoggedIn` and the
    /// server is asked nothing (for resources made before the page knows who is there).
    pub async fn when_logged_in<T>(
        self,
        fetch: impl std::future::Future<Output = Result<T, UiError>>,
    ) -> Result<T, UiError> {
        match self.account.await {
            Ok(Some(_)) => fetch.await,
            _ => Err(UiError::NotLoggedIn),
        }
    }

    /// Fetches the account again each time `action` succeeds: what it changed (a display name, the
    /// never-count list, a deleted account) shows in the header and on every page at once.
    pub fn refetch_after<I: 'static, O: Send + Sync + 'static>(self, action: Action<I, Result<O, UiError>>) {
        Effect::new(move |_| {
            if action.value().with(|value| matches!(value, Some(Ok(_)))) {
                self.account.refetch();
            }
        });
    }
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Auth::provide();
    // Effects run in the browser only, once the page has hydrated: `<html data-hydrated>` tells the
    // browser tests and the first-load measurement that the page answers clicks from now on.
    Effect::new(|_| {
        if let Some(html) = document().document_element() {
            let _ = html.set_attribute("data-hydrated", "");
        }
    });
    view! {
        <Title text="KeyTrack"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Router>
            <Header/>
            <main>
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view=home::HomePage/>
                    <Route path=path!("/login") view=account::LoginPage/>
                    <Route path=path!("/signup") view=account::SignupPage/>
                    <Route path=path!("/profile") view=profile::ProfilePage/>
                    <Route path=path!("/data") view=data::DataPage/>
                    <Route path=path!("/tokens") view=tokens::TokensPage/>
                    <Route path=path!("/devices") view=devices::DevicesPage/>
                    <Route path=path!("/add-computer") view=add_computer::AddComputerPage/>
                    <Route path=path!("/pair") view=pairing::PairPage/>
                    <Route path=path!("/teams") view=teams::TeamsPage/>
                    <Route path=path!("/teams/:id") view=teams::TeamPage/>
                    <Route path=path!("/join") view=teams::JoinPage/>
                    <Route path=path!("/join/:code") view=teams::JoinPage/>
                </Routes>
            </main>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let auth = use_auth();
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">"KeyTrack"</A>
            <nav aria-label="Main">
                <Transition fallback=|| ()>
                    {move || {
                        auth.account
                            .get()
                            .map(|account| match account {
                                Ok(Some(account)) => {
                                    view! {
                                        <A href="/">"Dashboard"</A>
                                        <A href="/teams">"Teams"</A>
                                        <A href="/devices">"Devices"</A>
                                        <A href="/tokens">"API tokens"</A>
                                        <A href="/profile">"Profile"</A>
                                        <A href="/data">"Your data"</A>
                                        <span class="who" data-testid="who">{account.display_name}</span>
                                        <ActionForm action=auth.log_out attr:class="inline">
                                            <button type="submit" class="link">"Log out"</button>
                                        </ActionForm>
                                    }
                                        .into_any()
                                }
                                _ => {
                                    view! {
                                        <A href="/login">"Log in"</A>
                                        <A href="/signup">"Sign up"</A>
                                    }
                                        .into_any()
                                }
                            })
                    }}
                </Transition>
            </nav>
        </header>
    }
}

#[component]
fn NotFound() -> impl IntoView {
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

/// Shows `children` to a logged-in user, and to anyone else `logged_out` or, by default, a way to
/// log in.
#[component]
pub fn RequireLogin(children: ChildrenFn, #[prop(optional, into)] logged_out: Option<ViewFn>) -> impl IntoView {
    let auth = use_auth();
    let children = StoredValue::new(children);
    let logged_out = StoredValue::new(logged_out);
    // Back to this very page after logging in (a join link, say).
    let location = leptos_router::hooks::use_location();
    let here = move || {
        let search = location.search.get();
        let next =
            if search.is_empty() { location.pathname.get() } else { format!("{}?{search}", location.pathname.get()) };
        crate::domain::format::query_value(&next)
    };
    let please_log_in = move || {
        view! {
            <section class="card narrow">
                <h1>"Please log in"</h1>
                <p>
                    <A href=move || format!("/login?next={}", here())>"Log in"</A>
                    " or "
                    <A href=move || format!("/signup?next={}", here())>"create an account"</A>
                    " to see this page."
                </p>
            </section>
        }
        .into_any()
    };
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {
                // Whether someone is logged in, not the whole account: the page is made again when
                // someone logs in or out, not each time the account is fetched again (after a saved
                // profile, which would lose the page's state). Made inside the Transition, so that
                // the account read through it still holds the page back until it is known.
                let logged_in = Memo::new(move |_| auth.account.get().map(|account| account.map(|a| a.is_some())));
                move || {
                    logged_in
                        .get()
                        .map(|logged_in| match logged_in {
                            Ok(true) => children.read_value()().into_any(),
                            Ok(false) => logged_out
                                .with_value(|view| view.as_ref().map(ViewFn::run))
                                .unwrap_or_else(please_log_in),
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        })
                }
            }
        </Transition>
    }
}

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
