//! The JSON API through the real router, on a real SQLite file in a temp dir.

use std::collections::BTreeMap;

use axum::body::Body;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use keytrack_app::server::services::accounts;
use keytrack_app::server::store;
use keytrack_app::server::web::state::AppState;
use keytrack_wire::{
    ActivityBatch, ActivityMinute, AppUsage, Burst, ButtonCounts, Device, DisplayPlace, GridCount, ScreenActivity,
    ScrollCounts, TypingStats,
};
use leptos::config::LeptosOptions;
use leptos::server_fn::ServerFn;
use serde_json::{Value, json};
use tower::ServiceExt;

mod common;

use common::*;

async fn stored_records(database: &keytrack_app::server::store::Database) -> i64 {
    number(database, "SELECT CAST(coalesce(sum(minutes), 0) AS BIGINT) FROM activity_hours").await
}

/// Three minutes with every part of the format filled in, and the block of Monday 9:00 with their
/// key detail (Tuesday's five presses are too few for a block: their detail stays on the device).
fn sample_batch() -> ActivityBatch {
    let mut first = minute(MONDAY_9H, 195);
    first.typing = TypingStats {
        typed_keys: 7,
        typing_ms: 700,
        bursts: 1,
        best_burst: None,
        intervals: vec![0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    };
    first.clicks = ButtonCounts { left: 3, right: 1, middle: 1, other: 0 };
    first.distance_px = 2_345;
    first.scroll = ScrollCounts { vertical: 7, horizontal: 2 };
    let mut second = minute(MONDAY_9H + 60, 5);
    second.typing = TypingStats {
        typed_keys: 3,
        typing_ms: 300,
        bursts: 1,
        best_burst: Some(Burst { typed_keys: 12, typing_ms: 1_200 }),
        intervals: vec![],
    };
    // Tuesday 14:00 UTC.
    let third = minute(MONDAY_9H + 86_400 + 5 * 3600, 5);
    let mut hour = block(
        MONDAY_9H,
        &[
            ("KeyH", 1),
            ("KeyE", 1),
            ("KeyL", 3),
            ("KeyO", 2),
            ("Space", 1),
            ("ControlLeft", 2),
            ("KeyC", 2),
            ("KeyA", 183),
            ("KeyW", 1),
            ("KeyR", 1),
            ("KeyD", 1),
            ("AltLeft", 1),
            ("Tab", 1),
        ],
    );
    hour.chords = BTreeMap::from([("Ctrl+KeyC".to_string(), 2), ("Alt+Tab".to_string(), 1)]);
    hour.screens = vec![ScreenActivity {
        width: 1920,
        height: 1080,
        clicks: vec![GridCount(0, 0, 2), GridCount(10, 5, 3)],
        moves: vec![GridCount(10, 5, 40), GridCount(11, 5, 12)],
        ..Default::default()
    }];
    ActivityBatch::new(Device { id: "laptop-1".into(), name: "Laptop".into() }, vec![first, second, third], vec![hour])
}

#[tokio::test]
async fn round_trip_gives_back_exactly_what_was_sent() {
    let s = server().await;
    let (_, token) = user_with_token(&s.database, "ada@example.com").await;
    let reply = post_batch(&s.app, &token, &sample_batch()).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, json!({"accepted": 3, "replaced": 0, "blocks": 1, "never_count": []}));

    let got = stats(&s.app, &token, "2025-03-10", "2025-03-11").await;
    // Presses come from the minutes; which keys, from the block.
    assert_eq!(got["total_keys"], 205);
    assert_eq!(
        got["keys"],
        json!({"KeyH": 1, "KeyE": 1, "KeyL": 3, "KeyO": 2, "Space": 1, "ControlLeft": 2, "KeyC": 2, "KeyA": 183,
               "KeyW": 1, "KeyR": 1, "KeyD": 1, "AltLeft": 1, "Tab": 1})
    );
    assert_eq!(got["combos"], json!({"Ctrl+KeyC": 2, "Alt+Tab": 1}));
    assert_eq!(got["total_clicks"], 5);
    assert_eq!(got["clicks_by_button"], json!({"left": 3, "right": 1, "middle": 1, "other": 0}));
    assert_eq!(got["by_weekday"], json!([200, 5, 0, 0, 0, 0, 0]));
    let mut by_hour = vec![0; 24];
    by_hour[9] = 200;
    by_hour[14] = 5;
    assert_eq!(got["by_hour"], json!(by_hour));
    assert_eq!(got["mouse"], json!({"distance_px": 2345, "scroll_vertical": 7, "scroll_horizontal": 2}));
    assert_eq!(got["active_minutes"], 3);
    assert_eq!(got["active_seconds"], 90);
    // 10 typed keys in 1 s: 2 words a second.
    assert_eq!(got["typing"]["typed_keys"], 10);
    assert_eq!(got["typing"]["wpm"], 120.0);
    assert_eq!(got["typing"]["best_burst_wpm"], 120.0);
    assert_eq!(got["typing"]["intervals"][2], json!({"le_ms": 100, "count": 7}));
    assert_eq!(
        (got["from"].as_str(), got["to"].as_str(), got["timezone"].as_str()),
        (Some("2025-03-10"), Some("2025-03-11"), Some("UTC"))
    );

    // One day only: the Tuesday record is outside.
    let monday = stats(&s.app, &token, "2025-03-10", "2025-03-10").await;
    assert_eq!(monday["total_keys"], 200);
}

#[tokio::test]
async fn sending_again_never_double_counts() {
    let s = server().await;
    let (_, token) = user_with_token(&s.database, "ada@example.com").await;
    let batch = sample_batch();
    assert_eq!(post_batch(&s.app, &token, &batch).await.status, StatusCode::OK);
    let once = stats(&s.app, &token, "2025-03-01", "2025-03-31").await;
    let again = post_batch(&s.app, &token, &batch).await;
    assert_eq!(again.body, json!({"accepted": 3, "replaced": 3, "blocks": 1, "never_count": []}));
    assert_eq!(stats(&s.app, &token, "2025-03-01", "2025-03-31").await, once);
    assert_eq!(stored_records(&s.database).await, 3);

    // A record or block sent again with other counts replaces the earlier copy.
    let mut corrected = batch.clone();
    corrected.minutes.truncate(1);
    corrected.minutes[0].presses += 4;
    corrected.blocks[0].add_key("KeyE", 4);
    assert_eq!(
        post_batch(&s.app, &token, &corrected).await.body,
        json!({"accepted": 1, "replaced": 1, "blocks": 1, "never_count": []})
    );
    let after = stats(&s.app, &token, "2025-03-01", "2025-03-31").await;
    assert_eq!(after["keys"]["KeyE"], 5);
    assert_eq!(after["total_keys"], 209);

    // The same minute from another device is another record: both count.
    let mut other_device = batch.clone();
    other_device.device.id = "desktop".into();
    other_device.minutes.truncate(1);
    other_device.blocks.clear();
    assert_eq!(
        post_batch(&s.app, &token, &other_device).await.body,
        json!({"accepted": 1, "replaced": 0, "blocks": 0, "never_count": []})
    );
    let both = stats(&s.app, &token, "2025-03-01", "2025-03-31").await;
    assert_eq!(both["total_keys"], 209 + 195);
    // ...but it is still one active minute.
    assert_eq!(both["active_minutes"], 3);
}

