//! Issue 36, through the real router on a real database (SQLite, or PostgreSQL with
//! `KEYTRACK_TEST_ENGINE=postgres`): the site administrator, the sign-up policy and site invites,
//! disabling, deleting and reset links, password reset and change, and the audit log.

mod common;

use common::*;
use http::StatusCode;
use keytrack_app::api::account::{ChangePassword, ForgotPassword, ResetPassword};
use keytrack_app::api::{CurrentAccount, SignUp};
use keytrack_app::model::SignUpPolicy;
use keytrack_app::server::services::{accounts, site};
use keytrack_app::server::store;
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};

async fn account_of(s: &TestServer, cookie: &str) -> Value {
    call_server_fn(&s.app, CurrentAccount::PATH, Some(cookie), "").await.body
}

/// The admin (the server's first account) and their token, and a member and theirs.
async fn admin_and_member(s: &TestServer) -> ((i64, String), (i64, String)) {
    let admin = user_with_token(&s.database, "root@example.com").await;
    let member = user_with_token(&s.database, "mia@example.com").await;
    (admin, member)
}

fn json_body(value: Value) -> Option<Vec<u8>> {
    Some(serde_json::to_vec(&value).expect("json"))
}

#[tokio::test]
async fn the_first_account_is_the_administrator_and_the_last_one_stays() {
    let s = server().await;
    let ((root, root_token), (mia, mia_token)) = admin_and_member(&s).await;
    let me = call(&s.app, "GET", "/api/v1/me", Some(&bearer(&root_token)), None).await;
    assert_eq!(me.body["is_admin"], true, "{}", me.body);
    let me = call(&s.app, "GET", "/api/v1/me", Some(&bearer(&mia_token)), None).await;
    assert_eq!(me.body["is_admin"], false);
    // The last administrator keeps the role, and cannot disable themselves.
    let path = format!("/api/v1/admin/users/{root}");
    let refused = call(&s.app, "PATCH", &path, Some(&bearer(&root_token)), json_body(json!({"admin": false}))).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    let refused = call(&s.app, "PATCH", &path, Some(&bearer(&root_token)), json_body(json!({"disabled": true}))).await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    // Another administrator: then the first may step down.
    let mia_path = format!("/api/v1/admin/users/{mia}");
    let made = call(&s.app, "PATCH", &mia_path, Some(&bearer(&root_token)), json_body(json!({"admin": true}))).await;
    assert_eq!(made.status, StatusCode::NO_CONTENT, "{}", made.body);
    let stepped = call(&s.app, "PATCH", &path, Some(&bearer(&root_token)), json_body(json!({"admin": false}))).await;
    assert_eq!(stepped.status, StatusCode::NO_CONTENT, "{}", stepped.body);
    let gone = call(&s.app, "GET", "/api/v1/admin/users", Some(&bearer(&root_token)), None).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "no longer an administrator: 404");
}

#[tokio::test]
async fn people_are_listed_searched_and_paged() {
    let s = server().await;
    let ((_, token), _) = admin_and_member(&s).await;
    for i in 0..60 {
        accounts::sign_up(&s.database, &format!("person{i:02}@corp.example"), PASSWORD, "UTC").await.expect("sign up");
    }
    let page = call(&s.app, "GET", "/api/v1/admin/users?search=CORP&page=2", Some(&bearer(&token)), None).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!((page.body["total"].as_u64(), page.body["pages"].as_u64()), (Some(60), Some(2)));
    let emails: Vec<&str> =
        page.body["people"].as_array().expect("people").iter().filter_map(|p| p["email"].as_str()).collect();
    assert_eq!(emails.len(), 10);
    assert_eq!(emails[0], "person50@corp.example", "by email, the second page");
    let first = call(&s.app, "GET", "/api/v1/admin/users?search=mia", Some(&bearer(&token)), None).await;
    let mia = &first.body["people"][0];
    assert_eq!(
        (mia["email"].as_str(), mia["admin"].as_bool(), mia["devices"].as_u64()),
        (Some("mia@example.com"), Some(false), Some(0))
    );
    // The schema's bounds hold: a page from 1 to 1,000,000, an event id from 1; a body is an
    // object, never the fields in a list.
    for query in ["users?page=0", "users?page=1000001", "audit?before=0", "audit?before=9007199254740992"] {
        let wrong = call(&s.app, "GET", &format!("/api/v1/admin/{query}"), Some(&bearer(&token)), None).await;
        assert_eq!(
            (wrong.status, wrong.body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("bad_request")),
            "{query}"
        );
    }
    let listed =
        call(&s.app, "POST", "/api/v1/admin/invites", Some(&bearer(&token)), Some(b"[null, null]".to_vec())).await;
    assert_eq!(
        (listed.status, listed.body["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_activity"))
    );
    // A search is text, never SQL: quotes and wildcards find nothing.
    for odd in ["%25", "_", "%27%20OR%201%3D1--"] {
        let none = call(&s.app, "GET", &format!("/api/v1/admin/users?search={odd}"), Some(&bearer(&token)), None).await;
        assert_eq!(none.body["total"], 0, "{odd}: {}", none.body);
    }
}

