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
    let team = keytrack_app::server::services::teams::create(&s.database, 1, "racers").await.expect("team");
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
    let tokens = keytrack_app::server::services::accounts::list_tokens(&s.database, 1).await.expect("tokens");
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
    let user = keytrack_app::server::store::users::by_email(&s.database, "ada@example.com").await.expect("query");
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

/// Issue 42: every rule the wire format documents (each "Rule:" in a wire type's docs) has a case
/// in [`rule_cases`], so a rule added without one fails here.
#[test]
fn every_rule_the_wire_format_documents_has_a_case_through_the_route() {
    let documented = documented_rules();
    assert!(documented.len() > 30, "the wire types' rules were found: {documented:?}");
    let covered: std::collections::BTreeSet<&str> = rule_cases().iter().map(|case| case.rule).collect();
    let missing: Vec<&String> = documented.iter().filter(|rule| !covered.contains(rule.as_str())).collect();
    assert!(missing.is_empty(), "documented rules without a case in rule_cases(): {missing:?}");
    let unknown: Vec<&&str> = covered.iter().filter(|rule| !documented.contains(**rule)).collect();
    assert!(unknown.is_empty(), "cases naming no documented rule: {unknown:?}");
}

/// `Type.field` (or `Type` for a rule on a whole type) of every doc comment in `wire/src` that
/// says "Rule:".
fn documented_rules() -> std::collections::BTreeSet<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../wire/src");
    let mut rules = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("wire/src") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("read");
        let (mut doc, mut owner) = (String::new(), None::<String>);
        for line in text.lines().map(str::trim) {
            if let Some(comment) = line.strip_prefix("///") {
                doc.push_str(comment);
                continue;
            }
            if line.starts_with("#[") {
                continue;
            }
            if let Some(rest) = line.strip_prefix("pub struct ") {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if doc.contains("Rule:") {
                    rules.insert(name.clone());
                }
                owner = Some(name);
            } else if let (Some(owner), Some(rest)) = (&owner, line.strip_prefix("pub ")) {
                let field: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if doc.contains("Rule:") && rest[field.len()..].starts_with(':') {
                    rules.insert(format!("{owner}.{field}"));
                }
            }
            if line == "}" {
                owner = None;
            }
            doc.clear();
        }
    }
    rules
}

/// One broken rule: which (`Type.field` as documented), how (a change to a good batch as JSON),
/// and where the refusal must say it is (the start of its message).
struct RuleCase {
    rule: &'static str,
    what: &'static str,
    change: fn(&mut Value),
    at: &'static str,
}

/// The server's clock now, and the starts of a minute and of an hour that are over.
fn recent() -> (i64, i64, i64) {
    let now = keytrack_app::server::now();
    (now, now - now % 60 - 120, now - now % 3_600 - 7_200)
}

/// A good batch in today's format: a minute of totals and a block of detail, with a display, key
/// pairs and an application.
fn good_batch() -> Value {
    let (_, minute, hour) = recent();
    json!({
        "device": {"id": "d1", "name": "d"},
        "format": 2,
        "minutes": [{
            "minute": minute, "utc_offset": 60, "presses": 6,
            "typing": {"typed_keys": 2, "typing_ms": 300, "bursts": 1, "intervals": [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0]},
            "clicks": {"left": 2}, "distance_px": 400, "scroll": {"vertical": 3}, "active_seconds": 12
        }],
        "blocks": [{
            "start": hour, "end": hour + 3_600,
            "keys": {"KeyC": 150, "ControlLeft": 50}, "chords": {"Ctrl+KeyC": 40},
            "screens": [{"width": 1920, "height": 1080, "clicks": [[1, 2, 2]], "moves": [[1, 2, 5], [63, 35, 1]]}],
            "pairs": {"alternations": 120, "inward_rolls": 30, "row_jumps": 30},
            "apps": [{"name": "xterm", "keys": 120, "clicks": 3, "active_seconds": 90}],
            "excluded_seconds": 30
        }]
    })
}

