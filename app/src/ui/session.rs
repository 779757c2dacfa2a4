//! Who is logged in, as every page sees it: the account and the actions that change it
//! ([`Auth`]), and pages that show themselves only to someone logged in ([`RequireLogin`]).

use keytrack_wire::Account;
use leptos::prelude::*;
use leptos_router::components::A;

use super::password::ChangePasswordForm;
use super::two_factor::TwoFactorCard;
use super::widgets::{ErrorNote, site_origin};
use crate::api::{LogIn, LogInWithCode, LogOut, SignUp, UiError, current_account, my_clock, public_url};
use crate::domain::format::LocalClock;
use crate::domain::layouts::KeyboardLayout;

/// Who is logged in, and the actions that change it. Provided once at the top.
#[derive(Clone, Copy)]
pub struct Auth {
    pub log_in: ServerAction<LogIn>,
    /// The second step of a login with two-factor sign-in on.
    pub log_in_code: ServerAction<LogInWithCode>,
    pub sign_up: ServerAction<SignUp>,
    pub log_out: ServerAction<LogOut>,
    /// Who is looking: their account and their clock, fetched as one. One resource, not two, so
    /// that a page waiting for it (as [`RequireLogin`] does) waits for both: when the clock was a
    /// resource of its own, the server at times rendered such a page before it had the clock (an
    /// empty page, then a hydration error).
    pub visitor: Resource<Result<Visitor, UiError>>,
}

/// Who is looking at the page.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Visitor {
    /// `None` for someone logged out.
    pub account: Option<Account>,
    /// The person's clock (UTC for someone logged out): every time on every page is written in
    /// their own time zone.
    pub clock: LocalClock,
    /// The server's `--public-url`, if it was given one (see [`Auth::site_url`]).
    pub public_url: Option<String>,
}

impl Auth {
    pub fn provide() -> Auth {
        let log_in = ServerAction::<LogIn>::new();
        let log_in_code = ServerAction::<LogInWithCode>::new();
        let sign_up = ServerAction::<SignUp>::new();
        let log_out = ServerAction::<LogOut>::new();
        let visitor = Resource::new(
            move || {
                (log_in.version().get(), log_in_code.version().get(), sign_up.version().get(), log_out.version().get())
            },
            |_| async {
                let (account, clock, public_url) = (current_account().await?, my_clock().await?, public_url().await?);
                Ok(Visitor { account, clock, public_url })
            },
        );
        let auth = Auth { log_in, log_in_code, sign_up, log_out, visitor };
        provide_context(auth);
        auth
    }

    /// The answer of `fetch` for someone logged in; someone logged out gets `NotLoggedIn` and the
    /// server is asked nothing (for resources made before the page knows who is there).
    pub async fn when_logged_in<T>(
        self,
        fetch: impl std::future::Future<Output = Result<T, UiError>>,
    ) -> Result<T, UiError> {
        match self.visitor.await {
            Ok(Visitor { account: Some(_), .. }) => fetch.await,
            _ => Err(UiError::NotLoggedIn),
        }
    }

    /// Fetches the account again each time `action` succeeds: what it changed (a display name, the
    /// never-count list, a deleted account) shows in the header and on every page at once.
    pub fn refetch_after<I: 'static, O: Send + Sync + 'static>(self, action: Action<I, Result<O, UiError>>) {
        Effect::new(move |_| {
            if action.value().with(|value| matches!(value, Some(Ok(_)))) {
                self.refetch();
            }
        });
    }

    /// Fetches the account and its clock again (a new time zone changes every time shown).
    pub fn refetch(self) {
        self.visitor.refetch();
    }

    /// The logged-in account (`Ok(None)` for someone logged out), once known; tracked.
    pub fn account(self) -> Option<Result<Option<Account>, UiError>> {
        self.visitor.get().map(|visitor| visitor.map(|v| v.account))
    }

