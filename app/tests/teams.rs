//! Teams through the real router and a real SQLite file: every team server function and JSON
//! route, called by users in every role and by someone outside the team; consent taking effect
//! at once; invites that expire, run out and are revoked.

mod common;

use common::*;
use http::StatusCode;
use keytrack_app::api::teams::{
    CreateInvite, CreateTeam, DeleteTeam, JoinTeam, LeaveTeam, MyTeams, PreviewInvite, RemoveMember, RevokeInvite,
    SetMemberRole, SetTeamSharing, TeamDashboard, TeamPage,
};
use keytrack_app::server::services::accounts;
use keytrack_app::server::store;
use keytrack_wire::{ActivityBatch, Device};
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};

struct Person {
    id: i64,
    name: String,
    cookie: String,
    token: String,
}

async fn person(s: &TestServer, name: &str) -> Person {
    let email = format!("{name}@example.com");
    let reply = sign_up_in_browser(&s.app, &email).await;
    assert!(reply.status.is_success() || reply.status.is_redirection(), "{:?} {}", reply.status, reply.body);
    let id = store::users::by_email(&s.database, &email).await.expect("query").expect("user").id;
    let token = accounts::create_token(&s.database, id, "agent").await.expect("token").1;
    Person { id, name: name.to_string(), cookie: session_cookie(&reply), token }
}

async fn as_user(s: &TestServer, who: &Person, path: &str, form: &str) -> Reply {
    call_server_fn(&s.app, path, Some(&who.cookie), form).await
}

/// Uploads a minute of `keys` presses at `at` for the person.
async fn upload(s: &TestServer, who: &Person, at: i64, keys: u32) {
    let device = Device { id: format!("{}-laptop", who.name), name: "Laptop".into() };
    let batch = ActivityBatch::new(device, vec![minute(at, keys)], vec![]);
    assert_eq!(post_batch(&s.app, &who.token, &batch).await.status, StatusCode::OK);
}

/// A team of four (owner, admin, a member who shares, a member who keeps their figures private)
/// and someone outside it, each with activity on Monday 2025-03-10.
struct Fixture {
    s: TestServer,
    team: i64,
    code: String,
    owner: Person,
    admin: Person,
    member: Person,
    private: Person,
    outsider: Person,
}

const MONDAY: &str = "from=2025-03-10&to=2025-03-10";
const TUESDAY: &str = "from=2025-03-11&to=2025-03-11";

async fn fixture() -> Fixture {
    let s = server().await;
    let owner = person(&s, "owner").await;
    let admin = person(&s, "admin").await;
    let member = person(&s, "member").await;
    let private = person(&s, "private").await;
    let outsider = person(&s, "outsider").await;
    let created = as_user(&s, &owner, CreateTeam::PATH, "name=Core+team").await;
    assert!(created.status.is_success() || created.status.is_redirection(), "{}", created.body);
    let teams = as_user(&s, &owner, MyTeams::PATH, "").await;
    let team = teams.body[0]["id"].as_i64().expect("team id");
    assert_eq!(teams.body[0]["role"], "owner");

    let invite =
        as_user(&s, &owner, CreateInvite::PATH, &format!("team_id={team}&valid_days=7&single_use=false")).await;
    assert_eq!(invite.status, StatusCode::OK, "{}", invite.body);
    let code = invite.body["code"].as_str().expect("code").to_string();
    for (who, shares) in [(&admin, true), (&member, true), (&private, false)] {
        let joined = as_user(&s, who, JoinTeam::PATH, &format!("code={code}&shares_figures={shares}")).await;
        assert!(joined.status.is_success() || joined.status.is_redirection(), "{}", joined.body);
    }
    let promoted =
        as_user(&s, &owner, SetMemberRole::PATH, &format!("team_id={team}&member_id={}&role=admin", admin.id)).await;
    assert_eq!(promoted.status, StatusCode::OK, "{}", promoted.body);
    for (who, keys) in [(&owner, 10), (&admin, 20), (&member, 30), (&private, 40), (&outsider, 50)] {
        upload(&s, who, MONDAY_9H, keys).await;
    }
    Fixture { s, team, code, owner, admin, member, private, outsider }
}

impl Fixture {
    async fn dashboard(&self, who: &Person, range: &str) -> Reply {
        as_user(&self.s, who, TeamDashboard::PATH, &format!("team_id={}&{range}", self.team)).await
    }