/// Day rollups are kept by adding and subtracting records; after any mix of replaces and devices
/// they must equal rollups summed afresh from the stored minutes and blocks.
#[tokio::test]
async fn rollups_stay_exact_through_replaces_and_equal_a_rebuild() {
    let s = server().await;
    let (user_id, token) = user_with_token(&s.database, "ada@example.com").await;
    let batch = sample_batch();
    post_batch(&s.app, &token, &batch).await;
    let mut phone = batch.clone();
    phone.device.id = "phone".into();
    phone.minutes[1].active_seconds = 55;
    post_batch(&s.app, &token, &phone).await;
    // The laptop's second minute comes again, slower and with fewer keys: its best burst goes.
    let mut slower = batch.clone();
    slower.minutes = vec![slower.minutes[1].clone()];
    slower.minutes[0].typing.best_burst = Some(Burst { typed_keys: 12, typing_ms: 2_400 });
    slower.minutes[0].presses = 4;
    slower.blocks.clear();
    post_batch(&s.app, &token, &slower).await;
    let incremental = stats(&s.app, &token, "2025-03-01", "2025-03-31").await;
    // Laptop: 195 + 4 + 5; phone: 195 + 5 + 5.
    assert_eq!(incremental["total_keys"], 204 + 205);
    assert_eq!(incremental["keys"]["KeyA"], 2 * 183, "both devices' blocks");
    // The phone still holds the 12-key burst in 1.2 s: 120 WPM.
    assert_eq!(incremental["typing"]["best_burst_wpm"], 120.0);
    assert_eq!(incremental["active_minutes"], 3);
    // 30 s (both devices' first minute), max(30, 55) in the second, 30 in the third.
    assert_eq!(incremental["active_seconds"], 30 + 55 + 30);

    // Changing the time zone moves the days and rebuilds the rollups from the records; changing
    // it back must land exactly where the incremental rollups were.
    accounts::save_profile(&s.database, user_id, "", "Pacific/Auckland", 4, "us").await.expect("profile");
    let moved = stats(&s.app, &token, "2025-03-01", "2025-03-31").await;
    assert_eq!((&moved["total_keys"], &moved["keys"]), (&incremental["total_keys"], &incremental["keys"]));
    assert_ne!(moved["by_hour"], incremental["by_hour"]);
    accounts::save_profile(&s.database, user_id, "", "UTC", 0, "us").await.expect("profile");
    assert_eq!(stats(&s.app, &token, "2025-03-01", "2025-03-31").await, incremental);

    // The screen grids follow the same rule: the laptop's and the phone's blocks both count
    // (3 + 3 clicks in cell [10, 5]).
    let from = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("date");
    let to = chrono::NaiveDate::from_ymd_opt(2025, 3, 31).expect("date");
    let maps =
        keytrack_app::server::services::stats::range_heatmaps(&s.database, user_id, from, to).await.expect("heatmaps");
    assert_eq!(maps.len(), 1);
    assert_eq!((maps[0].width, maps[0].height), (1920, 1080));
    assert_eq!(maps[0].clicks[5 * 64 + 10], 6);
    assert_eq!(maps[0].moves.iter().sum::<u64>(), 2 * (40 + 12));

    // Emptying the phone's copies subtracts them again: its keys, its 55 s and its fast burst; a
    // block sent again with other detail replaces the phone's.
    let mut emptied = phone.clone();
    emptied.minutes = phone.minutes.iter().map(|m| ActivityMinute { minute: m.minute, ..Default::default() }).collect();
    emptied.blocks = vec![block(MONDAY_9H, &[("KeyZ", 200)])];
    post_batch(&s.app, &token, &emptied).await;
    let after = stats(&s.app, &token, "2025-03-01", "2025-03-31").await;
    assert_eq!(after["total_keys"], 204);
    assert_eq!((after["keys"]["KeyA"].as_u64(), after["keys"]["KeyZ"].as_u64()), (Some(183), Some(200)));
    assert_eq!(after["active_minutes"], 3);
    assert_eq!(after["active_seconds"], 30 * 3);
    assert_eq!(after["typing"]["best_burst_wpm"], 60.0);
    let maps =
        keytrack_app::server::services::stats::range_heatmaps(&s.database, user_id, from, to).await.expect("heatmaps");
    assert_eq!(maps[0].clicks.iter().sum::<u64>(), 3 + 2);
}

