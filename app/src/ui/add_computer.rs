//! "Add a computer": the agent for download from this server, its checksum, and the commands that
//! install and pair it, with this server's address filled in and a button that copies them.

use leptos::prelude::*;

use super::session::{RequireLogin, use_auth};
use super::widgets::ErrorNote;
use crate::api::UiError;
use crate::api::data::agent_downloads;
use crate::domain::install::{file_size, is_loopback, linux_commands, windows_commands};
use crate::model::AgentDownload;

#[component]
pub fn AddComputerPage() -> impl IntoView {
    // Made outside RequireLogin's Transition, for the reason the dashboard's are (see
    // `home::HomePage`): inside it, the server sent the list of agents more than once.
    let auth = use_auth();
    let downloads = Resource::new(|| (), move |_| auth.when_logged_in(agent_downloads()));
    view! {
        <RequireLogin>
            <AddComputer downloads/>
        </RequireLogin>
    }
}

/// The systems a person can pick; the server lists the agents it offers for each (by `label`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum System {
    Linux,
    Windows,
    MacOs,
}

impl System {
    const ALL: [System; 3] = [System::Linux, System::Windows, System::MacOs];

    fn label(self) -> &'static str {
        match self {
            System::Linux => "Linux",
            System::Windows => "Windows",
            System::MacOs => "macOS",
        }
    }

    /// The system this browser runs on, as a first guess of where the agent goes.
    fn of_browser() -> System {
        #[cfg(feature = "hydrate")]
        {
            let agent = window().navigator().user_agent().unwrap_or_default();
            if agent.contains("Windows") {
                return System::Windows;
            }
            if agent.contains("Macintosh") {
                return System::MacOs;
            }
        }
        System::Linux
    }
}

#[component]
fn AddComputer(downloads: Resource<Result<Vec<AgentDownload>, UiError>>) -> impl IntoView {
    // The server's public URL, or else the address only the browser knows for sure (the server
    // may sit behind a proxy).
    let auth = use_auth();
    let origin = RwSignal::new(String::new());
    let system = RwSignal::new(System::Linux);
    Effect::new(move |_| {
        origin.set(auth.site_url());
        system.set(System::of_browser());
    });
    // Opened on the server itself without a public URL, the commands would name an address that
    // only the server reaches: say so before someone copies them to another computer.
    let loopback = move || {
        let origin = origin.get();
        (auth.public_url().is_none() && is_loopback(&origin)).then(|| {
            view! {
                <p class="note warning" role="alert" data-testid="loopback-warning">
                    "This page was opened at " <code>{origin}</code>
                    ", an address only this computer reaches, so the commands below work on no other computer. "
                    "Open KeyTrack at the address other computers use (its name or address on your network), "
                    "or start the server with " <code>"--public-url https://keytrack.example.com"</code>
                    " (or " <code>"KEYTRACK_PUBLIC_URL"</code> ") and every command and link uses that."
                </p>
            }
        })
    };
    view! {
        <section class="card" data-widget="add-computer">
            <h1>"Add a computer"</h1>
            <p class="muted">
                "Install the agent on the computer you want to count, pair it with your account, and it starts with your session. "
                "It counts keys, clicks and time; it never records what you type."
            </p>
            {loopback}
            <div class="toggle" role="group" aria-label="The computer runs">
                {System::ALL
                    .into_iter()
                    .map(|s| {
                        view! {
                            <button type="button" data-system=s.label() aria-pressed=move || (system.get() == s).to_string() on:click=move |_| system.set(s)>
                                {s.label()}
                            </button>
                        }
                    })
                    .collect_view()}
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    downloads
                        .get()
                        .map(|listed| match listed {
                            Ok(list) => {
                                let chosen = system.get();
                                let download = list.into_iter().find(|d| d.system == chosen.label());
                                match download {
                                    Some(download) => view! { <Platform download origin/> }.into_any(),
                                    None => view! { <FromSource origin/> }.into_any(),
                                }
                            }
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        })
                }}
            </Transition>
            <p class="muted">
                "The pair command prints a code and a link: open the link here, logged in, check the computer's name and approve. "
                "The computer then appears under " <a href="/devices">"Devices"</a> ". "
                "For scripts, " <code>"pair --token"</code> " takes a token from " <a href="/tokens">"API tokens"</a> " instead."
            </p>
        </section>
    }
}

