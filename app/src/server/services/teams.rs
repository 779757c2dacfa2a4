//! Teams: creating, inviting, joining, roles, consent, and the team's statistics. Every rule is
//! enforced here, for the web UI and the JSON API alike: someone outside a team is told it does
//! not exist (404, so team ids cannot be probed), a member without the right role is refused
//! (403), and a member's own figures reach the team only with their consent.

use chrono::{Datelike, NaiveDate};

use crate::server::store::{Database, Db, Transaction};
use keytrack_wire::{TeamRole, TeamStats, TeamSummary};

use super::accounts::clean_name;
use super::audit::{self, Action, Who};
use super::auth::{INVITE_PREFIX, new_secret, token_hash};
use super::stats::{RangeScope, resolve_range};
use crate::domain::range::RangeQuery;
use crate::domain::rollup::HourCells;
use crate::domain::team::{InviteStatus, MemberActivity, TeamTally, may_remove, may_set_role};
use crate::model::{InvitePreview, InviteSummary, NewInvite, TeamDetails, TeamMember};
use crate::server::error::AppError;
use crate::server::now;
use crate::server::store;

/// Longest validity of an invite.
pub const MAX_INVITE_DAYS: u32 = 30;

fn role_of(stored: &str) -> Result<TeamRole, AppError> {
    TeamRole::parse(stored).ok_or_else(|| AppError::internal(format!("a stored team role is unknown: {stored}")))
}

/// The user's role in the team and whether they share their figures; `NotFound` outside it.
pub async fn membership<'c>(db: impl Into<Db<'c>>, team_id: i64, user_id: i64) -> Result<(TeamRole, bool), AppError> {
    let (role, shares) = store::teams::membership(db, team_id, user_id).await?.ok_or(AppError::NotFound)?;
    Ok((role_of(&role)?, shares))
}

/// Like [`membership`], but refuses members who do not manage the team.
async fn manager<'c>(db: impl Into<Db<'c>>, team_id: i64, user_id: i64) -> Result<TeamRole, AppError> {
    let (role, _) = membership(db, team_id, user_id).await?;
    if role.manages() {
        Ok(role)
    } else {
        Err(AppError::Forbidden("Only the team's owners and admins can do this.".into()))
    }
}

/// Creates a team with the user as its owner (sharing their own figures: it is their team).
pub async fn create(database: &Database, user_id: i64, name: &str) -> Result<i64, AppError> {
    let name =
        clean_name(name, 80).ok_or_else(|| AppError::BadRequest("Name the team (1 to 80 characters).".into()))?;
    let mut tx = database.begin_write().await?;
    let team_id = store::teams::insert(&mut tx, name, now()).await?;
    store::teams::add_member(&mut tx, team_id, user_id, TeamRole::Owner.key(), true, now()).await?;
    tx.commit().await?;
    Ok(team_id)
}

pub async fn of_user(database: &Database, user_id: i64) -> Result<Vec<TeamSummary>, AppError> {
    store::teams::of_user(database, user_id)
        .await?
        .into_iter()
        .map(|row| {
            Ok(TeamSummary {
                id: row.id,
                name: row.name,
                role: role_of(&row.role)?,
                members: u32::try_from(row.members).unwrap_or(0),
                shares_figures: row.shares_figures,
            })
        })
        .collect()
}

fn invite_status(row: &store::teams::InviteRow, now: i64) -> InviteStatus {
    InviteStatus::of(row.revoked_at.is_some(), row.expires_at, row.max_uses, row.uses, now)
}

fn invite_summary(row: store::teams::InviteRow, now: i64) -> InviteSummary {
    let status = invite_status(&row, now);
    InviteSummary {
        id: row.id,
        created_by: row.created_by_name,
        created_at: row.created_at,
        expires_at: row.expires_at,
        max_uses: row.max_uses.and_then(|n| u32::try_from(n).ok()),
        uses: u32::try_from(row.uses).unwrap_or(0),
        status,
    }
}