    async fn api_stats(&self, who: &Person, range: &str) -> Reply {
        let uri = format!("/api/v1/teams/{}/stats?{range}", self.team);
        call(&self.s.app, "GET", &uri, Some(&bearer(&who.token)), None).await
    }

    /// Every team server function, with arguments that would work for the owner.
    fn every_team_function(&self) -> Vec<(&'static str, String)> {
        let t = self.team;
        vec![
            (TeamPage::PATH, format!("team_id={t}")),
            (TeamDashboard::PATH, format!("team_id={t}&{MONDAY}")),
            (SetTeamSharing::PATH, format!("team_id={t}&shares_figures=true")),
            (CreateInvite::PATH, format!("team_id={t}&valid_days=7&single_use=true")),
            (RevokeInvite::PATH, format!("team_id={t}&invite_id=1")),
            (RemoveMember::PATH, format!("team_id={t}&member_id={}", self.member.id)),
            (SetMemberRole::PATH, format!("team_id={t}&member_id={}&role=admin", self.member.id)),
            (LeaveTeam::PATH, format!("team_id={t}")),
            (DeleteTeam::PATH, format!("team_id={t}")),
        ]
    }

    async fn member_count(&self) -> usize {
        let page = as_user(&self.s, &self.owner, TeamPage::PATH, &format!("team_id={}", self.team)).await;
        page.body["members"].as_array().map_or(0, Vec::len)
    }
}

fn names(figures: &Value) -> Vec<String> {
    figures.as_array().into_iter().flatten().filter_map(|m| m["name"].as_str().map(str::to_string)).collect()
}