#[tokio::test]
async fn sign_up_follows_the_policy_and_a_site_invite_works_once() {
    let s = server().await;
    let ((root, root_token), _) = admin_and_member(&s).await;
    site::set_policy(&s.database, Some(root), SignUpPolicy::Invite).await.expect("invite-only");
    let sign_up = |email: &str, invite: &str| {
        let form = format!(
            "email={}&password=correct+horse+battery&timezone=UTC&invite={}",
            urlencode(email),
            urlencode(invite)
        );
        let app = s.app.clone();
        async move { call_server_fn(&app, SignUp::PATH, None, &form).await }
    };
    let stranger = sign_up("stranger@example.com", "").await;
    assert_eq!(stranger.status, StatusCode::FORBIDDEN, "{}", stranger.body);
    assert!(stranger.body.to_string().contains("by invitation"), "{}", stranger.body);
    let forged = sign_up("stranger@example.com", "kts_0000000000000000").await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    // An invite for anyone: once.
    let made =
        call(&s.app, "POST", "/api/v1/admin/invites", Some(&bearer(&root_token)), json_body(json!({"valid_days": 7})))
            .await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.body);
    let code = made.body["code"].as_str().expect("code").to_string();
    let welcomed = sign_up("guest@example.com", &code).await;
    assert!(welcomed.status.is_success() || welcomed.status.is_redirection(), "{}", welcomed.body);
    let again = sign_up("second@example.com", &code).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN);
    assert!(again.body.to_string().contains("used already"), "{}", again.body);
    // An invite bound to an address, for that address only; a revoked one, for no one.
    let bound = call(
        &s.app,
        "POST",
        "/api/v1/admin/invites",
        Some(&bearer(&root_token)),
        json_body(json!({"email": "Only@Example.com"})),
    )
    .await;
    let bound_code = bound.body["code"].as_str().expect("code").to_string();
    assert_eq!(sign_up("other@example.com", &bound_code).await.status, StatusCode::FORBIDDEN);
    let listed = call(&s.app, "GET", "/api/v1/admin/invites", Some(&bearer(&root_token)), None).await;
    let bound_id = listed.body[0]["id"].as_i64().expect("newest first");
    let revoked =
        call(&s.app, "DELETE", &format!("/api/v1/admin/invites/{bound_id}"), Some(&bearer(&root_token)), None).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(sign_up("only@example.com", &bound_code).await.status, StatusCode::FORBIDDEN);
    let statuses: Vec<&str> =
        listed.body.as_array().expect("list").iter().filter_map(|i| i["status"].as_str()).collect();
    assert_eq!(statuses, ["open", "used"]);
    // An expired invite says so.
    let late = site::create_invite(&s.database, root, None, 1).await.expect("invite");
    execute(&s.database, "UPDATE site_invites SET expires_at = 1 WHERE used_at IS NULL AND revoked_at IS NULL").await;
    let expired = sign_up("late@example.com", &late.code).await;
    assert!(expired.body.to_string().contains("expired"), "{}", expired.body);
    // Closed: nobody, invite or not; open: anyone.
    site::set_policy(&s.database, Some(root), SignUpPolicy::Closed).await.expect("closed");
    let fresh = site::create_invite(&s.database, root, None, 1).await.expect("invite");
    assert_eq!(sign_up("closed@example.com", &fresh.code).await.status, StatusCode::FORBIDDEN);
    site::set_policy(&s.database, Some(root), SignUpPolicy::Open).await.expect("open");
    let open = sign_up("anyone@example.com", "").await;
    assert!(open.status.is_success() || open.status.is_redirection(), "{}", open.body);
}