/// One platform's download, checksum and commands.
#[component]
fn Platform(download: AgentDownload, origin: RwSignal<String>) -> impl IntoView {
    let Some(file) = download.file.clone() else {
        return view! {
            <p class="note" data-testid="agent-missing">
                "This server was built without the " {download.label.clone()} " agent. Whoever runs it can build it with "
                <code>{download.build_command.clone()}</code>
                " (" <code>"scripts/run.sh"</code> " builds it) and restart the server."
            </p>
        }
        .into_any();
    };
    let windows = download.system == System::Windows.label();
    let commands = {
        let (url, sha256) = (download.url.clone(), file.sha256.clone());
        move || {
            let origin = origin.get();
            if windows { windows_commands(&origin, &url, &sha256) } else { linux_commands(&origin, &url, &sha256) }
        }
    };
    let shell = if windows { "In PowerShell on that computer:" } else { "In a terminal on that computer:" };
    view! {
        <p data-testid="agent-download">
            <a href=download.url.clone() download=download.file_name.clone() rel="external">
                "Download " {download.file_name.clone()}
            </a>
            " for " {download.label.clone()} ", version " {download.version.clone()} ", " {file_size(file.bytes)} "."
        </p>
        <p class="checksum">"SHA-256: " <code data-testid="agent-sha256">{file.sha256.clone()}</code></p>
        <p>{shell}</p>
        <CopyableCommands commands=Signal::derive(commands)/>
        {(!windows)
            .then(|| {
                view! {
                    <p class="muted" data-testid="linux-session-note">
                        "The agent counts on an X11 session. On a Wayland session (the default of Ubuntu, Fedora and Debian's GNOME and KDE) "
                        "it sees only the windows that run through XWayland and undercounts; until it reads the input devices itself, "
                        "choose the Xorg session (\"Ubuntu on Xorg\") at the login screen. "
                        "It starts with your desktop session and stops counting while the screen is locked."
                    </p>
                }
            })}
        {windows
            .then(|| {
                view! {
                    <p class="muted" data-testid="unsigned-note">
                        "The agent is not signed, so Windows may warn that it comes from an unknown publisher; "
                        "the checksum above is what says it is the one this server offers."
                    </p>
                }
            })}
    }
    .into_any()
}

/// What a person on a platform without a built agent does: build it there.
#[component]
fn FromSource(origin: RwSignal<String>) -> impl IntoView {
    view! {
        <p class="note" data-testid="agent-from-source">
            "No macOS agent is offered for download: it is checked to compile for macOS but not tested there. "
            "On the Mac, with Rust installed, build it from KeyTrack's source with "
            <code>"cargo build --release -p keytrack-agent"</code> ", then run:"
        </p>
        <CopyableCommands commands=Signal::derive(move || {
            format!("target/release/keytrack-agent pair --server {}\ntarget/release/keytrack-agent install-service", origin.get())
        })/>
        <p class="muted" data-testid="macos-permissions">
            "macOS asks before any program may see the keyboard: the first time the agent runs, allow it (or the terminal that "
            "starts it) under System Settings → Privacy & Security → " <strong>"Input Monitoring"</strong> " and "
            <strong>"Accessibility"</strong> ", then start it again. Without them it counts nothing."
        </p>
    }
}

/// Commands in a block, with a button that copies them all.
#[component]
fn CopyableCommands(commands: Signal<String>) -> impl IntoView {
    let block = NodeRef::<leptos::html::Pre>::new();
    let copied = RwSignal::new(None::<&'static str>);
    // A new text (another platform) is not copied yet.
    Effect::new(move |_| {
        commands.track();
        copied.set(None);
    });
    let copy = move |_| {
        let text = commands.get_untracked();
        let block = block.get_untracked();
        leptos::task::spawn_local(async move {
            copied.set(Some(copy_text(&text, block).await));
        });
    };
    view! {
        <div class="commands">
            <pre node_ref=block data-testid="install-commands" tabindex="0">{move || commands.get()}</pre>
            <button type="button" data-testid="copy-commands" on:click=copy>
                {move || if copied.get() == Some(COPIED) { "Copied" } else { "Copy" }}
            </button>
            <span class="muted" role="status" data-testid="copy-status">{move || copied.get().unwrap_or_default()}</span>
        </div>
    }
}

const COPIED: &str = "Copied to the clipboard.";

/// Puts `text` on the clipboard and says how that went. Without the clipboard API (a page served
/// over plain HTTP to another machine is not a secure context) the block is selected and copied
/// the old way, or left selected for Ctrl+C.
async fn copy_text(text: &str, block: Option<leptos::web_sys::HtmlPreElement>) -> &'static str {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let navigator = window().navigator();
        let has_clipboard = js_sys::Reflect::get(&navigator, &"clipboard".into()).is_ok_and(|c| !c.is_undefined());
        if has_clipboard {
            let written = wasm_bindgen_futures::JsFuture::from(navigator.clipboard().write_text(text)).await;
            if written.is_ok() {
                return COPIED;
            }
        }
        let selected = block.is_some_and(|block| {
            window()
                .get_selection()
                .ok()
                .flatten()
                .is_some_and(|selection| selection.select_all_children(&block).is_ok())
        });
        if !selected {
            return "Could not copy: select the commands and copy them by hand.";
        }
        let copied =
            document().dyn_into::<web_sys::HtmlDocument>().is_ok_and(|doc| doc.exec_command("copy").unwrap_or(false));
        if copied { COPIED } else { "Selected: press Ctrl+C to copy." }
    }
    // Never called on the server: a click happens in the browser.
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (text, block);
        COPIED
    }
}
