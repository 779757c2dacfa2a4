//! What testing as an attacker found, each through the real router (timeouts and connection caps,
//! which need a real socket, are in `cli.rs` against the real binary).

mod common;

use axum::body::Body;
use common::*;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use keytrack_app::api::teams::TeamPage;
use keytrack_app::api::{CreateToken, LogIn, SaveProfile, SignUp};
use keytrack_wire::{ActivityBatch, Device, GridCount, ScreenActivity};
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use tower::ServiceExt;

/// A raw request through the router: (status, headers, body text).
async fn raw(s: &TestServer, request: Request<Body>) -> (StatusCode, http::HeaderMap, String) {
    let response = s.app.clone().oneshot(request).await.expect("an answer, not a dropped connection");
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    (status, headers, String::from_utf8_lossy(&bytes).into_owned())
}

fn form_post(path: &str) -> http::request::Builder {
    Request::builder()
        .method("POST")
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::ORIGIN, format!("http://{HOST}"))
}

/// 1. `next` holding a control character once panicked in the redirect (the connection dropped,
/// the sign-up stored anyway); a tab made an open redirect (`/\t/evil.example` is `//evil...`).
#[tokio::test]
async fn a_hostile_next_is_answered_and_never_leaves_the_site() {
    let s = server().await;
    accounts_user(&s, "ada@example.com").await;
    for (i, next) in ["/%0A", "/%0D", "/%00", "/%7F", "/%09/evil.example", "%2F%2Fevil.example", "/%5Cevil.example"]
        .into_iter()
        .enumerate()
    {
        let email = format!("user{i}%40example.com");
        for (path, form) in [
            (SignUp::PATH, format!("email={email}&password=correct+horse+battery&timezone=UTC&next={next}")),
            (LogIn::PATH, format!("email=ada%40example.com&password=correct+horse+battery&next={next}")),
        ] {
            let request = form_post(path).body(Body::from(form)).expect("request");
            let (status, headers, body) = raw(&s, request).await;
            assert!(status.is_success() || status.is_redirection(), "{path} next={next}: {status} {body}");
            let location = headers.get(header::LOCATION).and_then(|l| l.to_str().ok());
            assert_eq!(location, Some("/"), "{path} next={next}: only this site's dashboard");
        }
    }
}

async fn accounts_user(s: &TestServer, email: &str) -> String {
    user_with_token(&s.database, email).await.1
}

/// A change that makes a batch claim what nobody can do.
type Forgery = Box<dyn Fn(&mut ActivityBatch)>;