/// A good batch of the first release: no `format`, key detail in the minute record.
fn good_first_release_batch() -> Value {
    let (_, minute, _) = recent();
    json!({
        "device": {"id": "d1", "name": "d"},
        "minutes": [{
            "minute": minute, "utc_offset": 60,
            "keys": {"KeyC": 3, "ControlLeft": 2, "Space": 1}, "chords": {"Ctrl+KeyC": 2},
            "typing": {"typed_keys": 2, "typing_ms": 12, "bursts": 1},
            "clicks": {"left": 2},
            "screen": {"width": 1920, "height": 1080, "clicks": [[1, 2, 2]]},
            "active_seconds": 12
        }]
    })
}

/// Marks a case's batch as the first release's (see [`good_first_release_batch`]).
const FIRST_RELEASE: &str = "first release: ";

fn rule_cases() -> Vec<RuleCase> {
    fn case(rule: &'static str, what: &'static str, at: &'static str, change: fn(&mut Value)) -> RuleCase {
        RuleCase { rule, what, change, at }
    }
    vec![
        case("Device.id", "an id with a space", "device.id", |b| b["device"]["id"] = json!("has space")),
        case("Device.id", "an id of 65 characters", "device.id", |b| b["device"]["id"] = json!("a".repeat(65))),
        case("Device.name", "a name with a control character", "device.name", |b| {
            b["device"]["name"] = json!("bell\u{7}")
        }),
        case("ActivityBatch.format", "format 3", "format", |b| b["format"] = json!(3)),
        case("ActivityBatch.minutes", "a minute twice", "minutes[1].minute", |b| {
            let copy = b["minutes"][0].clone();
            b["minutes"].as_array_mut().expect("minutes").push(copy);
        }),
        case("ActivityBatch.minutes", "no minute and no block", "minutes", |b| {
            b["minutes"] = json!([]);
            b["blocks"] = json!([]);
        }),
        case("ActivityBatch.minutes", "1,441 minutes", "minutes", |b| {
            let first = b["minutes"][0]["minute"].as_i64().expect("minute");
            b["minutes"] = (0..1_441).map(|i| json!({"minute": first - 60 * i})).collect();
        }),
        case("ActivityBatch.blocks", "a block in a format 1 batch", "blocks", |b| b["format"] = json!(1)),
        case("ActivityBatch.blocks", "49 blocks", "blocks", |b| {
            let block = b["blocks"][0].clone();
            b["blocks"] = (0..49)
                .map(|i| {
                    let mut copy = block.clone();
                    copy["start"] = json!(block["start"].as_i64().expect("start") - 3_600 * i);
                    copy["end"] = json!(copy["start"].as_i64().expect("start") + 3_600);
                    copy
                })
                .collect();
        }),
        case("ActivityMinute.minute", "not the start of a minute", "minutes[0].minute: must be the start", |b| {
            b["minutes"][0]["minute"] = json!(b["minutes"][0]["minute"].as_i64().expect("minute") + 1)
        }),
        case("ActivityMinute.minute", "before 2000", "minutes[0].minute: lies before the year 2000", |b| {
            b["minutes"][0]["minute"] = json!(60)
        }),
        case("ActivityMinute.minute", "11 minutes ahead", "minutes[0].minute: lies", |b| {
            b["minutes"][0]["minute"] = json!(recent().0 - recent().0 % 60 + 660)
        }),
        case("ActivityMinute.utc_offset", "UTC+15", "minutes[0].utc_offset", |b| {
            b["minutes"][0]["utc_offset"] = json!(900)
        }),
        case("ActivityMinute.presses", "60,001 presses", "minutes[0].presses", |b| {
            b["minutes"][0]["presses"] = json!(60_001)
        }),
        case("ActivityMinute.presses", "first release: presses beside keys", "minutes[0].presses", |b| {
            b["minutes"][0]["presses"] = json!(6)
        }),
        case("ActivityMinute.keys", "keys in a format 2 minute", "minutes[0].keys", |b| {
            b["minutes"][0]["keys"] = json!({"KeyA": 1})
        }),
        case("ActivityMinute.keys", "first release: an unknown key code", "minutes[0].keys: unknown key code", |b| {
            b["minutes"][0]["keys"]["KeyÄ"] = json!(1)
        }),
        case("ActivityMinute.keys", "first release: 60,001 presses of KeyA", "minutes[0].keys", |b| {
            b["minutes"][0]["keys"]["KeyA"] = json!(60_001)
        }),
        case("ActivityMinute.chords", "chords in a format 2 minute", "minutes[0].chords", |b| {
            b["minutes"][0]["chords"] = json!({"Ctrl+KeyC": 1})
        }),
        case("ActivityMinute.chords", "first release: more chords than key presses", "minutes[0].chords", |b| {
            b["minutes"][0]["chords"]["Ctrl+KeyC"] = json!(4)
        }),
        case("ActivityMinute.screen", "a screen in a format 2 minute", "minutes[0].screen", |b| {
            b["minutes"][0]["screen"] = json!({"width": 1920, "height": 1080})
        }),
        case("ActivityMinute.distance_px", "50,000,001 px", "minutes[0].distance_px", |b| {
            b["minutes"][0]["distance_px"] = json!(50_000_001)
        }),
        case("ActivityMinute.active_seconds", "61 active seconds", "minutes[0].active_seconds", |b| {
            b["minutes"][0]["active_seconds"] = json!(61)
        }),
        case("ScrollCounts", "70,000 notches", "minutes[0].scroll", |b| {
            b["minutes"][0]["scroll"] = json!({"horizontal": 70_000})
        }),
        case("ButtonCounts", "60,001 clicks", "minutes[0].clicks", |b| {
            b["minutes"][0]["clicks"] = json!({"left": 30_000, "other": 30_001})
        }),
        case("TypingStats.typed_keys", "more typed keys than presses", "minutes[0].typing.typed_keys", |b| {
            b["minutes"][0]["typing"]["typed_keys"] = json!(7)
        }),
        case("TypingStats.typing_ms", "over 2 s a typed key", "minutes[0].typing.typing_ms", |b| {
            b["minutes"][0]["typing"]["typing_ms"] = json!(4_001)
        }),
        case("TypingStats.typing_ms", "under 10 ms a typed key", "minutes[0].typing.typing_ms", |b| {
            b["minutes"][0]["typing"]["typing_ms"] = json!(19)
        }),
        case("TypingStats.typing_ms", "62,001 ms of typing in a minute", "minutes[0].typing.typing_ms", |b| {
            let m = &mut b["minutes"][0];
            m["presses"] = json!(40);
            m["typing"] = json!({"typed_keys": 40, "typing_ms": 62_001});
        }),
        // The request of issue 42, as it came: no format (the first release's), no key detail.
        case(
            "TypingStats.typing_ms",
            "first release: 60,000 typed keys in a millisecond",
            "minutes[0].typing.typing_ms",
            |b| {
                let m = &mut b["minutes"][0];
                *m = json!({"minute": m["minute"], "presses": 60_000,
                    "typing": {"typed_keys": 60_000, "typing_ms": 1}, "active_seconds": 60});
            },
        ),
        case(
            "TypingStats.typing_ms",
            "first release: 60,000 presses of KeyA typed in a millisecond",
            "minutes[0].typing.typing_ms",
            |b| {
                let m = &mut b["minutes"][0];
                *m = json!({"minute": m["minute"], "keys": {"KeyA": 60_000},
                    "typing": {"typed_keys": 60_000, "typing_ms": 1}, "active_seconds": 60});
            },
        ),
        case("TypingStats.bursts", "more bursts than typed keys", "minutes[0].typing.bursts", |b| {
            b["minutes"][0]["typing"]["bursts"] = json!(3)
        }),
        case("TypingStats.intervals", "gap counts that add up to 3", "minutes[0].typing.intervals", |b| {
            b["minutes"][0]["typing"]["intervals"][0] = json!(1)
        }),
        case("TypingStats.intervals", "two gap counts", "minutes[0].typing.intervals", |b| {
            b["minutes"][0]["typing"]["intervals"] = json!([1, 1])
        }),
        case("Burst.typed_keys", "a best burst of 1 key", "minutes[0].typing.best_burst.typed_keys", |b| {
            b["minutes"][0]["typing"]["best_burst"] = json!({"typed_keys": 1, "typing_ms": 100})
        }),
        case("Burst.typed_keys", "a best burst of 1,000,001 keys", "minutes[0].typing.best_burst.typed_keys", |b| {
            b["minutes"][0]["typing"]["best_burst"] = json!({"typed_keys": 1_000_001, "typing_ms": 20_000_000})
        }),
        case("Burst.typing_ms", "a best burst of 20 keys in 1 ms", "minutes[0].typing.best_burst.typing_ms", |b| {
            b["minutes"][0]["typing"]["best_burst"] = json!({"typed_keys": 20, "typing_ms": 1})
        }),
        case("HourBlock.start", "not a whole hour", "blocks[0].start", |b| {
            b["blocks"][0]["start"] = json!(b["blocks"][0]["start"].as_i64().expect("start") + 60)
        }),
        case("HourBlock.start", "before 2000", "blocks[0].start: lies before the year 2000", |b| {
            b["blocks"][0]["start"] = json!(0);
            b["blocks"][0]["end"] = json!(3_600);
        }),
        case("HourBlock.start", "a start twice", "blocks[1].start", |b| {
            // The same start, a longer block.
            let mut longer = b["blocks"][0].clone();
            longer["end"] = json!(longer["end"].as_i64().expect("end") - 3_600);
            longer["start"] = json!(longer["start"].as_i64().expect("start") - 3_600);
            b["blocks"][0]["start"] = longer["start"].clone();
            b["blocks"].as_array_mut().expect("blocks").push(longer);
        }),
        case("HourBlock.end", "an end before its start", "blocks[0].end", |b| {
            b["blocks"][0]["end"] = b["blocks"][0]["start"].clone()
        }),
        case("HourBlock.end", "an hour not over yet", "blocks[0].end: lies in the future", |b| {
            // The next hour, not the current one: in the current hour's last 10 minutes its end
            // lies within the clock drift the server allows, and the case would pass by the clock.
            let now = recent().0;
            let next_hour = now - now % 3_600 + 3_600;
            b["blocks"][0]["start"] = json!(next_hour);
            b["blocks"][0]["end"] = json!(next_hour + 3_600);
        }),
        case("HourBlock.keys", "199 presses", "blocks[0].keys: 199 key presses", |b| {
            b["blocks"][0]["keys"]["KeyC"] = json!(149)
        }),
        case("HourBlock.keys", "an unknown key code", "blocks[0].keys: unknown key code", |b| {
            b["blocks"][0]["keys"]["KeyÄ"] = json!(1)
        }),
        case("HourBlock.keys", "3,600,001 presses in an hour", "blocks[0].keys", |b| {
            b["blocks"][0]["keys"]["KeyA"] = json!(3_600_001 - 200)
        }),
        case(
            "HourBlock.chords",
            "chords beyond their key's presses",
            "blocks[0].chords: 151 chords end in KeyC",
            |b| b["blocks"][0]["chords"]["Ctrl+Shift+KeyC"] = json!(111),
        ),
        case("HourBlock.chords", "modifiers out of order", "blocks[0].chords: \"Shift+Ctrl+KeyC\"", |b| {
            b["blocks"][0]["chords"]["Shift+Ctrl+KeyC"] = json!(1)
        }),
        case("HourBlock.chords", "Shift alone is no chord", "blocks[0].chords: \"Shift+KeyC\"", |b| {
            b["blocks"][0]["chords"]["Shift+KeyC"] = json!(1)
        }),
        case("HourBlock.screens", "a display twice", "blocks[0].screens[1]", |b| {
            let copy = b["blocks"][0]["screens"][0].clone();
            b["blocks"][0]["screens"].as_array_mut().expect("screens").push(copy);
        }),
        case("HourBlock.screens", "17 displays", "blocks[0].screens: at most 16", |b| {
            b["blocks"][0]["screens"] = (0..17).map(|i| json!({"width": 100 + i, "height": 100})).collect();
        }),
        case("ScreenActivity.width", "a display 0 px wide", "blocks[0].screens[0]: width and height", |b| {
            b["blocks"][0]["screens"][0]["width"] = json!(0)
        }),
        case("ScreenActivity.width", "a display 100,001 px high", "blocks[0].screens[0]: width and height", |b| {
            b["blocks"][0]["screens"][0]["height"] = json!(100_001)
        }),
        case("ScreenActivity.x", "x without a desktop", "blocks[0].screens[0]: x and y need", |b| {
            b["blocks"][0]["screens"][0]["x"] = json!(10)
        }),
        case(
            "ScreenActivity.x",
            "a display off its desktop",
            "blocks[0].screens[0]: a 1920x1080 display at (1921, 0)",
            |b| {
                let s = &mut b["blocks"][0]["screens"][0];
                s["x"] = json!(1921);
                s["desktop_width"] = json!(3840);
                s["desktop_height"] = json!(1080);
            },
        ),
        case("ScreenActivity.y", "y without a desktop", "blocks[0].screens[0]: x and y need", |b| {
            b["blocks"][0]["screens"][0]["y"] = json!(10)
        }),
        case(
            "ScreenActivity.desktop_width",
            "a desktop width alone",
            "blocks[0].screens[0]: desktop_width and desktop_height go together",
            |b| b["blocks"][0]["screens"][0]["desktop_width"] = json!(3840),
        ),
        case(
            "ScreenActivity.desktop_width",
            "a desktop 100,001 px wide",
            "blocks[0].screens[0]: the desktop's size",
            |b| {
                let s = &mut b["blocks"][0]["screens"][0];
                s["desktop_width"] = json!(100_001);
                s["desktop_height"] = json!(1080);
            },
        ),
        case(
            "ScreenActivity.clicks",
            "a click cell twice",
            "blocks[0].screens[0].clicks: cell [1, 2] appears twice",
            |b| b["blocks"][0]["screens"][0]["clicks"] = json!([[1, 2, 1], [1, 2, 1]]),
        ),
        case(
            "ScreenActivity.clicks",
            "a click cell off the grid",
            "blocks[0].screens[0].clicks: cell [64, 0] lies off",
            |b| b["blocks"][0]["screens"][0]["clicks"] = json!([[64, 0, 1]]),
        ),
        case("ScreenActivity.clicks", "3,600,001 clicks in an hour", "blocks[0].screens[0].clicks", |b| {
            b["blocks"][0]["screens"][0]["clicks"] = json!([[0, 0, 3_600_001]])
        }),
        case(
            "ScreenActivity.clicks",
            "first release: more binned clicks than clicks",
            "minutes[0].screen.clicks",
            |b| b["minutes"][0]["screen"]["clicks"] = json!([[1, 2, 3]]),
        ),
        case(
            "ScreenActivity.moves",
            "a move cell twice",
            "blocks[0].screens[0].moves: cell [1, 2] appears twice",
            |b| b["blocks"][0]["screens"][0]["moves"] = json!([[1, 2, 1], [1, 2, 1]]),
        ),
        case(
            "ScreenActivity.moves",
            "4,294,967,295 positions in an hour",
            "blocks[0].screens[0].moves: 4294967295 pointer positions",
            |b| b["blocks"][0]["screens"][0]["moves"] = json!([[0, 0, u32::MAX]]),
        ),
        case("HourBlock.pairs", "more pairs than presses", "blocks[0].pairs: 230 key pairs from 200 presses", |b| {
            b["blocks"][0]["pairs"]["alternations"] = json!(200)
        }),
        case("PairCounts", "repeats beyond the presses", "blocks[0].pairs: 351 key pairs", |b| {
            b["blocks"][0]["pairs"]["repeats"] = json!(201)
        }),
        case("PairCounts.row_jumps", "more row jumps than same-hand pairs", "blocks[0].pairs.row_jumps", |b| {
            b["blocks"][0]["pairs"]["row_jumps"] = json!(31)
        }),
        case("HourBlock.apps", "an application twice", "blocks[0].apps[1].name: \"xterm\" appears twice", |b| {
            let copy = json!({"name": "xterm"});
            b["blocks"][0]["apps"].as_array_mut().expect("apps").push(copy);
        }),
        case("HourBlock.apps", "257 applications", "blocks[0].apps: at most 256", |b| {
            b["blocks"][0]["apps"] = (0..257).map(|i| json!({"name": format!("app{i:03}")})).collect();
        }),
        case("AppUsage.name", "a window title for a name", "blocks[0].apps[0].name: \"Firefox\"", |b| {
            b["blocks"][0]["apps"][0]["name"] = json!("Firefox")
        }),
        case(
            "AppUsage.keys",
            "more presses in applications than in the block",
            "blocks[0].apps: 201 key presses in applications",
            |b| b["blocks"][0]["apps"][0]["keys"] = json!(201),
        ),
        case("AppUsage.clicks", "3,600,001 clicks in an hour", "blocks[0].apps[0].clicks", |b| {
            b["blocks"][0]["apps"][0]["clicks"] = json!(3_600_001)
        }),
        case("AppUsage.active_seconds", "3,601 s in an hour", "blocks[0].apps[0].active_seconds", |b| {
            b["blocks"][0]["apps"][0]["active_seconds"] = json!(3_601)
        }),
        case("HourBlock.excluded_seconds", "3,601 s excluded in an hour", "blocks[0].excluded_seconds", |b| {
            b["blocks"][0]["excluded_seconds"] = json!(3_601)
        }),
    ]
}

