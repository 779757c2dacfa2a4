//! Fuzzing the upload's decoding and validation through the real router and a real SQLite file:
//! arbitrary bytes, arbitrary JSON, valid batches with one part replaced by arbitrary JSON, and
//! documents drawn from the served OpenAPI schema. Whatever arrives, the server answers 200 or a
//! 4xx with `{code, message}`, never a 5xx or a panic, and a refused batch stores nothing; a
//! schema-valid document is refused only for a rule the schema states. The server functions get
//! the same treatment: any form, any content type, with or without a session, never a 5xx.
//!
//! A short run is part of the test suite; a long run: `PROPTEST_CASES=200000 cargo test -p
//! keytrack-app --features ssr --release --test fuzz` (see BENCHMARKS.md).

mod common;

use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

use common::*;
use leptos::server_fn::ServerFn;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// One server for all cases: the router, its database and a user's token. The tests run on
/// several threads; `turn` lets one upload at a time, so that each can count what it stored.
struct Target {
    runtime: tokio::runtime::Runtime,
    server: TestServer,
    token: String,
    /// A session of another user, for the server functions.
    cookie: String,
    turn: Mutex<()>,
}

fn target() -> &'static Target {
    static TARGET: OnceLock<Target> = OnceLock::new();
    TARGET.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
        let (server, token, cookie) = runtime.block_on(async {
            let server = server().await;
            let (_, token) = user_with_token(&server.database, "fuzz@example.com").await;
            let cookie = session_cookie(&sign_up_in_browser(&server.app, "forms@example.com").await);
            (server, token, cookie)
        });
        Target { runtime, server, token, cookie, turn: Mutex::new(()) }
    })
}

async fn stored_minutes(database: &keytrack_app::server::store::Database) -> i64 {
    number(database, "SELECT CAST(coalesce(sum(minutes), 0) AS BIGINT) FROM activity_hours").await
}

/// Posts `body` as an upload and checks the answer is a well-formed success or refusal.
fn check_upload(body: Vec<u8>) -> Result<(), TestCaseError> {
    let t = target();
    let _turn = t.turn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let (reply, before, after) = t.runtime.block_on(async {
        let before = stored_minutes(&t.server.database).await;
        let reply = call(&t.server.app, "POST", "/api/v1/activity", Some(&bearer(&t.token)), Some(body)).await;
        (reply, before, stored_minutes(&t.server.database).await)
    });
    let status = reply.status.as_u16();
    prop_assert!(status == 200 || (400..500).contains(&status), "status {status}: {}", reply.body);
    if status != 200 {
        prop_assert!(reply.body["code"].is_string() && reply.body["message"].is_string(), "{}", reply.body);
        prop_assert_eq!(before, after, "a refused upload stored something");
    }
    Ok(())
}