/// 2 and 3. Figures nobody can make are refused; the rest cannot win a leaderboard.
#[tokio::test]
async fn forged_figures_are_refused_or_count_as_a_person_could_have_made_them() {
    let s = server().await;
    let token = accounts_user(&s, "ada@example.com").await;
    let good =
        || ActivityBatch::new(Device { id: "d".into(), name: String::new() }, vec![minute(MONDAY_9H, 100)], vec![]);
    let forged: Vec<(&str, Forgery, &str)> = vec![
        (
            "60,000 typed keys in a millisecond",
            Box::new(|b| {
                b.minutes[0].presses = 60_000;
                b.minutes[0].typing.typed_keys = 60_000;
                b.minutes[0].typing.typing_ms = 1;
            }),
            "minutes[0].typing.typing_ms",
        ),
        (
            "a best burst of u32::MAX keys",
            Box::new(|b| {
                b.minutes[0].typing = keytrack_wire::TypingStats {
                    typed_keys: 20,
                    typing_ms: 2_000,
                    best_burst: Some(keytrack_wire::Burst { typed_keys: u32::MAX, typing_ms: 1 }),
                    ..Default::default()
                }
            }),
            "minutes[0].typing.best_burst.typed_keys",
        ),
        (
            "a 1-key best burst",
            Box::new(|b| {
                b.minutes[0].typing = keytrack_wire::TypingStats {
                    typed_keys: 20,
                    typing_ms: 2_000,
                    best_burst: Some(keytrack_wire::Burst { typed_keys: 1, typing_ms: 100 }),
                    ..Default::default()
                }
            }),
            "minutes[0].typing.best_burst.typed_keys",
        ),
        (
            "more bursts than typed keys",
            Box::new(|b| {
                b.minutes[0].typing =
                    keytrack_wire::TypingStats { typed_keys: 2, typing_ms: 300, bursts: 9, ..Default::default() }
            }),
            "minutes[0].typing.bursts",
        ),
        (
            "a move cell of u32::MAX",
            Box::new(|b| {
                let mut hour = block(MONDAY_9H, &[("KeyA", 200)]);
                hour.screens = vec![ScreenActivity {
                    width: 10,
                    height: 10,
                    clicks: vec![],
                    moves: vec![GridCount(0, 0, u32::MAX)],
                    ..Default::default()
                }];
                b.blocks.push(hour);
            }),
            "blocks[0].screens[0].moves",
        ),
        ("utc_offset -32768", Box::new(|b| b.minutes[0].utc_offset = i16::MIN), "minutes[0].utc_offset"),
    ];
    for (name, forge, field) in forged {
        let mut batch = good();
        forge(&mut batch);
        let reply = post_batch(&s.app, &token, &batch).await;
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}: {}", reply.body);
        assert!(reply.body["message"].as_str().unwrap_or_default().starts_with(field), "{name}: {}", reply.body);
    }
    // What passes the rules but no person does (1,200 WPM in every minute of an hour, 60,000
    // presses a minute) counts on team views as a person at their fastest.
    let team = keytrack_app::server::teams::create(&s.database, 1, "racers").await.expect("team");
    let minutes = (0..60)
        .map(|m| {
            let mut record = minute(MONDAY_9H + 60 * m, 60_000);
            record.typing.typed_keys = 6_000;
            record.typing.typing_ms = 60_000;
            record
        })
        .collect();
    let batch = ActivityBatch::new(Device { id: "macro".into(), name: String::new() }, minutes, vec![]);
    assert_eq!(post_batch(&s.app, &token, &batch).await.status, StatusCode::OK);
    let uri = format!("/api/v1/teams/{team}/stats?from=2025-03-10&to=2025-03-10");
    let view = call(&s.app, "GET", &uri, Some(&bearer(&token)), None).await.body;
    let me = &view["member_figures"][0];
    assert_eq!(me["total_keys"], 60 * 1_500, "{view}");
    assert_eq!(me["wpm"], 300.0);
}

