//! Server functions of the "Your data" and devices pages: devices (listed, renamed, removed), and
//! deleting a range or the account. As everywhere in `api`, each finds the session user and calls `server::data`.

use keytrack_wire::data::{DeletionReceipt, DeviceSummary};
use leptos::prelude::*;

use super::UiError;
#[cfg(feature = "ssr")]
use super::ssr::{session, state, user_id};
use crate::model::AgentDownload;
#[cfg(feature = "ssr")]
use crate::server::services::data;

/// The agent for each platform, as "Add a computer" offers it.
#[server]
pub async fn agent_downloads() -> Result<Vec<AgentDownload>, UiError> {
    user_id().await?;
    Ok(state()?.agent_files.list().await?)
}

#[server]
pub async fn my_devices() -> Result<Vec<DeviceSummary>, UiError> {
    Ok(data::devices(&state()?.store.database, user_id().await?).await?)
}

/// Deletes the user's activity on their days `from..=to`.
#[server]
pub async fn delete_days(from: String, to: String) -> Result<DeletionReceipt, UiError> {
    let (from, to) = data::deletion_days(Some(&from), Some(&to))?;
    let state = state()?;
    Ok(data::delete_days(&state.store.database, state.store.storage, user_id().await?, from, to).await?)
}

/// Names one of the user's devices.
#[server]
pub async fn rename_device(device_id: i64, name: String) -> Result<(), UiError> {
    let state = state()?;
    Ok(data::rename_device(&state.store.database, state.store.storage, user_id().await?, device_id, &name).await?)
}

/// Removes one of the user's devices: revokes its token, and with `delete_data` deletes everything
/// it uploaded.
#[server]
pub async fn remove_device(device_id: i64, delete_data: bool) -> Result<DeletionReceipt, UiError> {
    let state = state()?;
    Ok(data::remove_device(&state.store.database, state.store.storage, user_id().await?, device_id, !delete_data)
        .await?)
}

/// Deletes the account (its password confirms it), ends the session and goes to the home page.
#[server]
pub async fn delete_account(password: String) -> Result<(), UiError> {
    let state = state()?;
    data::delete_account(&state.store.database, state.store.storage, user_id().await?, &password).await?;
    session().await?.flush().await.map_err(|_| UiError::Internal)?;
    leptos_axum::redirect("/?account=deleted");
    Ok(())
}
