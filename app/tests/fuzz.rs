//! Fuzzing the upload's decoding and validation through the real router and a real SQLite file:
//! arbitrary bytes, arbitrary JSON, and valid batches with one part replaced by arbitrary JSON.
//! Whatever arrives, the server answers 200 or a 4xx with `{code, message}`, never a 5xx or a
//! panic, and a refused batch stores nothing.
//!
//! A short run is part of the test suite; a long run: `PROPTEST_CASES=200000 cargo test -p
//! keytrack-app --features ssr --release --test fuzz` (see BENCHMARKS.md).

mod common;

use std::sync::{Mutex, OnceLock};

use common::*;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use sqlx::SqlitePool;

/// One server for all cases: the router, its database and a user's token. The tests run on
/// several threads; `turn` lets one upload at a time, so that each can count what it stored.
struct Target {
    runtime: tokio::runtime::Runtime,
    server: TestServer,
    token: String,
    turn: Mutex<()>,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
        let (server, token) = runtime.block_on(async {
            let server = server().await;
            let (_, token) = user_with_token(&server.pool, "fuzz@example.com").await;
            (server, token)
        });
        Target { runtime, server, token, turn: Mutex::new(()) }
    })
}

async fn stored_minutes(pool: &SqlitePool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM activity_minutes").fetch_one(pool).await.expect("count")
}

/// Posts `body` as an upload and checks the answer is a well-formed success or refusal.
fn check_upload(body: Vec<u8>) -> Result<(), TestCaseError> {
    let t = target();
    let _turn = t.turn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (reply, before, after) = t.runtime.block_on(async {
        let before = stored_minutes(&t.server.pool).await;
        let reply = call(&t.server.app, "POST", "/api/v1/activity", Some(&bearer(&t.token)), Some(body)).await;
        (reply, before, stored_minutes(&t.server.pool).await)
    });
    let status = reply.status.as_u16();
    prop_assert!(status == 200 || (400..500).contains(&status), "status {status}: {}", reply.body);
    if status != 200 {
        prop_assert!(reply.body["code"].is_string() && reply.body["message"].is_string(), "{}", reply.body);
        prop_assert_eq!(before, after, "a refused upload stored something");
    }
    Ok(())
}

/// Any JSON value, with the numbers and strings most likely to upset a decoder.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![Just(-1i64), Just(0), Just(60), Just(1_795_500_000), Just(i64::from(u32::MAX) + 1)]
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![Just("KeyA"), Just("Ctrl+KeyC"), Just("KeyÄ"), Just(""), Just("Ctrl+Ctrl")].prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((field_name(), inner), 0..6)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Field names of the format, and some that are not.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "device",
            "id",
            "name",
            "minutes",
            "minute",
            "utc_offset",
            "keys",
            "presses",
            "blocks",
            "screens",
            "format",
            "start",
            "end",
            "chords",
            "typing",
            "typed_keys",
            "typing_ms",
            "bursts",
            "best_burst",
            "intervals",
            "clicks",
            "left",
            "right",
            "middle",
            "other",
            "screen",
            "width",
            "height",
            "moves",
            "distance_px",
            "scroll",
            "vertical",
            "horizontal",
            "active_seconds",
            "KeyA",
            "Space",
            "Ctrl+KeyC",
        ])
        .prop_map(str::to_string),
        "[a-zA-Z_]{1,10}",
    ]
}

/// A batch the server accepts.
fn valid_batch() -> Value {
    json!({
        "device": {"id": "fuzz-laptop", "name": "Fuzz"},
        "format": 2,
        "minutes": [{
            "minute": MONDAY_9H, "utc_offset": 60, "presses": 5,
            "typing": {"typed_keys": 2, "typing_ms": 400, "bursts": 1, "intervals": [0,0,0,1,0,1,0,0,0,0,0,0]},
            "clicks": {"left": 2, "right": 1},
            "distance_px": 300, "scroll": {"vertical": 2}, "active_seconds": 20
        }],
        "blocks": [{
            "start": MONDAY_9H, "end": MONDAY_9H + 3600,
            "keys": {"KeyA": 198, "ControlLeft": 1, "KeyC": 1}, "chords": {"Ctrl+KeyC": 1},
            "screens": [{"width": 1920, "height": 1080, "clicks": [[3, 4, 2]], "moves": [[3, 4, 9]]}]
        }]
    })
}

/// Every place in a JSON value, as a path of object keys and array indexes.
fn paths(value: &Value, at: Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                let mut next = at.clone();
                next.push(key.clone());
                paths(inner, next, out);
            }
        }
        Value::Array(items) => {
            for (i, inner) in items.iter().enumerate() {
                let mut next = at.clone();
                next.push(i.to_string());
                paths(inner, next, out);
            }
        }
        _ => {}
    }
}

fn replace_at(value: &mut Value, path: &[String], new: Value) {
    let Some((first, rest)) = path.split_first() else {
        *value = new;
        return;
    };
    let inner = match value {
        Value::Object(map) => map.get_mut(first),
        Value::Array(items) => first.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
        _ => None,
    };
    if let Some(inner) = inner {
        replace_at(inner, rest, new);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_break_the_upload(body in prop::collection::vec(any::<u8>(), 0..2_048)) {
        check_upload(body)?;
    }

    #[test]
    fn arbitrary_json_never_breaks_the_upload(value in any_json()) {
        check_upload(serde_json::to_vec(&value).expect("encode"))?;
    }

    #[test]
    fn a_valid_batch_with_any_part_replaced_is_stored_or_refused_whole(choice in any::<prop::sample::Index>(), new in any_json()) {
        let mut batch = valid_batch();
        let mut all = Vec::new();
        paths(&batch, Vec::new(), &mut all);
        let path = choice.get(&all).clone();
        replace_at(&mut batch, &path, new);
        check_upload(serde_json::to_vec(&batch).expect("encode"))?;
    }

    #[test]
    fn arbitrary_query_strings_never_break_the_statistics(query in "[a-z_=&%0-9:+-]{0,40}") {
        let t = target();
        for route in ["/api/v1/stats", "/api/v1/teams/1/stats"] {
            let reply = t.runtime.block_on(call(&t.server.app, "GET", &format!("{route}?{query}"), Some(&bearer(&t.token)), None));
            let status = reply.status.as_u16();
            prop_assert!(status == 200 || (400..500).contains(&status), "{route}?{query}: {status} {}", reply.body);
        }
    }
}
