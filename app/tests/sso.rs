//! Issue 37's single sign-on: which account a person the provider vouched for signs in to, on a
//! real database (SQLite, or PostgreSQL with `KEYTRACK_TEST_ENGINE=postgres`): made at a first
//! sign-in only as the sign-up policy, an invite or `--oidc-allowed-domains` allows, an existing
//! password account linked only through a verified address (audited), the administrator role from
//! a group, refusals audited and storing nothing; and through the router, `--password-login off`
//! and the way back to the login page when a sign-in cannot go on. The protocol itself (discovery,
//! PKCE, the ID token's checks) runs against a real provider in end2end/tests/sso.spec.mjs.

mod common;

use common::*;
use http::{StatusCode, header};
use keytrack_app::api::account::SignInOptions;
use keytrack_app::api::{LogIn, SignUp};
use keytrack_app::model::SignUpPolicy;
use keytrack_app::server::services::sso::{Identity, Sso, SsoSettings, sign_in};
use keytrack_app::server::services::{accounts, admin, site};
use keytrack_app::server::store;
use leptos::server_fn::ServerFn;

const ISSUER: &str = "https://id.example.com";

/// The provider of the tests: nothing listens at its address (port 9, discard), so a sign-in that
/// needs it fails as one with an unreachable provider does.
fn provider(allowed_domains: &str, admin_group: Option<&str>) -> Sso {
    Sso::new(SsoSettings {
        issuer: "http://127.0.0.1:9".into(),
        client_id: "keytrack".into(),
        client_secret: "the client secret".into(),
        name: "Example ID".into(),
        scopes: vec!["email profile".into()],
        allowed_domains: vec![allowed_domains.into()],
        admin_group: admin_group.map(str::to_string),
        groups_claim: "groups".into(),
        public_url: "https://keytrack.test".into(),
    })
    .expect("settings")
}

fn person(subject: &str, email: &str, verified: bool) -> Identity {
    Identity {
        issuer: ISSUER.into(),
        subject: subject.into(),
        email: Some(email.into()),
        email_verified: verified,
        name: Some(format!("Person {subject}")),
        groups: Vec::new(),
    }
}

async fn people(database: &store::Database) -> i64 {
    number(database, "SELECT count(*) FROM users").await
}

async fn audited(database: &store::Database, action: &str) -> i64 {
    number(database, &format!("SELECT count(*) FROM audit_log WHERE action = '{action}'")).await
}

fn refusal(outcome: Result<i64, keytrack_app::server::error::AppError>) -> String {
    match outcome {
        Err(error) => format!("{}: {}", error.code(), error.public_message()),
        Ok(id) => panic!("signed in as {id}, not refused"),
    }
}

#[tokio::test]
async fn a_first_sign_in_makes_an_account_only_as_the_rules_allow() {
    let s = server().await;
    let db = &s.database;
    let (root, _) = user_with_token(db, "root@example.net").await;
    site::set_policy(db, None, SignUpPolicy::Invite).await.expect("policy");
    let sso = provider("example.com, @Example.org", None);

    // An allowed domain's verified address: an account with no password, named as the provider says.
    let ada = sign_in(db, &sso, &person("sub-ada", "Ada@Example.com", true), None, "Europe/Paris").await.expect("ada");
    let account = accounts::account(db, ada).await.expect("account");
    assert_eq!((account.email.as_str(), account.display_name.as_str()), ("Ada@example.com", "Person sub-ada"));
    assert_eq!(account.timezone, "Europe/Paris");
    assert_eq!(number(db, &format!("SELECT count(*) FROM users WHERE id = {ada} AND password_hash = ''")).await, 1);
    // The second sign-in is the same account, whatever the address says now.
    let again = sign_in(db, &sso, &person("sub-ada", "ada.l@example.com", true), None, "UTC").await;
    assert_eq!(again.expect("again"), ada);
    assert_eq!(people(db).await, 2);
    // No password opens it (a wrong-password answer, not a server error).
    let login = call_server_fn(&s.app, LogIn::PATH, None, "email=ada%40example.com&password=").await;
    assert_eq!(login.status, StatusCode::UNAUTHORIZED, "{:?}", login.body);

    // A stranger's domain, or an allowed one the provider does not say is verified: refused.
    let eve = refusal(sign_in(db, &sso, &person("sub-eve", "eve@elsewhere.org", true), None, "UTC").await);
    assert!(eve.starts_with("forbidden: This server makes accounts by invitation"), "{eve}");
    let unverified = refusal(sign_in(db, &sso, &person("sub-dan", "dan@example.com", false), None, "UTC").await);
    assert!(unverified.contains("by invitation"), "{unverified}");
    let no_email = Identity { email: None, ..person("sub-nobody", "", true) };
    assert!(refusal(sign_in(db, &sso, &no_email, None, "UTC").await).contains("gave no email address"));
    assert_eq!(people(db).await, 2, "nothing stored for those refused");
    assert_eq!(number(db, "SELECT count(*) FROM sso_identities").await, 1);
    assert_eq!(audited(db, "sso_refused").await, 3);

    // A site invite carried through the flow lets a stranger in, once.
    let invite = site::create_invite(db, root, None, 7).await.expect("invite").code;
    let eve = sign_in(db, &sso, &person("sub-eve", "eve@elsewhere.org", true), Some(&invite), "UTC").await;
    let eve = eve.expect("eve with the invite");
    let used = refusal(sign_in(db, &sso, &person("sub-mallory", "m@elsewhere.org", true), Some(&invite), "UTC").await);
    assert!(used.contains("used already"), "{used}");
    assert_eq!(number(db, &format!("SELECT count(*) FROM site_invites WHERE used_by = {eve}")).await, 1);

    // Open: anyone. Closed: no one, allowed domains included.
    site::set_policy(db, None, SignUpPolicy::Open).await.expect("open");
    sign_in(db, &sso, &person("sub-olga", "olga@anywhere.net", false), None, "UTC").await.expect("open sign-up");
    site::set_policy(db, None, SignUpPolicy::Closed).await.expect("closed");
    let closed = refusal(sign_in(db, &sso, &person("sub-bea", "bea@example.org", true), None, "UTC").await);
    assert!(closed.contains("Sign-up is closed"), "{closed}");
    // Those with an account still sign in.
    assert_eq!(sign_in(db, &sso, &person("sub-ada", "ada@example.com", true), None, "UTC").await.expect("ada"), ada);
    assert_eq!(people(db).await, 4);
}

