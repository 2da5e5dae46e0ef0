//! Who may do what (SPEC.md §16.2), every route against every account: a venue never sees
//! another venue's records, a district never another district's, a gate reads nothing, and only
//! the authority publishes lists and traces. Each expectation is written out, not derived from the code.

#![allow(clippy::unwrap_used)]

mod common;

use common::{ACCOUNTS, Auth, SCHOOL, TEMPLE, World};
use venuecode::health::Colour;

/// The accounts allowed, by route and argument; every other account gets 403 and no token 401.
fn allowed(route: &str, arg: &str) -> &'static [&'static str] {
    match (route, arg) {
        ("read", TEMPLE) => &["authority", "shanghai", "jingan", "temple-manager"],
        ("read", SCHOOL) => &["authority", "shanghai", "pudong", "school-manager"],
        ("upload", TEMPLE) => &["temple-east-gate"],
        ("upload", SCHOOL) => &["school-gate"],
        ("district", "310106") => &["authority", "shanghai", "jingan"],
        ("district", "310115") => &["authority", "shanghai", "pudong"],
        ("district", "31") => &["authority", "shanghai"],
        ("district", "3101") => &["authority", "shanghai"],
        ("publish" | "trace", _) => &["authority"],
        ("me", _) => &[
            "authority",
            "shanghai",
            "jingan",
            "pudong",
            "temple-manager",
            "school-manager",
            "temple-east-gate",
            "school-gate",
        ],
        _ => unreachable!(),
    }
}

/// A call: method, route, its parameters, the body, the status expected.
struct Call(
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
    Vec<u8>,
    u16,
);