/// Every server function, with its argument names.
const SERVER_FUNCTIONS: [(&str, &[&str]); 49] = [
    (keytrack_app::api::CurrentAccount::PATH, &[]),
    (keytrack_app::api::SignUp::PATH, &["email", "password", "timezone", "next", "invite"]),
    (keytrack_app::api::LogIn::PATH, &["email", "password", "next"]),
    (keytrack_app::api::TimeZones::PATH, &[]),
    (keytrack_app::api::SaveProfile::PATH, &["display_name", "timezone", "day_start_hour", "keyboard_layout"]),
    (keytrack_app::api::AddNeverCount::PATH, &["name"]),
    (keytrack_app::api::RemoveNeverCount::PATH, &["name"]),
    (keytrack_app::api::ListTokens::PATH, &[]),
    (keytrack_app::api::CreateToken::PATH, &["name"]),
    (keytrack_app::api::RevokeToken::PATH, &["id"]),
    (keytrack_app::api::DashboardStats::PATH, &["range", "from", "to"]),
    (keytrack_app::api::DashboardHeatmaps::PATH, &["range", "from", "to"]),
    (keytrack_app::api::teams::MyTeams::PATH, &[]),
    (keytrack_app::api::teams::CreateTeam::PATH, &["name"]),
    (keytrack_app::api::teams::TeamPage::PATH, &["team_id"]),
    (keytrack_app::api::teams::TeamDashboard::PATH, &["team_id", "range", "from", "to"]),
    (keytrack_app::api::teams::SetTeamSharing::PATH, &["team_id", "shares_figures"]),
    (keytrack_app::api::teams::CreateInvite::PATH, &["team_id", "valid_days", "single_use"]),
    (keytrack_app::api::teams::RevokeInvite::PATH, &["team_id", "invite_id"]),
    (keytrack_app::api::teams::PreviewInvite::PATH, &["code"]),
    (keytrack_app::api::teams::JoinTeam::PATH, &["code", "shares_figures"]),
    (keytrack_app::api::teams::LeaveTeam::PATH, &["team_id"]),
    (keytrack_app::api::teams::RemoveMember::PATH, &["team_id", "member_id"]),
    (keytrack_app::api::teams::SetMemberRole::PATH, &["team_id", "member_id", "role"]),
    (keytrack_app::api::teams::DeleteTeam::PATH, &["team_id"]),
    (keytrack_app::api::LastHour::PATH, &[]),
    (keytrack_app::api::data::AgentDownloads::PATH, &[]),
    (keytrack_app::api::data::MyDevices::PATH, &[]),
    (keytrack_app::api::data::DeleteDays::PATH, &["from", "to"]),
    (keytrack_app::api::data::RenameDevice::PATH, &["device_id", "name"]),
    (keytrack_app::api::data::RemoveDevice::PATH, &["device_id", "delete_data"]),
    (keytrack_app::api::data::DeleteAccount::PATH, &["password"]),
    (keytrack_app::api::account::AboutServer::PATH, &[]),
    (keytrack_app::api::account::ForgotPassword::PATH, &["email"]),
    (keytrack_app::api::account::ResetPassword::PATH, &["token", "password"]),
    (keytrack_app::api::account::ChangePassword::PATH, &["current", "password"]),
    (keytrack_app::api::account::MyAuditEvents::PATH, &[]),
    (keytrack_app::api::admin::AdminPeople::PATH, &["search", "page"]),
    (keytrack_app::api::admin::AdminSetAdmin::PATH, &["person", "admin"]),
    (keytrack_app::api::admin::AdminSetDisabled::PATH, &["person", "disabled"]),
    (keytrack_app::api::admin::AdminSetMustChangePassword::PATH, &["person", "must"]),
    (keytrack_app::api::admin::AdminResetLink::PATH, &["person"]),
    (keytrack_app::api::admin::AdminDeletePerson::PATH, &["person"]),
    (keytrack_app::api::admin::AdminInvites::PATH, &[]),
    (keytrack_app::api::admin::AdminCreateInvite::PATH, &["email", "valid_days"]),
    (keytrack_app::api::admin::AdminRevokeInvite::PATH, &["invite"]),
    (keytrack_app::api::admin::AdminSignUpPolicy::PATH, &[]),
    (keytrack_app::api::admin::AdminSetSignUpPolicy::PATH, &["policy"]),
    (keytrack_app::api::admin::AdminAudit::PATH, &["action", "person", "from", "to", "before"]),
];

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

/// The served OpenAPI document.
fn openapi() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let t = target();
        t.runtime.block_on(call(&t.server.app, "GET", "/api/v1/openapi.json", None, None)).body
    })
}

/// A schema with its `$ref` followed.
fn resolved(schema: &Value) -> &Value {
    match schema["$ref"].as_str().and_then(|r| r.rsplit('/').next()) {
        Some(name) => &openapi()["components"]["schemas"][name],
        None => schema,
    }
}