#[tokio::test]
async fn a_team_invite_link_lets_someone_in_while_sign_up_is_by_invite() {
    let s = server().await;
    let ((root, _), _) = admin_and_member(&s).await;
    site::set_policy(&s.database, Some(root), SignUpPolicy::Invite).await.expect("invite-only");
    let team = keytrack_app::server::services::teams::create(&s.database, root, "Writers").await.expect("team");
    let invite =
        keytrack_app::server::services::teams::create_invite(&s.database, team, root, 7, true).await.expect("invite");
    // As the sign-up page sends it, on the way to the join page.
    let form = format!(
        "email=newbie%40example.com&password=correct+horse+battery&timezone=UTC&next={}",
        urlencode(&format!("/join?code={}", invite.code))
    );
    let joined = call_server_fn(&s.app, SignUp::PATH, None, &form).await;
    assert!(joined.status.is_redirection() || joined.status.is_success(), "{}", joined.body);
}

#[tokio::test]
async fn a_disabled_account_loses_its_sessions_tokens_pairing_and_uploads_until_enabled() {
    let s = server().await;
    let ((_, root_token), (mia, mia_token)) = admin_and_member(&s).await;
    let cookie = session_cookie(&log_in(&s, "mia@example.com", PASSWORD).await);
    assert_eq!(account_of(&s, &cookie).await["email"], "mia@example.com");
    // A pairing she approved, waiting for her agent to collect its token.
    let request = keytrack_wire::pairing::PairingRequest {
        device_name: "Desk".into(),
        platform: String::new(),
        agent_version: String::new(),
    };
    let limiter = keytrack_app::server::services::auth::RateLimiter::new(
        std::time::Duration::from_secs(600),
        keytrack_app::server::store::attempts::Attempts::in_memory(),
    );
    let now = keytrack_app::server::now();
    let started = keytrack_app::server::services::pairing::start(&s.database, &limiter, None, &request, now)
        .await
        .expect("pairing");
    keytrack_app::server::services::pairing::decide(&s.database, &limiter, mia, &started.user_code, true, now)
        .await
        .expect("approved");
    let path = format!("/api/v1/admin/users/{mia}");
    let off = call(&s.app, "PATCH", &path, Some(&bearer(&root_token)), json_body(json!({"disabled": true}))).await;
    assert_eq!(off.status, StatusCode::NO_CONTENT, "{}", off.body);
    assert_eq!(account_of(&s, &cookie).await, Value::Null, "the session ended");
    let collect = json_body(json!({"device_code": started.device_code}));
    let collected = call(&s.app, "POST", "/api/v1/pairing/token", None, collect).await;
    assert_eq!((collected.status, collected.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("account_disabled")));
    let refused = call(&s.app, "GET", "/api/v1/me", Some(&bearer(&mia_token)), None).await;
    assert_eq!((refused.status, refused.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("account_disabled")));
    let batch = keytrack_wire::ActivityBatch::new(
        keytrack_wire::Device { id: "laptop".into(), name: "Laptop".into() },
        vec![minute(keytrack_app::server::now() / 60 * 60 - 120, 40)],
        vec![],
    );
    let upload = post_batch(&s.app, &mia_token, &batch).await;
    assert_eq!((upload.status, upload.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("account_disabled")));
    assert_eq!(number(&s.database, "SELECT count(*) FROM activity_hours").await, 0, "nothing stored");
    let login = log_in(&s, "mia@example.com", PASSWORD).await;
    assert_eq!(login.status, StatusCode::FORBIDDEN, "{}", login.body);
    // Enabled again: the same token uploads, the same password logs in; nothing was deleted.
    let on = call(&s.app, "PATCH", &path, Some(&bearer(&root_token)), json_body(json!({"disabled": false}))).await;
    assert_eq!(on.status, StatusCode::NO_CONTENT);
    assert_eq!(post_batch(&s.app, &mia_token, &batch).await.status, StatusCode::OK);
    let cookie = session_cookie(&log_in(&s, "mia@example.com", PASSWORD).await);
    assert_eq!(account_of(&s, &cookie).await["email"], "mia@example.com");
}

