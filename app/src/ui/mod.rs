//! Pages and components: views only. Data comes from the server functions in `crate::api`. This
//! file is the document and the routes; what pages share lives in `session` (who is logged in),
//! `widgets`, `charts` and `range`.

mod account;
mod add_computer;
mod admin;
mod apps;
mod audit;
mod charts;
mod data;
mod devices;
mod ergonomics;
mod heatmap;
mod home;
mod keyboard;
mod live;
mod pages;
mod pairing;
mod password;
mod profile;
mod range;
mod session;
mod teams;
mod tokens;
mod two_factor;
mod widgets;

use leptos::prelude::*;
use leptos_meta::{Link, MetaTags, Title, provide_meta_context};
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::{Lazy, path};

use self::session::{Auth, use_auth};
use self::widgets::NotFound;

/// The HTML document around the app (rendered on the server only). `assets` is where this build's
/// files are (`/assets/<version>`, see `server::assets`), so browsers can keep them for good.
pub fn shell(options: LeptosOptions, assets: String) -> impl IntoView {
    let chart_js = format!("{assets}/vendor/chart.umd.min.js");
    // Chart.js (copied from npm at build time) comes with the pages that draw charts only: `defer`
    // runs it before the app's module script. Every other page is lighter by it.
    let chart_script = page_draws_charts().then(|| view! { <script src=chart_js.clone() defer></script> });
    view! {
        <!DOCTYPE html>
        // Where Chart.js is, for a page with charts that the browser moves to from one without
        // (`charts::Chart` loads it then).
        <html lang="en" data-chart-js=chart_js.clone()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <AutoReload options=options.clone()/>
                <link rel="stylesheet" id="leptos" href=format!("{assets}/pkg/keytrack.css")/>
                {chart_script}
                <HydrationScripts options root=assets/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Whether the page being rendered draws Chart.js charts: the dashboard and a team's page.
fn page_draws_charts() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>().is_some_and(|request| {
            let path = request.uri.path();
            path == "/" || path.starts_with("/teams/")
        })
    }
    #[cfg(not(feature = "ssr"))]
    false
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    Auth::provide();
    view! {
        <Title text="KeyTrack"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Router>
            // The first stop of Tab: past the navigation, straight to the page.
            <a class="skip-link" href="#content" on:click=skip_to_content>"Skip to content"</a>
            <Header/>
            <main id="content" tabindex="-1">
                <Routes fallback=|| view! { <NotFound/> }>
                    <Route path=path!("/") view={Lazy::<pages::Home>::new()}/>
                    <Route path=path!("/login") view={Lazy::<pages::Login>::new()}/>
                    <Route path=path!("/login/code") view={Lazy::<pages::LoginCode>::new()}/>
                    <Route path=path!("/signup") view={Lazy::<pages::Signup>::new()}/>
                    <Route path=path!("/forgot") view={Lazy::<pages::Forgot>::new()}/>
                    <Route path=path!("/reset") view={Lazy::<pages::Reset>::new()}/>
                    <Route path=path!("/admin") view={Lazy::<pages::Admin>::new()}/>
                    <Route path=path!("/profile") view={Lazy::<pages::Profile>::new()}/>
                    <Route path=path!("/data") view={Lazy::<pages::Data>::new()}/>
                    <Route path=path!("/tokens") view={Lazy::<pages::Tokens>::new()}/>
                    <Route path=path!("/devices") view={Lazy::<pages::Devices>::new()}/>
                    <Route path=path!("/add-computer") view={Lazy::<pages::AddComputer>::new()}/>
                    <Route path=path!("/pair") view={Lazy::<pages::Pair>::new()}/>
                    <Route path=path!("/teams") view={Lazy::<pages::Teams>::new()}/>
                    <Route path=path!("/teams/:id") view={Lazy::<pages::Team>::new()}/>
                    <Route path=path!("/join") view={Lazy::<pages::Join>::new()}/>
                    <Route path=path!("/join/:code") view={Lazy::<pages::Join>::new()}/>
                </Routes>
            </main>
        </Router>
    }
}

/// Moves the focus to the page itself. The router takes over a link's click, so the browser's own
/// jump to `#content` (which would move the focus there) never happens.
fn skip_to_content(ev: leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(content) =
            document().get_element_by_id("content").and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            ev.prevent_default();
            let _ = content.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}

#[component]
fn Header() -> impl IntoView {
    let auth = use_auth();
    // On a phone the links fold into a menu (style/main.css); following one folds it again.
    let menu_open = RwSignal::new(false);
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">"KeyTrack"</A>
            <button
                type="button"
                class="menu-toggle"
                aria-controls="main-nav"
                aria-expanded=move || menu_open.get().to_string()
                on:click=move |_| menu_open.update(|open| *open = !*open)
            >
                "Menu"
            </button>
            <nav id="main-nav" aria-label="Main" class:open=move || menu_open.get() on:click=move |_| menu_open.set(false)>
                <Transition fallback=|| ()>
                    {move || {
                        auth.account()
                            .map(|account| match account {
                                Ok(Some(account)) => {
                                    view! {
                                        <A href="/">"Dashboard"</A>
                                        <A href="/teams">"Teams"</A>
                                        <A href="/devices">"Devices"</A>
                                        <A href="/tokens">"API tokens"</A>
                                        <A href="/profile">"Profile"</A>
                                        <A href="/data">"Your data"</A>
                                        {account.is_admin.then(|| view! { <A href="/admin">"Administration"</A> })}
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
