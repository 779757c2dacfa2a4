//! The API's OpenAPI 3.1 document (`/api/v1/openapi.json`), generated from the Rust types with
//! the bounds their derive attributes cannot state.

use axum::Json;
use axum::response::IntoResponse;
use utoipa::OpenApi;

use super::extract::SESSION_COOKIE;
use super::{admin_routes, api, data_routes, streams};

#[derive(OpenApi)]
#[openapi(
    info(title = "KeyTrack API", version = "1", description = "Upload keyboard and mouse activity aggregates and read statistics. Errors are always {\"code\", \"message\"}."),
    paths(
        api::post_activity, api::get_stats, api::get_heatmaps, api::post_pairing, api::post_pairing_token, api::get_me, api::get_teams, api::get_team_stats, streams::own_stream, streams::team_stream,
        streams::watching, data_routes::own_csv, data_routes::team_csv, data_routes::own_report,
        data_routes::team_report, data_routes::account_json,
        data_routes::devices, data_routes::delete_device, data_routes::rename_device, data_routes::delete_activity, data_routes::delete_me, api::healthz,
        api::healthz_live, api::healthz_ready,
        admin_routes::people, admin_routes::change_person, admin_routes::delete_person, admin_routes::reset_link,
        admin_routes::invites, admin_routes::create_invite, admin_routes::revoke_invite, admin_routes::sign_up_policy,
        admin_routes::set_sign_up_policy, admin_routes::audit_events, admin_routes::audit_csv
    ),
    modifiers(&SecuritySchemes)
)]
struct ApiDoc;

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
        components
            .add_security_scheme("session", SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(SESSION_COOKIE))));
    }
}

/// The OpenAPI 3.1 document, generated from the Rust types, with the bounds derive attributes
/// cannot state added here, so that the schema says what the validator enforces (rules between
/// fields are named in each field's description, after "Rule:").
pub fn openapi() -> serde_json::Value {
    use keytrack_wire::{GRID_COLS, GRID_ROWS, HOUR_SECS, KEY_CODES, limits};
    use serde_json::json;
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let schemas = &mut doc["components"]["schemas"];
    schemas["GridCount"] = json!({
        "type": "array",
        "description": "`[column, row, count]`: a count in one cell of the 64 x 36 grid.",
        "prefixItems": [
            {"type": "integer", "minimum": 0, "maximum": GRID_COLS - 1},
            {"type": "integer", "minimum": 0, "maximum": GRID_ROWS - 1},
            {"type": "integer", "minimum": 0, "maximum": u32::MAX},
        ],
        "items": false,
        "minItems": 3,
        "maxItems": 3,
    });
    let key_names = json!({"type": "string", "enum": KEY_CODES});
    let chord_names = json!({
        "type": "string",
        "pattern": "^(Ctrl\\+)?(Alt\\+)?(Shift\\+)?(Meta\\+)?[A-Za-z0-9]+$",
    });
    let count = json!({"type": "integer", "minimum": 0, "maximum": u32::MAX});
    for (schema, field) in [("HourBlock", "keys"), ("ActivityMinute", "keys")] {
        schemas[schema]["properties"][field]["propertyNames"] = key_names.clone();
        schemas[schema]["properties"][field]["additionalProperties"] = count.clone();
    }
    for schema in ["HourBlock", "ActivityMinute"] {
        schemas[schema]["properties"]["chords"]["propertyNames"] = chord_names.clone();
        schemas[schema]["properties"]["chords"]["additionalProperties"] = count.clone();
    }
    let minute = &mut schemas["ActivityMinute"]["properties"]["minute"];
    minute["minimum"] = json!(limits::EARLIEST_MINUTE);
    minute["multipleOf"] = json!(60);
    for field in ["start", "end"] {
        let hour = &mut schemas["HourBlock"]["properties"][field];
        hour["minimum"] = json!(limits::EARLIEST_MINUTE);
        hour["multipleOf"] = json!(HOUR_SECS);
    }
    doc
}

pub async fn openapi_json() -> impl IntoResponse {
    Json(openapi())
}