#[tokio::test]
async fn a_reset_link_works_once_within_its_time_and_ends_every_other_session() {
    let s = server().await;
    let ((_, root_token), (mia, _)) = admin_and_member(&s).await;
    let old_session = session_cookie(&log_in(&s, "mia@example.com", PASSWORD).await);
    let link =
        call(&s.app, "POST", &format!("/api/v1/admin/users/{mia}/reset-link"), Some(&bearer(&root_token)), None).await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.body);
    let token =
        link.body["path"].as_str().expect("path").strip_prefix("/reset?token=").expect("a reset path").to_string();
    let reset = |token: String, password: &'static str| {
        let app = s.app.clone();
        async move {
            let form = format!("token={}&password={}", urlencode(&token), urlencode(password));
            call_server_fn(&app, ResetPassword::PATH, None, &form).await
        }
    };
    let weak = reset(token.clone(), "password1").await;
    assert_eq!(weak.status, StatusCode::BAD_REQUEST, "the rules of a new password hold: {}", weak.body);
    let done = reset(token.clone(), "a brand new passphrase").await;
    assert!(done.status.is_redirection() || done.status.is_success(), "{}", done.body);
    assert_eq!(account_of(&s, &old_session).await, Value::Null, "the other session ended");
    assert_eq!(account_of(&s, &session_cookie(&done)).await["email"], "mia@example.com", "logged in by the reset");
    assert_eq!(log_in(&s, "mia@example.com", PASSWORD).await.status, StatusCode::UNAUTHORIZED, "the old password");
    let new = log_in(&s, "mia@example.com", "a brand new passphrase").await;
    assert!(new.status.is_success() || new.status.is_redirection(), "the new password: {}", new.body);
    let replayed = reset(token, "another new passphrase").await;
    assert!(replayed.body.to_string().contains("used already"), "{}", replayed.body);
    // Guessed, expired.
    let guessed = reset(format!("ktr_{}", "ab".repeat(32)), "another new passphrase").await;
    assert!(guessed.body.to_string().contains("not valid"), "{}", guessed.body);
    let link =
        call(&s.app, "POST", &format!("/api/v1/admin/users/{mia}/reset-link"), Some(&bearer(&root_token)), None).await;
    let token = link.body["path"].as_str().expect("path").trim_start_matches("/reset?token=").to_string();
    execute(&s.database, "UPDATE password_resets SET expires_at = 1 WHERE used_at IS NULL").await;
    let expired = reset(token, "another new passphrase").await;
    assert!(expired.body.to_string().contains("expired"), "{}", expired.body);
}

#[tokio::test]
async fn without_email_forgot_password_sends_everyone_to_an_administrator() {
    let s = server().await;
    admin_and_member(&s).await;
    // Without SMTP the page says to ask an administrator, for every address alike.
    let ask = |email: &'static str| {
        let app = s.app.clone();
        async move { call_server_fn(&app, ForgotPassword::PATH, None, &format!("email={}", urlencode(email))).await }
    };
    let known = ask("mia@example.com").await;
    let unknown = ask("nobody@example.com").await;
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert!(known.body.to_string().contains("administrator"), "{}", known.body);
}

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_keeps_this_session_only() {
    let s = server().await;
    admin_and_member(&s).await;
    let here = session_cookie(&log_in(&s, "mia@example.com", PASSWORD).await);
    let elsewhere = session_cookie(&log_in(&s, "mia@example.com", PASSWORD).await);
    let change = |current: &str, new: &str| format!("current={}&password={}", urlencode(current), urlencode(new));
    let wrong =
        call_server_fn(&s.app, ChangePassword::PATH, Some(&here), &change("not it at all", "fresh passphrase ok"))
            .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{}", wrong.body);
    let changed =
        call_server_fn(&s.app, ChangePassword::PATH, Some(&here), &change(PASSWORD, "fresh passphrase ok")).await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.body);
    let here = if changed.headers.contains_key(http::header::SET_COOKIE) { session_cookie(&changed) } else { here };
    assert_eq!(account_of(&s, &here).await["email"], "mia@example.com", "this session goes on");
    assert_eq!(account_of(&s, &elsewhere).await, Value::Null, "the other one ended");
}