#[tokio::test]
async fn every_route_against_every_account() {
    let w = World::new().await;
    // Both venues known to the service (their divisions from their verified codes).
    for venue in [TEMPLE, SCHOOL] {
        // A fresh code each: the same one at a second venue is a replay.
        w.advance(30);
        let r = w
            .check_in(&w.check_in_request(venue, "东门", Colour::Green, "p"))
            .await;
        assert_eq!(r.status, 200);
    }
    let mut serial = 1;
    let mut checked = 0;
    for (account, ..) in ACCOUNTS.iter().map(|a| (a.0, ())).chain([("", ())]) {
        let auth = || {
            if account.is_empty() {
                Auth::None
            } else {
                Auth::Bearer(w.token(account))
            }
        };
        let expect = |route: &str, arg: &str| -> u16 {
            if account.is_empty() {
                401
            } else if allowed(route, arg).contains(&account) {
                200
            } else {
                403
            }
        };
        let mut calls: Vec<Call> = Vec::new();
        for venue in [TEMPLE, SCHOOL] {
            for route in [
                "/v1/venues/{venue}/stats",
                "/v1/venues/{venue}/records",
                "/v1/venues/{venue}/export",
                "/v1/venues/{venue}/reports",
            ] {
                calls.push(Call(
                    "GET",
                    route,
                    vec![("venue", venue)],
                    Vec::new(),
                    expect("read", venue),
                ));
            }
            let records = common::gate_records_at(&w, venue, "东门", 1);
            let body = serde_json::to_vec(&serde_json::json!({ "records": records })).unwrap();
            calls.push(Call(
                "POST",
                "/v1/venues/{venue}/records",
                vec![("venue", venue)],
                body,
                expect("upload", venue),
            ));
        }
        for division in ["310106", "310115", "31", "3101"] {
            calls.push(Call(
                "GET",
                "/v1/districts/{division}/coverage",
                vec![("division", division)],
                Vec::new(),
                expect("district", division),
            ));
            calls.push(Call(
                "GET",
                "/v1/districts/{division}/reports",
                vec![("division", division)],
                Vec::new(),
                expect("district", division),
            ));
        }
        calls.push(Call("GET", "/v1/me", vec![], Vec::new(), expect("me", "")));
        calls.push(Call(
            "POST",
            "/v1/registry",
            vec![],
            b"venue_id,name,division,doors\nSH-PT-0018,T,310106,\xe4\xb8\x9c\xe9\x97\xa8\n"
                .to_vec(),
            expect("publish", ""),
        ));
        serial += 1;
        calls.push(Call(
            "PUT",
            "/v1/lists/{kind}",
            vec![("kind", "trust")],
            common::signed_trust_list(serial),
            expect("publish", ""),
        ));
        let venue_trace = serde_json::json!({
            "venue_id": TEMPLE,
            "from": "2022-04-06T00:00:00+08:00",
            "to": "2022-04-07T00:00:00+08:00",
            "reason": "case 2022-0406-01",
        });
        let holder_trace = serde_json::json!({
            "id_number": common::HOLDER,
            "reason": "case 2022-0406-01",
        });
        for (route, body) in [
            ("/v1/trace/venue", &venue_trace),
            ("/v1/trace/holder", &holder_trace),
        ] {
            calls.push(Call(
                "POST",
                route,
                vec![],
                serde_json::to_vec(body).unwrap(),
                expect("trace", ""),
            ));
        }
        for route in ["/v1/trace/audit", "/v1/trace/audit/log"] {
            calls.push(Call("GET", route, vec![], Vec::new(), expect("trace", "")));
        }
        calls.push(Call(
            "GET",
            "/v1/counters",
            vec![],
            Vec::new(),
            expect("publish", ""),
        ));
        for Call(method, route, params, body, want) in calls {
            let r = w.call(method, route, &params, "", auth(), body).await;
            assert_eq!(
                r.status.as_u16(),
                want,
                "{account:?} {method} {route} {params:?}: {}",
                String::from_utf8_lossy(&r.body[..r.body.len().min(300)])
            );
            if want != 200 {
                let code = r.code();
                assert_eq!(
                    code,
                    if want == 401 {
                        "unauthorized"
                    } else {
                        "forbidden"
                    }
                );
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 9 * 26);
    // Only the authority's two queries were answered, and so logged.
    let audit = w.get("/v1/trace/audit", &[], "", "authority").await;
    assert_eq!(audit.json()["entries"], 2);
}

#[tokio::test]
async fn a_venue_unknown_to_the_service_is_the_authority_s_alone() {
    let w = World::new().await;
    for account in ["shanghai", "jingan", "temple-manager", "school-gate"] {
        let r = w
            .get(
                "/v1/venues/{venue}/stats",
                &[("venue", "SH-XX-0001")],
                "",
                account,
            )
            .await;
        assert_eq!(r.status, 403, "{account}");
    }
    let r = w
        .get(
            "/v1/venues/{venue}/stats",
            &[("venue", "SH-XX-0001")],
            "",
            "authority",
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["summary"]["scans"], 0);
}

#[tokio::test]
async fn a_district_key_does_not_move_another_districts_venue() {
    let w = World::new().await;
    // The temple is Jing'an's (310106): its own code placed it there.
    let r = w
        .check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "p"))
        .await;
    assert_eq!(r.status, 200);
    // Pudong's venue key (scoped to 310115) signs a code for the temple that places it in
    // Pudong: the signature and the key's scope verify, the registry's division does not.
    w.advance(30);
    let mut forged: serde_json::Value =
        serde_json::from_str(&w.check_in_request(TEMPLE, "东门", Colour::Green, "p")).unwrap();
    forged["venue_code"] = common::venue_code_placed(TEMPLE, "东门", Some("310115"), 3).into();
    let r = w.check_in(&forged.to_string()).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (422, "division_mismatch"),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    // Nothing moved: Pudong still reads nothing of the temple, Jing'an all of it, and the
    // forged check-in stored nothing.
    let stats = |account| {
        w.get(
            "/v1/venues/{venue}/stats",
            &[("venue", TEMPLE)],
            "",
            account,
        )
    };
    assert_eq!(stats("pudong").await.status, 403);
    assert_eq!(stats("jingan").await.status, 200);
    assert_eq!(stats("authority").await.json()["summary"]["scans"], 1);
    // Counted for the authority.
    let counters = w.get("/v1/counters", &[], "", "authority").await;
    assert_eq!(counters.json()["refused"]["division_mismatch"], 1);
    // The registry is the authority's: it moves the temple to Pudong, and then the codes that
    // place it in Jing'an are the refused ones (at once on this node).
    let registry = "venue_id,name,division,doors\nSH-PT-0018,上海玉佛禅寺,310115,东门\n";
    let r = w.import_registry(registry, "authority").await;
    assert_eq!(r.status, 200);
    assert_eq!(stats("pudong").await.status, 200);
    assert_eq!(stats("jingan").await.status, 403);
    w.advance(30);
    let r = w
        .check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "p"))
        .await;
    assert_eq!(r.code(), "division_mismatch");
}

#[tokio::test]
async fn a_registry_imported_on_another_node_reaches_this_one_within_a_minute() {
    let w = World::new().await;
    let check_in = || async {
        w.advance(30);
        w.check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "p"))
            .await
    };
    assert_eq!(check_in().await.status, 200);
    // Another node moves the temple to Pudong: this node's memory of it is not cleared, so
    // for up to a minute its codes still get in here; then they are refused.
    w.directory(|d| {
        d.import_registry(&[venuecode::record::coverage::RegisteredVenue {
            venue_id: TEMPLE.into(),
            name: "上海玉佛禅寺".into(),
            division: 310_115,
            doors: vec!["东门".into()],
        }])
    })
    .await
    .unwrap();
    assert_eq!(check_in().await.status, 200, "30 s after this node asked");
    assert_eq!(check_in().await.code(), "division_mismatch", "60 s after");
}