#[tokio::test]
async fn a_password_account_is_linked_only_through_a_verified_address() {
    let s = server().await;
    let db = &s.database;
    let (root, _) = user_with_token(db, "root@example.net").await;
    let (bob, _) = user_with_token(db, "bob@example.com").await;
    let sso = provider("", None);
    let refused = refusal(sign_in(db, &sso, &person("sub-bob", "BOB@example.com", false), None, "UTC").await);
    assert!(refused.contains("does not say the address is verified"), "{refused}");
    assert_eq!(number(db, "SELECT count(*) FROM sso_identities").await, 0);
    assert_eq!(sign_in(db, &sso, &person("sub-bob", "BOB@example.com", true), None, "UTC").await.expect("linked"), bob);
    let detail: String = on_either!(db, |pool| sqlx::query_scalar(
        "SELECT detail FROM audit_log WHERE action = 'sso_linked' AND actor_id = $1"
    )
    .bind(bob)
    .fetch_one(pool)
    .await)
    .expect("the link is audited");
    assert_eq!(detail, "https://id.example.com, through the verified address bob@example.com");
    // Linked once: later sign-ins are not new links, and the password still works.
    sign_in(db, &sso, &person("sub-bob", "bob@example.com", true), None, "UTC").await.expect("again");
    assert_eq!(audited(db, "sso_linked").await, 1);
    let form = format!("email=bob%40example.com&password={}", urlencode(PASSWORD));
    assert_eq!(call_server_fn(&s.app, LogIn::PATH, None, &form).await.status, StatusCode::OK);
    // A disabled account is refused, linked or not.
    let (carol, _) = user_with_token(db, "carol@example.com").await;
    let live = keytrack_app::server::services::live::Live::for_store(&store::Store::on(db.clone())).await;
    for id in [bob, carol] {
        admin::set_disabled(db, &live, root, id, true).await.expect("disable");
    }
    let disabled = refusal(sign_in(db, &sso, &person("sub-bob", "bob@example.com", true), None, "UTC").await);
    assert!(disabled.starts_with("account_disabled"), "{disabled}");
    let disabled = refusal(sign_in(db, &sso, &person("sub-carol", "carol@example.com", true), None, "UTC").await);
    assert!(disabled.starts_with("account_disabled"), "{disabled}");
    assert_eq!(number(db, "SELECT count(*) FROM sso_identities").await, 1, "carol was not linked");
}

