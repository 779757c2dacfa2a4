//! The live view through the real router and a real SQLite file: a dashboard's stream hears its
//! own user's uploads and nobody else's; an agent's question is answered as soon as someone
//! watches; a team stream speaks only when what a reload of the team page shows has changed, so
//! it never reveals a private member; limits and errors are JSON.

mod common;

use std::time::Duration;

use axum::Router;
use axum::body::Body;
use common::*;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use keytrack_app::server::store;
use keytrack_wire::live::{Arrival, LiveHello, TeamChange, Watching};
use keytrack_wire::{ActivityBatch, Device, TeamRole};
use tower::ServiceExt;

/// An open event stream, read event by event.
struct Events {
    body: Body,
    buffer: String,
    /// Everything received, to search for what must never be there.
    pub seen: String,
}

impl Events {
    async fn open(app: &Router, path: &str, auth: &str) -> Events {
        let request = Request::builder()
            .uri(path)
            .header(header::HOST, HOST)
            .header(header::AUTHORIZATION, auth)
            .body(Body::empty())
            .expect("request");
        let response = app.clone().oneshot(request).await.expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CONTENT_TYPE], "text/event-stream");
        Events { body: response.into_body(), buffer: String::new(), seen: String::new() }
    }

    /// The next event (name, data), skipping keep-alive comments; `None` if nothing comes within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<(String, String)> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let raw: String = self.buffer.drain(..end + 2).collect();
                let mut name = String::from("message");
                let mut data = String::new();
                for line in raw.lines() {
                    if let Some(value) = line.strip_prefix("event:") {
                        name = value.trim().to_string();
                    } else if let Some(value) = line.strip_prefix("data:") {
                        data.push_str(value.trim_start());
                    }
                }
                if raw.lines().all(|line| line.starts_with(':') || line.starts_with("retry:") || line.is_empty())
                    && data.is_empty()
                {
                    continue;
                }
                return Some((name, data));
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame()).await.ok()??.ok()?;
            if let Ok(bytes) = frame.into_data() {
                let text = String::from_utf8_lossy(&bytes).to_string();
                self.seen.push_str(&text);
                self.buffer.push_str(&text);
            }
        }
    }

    async fn expect(&mut self, name: &str) -> String {
        let (got, data) = self.next(Duration::from_secs(10)).await.unwrap_or_else(|| panic!("no {name} event"));
        assert_eq!(got, name, "{data}");
        data
    }
}

fn this_minute() -> i64 {
    let now = keytrack_app::server::now();
    now - now.rem_euclid(60)
}

async fn upload(app: &Router, token: &str, device: &str, presses: u32) {
    let batch = ActivityBatch::new(
        Device { id: device.into(), name: device.into() },
        vec![minute(this_minute(), presses)],
        vec![],
    );
    let reply = post_batch(app, token, &batch).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

#[tokio::test]
async fn a_dashboards_stream_hears_its_own_uploads_and_nothing_of_anyone_else() {
    let s = server().await;
    let (alice, alice_token) = user_with_token(&s.database, "alice@example.com").await;
    let (_, bob_token) = user_with_token(&s.database, "bob@example.com").await;
    let alice_token_id = store::tokens::list(&s.database, alice).await.expect("tokens")[0].id;

    let mut stream = Events::open(&s.app, "/api/v1/live", &bearer(&alice_token)).await;
    let hello: LiveHello = serde_json::from_str(&stream.expect("hello").await).expect("hello");
    assert_eq!(hello.today.len(), 10, "a day: {}", hello.today);
    assert_eq!(hello.last, None, "nothing uploaded yet");

    upload(&s.app, &bob_token, "bobs-secret-workstation", 40).await;
    upload(&s.app, &alice_token, "alices-laptop", 20).await;
    let arrival: Arrival = serde_json::from_str(&stream.expect("arrival").await).expect("arrival");
    assert_eq!(arrival.device, "alices-laptop");
    assert_eq!(arrival.token_id, Some(alice_token_id), "the tokens page confirms pairing with it");
    assert_eq!(arrival.blocks, 0);
    assert_eq!(stream.next(Duration::from_millis(300)).await, None, "Bob's upload is not Alice's news");
    assert!(!stream.seen.contains("bob"), "not a byte of Bob's: {}", stream.seen);

    // A page opened later starts from the last upload.
    let mut later = Events::open(&s.app, "/api/v1/live", &bearer(&alice_token)).await;
    let hello: LiveHello = serde_json::from_str(&later.expect("hello").await).expect("hello");
    assert_eq!(hello.last.map(|last| last.device), Some("alices-laptop".to_string()));
}

#[tokio::test]
async fn an_agent_hears_at_once_when_a_dashboard_starts_watching() {
    let s = server().await;
    let (_, token) = user_with_token(&s.database, "carol@example.com").await;
    let ask = |wait: &str| {
        let (app, token) = (s.app.clone(), token.clone());
        let uri = format!("/api/v1/live/watching?wait={wait}");
        async move { call(&app, "GET", &uri, Some(&bearer(&token)), None).await }
    };
    let reply = ask("0").await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let answer: Watching = serde_json::from_value(reply.body).expect("answer");
    assert_eq!(answer, Watching { watching: false, live_secs: 0 });

    // The agent's question is held while nobody watches, and answered when a page opens.
    let waiting = tokio::spawn(ask("25"));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!waiting.is_finished(), "held while nobody watches");
    let started = std::time::Instant::now();
    let mut stream = Events::open(&s.app, "/api/v1/live", &bearer(&token)).await;
    stream.expect("hello").await;
    let answer: Watching = serde_json::from_value(waiting.await.expect("joins").body).expect("answer");
    assert!(answer.watching && answer.live_secs > 0, "{answer:?}");
    assert!(started.elapsed() < Duration::from_secs(20), "answered on the watcher, not the timeout");
    let answer: Watching = serde_json::from_value(ask("25").await.body).expect("answer");
    assert!(answer.watching, "answered at once while watched");

    // Once the page is closed, nobody watches.
    drop(stream);
    let answer: Watching = serde_json::from_value(ask("0").await.body).expect("answer");
    assert!(!answer.watching);

    for bad in ["26", "-1", "soon"] {
        let reply = ask(bad).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "wait={bad}");
        assert_eq!(reply.body["code"], "bad_request");
    }
}

