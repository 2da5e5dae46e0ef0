//! The health-code system's part, played by the authority's node (SPEC.md §16.8): a holder
//! account gets its own current dynamic code, with its status from the status list in force,
//! signed with the node's personal-code key; it verifies at any gate and checks in like any
//! visitor's. Only a holder asks, for its own code; a node without the key, a holder the list
//! does not name, and a list out of date give no code. A holder reads nothing else.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{Auth, HOLDER, NAME, SH, TEMPLE, World, at, key};
use venuecode::door::CheckInRequest;
use venuecode::health::{Colour, HealthStatus};
use venuecode::id::IdNumber;
use venuecode::status::StatusList;
use venuecode::token::TokenKey;
use venuecode::{Prefix, Seal};
use venuecode_server::{Account, Issuer};

/// A status list (token layout, key 4) naming the tests' holder `colour`, valid from 06:00
/// for a day.
fn status_list(colour: Colour) -> Vec<u8> {
    let token = TokenKey::from_bytes([7; 32]).token(&IdNumber::parse(HOLDER).unwrap());
    let issued = at("2022-04-06T06:00:00+08:00");
    StatusList::build(
        vec![(token, HealthStatus { colour, nat: None })],
        Seal {
            serial: 1,
            issued_at: issued,
            valid_until: issued.saturating_add(86_400),
        },
        &key(4),
    )
    .unwrap()
}

/// The authority's node with the personal-code key, its status list naming the holder as
/// `colour`, and the holder's account; gives the world and the holder's token.
async fn issuing(colour: Colour) -> (World, String) {
    let w = World::with(|c| {
        c.lists.status = Some(status_list(colour));
        c.issuer = Some(Issuer::new(
            key(2),
            Prefix::new(SH).unwrap(),
            TokenKey::from_bytes([7; 32]),
        ));
    })
    .await;
    let token = holder_account(&w, "holder-1", HOLDER).await;
    (w, token)
}

async fn holder_account(w: &World, name: &str, id: &str) -> String {
    let account = Account::holder(
        name,
        NAME,
        &IdNumber::parse(id).unwrap(),
        &TokenKey::from_bytes([7; 32]),
    )
    .unwrap();
    // Only the masks and the token are kept.
    assert!(!format!("{account:?}").contains(id) && !format!("{account:?}").contains(NAME));
    w.directory(move |d| d.create(&account, venuecode::Timestamp::from_unix(0)))
        .await
        .unwrap()
}

async fn own_code(w: &World, token: &str) -> common::Answer {
    w.call(
        "GET",
        "/v1/holder/code",
        &[],
        "",
        Auth::Bearer(token),
        Vec::new(),
    )
    .await
}

#[tokio::test]
async fn a_holder_gets_its_own_code_which_checks_in_like_any_visitor_s() {
    let (w, token) = issuing(Colour::Green).await;
    let r = own_code(&w, &token).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let answer = r.json();
    assert_eq!(answer["name"], "张*丰");
    let now = w.now();
    assert_eq!(answer["issued_at"], serde_json::json!(now));
    assert_eq!(
        answer["valid_until"],
        serde_json::json!(now.saturating_add(60))
    );
    let code = answer["code"].as_str().unwrap().to_owned();
    assert!(!code.contains(HOLDER));
    let request = CheckInRequest {
        venue_code: common::venue_code(TEMPLE, "东门"),
        personal_code: code.clone(),
        device: "phone-1".into(),
        at: now,
        companion_of: None,
    };
    let pass = w.check_in(&request.to_json()).await;
    assert_eq!(pass.status, 200, "{}", String::from_utf8_lossy(&pass.body));
    let pass = &pass.json()["pass"];
    assert_eq!(
        (&pass["colour"], &pass["code"], &pass["holder"]["name"]),
        (&"green".into(), &"valid".into(), &"张*丰".into())
    );
    // A minute later the code has expired; asked again, the holder gets a new one.
    w.advance(61);
    let again = own_code(&w, &token).await.json();
    assert_ne!(again["code"], answer["code"]);
}

#[tokio::test]
async fn the_code_carries_the_status_list_s_colour() {
    let (w, token) = issuing(Colour::Red).await;
    let code = own_code(&w, &token).await.json()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let request = CheckInRequest {
        venue_code: common::venue_code(TEMPLE, "东门"),
        personal_code: code,
        device: "phone-1".into(),
        at: w.now(),
        companion_of: None,
    };
    let pass = w.check_in(&request.to_json()).await.json();
    assert_eq!(
        (&pass["pass"]["colour"], &pass["pass"]["decision"]),
        (&"red".into(), &"deny".into())
    );
}

