//! Your data out and gone, through the real router on real SQLite files: CSV files that add up to
//! the statistics of the same range, a JSON export that the real `keytrack import` loads into
//! another server with identical statistics, deletions after which the statistics equal those of a
//! server that never received what was deleted, retention that keeps the day figures, and no route
//! that reads or deletes another user's data.

mod common;

use common::*;
use http::StatusCode;
use keytrack_app::domain::time::UserClock;
use keytrack_app::server::services::accounts;
use keytrack_app::server::services::data;
use keytrack_app::server::services::teams;
use keytrack_app::server::store;
use keytrack_synth::{SyntheticDay, SyntheticPerson, uploads};
use keytrack_wire::data::AccountExport;
use keytrack_wire::{ActivityBatch, Device};
use leptos::server_fn::ServerFn;
use serde_json::Value;

const ZONE: &str = "Europe/Paris";
const DAYS: i64 = 12;

fn now() -> i64 {
    keytrack_app::server::now()
}

/// `days` days of a synthetic person on one device.
/// `days` days of synthetic activity ending at 21:00 UTC before the last UTC midnight (22:00 or
/// 23:00 in Paris): whole days whatever the time the tests run. Ending now, a run just after
/// midnight in Paris had a last day with nothing in it (and those minutes belong to the previous
/// day of a user whose day starts at 04:00).
fn person(seed: u64, days: i64) -> Vec<SyntheticDay> {
    let now = now();
    let end = now - now.rem_euclid(86_400) - 3 * 3_600;
    SyntheticPerson::new(ZONE, days, end, seed).expect("person").collect()
}

fn device(id: &str, name: &str) -> Device {
    Device { id: id.into(), name: name.into() }
}

async fn upload_all(server: &TestServer, token: &str, batches: &[ActivityBatch]) {
    for batch in batches {
        let reply = post_batch(&server.app, token, batch).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    }
}

/// A user in Paris whose day starts at 04:00, with a token.
async fn paris_user(server: &TestServer, email: &str) -> (i64, String) {
    let (id, token) = user_with_token(&server.database, email).await;
    accounts::save_profile(&server.database, id, "Tester", ZONE, 4, "us").await.expect("profile");
    (id, token)
}

async fn get_text(server: &TestServer, uri: &str, token: &str) -> (StatusCode, http::HeaderMap, String) {
    let (status, headers, bytes) = get_bytes(server, uri, token).await;
    (status, headers, String::from_utf8(bytes).expect("utf-8"))
}

/// A GET with the token, its body whole.
async fn get_bytes(server: &TestServer, uri: &str, token: &str) -> (StatusCode, http::HeaderMap, Vec<u8>) {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let request = http::Request::builder()
        .uri(uri)
        .header(http::header::HOST, HOST)
        .header(http::header::AUTHORIZATION, bearer(token))
        .body(axum::body::Body::empty())
        .expect("request");
    let response = server.app.clone().oneshot(request).await.expect("response");
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.into_body().collect().await.expect("body").to_bytes().to_vec())
}

/// The rows of a CSV file as RFC 4180 reads them (quoted cells, doubled quotes), `#` lines skipped;
/// the header row first.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let (mut cells, mut cell, mut quoted, mut chars) = (Vec::new(), String::new(), false, line.chars().peekable());
        while let Some(c) = chars.next() {
            match (c, quoted) {
                ('"', true) if chars.peek() == Some(&'"') => {
                    cell.push('"');
                    chars.next();
                }
                ('"', _) => quoted = !quoted,
                (',', false) => cells.push(std::mem::take(&mut cell)),
                (c, _) => cell.push(c),
            }
        }
        cells.push(cell);
        rows.push(cells);
    }
    rows
}

/// The sum of a column, by its header name.
fn column_sum(rows: &[Vec<String>], name: &str) -> u64 {
    let index = rows[0].iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}: {:?}", rows[0]));
    rows[1..].iter().map(|r| r[index].parse::<u64>().unwrap_or_else(|_| panic!("{name}: {:?}", r))).sum()
}

fn range_of(days: &[SyntheticDay]) -> (String, String) {
    (days[0].day.to_string(), days[days.len() - 1].day.to_string())
}

