//! Server functions of the team pages. As everywhere in `api`, each finds the session user and
//! calls `server::teams`, where the rules are.

use keytrack_wire::{TeamStats, TeamSummary};
use leptos::prelude::*;

use super::UiError;
pub use crate::model::{InvitePreview, InviteSummary, NewInvite, TeamDetails, TeamMember};

#[cfg(feature = "ssr")]
use super::ssr::{state, user_id};
#[cfg(feature = "ssr")]
use crate::server::services::teams;

#[server]
pub async fn my_teams() -> Result<Vec<TeamSummary>, UiError> {
    Ok(teams::of_user(&state()?.store.database, user_id().await?).await?)
}

/// Creates a team owned by the user and opens its page.
#[server]
pub async fn create_team(name: String) -> Result<(), UiError> {
    let id = teams::create(&state()?.store.database, user_id().await?, &name).await?;
    leptos_axum::redirect(&format!("/teams/{id}"));
    Ok(())
}

#[server]
pub async fn team_page(team_id: i64) -> Result<TeamDetails, UiError> {
    Ok(teams::details(&state()?.store.database, team_id, user_id().await?).await?)
}

/// The team dashboard's figures over the range in the URL.
#[server]
pub async fn team_dashboard(
    team_id: i64,
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
) -> Result<TeamStats, UiError> {
    let query = crate::domain::range::RangeQuery { range, from, to };
    let now = crate::server::now();
    Ok(teams::stats(&state()?.store.database, team_id, user_id().await?, &query, now).await?)
}

/// Shares (or stops sharing) the user's own figures with the team.
#[server]
pub async fn set_team_sharing(team_id: i64, shares_figures: bool) -> Result<(), UiError> {
    Ok(teams::set_sharing(&state()?.store.database, team_id, user_id().await?, shares_figures).await?)
}

#[server]
pub async fn create_invite(team_id: i64, valid_days: u32, single_use: bool) -> Result<NewInvite, UiError> {
    Ok(teams::create_invite(&state()?.store.database, team_id, user_id().await?, valid_days, single_use).await?)
}

#[server]
pub async fn revoke_invite(team_id: i64, invite_id: i64) -> Result<(), UiError> {
    Ok(teams::revoke_invite(&state()?.store.database, team_id, user_id().await?, invite_id).await?)
}

/// What an invite is for. Someone logged out may see it too (the link is the secret): they learn
/// which team invites them before they make an account or log in.
#[server]
pub async fn preview_invite(code: String) -> Result<InvitePreview, UiError> {
    let visitor = match user_id().await {
        Ok(id) => Some(id),
        Err(UiError::NotLoggedIn) => None,
        Err(other) => return Err(other),
    };
    Ok(teams::preview_invite(&state()?.store.database, visitor, &code).await?)
}

/// Joins with an invite code and opens the team's page.
#[server]
pub async fn join_team(code: String, shares_figures: bool) -> Result<(), UiError> {
    let id = teams::join(&state()?.store.database, user_id().await?, &code, shares_figures).await?;
    leptos_axum::redirect(&format!("/teams/{id}"));
    Ok(())
}

#[server]
pub async fn leave_team(team_id: i64) -> Result<(), UiError> {
    teams::leave(&state()?.store.database, team_id, user_id().await?).await?;
    leptos_axum::redirect("/teams");
    Ok(())
}

#[server]
pub async fn remove_member(team_id: i64, member_id: i64) -> Result<(), UiError> {
    Ok(teams::remove_member(&state()?.store.database, team_id, user_id().await?, member_id).await?)
}

#[server]
pub async fn set_member_role(team_id: i64, member_id: i64, role: String) -> Result<(), UiError> {
    Ok(teams::set_role(&state()?.store.database, team_id, user_id().await?, member_id, &role).await?)
}

#[server]
pub async fn delete_team(team_id: i64) -> Result<(), UiError> {
    teams::delete(&state()?.store.database, team_id, user_id().await?).await?;
    leptos_axum::redirect("/teams");
    Ok(())
}