#[tokio::test]
async fn the_administrator_role_follows_the_group_claim() {
    let s = server().await;
    let db = &s.database;
    let (root, _) = user_with_token(db, "root@example.net").await;
    let sso = provider("example.com", Some("keytrack-admins"));
    let in_group = |subject: &str, email: &str| Identity {
        groups: vec!["staff".into(), "keytrack-admins".into()],
        ..person(subject, email, true)
    };
    let ada = sign_in(db, &sso, &in_group("sub-ada", "ada@example.com"), None, "UTC").await.expect("ada");
    let is_admin = |id: i64| async move {
        number(db, &format!("SELECT count(*) FROM users WHERE id = {id} AND is_admin")).await == 1
    };
    assert!(is_admin(ada).await);
    let bob = sign_in(db, &sso, &person("sub-bob", "bob@example.com", true), None, "UTC").await.expect("bob");
    assert!(!is_admin(bob).await);
    // Out of the group: no longer an administrator (the others remain).
    sign_in(db, &sso, &person("sub-ada", "ada@example.com", true), None, "UTC").await.expect("ada again");
    assert!(!is_admin(ada).await);
    assert!(is_admin(root).await, "the command line's administrator keeps the role: {root}");
    assert_eq!(audited(db, "admin_granted").await, 1);
    assert_eq!(audited(db, "admin_revoked").await, 1);
}

#[tokio::test]
async fn an_account_without_a_password_is_not_asked_to_set_up_two_factor() {
    let s = server().await;
    let db = &s.database;
    let (root, _) = user_with_token(db, "root@example.net").await;
    keytrack_app::server::services::two_factor::set_required(db, root, true).await.expect("required");
    let sso = provider("example.com", None);
    let ada = sign_in(db, &sso, &person("sub-ada", "ada@example.com", true), None, "UTC").await.expect("ada");
    let user = store::users::by_id(db, ada).await.expect("read").expect("ada");
    assert!(!accounts::account_shown(db, user).await.expect("shown").must_set_up_two_factor);
    let root = store::users::by_id(db, root).await.expect("read").expect("root");
    assert!(accounts::account_shown(db, root).await.expect("shown").must_set_up_two_factor);
}

fn location(reply: &Reply) -> &str {
    reply.headers.get(header::LOCATION).and_then(|l| l.to_str().ok()).unwrap_or_default()
}

#[tokio::test]
async fn a_sign_in_that_cannot_go_on_returns_to_the_login_page_which_says_why_once() {
    let s = server_with(|state| state.with_sso(provider("", None), true)).await;
    // The provider cannot be reached: back to the login page, nothing stored.
    let start = call(&s.app, "GET", "/auth/sso/start?next=%2Fdevices", None, None).await;
    assert_eq!((start.status, location(&start)), (StatusCode::SEE_OTHER, "/login?sso=refused"));
    let cookie = session_cookie(&start);
    let options = call_server_fn(&s.app, SignInOptions::PATH, Some(&cookie), "").await;
    assert_eq!(options.body["sso_name"], "Example ID");
    assert_eq!(options.body["password_login"], true);
    assert_eq!(options.body["sso_refusal"], "The identity provider could not be reached: try again in a moment.");
    // Said once.
    let options = call_server_fn(&s.app, SignInOptions::PATH, Some(&cookie), "").await;
    assert_eq!(options.body["sso_refusal"], serde_json::Value::Null);
    // An answer of the provider without a sign-in started in this browser (a forged or replayed
    // callback): refused, nothing stored.
    let forged = call(&s.app, "GET", "/auth/sso/callback?code=abc&state=def", None, None).await;
    assert_eq!((forged.status, location(&forged)), (StatusCode::SEE_OTHER, "/login?sso=refused"));
    let options = call_server_fn(&s.app, SignInOptions::PATH, Some(&session_cookie(&forged)), "").await;
    let said = options.body["sso_refusal"].as_str().unwrap_or_default().to_string();
    assert!(said.contains("not started in this browser"), "{said}");
    assert_eq!(people(&s.database).await, 0);
}

#[tokio::test]
async fn with_password_login_off_only_single_sign_on_signs_people_in() {
    let s = server_with(|state| state.with_sso(provider("", None), false)).await;
    user_with_token(&s.database, "root@example.net").await;
    let options = call_server_fn(&s.app, SignInOptions::PATH, None, "").await;
    assert_eq!(options.body["password_login"], false);
    let form = format!("email=root%40example.net&password={}", urlencode(PASSWORD));
    let login = call_server_fn(&s.app, LogIn::PATH, None, &form).await;
    assert_eq!(login.status, StatusCode::FORBIDDEN);
    assert!(login.body.to_string().contains("signs people in with Example ID only"), "{:?}", login.body);
    let form = format!("email=new%40example.net&password={}&timezone=UTC", urlencode(PASSWORD));
    let sign_up = call_server_fn(&s.app, SignUp::PATH, None, &form).await;
    assert_eq!(sign_up.status, StatusCode::FORBIDDEN);
    assert_eq!(people(&s.database).await, 1);
}