#[tokio::test]
async fn outside_the_team_every_function_and_route_answers_404_and_changes_nothing() {
    let f = fixture().await;
    for (path, form) in f.every_team_function() {
        let reply = as_user(&f.s, &f.outsider, path, &form).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.body);
        // The same for a team that does not exist at all: ids cannot be probed.
        let missing = form.replace(&format!("team_id={}", f.team), "team_id=987654");
        let reply = as_user(&f.s, &f.owner, path, &missing).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path} on a missing team: {}", reply.body);
    }
    assert_eq!(f.member_count().await, 4, "nothing the outsider called changed the team");

    let reply = f.api_stats(&f.outsider, MONDAY).await;
    assert_eq!((reply.status, reply.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
    for uri in ["/api/v1/teams/987654/stats", "/api/v1/teams/abc/stats"] {
        let reply = call(&f.s.app, "GET", uri, Some(&bearer(&f.owner.token)), None).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{uri}");
    }
    let listed = call(&f.s.app, "GET", "/api/v1/teams", Some(&bearer(&f.outsider.token)), None).await;
    assert_eq!(listed.body, serde_json::json!([]));
    let unauthenticated = call(&f.s.app, "GET", &format!("/api/v1/teams/{}/stats", f.team), None, None).await;
    assert_eq!(unauthenticated.status, StatusCode::UNAUTHORIZED);
    let logged_out = call_server_fn(&f.s.app, TeamPage::PATH, None, &format!("team_id={}", f.team)).await;
    assert!(logged_out.status.is_client_error(), "{:?}", logged_out.status);
}

#[tokio::test]
async fn plain_members_read_but_do_not_manage() {
    let f = fixture().await;
    let t = f.team;
    let page = as_user(&f.s, &f.member, TeamPage::PATH, &format!("team_id={t}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.body["invites"], serde_json::json!([]), "members do not see invites");
    let owners_page = as_user(&f.s, &f.owner, TeamPage::PATH, &format!("team_id={t}")).await;
    assert_eq!(owners_page.body["invites"].as_array().map(Vec::len), Some(1));

    for (path, form) in [
        (CreateInvite::PATH, format!("team_id={t}&valid_days=7&single_use=true")),
        (RevokeInvite::PATH, format!("team_id={t}&invite_id=1")),
        (RemoveMember::PATH, format!("team_id={t}&member_id={}", f.private.id)),
        (SetMemberRole::PATH, format!("team_id={t}&member_id={}&role=admin", f.private.id)),
        (SetMemberRole::PATH, format!("team_id={t}&member_id={}&role=admin", f.member.id)),
        (DeleteTeam::PATH, format!("team_id={t}")),
    ] {
        let reply = as_user(&f.s, &f.member, path, &form).await;
        assert_eq!((reply.status, reply.body["Rejected"].is_string()), (StatusCode::FORBIDDEN, true), "{path}");
    }
    assert_eq!(f.member_count().await, 4);
}

#[tokio::test]
async fn admins_manage_members_and_invites_but_not_owners() {
    let f = fixture().await;
    let t = f.team;
    let ok = |r: &Reply| r.status == StatusCode::OK;
    let role = |who: &Person, role: &str| format!("team_id={t}&member_id={}&role={role}", who.id);
    assert!(ok(
        &as_user(&f.s, &f.admin, CreateInvite::PATH, &format!("team_id={t}&valid_days=1&single_use=true")).await
    ));
    assert!(ok(&as_user(&f.s, &f.admin, SetMemberRole::PATH, &role(&f.member, "admin")).await));
    assert!(ok(&as_user(&f.s, &f.admin, SetMemberRole::PATH, &role(&f.member, "member")).await));
    for form in [role(&f.owner, "member"), role(&f.member, "owner")] {
        assert_eq!(as_user(&f.s, &f.admin, SetMemberRole::PATH, &form).await.status, StatusCode::FORBIDDEN, "{form}");
    }
    let bad_role = as_user(&f.s, &f.admin, SetMemberRole::PATH, &role(&f.member, "emperor")).await;
    assert_eq!(bad_role.status, StatusCode::BAD_REQUEST);
    let outsider = as_user(&f.s, &f.admin, SetMemberRole::PATH, &role(&f.outsider, "member")).await;
    assert_eq!(outsider.status, StatusCode::NOT_FOUND, "a non-member cannot be given a role");
    let remove = |who: &Person| format!("team_id={t}&member_id={}", who.id);
    assert_eq!(as_user(&f.s, &f.admin, RemoveMember::PATH, &remove(&f.owner)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(as_user(&f.s, &f.admin, DeleteTeam::PATH, &format!("team_id={t}")).await.status, StatusCode::FORBIDDEN);
    assert!(ok(&as_user(&f.s, &f.admin, RemoveMember::PATH, &remove(&f.private)).await));
    assert_eq!(f.member_count().await, 3);
    // The removed member reads nothing any more.
    assert_eq!(f.dashboard(&f.private, MONDAY).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.api_stats(&f.private, MONDAY).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_last_owner_hands_over_before_leaving_and_owners_delete() {
    let f = fixture().await;
    let t = f.team;
    let leave = as_user(&f.s, &f.owner, LeaveTeam::PATH, &format!("team_id={t}")).await;
    assert_eq!(leave.status, StatusCode::CONFLICT, "{}", leave.body);
    assert!(leave.body.to_string().contains("last owner"), "{}", leave.body);
    let demote = format!("team_id={t}&member_id={}&role=member", f.owner.id);
    assert_eq!(as_user(&f.s, &f.owner, SetMemberRole::PATH, &demote).await.status, StatusCode::CONFLICT);
    let hand_over = format!("team_id={t}&member_id={}&role=owner", f.admin.id);
    assert_eq!(as_user(&f.s, &f.owner, SetMemberRole::PATH, &hand_over).await.status, StatusCode::OK);
    let leave = as_user(&f.s, &f.owner, LeaveTeam::PATH, &format!("team_id={t}")).await;
    assert!(leave.status.is_success() || leave.status.is_redirection(), "{}", leave.body);
    assert_eq!(f.dashboard(&f.owner, MONDAY).await.status, StatusCode::NOT_FOUND);

    // A plain member may leave at any time.
    let leave = as_user(&f.s, &f.member, LeaveTeam::PATH, &format!("team_id={t}")).await;
    assert!(leave.status.is_success() || leave.status.is_redirection());

    let deleted = as_user(&f.s, &f.admin, DeleteTeam::PATH, &format!("team_id={t}")).await;
    assert!(deleted.status.is_success() || deleted.status.is_redirection(), "{}", deleted.body);
    assert_eq!(f.dashboard(&f.admin, MONDAY).await.status, StatusCode::NOT_FOUND);
    assert_eq!(f.dashboard(&f.private, MONDAY).await.status, StatusCode::NOT_FOUND);
    // The members' own data stays theirs.
    assert_eq!(stats(&f.s.app, &f.private.token, "2025-03-10", "2025-03-10").await["total_keys"], 40);
}

#[tokio::test]
async fn members_see_only_the_figures_members_consent_to_and_changes_apply_at_once() {
    let f = fixture().await;
    let t = f.team;
    // Monday 10:00 in Paris: three sharing members and one private member were active. The hour
    // counts with the three who share; the lone private member counts nowhere (with fewer than
    // three of them, the totals minus the sharing members' figures would be theirs).
    let before = f.dashboard(&f.member, MONDAY).await;
    assert_eq!(before.status, StatusCode::OK, "{}", before.body);
    let b = &before.body;
    assert_eq!(
        (b["members"].as_u64(), b["contributors"].as_u64(), b["private_members"].as_u64()),
        (Some(4), Some(3), Some(1))
    );
    assert_eq!(b["totals"]["total_keys"], 60, "the private member's 40 and the outsider's 50 are not in it");
    assert_eq!(b["totals"]["average_keys"], 20);
    assert_eq!(b["totals"]["by_weekday_hour"][0][10], 60, "Monday 10:00 in Paris");
    assert_eq!(names(&b["member_figures"]), ["member", "admin", "owner"]);
    // The JSON API says the same to a token.
    let api = f.api_stats(&f.admin, MONDAY).await;
    assert_eq!((api.status, &api.body), (StatusCode::OK, b));

    // The private member shares: their figures and their hour, at once.
    let share = as_user(&f.s, &f.private, SetTeamSharing::PATH, &format!("team_id={t}&shares_figures=true")).await;
    assert_eq!(share.status, StatusCode::OK);
    let now = f.dashboard(&f.member, MONDAY).await.body;
    assert_eq!(now["totals"]["total_keys"], 100);
    assert_eq!(names(&now["member_figures"]), ["private", "member", "admin", "owner"]);
    let keys: Vec<u64> =
        now["member_figures"].as_array().into_iter().flatten().filter_map(|m| m["total_keys"].as_u64()).collect();
    assert_eq!(keys, [40, 30, 20, 10]);

    // The member withdraws: gone from the table and from the totals, at once.
    let withdraw = as_user(&f.s, &f.member, SetTeamSharing::PATH, &format!("team_id={t}&shares_figures=false")).await;
    assert_eq!(withdraw.status, StatusCode::OK);
    let after = f.dashboard(&f.owner, MONDAY).await.body;
    assert_eq!(names(&after["member_figures"]), ["private", "admin", "owner"]);
    assert_eq!(after["totals"]["total_keys"], 70);

    // On Tuesday the owner is active, and the (now private) member too: no hour with three, so
    // no totals and no count of who was active. The private member's activity changes nothing
    // the team sees.
    upload(&f.s, &f.owner, MONDAY_9H + 86_400, 5).await;
    let without = f.dashboard(&f.admin, TUESDAY).await.body;
    upload(&f.s, &f.member, MONDAY_9H + 86_400, 7).await;
    let with = f.dashboard(&f.admin, TUESDAY).await.body;
    assert_eq!(without, with, "the private member's Tuesday shows nowhere");
    assert!(with["totals"].is_null() && with["contributors"].is_null(), "{with}");

    // The member shares again: their own figures show, even without totals.
    let share = as_user(&f.s, &f.member, SetTeamSharing::PATH, &format!("team_id={t}&shares_figures=true")).await;
    assert_eq!(share.status, StatusCode::OK);
    let tuesday = f.dashboard(&f.admin, TUESDAY).await.body;
    assert!(tuesday["totals"].is_null(), "{tuesday}");
    assert_eq!(names(&tuesday["member_figures"]), ["member", "owner", "admin", "private"]);
    assert_eq!(tuesday["member_figures"][0]["total_keys"], 7);
}

#[tokio::test]
async fn invites_expire_run_out_and_can_be_revoked() {
    let f = fixture().await;
    let t = f.team;
    let newcomer = person(&f.s, "newcomer").await;
    let late = person(&f.s, "late").await;
    let join = |code: &str| format!("code={code}&shares_figures=false");

    // What an invite leads to, before joining.
    let preview = as_user(&f.s, &newcomer, PreviewInvite::PATH, &format!("code={}", f.code)).await;
    assert_eq!((preview.body["team_name"].as_str(), preview.body["members"].as_u64()), (Some("Core team"), Some(4)));
    // Joining twice is refused clearly.
    let again = as_user(&f.s, &f.member, JoinTeam::PATH, &join(&f.code)).await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    let single =
        as_user(&f.s, &f.owner, CreateInvite::PATH, &format!("team_id={t}&valid_days=1&single_use=true")).await;
    let single = single.body["code"].as_str().expect("code").to_string();
    let first = as_user(&f.s, &newcomer, JoinTeam::PATH, &join(&single)).await;
    assert!(first.status.is_success() || first.status.is_redirection(), "{}", first.body);
    let second = as_user(&f.s, &late, JoinTeam::PATH, &join(&single)).await;
    assert_eq!(second.status, StatusCode::BAD_REQUEST, "a single-use invite admits one person");

    // Expired.
    on_either!(&f.s.database, |pool| {
        sqlx::query("UPDATE team_invites SET expires_at = 0 WHERE team_id = $1 AND max_uses IS NULL")
            .bind(t)
            .execute(pool)
            .await
            .map(|_| ())
    })
    .expect("expire");
    assert_eq!(as_user(&f.s, &late, JoinTeam::PATH, &join(&f.code)).await.status, StatusCode::BAD_REQUEST);

    // Revoked.
    let fresh =
        as_user(&f.s, &f.admin, CreateInvite::PATH, &format!("team_id={t}&valid_days=30&single_use=false")).await;
    let fresh = fresh.body["code"].as_str().expect("code").to_string();
    let page = as_user(&f.s, &f.owner, TeamPage::PATH, &format!("team_id={t}")).await;
    let newest = page.body["invites"][0]["id"].as_i64().expect("invite id");
    let revoke = as_user(&f.s, &f.owner, RevokeInvite::PATH, &format!("team_id={t}&invite_id={newest}")).await;
    assert_eq!(revoke.status, StatusCode::OK);
    assert_eq!(as_user(&f.s, &late, JoinTeam::PATH, &join(&fresh)).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(as_user(&f.s, &late, JoinTeam::PATH, &join("kti_nonsense")).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(as_user(&f.s, &late, PreviewInvite::PATH, "code=whatever").await.status, StatusCode::BAD_REQUEST);

    let page = as_user(&f.s, &f.owner, TeamPage::PATH, &format!("team_id={t}")).await;
    let statuses: Vec<&str> =
        page.body["invites"].as_array().into_iter().flatten().filter_map(|i| i["status"].as_str()).collect();
    assert_eq!(statuses, ["revoked", "used_up", "expired"]);
    assert_eq!(f.member_count().await, 5, "only the newcomer got in");
}

#[tokio::test]
async fn ergonomic_averages_hold_only_members_who_share_and_need_three() {
    let f = fixture().await;
    // Hour blocks (key detail) for Monday: the owner types on A only (left little finger), the
    // admin half A, half J (right index), the sharing member J only; the private member types A.
    for (who, keys) in [
        (&f.owner, vec![("KeyA", 300)]),
        (&f.admin, vec![("KeyA", 100), ("KeyJ", 100)]),
        (&f.member, vec![("KeyJ", 200)]),
        (&f.private, vec![("KeyA", 1000)]),
    ] {
        let device = Device { id: format!("{}-laptop", who.name), name: "Laptop".into() };
        let batch = ActivityBatch::new(device, vec![], vec![block(MONDAY_9H, &keys)]);
        assert_eq!(post_batch(&f.s.app, &who.token, &batch).await.status, StatusCode::OK);
    }
    let stats = f.api_stats(&f.member, MONDAY).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.body);
    let e = &stats.body["ergonomics"];
    // Each of the three weighs the same: (100 + 50 + 0) / 3; the private member's A presses
    // would have made it (100 + 50 + 0 + 100) / 4.
    assert_eq!(e["members"], 3, "{e}");
    assert_eq!((&e["left_hand_share"], &e["little_finger_share"]), (&json!(50.0), &json!(50.0)), "{e}");
    assert_eq!(e["home_row_share"], 100.0);
    // The browser's server function says the same.
    assert_eq!(f.dashboard(&f.owner, MONDAY).await.body["ergonomics"], *e);

    // The member withdraws: two who share are too few, and nothing is shown.
    let t = f.team;
    let withdraw = as_user(&f.s, &f.member, SetTeamSharing::PATH, &format!("team_id={t}&shares_figures=false")).await;
    assert_eq!(withdraw.status, StatusCode::OK);
    assert!(f.api_stats(&f.owner, MONDAY).await.body["ergonomics"].is_null());
}
