//! Issue 37's two-factor sign-in, through the real router on a real database (SQLite, or
//! PostgreSQL with `KEYTRACK_TEST_ENGINE=postgres`): setup confirmed with a code computed from the
//! secret shown (as an authenticator app does), the login's second step, replayed and wrong codes,
//! recovery codes used once, the pause after five wrong codes, and the administrator's policy and
//! reset.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use http::{StatusCode, header};
use keytrack_app::api::account::{
    BeginTwoFactor, ConfirmTwoFactor, MyTwoFactor, RenewRecoveryCodes, ResetPassword, TurnOffTwoFactor,
};
use keytrack_app::api::admin::{AdminRequireTwoFactor, AdminResetTwoFactor};
use keytrack_app::api::{CurrentAccount, LogInWithCode};
use keytrack_app::server::services::auth::RateLimiter;
use keytrack_app::server::store::attempts::Attempts;
use leptos::server_fn::ServerFn;
use serde_json::Value;
use totp_rs::{Algorithm, Secret, TOTP};

async fn account_of(s: &TestServer, cookie: &str) -> Value {
    call_server_fn(&s.app, CurrentAccount::PATH, Some(cookie), "").await.body
}

fn location(reply: &Reply) -> Option<&str> {
    reply.headers.get(header::LOCATION).and_then(|l| l.to_str().ok())
}

/// The authenticator app of the test: the secret as shown at setup (base32), the code of a time.
struct App(TOTP);

impl App {
    fn from_secret(base32: &str) -> App {
        let secret = Secret::Encoded(base32.to_string()).to_bytes().expect("a base32 secret");
        App(TOTP::new_unchecked(Algorithm::SHA1, 6, 0, 30, secret, None, String::new()))
    }

    /// The code of the step `steps` from now's.
    fn code(&self, steps: i64) -> String {
        self.code_of_step(keytrack_app::server::now() / 30 + steps)
    }

    fn code_of_step(&self, step: i64) -> String {
        self.0.generate(u64::try_from(step * 30).expect("after 1970"))
    }
}