#[tokio::test]
async fn each_bad_input_gets_its_4xx_and_changes_nothing() {
    let s = server().await;
    let (_, token) = user_with_token(&s.database, "ada@example.com").await;
    assert_eq!(post_batch(&s.app, &token, &sample_batch()).await.status, StatusCode::OK);
    let before = stats(&s.app, &token, "2025-03-01", "2025-03-31").await;
    let rows_before = stored_records(&s.database).await;

    let valid = serde_json::to_value(sample_batch()).expect("json");
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = valid.clone();
        change(&mut body);
        serde_json::to_vec(&body).expect("encode")
    };
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    let future = now - now % 60 + 3600;
    let mut oversized = b"{\"device\":{\"id\":\"x\",\"name\":\"".to_vec();
    oversized.extend(std::iter::repeat_n(b'a', 1024 * 1024 + 10));
    oversized.extend(b"\"},\"minutes\":[]}");

    let cases: Vec<(&str, Vec<u8>, StatusCode, &str, &str)> = vec![
        ("not JSON", b"minute=5".to_vec(), StatusCode::BAD_REQUEST, "invalid_json", "not valid JSON"),
        ("truncated JSON", b"{\"device\":".to_vec(), StatusCode::BAD_REQUEST, "invalid_json", "EOF"),
        ("empty body", Vec::new(), StatusCode::BAD_REQUEST, "invalid_json", ""),
        (
            "wrong type",
            with(&|b| b["blocks"][0]["keys"]["KeyW"] = json!("many")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activity",
            "blocks[0].keys.KeyW",
        ),
        (
            "negative count",
            with(&|b| b["minutes"][0]["clicks"]["left"] = json!(-1)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activity",
            "minutes[0].clicks.left",
        ),
        (
            "missing field",
            with(&|b| b["minutes"][0].as_object_mut().map(|m| m.remove("minute")).map_or((), |_| ())),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activity",
            "missing field `minute`",
        ),
        (
            "unknown field",
            with(&|b| b["minutes"][0]["text"] = json!("hello")),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activity",
            "unknown field `text`",
        ),
        (
            "too many presses",
            with(&|b| b["minutes"][2]["presses"] = json!(60_001)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activity",
            "minutes[2].presses: 60001 presses",
        ),
        (
            "key detail in a minute",
            with(&|b| b["minutes"][2]["keys"] = json!({"KeyA": 1})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activity",
            "minutes[2].keys: minute records carry totals only",
        ),
        (
            "a block of a few keys",
            with(&|b| b["blocks"][0]["keys"] = json!({"KeyA": 13})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activity",
            "blocks[0].keys: 13 key presses: a block leaves the device only with at least 200",
        ),
        (
            "an open block",
            with(&|b| b["blocks"][0]["end"] = json!(future + 3_600 - future % 3_600)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activity",
            "blocks[0].end: lies in the future",
        ),
        (
            "forged typing",
            with(&|b| b["minutes"][0]["typing"] = json!({"typed_keys": 195, "typing_ms": 1, "intervals": []})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activity",
            "minutes[0].typing.typing_ms: 1 ms for 195 typed keys",
        ),
        (
            "future minute",
            with(&|b| b["minutes"][2]["minute"] = json!(future)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activity",
            "in the future",
        ),
        (
            "unknown key",
            with(&|b| b["blocks"][0]["keys"]["KeyÆ"] = json!(1)),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activity",
            "unknown key code",
        ),
        (
            "bad chord",
            with(&|b| b["blocks"][0]["chords"] = json!({"Shift+KeyC": 1})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_activity",
            "blocks[0].chords",
        ),
        ("oversized", oversized, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "1048576"),
    ];
    for (name, body, status, code, message) in cases {
        let reply = call(&s.app, "POST", "/api/v1/activity", Some(&bearer(&token)), Some(body)).await;
        assert_eq!(reply.status, status, "{name}: {}", reply.body);
        assert_eq!(reply.body["code"], code, "{name}");
        let text = reply.body["message"].as_str().unwrap_or_default();
        assert!(text.contains(message), "{name}: {text:?} should mention {message:?}");
    }

    // Credentials: missing, unknown, malformed, revoked.
    let body = serde_json::to_vec(&sample_batch()).expect("encode");
    for auth in [None, Some("Bearer kt_0000"), Some("Basic abc"), Some("Bearer")] {
        let reply = call(&s.app, "POST", "/api/v1/activity", auth, Some(body.clone())).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(reply.body["code"], "unauthorized");
    }

    assert_eq!(stored_records(&s.database).await, rows_before);
    assert_eq!(stats(&s.app, &token, "2025-03-01", "2025-03-31").await, before);
}

#[tokio::test]
async fn a_bad_record_rejects_the_whole_batch() {
    let s = server().await;
    let (_, token) = user_with_token(&s.database, "ada@example.com").await;
    let mut batch = sample_batch();
    batch.minutes[2].active_seconds = 61;
    let reply = post_batch(&s.app, &token, &batch).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["message"], "minutes[2].active_seconds: a minute has at most 60 seconds");
    assert_eq!(stored_records(&s.database).await, 0);
    let devices = number(&s.database, "SELECT COUNT(*) FROM devices").await;
    assert_eq!(devices, 0, "not even the device is written");
}

#[tokio::test]
async fn revoked_tokens_stop_working_at_once() {
    let s = server().await;
    let (user, token) = user_with_token(&s.database, "ada@example.com").await;
    assert_eq!(post_batch(&s.app, &token, &sample_batch()).await.status, StatusCode::OK);
    let listed = accounts::list_tokens(&s.database, user).await.expect("list");
    assert_eq!(listed.len(), 1);
    assert!(listed[0].last_used_at.is_some(), "the use is noted");
    accounts::revoke_token(&s.database, user, listed[0].id).await.expect("revoke");
    for (method, uri) in [("POST", "/api/v1/activity"), ("GET", "/api/v1/stats"), ("GET", "/api/v1/me")] {
        let reply = call(&s.app, method, uri, Some(&bearer(&token)), Some(b"{}".to_vec())).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{method} {uri}");
        assert_eq!(reply.body["message"], "unknown or revoked API token");
    }
}

#[tokio::test]
async fn another_users_token_never_reads_or_touches_the_first_users_data() {
    let s = server().await;
    let (ada, ada_token) = user_with_token(&s.database, "ada@example.com").await;
    let (bob, bob_token) = user_with_token(&s.database, "bob@example.com").await;
    assert_eq!(post_batch(&s.app, &ada_token, &sample_batch()).await.status, StatusCode::OK);

    // GET /api/v1/stats: Bob sees none of Ada's activity.
    let bobs = stats(&s.app, &bob_token, "2025-03-01", "2025-03-31").await;
    assert_eq!((bobs["total_keys"].as_u64(), bobs["active_minutes"].as_u64()), (Some(0), Some(0)));
    assert_eq!(bobs["keys"], json!({}));

    // GET /api/v1/me: each token is its own user.
    let me = call(&s.app, "GET", "/api/v1/me", Some(&bearer(&bob_token)), None).await;
    assert_eq!(me.body["email"], "bob@example.com");

    // POST /api/v1/activity: Bob uploading the very same device id and minutes stores Bob's own
    // records; Ada's stay as they were.
    let ada_before = stats(&s.app, &ada_token, "2025-03-01", "2025-03-31").await;
    let mut bobs_batch = sample_batch();
    bobs_batch.minutes.truncate(1);
    bobs_batch.blocks[0].add_key("KeyZ", 9);
    assert_eq!(
        post_batch(&s.app, &bob_token, &bobs_batch).await.body,
        json!({"accepted": 1, "replaced": 0, "blocks": 1, "never_count": []})
    );
    assert_eq!(stats(&s.app, &ada_token, "2025-03-01", "2025-03-31").await, ada_before);
    assert_eq!(stats(&s.app, &bob_token, "2025-03-01", "2025-03-31").await["keys"]["KeyZ"], 9);

    // Tokens: Bob can neither list nor revoke Ada's.
    let ada_tokens = accounts::list_tokens(&s.database, ada).await.expect("list");
    assert!(accounts::list_tokens(&s.database, bob).await.expect("list").iter().all(|t| t.id != ada_tokens[0].id));
    assert!(accounts::revoke_token(&s.database, bob, ada_tokens[0].id).await.is_err());
    assert_eq!(call(&s.app, "GET", "/api/v1/me", Some(&bearer(&ada_token)), None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn stats_follow_the_users_time_zone_and_day_start() {
    let s = server().await;
    let (ada, token) = user_with_token(&s.database, "ada@example.com").await;
    // Monday 2025-03-10 23:30 UTC is Tuesday 00:30 in Paris; at 02:30 Paris time it is Tuesday 03:30.
    // The block of 23:00 ends at midnight UTC; the next one was carried over three hours (its
    // last hour 02:00 UTC): each counts on the day and hour of its last hour.
    let (monday_23h, tuesday_0h) = (MONDAY_9H + 14 * 3600, MONDAY_9H + 15 * 3600);
    let mut carried = block(tuesday_0h, &[("KeyB", 200)]);
    carried.end = tuesday_0h + 3 * 3600;
    let late = ActivityBatch::new(
        Device { id: "laptop".into(), name: String::new() },
        vec![minute(monday_23h + 1800, 4), minute(MONDAY_9H + 17 * 3600 + 1800, 2)],
        vec![block(monday_23h, &[("KeyA", 200)]), carried],
    );
    assert_eq!(post_batch(&s.app, &token, &late).await.status, StatusCode::OK);
    let keys = |stats: &Value| (stats["keys"]["KeyA"].as_u64(), stats["keys"]["KeyB"].as_u64());
    let utc = stats(&s.app, &token, "2025-03-10", "2025-03-10").await;
    assert_eq!(utc["total_keys"], 4, "in UTC only the 23:30 minute is on Monday");
    assert_eq!(keys(&utc), (Some(200), None), "the block of 23:00 UTC too");

    accounts::save_profile(&s.database, ada, "Ada", "Europe/Paris", 0, "us").await.expect("profile");
    let paris_tuesday = stats(&s.app, &token, "2025-03-11", "2025-03-11").await;
    assert_eq!(paris_tuesday["total_keys"], 6);
    assert_eq!(paris_tuesday["by_weekday"], json!([0, 6, 0, 0, 0, 0, 0]));
    assert_eq!(paris_tuesday["by_hour"][0], 4);
    assert_eq!(paris_tuesday["by_hour"][3], 2);
    assert_eq!(keys(&paris_tuesday), (Some(200), Some(200)), "both blocks end on Tuesday in Paris");

    // With the day starting at 04:00, both belong to Monday, blocks included.
    accounts::save_profile(&s.database, ada, "Ada", "Europe/Paris", 4, "us").await.expect("profile");
    let night_owl = stats(&s.app, &token, "2025-03-10", "2025-03-10").await;
    assert_eq!(night_owl["total_keys"], 6);
    assert_eq!(night_owl["by_weekday"], json!([6, 0, 0, 0, 0, 0, 0]));
    assert_eq!(keys(&night_owl), (Some(200), Some(200)));
}

/// The dashboard compares a range with the period of equal length just before it.
#[tokio::test]
async fn the_previous_period_sums_the_days_before_the_range() {
    let s = server().await;
    let (user_id, token) = user_with_token(&s.database, "ada@example.com").await;
    post_batch(&s.app, &token, &sample_batch()).await;
    let query = keytrack_app::domain::range::RangeQuery {
        range: None,
        from: Some("2025-03-12".into()),
        to: Some("2025-03-13".into()),
    };
    let stats =
        keytrack_app::server::services::stats::stats_for_query(&s.database, user_id, &query, MONDAY_9H + 7 * 86_400)
            .await
            .expect("stats");
    assert_eq!(stats.total_keys, 0);
    let previous = stats.previous.expect("a previous period");
    assert_eq!((previous.from.as_str(), previous.to.as_str()), ("2025-03-10", "2025-03-11"));
    assert_eq!((previous.total_keys, previous.total_clicks, previous.active_seconds), (205, 5, 90));
    // 7 + 3 typed keys in 700 + 300 ms.
    assert!((previous.wpm - 120.0).abs() < 1e-9);
}

/// Today so far is set against yesterday up to the same time of day, not against all of
/// yesterday; "this year" starts when the data does.
#[tokio::test]
async fn today_is_compared_with_yesterday_by_the_same_time_and_the_year_starts_with_the_data() {
    let s = server().await;
    let (user_id, token) = user_with_token(&s.database, "ada@example.com").await;
    // Monday (UTC, the new account's zone): 10 keys at 08:00, 20 at 10:59, 40 at 15:00.
    // Tuesday: 7 keys at 08:30, and it is 11:00 now.
    let (monday_0h, tuesday_0h) = (MONDAY_9H - 9 * 3600, MONDAY_9H + 15 * 3600);
    let minutes = vec![
        minute(monday_0h + 8 * 3600, 10),
        minute(monday_0h + 10 * 3600 + 59 * 60, 20),
        minute(monday_0h + 15 * 3600, 40),
        minute(tuesday_0h + 8 * 3600 + 1800, 7),
    ];
    let batch = ActivityBatch::new(Device { id: "laptop".into(), name: String::new() }, minutes, vec![]);
    assert_eq!(post_batch(&s.app, &token, &batch).await.status, StatusCode::OK);
    let ask = |range: &str, now: i64| {
        let query = keytrack_app::domain::range::RangeQuery { range: Some(range.into()), ..Default::default() };
        let database = s.database.clone();
        async move {
            keytrack_app::server::services::stats::stats_for_query(&database, user_id, &query, now)
                .await
                .expect("stats")
        }
    };

    let today = ask("today", tuesday_0h + 11 * 3600).await;
    assert_eq!(today.total_keys, 7);
    let yesterday = today.previous.expect("yesterday");
    assert_eq!(yesterday.until.as_deref(), Some("11:00"));
    assert_eq!(yesterday.total_keys, 30, "08:00 and 10:59, not 15:00");
    assert_eq!(yesterday.active_seconds, 60);
    // Late in the evening all of yesterday counts.
    let evening = ask("today", tuesday_0h + 23 * 3600).await.previous.expect("yesterday");
    assert_eq!((evening.total_keys, evening.until.as_deref()), (70, Some("23:00")));
    // Other ranges compare whole days and say no time.
    let week = ask("7d", tuesday_0h + 11 * 3600).await.previous.expect("the week before");
    assert_eq!(week.until, None);

    // In November the year starts on the first day with data, 10 March, not on 1 January.
    let november = ask("year", MONDAY_9H + 250 * 86_400).await;
    assert_eq!(november.from, "2025-03-10");
    assert_eq!(november.daily.first().map(|day| day.day.as_str()), Some("2025-03-10"));
    assert_eq!(november.daily.len(), 251);
    // The next year starts on its 1 January (the data began the year before).
    let next_year = ask("year", MONDAY_9H + 400 * 86_400).await;
    assert_eq!(next_year.from, "2026-01-01");
}

#[tokio::test]
async fn stats_queries_are_checked() {
    let s = server().await;
    let (ada, token) = user_with_token(&s.database, "ada@example.com").await;
    let team = keytrack_app::server::services::teams::create(&s.database, ada, "solo").await.expect("team");
    for (query, needle) in [
        ("from=2025-13-01&to=2025-03-01", "from must be a date"),
        ("from=2025-03-02&to=2025-03-01", "is after"),
        ("to=yesterday", "to must be a date"),
        // Unbounded answers: a daily series of 3.65 million days is refused, not computed.
        ("from=0001-01-01&to=9999-12-31", "must lie between 2000-01-01 and 2100-12-31"),
        ("from=2000-01-01&to=2100-12-31", "a range covers at most 3660 days"),
        // An unknown preset is an error, not a silent 7 days.
        ("range=forever", "range must be one of today, 7d, 30d, year, all"),
    ] {
        for route in ["/api/v1/stats".to_string(), format!("/api/v1/teams/{team}/stats")] {
            let reply = call(&s.app, "GET", &format!("{route}?{query}"), Some(&bearer(&token)), None).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{route}?{query}");
            assert_eq!(reply.body["code"], "bad_request");
            let message = reply.body["message"].as_str().unwrap_or_default();
            assert!(message.contains(needle), "{route}?{query}: {}", reply.body);
        }
    }
    // The same rule in the server functions.
    let reply = sign_up_in_browser(&s.app, "grace@example.com").await;
    let cookie = session_cookie(&reply);
    let form = "range=&from=0001-01-01&to=9999-12-31";
    let reply = call_server_fn(&s.app, keytrack_app::api::DashboardStats::PATH, Some(&cookie), form).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    // Without dates: the last 7 days up to today; one preset or a start only work too.
    for query in ["", "?range=year", "?range=all", "?from=2026-01-01"] {
        let reply = call(&s.app, "GET", &format!("/api/v1/stats{query}"), Some(&bearer(&token)), None).await;
        assert_eq!(reply.status, StatusCode::OK, "{query}: {}", reply.body);
        assert_eq!(reply.body["by_weekday"].as_array().map(Vec::len), Some(7));
    }
    let week = call(&s.app, "GET", "/api/v1/stats", Some(&bearer(&token)), None).await.body;
    assert_eq!(week["daily"].as_array().map(Vec::len), Some(7));
    let from_to = call(&s.app, "GET", "/api/v1/stats?to=2025-03-11", Some(&bearer(&token)), None).await.body;
    assert_eq!((from_to["from"].as_str(), from_to["to"].as_str()), (Some("2025-03-05"), Some("2025-03-11")));
}

#[tokio::test]
async fn health_openapi_and_unknown_routes() {
    let s = server().await;
    let health = call(&s.app, "GET", "/healthz", None, None).await;
    assert_eq!((health.status, health.body.clone()), (StatusCode::OK, json!({"status": "ok", "storage": "writable"})));
    let live = call(&s.app, "GET", "/healthz/live", None, None).await;
    assert_eq!((live.status, live.body), (StatusCode::OK, json!({"status": "ok"})));
    let ready = call(&s.app, "GET", "/healthz/ready", None, None).await;
    assert_eq!((ready.status, ready.body), (StatusCode::OK, json!({"status": "ok", "storage": "writable"})));
    let doc = call(&s.app, "GET", "/api/v1/openapi.json", None, None).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap_or_default().starts_with("3."));
    for path in ["/api/v1/activity", "/api/v1/stats", "/api/v1/me"] {
        assert!(doc.body["paths"][path].is_object(), "{path} documented");
    }
    assert!(doc.body["components"]["schemas"]["ActivityMinute"].is_object());
    let missing = call(&s.app, "GET", "/api/v1/nothing", None, None).await;
    assert_eq!((missing.status, missing.body["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
}

#[tokio::test]
async fn the_session_cookie_is_httponly_samesite_and_reads_only_its_user() {
    let s = server().await;
    let (_, ada_token) = user_with_token(&s.database, "ada@example.com").await;
    assert_eq!(post_batch(&s.app, &ada_token, &sample_batch()).await.status, StatusCode::OK);

    let reply = sign_up_in_browser(&s.app, "carol@example.com").await;
    assert!(reply.status.is_success() || reply.status.is_redirection(), "{:?} {}", reply.status, reply.body);
    let cookie = reply.headers.get(header::SET_COOKIE).and_then(|c| c.to_str().ok()).unwrap_or_default().to_string();
    assert!(cookie.starts_with("keytrack_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    let session = cookie.split(';').next().unwrap_or_default().to_string();

    let me =
        Request::builder().uri("/api/v1/me").header(header::COOKIE, &session).body(Body::empty()).expect("request");
    let response = s.app.clone().oneshot(me).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let me: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!((me["email"].as_str(), me["timezone"].as_str()), (Some("carol@example.com"), Some("Europe/Paris")));

    let request = Request::builder()
        .uri("/api/v1/stats?from=2025-03-01&to=2025-03-31")
        .header(header::COOKIE, &session)
        .body(Body::empty())
        .expect("request");
    let response = s.app.clone().oneshot(request).await.expect("response");
    let bytes = response.into_body().collect().await.expect("body").to_bytes();
    let carols: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(carols["total_keys"], 0, "a session reads only its own user's data");

    // Signing up twice with the same email is refused clearly.
    let again = sign_up_in_browser(&s.app, "CAROL@example.com").await;
    assert!(again.body.to_string().contains("exists already"), "{}", again.body);
}

#[tokio::test]
async fn logins_are_rate_limited_and_never_say_which_part_was_wrong() {
    let s = server().await;
    user_with_token(&s.database, "ada@example.com").await;
    let state = AppState::new(
        keytrack_app::server::store::Store::on(s.database.clone()),
        LeptosOptions::builder().output_name("keytrack").build(),
    )
    .await;
    let ip = "192.0.2.7".parse().ok();
    let wrong_password = accounts::log_in(&s.database, &state.login_limiter, "ada@example.com", "nope", ip).await;
    let wrong_email = accounts::log_in(&s.database, &state.login_limiter, "who@example.com", PASSWORD, ip).await;
    let (a, b) = (wrong_password.expect_err("refused"), wrong_email.expect_err("refused"));
    assert_eq!(a.public_message(), b.public_message());
    assert_eq!(a.status(), StatusCode::UNAUTHORIZED);
    assert!(accounts::log_in(&s.database, &state.login_limiter, "ADA@example.com", PASSWORD, ip).await.is_ok());
    for _ in 0..10 {
        let _ = accounts::log_in(&s.database, &state.login_limiter, "ada@example.com", "wrong", ip).await;
    }
    let limited = accounts::log_in(&s.database, &state.login_limiter, "ada@example.com", PASSWORD, ip).await;
    assert_eq!(limited.expect_err("limited").status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn the_sites_files_have_versioned_names_are_kept_for_a_year_and_come_compressed() {
    let s = server().await;
    let site = tempfile::tempdir().expect("site dir");
    std::fs::create_dir_all(site.path().join("pkg")).expect("pkg dir");
    std::fs::write(site.path().join("pkg/keytrack.js"), "export function hydrate() {}").expect("js");
    std::fs::write(site.path().join("pkg/keytrack.js.br"), b"brotli bytes").expect("br");
    std::fs::write(site.path().join("secret.txt"), "not a site file").expect("other");
    let options =
        LeptosOptions::builder().output_name("keytrack").site_root(site.path().to_string_lossy().to_string()).build();
    let app = keytrack_app::server::web::router(
        AppState::new(keytrack_app::server::store::Store::on(s.database.clone()), options).await,
        false,
    )
    .await
    .expect("router");
    let version = keytrack_app::server::web::assets::site_version(site.path());

    // Pages name the files under this build's version.
    let page = app.clone().oneshot(Request::get("/login").body(Body::empty()).expect("request")).await.expect("page");
    let html = String::from_utf8(page.into_body().collect().await.expect("body").to_bytes().to_vec()).expect("utf-8");
    assert!(html.contains(&format!("/assets/{version}/pkg/keytrack.css")), "{html}");
    assert!(html.contains(&format!("/assets/{version}/vendor/chart.umd.min.js")), "{html}");

    let get = |uri: String, encoding: &'static str| {
        let app = app.clone();
        async move {
            let request = Request::get(uri).header("accept-encoding", encoding).body(Body::empty()).expect("request");
            let response = app.oneshot(request).await.expect("response");
            let headers = response.headers().clone();
            let status = response.status();
            let body = response.into_body().collect().await.expect("body").to_bytes();
            (status, headers, body)
        }
    };
    let (status, headers, body) = get(format!("/assets/{version}/pkg/keytrack.js"), "gzip, br").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "br", "the compressed copy, to a browser that takes it");
    assert_eq!(&body[..], b"brotli bytes");
    assert_eq!(headers["cache-control"], "public, max-age=31536000, immutable");
    let (status, headers, body) = get(format!("/assets/{version}/pkg/keytrack.js"), "identity").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-encoding").is_none());
    assert_eq!(&body[..], b"export function hydrate() {}");

    // A compressed copy older than its file (left by an earlier build) is not sent.
    let js = site.path().join("pkg/keytrack.js");
    let later = std::fs::metadata(site.path().join("pkg/keytrack.js.br")).and_then(|m| m.modified()).expect("mtime")
        + std::time::Duration::from_secs(5);
    std::fs::File::options().write(true).open(&js).and_then(|f| f.set_modified(later)).expect("touch");
    let version = keytrack_app::server::web::assets::site_version(site.path());
    let (status, headers, body) = get(format!("/assets/{version}/pkg/keytrack.js"), "br").await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.get("content-encoding").is_none(), "a stale copy was sent");
    assert_eq!(&body[..], b"export function hydrate() {}");

    // The site rebuilt while the server runs: its pages still name the version they started with,
    // and the files answer under that name (not a 404 that would leave pages without their app).
    std::fs::write(&js, "export function hydrate() { /* rebuilt */ }").expect("rebuild");
    let page = app.clone().oneshot(Request::get("/login").body(Body::empty()).expect("request")).await.expect("page");
    let html = String::from_utf8(page.into_body().collect().await.expect("body").to_bytes().to_vec()).expect("utf-8");
    assert!(html.contains(&format!("/assets/{version}/pkg/keytrack.css")), "{html}");
    let (status, _, _) = get(format!("/assets/{version}/pkg/keytrack.js"), "identity").await;
    assert_eq!(status, StatusCode::OK, "the files of the pages' version");

    // Pages go compressed to a browser that takes it.
    let (status, headers, _) = get("/login".to_string(), "gzip, br").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["content-encoding"], "br");

    // Another build's version, a file outside the site's folders, a way out: nothing.
    for uri in [
        "/assets/0123456789abcdef/pkg/keytrack.js".to_string(),
        format!("/assets/{version}/secret.txt"),
        format!("/assets/{version}/pkg/../secret.txt"),
        format!("/assets/{version}/pkg/%2e%2e/secret.txt"),
    ] {
        let (status, headers, _) = get(uri.clone(), "br").await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{uri}");
        assert!(headers.get("cache-control").is_none_or(|v| !v.to_str().unwrap_or("").contains("immutable")), "{uri}");
    }
}

/// The advanced analytics through the API: a day's breaks from its active minutes, its
/// ergonomics from its blocks, the layout kept in the profile without changing a count, and
/// rollups stored before active minutes existed counted again at start.
#[tokio::test]
async fn breaks_ergonomics_and_the_layout_come_through_the_api() {
    let s = server().await;
    let (user_id, token) = user_with_token(&s.database, "ada@example.com").await;
    // 09:00-10:19 with a 3-minute pause at 09:40 (one 80-minute stretch: 20 past the limit), a
    // 12-minute break, then 10:32-10:35.
    let minutes: Vec<ActivityMinute> =
        (0..80).filter(|m| !(40..43).contains(m)).chain(92..96).map(|m| minute(MONDAY_9H + m * 60, 3)).collect();
    let keys = [("KeyA", 150), ("KeyJ", 50), ("Backspace", 20), ("ArrowUp", 10)];
    let batch = ActivityBatch::new(
        Device { id: "laptop".into(), name: "Laptop".into() },
        minutes,
        vec![block(MONDAY_9H, &keys)],
    );
    assert_eq!(post_batch(&s.app, &token, &batch).await.status, StatusCode::OK);
    let day = "2025-03-10";
    let answer = stats(&s.app, &token, day, day).await;
    assert_eq!(answer["keyboard_layout"], "us");
    let breaks = &answer["daily"][0]["breaks"];
    assert_eq!(
        (&breaks["work_periods"], &breaks["breaks_5"], &breaks["breaks_10"]),
        (&json!(2), &json!(1), &json!(1)),
        "{breaks}"
    );
    assert_eq!((&breaks["longest_stretch_minutes"], &breaks["minutes_over_limit"]), (&json!(80), &json!(20)));
    assert_eq!(breaks["strain"], "raised");
    // 150 A (left little, home row), 50 J (right index, home row), 20 Backspace (right little,
    // number row); the arrow is off the main block.
    let ergonomics = &answer["daily"][0]["ergonomics"];
    assert_eq!(ergonomics["keys"], 220);
    let share = |name: &str| ergonomics[name].as_f64().unwrap_or(f64::NAN);
    assert!((share("left_hand_share") - 100.0 * 150.0 / 220.0).abs() < 1e-9, "{ergonomics}");
    assert!((share("home_row_share") - 100.0 * 200.0 / 220.0).abs() < 1e-9, "{ergonomics}");
    assert!((share("little_finger_share") - 100.0 * 170.0 / 220.0).abs() < 1e-9, "{ergonomics}");
    // carpalx: A and J cost 0; Backspace is not in its model.
    assert_eq!(share("effort"), 0.0);

    // A layout changes the labels, never a count; an unknown one is refused.
    accounts::save_profile(&s.database, user_id, "Ada", "UTC", 0, "de").await.expect("German layout");
    let german = stats(&s.app, &token, day, day).await;
    assert_eq!(german["keyboard_layout"], "de");
    assert_eq!((&german["keys"], &german["daily"]), (&answer["keys"], &answer["daily"]));
    let refused = accounts::save_profile(&s.database, user_id, "Ada", "UTC", 0, "klingon").await;
    assert!(matches!(refused, Err(keytrack_app::server::error::AppError::BadRequest(_))), "{refused:?}");

    // A rollup stored in the format before active minutes (format 2: no bit list) reads with
    // no breaks, and the start-up upgrade counts the user's days again. (SQLite's: a PostgreSQL
    // database never held that format.)
    let keytrack_app::server::store::Database::Sqlite(pool) = &s.database else { return };
    let stored: Vec<u8> = sqlx::query_scalar("SELECT totals FROM activity_days WHERE user_id = ?")
        .bind(user_id)
        .fetch_one(pool)
        .await
        .expect("rollup");
    let mut totals: keytrack_app::domain::rollup::DayTotals =
        keytrack_app::server::store::days::decode(&stored).expect("decode");
    totals.active.clear();
    let mut old = keytrack_app::server::store::days::encode(&totals).expect("encode");
    assert_eq!(old.pop(), Some(0), "no excluded seconds, 0");
    assert_eq!(old.pop(), Some(0), "an empty application map is its length, 0");
    assert_eq!(old.pop(), Some(0), "an empty pair list is its length, 0");
    assert_eq!(old.pop(), Some(0), "an empty bit list is its length, 0");
    old[0] = 2;
    sqlx::query("UPDATE activity_days SET totals = ? WHERE user_id = ?")
        .bind(&old)
        .bind(user_id)
        .execute(pool)
        .await
        .expect("store the old format");
    let before_upgrade = stats(&s.app, &token, day, day).await;
    assert_eq!(before_upgrade["daily"][0]["breaks"]["work_periods"], 0);
    assert_eq!(before_upgrade["total_keys"], answer["total_keys"]);
    store::sqlite::upgrade::build_missing(pool).await.expect("upgrade");
    assert_eq!(stats(&s.app, &token, day, day).await["daily"], german["daily"]);
}

#[tokio::test]
async fn pointer_detail_is_kept_per_display_and_old_whole_screen_grids_stay_readable() {
    let s = server().await;
    let (user_id, token) = user_with_token(&s.database, "ada@example.com").await;
    let day = "2025-03-10";
    let heatmaps = |token: String| {
        let app = s.app.clone();
        async move {
            let reply =
                call(&app, "GET", &format!("/api/v1/heatmaps?from={day}&to={day}"), Some(&bearer(&token)), None).await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            reply.body
        }
    };
    // 09:00: the laptop alone. 10:00: docked, a laptop (1920x1080, lower left) beside a 2560x1440
    // monitor on a 4480x1440 desktop.
    let laptop = DisplayPlace { desktop_width: 4480, desktop_height: 1440, x: 0, y: 360, width: 1920, height: 1080 };
    let monitor = DisplayPlace { desktop_width: 4480, desktop_height: 1440, x: 1920, y: 0, width: 2560, height: 1440 };
    let mut alone = block(MONDAY_9H, &[("KeyA", 200)]);
    alone.add_screen(DisplayPlace::whole(1920, 1080), &[GridCount(1, 1, 4)], &[GridCount(1, 1, 9)]);
    let mut docked = block(MONDAY_9H + 3600, &[("KeyA", 200)]);
    docked.add_screen(laptop, &[GridCount(2, 2, 1)], &[GridCount(2, 2, 5)]);
    docked.add_screen(monitor, &[GridCount(63, 35, 6)], &[GridCount(0, 0, 20), GridCount(63, 35, 30)]);
    // On the wire the lone screen carries no desktop; the docked displays carry theirs.
    let sent = serde_json::to_value(&docked).expect("encode");
    assert_eq!(sent["screens"][0]["desktop_width"], 4480);
    assert!(serde_json::to_value(&alone).expect("encode")["screens"][0].get("desktop_width").is_none());
    let device = || Device { id: "laptop".into(), name: "Laptop".into() };
    let batch = ActivityBatch::new(device(), vec![minute(MONDAY_9H, 3)], vec![alone, docked.clone()]);
    assert_eq!(post_batch(&s.app, &token, &batch).await.status, StatusCode::OK);

    let maps = heatmaps(token.clone()).await;
    let summary = |maps: &Value| -> Vec<(u64, u64, u64, u64, u64, u64, u64)> {
        maps.as_array()
            .into_iter()
            .flatten()
            .map(|m| {
                let n = |k: &str| m[k].as_u64().unwrap_or(u64::MAX);
                let sum = |k: &str| m[k].as_array().into_iter().flatten().filter_map(Value::as_u64).sum::<u64>();
                (n("desktop_width"), n("x"), n("y"), n("width"), n("height"), sum("clicks"), sum("moves"))
            })
            .collect()
    };
    // The most used first; each display on its own 64x36 grid.
    assert_eq!(
        summary(&maps),
        vec![(4480, 1920, 0, 2560, 1440, 6, 50), (1920, 0, 0, 1920, 1080, 4, 9), (4480, 0, 360, 1920, 1080, 1, 5)]
    );
    assert_eq!(maps[0]["clicks"][35 * 64 + 63], 6);

    // The docked block sent again with other counts (a retry after more use) replaces its copy.
    let mut again = docked;
    again.screens.retain(|screen| screen.place() == monitor);
    again.screens[0].clicks = vec![GridCount(5, 5, 2)];
    let retry = ActivityBatch::new(device(), vec![], vec![again]);
    assert_eq!(post_batch(&s.app, &token, &retry).await.status, StatusCode::OK);
    assert_eq!(
        summary(&heatmaps(token.clone()).await),
        vec![(4480, 1920, 0, 2560, 1440, 2, 50), (1920, 0, 0, 1920, 1080, 4, 9)]
    );

    // A display that does not fit its desktop is refused with the field named, nothing stored.
    let mut off = block(MONDAY_9H + 7200, &[("KeyA", 200)]);
    off.add_screen(DisplayPlace { x: 3000, ..monitor }, &[GridCount(1, 1, 1)], &[]);
    let refused = post_batch(&s.app, &token, &ActivityBatch::new(device(), vec![], vec![off])).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", refused.body);
    assert!(refused.body["message"].as_str().unwrap_or("").contains("does not fit on a 4480x1440 desktop"));

    // Rebuilt from the stored blocks (as a time zone change does), the grids are the same.
    let before = heatmaps(token.clone()).await;
    accounts::save_profile(&s.database, user_id, "Ada", "Europe/Berlin", 0, "us").await.expect("profile");
    accounts::save_profile(&s.database, user_id, "Ada", "UTC", 0, "us").await.expect("profile");
    assert_eq!(heatmaps(token).await, before);
}

#[tokio::test]
async fn applications_and_excluded_time_come_from_blocks_and_the_never_count_list_goes_back_to_agents() {
    let s = server().await;
    let (user_id, token) = user_with_token(&s.database, "ada@example.com").await;
    let usage = |name: &str, keys, clicks, active_seconds| AppUsage { name: name.into(), keys, clicks, active_seconds };
    let mut first = block(MONDAY_9H, &[("KeyA", 150), ("KeyJ", 60)]);
    first.add_app(&usage("code", 150, 4, 900));
    first.add_app(&usage("xterm", 50, 1, 300));
    first.excluded_seconds = 45;
    let mut second = block(MONDAY_9H + 86_400, &[("KeyA", 250)]);
    second.add_app(&usage("xterm", 250, 0, 1_200));
    let device = Device { id: "laptop".into(), name: "Laptop".into() };
    let minutes = vec![minute(MONDAY_9H, 210), minute(MONDAY_9H + 86_400, 250)];
    let batch = ActivityBatch::new(device.clone(), minutes, vec![first.clone(), second]);
    let reply = post_batch(&s.app, &token, &batch).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["never_count"], json!([]), "the receipt carries the profile's list");

    let answer = stats(&s.app, &token, "2025-03-10", "2025-03-11").await;
    assert_eq!(
        answer["applications"],
        json!([
            { "name": "xterm", "keys": 300, "clicks": 1, "active_seconds": 1_500, "daily": [300, 1_200] },
            { "name": "code", "keys": 150, "clicks": 4, "active_seconds": 900, "daily": [900, 0] },
        ])
    );
    assert_eq!(answer["excluded_seconds"], 45);

    // The same block sent again without an application: the day follows, exactly.
    let mut resent = first.clone();
    resent.apps.retain(|a| a.name != "code");
    resent.excluded_seconds = 0;
    let reply = post_batch(&s.app, &token, &ActivityBatch::new(device.clone(), vec![], vec![resent])).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let answer = stats(&s.app, &token, "2025-03-10", "2025-03-10").await;
    assert_eq!(
        answer["applications"],
        json!([{ "name": "xterm", "keys": 50, "clicks": 1, "active_seconds": 300, "daily": [300] }])
    );
    assert_eq!(answer["excluded_seconds"], 0);
    let before_rebuild = stats(&s.app, &token, "2025-03-10", "2025-03-11").await;
    // A time zone there and back sums the days again from the records and blocks.
    accounts::save_profile(&s.database, user_id, "", "Pacific/Auckland", 0, "us").await.expect("profile");
    accounts::save_profile(&s.database, user_id, "", "UTC", 0, "us").await.expect("profile");
    assert_eq!(stats(&s.app, &token, "2025-03-10", "2025-03-11").await, before_rebuild, "rollups equal a rebuild");

    // Application names are programs written one way; a block naming anything else is refused whole.
    let mut bad = block(MONDAY_9H + 7_200, &[("KeyA", 200)]);
    bad.add_app(&usage("Mozilla Firefox — Inbox (3)", 10, 0, 10));
    let reply = post_batch(&s.app, &token, &ActivityBatch::new(device.clone(), vec![], vec![bad])).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.body["code"], "invalid_activity");
    assert!(reply.body["message"].as_str().unwrap_or_default().contains("apps[0].name"), "{}", reply.body);

    // The profile's list: kept once, sorted, in the account and in every receipt from now on.
    for name in ["Signal", "keepassxc", "signal"] {
        accounts::change_never_count(&s.database, user_id, name, true).await.expect("add");
    }
    // A full list refuses a new name, not one it holds.
    for i in 0..98 {
        accounts::change_never_count(&s.database, user_id, &format!("app{i:02}"), true).await.expect("fill");
    }
    accounts::change_never_count(&s.database, user_id, "signal", true).await.expect("already listed");
    let full = accounts::change_never_count(&s.database, user_id, "one-more", true).await;
    assert!(matches!(full, Err(keytrack_app::server::error::AppError::BadRequest(_))), "{full:?}");
    for i in 0..98 {
        accounts::change_never_count(&s.database, user_id, &format!("app{i:02}"), false).await.expect("empty");
    }
    let refused = accounts::change_never_count(&s.database, user_id, "—", true).await;
    assert!(matches!(refused, Err(keytrack_app::server::error::AppError::BadRequest(_))), "{refused:?}");
    let me = call(&s.app, "GET", "/api/v1/me", Some(&bearer(&token)), None).await;
    assert_eq!(me.body["never_count"], json!(["keepassxc", "signal"]));
    let reply =
        post_batch(&s.app, &token, &ActivityBatch::new(device.clone(), vec![minute(MONDAY_9H, 210)], vec![])).await;
    assert_eq!(reply.body["never_count"], json!(["keepassxc", "signal"]));
    accounts::change_never_count(&s.database, user_id, "keepassxc", false).await.expect("remove");
    let me = call(&s.app, "GET", "/api/v1/me", Some(&bearer(&token)), None).await;
    assert_eq!(me.body["never_count"], json!(["signal"]));
}