/// The team page's data: members and roles for every member, invites for managers only.
pub async fn details(database: &Database, team_id: i64, user_id: i64) -> Result<TeamDetails, AppError> {
    let (role, shares_figures) = membership(database, team_id, user_id).await?;
    let name = store::teams::name(database, team_id).await?.ok_or(AppError::NotFound)?;
    let members = store::teams::members(database, team_id)
        .await?
        .into_iter()
        .map(|m| Ok(TeamMember { user_id: m.user_id, name: m.name, role: role_of(&m.role)?, joined_at: m.joined_at }))
        .collect::<Result<Vec<_>, AppError>>()?;
    let invites = if role.manages() {
        let now = now();
        store::teams::invites(database, team_id).await?.into_iter().map(|row| invite_summary(row, now)).collect()
    } else {
        Vec::new()
    };
    Ok(TeamDetails { id: team_id, name, my_user_id: user_id, my_role: role, shares_figures, members, invites })
}

/// Changes whether the user's own figures are shown to the team; takes effect at once.
pub async fn set_sharing(database: &Database, team_id: i64, user_id: i64, shares: bool) -> Result<(), AppError> {
    membership(database, team_id, user_id).await?;
    store::teams::set_sharing(database, team_id, user_id, shares).await?;
    Ok(())
}

/// A new invite; its code is returned once and stored only as a hash.
pub async fn create_invite(
    database: &Database,
    team_id: i64,
    user_id: i64,
    valid_days: u32,
    single_use: bool,
) -> Result<NewInvite, AppError> {
    manager(database, team_id, user_id).await?;
    if !(1..=MAX_INVITE_DAYS).contains(&valid_days) {
        return Err(AppError::BadRequest(format!("An invite is valid for 1 to {MAX_INVITE_DAYS} days.")));
    }
    let (code, hash) = new_secret(INVITE_PREFIX);
    let now = now();
    let expires_at = now + i64::from(valid_days) * 86_400;
    let max_uses = single_use.then_some(1);
    store::teams::insert_invite(database, team_id, &hash, user_id, now, expires_at, max_uses).await?;
    Ok(NewInvite { code, expires_at, single_use })
}

