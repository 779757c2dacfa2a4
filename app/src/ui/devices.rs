//! Devices: each computer that uploads for the user, with its platform and agent, first and last
//! upload, today's counts and the token it uploads with; rename it, or remove it (its token is
//! revoked; what it uploaded is deleted or kept, as the person chooses).

use keytrack_wire::data::DeviceSummary;
use leptos::prelude::*;

use super::live::LiveFeed;
use super::session::{Auth, RequireLogin, use_auth};
use super::widgets::{DangerButton, ErrorNote, action_error};
use crate::api::UiError;
use crate::api::data::{RemoveDevice, RenameDevice, my_devices};
use crate::domain::format::{count, platform_label};

#[component]
pub fn DevicesPage() -> impl IntoView {
    // Made outside RequireLogin's Transition, for the reason the dashboard's are (see
    // `home::HomePage`): inside it, the server listed the devices and sent the list more than once.
    let data = DevicesData::new(use_auth());
    view! {
        <RequireLogin>
            <Devices data/>
        </RequireLogin>
    }
}

/// The device list, fetched only for someone logged in, and what fetches it again.
#[derive(Clone, Copy)]
struct DevicesData {
    rename: ServerAction<RenameDevice>,
    remove: ServerAction<RemoveDevice>,
    /// Which device's name is being edited, and the text so far: kept above the table, so that a
    /// refetch does not drop it.
    edit: Editing,
    feed: LiveFeed,
    devices: Resource<Result<Vec<DeviceSummary>, UiError>>,
}

impl DevicesData {
    fn new(auth: Auth) -> DevicesData {
        let rename = ServerAction::<RenameDevice>::new();
        let remove = ServerAction::<RemoveDevice>::new();
        let edit = Editing { device: RwSignal::new(None), name: RwSignal::new(String::new()) };
        // Today's counts follow the uploads as they arrive, except while a name is being edited
        // (the table is drawn again on each refetch, and the field would lose its focus). The page
        // listens once the list shows.
        let feed = LiveFeed::new();
        let live = Memo::new(move |previous: Option<&u64>| match edit.device.get() {
            Some(_) => previous.copied().unwrap_or_default(),
            None => feed.changes.get(),
        });
        let devices = Resource::new(
            move || (rename.version().get(), remove.version().get(), live.get()),
            move |_| auth.when_logged_in(my_devices()),
        );
        DevicesData { rename, remove, edit, feed, devices }
    }
}

#[component]
fn Devices(data: DevicesData) -> impl IntoView {
    let DevicesData { rename, remove, edit, feed, devices } = data;
    feed.listen("/api/v1/live".to_string());
    // The public URL, or the address only the browser knows for sure (the server may sit behind a proxy).
    let auth = use_auth();
    let site_url = RwSignal::new("URL".to_string());
    Effect::new(move |_| site_url.set(auth.site_url()));
    let removing = RwSignal::new(None::<DeviceSummary>);
    let removed = move || {
        remove.value().get().and_then(Result::ok).map(|receipt| {
            let text = if receipt.minutes == 0 && receipt.blocks == 0 {
                "Removed: its token is revoked; what it uploaded stays in your figures.".to_string()
            } else {
                format!(
                    "Removed: its token is revoked, and {} minute records and {} hour blocks are deleted.",
                    count(receipt.minutes),
                    count(receipt.blocks)
                )
            };
            view! { <p class="ok" role="status" data-testid="device-removed">{text}</p> }
        })
    };
    view! {
        <section class="card" data-widget="devices">
            <h1>"Devices"</h1>
            <p class="muted">
                "The computers that upload for you. A computer with the agent already joins with "
                <code data-testid="pair-this-server">"keytrack-agent pair --server " {site_url}</code>
                " and the code it shows (more on " <a href="/tokens">"API tokens"</a> ")."
            </p>
            <p><a href="/add-computer" class="button">"Add a computer"</a></p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    devices
                        .get()
                        .map(|listed| match listed {
                            Ok(list) if list.is_empty() => {
                                view! { <p class="muted" data-testid="no-devices">"No computer has uploaded yet."</p> }
                                    .into_any()
                            }
                            Ok(list) => view! { <DeviceTable list edit rename remove removing/> }.into_any(),
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        })
                }}
            </Transition>
            {move || removing.get().map(|device| view! { <ConfirmRemoval device remove removing/> })}
            {action_error(*rename)}
            {action_error(*remove)}
            {removed}
        </section>
    }
}

/// The name being edited: which device, and the text.
#[derive(Clone, Copy)]
struct Editing {
    device: RwSignal<Option<i64>>,
    name: RwSignal<String>,
}