    /// The person's clock, UTC for someone logged out. [`RequireLogin`] waits for it before it
    /// shows a page, so a page under it has it from the start, on the server and in the browser
    /// alike (hydration finds the same text). Read once as a page is made: a zone changed on the
    /// profile shows on the next page.
    pub fn clock(self) -> LocalClock {
        self.visitor.get_untracked().and_then(Result::ok).map(|v| v.clock).unwrap_or_default()
    }

    /// `https://host[:port]` for commands and links to copy: the server's `--public-url`, else
    /// the address this browser opened the page at (only known in the browser: call it in an
    /// effect or after an action).
    pub fn site_url(self) -> String {
        self.public_url().unwrap_or_else(site_origin)
    }

    /// The server's `--public-url`, if it was given one.
    pub fn public_url(self) -> Option<String> {
        self.visitor.get_untracked().and_then(Result::ok).and_then(|v| v.public_url)
    }

    /// The person's keyboard layout, which names keys where a page lists them (US for someone
    /// logged out). Read once as a page is made, as [`Auth::clock`] is.
    pub fn layout(self) -> KeyboardLayout {
        let account = self.visitor.get_untracked().and_then(Result::ok).and_then(|v| v.account);
        account.map_or_else(KeyboardLayout::default, |a| KeyboardLayout::or_us(&a.keyboard_layout))
    }
}

pub fn use_auth() -> Auth {
    expect_context::<Auth>()
}

/// "Log in or create an account `to`", both coming back to this very page afterwards (a join
/// link, say).
#[component]
pub fn LogInOrSignUp(to: &'static str) -> impl IntoView {
    let location = leptos_router::hooks::use_location();
    let here = move || {
        let search = location.search.get();
        let next =
            if search.is_empty() { location.pathname.get() } else { format!("{}?{search}", location.pathname.get()) };
        crate::domain::format::query_value(&next)
    };
    view! {
        <A href=move || format!("/login?next={}", here())>"Log in"</A>
        " or "
        <A href=move || format!("/signup?next={}", here())>"create an account"</A>
        " "
        {to}
    }
}

/// Shows `children` to a logged-in user, and to anyone else `logged_out` or, by default, a way to
/// log in.
#[component]
pub fn RequireLogin(children: ChildrenFn, #[prop(optional, into)] logged_out: Option<ViewFn>) -> impl IntoView {
    let auth = use_auth();
    let children = StoredValue::new(children);
    let logged_out = StoredValue::new(logged_out);
    let please_log_in = move || {
        view! {
            <section class="card narrow">
                <h1>"Please log in"</h1>
                <p><LogInOrSignUp to="to see this page."/></p>
            </section>
        }
        .into_any()
    };
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {
                // Whether someone is logged in (and must change their password first), not the whole
                // account: the page is made again when someone logs in or out, not each time the
                // account is fetched again (after a saved profile, which would lose the page's state). Made inside the Transition, so that
                // the account read through it still holds the page back until it is known, and the
                // person's clock with it: every time on the page is written with it.
                let logged_in = Memo::new(move |_| {
                    auth.visitor.get().map(|visitor| {
                        visitor.map(|v| v.account.map(|a| (a.must_change_password, a.must_set_up_two_factor)))
                    })
                });
                move || {
                    logged_in
                        .get()
                        .map(|logged_in| match logged_in {
                            // An administrator asked for a new password: that comes first.
                            Ok(Some((true, _))) => view! {
                                <ChangePasswordForm
                                    heading="Choose a new password first"
                                    changed=Callback::new(move |()| auth.refetch())
                                />
                            }
                            .into_any(),
                            // The server requires a second factor: set up before anything else.
                            Ok(Some((false, true))) => view! {
                                <TwoFactorCard
                                    heading="Set up two-factor sign-in first"
                                    done=Callback::new(move |()| auth.refetch())
                                />
                            }
                            .into_any(),
                            Ok(Some((false, false))) => children.read_value()().into_any(),
                            Ok(None) => logged_out
                                .with_value(|view| view.as_ref().map(ViewFn::run))
                                .unwrap_or_else(please_log_in),
                            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
                        })
                }
            }
        </Transition>
    }
}
