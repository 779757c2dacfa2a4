//! Approving an agent's pairing code: `keytrack-agent pair --server URL` prints a code and a
//! link to this page; the person checks that the computer is theirs and approves it.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::session::{RequireLogin, use_auth};
use super::widgets::{ErrorNote, action_error};
use crate::api::{DecidePairing, PairingPreview, UiError, pending_pairing};

#[component]
pub fn PairPage() -> impl IntoView {
    // Made outside RequireLogin's Transition, for the reason the dashboard's are (see
    // `home::HomePage`): inside it, the server looked the code up more than once.
    let auth = use_auth();
    let query = use_query_map();
    let code = Memo::new(move |_| query.with(|q| q.get("code")).unwrap_or_default());
    let request = Resource::new(
        move || code.get(),
        move |code| async move {
            if code.is_empty() { None } else { Some(auth.when_logged_in(pending_pairing(code)).await) }
        },
    );
    view! {
        <RequireLogin>
            <Pair request code/>
        </RequireLogin>
    }
}

#[component]
fn Pair(request: Resource<Option<Result<PairingPreview, UiError>>>, code: Memo<String>) -> impl IntoView {
    let decide = ServerAction::<DecidePairing>::new();
    let decide_error = action_error(*decide);
    view! {
        <section class="card narrow" data-widget="pairing">
            <h1>"Pair a computer"</h1>
            <Transition fallback=|| view! { <p class="muted">"Looking up the code…"</p> }>
                {move || {
                    request
                        .get()
                        .map(|found| match (found, decide.value().get()) {
                            (_, Some(Ok(approved))) => view! { <Decided approved/> }.into_any(),
                            (Some(Ok(preview)), _) => view! { <Approve preview decide/> {decide_error} }.into_any(),
                            (Some(Err(error)), _) => view! { <ErrorNote error/> <CodeForm typed=code.get()/> }.into_any(),
                            (None, _) => view! { <CodeForm typed=String::new()/> }.into_any(),
                        })
                }}
            </Transition>
        </section>
    }
}

/// Where a code printed without its link is typed; after a wrong one it still holds what was
/// `typed`, to correct rather than type again.
#[component]
fn CodeForm(typed: String) -> impl IntoView {
    view! {
        <p class="muted">"Type the code that " <code>"keytrack-agent pair"</code> " printed on the computer."</p>
        <form method="get" action="/pair" class="form row" data-testid="pairing-code-form">
            <label>"Code" <input type="text" name="code" value=typed placeholder="XXXX-XXXX" maxlength="20" autocomplete="off" required/></label>
            <button type="submit">"Continue"</button>
        </form>
    }
}

#[component]
fn Approve(preview: PairingPreview, decide: ServerAction<DecidePairing>) -> impl IntoView {
    let code = preview.user_code.clone();
    let deny_code = code.clone();
    let clock = use_auth().clock();
    let about = [
        (!preview.platform.is_empty()).then(|| preview.platform.clone()),
        (!preview.agent_version.is_empty()).then(|| format!("agent {}", preview.agent_version)),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ");
    view! {
        <p>
            "A KeyTrack agent asks to upload to your account as "
            <strong data-testid="pairing-device">{preview.device_name}</strong>
            {(!about.is_empty()).then(|| format!(" ({about})"))} "."
        </p>
        <p class="pairing-code" data-testid="pairing-code">{preview.user_code}</p>
        <p class="muted">
            {format!(
                "Approve only if this code is the one shown on your computer. It was asked for at {} and expires at {}.",
                clock.minute(preview.created_at),
                clock.minute(preview.expires_at),
            )}
        </p>
        <div class="row">
            <button
                data-testid="pairing-approve"
                disabled=move || decide.pending().get()
                on:click=move |_| {
                    decide.dispatch(DecidePairing { code: code.clone(), approve: true });
                }
            >
                "Approve"
            </button>
            <button
                class="secondary"
                data-testid="pairing-deny"
                disabled=move || decide.pending().get()
                on:click=move |_| {
                    decide.dispatch(DecidePairing { code: deny_code.clone(), approve: false });
                }
            >
                "Deny"
            </button>
        </div>
    }
}

#[component]
fn Decided(approved: bool) -> impl IntoView {
    view! {
        <p role="status" data-testid="pairing-decision">
            {if approved {
                "✓ Approved. The agent picks up its own token within seconds and starts uploading; it is listed under API tokens, where you can revoke it."
            } else {
                "Denied. The agent was told so and got no token."
            }}
        </p>
    }
}