#[tokio::test]
async fn must_change_password_is_asked_at_the_next_login_and_cleared_by_a_change() {
    let s = server().await;
    let ((_, root_token), (mia, _)) = admin_and_member(&s).await;
    let path = format!("/api/v1/admin/users/{mia}");
    call(&s.app, "PATCH", &path, Some(&bearer(&root_token)), json_body(json!({"must_change_password": true}))).await;
    let cookie = session_cookie(&log_in(&s, "mia@example.com", PASSWORD).await);
    assert_eq!(account_of(&s, &cookie).await["must_change_password"], true);
    let form = format!("current={}&password={}", urlencode(PASSWORD), urlencode("fresh passphrase ok"));
    let changed = call_server_fn(&s.app, ChangePassword::PATH, Some(&cookie), &form).await;
    let cookie = if changed.headers.contains_key(http::header::SET_COOKIE) { session_cookie(&changed) } else { cookie };
    assert_eq!(account_of(&s, &cookie).await["must_change_password"], false);
}

#[tokio::test]
async fn an_administrator_deletes_an_account_as_its_owner_would() {
    let s = server().await;
    let ((root, root_token), (mia, mia_token)) = admin_and_member(&s).await;
    let batch = keytrack_wire::ActivityBatch::new(
        keytrack_wire::Device { id: "laptop".into(), name: "Laptop".into() },
        vec![minute(keytrack_app::server::now() / 60 * 60 - 120, 40)],
        vec![],
    );
    assert_eq!(post_batch(&s.app, &mia_token, &batch).await.status, StatusCode::OK);
    let self_delete =
        call(&s.app, "DELETE", &format!("/api/v1/admin/users/{root}"), Some(&bearer(&root_token)), None).await;
    assert_eq!(self_delete.status, StatusCode::CONFLICT);
    let gone = call(&s.app, "DELETE", &format!("/api/v1/admin/users/{mia}"), Some(&bearer(&root_token)), None).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);
    for table in ["activity_hours", "activity_days", "devices", "api_tokens"] {
        let left = number(&s.database, &format!("SELECT count(*) FROM {table} WHERE user_id = {mia}")).await;
        assert_eq!(left, 0, "{table}");
    }
    assert!(store::users::by_id(&s.database, mia).await.expect("query").is_none());
}