#[tokio::test]
async fn streams_need_a_login_and_are_limited_per_user() {
    let s = server().await;
    let (_, token) = user_with_token(&s.database, "dave@example.com").await;
    for path in ["/api/v1/live", "/api/v1/live/watching", "/api/v1/teams/1/live"] {
        let reply = call(&s.app, "GET", path, None, None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(reply.body["code"], "unauthorized");
        let reply = call(&s.app, "GET", path, Some("Bearer kt_unknown"), None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    let reply = call(&s.app, "GET", "/api/v1/teams/999/live", Some(&bearer(&token)), None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "not a member");
    assert_eq!(reply.body["code"], "not_found");

    let mut open = Vec::new();
    for _ in 0..keytrack_app::server::services::live::MAX_STREAMS_PER_USER {
        open.push(Events::open(&s.app, "/api/v1/live", &bearer(&token)).await);
    }
    let reply = call(&s.app, "GET", "/api/v1/live", Some(&bearer(&token)), None).await;
    assert_eq!(reply.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(reply.body["code"], "too_many_streams", "{}", reply.body);
    open.pop();
    let mut again = Events::open(&s.app, "/api/v1/live", &bearer(&token)).await;
    again.expect("hello").await;
}

#[tokio::test]
async fn a_team_stream_speaks_only_when_a_reload_would_show_something_new() {
    let s = server().await;
    let mut people = Vec::new();
    for name in ["viewer", "ann", "ben", "private"] {
        let (id, token) = user_with_token(&s.database, &format!("{name}@example.com")).await;
        people.push((id, token));
    }
    let mut tx = s.database.begin_write().await.expect("tx");
    let team = store::teams::insert(&mut tx, "Live team", 0).await.expect("team");
    for (i, (id, _)) in people.iter().enumerate() {
        let role = if i == 0 { TeamRole::Owner } else { TeamRole::Member };
        // The last one keeps their figures private.
        store::teams::add_member(&mut tx, team, *id, role.key(), i != 3, 0).await.expect("member");
    }
    tx.commit().await.expect("commit");
    let viewer = &people[0].1;
    let today = |app: Router, token: String| async move {
        call(&app, "GET", &format!("/api/v1/teams/{team}/stats?range=today"), Some(&bearer(&token)), None).await.body
    };

    let mut stream = Events::open(&s.app, &format!("/api/v1/teams/{team}/live"), &bearer(viewer)).await;
    stream.expect("hello").await;
    let before = today(s.app.clone(), viewer.clone()).await;

    // The private member types alone: the team page shows nothing of it, so the stream says nothing.
    upload(&s.app, &people[3].1, "private-pc", 50).await;
    assert_eq!(stream.next(Duration::from_millis(1500)).await, None, "a private member alone is never news");
    assert_eq!(today(s.app.clone(), viewer.clone()).await, before, "and a reload shows the same");
    assert!(!stream.seen.contains("private"));

    // A sharing member types: their own figures appear on a reload, and the stream says so.
    upload(&s.app, &people[1].1, "ann-pc", 30).await;
    let change: TeamChange = serde_json::from_str(&stream.expect("team-changed").await).expect("change");
    assert!(change.at > 0);
    let after = today(s.app.clone(), viewer.clone()).await;
    assert_ne!(after, before, "what the stream announced, a reload shows");
    assert!(!stream.seen.contains("ann-pc"), "the stream names no device or figure: {}", stream.seen);

    // The private member types again: the reload is unchanged, and the stream stays silent.
    upload(&s.app, &people[3].1, "private-pc", 80).await;
    assert_eq!(stream.next(Duration::from_millis(1500)).await, None);
    assert_eq!(today(s.app.clone(), viewer.clone()).await, after);
}

#[tokio::test]
async fn the_demo_keyboard_types_through_the_upload_path() {
    let s = server().await;
    let summary = keytrack_app::admin::demo::create_demo(
        &keytrack_app::server::store::Store::on(s.database.clone()),
        keytrack_app::server::now(),
        1,
    )
    .await
    .expect("demo");
    let options = leptos::config::LeptosOptions::builder().output_name("keytrack").site_root("target/site").build();
    let state = keytrack_app::server::web::state::AppState::new(
        keytrack_app::server::store::Store::on(s.database.clone()),
        options,
    )
    .await;
    let mut stream = state.live.open(summary.user_id, &[summary.user_id]).expect("watch");
    let typing = tokio::spawn(keytrack_app::admin::demo::keep_typing(state.clone()));
    let heard = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match stream.next().await {
                keytrack_app::server::services::live::Heard::Announce => continue,
                other => return other,
            }
        }
    })
    .await
    .expect("an upload within 10 s");
    match heard {
        keytrack_app::server::services::live::Heard::Arrival(_, arrival) => {
            assert_eq!(arrival.device, "Demo keyboard (live)")
        }
        other => panic!("{other:?}"),
    }
    state.live.close();
    typing.await.expect("stops when the server closes");
}