#[component]
fn DeviceTable(
    list: Vec<DeviceSummary>,
    edit: Editing,
    rename: ServerAction<RenameDevice>,
    remove: ServerAction<RemoveDevice>,
    removing: RwSignal<Option<DeviceSummary>>,
) -> impl IntoView {
    view! {
        <table class="tokens devices" data-testid="device-table">
            <thead>
                <tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Platform"</th>
                    <th scope="col">"Agent"</th>
                    <th scope="col">"First upload"</th>
                    <th scope="col">"Last upload"</th>
                    <th scope="col">"Today"</th>
                    <th scope="col">"Minutes kept"</th>
                    <th scope="col">"Uploads with"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|device| view! { <DeviceRow device edit rename remove removing/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn DeviceRow(
    device: DeviceSummary,
    edit: Editing,
    rename: ServerAction<RenameDevice>,
    remove: ServerAction<RemoveDevice>,
    removing: RwSignal<Option<DeviceSummary>>,
) -> impl IntoView {
    let id = device.id;
    let new_name = edit.name;
    let clock = use_auth().clock();
    let today = format!(
        "{} keys · {} clicks · {} min",
        count(device.today.keys),
        count(device.today.clicks),
        count(device.today.active_minutes)
    );
    let token = match &device.token {
        Some(token) if token.revoked => {
            view! { <span class="warn" data-state="revoked">{format!("“{}”, revoked: uploads no more", token.name)}</span> }
                .into_any()
        }
        Some(token) => view! { <span data-state="live">{format!("token “{}”", token.name)}</span> }.into_any(),
        None => view! { <span class="muted" data-state="unknown">"—"</span> }.into_any(),
    };
    let name_cell = {
        let name = device.name.clone();
        let renamed = device.renamed;
        move || {
            if edit.device.get() == Some(id) {
                view! {
                    <form
                        class="row"
                        data-testid="rename-form"
                        on:submit=move |ev| {
                            ev.prevent_default();
                            rename.dispatch(RenameDevice { device_id: id, name: new_name.get_untracked() });
                            edit.device.set(None);
                        }
                    >
                        <label>
                            <span class="sr-only">"New name"</span>
                            <input type="text" maxlength="100" required prop:value=new_name on:input=move |ev| new_name.set(event_target_value(&ev))/>
                        </label>
                        <button type="submit">"Save"</button>
                        <button type="button" class="secondary" on:click=move |_| edit.device.set(None)>"Cancel"</button>
                    </form>
                }
                    .into_any()
            } else {
                view! {
                    <span class="device-name">{name.clone()}</span>
                    {renamed.then(|| view! { <span class="muted" title="Named here: the agent's own name no longer changes it">" ✎"</span> })}
                }
                    .into_any()
            }
        }
    };
    let label = device.name.clone();
    let summary = device.clone();
    view! {
        <tr data-device-name=device.name.clone()>
            <td>{name_cell}</td>
            <td data-field="platform">
                {platform_label(&device.platform)}
                {(device.capture == keytrack_wire::data::CAPTURE_WITHOUT_POSITIONS)
                    .then(|| view! { <small class="muted" data-field="capture">" (Wayland: no pointer positions)"</small> })}
            </td>
            <td data-field="agent">
                {if device.agent_version.is_empty() { "\u{2014}".to_string() } else { device.agent_version.clone() }}
            </td>
            <td title=clock.minute(device.first_seen)>{clock.day(device.first_seen)}</td>
            <td>{clock.minute(device.last_seen)}</td>
            <td data-field="today">{today}</td>
            <td data-field="kept">{count(device.minutes)}</td>
            <td data-field="token">{token}</td>
            <td class="actions">
                <button
                    type="button"
                    class="secondary"
                    aria-label=format!("Rename {label}")
                    on:click={
                        let name = device.name.clone();
                        move |_| {
                            new_name.set(name.clone());
                            edit.device.set(Some(id));
                        }
                    }
                >
                    "Rename"
                </button>
                " "
                <DangerButton
                    text="Remove…"
                    label=format!("Remove {label}")
                    pending=remove.pending()
                    on_click=Callback::new(move |()| removing.set(Some(summary.clone())))
                />
            </td>
        </tr>
    }
}

/// What removing a device does, said before it is done, with the choice to delete its data.
#[component]
fn ConfirmRemoval(
    device: DeviceSummary,
    remove: ServerAction<RemoveDevice>,
    removing: RwSignal<Option<DeviceSummary>>,
) -> impl IntoView {
    let delete_data = RwSignal::new(false);
    let id = device.id;
    let token = match &device.token {
        Some(token) if !token.revoked => {
            let others = match token.shared_with {
                0 => String::new(),
                1 => " 1 other computer uploads with the same token and stops too.".to_string(),
                n => format!(" {n} other computers upload with the same token and stop too."),
            };
            format!(
                "Its token “{}” is revoked, so it uploads no more.{others} To add it again, pair it anew.",
                token.name
            )
        }
        Some(_) => "Its token is revoked already.".to_string(),
        None => "It has no token of its own here to revoke.".to_string(),
    };
    view! {
        <div class="confirm" role="alertdialog" data-testid="confirm-device">
            <p>{format!("Remove “{}”? ", device.name)} {token}</p>
            <label class="choice">
                <input type="checkbox" prop:checked=delete_data on:change=move |ev| delete_data.set(event_target_checked(&ev))/>
                {format!(
                    "Also delete everything it uploaded ({} minute records): your figures are counted again without it. This cannot be undone.",
                    count(device.minutes)
                )}
            </label>
            <p>
                <button
                    type="button"
                    class="danger"
                    on:click=move |_| {
                        remove.dispatch(RemoveDevice { device_id: id, delete_data: delete_data.get_untracked() });
                        removing.set(None);
                    }
                >
                    "Remove it"
                </button>
                " "
                <button type="button" on:click=move |_| removing.set(None)>"Cancel"</button>
            </p>
        </div>
    }
}