#[tokio::test]
async fn only_a_holder_gets_a_code_and_a_holder_reads_nothing_else() {
    let (w, token) = issuing(Colour::Green).await;
    for account in ["authority", "temple-manager", "temple-east-gate"] {
        let r = own_code(&w, w.token(account)).await;
        assert_eq!(r.status, 403, "{account}");
    }
    assert_eq!(own_code(&w, "vct_0").await.status, 401);
    for (route, params) in [
        ("/v1/venues/{venue}/records", &[("venue", TEMPLE)][..]),
        ("/v1/counters", &[][..]),
    ] {
        let r = w
            .call("GET", route, params, "", Auth::Bearer(&token), Vec::new())
            .await;
        assert_eq!(r.status, 403, "{route}");
    }
}

#[tokio::test]
async fn no_code_without_the_key_an_entry_in_the_list_or_a_list_in_date() {
    // A node without the personal-code key: 404.
    let w = World::with(|c| c.lists.status = Some(status_list(Colour::Green))).await;
    let token = holder_account(&w, "holder-1", HOLDER).await;
    let r = own_code(&w, &token).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "not_found".to_owned()));
    // A holder the list does not name: 404, not a code with a made-up status.
    let (w, _) = issuing(Colour::Green).await;
    let stranger = holder_account(&w, "holder-2", "310101198001010018").await;
    let r = own_code(&w, &stranger).await;
    assert_eq!((r.status.as_u16(), r.code()), (404, "not_found".to_owned()));
    // The list out of date: 503.
    let (w, token) = issuing(Colour::Green).await;
    w.advance(2 * 86_400);
    let r = own_code(&w, &token).await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (503, "unavailable".to_owned())
    );
}

async fn add_companion(w: &World, token: &str, name: &str, id: &str) -> common::Answer {
    let body = serde_json::json!({ "name": name, "id_number": id }).to_string();
    w.call(
        "POST",
        "/v1/holder/companions",
        &[],
        "",
        Auth::Bearer(token),
        body.into_bytes(),
    )
    .await
}

#[tokio::test]
async fn a_holder_adds_a_companion_by_name_and_id_number_and_only_masks_come_back() {
    let (w, token) = issuing(Colour::Green).await;
    let raw = ("王小五", "440304201501010026");
    let r = add_companion(&w, &token, raw.0, raw.1).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let body = String::from_utf8(r.body.clone()).unwrap();
    assert!(!body.contains(raw.0) && !body.contains(raw.1), "{body}");
    let answer = r.json();
    assert_eq!(
        (&answer["name"], &answer["id_number"]),
        (&"王*五".into(), &"440304********00**".into())
    );
    assert_eq!(
        answer["valid_until"],
        serde_json::json!(w.now().saturating_add(86_400))
    );
    // The code is an offline code of the companion's own: checked in with the holder's, it is
    // the companion's record, naming the holder's.
    let own = own_code(&w, &token).await.json()["code"]
        .as_str()
        .unwrap()
        .to_owned();
    let holder = CheckInRequest {
        venue_code: common::venue_code(TEMPLE, "东门"),
        personal_code: own,
        device: "phone-1".into(),
        at: w.now(),
        companion_of: None,
    };
    let held = w.check_in(&holder.to_json()).await.json();
    let companion = CheckInRequest {
        personal_code: answer["code"].as_str().unwrap().to_owned(),
        companion_of: Some(held["record_id"].as_str().unwrap().parse().unwrap()),
        ..holder
    };
    let r = w.check_in(&companion.to_json()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["pass"]["holder"]["name"], "王*五");
    // Neither the directory nor the logs hold the raw values.
    let log = w.log.lock().unwrap().join("\n");
    assert!(!log.contains(raw.0) && !log.contains(raw.1), "{log}");
}

#[tokio::test]
async fn companions_by_name_are_a_holder_s_alone_checked_and_limited() {
    let (w, token) = issuing(Colour::Green).await;
    for account in ["authority", "temple-manager"] {
        let r = add_companion(&w, w.token(account), "王小五", "440304201501010026").await;
        assert_eq!(r.status, 403, "{account}");
    }
    // A bad number is refused by field, without quoting it.
    let r = add_companion(&w, &token, "王小五", "440304201501010027").await;
    assert_eq!(r.status, 400);
    let body = String::from_utf8(r.body.clone()).unwrap();
    assert!(
        body.contains("id_number") && !body.contains("440304201501010027"),
        "{body}"
    );
    let r = add_companion(&w, &token, "", "440304201501010026").await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    // Ten an hour, the two refused among them.
    for _ in 0..8 {
        assert_eq!(
            add_companion(&w, &token, "王小五", "440304201501010026")
                .await
                .status,
            200
        );
    }
    let r = add_companion(&w, &token, "王小五", "440304201501010026").await;
    assert_eq!(
        (r.status.as_u16(), r.code()),
        (429, "too_many_requests".to_owned())
    );
}