/// Rows an upload would have written, on either engine.
async fn stored_rows(database: &keytrack_app::server::store::Database) -> Vec<(&'static str, i64)> {
    let mut rows = Vec::new();
    for table in ["devices", "activity_hours", "activity_blocks", "activity_days", "activity_day_screens"] {
        rows.push((table, number(database, &format!("SELECT COUNT(*) FROM {table}")).await));
    }
    rows
}

/// Issue 42: each documented rule, broken once in a batch that also holds good records, is
/// refused by `POST /api/v1/activity` with 422 naming the field, and the whole batch is stored
/// nowhere. Then the good batches themselves are stored (the refusals were the rules' doing).
#[tokio::test]
async fn every_rule_is_refused_by_the_upload_route_and_nothing_is_stored() {
    let s = server().await;
    let token = accounts_user(&s, "ada@example.com").await;
    let nothing: Vec<(&str, i64)> = stored_rows(&s.database).await;
    assert!(nothing.iter().all(|(_, n)| *n == 0));
    for case in rule_cases() {
        let mut batch = if case.what.starts_with(FIRST_RELEASE) { good_first_release_batch() } else { good_batch() };
        (case.change)(&mut batch);
        let body = serde_json::to_vec(&batch).expect("encode");
        let reply = call(&s.app, "POST", "/api/v1/activity", Some(&bearer(&token)), Some(body)).await;
        let label = format!("{} ({})", case.rule, case.what);
        assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{label}: {}", reply.body);
        assert_eq!(reply.body["code"], "invalid_activity", "{label}: {}", reply.body);
        let message = reply.body["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(case.at), "{label}: expected {:?}, got {message:?}", case.at);
        assert_eq!(stored_rows(&s.database).await, nothing, "{label}: nothing stored");
    }
    for good in [good_batch(), good_first_release_batch()] {
        let reply = call(
            &s.app,
            "POST",
            "/api/v1/activity",
            Some(&bearer(&token)),
            Some(serde_json::to_vec(&good).expect("encode")),
        )
        .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
    let stored = stored_rows(&s.database).await;
    assert!(stored.iter().all(|(_, n)| *n > 0), "the good batches were stored: {stored:?}");
}
