//! API tokens: create one per agent (shown once), see when each was last used, revoke.

use leptos::prelude::*;

use super::live::use_live_feed;
use super::session::{RequireLogin, use_auth};
use super::widgets::{DangerButton, ErrorNote, action_error};
use crate::api::{CreateToken, RevokeToken, TokenSummary, UiError, list_tokens};

#[component]
pub fn TokensPage() -> impl IntoView {
    // Made outside RequireLogin's Transition, for the reason the dashboard's are (see
    // `home::HomePage`): inside it, the server listed the tokens and sent the list more than once.
    let auth = use_auth();
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        move |_| auth.when_logged_in(list_tokens()),
    );
    view! {
        <RequireLogin>
            <Tokens create revoke tokens/>
        </RequireLogin>
    }
}

#[component]
fn Tokens(
    create: ServerAction<CreateToken>,
    revoke: ServerAction<RevokeToken>,
    tokens: Resource<Result<Vec<TokenSummary>, UiError>>,
) -> impl IntoView {
    // The public URL, or the address only the browser knows for sure (the server may sit behind a proxy).
    let auth = use_auth();
    let site_url = RwSignal::new("URL".to_string());
    Effect::new(move |_| site_url.set(auth.site_url()));
    let create_error = action_error(*create);
    let revoke_error = action_error(*revoke);
    let new_token = move || {
        create.value().get().and_then(Result::ok).map(|new| {
            let pair_command = format!("keytrack-agent pair --server {} --token {}", auth.site_url(), new.token);
            view! {
                <div class="new-token" role="status">
                    <p>
                        "Token " <strong>{new.name}</strong>
                        " created. Copy it now: it is shown only once."
                    </p>
                    <code data-testid="new-token">{new.token}</code>
                    <p class="muted">
                        "Pair an agent with it: "
                        <code data-testid="pair-command">
                            {pair_command}
                        </code>
                    </p>
                    <FirstUpload token_id=new.id/>
                </div>
            }
        })
    };
    view! {
        <section class="card">
            <h1>"API tokens"</h1>
            <p class="muted">
                "An agent uploads with a token of its own, so you can revoke one computer without the others. "
                "The easy way: run " <code>"keytrack-agent pair --server " {site_url} </code>
                " on the computer and approve the code it shows. For scripts, create a token here."
            </p>
            <ActionForm action=create attr:class="form row" attr:data-testid="create-token-form">
                <label>"Name" <input type="text" name="name" placeholder="Work laptop" maxlength="100" required/></label>
                <button type="submit" disabled=move || create.pending().get()>"Create token"</button>
            </ActionForm>
            {create_error}
            {new_token}
        </section>
        <section class="card">
            <h2>"Your tokens"</h2>
            {revoke_error}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    tokens
                        .get()
                        .map(|listed| match listed {
                            Ok(list) if list.is_empty() => {
                                view! { <p class="muted" data-testid="no-tokens">"No tokens yet."</p> }.into_any()
                            }
                            Ok(list) => view! { <TokenTable list revoke/> }.into_any(),
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

/// Waits live for the first upload made with a new token and says where it came from.
#[component]
fn FirstUpload(token_id: i64) -> impl IntoView {
    let feed = use_live_feed("/api/v1/live".to_string());
    let clock = use_auth().clock();
    let received = Memo::new(move |_| feed.last.get().filter(|arrival| arrival.token_id == Some(token_id)));
    // The first one is enough: later uploads do not change the message.
    let first = RwSignal::new(None);
    Effect::new(move |_| {
        if let Some(arrival) = received.get()
            && first.get_untracked().is_none()
        {
            first.set(Some(arrival));
        }
    });
    view! {
        <p class="pairing" data-testid="pairing-status" role="status">
            {move || match first.get() {
                Some(arrival) => format!("✓ Received from {} at {}", arrival.device, clock.time_of_day(arrival.at)),
                None => "Waiting for the first upload with this token…".to_string(),
            }}
        </p>
    }
}

#[component]
fn TokenTable(list: Vec<TokenSummary>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let clock = use_auth().clock();
    view! {
        <table class="tokens" data-testid="token-table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {list
                    .into_iter()
                    .map(|token| {
                        let id = token.id;
                        let revoked = token.revoked_at.is_some();
                        let revoke_label = format!("Revoke {}", token.name);
                        view! {
                            <tr data-token-name=token.name.clone() class:revoked=revoked>
                                <td>{token.name.clone()}</td>
                                <td>{clock.minute(token.created_at)}</td>
                                <td>{clock.minute_or_never(token.last_used_at)}</td>
                                <td class="status">
                                    {token.revoked_at.map_or_else(|| "active".to_string(), |at| format!("revoked {}", clock.minute(at)))}
                                </td>
                                <td>
                                    <Show when=move || !revoked>
                                        <DangerButton
                                            text="Revoke"
                                            label=revoke_label.clone()
                                            pending=revoke.pending()
                                            on_click=Callback::new(move |()| {
                                                revoke.dispatch(RevokeToken { id });
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
}
