//! A venue code's own URL, served (SPEC.md §16.8): the path of a venue key's URL prefix and the
//! code's payload give the visitor's landing page for that door, verified as a gate verifies a
//! poster; a poster that does not verify gives the refusal page with its stable error code and
//! records nothing; any other path is 404 as before. The page in a browser is
//! `server/tests/visitor.test.mjs`'s.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{Auth, SH, TEMPLE, World};
use tower::ServiceExt;
use venuecode::door::CheckInRequest;
use venuecode::health::Colour;

/// Opens a code's URL: the prefix's path and the payload (percent-encoded, as a scanner may).
async fn open(w: &World, code: &str) -> common::Answer {
    let payload = code.strip_prefix(SH).unwrap();
    w.call(
        "GET",
        "/1/{payload}",
        &[("payload", payload)],
        "",
        Auth::None,
        Vec::new(),
    )
    .await
}

fn text(a: &common::Answer) -> String {
    String::from_utf8(a.body.clone()).unwrap()
}

#[tokio::test]
async fn a_posters_url_opens_the_landing_page_of_its_door() {
    let w = World::new().await;
    let code = common::venue_code(TEMPLE, "东门");
    let r = open(&w, &code).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let page = text(&r);
    assert!(page.contains("<h1 id=\"venue\">"), "{page}");
    assert!(page.contains(">东门</p>"), "{page}");
    assert!(
        page.contains(&format!("data-venue-code=\"{code}\"")),
        "the code the page checks in with is the poster's"
    );
    let now = w.now().unix().to_string();
    assert!(
        page.contains(&format!("data-now=\"{now}\"")),
        "the service's clock"
    );
    let csp = r.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'self'"));
    assert_eq!(r.headers["cache-control"], "no-store");
    // Its script and style are the service's own.
    for asset in ["/visitor.js", "/visitor.css"] {
        let request = axum::http::Request::get(asset)
            .body(axum::body::Body::empty())
            .unwrap();
        let r = w.service.router().oneshot(request).await.unwrap();
        assert_eq!(r.status(), 200, "{asset}");
    }
}

#[tokio::test]
async fn a_forged_poster_gets_the_refusal_page_and_nothing_is_recorded() {
    let w = World::new().await;
    // Signed by a key the trust list does not hold, and one with a character changed.
    let forged = common::venue_code_signed_by(TEMPLE, "东门", 9);
    let genuine = common::venue_code(TEMPLE, "东门");
    let last = if genuine.ends_with('A') { 'B' } else { 'A' };
    let edited = format!("{}{last}", &genuine[..genuine.len() - 1]);
    for (code, want) in [
        (forged, &["unknown_key", "wrong_key_usage"][..]),
        (edited, &["bad_signature", "malformed"][..]),
    ] {
        let r = open(&w, &code).await;
        assert_eq!(r.status, 422, "{}", text(&r));
        let page = text(&r);
        let given = page
            .split("data-code=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap();
        assert!(want.contains(&given), "{given}: {page}");
        assert!(page.contains("此场所码无效"), "Chinese first: {page}");
        assert!(
            r.headers["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
    let records = w.records_page(TEMPLE, "temple-manager").await;
    assert_eq!(records.json()["records"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_path_under_no_venue_prefix_is_404_and_only_get_opens_a_page() {
    let w = World::new().await;
    let r = w
        .call(
            "GET",
            "/1/{payload}",
            &[("payload", "")],
            "",
            Auth::None,
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "not_found");
    // Under another path than the prefix's: not a code's URL.
    let code = common::venue_code(TEMPLE, "东门");
    let request = axum::http::Request::get(format!("/2/{}", code.strip_prefix(SH).unwrap()))
        .body(axum::body::Body::empty())
        .unwrap();
    let r = w.service.router().oneshot(request).await.unwrap();
    assert_eq!(r.status(), 404);
    // Only GET opens a page.
    let request = axum::http::Request::post(format!("/1/{}", code.strip_prefix(SH).unwrap()))
        .body(axum::body::Body::empty())
        .unwrap();
    let r = w.service.router().oneshot(request).await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_companion_checked_in_from_the_visitor_s_phone_is_a_record_naming_the_visitor_s() {
    let w = World::new().await;
    let own = w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-1");
    let answer = w.check_in(&own).await;
    assert_eq!(answer.status, 200, "{}", text(&answer));
    let own_id = answer.json()["record_id"].as_str().unwrap().to_owned();
    let companion = |device: &str, of: &str| {
        let mut r: CheckInRequest =
            serde_json::from_str(&w.check_in_request_of("310101195001010014", TEMPLE, "东门"))
                .unwrap();
        r.device = device.into();
        r.companion_of = Some(of.parse().unwrap());
        r.to_json()
    };
    // Refused, and nothing stored: another phone naming the visitor's check-in, and a record
    // that is not there.
    for (device, of) in [
        ("phone-2", own_id.as_str()),
        ("phone-1", "0180000000000000000000000000000a"),
    ] {
        let r = w.check_in(&companion(device, of)).await;
        assert_eq!(r.status, 400, "{}", text(&r));
        assert_eq!(r.json()["error"]["code"], "invalid_input");
        let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
        assert!(message.contains("companion_of"), "{message}");
    }
    let r = w.check_in(&companion("phone-1", &own_id)).await;
    assert_eq!(r.status, 200, "{}", text(&r));
    let records = w.records_page(TEMPLE, "temple-manager").await.json();
    let records = records["records"].as_array().unwrap();
    assert_eq!(records.len(), 2, "{records:?}");
    assert_eq!(
        (&records[0]["origin"], &records[0]["companion_of"]),
        (&"self_scan".into(), &serde_json::Value::Null)
    );
    assert_eq!(
        (&records[1]["origin"], records[1]["companion_of"].as_str()),
        (&"companion".into(), Some(own_id.as_str()))
    );
    assert_eq!(records[1]["device"], records[0]["device"]);
    assert_ne!(records[1]["pseudonym"], records[0]["pseudonym"]);
}