/// A value the schema allows, drawn with `rng` (boundaries often, since that is where the rules
/// are).
fn from_schema(schema: &Value, rng: &mut rand::rngs::StdRng, depth: usize) -> Value {
    use rand::Rng;
    let schema = resolved(schema);
    if let Some(branches) = schema["oneOf"].as_array() {
        let real: Vec<&Value> = branches.iter().filter(|b| b["type"] != "null").collect();
        return match real.first() {
            Some(branch) if rng.gen_bool(0.8) => from_schema(branch, rng, depth),
            _ => Value::Null,
        };
    }
    let int = |key: &str, default: i64| {
        schema[key].as_i64().or_else(|| schema[key].as_u64().map(|n| n as i64)).unwrap_or(default)
    };
    match schema["type"].as_str() {
        Some("object") => {
            let mut object = Map::new();
            let required: Vec<&str> =
                schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
            for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                if depth < 6 && (required.contains(&name.as_str()) || rng.gen_bool(0.5)) {
                    object.insert(name.clone(), from_schema(property, rng, depth + 1));
                }
            }
            if schema["properties"].is_null() && schema["additionalProperties"].is_object() {
                let names = &schema["propertyNames"];
                for _ in 0..rng.gen_range(0..4) {
                    let name = match names["enum"].as_array() {
                        Some(all) => all[rng.gen_range(0..all.len())].as_str().unwrap_or_default().to_string(),
                        None => ["Ctrl+KeyC", "Alt+Tab", "Ctrl+Shift+KeyT", "Meta+KeyL", "Shift+KeyA", "Ctrl+Ctrl"]
                            [rng.gen_range(0..6)]
                        .to_string(),
                    };
                    object.insert(name, from_schema(&schema["additionalProperties"], rng, depth + 1));
                }
            }
            Value::Object(object)
        }
        Some("array") => {
            if let Some(items) = schema["prefixItems"].as_array() {
                return Value::Array(items.iter().map(|item| from_schema(item, rng, depth + 1)).collect());
            }
            let (least, most) = (int("minItems", 0), int("maxItems", 3).min(3));
            let n = if least >= most { least } else { rng.gen_range(least..=most) };
            Value::Array((0..n).map(|_| from_schema(&schema["items"], rng, depth + 1)).collect())
        }
        Some("integer") => {
            let unsigned = schema["minimum"].as_i64() == Some(0);
            let (min, max) =
                (int("minimum", if unsigned { 0 } else { -1_000_000 }), int("maximum", i64::from(i32::MAX)));
            let step = int("multipleOf", 1).max(1);
            let max = if schema["minimum"].as_i64().is_some_and(|m| m > 1_000_000_000) {
                min + 40 * 365 * 86_400
            } else {
                max
            };
            let n = match rng.gen_range(0..5) {
                0 => min,
                1 => max,
                2 => rng.gen_range(min..=min.saturating_add(300).min(max)),
                _ => rng.gen_range(min..=max),
            };
            Value::from(n - (n - min).rem_euclid(step))
        }
        Some("string") => {
            if let Some(all) = schema["enum"].as_array() {
                return all[rng.gen_range(0..all.len())].clone();
            }
            let max = int("maxLength", 12).min(70) as usize;
            let min = int("minLength", 0) as usize;
            let alphabet: &[u8] = if schema["pattern"].as_str() == Some("^[A-Za-z0-9_-]{1,64}$") {
                b"AZaz09_-x"
            } else {
                b"Laptop 7 ~!@#$%^&*()_+{}|:<>?,./;'[]=-`"
            };
            let len = rng.gen_range(min..=max.max(min));
            Value::String((0..len).map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char).collect())
        }
        Some("boolean") => Value::Bool(rng.gen_bool(0.5)),
        _ => Value::Null,
    }
}

