//! No team view lets a teammate work out what a member who keeps their figures private did.
//!
//! For many small teams with random consent choices and activity, this test plays the attacker
//! with everything a teammate sees (the JSON API, the server function, the HTML page). It first
//! measures which member-hours each number a teammate sees is made of, by adding one key press
//! (one click, one active second, one chord) to one member-hour at a time through the real upload
//! API and watching which numbers move. Then it asks linear algebra whether any combination of
//! those numbers (sums, differences, the sharing members' own figures included) equals a private
//! member's figure or one of their hours: it never may. It also checks the rule cell by cell:
//! each team number is made of at least three members, or of none.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::*;
use http::StatusCode;
use keytrack_app::api::teams::TeamDashboard;
use keytrack_app::server::services::accounts;
use keytrack_app::server::services::teams;
use keytrack_wire::{ActivityBatch, ActivityMinute, Device, HourBlock};
use leptos::server_fn::ServerFn;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::Value;

const PEOPLE: usize = 6;
const HOURS: [i64; 4] = [9, 10, 14, 17];
const CHORDS: [&str; 3] = ["Ctrl+KeyC", "Ctrl+KeyV", "Alt+Tab"];

struct Person {
    id: i64,
    token: String,
    cookie: String,
}

/// One member's activity in one hour of the scenario: a minute record.
#[derive(Clone)]
struct MemberHour {
    member: usize,
    day: i64,
    hour: i64,
    record: ActivityMinute,
}

/// A team, who shares, who did what, and over which days the views are asked.
struct Scenario {
    team: i64,
    members: Vec<usize>,
    shares: Vec<bool>,
    hours: Vec<MemberHour>,
    /// Per member: chord counts of their block (a block per member and scenario).
    blocks: Vec<Option<HourBlock>>,
    first_day: i64,
}

fn date(day: i64) -> String {
    // MONDAY_9H is 2025-03-10 09:00 UTC.
    let base = chrono::NaiveDate::from_ymd_opt(2025, 3, 10).expect("date");
    (base + chrono::Duration::days(day)).to_string()
}

fn unix_hour(day: i64, hour: i64) -> i64 {
    MONDAY_9H - 9 * 3600 + day * 86_400 + hour * 3600
}

fn device(member: usize) -> Device {
    Device { id: format!("device-{member}"), name: String::new() }
}