#[tokio::test]
async fn csv_files_add_up_to_the_statistics_of_the_same_range() {
    let server = server().await;
    let (_, token) = paris_user(&server, "csv@example.com").await;
    let laptop = person(1, DAYS);
    let desk = person(2, DAYS);
    upload_all(&server, &token, &uploads(&device("laptop", "Laptop"), laptop.clone(), 300, usize::MAX)).await;
    upload_all(&server, &token, &uploads(&device("desk", "Desk, office"), desk, 300, usize::MAX)).await;
    let (from, to) = range_of(&laptop);
    let stats = stats(&server.app, &token, &from, &to).await;
    let total = |name: &str| stats[name].as_u64().expect(name);
    assert!(total("total_keys") > 10_000, "the synthetic person types: {}", stats["total_keys"]);

    let export = |kind: &str| format!("/api/v1/export.csv?kind={kind}&from={from}&to={to}");
    let (status, headers, day_csv) = get_text(&server, &export("day"), &token).await;
    assert_eq!(status, StatusCode::OK, "{day_csv}");
    assert_eq!(headers[http::header::CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(
        headers[http::header::CONTENT_DISPOSITION],
        format!("attachment; filename=\"keytrack-day-{from}-to-{to}.csv\"").as_str()
    );
    assert!(day_csv.starts_with("# KeyTrack export"), "{day_csv}");
    assert!(day_csv.lines().next().is_some_and(|l| l.contains("Europe/Paris") && l.contains("04:00")), "{day_csv}");
    let days = parse_csv(&day_csv);
    assert_eq!(days.len() as i64, DAYS + 1, "a row a day, quiet days included, after the header");
    assert_eq!(column_sum(&days, "key_presses"), total("total_keys"));
    assert_eq!(column_sum(&days, "clicks"), total("total_clicks"));
    assert_eq!(column_sum(&days, "active_seconds"), total("active_seconds"));
    assert_eq!(column_sum(&days, "active_minutes"), total("active_minutes"));
    let buttons: u64 =
        ["left_clicks", "right_clicks", "middle_clicks", "other_clicks"].iter().map(|c| column_sum(&days, c)).sum();
    assert_eq!(buttons, total("total_clicks"));

    let hours = parse_csv(&get_text(&server, &export("hour"), &token).await.2);
    assert_eq!(hours.len() as i64, DAYS * 24 + 1);
    assert_eq!(column_sum(&hours, "key_presses"), total("total_keys"));
    assert_eq!(column_sum(&hours, "clicks"), total("total_clicks"));
    assert_eq!(column_sum(&hours, "active_seconds"), total("active_seconds"));

    let keys = parse_csv(&get_text(&server, &export("key"), &token).await.2);
    let key_sum: u64 = stats["keys"].as_object().expect("keys").values().map(|n| n.as_u64().unwrap_or(0)).sum();
    assert_eq!(column_sum(&keys, "presses"), key_sum);
    // Named as printed, with the code beside it: key, code, presses, percent.
    assert_eq!(keys[0], ["key", "code", "presses", "percent"]);
    assert!(keys[1][2].parse::<u64>().expect("count") >= keys[2][2].parse::<u64>().expect("count"), "most first");
    assert!(keys[1..].iter().all(|row| stats["keys"].get(&row[1]).is_some()), "every code is one the API answers");
    let shortcuts = parse_csv(&get_text(&server, &export("shortcut"), &token).await.2);
    let combo_sum: u64 = stats["combos"].as_object().expect("combos").values().map(|n| n.as_u64().unwrap_or(0)).sum();
    assert_eq!(column_sum(&shortcuts, "presses"), combo_sum);

    // The synthetic person works in six applications: all of them are in the figures too.
    let apps = parse_csv(&get_text(&server, &export("application"), &token).await.2);
    assert_eq!(apps[0], ["application", "active_seconds", "key_presses", "clicks", "percent_of_time"]);
    let shown = stats["applications"].as_array().expect("applications");
    assert_eq!(shown.len(), 6, "{shown:?}");
    assert_eq!(apps.len(), shown.len() + 1);
    for (row, app) in apps[1..].iter().zip(shown) {
        assert_eq!(
            (row[0].as_str(), row[2].parse::<u64>().ok()),
            (app["name"].as_str().unwrap_or(""), app["keys"].as_u64())
        );
    }
    assert_eq!(
        column_sum(&apps, "active_seconds"),
        shown.iter().map(|a| a["active_seconds"].as_u64().unwrap_or(0)).sum::<u64>()
    );

    let minutes = parse_csv(&get_text(&server, &export("minute"), &token).await.2);
    assert_eq!(column_sum(&minutes, "key_presses"), total("total_keys"));
    assert_eq!(column_sum(&minutes, "clicks"), total("total_clicks"));
    assert!(minutes[1..].iter().any(|r| r[3] == "Desk, office"), "a name with a comma comes back whole");
    assert!(minutes[1][0].ends_with("+01:00") || minutes[1][0].ends_with("+02:00"), "local time: {:?}", minutes[1]);
    // Rows of many pages of the stream (a page is 24 hours of records, `store::data::minute_totals_page`):
    // the pages join without a gap or a repeat.
    let unique: std::collections::HashSet<(&str, &str)> =
        minutes[1..].iter().map(|r| (r[1].as_str(), r[3].as_str())).collect();
    let times: Vec<i64> = minutes[1..].iter().map(|r| r[1].parse().expect("unix_time")).collect();
    let span_days = (times.iter().max().expect("rows") - times.iter().min().expect("rows")) / 86_400;
    assert!(span_days >= 5, "rows of {span_days} days, five pages or more: {} rows", minutes.len());
    assert_eq!(unique.len(), minutes.len() - 1);

    // The dashboard's presets work the same way.
    let (status, _, _) = get_text(&server, "/api/v1/export.csv?range=30d", &token).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn text_a_spreadsheet_would_run_is_defused_in_csv_files() {
    let server = server().await;
    let (_, token) = paris_user(&server, "formula@example.com").await;
    let day = person(3, 1);
    upload_all(&server, &token, &uploads(&device("evil", "=HYPERLINK(\"http://x\",\"y\")"), day.clone(), 300, 50))
        .await;
    let (from, to) = range_of(&day);
    let (_, _, text) = get_text(&server, &format!("/api/v1/export.csv?kind=minute&from={from}&to={to}"), &token).await;
    assert!(text.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","), "{text}");
    assert!(!text.contains(",=HYPERLINK"), "{text}");
}

#[tokio::test]
async fn bad_kinds_and_ranges_are_clear_4xx_errors() {
    let server = server().await;
    let (_, token) = paris_user(&server, "bad@example.com").await;
    for (uri, status) in [
        ("/api/v1/export.csv?kind=everything", StatusCode::BAD_REQUEST),
        ("/api/v1/export.csv?from=2026-13-01", StatusCode::BAD_REQUEST),
        ("/api/v1/export.csv?from=2026-02-01&to=2026-01-01", StatusCode::BAD_REQUEST),
        ("/api/v1/export.csv?range=forever", StatusCode::BAD_REQUEST),
        ("/api/v1/teams/1/export.csv", StatusCode::NOT_FOUND),
        ("/api/v1/teams/x/export.csv", StatusCode::NOT_FOUND),
    ] {
        let reply = call(&server.app, "GET", uri, Some(&bearer(&token)), None).await;
        assert_eq!(reply.status, status, "{uri}: {}", reply.body);
        assert!(reply.body["code"].is_string() && reply.body["message"].is_string(), "{uri}: {}", reply.body);
    }
    for (method, uri) in [
        ("DELETE", "/api/v1/activity"),
        ("DELETE", "/api/v1/activity?from=2026-01-02&to=2026-01-01"),
        ("DELETE", "/api/v1/activity?from=yesterday&to=2026-01-01"),
    ] {
        let reply = call(&server.app, method, uri, Some(&bearer(&token)), None).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}: {}", reply.body);
    }
    for uri in ["/api/v1/export.csv", "/api/v1/export.json", "/api/v1/devices"] {
        let reply = call(&server.app, "GET", uri, None, None).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{uri}");
    }
    let reply = call(&server.app, "DELETE", "/api/v1/me", Some(&bearer(&token)), Some(b"{\"pass\":1}".to_vec())).await;
    assert_eq!(reply.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", reply.body);
}

/// What a user's dashboards show: statistics over the range and the click and movement heatmaps.
async fn everything(server: &TestServer, token: &str, from: &str, to: &str) -> (Value, Value) {
    let stats = stats(&server.app, token, from, to).await;
    let me = call(&server.app, "GET", "/api/v1/me", Some(&bearer(token)), None).await;
    let user = store::users::by_email(&server.database, me.body["email"].as_str().expect("email"))
        .await
        .expect("query")
        .expect("user");
    let day = |d: &str| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("day");
    let maps = keytrack_app::server::services::stats::range_heatmaps(&server.database, user.id, day(from), day(to))
        .await
        .expect("heatmaps");
    (stats, serde_json::to_value(maps).expect("json"))
}

#[tokio::test]
async fn after_deleting_days_the_figures_are_those_of_a_server_that_never_had_them() {
    let (with, without) = (server().await, server().await);
    let (_, token_with) = paris_user(&with, "range@example.com").await;
    let (_, token_without) = paris_user(&without, "range@example.com").await;
    let days = person(4, DAYS);
    let (first, last) = range_of(&days);
    let (cut_from, cut_to) = (days[4].day, days[6].day);
    let clock = UserClock::new(ZONE, 4).expect("clock");
    let kept = |at: i64| {
        let day = clock.day_and_hour(at).0;
        day < cut_from || day > cut_to
    };
    let laptop = device("laptop", "Laptop");
    let all = uploads(&laptop, days.clone(), 300, usize::MAX);
    upload_all(&with, &token_with, &all).await;
    let mut never: Vec<ActivityBatch> = Vec::new();
    for batch in &all {
        let minutes: Vec<_> = batch.minutes.iter().filter(|m| kept(m.minute)).cloned().collect();
        let blocks: Vec<_> = batch.blocks.iter().filter(|b| kept((b.end - 60).max(b.start))).cloned().collect();
        if !minutes.is_empty() || !blocks.is_empty() {
            never.push(ActivityBatch::new(laptop.clone(), minutes, blocks));
        }
    }
    upload_all(&without, &token_without, &never).await;
    assert_ne!(
        everything(&with, &token_with, &first, &last).await,
        everything(&without, &token_without, &first, &last).await
    );

    let uri = format!("/api/v1/activity?from={cut_from}&to={cut_to}");
    let reply = call(&with.app, "DELETE", &uri, Some(&bearer(&token_with)), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert!(reply.body["minutes"].as_u64().unwrap_or(0) > 100, "{}", reply.body);
    assert!(reply.body["days"].as_u64().unwrap_or(0) >= 2, "{}", reply.body);
    assert_eq!(
        everything(&with, &token_with, &first, &last).await,
        everything(&without, &token_without, &first, &last).await
    );
    // Deleting the same days again finds nothing.
    let reply = call(&with.app, "DELETE", &uri, Some(&bearer(&token_with)), None).await;
    assert_eq!(reply.body, serde_json::json!({"minutes": 0, "blocks": 0, "days": 0, "tokens_revoked": 0}));
}

#[tokio::test]
async fn after_deleting_a_device_the_figures_are_those_of_the_other_device_alone() {
    let (with, without) = (server().await, server().await);
    let (_, token_with) = paris_user(&with, "device@example.com").await;
    let (_, token_without) = paris_user(&without, "device@example.com").await;
    let laptop = uploads(&device("laptop", "Laptop"), person(5, 5), 300, usize::MAX);
    // The same person's desk computer in the same minutes: presence counts each minute once.
    let desk = uploads(&device("desk", "Desk"), person(5, 5), 300, usize::MAX);
    upload_all(&with, &token_with, &laptop).await;
    upload_all(&with, &token_with, &desk).await;
    upload_all(&without, &token_without, &desk).await;
    let days = person(5, 5);
    let (first, last) = range_of(&days);

    let listed = call(&with.app, "GET", "/api/v1/devices", Some(&bearer(&token_with)), None).await;
    let list = listed.body.as_array().expect("devices").clone();
    assert_eq!(list.len(), 2, "{}", listed.body);
    let laptop_id = list.iter().find(|d| d["name"] == "Laptop").expect("laptop")["id"].as_i64().expect("id");
    let reply =
        call(&with.app, "DELETE", &format!("/api/v1/devices/{laptop_id}"), Some(&bearer(&token_with)), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // Removing a device revokes the token it uploads with: here both devices' token.
    assert_eq!(reply.body["tokens_revoked"], 1);
    let refused = call(&with.app, "GET", "/api/v1/devices", Some(&bearer(&token_with)), None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    let user = store::users::by_email(&with.database, "device@example.com").await.expect("query").expect("user").id;
    let reader = accounts::create_token(&with.database, user, "reader").await.expect("token").1;
    assert_eq!(
        everything(&with, &reader, &first, &last).await,
        everything(&without, &token_without, &first, &last).await
    );
    let listed = call(&with.app, "GET", "/api/v1/devices", Some(&bearer(&reader)), None).await;
    assert_eq!(listed.body.as_array().map(Vec::len), Some(1));
    let again = call(&with.app, "DELETE", &format!("/api/v1/devices/{laptop_id}"), Some(&bearer(&reader)), None).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

/// A computer whose agent reads the kernel's input devices (Wayland) knows no pointer positions:
/// the dashboard's heatmaps name it, once it was heard from in the range, instead of leaving its
/// clicks unexplained; computers that say nothing of their capture, or an odd one, are not named.
#[tokio::test]
async fn a_computer_without_pointer_positions_is_named_beside_the_heatmaps() {
    let server = server().await;
    let (user, laptop_token) = paris_user(&server, "wayland@example.com").await;
    let desk_token = accounts::create_token(&server.database, user, "desk").await.expect("token").1;
    let now = now();
    let batch = |id: &str, name: &str| {
        ActivityBatch::new(device(id, name), vec![minute(now - now.rem_euclid(60) - 60, 30)], Vec::new())
    };
    let agent = ("user-agent", "keytrack-agent/0.2.0 (linux x86_64)");
    let evdev = [agent, (keytrack_wire::data::CAPTURE_HEADER, "evdev")];
    let reply = post_batch_with(&server.app, &laptop_token, &evdev, &batch("laptop-1", "Laptop")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let odd = [agent, (keytrack_wire::data::CAPTURE_HEADER, "EVDEV; x")];
    let reply = post_batch_with(&server.app, &desk_token, &odd, &batch("desk-1", "Desk")).await;
    assert_eq!(reply.status, StatusCode::OK, "an odd capture is ignored, the upload kept: {}", reply.body);
    // A script's upload without the header keeps what the agent said.
    let reply = post_batch(&server.app, &laptop_token, &batch("laptop-1", "Laptop")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let cookie = session_cookie(&log_in(&server, "wayland@example.com", PASSWORD).await);
    let maps = |range: &'static str| {
        let cookie = cookie.clone();
        let app = server.app.clone();
        async move {
            let reply = call_server_fn(
                &app,
                keytrack_app::api::DashboardHeatmaps::PATH,
                Some(&cookie),
                &format!("range={range}"),
            )
            .await;
            assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
            reply.body
        }
    };
    let week = maps("7d").await;
    assert_eq!(week["without_positions"], serde_json::json!(["Laptop"]), "{week}");
    assert_eq!(week["screens"], serde_json::json!([]), "{week}");
    // Heard from before the range: not named.
    execute(&server.database, "UPDATE devices SET last_seen = last_seen - 40 * 86400").await;
    let later = maps("7d").await;
    assert_eq!(later["without_positions"], serde_json::json!([]), "{later}");
    assert_eq!(number(&server.database, "SELECT count(*) FROM devices WHERE capture = 'evdev'").await, 1);
    // The devices list says it too.
    let listed = devices_by_name(&server, &laptop_token).await;
    assert_eq!((listed["Laptop"]["capture"].as_str(), listed["Desk"]["capture"].as_str()), (Some("evdev"), Some("")));
    assert_eq!(number(&server.database, "SELECT count(*) FROM devices WHERE capture = ''").await, 1);
}

/// The device list as the API gives it, by name.
async fn devices_by_name(server: &TestServer, token: &str) -> std::collections::HashMap<String, Value> {
    let listed = call(&server.app, "GET", "/api/v1/devices", Some(&bearer(token)), None).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    listed
        .body
        .as_array()
        .expect("devices")
        .iter()
        .map(|d| (d["name"].as_str().expect("name").to_string(), d.clone()))
        .collect()
}

#[tokio::test]
async fn each_device_shows_its_agent_today_and_token_and_is_renamed_or_removed_with_or_without_its_data() {
    let server = server().await;
    let (user, laptop_token) = paris_user(&server, "computers@example.com").await;
    let desk_token = accounts::create_token(&server.database, user, "desk token").await.expect("token").1;
    let clock = UserClock::new(ZONE, 4).expect("clock");
    let now = now();
    let this_minute = now - now.rem_euclid(60);
    let today_start = clock.range(clock.today(now), clock.today(now)).0;
    // Two minutes just now, and one yesterday: only today's count as today.
    let minutes = [(this_minute - 60, 40), (this_minute - 120, 25), (today_start - 3_600, 1_000)];
    let batch = |id: &str, name: &str| ActivityBatch {
        device: device(id, name),
        minutes: minutes.iter().map(|(at, presses)| minute(*at, *presses)).collect(),
        ..ActivityBatch::new(device(id, name), Vec::new(), Vec::new())
    };
    let (from, to) = ((clock.today(now) - chrono::Days::new(3)).to_string(), clock.today(now).to_string());
    let today_keys: u64 = minutes.iter().filter(|(at, _)| *at >= today_start).map(|(_, n)| *n as u64).sum();
    let today_minutes = minutes.iter().filter(|(at, _)| *at >= today_start).count() as u64;

    let laptop_agent = "keytrack-agent/0.1.0 (linux x86_64)";
    let reply = post_batch_as(&server.app, &laptop_token, laptop_agent, &batch("laptop-1", "Laptop")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // A script's upload names no agent: the desk shows none, and keeps what an agent said before.
    let reply =
        post_batch_as(&server.app, &desk_token, "keytrack-agent/0.0.9 (windows x86_64)", &batch("desk-1", "Desk"))
            .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = post_batch_as(&server.app, &desk_token, "curl/8.5.0", &batch("desk-1", "Desk")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    let listed = devices_by_name(&server, &laptop_token).await;
    let laptop = &listed["Laptop"];
    assert_eq!(laptop["platform"], "linux x86_64");
    assert_eq!(laptop["agent_version"], "0.1.0");
    assert_eq!(laptop["today"]["keys"], today_keys);
    assert_eq!(laptop["today"]["clicks"], 0);
    assert_eq!(laptop["today"]["active_minutes"], today_minutes);
    assert_eq!(laptop["minutes"], 3);
    assert_eq!(laptop["token"]["name"], "test agent");
    assert_eq!(laptop["token"]["revoked"], false);
    assert_eq!(laptop["token"]["shared_with"], 0);
    assert_eq!(laptop["renamed"], false);
    let desk = &listed["Desk"];
    assert_eq!((desk["platform"].as_str(), desk["agent_version"].as_str()), (Some("windows x86_64"), Some("0.0.9")));
    assert_eq!(desk["token"]["name"], "desk token");

    // Renamed on the server, the agent's name no longer changes it; bad names are refused.
    let desk_id = desk["id"].as_i64().expect("id");
    let (rename_uri, auth) = (format!("/api/v1/devices/{desk_id}"), bearer(&laptop_token));
    let rename = |name: Value| {
        let body = serde_json::to_vec(&serde_json::json!({ "name": name })).expect("json");
        call(&server.app, "PATCH", &rename_uri, Some(&auth), Some(body))
    };
    assert_eq!(rename("Office desk".into()).await.status, StatusCode::NO_CONTENT);
    for bad in
        [Value::from(""), Value::from("   "), Value::from("x".repeat(101)), Value::from("a\u{7}b"), Value::from(5)]
    {
        let reply = rename(bad.clone()).await;
        assert!(reply.status.is_client_error(), "{bad}: {}", reply.status);
        assert!(reply.body["code"].is_string() && reply.body["message"].is_string(), "{}", reply.body);
    }
    let reply = post_batch_as(&server.app, &desk_token, laptop_agent, &batch("desk-1", "Desk")).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let listed = devices_by_name(&server, &laptop_token).await;
    assert!(!listed.contains_key("Desk"), "{listed:?}");
    assert_eq!(listed["Office desk"]["renamed"], true);
    assert_eq!(listed["Office desk"]["platform"], "linux x86_64", "what the agent says still updates");

    // Removed with its data kept: its token is revoked, its figures stay, it stays listed.
    let before = stats(&server.app, &laptop_token, &from, &to).await;
    let reply = call(
        &server.app,
        "DELETE",
        &format!("/api/v1/devices/{desk_id}?keep_data=true"),
        Some(&bearer(&laptop_token)),
        None,
    )
    .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body, serde_json::json!({"minutes": 0, "blocks": 0, "days": 0, "tokens_revoked": 1}));
    assert_eq!(post_batch(&server.app, &desk_token, &batch("desk-1", "Desk")).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(stats(&server.app, &laptop_token, &from, &to).await, before);
    let listed = devices_by_name(&server, &laptop_token).await;
    assert_eq!(listed["Office desk"]["token"]["revoked"], true);
    assert_eq!(listed["Office desk"]["minutes"], 3);

    // Then removed with its data: its records go and the figures are the laptop's alone.
    let reply =
        call(&server.app, "DELETE", &format!("/api/v1/devices/{desk_id}"), Some(&bearer(&laptop_token)), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.body["minutes"], 3);
    assert_eq!(reply.body["tokens_revoked"], 0, "revoked already");
    let listed = devices_by_name(&server, &laptop_token).await;
    assert_eq!(listed.keys().collect::<Vec<_>>(), vec!["Laptop"]);
    let after = stats(&server.app, &laptop_token, &from, &to).await;
    assert_eq!(after["total_keys"], 1_065);

    // A wrong keep_data or id, or another user's device, is a 4xx and changes nothing.
    let laptop_id = listed["Laptop"]["id"].as_i64().expect("id");
    for uri in [
        format!("/api/v1/devices/{laptop_id}?keep_data=maybe"),
        "/api/v1/devices/abc".into(),
        "/api/v1/devices/99999".into(),
    ] {
        let reply = call(&server.app, "DELETE", &uri, Some(&bearer(&laptop_token)), None).await;
        assert!(reply.status.is_client_error(), "{uri}: {}", reply.status);
    }
    let (_, other) = paris_user(&server, "someone-else@example.com").await;
    let reply = call(&server.app, "DELETE", &format!("/api/v1/devices/{laptop_id}"), Some(&bearer(&other)), None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let body = serde_json::to_vec(&serde_json::json!({ "name": "mine now" })).expect("json");
    let reply =
        call(&server.app, "PATCH", &format!("/api/v1/devices/{laptop_id}"), Some(&bearer(&other)), Some(body)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert_eq!(devices_by_name(&server, &laptop_token).await["Laptop"]["token"]["revoked"], false);
}

#[tokio::test]
async fn no_route_reads_or_deletes_another_users_data() {
    let server = server().await;
    let (alice, alice_token) = paris_user(&server, "alice@example.com").await;
    let (_, bob_token) = paris_user(&server, "bob@example.com").await;
    let days = person(6, 3);
    upload_all(
        &server,
        &alice_token,
        &uploads(&device("alices-laptop", "Alice's laptop"), days.clone(), 300, usize::MAX),
    )
    .await;
    let (first, last) = range_of(&days);
    let before = stats(&server.app, &alice_token, &first, &last).await;
    let team = teams::create(&server.database, alice, "Alice's team").await.expect("team");
    let alice_device = data::devices(&server.database, alice).await.expect("devices")[0].id;

    let bob = |method: &'static str, uri: String| {
        let (app, token) = (server.app.clone(), bob_token.clone());
        async move { call(&app, method, &uri, Some(&bearer(&token)), None).await }
    };
    assert_eq!(bob("DELETE", format!("/api/v1/devices/{alice_device}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(bob("GET", format!("/api/v1/teams/{team}/export.csv")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(bob("DELETE", format!("/api/v1/activity?from={first}&to={last}")).await.status, StatusCode::OK);
    assert_eq!(bob("GET", "/api/v1/devices".into()).await.body, serde_json::json!([]));
    let (_, _, bobs_minutes) =
        get_text(&server, &format!("/api/v1/export.csv?kind=minute&from={first}&to={last}"), &bob_token).await;
    assert!(!bobs_minutes.contains("Alice"), "{bobs_minutes}");
    assert_eq!(parse_csv(&bobs_minutes).len(), 1, "the header only");
    let (_, _, bobs_json) = get_text(&server, "/api/v1/export.json", &bob_token).await;
    let bobs: AccountExport = serde_json::from_str(&bobs_json).expect("export");
    assert_eq!(bobs.account.email, "bob@example.com");
    assert!(bobs.devices.is_empty() && bobs.teams.is_empty());
    assert_eq!(stats(&server.app, &alice_token, &first, &last).await, before, "Alice's figures are untouched");
}

#[tokio::test]
async fn deleting_the_account_needs_its_password_and_another_owner_for_a_shared_team() {
    let server = server().await;
    let (alice, alice_token) = paris_user(&server, "leaving@example.com").await;
    let (bob, bob_token) = paris_user(&server, "staying@example.com").await;
    upload_all(&server, &alice_token, &uploads(&device("laptop", "Laptop"), person(7, 2), 300, usize::MAX)).await;
    let team = teams::create(&server.database, alice, "Shared").await.expect("team");
    let invite = teams::create_invite(&server.database, team, alice, 7, false).await.expect("invite");
    teams::join(&server.database, bob, &invite.code, true).await.expect("join");
    let lonely = teams::create(&server.database, alice, "Alone").await.expect("team");

    let delete = |password: &str| {
        let body = serde_json::to_vec(&serde_json::json!({ "password": password })).expect("json");
        let (app, token) = (server.app.clone(), alice_token.clone());
        async move { call(&app, "DELETE", "/api/v1/me", Some(&bearer(&token)), Some(body)).await }
    };
    let wrong = delete("not my password").await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{}", wrong.body);
    let owner = delete(PASSWORD).await;
    assert_eq!(owner.status, StatusCode::CONFLICT, "{}", owner.body);
    assert!(owner.body["message"].as_str().unwrap_or_default().contains("Shared"), "{}", owner.body);
    teams::set_role(&server.database, team, alice, bob, "owner").await.expect("make Bob owner");
    let gone = delete(PASSWORD).await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.body);

    assert_eq!(
        call(&server.app, "GET", "/api/v1/me", Some(&bearer(&alice_token)), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    for table in ["activity_hours", "activity_blocks", "activity_days", "devices", "api_tokens", "team_members"] {
        let left = number(&server.database, &format!("SELECT count(*) FROM {table} WHERE user_id = {alice}")).await;
        assert_eq!(left, 0, "{table} still holds the deleted account's rows");
    }
    assert!(store::teams::name(&server.database, lonely).await.expect("name").is_none(), "a team left empty goes");
    assert_eq!(store::teams::name(&server.database, team).await.expect("name").as_deref(), Some("Shared"));
    // A new account never takes the deleted one's id (an old session cookie names it).
    let (newcomer, _) = paris_user(&server, "newcomer@example.com").await;
    assert!(newcomer > bob && newcomer != alice);
    assert_eq!(call(&server.app, "GET", "/api/v1/me", Some(&bearer(&bob_token)), None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_json_export_loads_into_another_server_with_identical_figures() {
    let source = server().await;
    let (_, token) = paris_user(&source, "mover@example.com").await;
    let days = person(8, 30);
    upload_all(&source, &token, &uploads(&device("laptop", "Laptop"), days.clone(), 300, usize::MAX)).await;
    upload_all(&source, &token, &uploads(&device("desk", "Desk"), person(9, 4), 300, usize::MAX)).await;
    let (first, last) = range_of(&days);
    let (status, headers, json) = get_text(&source, "/api/v1/export.json", &token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers[http::header::CONTENT_DISPOSITION].to_str().unwrap_or_default().contains("keytrack-export-"));
    let export: AccountExport = serde_json::from_str(&json).expect("the export parses");
    assert_eq!(export.account.timezone, ZONE);
    assert_eq!(export.devices.len(), 2);
    assert!(export.devices.iter().any(|d| d.minutes.len() > 2_000), "more than one page of minute records");
    assert!(export.devices.iter().any(|d| d.blocks.len() > 50), "more than one page of blocks");
    assert_eq!(export.tokens.len(), 1);
    assert!(!json.contains(&token), "the token itself is never exported");

    // The real CLI loads it into a new data dir, making the account with the export's profile.
    let target = tempfile::tempdir().expect("dir");
    let file = target.path().join("export.json");
    std::fs::write(&file, &json).expect("write");
    let data_dir = target.path().join("data");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_keytrack"))
        .args(["import", file.to_str().expect("path"), "--data-dir", data_dir.to_str().expect("path")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(format!("{PASSWORD}\n").as_bytes())?;
            child.wait_with_output()
        })
        .expect("keytrack import");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("loaded 2 devices"));

    let pool = store::sqlite::open(&data_dir).await.expect("open");
    let user = store::users::by_email(&pool, "mover@example.com").await.expect("query").expect("imported user");
    assert_eq!((user.timezone.as_str(), user.day_start_hour), (ZONE, 4));
    let (_, new_token) =
        accounts::create_token(&keytrack_app::server::store::Database::Sqlite(pool.clone()), user.id, "after the move")
            .await
            .expect("token");
    let dir = tempfile::tempdir().expect("dir");
    let moved = server_on(pool, dir).await;
    assert_eq!(everything(&moved, &new_token, &first, &last).await, everything(&source, &token, &first, &last).await);
    let (_, _, again) = get_text(&moved, "/api/v1/export.json", &new_token).await;
    let again: AccountExport = serde_json::from_str(&again).expect("parses");
    assert_eq!(again.devices, export.devices, "every record comes back as it went");
}

/// Issue 42: an export is checked as uploads are, before anything of it is stored: a forged speed
/// or impossible device dates refuse the whole file.
#[tokio::test]
async fn an_export_with_forged_records_is_refused_whole() {
    let source = server().await;
    let (_, token) = paris_user(&source, "forger@example.com").await;
    upload_all(&source, &token, &uploads(&device("laptop", "Laptop"), person(12, 3), 300, usize::MAX)).await;
    let (_, _, json) = get_text(&source, "/api/v1/export.json", &token).await;
    let good: AccountExport = serde_json::from_str(&json).expect("the export parses");
    let target = server().await;
    let (user, _) = paris_user(&target, "forger@example.com").await;
    let uploads = keytrack_app::server::store::uploads::Uploads::of(&target.database);
    let mut fast = good.clone();
    let minute = fast.devices[0].minutes.last_mut().expect("a minute");
    (minute.presses, minute.typing.typed_keys, minute.typing.typing_ms) = (60_000, 60_000, 1);
    minute.typing.intervals.clear();
    let mut dates = good.clone();
    dates.devices[0].last_seen = dates.devices[0].first_seen - 1;
    for (forged, expected) in [(fast, "typing.typing_ms"), (dates, "first_seen and last_seen")] {
        let refused =
            keytrack_app::server::services::export::import_records(&target.database, &uploads, user, &forged, now())
                .await;
        let message = refused.map(|_| ()).map_err(|e| (e.code(), e.public_message()));
        assert!(message.as_ref().is_err_and(|(code, m)| *code == "bad_request" && m.contains(expected)), "{message:?}");
        for table in ["devices", "activity_hours", "activity_blocks", "activity_days"] {
            assert_eq!(number(&target.database, &format!("SELECT count(*) FROM {table}")).await, 0, "{table}");
        }
    }
    let loaded =
        keytrack_app::server::services::export::import_records(&target.database, &uploads, user, &good, now()).await;
    assert!(loaded.is_ok_and(|i| i.minutes > 0), "the file as exported loads");
}

#[tokio::test]
async fn retention_keeps_the_day_figures_through_a_change_of_time_zone() {
    let server = server().await;
    let (user, token) = paris_user(&server, "keeper@example.com").await;
    let days = person(10, 20);
    upload_all(&server, &token, &uploads(&device("laptop", "Laptop"), days.clone(), 300, usize::MAX)).await;
    let (first, last) = range_of(&days);
    let before = stats(&server.app, &token, &first, &last).await;
    let removed = data::apply_retention(&server.database, 10, now()).await.expect("retention");
    assert!(removed.minutes > 1_000 && removed.blocks > 0, "{removed:?}");
    assert_eq!(stats(&server.app, &token, &first, &last).await, before, "the dashboards do not change");
    let again = data::apply_retention(&server.database, 10, now()).await.expect("retention");
    assert_eq!(again, data::Retained::default(), "nothing more to remove");

    // A new day start sums again only the days whose records are all kept; the older days keep
    // their figures as they were.
    let old_day = days[3].day.to_string();
    let old = stats(&server.app, &token, &old_day, &old_day).await;
    assert!(old["total_keys"].as_u64().unwrap_or(0) > 0);
    accounts::save_profile(&server.database, user, "Tester", ZONE, 0, "us").await.expect("new day start");
    assert_eq!(stats(&server.app, &token, &old_day, &old_day).await["total_keys"], old["total_keys"]);
    let after = stats(&server.app, &token, &first, &last).await;
    assert_eq!(after["total_keys"], before["total_keys"], "no key press lost or counted twice");
}

/// The text of a PDF, by poppler's `pdftotext` (Debian's poppler-utils, which setup installs).
fn pdf_text(pdf: &[u8]) -> String {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("report.pdf");
    std::fs::write(&file, pdf).expect("write");
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", file.to_str().expect("path"), "-"])
        .output()
        .expect("pdftotext (poppler-utils) runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test]
async fn pdf_reports_hold_the_dashboards_figures_and_only_what_the_team_shows() {
    let server = server().await;
    let (alice, token) = paris_user(&server, "report@example.com").await;
    let days = person(11, DAYS);
    upload_all(&server, &token, &uploads(&device("laptop", "Laptop"), days.clone(), 300, usize::MAX)).await;
    let (from, to) = range_of(&days);
    let stats = stats(&server.app, &token, &from, &to).await;
    let (status, headers, pdf) = get_bytes(&server, &format!("/api/v1/report.pdf?from={from}&to={to}"), &token).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(headers[http::header::CONTENT_TYPE], "application/pdf");
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    let text = pdf_text(&pdf);
    let total = keytrack_app::domain::format::count(stats["total_keys"].as_u64().expect("keys"));
    assert!(text.contains(&total), "the key presses ({total}) on the cover:\n{text}");
    let headings = [
        "Activity over time",
        "Typing speed",
        "Keyboard",
        "Week rhythm",
        "Top keys",
        "Where you click",
        "Applications",
    ];
    for heading in headings {
        assert!(text.contains(heading), "{heading}:\n{text}");
    }
    let top_app = stats["applications"][0]["name"].as_str().expect("an application");
    assert!(text.contains(top_app), "{top_app}:\n{text}");
    assert!(text.contains("Tester (report@example.com)"), "{text}");
    assert_eq!(text.matches('\u{c}').count(), 4, "four pages: the synthetic person names applications");

    // A team of one shows no totals (fewer than 3 members) and its report says so; a member who
    // does not share their figures is not in it either.
    let team = teams::create(&server.database, alice, "Solo").await.expect("team");
    teams::set_sharing(&server.database, team, alice, false).await.expect("private");
    let (status, _, pdf) =
        get_bytes(&server, &format!("/api/v1/teams/{team}/report.pdf?from={from}&to={to}"), &token).await;
    assert_eq!(status, StatusCode::OK);
    let text = pdf_text(&pdf);
    assert!(text.contains("Solo") && text.contains("No team totals"), "{text}");
    assert!(!text.contains(&total), "no figure of a private member's activity:\n{text}");
    let (_, other) = paris_user(&server, "outsider@example.com").await;
    let (status, _, _) = get_bytes(&server, &format!("/api/v1/teams/{team}/report.pdf"), &other).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_session_left_open_in_another_browser_ends_with_the_deleted_account() {
    let server = server().await;
    let signed_up = sign_up_in_browser(&server.app, "two-browsers@example.com").await;
    let first = session_cookie(&signed_up);
    let form = format!("email=two-browsers%40example.com&password={}", urlencode(PASSWORD));
    let logged_in = call_server_fn(&server.app, keytrack_app::api::LogIn::PATH, None, &form).await;
    let second = session_cookie(&logged_in);
    assert_ne!(first, second);
    let me = |cookie: String| {
        let app = server.app.clone();
        async move {
            use http_body_util::BodyExt;
            use tower::ServiceExt;
            let request = http::Request::builder()
                .uri("/api/v1/me")
                .header(http::header::HOST, HOST)
                .header(http::header::COOKIE, cookie)
                .body(axum::body::Body::empty())
                .expect("request");
            let response = app.oneshot(request).await.expect("response");
            let status = response.status();
            let _ = response.into_body().collect().await;
            status
        }
    };
    assert_eq!(me(first.clone()).await, StatusCode::OK);
    let wrong =
        call_server_fn(&server.app, keytrack_app::api::data::DeleteAccount::PATH, Some(&second), "password=not+mine")
            .await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN, "{}", wrong.body);
    let deleted = call_server_fn(
        &server.app,
        keytrack_app::api::data::DeleteAccount::PATH,
        Some(&second),
        &format!("password={}", urlencode(PASSWORD)),
    )
    .await;
    assert!(deleted.status.is_success() || deleted.status.is_redirection(), "{:?} {}", deleted.status, deleted.body);
    assert_eq!(me(first).await, StatusCode::UNAUTHORIZED, "the other browser's session is no one's now");
    assert_eq!(me(second).await, StatusCode::UNAUTHORIZED);
}

/// Minute records are kept a row per device and UTC hour, and a day of a time zone half an hour
/// off UTC begins inside such an hour: deleting that day takes its minutes out of the hour and
/// keeps the next day's, in the figures, the per-minute file and the devices page.
#[tokio::test]
async fn deleting_a_day_that_begins_inside_an_hour_keeps_the_next_days_minutes_of_that_hour() {
    let server = server().await;
    let (id, token) = user_with_token(&server.database, "kolkata@example.com").await;
    accounts::save_profile(&server.database, id, "Tester", "Asia/Kolkata", 0, "us").await.expect("profile");
    // 18:00-19:00 UTC on Monday 2025-03-10 is 23:30-00:30 in Kolkata: half on the 10th, half on the 11th.
    let six_pm = MONDAY_9H + 9 * 3_600;
    let records = (0..60).map(|i| minute(six_pm + i * 60, 1 + i as u32)).collect();
    let reply = post_batch(&server.app, &token, &ActivityBatch::new(device("pc", "PC"), records, vec![])).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // The next day's figures, without the comparison with the day before (which goes).
    let next_day_alone = || async {
        let mut got = stats(&server.app, &token, "2025-03-11", "2025-03-11").await;
        got.as_object_mut().expect("object").remove("previous");
        got
    };
    let next_day = next_day_alone().await;
    let evening: u64 = (1..=30).sum();
    let after_midnight: u64 = (31..=60).sum();
    assert_eq!(stats(&server.app, &token, "2025-03-10", "2025-03-10").await["total_keys"], evening);
    assert_eq!(next_day["total_keys"], after_midnight);

    let reply =
        call(&server.app, "DELETE", "/api/v1/activity?from=2025-03-10&to=2025-03-10", Some(&bearer(&token)), None)
            .await;
    assert_eq!((reply.status, reply.body["minutes"].as_u64()), (StatusCode::OK, Some(30)), "{}", reply.body);
    assert_eq!(stats(&server.app, &token, "2025-03-10", "2025-03-10").await["total_keys"], 0);
    assert_eq!(next_day_alone().await, next_day, "the next day keeps its minutes");
    let csv =
        parse_csv(&get_text(&server, "/api/v1/export.csv?kind=minute&from=2025-03-09&to=2025-03-12", &token).await.2);
    assert_eq!(csv.len() - 1, 30, "the 30 minutes after midnight remain: {csv:?}");
    assert_eq!(column_sum(&csv, "key_presses"), after_midnight);
    let devices = devices_by_name(&server, &token).await;
    assert_eq!(devices["PC"]["minutes"], 30, "{devices:?}");
    // Deleting the next day empties the hour: its row goes.
    let reply =
        call(&server.app, "DELETE", "/api/v1/activity?from=2025-03-11&to=2025-03-11", Some(&bearer(&token)), None)
            .await;
    assert_eq!(reply.body["minutes"].as_u64(), Some(30), "{}", reply.body);
    let rows = number(&server.database, "SELECT count(*) FROM activity_hours").await;
    assert_eq!(rows, 0);
}