#[tokio::test]
async fn the_audit_log_holds_what_happened_and_no_secret() {
    let s = server().await;
    let ((root, root_token), (mia, mia_token)) = admin_and_member(&s).await;
    log_in(&s, "mia@example.com", "a wrong password").await;
    log_in(&s, "ghost@example.com", "a wrong password").await;
    let cookie = session_cookie(&log_in(&s, "mia@example.com", PASSWORD).await);
    call(
        &s.app,
        "PATCH",
        &format!("/api/v1/admin/users/{mia}"),
        Some(&bearer(&root_token)),
        json_body(json!({"disabled": true})),
    )
    .await;
    let link =
        call(&s.app, "POST", &format!("/api/v1/admin/users/{mia}/reset-link"), Some(&bearer(&root_token)), None).await;
    site::set_policy(&s.database, Some(root), SignUpPolicy::Closed).await.expect("closed");
    let events = call(&s.app, "GET", "/api/v1/admin/audit", Some(&bearer(&root_token)), None).await;
    assert_eq!(events.status, StatusCode::OK, "{}", events.body);
    let actions: Vec<&str> =
        events.body.as_array().expect("events").iter().filter_map(|e| e["action"].as_str()).collect();
    for expected in [
        "sign_up",
        "token_created",
        "login_failed",
        "login",
        "account_disabled",
        "reset_link_created",
        "sign_up_policy_changed",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    let failed: Vec<&Value> =
        events.body.as_array().expect("events").iter().filter(|e| e["action"] == "login_failed").collect();
    assert!(failed.iter().any(|e| e["target"] == "ghost@example.com"), "an unknown address is named: {failed:?}");
    let text = events.body.to_string();
    let reset_token = link.body["path"].as_str().unwrap_or_default().trim_start_matches("/reset?token=");
    for secret in [PASSWORD, "a wrong password", &root_token, &mia_token, reset_token, &cookie] {
        assert!(!text.contains(secret), "the audit log holds a secret: {secret}");
    }
    // Filters, the CSV and one's own events.
    let disables =
        call(&s.app, "GET", "/api/v1/admin/audit?action=account_disabled", Some(&bearer(&root_token)), None).await;
    assert_eq!(disables.body.as_array().map(Vec::len), Some(1));
    assert_eq!(disables.body[0]["actor"], "root@example.com");
    assert_eq!(disables.body[0]["target"], "mia@example.com");
    let unknown = call(&s.app, "GET", "/api/v1/admin/audit?action=nonsense", Some(&bearer(&root_token)), None).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let own = keytrack_app::server::services::audit::of_user(&s.database, mia).await.expect("events");
    assert!(own.iter().any(|e| e.action == "account_disabled"), "{own:?}");
    // Retention forgets old events.
    let removed = keytrack_app::server::services::audit::apply_retention(
        &s.database,
        1,
        keytrack_app::server::now() + 2 * 86_400,
    )
    .await
    .expect("retention");
    assert!(removed >= actions.len() as u64);
}

#[tokio::test]
async fn nobody_but_an_administrator_reaches_any_administration_route_or_function() {
    let s = server().await;
    let (_, (_, mia_token)) = admin_and_member(&s).await;
    let member_cookie = session_cookie(&log_in(&s, "mia@example.com", PASSWORD).await);
    let routes: [(&str, &str, Option<Value>); 10] = [
        ("GET", "/api/v1/admin/users", None),
        ("PATCH", "/api/v1/admin/users/1", Some(json!({"admin": true}))),
        ("DELETE", "/api/v1/admin/users/1", None),
        ("POST", "/api/v1/admin/users/1/reset-link", None),
        ("GET", "/api/v1/admin/invites", None),
        ("POST", "/api/v1/admin/invites", Some(json!({}))),
        ("DELETE", "/api/v1/admin/invites/1", None),
        ("GET", "/api/v1/admin/sign-up", None),
        ("PUT", "/api/v1/admin/sign-up", Some(json!({"policy": "open"}))),
        ("GET", "/api/v1/admin/audit", None),
    ];
    for (method, path, body) in routes {
        let reply =
            call(&s.app, method, path, Some(&bearer(&mia_token)), body.as_ref().and_then(|b| json_body(b.clone())))
                .await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{method} {path}: {}", reply.body);
    }
    let csv = call(&s.app, "GET", "/api/v1/admin/audit.csv", Some(&bearer(&mia_token)), None).await;
    assert_eq!(csv.status, StatusCode::NOT_FOUND);
    use keytrack_app::api::admin::*;
    let functions: [(&str, &str); 12] = [
        (AdminPeople::PATH, "search=&page=1"),
        (AdminSetAdmin::PATH, "person=2&admin=true"),
        (AdminSetDisabled::PATH, "person=1&disabled=true"),
        (AdminSetMustChangePassword::PATH, "person=1&must=true"),
        (AdminResetLink::PATH, "person=1"),
        (AdminDeletePerson::PATH, "person=1"),
        (AdminInvites::PATH, ""),
        (AdminCreateInvite::PATH, "email=&valid_days=7"),
        (AdminRevokeInvite::PATH, "invite=1"),
        (AdminSignUpPolicy::PATH, ""),
        (AdminSetSignUpPolicy::PATH, "policy=open"),
        (AdminAudit::PATH, "action=&person=&from=&to="),
    ];
    for (path, form) in functions {
        let reply = call_server_fn(&s.app, path, Some(&member_cookie), form).await;
        assert_eq!(reply.status, StatusCode::NOT_FOUND, "{path}: {}", reply.body);
        let anonymous = call_server_fn(&s.app, path, None, form).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path} without a session");
    }
    // Nothing changed: the administrator is still one, the member still not.
    let me = call(&s.app, "GET", "/api/v1/me", Some(&bearer(&mia_token)), None).await;
    assert_eq!(me.body["is_admin"], false);
}

