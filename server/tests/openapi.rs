//! The committed OpenAPI document: served as committed, one definition of the scan record
//! (docs/schema/scan-record-v2.json), every route the service answers is in it, and every
//! error code it names is one the service has.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Auth, World};
use serde_json::Value;

fn document() -> Value {
    serde_json::from_str(venuecode_server::OPENAPI).unwrap()
}

#[test]
fn the_scan_record_schema_is_the_one_of_the_exports() {
    let file =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/schema/scan-record-v2.json");
    let mut exported: Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    let o = exported.as_object_mut().unwrap();
    o.remove("$schema");
    o.remove("$id");
    assert_eq!(document()["components"]["schemas"]["ScanRecord"], exported);
    // Every state a code can be in, and no other.
    let states: Vec<Value> = std::iter::once("valid")
        .chain(venuecode::REJECTION_CODES.iter().copied())
        .map(Value::from)
        .chain([Value::Null])
        .collect();
    assert_eq!(
        exported["properties"]["code_state"]["enum"],
        Value::Array(states)
    );
}

#[test]
fn it_is_openapi_3_1_and_every_operation_has_an_id_and_responses() {
    let d = document();
    assert_eq!(d["openapi"], "3.1.0");
    let mut ids = std::collections::BTreeSet::new();
    for (path, ops) in d["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            assert!(
                ids.insert(op["operationId"].as_str().unwrap().to_owned()),
                "{method} {path}"
            );
            assert!(op["responses"]["default"].is_object(), "{method} {path}");
        }
    }
    // The JSON routes of `api::router` (the page's own, `/`, `/login`, `/logout`, are HTML).
    assert_eq!(ids.len(), 23);
}

#[tokio::test]
async fn the_service_serves_the_document_it_was_built_with() {
    let w = World::new().await;
    let r = w
        .call("GET", "/v1/openapi.json", &[], "", Auth::None, Vec::new())
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        serde_json::from_slice::<Value>(&r.body).unwrap(),
        document()
    );
    let r = w
        .call("GET", "/healthz", &[], "", Auth::None, Vec::new())
        .await;
    assert_eq!(r.json()["status"], "ok");
}

#[tokio::test]
async fn a_route_not_in_the_document_is_not_served() {
    let w = World::new().await;
    for path in ["/v1/venues", "/v1/admin", "/v1/venues/x/trace"] {
        let request = axum::http::Request::get(path)
            .body(axum::body::Body::empty())
            .unwrap();
        let r = tower::ServiceExt::oneshot(w.service.router(), request)
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(
            r.headers()["content-type"],
            "application/json",
            "errors are JSON"
        );
    }
}

/// The pattern of a label in a route or query: core's characters (`text::is_allowed`), each
/// character the document excludes named by its range, BMP ones as `\uXXXX` escapes and others
/// as themselves. UTF-16 surrogates are no characters (no request carries one) and regex engines
/// refuse them in a class, so they are not named.
fn label_pattern() -> String {
    let mut out = String::from("^[^");
    let mut cp = 0u32;
    let excluded = |cp: u32| match char::from_u32(cp) {
        Some(c) => !venuecode::text::is_allowed(c),
        None => false,
    };
    let show = |cp: u32| match char::from_u32(cp) {
        Some(c) if cp > 0xFFFF => c.to_string(),
        _ => format!("\\u{cp:04X}"),
    };
    while cp <= 0x10FFFF {
        if excluded(cp) {
            let start = cp;
            while cp < 0x10FFFF && excluded(cp + 1) {
                cp += 1;
            }
            out += &show(start);
            if cp > start {
                out += "-";
                out += &show(cp);
            }
        }
        cp += 1;
    }
    out + &format!("]{{1,{}}}$", venuecode_server::MAX_LABEL_PARAM_CHARS)
}

#[test]
fn a_label_parameter_is_cores_label_as_the_document_states_it() {
    let d = document();
    let label = &d["components"]["schemas"]["Label"];
    if std::env::var_os("VENUECODE_PRINT_LABEL").is_some() {
        println!("{}", label_pattern());
    }
    assert_eq!(label["pattern"], label_pattern());
    assert_eq!(label["maxLength"], venuecode_server::MAX_LABEL_PARAM_CHARS);
    // Every venue id and door in a route, a query or a trace request is one.
    let mut places = Vec::new();
    for (path, item) in d["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if ["venue", "door"].contains(&p["name"].as_str().unwrap()) {
                    places.push((format!("{method} {path} {}", p["name"]), &p["schema"]));
                }
            }
        }
    }
    places.push((
        "TraceVenueRequest".into(),
        &d["components"]["schemas"]["TraceVenueRequest"]["properties"]["venue_id"],
    ));
    assert_eq!(places.len(), 9, "{places:?}");
    for (place, schema) in places {
        assert_eq!(
            schema["$ref"], "#/components/schemas/Label",
            "{place}: {schema}"
        );
    }
}