/// 5. Requests that change something must come from this site or carry a token; pages and API
/// answers carry the security headers.
#[tokio::test]
async fn other_sites_cannot_act_with_the_session_and_pages_cannot_be_framed() {
    let s = server().await;
    let signed_up = sign_up_in_browser(&s.app, "ada@example.com").await;
    let cookie = session_cookie(&signed_up);
    let from = |origin: Option<&str>, path: &str, form: &str| {
        let mut request = Request::builder()
            .method("POST")
            .uri(path)
            .header(header::HOST, HOST)
            .header(header::COOKIE, cookie.clone())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json");
        if let Some(origin) = origin {
            request = request.header(header::ORIGIN, origin);
        }
        request.body(Body::from(form.to_string())).expect("request")
    };
    for (path, form) in [
        (CreateToken::PATH, "name=stolen"),
        (SaveProfile::PATH, "display_name=x&timezone=UTC&day_start_hour=0&keyboard_layout=us"),
        (LogIn::PATH, "email=ada%40example.com&password=correct+horse+battery"),
        (SignUp::PATH, "email=eve%40example.com&password=correct+horse+battery&timezone=UTC"),
    ] {
        for origin in [Some("http://evil.example"), Some("null"), None] {
            let (status, _, body) = raw(&s, from(origin, path, form)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path} from {origin:?}: {body}");
            let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
            assert_eq!(body["code"], "cross_site", "{path}");
        }
    }
    let (status, _, _) = raw(&s, from(Some(&format!("http://{HOST}")), CreateToken::PATH, "name=mine")).await;
    assert_eq!(status, StatusCode::OK, "from this site it works");
    let tokens = keytrack_app::server::accounts::list_tokens(&s.database, 1).await.expect("tokens");
    assert_eq!(tokens.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["mine"], "nothing was made from elsewhere");

    // The JSON API with the session: JSON from this site only; a text/plain form post (what
    // another site's page can send without asking) is refused.
    let batch = serde_json::to_string(&ActivityBatch::new(
        Device { id: "d".into(), name: String::new() },
        vec![minute(MONDAY_9H, 5)],
        vec![],
    ))
    .expect("json");
    let upload = |content_type: &str, origin: &str| {
        Request::builder()
            .method("POST")
            .uri("/api/v1/activity")
            .header(header::HOST, HOST)
            .header(header::COOKIE, cookie.clone())
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(batch.clone()))
            .expect("request")
    };
    let (status, _, body) = raw(&s, upload("text/plain", &format!("http://{HOST}"))).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{body}");
    assert!(body.contains("unsupported_media_type"));
    let (status, _, _) = raw(&s, upload("application/json", "http://evil.example")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, body) = raw(&s, upload("application/json", &format!("http://{HOST}"))).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Headers: on a page, a CSP whose nonce is the one of the page's scripts.
    let page = Request::builder().uri("/login").header(header::HOST, HOST).body(Body::empty()).expect("request");
    let (status, headers, html) = raw(&s, page).await;
    assert_eq!(status, StatusCode::OK);
    let policy = headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let nonce = policy.split("'nonce-").nth(1).and_then(|n| n.split('\'').next()).expect("a nonce in the policy");
    assert!(policy.contains("frame-ancestors 'none'") && policy.contains("object-src 'none'"), "{policy}");
    assert!(html.contains(&format!("nonce=\"{nonce}\"")), "the page's scripts carry the policy's nonce");
    for (name, value) in
        [("x-frame-options", "DENY"), ("x-content-type-options", "nosniff"), ("referrer-policy", "same-origin")]
    {
        assert_eq!(headers.get(name).and_then(|v| v.to_str().ok()), Some(value), "{name}");
    }
    let api = call(&s.app, "GET", "/healthz", None, None).await;
    let policy = api.headers.get(header::CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(policy.starts_with("default-src 'none'"), "{policy}");
    assert_eq!(api.headers.get("x-frame-options").and_then(|v| v.to_str().ok()), Some("DENY"));
}

/// 7. Server functions' malformed arguments are the client's mistake: 400, with or without a
/// session, never a 500.
#[tokio::test]
async fn malformed_server_function_arguments_answer_400() {
    let s = server().await;
    let cookie = session_cookie(&sign_up_in_browser(&s.app, "ada@example.com").await);
    let cases = [
        (TeamPage::PATH, "team_id=abc", "application/x-www-form-urlencoded"),
        (TeamPage::PATH, "", "application/x-www-form-urlencoded"),
        (TeamPage::PATH, "team_id=1&team_id=2", "application/x-www-form-urlencoded"),
        (TeamPage::PATH, "{\"team_id\": \"x\"}", "application/json"),
        (
            SaveProfile::PATH,
            "display_name=x&timezone=UTC&day_start_hour=300&keyboard_layout=us",
            "application/x-www-form-urlencoded",
        ),
        (
            SaveProfile::PATH,
            "display_name=x&timezone=UTC&day_start_hour=abc&keyboard_layout=us",
            "application/x-www-form-urlencoded",
        ),
    ];
    for with_session in [false, true] {
        for (path, body, content_type) in cases {
            let mut request = form_post(path);
            request.headers_mut().map(|h| h.insert(header::CONTENT_TYPE, http::HeaderValue::from_static(content_type)));
            if with_session {
                request = request.header(header::COOKIE, cookie.clone());
            }
            let (status, _, text) = raw(&s, request.body(Body::from(body)).expect("request")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body:?} (session: {with_session}): {text}");
            assert!(text.contains("malformed"), "{path}: {text}");
        }
    }
}

