//! The routes' pages, each in a chunk of the browser's wasm that is fetched when a page of its
//! part of the app is first shown: the login page does not download the dashboard's code, the
//! dashboard not the settings'. A chunk per part of the app, not per page: a chunk per page made
//! the dashboard fetch over a hundred files (one per set of pages sharing code) and become
//! interactive a third of a second later (BENCHMARKS.md, 2026-12-07).
//!
//! How a route becomes lazy: its view calls a `#[wasm_split]` function, which fetches the chunk
//! on first use (`scripts/build-site.sh` splits the wasm at these points, `tools/wasm-split`). On
//! the server the route names its chunk, and leptos puts a `<link rel="preload">` for the chunk's
//! files in the page's head; in the browser the router awaits the route's `preload` before it
//! hydrates the page, so hydration finds the page's code there. Leptos' own `#[lazy_route]`
//! panics (and the whole wasm with it) when a chunk cannot be fetched; here the page says so and
//! offers to load it afresh, and the rest of the app keeps working.

use leptos::prelude::*;
use leptos_router::LazyRoute;

use super::{account, add_computer, admin, data, devices, home, pairing, profile, teams, tokens};

/// Declares each route's page and the chunk it is in:
/// `Route (function) in chunk: file::Page;` (the function's name must differ per page: the
/// splitter tells split points apart by it).
macro_rules! pages {
    ($( $route:ident ($function:ident) in $chunk:ident: $file:ident :: $page:ident; )*) => {
        $(
            #[doc = concat!("The route of `", stringify!($file), "::", stringify!($page), "`, in the `", stringify!($chunk), "` chunk.")]
            pub struct $route;

            // The split point's glue is `#[no_mangle]` functions (what the splitter rewrites).
            #[cfg(feature = "hydrate")]
            #[allow(unsafe_code)]
            mod $function {
                use leptos::prelude::*;

                #[::leptos::wasm_split::wasm_split(
                    $chunk,
                    wasm_split_path = ::leptos::wasm_split,
                    fallible,
                    preload(fetch_chunk)
                )]
                pub fn $function() -> Result<AnyView, ::leptos::wasm_split::SplitLoaderError> {
                    Ok(view! { <super::$file::$page/> }.into_any())
                }
            }

            impl LazyRoute for $route {
                fn data() -> Self {
                    Self
                }

                async fn view(_this: Self) -> AnyView {
                    #[cfg(feature = "hydrate")]
                    {
                        match $function::$function().await {
                            Ok(view) => view,
                            Err(_) => view! { <PageNotLoaded/> }.into_any(),
                        }
                    }
                    #[cfg(not(feature = "hydrate"))]
                    {
                        use $file::$page;
                        ::leptos::prefetch_lazy_fn_on_server(stringify!($chunk));
                        view! { <$page/> }.into_any()
                    }
                }

                // Awaited by the router before it hydrates or shows the route: without the chunk
                // already there, hydration would meet a view it does not have.
                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    {
                        // A failure shows in `view`, which fetches again.
                        let _ = $function::fetch_chunk().await;
                    }
                }
            }
        )*
    };
}

pages! {
    Home (home_page) in dashboard: home::HomePage;
    Login (login_page) in sign_in: account::LoginPage;
    LoginCode (login_code_page) in sign_in: account::LoginCodePage;
    Signup (signup_page) in sign_in: account::SignupPage;
    Forgot (forgot_page) in sign_in: account::ForgotPage;
    Reset (reset_page) in sign_in: account::ResetPage;
    Admin (admin_page) in admin: admin::AdminPage;
    Profile (profile_page) in settings: profile::ProfilePage;
    Data (data_page) in settings: data::DataPage;
    Tokens (tokens_page) in settings: tokens::TokensPage;
    Devices (devices_page) in settings: devices::DevicesPage;
    AddComputer (add_computer_page) in settings: add_computer::AddComputerPage;
    Pair (pair_page) in settings: pairing::PairPage;
    Teams (teams_page) in teams: teams::TeamsPage;
    Team (team_page) in teams: teams::TeamPage;
    Join (join_page) in teams: teams::JoinPage;
}

/// What a page shows when its code could not be fetched: offline, or the server was updated since
/// this tab opened (the old version's files are gone). Loading the page afresh gets the new ones.
#[cfg(feature = "hydrate")]
#[component]
fn PageNotLoaded() -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let here = move || format!("{}{}", location.pathname.get(), location.search.get());
    view! {
        <section class="card" data-testid="page-not-loaded" role="alert">
            <h1>"This page could not be loaded"</h1>
            <p>"Its part of KeyTrack did not download. Check your connection, then try again."</p>
            // `rel="external"`: a full load, not the router's, which would ask for the same file.
            <p>
                <a href=here rel="external">
                    "Load the page again"
                </a>
            </p>
        </section>
    }
}