/// A GET of the JSON API with a session cookie, as the pages' scripts make it.
async fn get_with_cookie(s: &TestServer, uri: &str, cookie: &str) -> Reply {
    let request = http::Request::builder()
        .uri(uri)
        .header(header::HOST, HOST)
        .header(header::COOKIE, cookie)
        .body(axum::body::Body::empty())
        .expect("request");
    let response = tower::ServiceExt::oneshot(s.app.clone(), request).await.expect("response");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = http_body_util::BodyExt::collect(response.into_body()).await.expect("body").to_bytes();
    Reply { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

/// Logs `email` in (a password account), sets up two-factor sign-in from the profile and confirms
/// it with the app's current code: the session, the app and the recovery codes.
async fn set_up(s: &TestServer, email: &str) -> (String, App, Vec<String>) {
    let cookie = session_cookie(&log_in(s, email, PASSWORD).await);
    let setup = call_server_fn(&s.app, BeginTwoFactor::PATH, Some(&cookie), "").await;
    assert_eq!(setup.status, StatusCode::OK, "{}", setup.body);
    let secret = setup.body["secret"].as_str().expect("the secret to type in");
    let address = setup.body["address"].as_str().expect("the otpauth address");
    assert!(
        address.starts_with("otpauth://totp/KeyTrack:") && address.contains(&format!("secret={secret}")),
        "{address}"
    );
    assert!(setup.body["qr_svg"].as_str().is_some_and(|svg| svg.contains("<svg")), "a QR code drawn as SVG");
    let app = App::from_secret(secret);
    // Not on until a code confirms it: a wrong one does not.
    let wrong = call_server_fn(&s.app, ConfirmTwoFactor::PATH, Some(&cookie), "code=000000").await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert_eq!(call_server_fn(&s.app, MyTwoFactor::PATH, Some(&cookie), "").await.body["on"], false);
    let form = format!("code={}", app.code(0));
    let confirmed = call_server_fn(&s.app, ConfirmTwoFactor::PATH, Some(&cookie), &form).await;
    assert_eq!(confirmed.status, StatusCode::OK, "{}", confirmed.body);
    let codes: Vec<String> = serde_json::from_value(confirmed.body).expect("recovery codes");
    assert_eq!(codes.len(), 10);
    let status = call_server_fn(&s.app, MyTwoFactor::PATH, Some(&cookie), "").await.body;
    assert_eq!((status["on"].as_bool(), status["recovery_codes_left"].as_u64()), (Some(true), Some(10)));
    (cookie, app, codes)
}

/// The second step of a login with this session cookie: the reply.
async fn give_code(s: &TestServer, cookie: &str, code: &str) -> Reply {
    call_server_fn(&s.app, LogInWithCode::PATH, Some(cookie), &format!("code={}", urlencode(code))).await
}

#[tokio::test]
async fn a_login_asks_for_the_code_after_the_password_and_takes_each_code_once() {
    let s = server().await;
    let (ada, _) = user_with_token(&s.database, "ada@example.com").await;
    let (_, app, _) = set_up(&s, "ada@example.com").await;
    // The password alone logs no one in: on to the code page.
    let first = log_in(&s, "ada@example.com", PASSWORD).await;
    assert_eq!(location(&first), Some("/login/code"), "{:?}", first.headers);
    let pending = session_cookie(&first);
    assert!(!pending.is_empty());
    assert_eq!(account_of(&s, &pending).await, Value::Null, "not logged in before the code");
    let me = get_with_cookie(&s, "/api/v1/me", &pending).await;
    assert_eq!(me.status, StatusCode::UNAUTHORIZED, "the API neither: {}", me.body);
    // A wrong code: refused, still not logged in.
    let wrong = give_code(&s, &pending, "123456").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{}", wrong.body);
    assert_eq!(account_of(&s, &pending).await, Value::Null);
    // The code of the step after the one setup took (a phone a little ahead): logged in.
    let step = keytrack_app::server::now() / 30;
    let right = give_code(&s, &pending, &app.code_of_step(step + 1)).await;
    assert_eq!(right.status, StatusCode::OK, "{}", right.body);
    assert_eq!(location(&right), Some("/"));
    let session = session_cookie(&right);
    assert!(!session.is_empty() && session != pending, "a new session id at login");
    assert_eq!(account_of(&s, &session).await["email"], "ada@example.com");
    assert_eq!(account_of(&s, &session).await["two_factor"], true);
    // The same code again, and the current step's (earlier than the one taken): both refused.
    for code in [app.code_of_step(step + 1), app.code_of_step(step)] {
        let again = log_in(&s, "ada@example.com", PASSWORD).await;
        let replay = give_code(&s, &session_cookie(&again), &code).await;
        assert_eq!(replay.status, StatusCode::UNAUTHORIZED, "a code is taken once: {}", replay.body);
    }
    // A login's code page without a password first: nothing to log in.
    let form = format!("code={}", app.code(1));
    let stranger = call_server_fn(&s.app, LogInWithCode::PATH, None, &form).await;
    assert_eq!(stranger.status, StatusCode::UNAUTHORIZED, "{}", stranger.body);
    assert!(stranger.body.to_string().contains("email and password first"), "{}", stranger.body);
    let failures = number(
        &s.database,
        &format!("SELECT count(*) FROM audit_log WHERE action = 'two_factor_failed' AND target_id = {ada}"),
    )
    .await;
    assert_eq!(failures, 3, "each wrong or replayed code is in the audit log");
    let logins =
        number(&s.database, &format!("SELECT count(*) FROM audit_log WHERE action = 'login' AND actor_id = {ada}"))
            .await;
    assert_eq!(logins, 2, "the login before setup and the one with the code, not the half-done ones");
}

#[tokio::test]
async fn a_recovery_code_works_once_and_no_secret_is_stored_or_shown_again() {
    let s = server().await;
    let (ada, _) = user_with_token(&s.database, "ada@example.com").await;
    let (cookie, _, codes) = set_up(&s, "ada@example.com").await;
    // Typed in capitals with spaces, as people copy from paper.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let pending = session_cookie(&log_in(&s, "ada@example.com", PASSWORD).await);
    let used = give_code(&s, &pending, &typed).await;
    assert_eq!(used.status, StatusCode::OK, "{}", used.body);
    assert_eq!(account_of(&s, &session_cookie(&used)).await["email"], "ada@example.com");
    let pending = session_cookie(&log_in(&s, "ada@example.com", PASSWORD).await);
    let twice = give_code(&s, &pending, &codes[3]).await;
    assert_eq!(twice.status, StatusCode::UNAUTHORIZED, "used up: {}", twice.body);
    let status = call_server_fn(&s.app, MyTwoFactor::PATH, Some(&cookie), "").await.body;
    assert_eq!(status["recovery_codes_left"], 9);
    // New codes need the password, and the old ones stop working.
    let refused = call_server_fn(&s.app, RenewRecoveryCodes::PATH, Some(&cookie), "password=guess").await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    let form = format!("password={}", urlencode(PASSWORD));
    let renewed = call_server_fn(&s.app, RenewRecoveryCodes::PATH, Some(&cookie), &form).await;
    let renewed: Vec<String> = serde_json::from_value(renewed.body).expect("new codes");
    assert_eq!(renewed.len(), 10);
    let pending = session_cookie(&log_in(&s, "ada@example.com", PASSWORD).await);
    assert_eq!(give_code(&s, &pending, &codes[0]).await.status, StatusCode::UNAUTHORIZED, "an old code");
    assert_eq!(give_code(&s, &pending, &renewed[0]).await.status, StatusCode::OK, "a new one");
    // The codes are stored hashed, and neither they nor the secret are in the audit log, the
    // account or the status the pages read.
    let secret =
        keytrack_app::server::store::two_factor::get(&s.database, ada).await.expect("read").expect("on").secret;
    let base32 = totp_rs::Secret::Raw(secret).to_encoded().to_string();
    let audit = get_with_cookie(&s, "/api/v1/admin/audit", &cookie).await;
    assert_eq!(audit.status, StatusCode::OK, "ada is the administrator: {}", audit.body);
    let shown = [
        audit.body.to_string(),
        account_of(&s, &cookie).await.to_string(),
        call_server_fn(&s.app, MyTwoFactor::PATH, Some(&cookie), "").await.body.to_string(),
        get_with_cookie(&s, "/api/v1/admin/users", &cookie).await.body.to_string(),
    ];
    for code in codes.iter().chain(&renewed) {
        let stored = number(
            &s.database,
            &format!("SELECT count(*) FROM recovery_codes WHERE code_hash LIKE '%{}%'", code.replace('-', "")),
        )
        .await;
        assert_eq!(stored, 0, "a recovery code stored as typed");
        for text in &shown {
            assert!(!text.contains(code.as_str()) && !text.contains(&code.replace('-', "")), "{code} in {text}");
        }
    }
    for text in &shown {
        assert!(!text.contains(&base32), "the secret in {text}");
    }
    assert_eq!(number(&s.database, "SELECT count(*) FROM audit_log WHERE action = 'recovery_code_used'").await, 2);
}

#[tokio::test]
async fn five_wrong_codes_pause_the_account_even_for_the_right_one_until_the_pause_ends() {
    // The server's pause is five minutes; this one's is two seconds, to see it end.
    let s = server_with(|mut state| {
        state.two_factor_limiter = Arc::new(RateLimiter::new(Duration::from_secs(2), Attempts::in_memory()));
        state
    })
    .await;
    user_with_token(&s.database, "ada@example.com").await;
    let (_, app, _) = set_up(&s, "ada@example.com").await;
    let pending = session_cookie(&log_in(&s, "ada@example.com", PASSWORD).await);
    for wrong in ["000001", "000002", "000003", "000004", "000005"] {
        let reply = give_code(&s, &pending, wrong).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    }
    // A new password login does not start the count again: it is the account's.
    let pending = session_cookie(&log_in(&s, "ada@example.com", PASSWORD).await);
    let paused = give_code(&s, &pending, &app.code(1)).await;
    assert_eq!(paused.status, StatusCode::TOO_MANY_REQUESTS, "{}", paused.body);
    assert!(paused.body.to_string().contains("minute"), "says how long: {}", paused.body);
    assert_eq!(account_of(&s, &pending).await, Value::Null);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let after = give_code(&s, &pending, &app.code(1)).await;
    assert_eq!(after.status, StatusCode::OK, "the pause is over: {}", after.body);
    assert_eq!(account_of(&s, &session_cookie(&after)).await["email"], "ada@example.com");
}

#[tokio::test]
async fn the_default_pause_is_five_minutes_after_five_wrong_codes() {
    let s = server().await;
    user_with_token(&s.database, "ada@example.com").await;
    set_up(&s, "ada@example.com").await;
    let pending = session_cookie(&log_in(&s, "ada@example.com", PASSWORD).await);
    for _ in 0..5 {
        assert_eq!(give_code(&s, &pending, "999999").await.status, StatusCode::UNAUTHORIZED);
    }
    let paused = give_code(&s, &pending, "999999").await;
    assert_eq!(paused.status, StatusCode::TOO_MANY_REQUESTS, "{}", paused.body);
    assert!(paused.body.to_string().contains("5 minutes"), "{}", paused.body);
}

#[tokio::test]
async fn an_administrator_requires_it_resets_it_and_it_cannot_be_turned_off_while_required() {
    let s = server().await;
    let (root, _) = user_with_token(&s.database, "root@example.com").await;
    let (mia, _) = user_with_token(&s.database, "mia@example.com").await;
    let root_cookie = session_cookie(&log_in(&s, "root@example.com", PASSWORD).await);
    let mia_cookie = session_cookie(&log_in(&s, "mia@example.com", PASSWORD).await);
    assert_eq!(account_of(&s, &mia_cookie).await["must_set_up_two_factor"], false);
    // Only an administrator sets the policy.
    let refused = call_server_fn(&s.app, AdminRequireTwoFactor::PATH, Some(&mia_cookie), "required=true").await;
    assert!(refused.status.is_client_error(), "{} {}", refused.status, refused.body);
    let on = call_server_fn(&s.app, AdminRequireTwoFactor::PATH, Some(&root_cookie), "required=true").await;
    assert_eq!(on.status, StatusCode::OK, "{}", on.body);
    // Mia is sent to set it up (the pages read this), and does.
    assert_eq!(account_of(&s, &mia_cookie).await["must_set_up_two_factor"], true);
    let (mia_session, app, _) = set_up(&s, "mia@example.com").await;
    assert_eq!(account_of(&s, &mia_session).await["must_set_up_two_factor"], false);
    // While required, it cannot be turned off, even with the password.
    let form = format!("password={}", urlencode(PASSWORD));
    let off = call_server_fn(&s.app, TurnOffTwoFactor::PATH, Some(&mia_session), &form).await;
    assert_eq!(off.status, StatusCode::FORBIDDEN, "{}", off.body);
    // A lost phone: the administrator resets it (audited), and Mia logs in with her password.
    let form = format!("person={mia}");
    let member_reset = call_server_fn(&s.app, AdminResetTwoFactor::PATH, Some(&mia_session), &form).await;
    assert!(member_reset.status.is_client_error(), "only an administrator: {}", member_reset.status);
    let reset = call_server_fn(&s.app, AdminResetTwoFactor::PATH, Some(&root_cookie), &form).await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let audited = number(
        &s.database,
        &format!("SELECT count(*) FROM audit_log WHERE action = 'two_factor_reset' AND actor_id = {root} AND target_id = {mia}"),
    )
    .await;
    assert_eq!(audited, 1);
    let login = log_in(&s, "mia@example.com", PASSWORD).await;
    assert_eq!(location(&login), Some("/"), "no code asked after a reset");
    let cookie = session_cookie(&login);
    assert_eq!(account_of(&s, &cookie).await["must_set_up_two_factor"], true, "and sent to set it up again");
    drop(app);
    // Optional again: the person may turn it off, with the password only.
    call_server_fn(&s.app, AdminRequireTwoFactor::PATH, Some(&root_cookie), "required=false").await;
    let (mia_session, _, _) = set_up(&s, "mia@example.com").await;
    let wrong = call_server_fn(&s.app, TurnOffTwoFactor::PATH, Some(&mia_session), "password=guess").await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{}", wrong.body);
    let form = format!("password={}", urlencode(PASSWORD));
    let off = call_server_fn(&s.app, TurnOffTwoFactor::PATH, Some(&mia_session), &form).await;
    assert_eq!(off.status, StatusCode::OK, "{}", off.body);
    assert_eq!(location(&log_in(&s, "mia@example.com", PASSWORD).await), Some("/"));
    assert_eq!(number(&s.database, &format!("SELECT count(*) FROM recovery_codes WHERE user_id = {mia}")).await, 0);
    // API tokens are unchanged by all of this (per device, revocable).
    let (_, token) = user_with_token(&s.database, "lee@example.com").await;
    assert_eq!(call(&s.app, "GET", "/api/v1/me", Some(&bearer(&token)), None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_password_reset_link_asks_for_the_code_too() {
    let s = server().await;
    let (_, root_token) = user_with_token(&s.database, "root@example.com").await;
    let (mia, _) = user_with_token(&s.database, "mia@example.com").await;
    let (_, app, _) = set_up(&s, "mia@example.com").await;
    let link =
        call(&s.app, "POST", &format!("/api/v1/admin/users/{mia}/reset-link"), Some(&bearer(&root_token)), None).await;
    assert_eq!(link.status, StatusCode::OK, "{}", link.body);
    let token = link.body["path"].as_str().and_then(|path| path.strip_prefix("/reset?token=")).expect("a reset path");
    // The link proves the email, not the phone: the new password is set, the code comes next.
    let form = format!("token={}&password={}", urlencode(token), urlencode("a brand new passphrase"));
    let done = call_server_fn(&s.app, ResetPassword::PATH, None, &form).await;
    assert_eq!(location(&done), Some("/login/code"), "{} {:?}", done.body, done.headers);
    let pending = session_cookie(&done);
    assert_eq!(account_of(&s, &pending).await, Value::Null, "not logged in by the link alone");
    let logged_in = give_code(&s, &pending, &app.code(1)).await;
    assert_eq!(logged_in.status, StatusCode::OK, "{}", logged_in.body);
    assert_eq!(account_of(&s, &session_cookie(&logged_in)).await["email"], "mia@example.com");
}