/// A server whose reset emails go to an SMTP server that is not there: what "Forgot password?"
/// answers cannot depend on the email either.
async fn server_sending_email() -> TestServer {
    use keytrack_app::server::services::mail::{MailSettings, Mailer, Security};
    use keytrack_app::server::services::passwords::ResetMail;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a port").local_addr().expect("addr").port();
    let settings = MailSettings {
        host: "127.0.0.1".into(),
        port: closed,
        security: Security::None,
        user: None,
        password: None,
        from: "keytrack@example.com".into(),
    };
    let mailer = std::sync::Arc::new(Mailer::new(&settings).expect("mailer"));
    server_with(|state| state.with_reset_mail(ResetMail { mailer, public_url: "https://keytrack.test".into() })).await
}

#[tokio::test]
async fn forgot_password_answers_alike_and_as_fast_for_any_address_and_is_limited() {
    let s = server_sending_email().await;
    admin_and_member(&s).await;
    let ask = |email: &'static str| {
        let app = s.app.clone();
        async move {
            let started = std::time::Instant::now();
            let reply = call_server_fn(&app, ForgotPassword::PATH, None, &format!("email={}", urlencode(email))).await;
            (reply, started.elapsed())
        }
    };
    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    for _ in 0..4 {
        let (known, took) = ask("mia@example.com").await;
        known_times.push(took);
        let (unknown, took) = ask("nobody@example.com").await;
        unknown_times.push(took);
        assert_eq!((known.status, &known.body), (unknown.status, &unknown.body), "the same answer");
        assert_eq!(known.status, StatusCode::OK, "{}", known.body);
    }
    // The lookup and the email happen after the answer: no difference a stranger could time
    // (medians, far apart from any database or SMTP work).
    known_times.sort();
    unknown_times.sort();
    let gap = known_times[2].abs_diff(unknown_times[2]);
    assert!(gap < std::time::Duration::from_millis(50), "known {known_times:?}, unknown {unknown_times:?}");
    // Ten asks an hour from one address, then a pause for everyone it asks about.
    for _ in 8..10 {
        assert_eq!(ask("mia@example.com").await.0.status, StatusCode::OK);
    }
    let limited = ask("nobody@example.com").await.0;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{}", limited.body);
}

#[tokio::test]
async fn the_new_forms_refuse_requests_from_other_sites() {
    let s = server().await;
    admin_and_member(&s).await;
    let cookie = session_cookie(&log_in(&s, "root@example.com", PASSWORD).await);
    use keytrack_app::api::admin::*;
    let forms: [(&str, &str); 8] = [
        (AdminSetDisabled::PATH, "person=2&disabled=true"),
        (AdminSetAdmin::PATH, "person=2&admin=true"),
        (AdminDeletePerson::PATH, "person=2"),
        (AdminResetLink::PATH, "person=2"),
        (AdminCreateInvite::PATH, "email=&valid_days=7"),
        (AdminSetSignUpPolicy::PATH, "policy=closed"),
        (ChangePassword::PATH, "current=x&password=y"),
        (ForgotPassword::PATH, "email=mia%40example.com"),
    ];
    for (path, form) in forms {
        let request = http::Request::builder()
            .method("POST")
            .uri(path)
            .header(http::header::HOST, HOST)
            .header(http::header::ORIGIN, "https://evil.example")
            .header(http::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(http::header::COOKIE, &cookie)
            .body(axum::body::Body::from(form))
            .expect("request");
        let response = tower::ServiceExt::oneshot(s.app.clone(), request).await.expect("answer");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let mia = store::users::by_email(&s.database, "mia@example.com").await.expect("query").expect("mia");
    assert!(mia.disabled_at.is_none() && !mia.is_admin, "nothing changed");
    assert_eq!(site::policy(&s.database).await.expect("policy"), SignUpPolicy::Open);
}