async fn upload(s: &TestServer, who: &Person, batch: ActivityBatch) {
    let reply = post_batch(&s.app, &who.token, &batch).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

async fn upload_hour(s: &TestServer, people: &[Person], hour: &MemberHour) {
    let batch = ActivityBatch::new(device(hour.member), vec![hour.record.clone()], vec![]);
    upload(s, &people[hour.member], batch).await;
}

async fn upload_block(s: &TestServer, people: &[Person], member: usize, block: &HourBlock) {
    upload(s, &people[member], ActivityBatch::new(device(member), vec![], vec![block.clone()])).await;
}

/// Makes a random team of people from `people` over days `first_day..first_day + 2`.
async fn scenario(s: &TestServer, people: &[Person], rng: &mut StdRng, first_day: i64) -> Scenario {
    let size = rng.gen_range(3..=PEOPLE);
    let mut members: Vec<usize> = (0..PEOPLE).collect();
    for i in (1..members.len()).rev() {
        members.swap(i, rng.gen_range(0..=i));
    }
    members.truncate(size);
    let owner = members[0];
    let team = teams::create(&s.database, people[owner].id, &format!("team {first_day}")).await.expect("team");
    let invite = teams::create_invite(&s.database, team, people[owner].id, 7, false).await.expect("invite");
    let mut shares = Vec::new();
    for (i, member) in members.iter().enumerate() {
        let share = rng.gen_bool(0.45);
        if i > 0 {
            teams::join(&s.database, people[*member].id, &invite.code, share).await.expect("join");
        } else {
            teams::set_sharing(&s.database, team, people[*member].id, share).await.expect("share");
        }
        shares.push(share);
    }
    // Activity: each member in some of 2 days x 4 hours; busy hours are shared more often.
    let mut hours = Vec::new();
    for member in &members {
        for day in first_day..first_day + 2 {
            for hour in HOURS {
                let busy = if hour == 10 { 0.7 } else { 0.35 };
                if rng.gen_bool(busy) {
                    let mut record = minute(unix_hour(day, hour) + 60 * rng.gen_range(0..50), rng.gen_range(1..400));
                    record.clicks.left = rng.gen_range(0..30);
                    record.active_seconds = rng.gen_range(1..50);
                    hours.push(MemberHour { member: *member, day, hour, record });
                }
            }
        }
    }
    for hour in &hours {
        upload_hour(s, people, hour).await;
    }
    // Chords, in one block per member (most members).
    let mut blocks = vec![None; PEOPLE];
    for member in &members {
        if rng.gen_bool(0.8) {
            let mut block = block(unix_hour(first_day, 11), &[("KeyC", 150), ("KeyV", 150), ("Tab", 100)]);
            block.add_key("ControlLeft", 100);
            for chord in CHORDS {
                if rng.gen_bool(0.6) {
                    block.add_chord(chord, rng.gen_range(1..40));
                }
            }
            upload_block(s, people, *member, &block).await;
            blocks[*member] = Some(block);
        }
    }
    Scenario { team, members, shares, hours, blocks, first_day }
}

/// The numbers a teammate sees, by name: the team's totals, every rhythm cell, every top chord,
/// every sharing member's figures.
fn exposed(view: &Value) -> BTreeMap<String, i64> {
    let mut numbers = BTreeMap::new();
    let totals = &view["totals"];
    if !totals.is_null() {
        for field in ["total_keys", "total_clicks", "active_seconds"] {
            numbers.insert(format!("team.{field}"), totals[field].as_i64().unwrap_or(0));
        }
        for (weekday, row) in totals["by_weekday_hour"].as_array().into_iter().flatten().enumerate() {
            for (hour, n) in row.as_array().into_iter().flatten().enumerate() {
                numbers.insert(format!("rhythm.{weekday}.{hour}.keys"), n.as_i64().unwrap_or(0));
            }
        }
        for chord in totals["top_chords"].as_array().into_iter().flatten() {
            let name = chord["chord"].as_str().unwrap_or_default();
            numbers.insert(format!("chord.{name}"), chord["count"].as_i64().unwrap_or(0));
        }
    }
    for member in view["member_figures"].as_array().into_iter().flatten() {
        let id = member["user_id"].as_i64().unwrap_or(0);
        for (field, metric) in [("total_keys", "keys"), ("total_clicks", "clicks"), ("active_seconds", "seconds")] {
            numbers.insert(format!("member.{id}.{metric}"), member[field].as_i64().unwrap_or(0));
        }
    }
    numbers
}

/// Which numbers moved by exactly `by` between two views (a number that appears or vanishes
/// moved too: it would tell).
fn moved(before: &BTreeMap<String, i64>, after: &BTreeMap<String, i64>, by: i64) -> BTreeSet<String> {
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let mut changed = BTreeSet::new();
    for name in names {
        match (before.get(name), after.get(name)) {
            (Some(a), Some(b)) if b - a == by => {
                changed.insert(name.clone());
            }
            (Some(a), Some(b)) if a == b => {}
            (a, b) => panic!("{name} changed from {a:?} to {b:?} when one unit ({by}) was added"),
        }
    }
    changed
}

/// The metric an exposed number counts.
fn metric_of(name: &str) -> &str {
    if name.starts_with("chord.") {
        "chords"
    } else if name.ends_with("keys") {
        "keys"
    } else if name.ends_with("clicks") {
        "clicks"
    } else {
        "seconds"
    }
}

/// Whether `target` is a linear combination of `rows` (all over the same unknowns), by Gaussian
/// elimination: the rank does not grow when it is added.
fn in_span(rows: &[Vec<f64>], target: &[f64]) -> bool {
    fn rank(mut m: Vec<Vec<f64>>) -> usize {
        let cols = m.first().map_or(0, Vec::len);
        let mut rank = 0;
        for col in 0..cols {
            let Some(pivot) = (rank..m.len()).max_by(|a, b| m[*a][col].abs().total_cmp(&m[*b][col].abs())) else {
                break;
            };
            if m[pivot][col].abs() < 1e-9 {
                continue;
            }
            m.swap(rank, pivot);
            let pivot_row = m[rank].clone();
            for (r, row) in m.iter_mut().enumerate() {
                if r != rank && row[col].abs() > 1e-12 {
                    let factor = row[col] / pivot_row[col];
                    for (x, p) in row.iter_mut().zip(&pivot_row) {
                        *x -= factor * p;
                    }
                }
            }
            rank += 1;
        }
        rank
    }
    let mut with = rows.to_vec();
    with.push(target.to_vec());
    rank(rows.to_vec()) == rank(with)
}

/// Checks one metric: `unknowns` are (member, cell) pairs, `made_of` says which of them each
/// exposed number holds.
fn attack(
    metric: &str,
    unknowns: &[(usize, String)],
    made_of: &BTreeMap<String, BTreeSet<usize>>,
    private: &BTreeSet<usize>,
    context: &str,
) {
    let rows: Vec<Vec<f64>> = made_of
        .values()
        .map(|set| (0..unknowns.len()).map(|i| if set.contains(&i) { 1.0 } else { 0.0 }).collect())
        .collect();
    for p in private {
        let theirs: Vec<usize> = (0..unknowns.len()).filter(|i| unknowns[*i].0 == *p).collect();
        if theirs.is_empty() {
            continue;
        }
        let total: Vec<f64> = (0..unknowns.len()).map(|i| if unknowns[i].0 == *p { 1.0 } else { 0.0 }).collect();
        assert!(!in_span(&rows, &total), "{context}: private member {p}'s {metric} total can be computed");
        for i in theirs {
            let one: Vec<f64> = (0..unknowns.len()).map(|j| if j == i { 1.0 } else { 0.0 }).collect();
            assert!(
                !in_span(&rows, &one),
                "{context}: private member {p}'s {metric} in {} can be computed",
                unknowns[i].1
            );
        }
    }
}

/// Plays the attacker on one scenario over one range of days.
async fn attack_scenario(s: &TestServer, people: &[Person], sc: &mut Scenario, days: i64, context: &str) {
    let range = format!("from={}&to={}", date(sc.first_day), date(sc.first_day + days - 1));
    let uri = format!("/api/v1/teams/{}/stats?{range}", sc.team);
    let viewer = &people[sc.members[1]];
    let first = team_view(s, &uri, &viewer.token).await;

    // Every view says the same: another member's API, the server function, the HTML page.
    let other = &people[sc.members[2]];
    assert_eq!(team_view(s, &uri, &other.token).await, first, "{context}");
    let form = format!("team_id={}&{range}", sc.team);
    let by_function = call_server_fn(&s.app, TeamDashboard::PATH, Some(&viewer.cookie), &form).await;
    assert_eq!(by_function.body, first, "{context}: the server function shows what the API shows");
    let html = page(s, &format!("/teams/{}?{range}", sc.team), &viewer.cookie).await;
    for title in html.split("title=\"").skip(1).filter_map(|t| t.split('"').next()) {
        if let Some(n) = title.strip_suffix(" key presses").and_then(|t| t.rsplit(": ").next()) {
            let n: i64 = n.replace(',', "").parse().expect("a count");
            let shown = exposed(&first).iter().any(|(name, v)| name.starts_with("rhythm.") && *v == n);
            assert!(n == 0 || shown, "{context}: the page shows {n} in \"{title}\", which the API does not");
        }
    }

    // Which member-hours each number holds, one unit at a time.
    let in_range: Vec<usize> = (0..sc.hours.len()).filter(|i| sc.hours[*i].day < sc.first_day + days).collect();
    let mut unknowns: BTreeMap<&str, Vec<(usize, String)>> = BTreeMap::new();
    let mut made_of: BTreeMap<&str, BTreeMap<String, BTreeSet<usize>>> = BTreeMap::new();
    let mut current = exposed(&first);
    for metric in ["keys", "clicks", "seconds"] {
        for i in &in_range {
            let hour = &mut sc.hours[*i];
            match metric {
                "keys" => hour.record.presses += 1,
                "clicks" => hour.record.clicks.left += 1,
                _ => hour.record.active_seconds += 1,
            }
            let cell = format!("{} day {} {}:00", hour.member, hour.day, hour.hour);
            upload_hour(s, people, &hour.clone()).await;
            let next = exposed(&team_view(s, &uri, &viewer.token).await);
            let list = unknowns.entry(metric).or_default();
            list.push((hour.member, cell));
            let index = list.len() - 1;
            for name in moved(&current, &next, 1) {
                made_of.entry(metric).or_default().entry(name).or_default().insert(index);
            }
            current = next;
        }
    }
    for member in sc.members.clone() {
        let Some(mut block) = sc.blocks[member].clone() else { continue };
        for chord in CHORDS {
            if block.chords.contains_key(chord) {
                block.add_chord(chord, 1);
                upload_block(s, people, member, &block).await;
                let next = exposed(&team_view(s, &uri, &viewer.token).await);
                let list = unknowns.entry("chords").or_default();
                list.push((member, chord.to_string()));
                let index = list.len() - 1;
                for name in moved(&current, &next, 1) {
                    made_of.entry("chords").or_default().entry(name).or_default().insert(index);
                }
                current = next;
            }
        }
        sc.blocks[member] = Some(block);
    }
    // Every exposed number must be accounted for by the probing (a number no probe moved is a
    // number made of nothing, i.e. zero).
    for (name, value) in &current {
        let metric = metric_of(name);
        let known = made_of.get(metric).is_some_and(|m| m.contains_key(name));
        assert!(known || *value == 0, "{context}: {name} = {value} moved with no member-hour");
    }

    let private: BTreeSet<usize> =
        sc.members.iter().zip(&sc.shares).filter(|(_, shares)| !**shares).map(|(m, _)| *m).collect();
    for (metric, sets) in &made_of {
        let list = &unknowns[metric];
        // Cell by cell: each team number is made of three members or more.
        for (name, set) in sets {
            if name.starts_with("member.") {
                let members: BTreeSet<usize> = set.iter().map(|i| list[*i].0).collect();
                assert_eq!(members.len(), 1, "{context}: {name} is one member's own figure");
                assert!(!members.iter().any(|m| private.contains(m)), "{context}: {name} is a private member's");
                continue;
            }
            let members: BTreeSet<usize> = set.iter().map(|i| list[*i].0).collect();
            assert!(members.len() >= 3, "{context}: {name} is made of {} members: {members:?}", members.len());
        }
        attack(metric, list, sets, &private, context);
    }
}

async fn team_view(s: &TestServer, uri: &str, token: &str) -> Value {
    let reply = call(&s.app, "GET", uri, Some(&bearer(token)), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    reply.body
}

/// The HTML of a page, as the browser gets it with its session.
async fn page(s: &TestServer, path: &str, cookie: &str) -> String {
    use http_body_util::BodyExt;
    use tower::ServiceExt;
    let request = http::Request::builder()
        .uri(path)
        .header(http::header::COOKIE, cookie)
        .body(axum::body::Body::empty())
        .expect("request");
    let response = s.app.clone().oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    String::from_utf8_lossy(&response.into_body().collect().await.expect("body").to_bytes()).into_owned()
}

#[tokio::test]
async fn no_combination_of_team_views_reveals_a_private_member() {
    let s = server().await;
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        let reply = sign_up_in_browser(&s.app, &format!("p{i}@example.com")).await;
        let id = keytrack_app::server::store::users::by_email(&s.database, &format!("p{i}@example.com"))
            .await
            .expect("query")
            .expect("user")
            .id;
        // Days and hours in UTC, like the scenario's.
        accounts::save_profile(&s.database, id, &format!("p{i}"), "UTC", 0, "us").await.expect("profile");
        let token = accounts::create_token(&s.database, id, "agent").await.expect("token").1;
        people.push(Person { id, token, cookie: session_cookie(&reply) });
    }
    let mut rng = StdRng::seed_from_u64(13);
    let mut teams_with_totals = 0;
    let mut teams_with_private_members = 0;
    for round in 0..16 {
        // Each scenario in its own week, so no other scenario's activity is in its range.
        let first_day = 7 * round;
        let mut sc = scenario(&s, &people, &mut rng, first_day).await;
        let context = format!("scenario {round}");
        teams_with_private_members += usize::from(sc.shares.iter().any(|s| !s));
        attack_scenario(&s, &people, &mut sc, 2, &context).await;
        attack_scenario(&s, &people, &mut sc, 1, &format!("{context}, first day")).await;
        let uri = format!("/api/v1/teams/{}/stats?from={}&to={}", sc.team, date(first_day), date(first_day + 1));
        let view = call(&s.app, "GET", &uri, Some(&bearer(&people[sc.members[0]].token)), None).await.body;
        teams_with_totals += usize::from(!view["totals"].is_null());
    }
    // The scenarios are not vacuous: most teams show totals, most have private members.
    assert!(teams_with_totals >= 8, "{teams_with_totals} teams with totals");
    assert!(teams_with_private_members >= 8, "{teams_with_private_members} teams with private members");
}

/// The attacks the issue found, named: a member alone in an hour, and totals minus the sharing
/// members' figures.
#[tokio::test]
async fn the_reported_single_cell_and_subtraction_attacks_fail() {
    let s = server().await;
    let mut people = Vec::new();
    for name in ["f", "g", "h", "i", "j"] {
        let (id, token) = user_with_token(&s.database, &format!("{name}@example.com")).await;
        people.push(Person { id, token, cookie: String::new() });
    }
    let team = teams::create(&s.database, people[0].id, "five").await.expect("team");
    let invite = teams::create_invite(&s.database, team, people[0].id, 7, false).await.expect("invite");
    for (i, person) in people.iter().enumerate().skip(1) {
        teams::join(&s.database, person.id, &invite.code, i == 1).await.expect("join");
    }
    // F and G share, H, I and J do not; only F, G and H are active, all at 09:00.
    let active = [(0, 20), (1, 30), (2, 70)];
    for (who, keys) in active {
        let batch = ActivityBatch::new(device(who), vec![minute(MONDAY_9H, keys)], vec![]);
        upload(&s, &people[who], batch).await;
    }
    // H alone on Sunday 17:00.
    let sunday = MONDAY_9H + 6 * 86_400 + 8 * 3600;
    upload(&s, &people[2], ActivityBatch::new(device(2), vec![minute(sunday, 55)], vec![])).await;
    let uri = format!("/api/v1/teams/{team}/stats?from=2025-03-10&to=2025-03-16");
    let view = call(&s.app, "GET", &uri, Some(&bearer(&people[0].token)), None).await.body;
    let figures: Vec<i64> =
        view["member_figures"].as_array().into_iter().flatten().filter_map(|m| m["total_keys"].as_i64()).collect();
    assert_eq!(figures, vec![30, 20], "the sharing members' own figures");
    assert!(view["totals"].is_null(), "no hour had three members that may be counted: {view}");
    let text = view.to_string();
    assert!(!text.contains("70") && !text.contains("55") && !text.contains("120"), "{text}");
}