/// 8. Errors are classified by what went wrong: not JSON (however deep) 400, JSON of the wrong
/// shape 422.
#[tokio::test]
async fn errors_say_whether_it_was_not_json_or_the_wrong_json() {
    let s = server().await;
    let token = accounts_user(&s, "ada@example.com").await;
    let auth = bearer(&token);
    let post = |body: Vec<u8>| call(&s.app, "POST", "/api/v1/activity", Some(&auth), Some(body));
    let deep = post(vec![b'['; 100_000]).await;
    assert_eq!(
        (deep.status, deep.body["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_json")),
        "{}",
        deep.body
    );
    let mut batch = serde_json::to_value(ActivityBatch::new(
        Device { id: "d".into(), name: String::new() },
        vec![],
        vec![block(MONDAY_9H, &[("KeyA", 200)])],
    ))
    .expect("json");
    batch["blocks"][0]["screens"] = json!([{"width": 10, "height": 10, "clicks": [[1, 1, 1, 1]]}]);
    let cell = post(serde_json::to_vec(&batch).expect("json")).await;
    assert_eq!(cell.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", cell.body);
    assert!(
        cell.body["message"].as_str().unwrap_or_default().starts_with("blocks[0].screens[0].clicks[0]"),
        "{}",
        cell.body
    );
}

/// 10. Guessable passwords and malformed emails are refused; a full-width address is the same
/// address; sign-ups are limited per address.
#[tokio::test]
async fn accounts_refuse_guessable_passwords_and_normalise_emails() {
    let s = server().await;
    let sign_up = |email: &str, password: &str| {
        let form = format!("email={}&password={}&timezone=UTC", urlencode(email), urlencode(password));
        let app = s.app.clone();
        async move { call_server_fn(&app, SignUp::PATH, None, &form).await }
    };
    for weak in ["1234567890", "password12", "qwertyuiop", "aaaaaaaaaaaa"] {
        let reply = sign_up("ada@example.com", weak).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{weak}");
        assert!(reply.body.to_string().contains("too easy to guess"), "{weak}: {}", reply.body);
    }
    for bad in ["ada\u{0}@example.com", "ada@exa mple.com", "ada@@example.com", "ada\u{85}@example.com"] {
        assert_eq!(sign_up(bad, "correct horse battery").await.status, StatusCode::BAD_REQUEST, "{bad:?}");
    }
    let made = sign_up("ａｄａ＠Example.com", "correct horse battery").await;
    assert!(made.status.is_success() || made.status.is_redirection(), "{}", made.body);
    let user = keytrack_app::server::db::users::by_email(&s.database, "ada@example.com").await.expect("query");
    assert!(user.is_some(), "stored as ada@example.com");
    let again = sign_up("ada@EXAMPLE.com", "correct horse battery").await;
    assert_eq!(again.status, StatusCode::CONFLICT, "the same address: {}", again.body);
    let login =
        call_server_fn(&s.app, LogIn::PATH, None, "email=%EF%BD%81da%40example.com&password=correct+horse+battery")
            .await;
    assert!(login.status.is_success() || login.status.is_redirection(), "{}", login.body);

    // 50 sign-up attempts an hour per address, then 429 (counted before anything else).
    let mut limited = None;
    for i in 0..60 {
        let reply = sign_up(&format!("x{i}@example.com"), "short").await;
        if reply.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(i);
            break;
        }
    }
    // Ten attempts above came from the same (unknown) address.
    assert_eq!(limited, Some(50 - 10), "the 51st attempt of the hour is refused");
}