/// The schema of the field an error names (`minutes[0].typing.typing_ms`), and the schema of the
/// property that holds it (for an array's items, the array).
fn schema_at(path: &str) -> Vec<&'static Value> {
    let mut node = &openapi()["components"]["schemas"]["ActivityBatch"];
    let mut holder = node;
    for part in path.split('.') {
        let (name, indexes) = part.split_once('[').map_or((part, ""), |(n, rest)| (n, rest));
        holder = &resolved(node)["properties"][name];
        node = holder;
        for _ in indexes.split('[').filter(|i| !i.is_empty()) {
            let array = resolved(node);
            node = if array["items"].is_object() { &array["items"] } else { &array["prefixItems"][0] };
        }
        if let Some(real) = resolved(node)["oneOf"].as_array().and_then(|b| b.iter().find(|b| b["type"] != "null")) {
            node = real;
        }
    }
    vec![node, resolved(node), holder]
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    /// What the schema allows is accepted, or refused for a reason the schema states (a bound it
    /// gives, or a rule its description names): never 400, never a 5xx, never an unnamed reason.
    #[test]
    fn schema_valid_uploads_are_refused_only_for_rules_the_schema_states(seed in any::<u64>()) {
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::seed_from_u64(seed);
        let batch = from_schema(&openapi()["components"]["schemas"]["ActivityBatch"], &mut rng, 0);
        let t = target();
        let reply = t.runtime.block_on(call(&t.server.app, "POST", "/api/v1/activity", Some(&bearer(&t.token)), Some(serde_json::to_vec(&batch).expect("json"))));
        let status = reply.status.as_u16();
        prop_assert!(status == 200 || status == 422, "{status} {} for {batch}", reply.body);
        if status == 422 {
            let message = reply.body["message"].as_str().unwrap_or_default();
            let path = message.split(": ").next().unwrap_or_default();
            let stated = schema_at(path).iter().any(|s| s["description"].as_str().is_some_and(|d| d.contains("Rule:")));
            prop_assert!(stated, "refused for a reason the schema does not state: {message}\nfor {batch}");
        }
    }

    /// Any form to any server function, with any content type, with or without a session: an
    /// answer, and never a 5xx.
    #[test]
    fn arbitrary_forms_never_break_a_server_function(
        function in 0usize..SERVER_FUNCTIONS.len(),
        fields in prop::collection::vec(("[a-z_]{1,14}", "[ -~\\x{80}-\\x{10FFFF}]{0,12}"), 0..5),
        json in any::<bool>(),
        session in any::<bool>(),
    ) {
        let t = target();
        let (path, arguments) = SERVER_FUNCTIONS[function];
        // Mostly the function's own argument names, so the values are what gets tested.
        let mut form = String::new();
        for (i, (name, value)) in fields.iter().enumerate() {
            let name = arguments.get(i).copied().unwrap_or(name.as_str());
            form.push_str(&format!("{}{name}={}", if i == 0 { "" } else { "&" }, urlencode(value)));
        }
        let body = if json { serde_json::to_string(&fields.iter().cloned().collect::<BTreeMap<_, _>>()).expect("json") } else { form };
        let reply = t.runtime.block_on(async {
            let cookie = if session { Some(t.cookie.as_str()) } else { None };
            call_server_fn_as(&t.server.app, path, cookie, &body, if json { "application/json" } else { "application/x-www-form-urlencoded" }).await
        });
        let status = reply.status.as_u16();
        prop_assert!(status < 500, "{path} {body:?}: {status} {}", reply.body);
    }

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
    fn arbitrary_query_strings_never_break_the_statistics_or_exports(query in "[a-z_=&%0-9:+-]{0,40}") {
        let t = target();
        for route in ["/api/v1/stats", "/api/v1/teams/1/stats", "/api/v1/export.csv", "/api/v1/teams/1/export.csv"] {
            let reply = t.runtime.block_on(call(&t.server.app, "GET", &format!("{route}?{query}"), Some(&bearer(&t.token)), None));
            let status = reply.status.as_u16();
            prop_assert!(status == 200 || (400..500).contains(&status), "{route}?{query}: {status} {}", reply.body);
        }
    }
}