pub async fn revoke_invite(database: &Database, team_id: i64, user_id: i64, invite_id: i64) -> Result<(), AppError> {
    manager(database, team_id, user_id).await?;
    if store::teams::revoke_invite(database, team_id, invite_id, now()).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

const INVALID_INVITE: &str =
    "This invite is not valid: it may have expired, been used up or been revoked. Ask the team for a new one.";

/// A live invite by its code, or a clear refusal.
async fn live_invite(database: &Database, code: &str, now: i64) -> Result<store::teams::InviteRow, AppError> {
    let code = code.trim();
    if !code.starts_with(INVITE_PREFIX) || code.len() > 200 {
        return Err(AppError::BadRequest(INVALID_INVITE.into()));
    }
    let invite = store::teams::invite_by_hash(database, &token_hash(code)).await?;
    invite
        .filter(|i| invite_status(i, now) == InviteStatus::Active)
        .ok_or_else(|| AppError::BadRequest(INVALID_INVITE.into()))
}

/// What someone holding an invite code is about to join.
pub async fn preview_invite(database: &Database, user_id: Option<i64>, code: &str) -> Result<InvitePreview, AppError> {
    let invite = live_invite(database, code, now()).await?;
    let team_name = store::teams::name(database, invite.team_id).await?.ok_or(AppError::NotFound)?;
    let members = store::teams::members(database, invite.team_id).await?;
    let already_member = user_id.is_some_and(|user_id| members.iter().any(|m| m.user_id == user_id));
    Ok(InvitePreview {
        team_id: already_member.then_some(invite.team_id),
        team_name,
        members: u32::try_from(members.len()).unwrap_or(0),
        invited_by: invite.created_by_name,
        expires_at: invite.expires_at,
    })
}

/// Joins the team of an invite as a member, with the sharing the user chose. Returns the team.
pub async fn join(database: &Database, user_id: i64, code: &str, shares: bool) -> Result<i64, AppError> {
    let now = now();
    let invite = live_invite(database, code, now).await?;
    let mut tx = database.begin_write().await?;
    store::teams::lock(&mut tx, invite.team_id).await?;
    if store::teams::membership(&mut tx, invite.team_id, user_id).await?.is_some() {
        return Err(AppError::Conflict("You are in this team already.".into()));
    }
    // Counted in the same transaction as the join, so a single-use invite admits one person.
    if !store::teams::use_invite(&mut tx, invite.id, now).await? {
        return Err(AppError::BadRequest(INVALID_INVITE.into()));
    }
    store::teams::add_member(&mut tx, invite.team_id, user_id, TeamRole::Member.key(), shares, now).await?;
    tx.commit().await?;
    Ok(invite.team_id)
}

const LAST_OWNER: &str = "You are the team's last owner: make another member owner first, or delete the team.";

/// Leaves the team; the last owner cannot.
pub async fn leave(database: &Database, team_id: i64, user_id: i64) -> Result<(), AppError> {
    let mut tx = database.begin_write().await?;
    store::teams::lock(&mut tx, team_id).await?;
    let (role, _) = store::teams::membership(&mut tx, team_id, user_id).await?.ok_or(AppError::NotFound)?;
    if role_of(&role)? == TeamRole::Owner && store::teams::owners(&mut tx, team_id).await? <= 1 {
        return Err(AppError::Conflict(LAST_OWNER.into()));
    }
    store::teams::remove_member(&mut tx, team_id, user_id).await?;
    tx.commit().await?;
    Ok(())
}

/// The teams the user alone owns while others are in them: the account cannot go before each
/// has another owner (or is deleted). Teams the user is alone in go with the account.
pub async fn owned_alone_with_others(tx: &mut Transaction, user_id: i64) -> Result<Vec<String>, AppError> {
    let mut names = Vec::new();
    for team in store::teams::of_user(&mut *tx, user_id).await? {
        if role_of(&team.role)? == TeamRole::Owner
            && team.members > 1
            && store::teams::owners(&mut *tx, team.id).await? <= 1
        {
            names.push(team.name);
        }
    }
    Ok(names)
}

/// The role of another member of the team, or `NotFound`.
async fn target_role(tx: &mut Transaction, team_id: i64, target_id: i64) -> Result<TeamRole, AppError> {
    let (role, _) = store::teams::membership(tx, team_id, target_id).await?.ok_or(AppError::NotFound)?;
    role_of(&role)
}

pub async fn remove_member(database: &Database, team_id: i64, user_id: i64, target_id: i64) -> Result<(), AppError> {
    let actor = manager(database, team_id, user_id).await?;
    if target_id == user_id {
        return Err(AppError::BadRequest("To leave the team yourself, use Leave team.".into()));
    }
    let mut tx = database.begin_write().await?;
    store::teams::lock(&mut tx, team_id).await?;
    let target = target_role(&mut tx, team_id, target_id).await?;
    if !may_remove(actor, target) {
        return Err(AppError::Forbidden("Admins can remove plain members only.".into()));
    }
    store::teams::remove_member(&mut tx, team_id, target_id).await?;
    tx.commit().await?;
    let team = store::teams::name(database, team_id).await?.unwrap_or_default();
    audit::record(
        database,
        Action::TeamMemberRemoved,
        Some(Who::Account(user_id)),
        Some(Who::Account(target_id)),
        &team,
    )
    .await
}

pub async fn set_role(
    database: &Database,
    team_id: i64,
    user_id: i64,
    target_id: i64,
    new_role: &str,
) -> Result<(), AppError> {
    let actor = manager(database, team_id, user_id).await?;
    let new_role = TeamRole::parse(new_role)
        .ok_or_else(|| AppError::BadRequest(format!("A role is owner, admin or member, not \"{new_role}\".")))?;
    let mut tx = database.begin_write().await?;
    store::teams::lock(&mut tx, team_id).await?;
    let target = target_role(&mut tx, team_id, target_id).await?;
    if !may_set_role(actor, target, new_role) {
        return Err(AppError::Forbidden(
            "Admins can make members admins and admins members; owners do the rest.".into(),
        ));
    }
    if target == TeamRole::Owner && new_role != TeamRole::Owner && store::teams::owners(&mut tx, team_id).await? <= 1 {
        return Err(AppError::Conflict(LAST_OWNER.into()));
    }
    store::teams::set_role(&mut tx, team_id, target_id, new_role.key()).await?;
    tx.commit().await?;
    let team = store::teams::name(database, team_id).await?.unwrap_or_default();
    let detail = format!("{team}: {} to {}", target.key(), new_role.key());
    audit::record(
        database,
        Action::TeamRoleChanged,
        Some(Who::Account(user_id)),
        Some(Who::Account(target_id)),
        &detail,
    )
    .await
}

/// Deletes the team, its memberships and invites (the members' own data stays theirs).
pub async fn delete(database: &Database, team_id: i64, user_id: i64) -> Result<(), AppError> {
    let (role, _) = membership(database, team_id, user_id).await?;
    if role != TeamRole::Owner {
        return Err(AppError::Forbidden("Only an owner can delete the team.".into()));
    }
    store::teams::delete(database, team_id).await?;
    Ok(())
}

/// The team's statistics over what the URL asks for, as far as consent allows (see
/// `domain::team`).
pub async fn stats(
    database: &Database,
    team_id: i64,
    user_id: i64,
    query: &RangeQuery,
    now: i64,
) -> Result<TeamStats, AppError> {
    membership(database, team_id, user_id).await?;
    let team_name = store::teams::name(database, team_id).await?.ok_or(AppError::NotFound)?;
    let account = super::accounts::account(database, user_id).await?;
    let (from, to) = resolve_range(database, &account, RangeScope::Team(team_id), query, now).await?;
    let (from_day, to_day) = (from.to_string(), to.to_string());
    let members = store::teams::members(database, team_id).await?;
    let activity: Vec<MemberActivity> = members
        .iter()
        .map(|m| MemberActivity {
            user_id: m.user_id,
            name: m.name.clone(),
            shares_figures: m.shares_figures,
            ..MemberActivity::default()
        })
        .collect();
    let who: Vec<(i64, bool)> = members.iter().map(|m| (m.user_id, m.shares_figures)).collect();
    let sums = MemberDays::new(activity);
    let sums = store::teams::fold_member_days(database, who, from, to, sums, |sums, row| sums.add(row)).await?;
    let MemberDays { activity, tally, member_keys, .. } = sums.finish();
    let ergonomics = crate::domain::team::team_ergonomics(&member_keys);
    let days: Vec<String> = from.iter_days().take_while(|d| *d <= to).map(|d| d.to_string()).collect();
    let seen = tally.finish(&activity, &days);
    Ok(TeamStats {
        team_id,
        team_name,
        from: from_day,
        to: to_day,
        days,
        members: members.len() as u32,
        contributors: seen.totals.is_some().then_some(seen.contributors),
        private_members: members.iter().filter(|m| !m.shares_figures).count() as u32,
        totals: seen.totals,
        member_figures: seen.member_figures,
        ergonomics,
    })
}

/// The members' days summed as they come, day after day: only one day of the members' hour
/// cells is in memory at a time.
struct MemberDays {
    activity: Vec<MemberActivity>,
    tally: TeamTally,
    /// The day being read (`YYYY-MM-DD`, weekday from Monday) and its members' hour cells.
    today: Option<(String, usize)>,
    day_cells: Vec<(usize, HourCells)>,
    /// Each sharing member's presses per key over the range, for the team's ergonomic averages.
    member_keys: Vec<Vec<i64>>,
}

impl MemberDays {
    fn new(activity: Vec<MemberActivity>) -> MemberDays {
        MemberDays {
            tally: TeamTally::new(&activity),
            member_keys: vec![Vec::new(); activity.len()],
            activity,
            today: None,
            day_cells: Vec::new(),
        }
    }

    fn add(&mut self, row: store::teams::MemberDayRow<'_>) -> Result<(), AppError> {
        if self.today.as_ref().is_none_or(|(current, _)| current != row.day) {
            self.close_day();
            let date = NaiveDate::parse_from_str(row.day, "%Y-%m-%d").map_err(AppError::internal)?;
            self.today = Some((row.day.to_string(), date.weekday().num_days_from_monday() as usize));
        }
        self.day_cells.push((row.member, store::days::decode(row.hours).map_err(AppError::internal)?));
        if let Some(member) = self.activity.get_mut(row.member) {
            for (chord, n) in store::days::decode_chords(row.chords).map_err(AppError::internal)? {
                match member.chords.get_mut(chord) {
                    Some(total) => *total += n,
                    None => {
                        member.chords.insert(chord.to_string(), n);
                    }
                }
            }
        }
        if let (Some(totals), Some(sum)) = (row.totals, self.member_keys.get_mut(row.member)) {
            let keys = store::days::decode_keys(totals).map_err(AppError::internal)?;
            if sum.len() < keys.len() {
                sum.resize(keys.len(), 0);
            }
            for (total, n) in sum.iter_mut().zip(keys) {
                *total += n;
            }
        }
        Ok(())
    }

    fn close_day(&mut self) {
        if let Some((day, weekday)) = self.today.take() {
            self.tally.add_day(&day, weekday, self.day_cells.iter().map(|(i, cells)| (*i, cells)));
            self.day_cells.clear();
        }
    }

    fn finish(mut self) -> MemberDays {
        self.close_day();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::store::postgres::TestDatabase;

    async fn people(database: &Database, names: &[&str]) -> Vec<i64> {
        let mut ids = Vec::new();
        for name in names {
            let email = format!("{}@example.com", name.to_lowercase());
            let id =
                store::users::insert(database, &email, "hash", name, "UTC", 0).await.expect("insert").expect("new");
            ids.push(id);
        }
        ids
    }

    /// What each step of a team's life answers, in words (times left out: they are the clock's), on `database`.
    async fn a_team_s_life(database: &Database) -> Vec<String> {
        let errors = |e: AppError| e.code();
        let ids = people(database, &["Zoe", "ada", "Bob", "Cleo"]).await;
        let (zoe, ada, bob, cleo) = (ids[0], ids[1], ids[2], ids[3]);
        let mut seen = Vec::new();
        let team = create(database, zoe, "  Writers ").await.expect("team");
        let other = create(database, ada, "apes").await.expect("team");
        let open = create_invite(database, team, zoe, 7, false).await.expect("invite");
        let once = create_invite(database, team, zoe, 1, true).await.expect("invite");
        seen.push(format!(
            "a member invites: {:?}",
            create_invite(database, team, ada, 7, false).await.map_err(errors)
        ));
        let preview = preview_invite(database, Some(ada), &open.code).await.expect("preview");
        seen.push(format!(
            "preview: {} {} {} {:?}",
            preview.team_name, preview.members, preview.invited_by, preview.team_id
        ));
        seen.push(format!("ada joins: {:?}", join(database, ada, &open.code, true).await.map_err(errors)));
        seen.push(format!("ada again: {:?}", join(database, ada, &open.code, true).await.map_err(errors)));
        seen.push(format!("bob, once: {:?}", join(database, bob, &once.code, false).await.map_err(errors)));
        seen.push(format!("cleo, used up: {:?}", join(database, cleo, &once.code, false).await.map_err(errors)));
        seen.push(format!("bad code: {:?}", join(database, cleo, "kti_nothing", false).await.map_err(errors)));
        seen.push(format!("bob shares: {:?}", set_sharing(database, team, bob, true).await.map_err(errors)));
        seen.push(format!("cleo shares: {:?}", set_sharing(database, team, cleo, true).await.map_err(errors)));
        seen.push(format!("ada made admin: {:?}", set_role(database, team, zoe, ada, "admin").await.map_err(errors)));
        seen.push(format!(
            "admin makes owner: {:?}",
            set_role(database, team, ada, bob, "owner").await.map_err(errors)
        ));
        seen.push(format!("last owner leaves: {:?}", leave(database, team, zoe).await.map_err(errors)));
        seen.push(format!(
            "last owner steps down: {:?}",
            set_role(database, team, zoe, zoe, "member").await.map_err(errors)
        ));
        seen.push(format!("admin removes bob: {:?}", remove_member(database, team, ada, bob).await.map_err(errors)));
        seen.push(format!("outsider reads: {:?}", details(database, team, bob).await.map_err(errors)));
        let details = details(database, team, zoe).await.expect("details");
        let members: Vec<_> = details.members.iter().map(|m| (m.user_id, m.name.clone(), m.role)).collect();
        let invites: Vec<_> =
            details.invites.iter().map(|i| (i.id, i.created_by.clone(), i.uses, i.max_uses, i.status)).collect();
        seen.push(format!(
            "details: {} {:?} {} {members:?} {invites:?}",
            details.name, details.my_role, details.shares_figures
        ));
        seen.push(format!(
            "revoke: {:?}",
            revoke_invite(database, team, zoe, details.invites[1].id).await.map_err(errors)
        ));
        seen.push(format!(
            "revoke again: {:?}",
            revoke_invite(database, team, zoe, details.invites[1].id).await.map_err(errors)
        ));
        seen.push(format!("revoked code: {:?}", join(database, cleo, &open.code, false).await.map_err(errors)));
        let mine: Vec<_> = of_user(database, ada)
            .await
            .expect("teams")
            .into_iter()
            .map(|t| (t.id, t.name, t.role, t.members, t.shares_figures))
            .collect();
        seen.push(format!("ada's teams: {mine:?}"));
        seen.push(format!("admin deletes: {:?}", delete(database, team, ada).await.map_err(errors)));
        seen.push(format!("owner deletes: {:?}", delete(database, team, zoe).await.map_err(errors)));
        seen.push(format!("after: {:?} {:?}", of_user(database, ada).await.map(|t| t.len()), other));
        seen
    }

    #[tokio::test]
    async fn teams_answer_the_same_on_postgres_as_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = Database::Sqlite(crate::server::store::sqlite::open(dir.path()).await.expect("open"));
        let postgres = TestDatabase::create().await;
        let on_sqlite = a_team_s_life(&sqlite).await;
        let on_postgres = a_team_s_life(&Database::Postgres(postgres.pool.clone())).await;
        assert_eq!(on_sqlite, on_postgres);
        // And right, not only alike.
        let expected = [
            "a member invites: Err(\"not_found\")",
            "preview: Writers 1 Zoe None",
            "ada joins: Ok(1)",
            "ada again: Err(\"conflict\")",
            "bob, once: Ok(1)",
            "cleo, used up: Err(\"bad_request\")",
            "bad code: Err(\"bad_request\")",
            "bob shares: Ok(())",
            "cleo shares: Err(\"not_found\")",
            "ada made admin: Ok(())",
            "admin makes owner: Err(\"forbidden\")",
            "last owner leaves: Err(\"conflict\")",
            "last owner steps down: Err(\"conflict\")",
            "admin removes bob: Ok(())",
            "outsider reads: Err(\"not_found\")",
        ];
        assert_eq!(on_sqlite[..expected.len()], expected);
        // Owners first, then by name without case.
        assert!(
            on_sqlite[15].starts_with("details: Writers Owner true [(1, \"Zoe\", Owner), (2, \"ada\", Admin)]"),
            "{}",
            on_sqlite[15]
        );
        assert_eq!(
            on_sqlite[16..19],
            ["revoke: Ok(())", "revoke again: Err(\"not_found\")", "revoked code: Err(\"bad_request\")"]
        );
        assert!(
            on_sqlite[19].starts_with("ada's teams: [(2, \"apes\", Owner, 1, true), (1, \"Writers\", Admin, 2, true)]"),
            "{}",
            on_sqlite[19]
        );
        assert_eq!(on_sqlite[20..], ["admin deletes: Err(\"forbidden\")", "owner deletes: Ok(())", "after: Ok(1) 2"]);
    }

    /// Two owners leaving at once: on PostgreSQL each transaction would see the other still an
    /// owner and both would go, leaving the team without one, but for the team's lock.
    #[tokio::test]
    async fn of_two_owners_leaving_at_once_on_postgres_one_stays() {
        let postgres = TestDatabase::create().await;
        let database = Database::Postgres(postgres.pool.clone());
        let ids = people(&database, &["Ada", "Bob", "Cleo"]).await;
        for round in 0..20 {
            let team = create(&database, ids[0], &format!("team {round}")).await.expect("team");
            for (member, id) in ids.iter().enumerate().skip(1) {
                let invite = create_invite(&database, team, ids[0], 1, true).await.expect("invite");
                join(&database, *id, &invite.code, false).await.expect("join");
                if member == 1 {
                    set_role(&database, team, ids[0], *id, "owner").await.expect("owner");
                }
            }
            let (first, second) = tokio::join!(leave(&database, team, ids[0]), leave(&database, team, ids[1]));
            assert!(first.is_ok() != second.is_ok(), "round {round}: {first:?} {second:?}");
            assert_eq!(store::teams::owners(&database, team).await.expect("owners"), 1, "round {round}");
        }
    }
}

#[cfg(test)]
mod stats_tests {
    use keytrack_wire::Device;

    use super::*;
    use crate::server::services::ingest::{self, UploadSource};
    use crate::server::store::postgres::TestDatabase;
    use crate::server::store::uploads::Uploads;
    use keytrack_synth::SyntheticPerson;

    const NOW: i64 = 1_764_000_000;

    /// A team of four with three days each (one keeps their figures to themselves), and what its
    /// dashboard shows the owner over three ranges.
    async fn a_team_s_figures(database: &Database) -> Vec<String> {
        let uploads = Uploads::of(database);
        let mut ids = Vec::new();
        for (i, name) in ["ada", "bob", "cleo", "dan"].into_iter().enumerate() {
            let email = format!("{name}@example.com");
            let id = store::users::insert(database, &email, "hash", name, "Europe/Berlin", NOW)
                .await
                .expect("insert")
                .expect("new");
            let device = Device { id: "laptop".into(), name: format!("{name}'s laptop") };
            let person = SyntheticPerson::new("Europe/Berlin", 3, NOW, 11 + i as u64).expect("person");
            for batch in keytrack_synth::uploads(&device, person, 240, usize::MAX) {
                ingest::store(&uploads, id, UploadSource::default(), batch, NOW).await.expect("stored");
            }
            ids.push(id);
        }
        let team = create(database, ids[0], "Writers").await.expect("team");
        for (i, id) in ids.iter().enumerate().skip(1) {
            let invite = create_invite(database, team, ids[0], 1, true).await.expect("invite");
            join(database, *id, &invite.code, i != 2).await.expect("join");
        }
        let mut seen = Vec::new();
        for range in ["today", "7d", "all"] {
            let query = RangeQuery { range: Some(range.into()), ..RangeQuery::default() };
            let stats = stats(database, team, ids[0], &query, NOW).await.expect("stats");
            seen.push(format!("{range}: {stats:?}"));
        }
        let outsider = store::users::insert(database, "eve@example.com", "hash", "", "UTC", NOW).await.expect("eve");
        let query = RangeQuery::default();
        let refused = stats(database, team, outsider.expect("new"), &query, NOW).await.map_err(|e| e.code());
        seen.push(format!("an outsider: {refused:?}"));
        seen
    }

    #[tokio::test]
    async fn a_team_s_figures_are_the_same_on_postgres_as_on_sqlite() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sqlite = Database::Sqlite(crate::server::store::sqlite::open(dir.path()).await.expect("open"));
        let postgres = TestDatabase::create().await;
        let on_sqlite = a_team_s_figures(&sqlite).await;
        let on_postgres = a_team_s_figures(&Database::Postgres(postgres.pool.clone())).await;
        for (step, (sqlite, postgres)) in on_sqlite.iter().zip(&on_postgres).enumerate() {
            assert_eq!(sqlite, postgres, "step {step}");
        }
        assert_eq!(on_sqlite.len(), 4);
        assert!(
            on_sqlite[2].contains("members: 4, contributors: Some(") && on_sqlite[2].contains("private_members: 1"),
            "{}",
            &on_sqlite[2][..400]
        );
        assert!(on_sqlite[2].contains("totals: Some("), "the team's totals are shown: {}", &on_sqlite[2][..400]);
        assert_eq!(on_sqlite[3], "an outsider: Err(\"not_found\")");
    }
}
