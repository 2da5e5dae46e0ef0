//! The service end to end, in process: check-ins, uploads, the manager's reads, lists, reports,
//! sessions; every response checked against openapi.json (tests/common).

#![allow(clippy::unwrap_used)]

mod common;

use common::{Auth, HOLDER, NAME, SCHOOL, TEMPLE, World};
use futures_util::StreamExt;
use http_body_util::BodyExt;
use tower::ServiceExt;
use venuecode::health::Colour;

const STATS: &str = "/v1/venues/{venue}/stats";
const RECORDS: &str = "/v1/venues/{venue}/records";

#[tokio::test]
async fn a_check_in_is_decided_stored_once_and_counted_for_the_manager() {
    let w = World::new().await;
    let request = w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-a");
    let first = w.check_in(&request).await;
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    let answer = first.json();
    assert_eq!(answer["pass"]["decision"], "admit");
    assert_eq!(answer["pass"]["door"], "东门");
    assert_eq!(answer["pass"]["holder"]["name"], "张*丰");
    assert_eq!(answer["stored"], true);
    // The app retries after a timeout: one record.
    let again = w.check_in(&request).await.json();
    assert_eq!(again["record_id"], answer["record_id"]);
    assert_eq!(again["stored"], false);

    let stats = w
        .get(
            STATS,
            &[("venue", TEMPLE)],
            "day=2022-04-06",
            "temple-manager",
        )
        .await;
    assert_eq!(stats.status, 200);
    let stats = stats.json();
    assert_eq!(stats["summary"]["scans"], 1);
    assert_eq!(stats["summary"]["by_colour"]["green"], 1);
    assert_eq!(stats["hours"]["hours"][9]["green"], 1, "09:00 CST");
    // The view to share beyond the venue (k = 2): the one green is withheld, and the hours
    // with it; k must be from 2 to 1,000.
    let shared = w
        .get(
            STATS,
            &[("venue", TEMPLE)],
            "day=2022-04-06&k=2",
            "temple-manager",
        )
        .await
        .json();
    assert_eq!(shared["k"], 2);
    assert_eq!(shared["summary"]["scans"], serde_json::Value::Null);
    assert_eq!(
        shared["summary"]["by_colour"]["green"],
        serde_json::Value::Null
    );
    assert_eq!(shared["summary"]["by_colour"]["red"], 0);
    assert_eq!(shared["hours"], serde_json::Value::Null);
    // A page's limit is 1 to 1,000, as the document says, not clamped (schemathesis, 2026-12).
    for limit in ["0", "1001"] {
        let r = w
            .get(
                RECORDS,
                &[("venue", TEMPLE)],
                &format!("limit={limit}"),
                "temple-manager",
            )
            .await;
        assert_eq!(r.status, 400, "limit={limit}");
    }
    for k in ["1", "1001", "x"] {
        let r = w
            .get(
                STATS,
                &[("venue", TEMPLE)],
                &format!("k={k}"),
                "temple-manager",
            )
            .await;
        assert_eq!(r.status, 400, "k={k}");
    }
    let page = w
        .get(RECORDS, &[("venue", TEMPLE)], "", "temple-manager")
        .await;
    let page_json = page.json();
    assert_eq!(page_json["records"].as_array().unwrap().len(), 1);
    assert_eq!(page_json["records"][0]["id"], answer["record_id"]);
    assert_eq!(page_json["records"][0]["id_division"], "110105");
    // Nothing the service gives a manager or writes to its log names the holder.
    let text = String::from_utf8_lossy(&page.body);
    for secret in [NAME, HOLDER, "张*丰", &HOLDER[..10]] {
        assert!(!text.contains(secret), "{secret} in {text}");
        for line in w.log.lock().unwrap().iter() {
            assert!(!line.contains(secret), "{secret} in the log: {line}");
        }
    }
    assert!(
        w.log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.starts_with("POST /v1/check-ins 200"))
    );
}

#[tokio::test]
async fn a_check_in_timed_by_javascript_is_taken_and_kept_to_the_second() {
    let w = World::new().await;
    w.advance(35);
    let mut request: serde_json::Value =
        serde_json::from_str(&w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-a"))
            .unwrap();
    // What `new Date().toISOString()` writes: milliseconds, in UTC.
    let at = w.now().to_rfc3339().unwrap().replace('Z', ".123Z");
    request["at"] = at.clone().into();
    let r = w.check_in(&request.to_string()).await;
    assert_eq!(r.status, 200, "{at}: {}", String::from_utf8_lossy(&r.body));
    let page = w
        .get(RECORDS, &[("venue", TEMPLE)], "", "authority")
        .await
        .json();
    assert_eq!(page["records"][0]["at"], w.now().to_rfc3339().unwrap());
}

#[tokio::test]
async fn no_answer_is_kept_by_a_cache_or_read_as_another_type() {
    let w = World::new().await;
    w.check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-a"))
        .await;
    // Red team, 2026-12: record responses had neither header.
    for (route, query) in [
        (RECORDS, ""),
        (STATS, ""),
        ("/v1/venues/{venue}/export", "format=csv"),
        ("/v1/venues/{venue}/export", "format=nonsense"),
    ] {
        let r = w
            .get(route, &[("venue", TEMPLE)], query, "temple-manager")
            .await;
        assert_eq!(r.headers["cache-control"], "no-store", "{route} {query}");
        assert_eq!(r.headers["x-content-type-options"], "nosniff", "{route}");
    }
    let r = w.check_in("{").await;
    assert_eq!(r.headers["cache-control"], "no-store");
    // The signed lists say their own: revalidated by ETag.
    let r = w.list("trust").await;
    assert_eq!(r.headers["cache-control"], "no-cache");
    assert_eq!(r.headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn a_nul_or_a_bidi_override_is_no_door_or_venue_and_an_empty_registry_wipes_nothing() {
    let w = World::new().await;
    // Red team, 2026-12: `door=%00` was a 503 on PostgreSQL (its text cannot hold a NUL).
    for query in ["door=%00", "door=%E2%80%AE"] {
        let r = w.get(STATS, &[("venue", TEMPLE)], query, "authority").await;
        assert_eq!(
            (r.status.as_u16(), r.code().as_str()),
            (400, "invalid_input"),
            "{query}"
        );
    }
    let r = w.get(STATS, &[("venue", "SH\u{0}")], "", "authority").await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (400, "invalid_input")
    );
    // An empty registry would have replaced the one before with nothing.
    let csv = format!("venue_id,name,division,doors\n{TEMPLE},上海玉佛禅寺,310106,东门\n");
    let import = async |body: &str| w.import_registry(body, "authority").await;
    assert_eq!(import(&csv).await.status, 200);
    for empty in ["", "venue_id,name,division,doors\n"] {
        let r = import(empty).await;
        assert_eq!(
            (r.status.as_u16(), r.code().as_str()),
            (400, "invalid_input")
        );
    }
    let coverage = w
        .get(
            "/v1/districts/{division}/coverage",
            &[("division", "310106")],
            "",
            "authority",
        )
        .await
        .json();
    assert!(coverage.to_string().contains(TEMPLE), "{coverage}");
}

#[tokio::test]
async fn a_retry_after_a_lost_answer_gets_its_own_pass_again() {
    let w = World::new().await;
    let request = w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-a");
    let first = w.check_in(&request).await.json();
    assert_eq!(first["pass"]["decision"], "admit");
    // The answer was lost (a 408 at the app); the app sends the same request 15 s later, past
    // the replay grace (red team, 2026-12: judged a screenshot, deny and report, while the
    // stored record said admit).
    w.advance(15);
    let retry = w.check_in(&request).await.json();
    assert_eq!(
        (
            &retry["pass"]["decision"],
            &retry["pass"]["code"],
            &retry["stored"]
        ),
        (&"admit".into(), &"valid".into(), &false.into()),
        "{retry}"
    );
    assert_eq!(retry["record_id"], first["record_id"]);
    // The same code from the same phone as a new request (another door) is still a copy.
    let mut elsewhere: serde_json::Value = serde_json::from_str(&request).unwrap();
    elsewhere["venue_code"] = common::venue_code(TEMPLE, "西门").into();
    let r = w.check_in(&elsewhere.to_string()).await.json();
    assert_eq!(r["pass"]["code"], "replayed");
}

#[tokio::test]
async fn bad_check_ins_get_typed_errors_and_store_nothing() {
    let w = World::new().await;
    let good = w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-a");
    // A counterfeit poster: the door's code signed by a key nobody trusts, and one damaged.
    let mut forged: serde_json::Value = serde_json::from_str(&good).unwrap();
    forged["venue_code"] = common::venue_code_signed_by(TEMPLE, "东门", 8).into();
    let r = w.check_in(&forged.to_string()).await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (422, "unknown_key"));
    let text = forged["venue_code"].as_str().unwrap().to_owned();
    forged["venue_code"] = text.replace(common::SH, "HTTPS://VC.SH.GOV.CC/1/").into();
    let r = w.check_in(&forged.to_string()).await;
    assert_eq!(r.status, 422);
    let r = w.check_in("{not json").await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (400, "invalid_input")
    );
    let r = w.check_in(&"x".repeat(20_000)).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (400, "invalid_input")
    );
    // Ten minutes later the same request is too old to be checked honestly.
    w.advance(600);
    let r = w.check_in(&good).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (400, "invalid_input")
    );
    let page = w
        .get(RECORDS, &[("venue", TEMPLE)], "", "authority")
        .await
        .json();
    assert_eq!(page["records"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn a_red_check_in_is_reported_live_to_its_venue_and_district_only() {
    let w = World::new().await;
    let venue = w
        .subscribe(&format!("/v1/venues/{TEMPLE}/reports"), "temple-manager")
        .await;
    let district = w.subscribe("/v1/districts/310106/reports", "jingan").await;
    let elsewhere = w.subscribe("/v1/districts/310115/reports", "pudong").await;
    assert_eq!(venue.status(), 200);
    assert_eq!(
        venue.headers()["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let green = w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-a");
    assert_eq!(w.check_in(&green).await.json()["pass"]["report"], false);
    w.advance(30);
    let red = w.check_in_request(TEMPLE, "东门", Colour::Red, "phone-b");
    let answer = w.check_in(&red).await.json();
    assert_eq!(answer["pass"]["decision"], "deny");
    assert_eq!(answer["pass"]["report"], true);

    for stream in [venue, district] {
        let mut body = stream.into_body().into_data_stream();
        let mut text = String::new();
        while !text.contains("\n\n") {
            let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), body.next())
                .await
                .expect("a report within 5 s")
                .unwrap()
                .unwrap();
            text.push_str(&String::from_utf8_lossy(&chunk));
        }
        assert!(text.starts_with("event: report\n"), "{text}");
        let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
        let record: serde_json::Value = serde_json::from_str(data).unwrap();
        w.validate("ScanRecord", &record);
        assert_eq!(
            record["id"], answer["record_id"],
            "the red one, not the green one"
        );
        assert_eq!(record["colour"], "red");
    }
    // Pudong heard nothing within a second.
    let mut body = elsewhere.into_body().into_data_stream();
    let heard = tokio::time::timeout(std::time::Duration::from_millis(1000), body.next()).await;
    assert!(heard.is_err(), "another district got a report");
}

#[tokio::test]
async fn a_flood_of_check_ins_stores_and_reports_a_bounded_number() {
    let w = World::with(|c| {
        // 50 at once from one address, then (almost) nothing: the test's flood is one burst.
        c.limits.check_ins_per_address = venuecode_server::Rate::new(0.001, 50.0);
    })
    .await;
    let mut stream = w
        .subscribe(&format!("/v1/venues/{TEMPLE}/reports"), "temple-manager")
        .await
        .into_body()
        .into_data_stream();
    // One real dynamic code, posted 300 times with a new device id each time (red team,
    // 2026-12: 3,000 posts stored 3,000 `replayed` records and sent 3,000 reports).
    let base: serde_json::Value =
        serde_json::from_str(&w.check_in_request(TEMPLE, "东门", Colour::Green, "x")).unwrap();
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    for i in 0..300 {
        let mut request = base.clone();
        request["device"] = format!("flood-{i}").into();
        let r = w
            .check_in_from("198.51.100.7:40000", &request.to_string())
            .await;
        *statuses.entry(r.status.as_u16()).or_default() += 1;
    }
    assert_eq!(statuses, [(200, 50), (429, 250)].into(), "{statuses:?}");
    // Another address is not held back by it.
    w.advance(30);
    let other = w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-b");
    let r = w.check_in_from("203.0.113.9:50000", &other).await;
    assert_eq!(r.status, 200);
    // Stored: 51 (the first admitted, 49 copies replayed, the other address's); reported: the
    // copies once.
    let page = w
        .get(RECORDS, &[("venue", TEMPLE)], "limit=1000", "authority")
        .await
        .json();
    assert_eq!(page["records"].as_array().unwrap().len(), 51);
    let mut events = String::new();
    while let Ok(Some(Ok(chunk))) =
        tokio::time::timeout(std::time::Duration::from_millis(500), stream.next()).await
    {
        events.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert_eq!(events.matches("event: report\n").count(), 1, "{events}");
    let counters = w.get("/v1/counters", &[], "", "authority").await.json();
    assert_eq!(counters["refused"]["too_many_check_ins"], 250);
}

#[tokio::test]
async fn one_device_checks_in_a_few_and_a_code_no_one_signed_is_counted_not_stored() {
    let w = World::new().await;
    // A phone checks in its holder and companions: ten at once, then one every 6 s.
    for _ in 0..10 {
        let r = w
            .check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-a"))
            .await;
        assert_eq!(r.status, 200);
    }
    let r = w
        .check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-a"))
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (429, "too_many_requests")
    );
    // A real poster with a personal code no one signed: refused with its state, not stored
    // (red team, 2026-12: each such post stored a `malformed` record).
    let mut forged: serde_json::Value =
        serde_json::from_str(&w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-z"))
            .unwrap();
    forged["personal_code"] = "HTTPS://VC.SH.GOV.CN/1/P?garbage".into();
    let r = w.check_in(&forged.to_string()).await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (422, "malformed"));
    forged["personal_code"] = common::personal_signed_by(Colour::Green, w.now(), 8).into();
    forged["device"] = "phone-y".into();
    let r = w.check_in(&forged.to_string()).await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (422, "unknown_key"));
    let page = w
        .get(RECORDS, &[("venue", TEMPLE)], "limit=1000", "authority")
        .await
        .json();
    assert_eq!(
        page["records"].as_array().unwrap().len(),
        1,
        "ten of one request: one record"
    );
    let counters = w.get("/v1/counters", &[], "", "authority").await.json();
    assert_eq!(counters["refused"]["unsigned_personal_code"], 2);
    assert_eq!(counters["refused"]["too_many_check_ins"], 1);
}

#[tokio::test]
async fn report_streams_are_capped_by_account_and_in_all() {
    let w = World::with(|c| {
        c.limits.streams_per_account = 3;
        c.limits.streams = 5;
    })
    .await;
    let temple = format!("/v1/venues/{TEMPLE}/reports");
    // One account: three streams, then 429 (red team, 2026-12: 345 on one token).
    let mut open = Vec::new();
    for _ in 0..3 {
        let r = w.subscribe(&temple, "temple-manager").await;
        assert_eq!(r.status(), 200);
        open.push(r);
    }
    let r = w.subscribe(&temple, "temple-manager").await;
    assert_eq!(r.status(), 429);
    // Its district's streams count apart, up to the service's five in all.
    for _ in 0..2 {
        let r = w.subscribe("/v1/districts/310106/reports", "jingan").await;
        assert_eq!(r.status(), 200);
        open.push(r);
    }
    let r = w.subscribe("/v1/districts/310106/reports", "jingan").await;
    assert_eq!(r.status(), 429, "five streams in all");
    // A stream closed (its client gone) is a place again.
    open.remove(0);
    let r = w.subscribe(&temple, "temple-manager").await;
    assert_eq!(r.status(), 200);
    let counters = w.get("/v1/counters", &[], "", "authority").await.json();
    assert_eq!(counters["refused"]["too_many_streams"], 2);
}

#[tokio::test]
async fn an_open_report_stream_ends_when_its_token_is_revoked() {
    let w = World::with(|c| c.limits.stream_recheck = std::time::Duration::from_millis(50)).await;
    let temple = format!("/v1/venues/{TEMPLE}/reports");
    let mut kept = w
        .subscribe(&temple, "temple-manager")
        .await
        .into_body()
        .into_data_stream();
    let mut cut = w
        .subscribe("/v1/districts/310106/reports", "jingan")
        .await
        .into_body()
        .into_data_stream();
    // Several rechecks pass: both streams stay open.
    async fn quiet(s: &mut axum::body::BodyDataStream) -> bool {
        tokio::time::timeout(std::time::Duration::from_millis(300), s.next())
            .await
            .is_err()
    }
    assert!(quiet(&mut kept).await && quiet(&mut cut).await);
    // The district's token is revoked (red team, 2026-12: its open streams kept receiving).
    let token = w.token("jingan").to_owned();
    w.directory(move |d| d.revoke_token(&token)).await.unwrap();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Some(Ok(_)) = cut.next().await {}
    })
    .await;
    assert!(ended.is_ok(), "the revoked token's stream ended");
    assert!(quiet(&mut kept).await, "another account's stream stays");
    // Nor does the token open another.
    assert_eq!(
        w.subscribe("/v1/districts/310106/reports", "jingan")
            .await
            .status(),
        401
    );
}

#[tokio::test]
async fn a_gate_upload_stores_each_record_once_and_only_its_own() {
    let w = World::new().await;
    // A gate's records: admissions at its door, made by core as the gate makes them.
    let records = common::gate_records(&w, 3);
    let upload = async |records: &[venuecode::record::ScanRecord], account: &str| {
        w.upload(TEMPLE, account, records).await
    };
    let r = upload(&records[..2], "temple-east-gate").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        (r.json()["added"].as_u64(), r.json()["already"].as_u64()),
        (Some(2), Some(0))
    );
    // The gate retries after a timeout, with its queue grown by one.
    let r = upload(&records, "temple-east-gate").await.json();
    assert_eq!(
        (r["added"].as_u64(), r["already"].as_u64()),
        (Some(1), Some(2))
    );
    let page = w
        .get(RECORDS, &[("venue", TEMPLE)], "", "temple-manager")
        .await
        .json();
    assert_eq!(page["records"].as_array().unwrap().len(), 3);

    // Another venue's gate, a manager, a door the gate does not have, a raw ID number.
    assert_eq!(upload(&records, "school-gate").await.status, 403);
    assert_eq!(upload(&records, "temple-manager").await.status, 403);
    let mut west = records[0].clone();
    west.door = "西门".into();
    assert_eq!(upload(&[west], "temple-east-gate").await.status, 403);
    let mut raw = records[0].clone();
    raw.id_number = Some(HOLDER.into());
    let r = upload(&[raw], "temple-east-gate").await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (400, "invalid_input")
    );
    // A name with one `*` is not a mask; a label with an ID number or a bidi override is not a
    // door (red team, 2026-12: both stored, and from there into exports and reports).
    let mut starred = records[0].clone();
    starred.name = Some("张*丰丰".into());
    let mut labelled = records[0].clone();
    labelled.door = format!("东门{HOLDER}");
    let mut bidi = records[0].clone();
    bidi.door = "东门\u{202e}".into();
    for bad in [starred, labelled, bidi] {
        let r = upload(&[bad], "temple-east-gate").await;
        assert_eq!(
            (r.status.as_u16(), r.code().as_str()),
            (400, "invalid_input")
        );
    }
    let r = w
        .call(
            "POST",
            RECORDS,
            &[("venue", TEMPLE)],
            "",
            Auth::None,
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn a_self_built_system_syncs_by_cursor_and_gets_late_records_too() {
    let w = World::new().await;
    let mut ids = Vec::new();
    for i in 0..5 {
        w.advance(60);
        let r = w
            .check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, &format!("p{i}")))
            .await;
        ids.push(r.json()["record_id"].as_str().unwrap().to_owned());
    }
    let first = w
        .get(RECORDS, &[("venue", TEMPLE)], "limit=2", "temple-manager")
        .await
        .json();
    let got: Vec<&str> = first["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[0].as_str(), ids[1].as_str()]);
    let cursor = first["next"].as_str().unwrap().to_owned();
    let rest = w
        .get(
            RECORDS,
            &[("venue", TEMPLE)],
            &format!("after={cursor}&limit=10"),
            "temple-manager",
        )
        .await
        .json();
    assert_eq!(rest["records"].as_array().unwrap().len(), 3);
    let end = rest["next"].as_str().unwrap().to_owned();
    let none = w
        .get(
            RECORDS,
            &[("venue", TEMPLE)],
            &format!("after={end}"),
            "temple-manager",
        )
        .await
        .json();
    assert!(none["records"].as_array().unwrap().is_empty());
    assert_eq!(none["next"], end.as_str(), "the cursor stays");
    let r = w
        .get(
            RECORDS,
            &[("venue", TEMPLE)],
            &format!("after={}", "0".repeat(32)),
            "temple-manager",
        )
        .await;
    assert_eq!(r.status, 404);
    let r = w
        .get(RECORDS, &[("venue", TEMPLE)], "after=zz", "temple-manager")
        .await;
    assert_eq!(r.status, 400);
}

#[tokio::test]
async fn exports_are_files_of_the_day() {
    let w = World::new().await;
    w.check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "p"))
        .await;
    let export = "/v1/venues/{venue}/export";
    for (format, starts) in [
        ("jsonl", &b"{\"id\":"[..]),
        ("csv", b"id,origin"),
        ("parquet", b"PAR1"),
    ] {
        let r = w
            .get(
                export,
                &[("venue", TEMPLE)],
                &format!("day=2022-04-06&format={format}"),
                "temple-manager",
            )
            .await;
        assert_eq!(r.status, 200, "{format}");
        assert!(
            r.body.starts_with(starts),
            "{format}: {:?}",
            &r.body[..8.min(r.body.len())]
        );
        let disposition = r.headers["content-disposition"].to_str().unwrap();
        assert!(disposition.contains(&format!("{TEMPLE}-2022-04-06.{format}")));
    }
    let r = w
        .get(
            export,
            &[("venue", TEMPLE)],
            "format=xlsx",
            "temple-manager",
        )
        .await;
    assert_eq!(r.status, 400);
    let r = w
        .get(export, &[("venue", TEMPLE)], "format=csv", "school-manager")
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn lists_are_served_with_etags_and_only_the_authority_publishes_newer_ones() {
    let w = World::new().await;
    let route = "/v1/lists/{kind}";
    let r = w.list("trust").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, common::signed_trust_list(1));
    let tag = r.headers["etag"].to_str().unwrap().to_owned();
    let mut request = axum::http::Request::get("/v1/lists/trust")
        .header("if-none-match", &tag)
        .body(axum::body::Body::empty())
        .unwrap();
    let cached = w.service.router().oneshot(request).await.unwrap();
    assert_eq!(cached.status(), 304);
    assert!(
        cached
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .is_empty()
    );
    let r = w.list("status").await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (404, "not_found"));

    let put = |serial: u64, account: &'static str| {
        w.call(
            "PUT",
            route,
            &[("kind", "trust")],
            "",
            Auth::Bearer(w.token(account)),
            common::signed_trust_list(serial),
        )
    };
    assert_eq!(put(2, "temple-manager").await.status, 403);
    assert_eq!(put(2, "shanghai").await.status, 403);
    let r = put(2, "authority").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let served = w.list("trust").await;
    assert_eq!(served.body, common::signed_trust_list(2));
    assert_eq!(served.headers["etag"].to_str().unwrap(), r.json()["etag"]);
    // The old list again: refused, and the new one stays in force.
    let r = put(1, "authority").await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (409, "rolled_back"));
    // Garbage does not verify.
    let r = w
        .call(
            "PUT",
            route,
            &[("kind", "trust")],
            "",
            Auth::Bearer(w.token("authority")),
            b"junk".to_vec(),
        )
        .await;
    assert_eq!(r.status.as_u16() / 100, 4);
    request = axum::http::Request::get("/v1/lists/trust")
        .body(axum::body::Body::empty())
        .unwrap();
    let body = w
        .service
        .router()
        .oneshot(request)
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes();
    assert_eq!(body.to_vec(), common::signed_trust_list(2));
}

#[tokio::test]
async fn a_restart_keeps_records_lists_and_refuses_an_older_trust_list() {
    let w = World::new().await;
    w.check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "p"))
        .await;
    let r = w
        .call(
            "PUT",
            "/v1/lists/{kind}",
            &[("kind", "trust")],
            "",
            Auth::Bearer(w.token("authority")),
            common::signed_trust_list(3),
        )
        .await;
    assert_eq!(r.status, 200);
    let World {
        dir,
        database,
        clock,
        service,
        log,
        tokens,
        ..
    } = w;
    drop(service);
    // Started again with the list of serial 1 on its command line: refused.
    let old = venuecode_server::Service::open(common::config(
        dir.path(),
        database.clone(),
        clock.clone(),
        log.clone(),
    ))
    .await;
    assert_eq!(old.err().map(|e| e.code), Some("rolled_back"));
    // Started without one: the kept serial 3 is in force, the record is there.
    let mut config = common::config(dir.path(), database, clock, log);
    config.lists.trust.clear();
    let service = venuecode_server::Service::open(config).await.unwrap();
    let request = axum::http::Request::get(format!("/v1/venues/{TEMPLE}/records"))
        .header(
            "authorization",
            format!("Bearer {}", tokens["temple-manager"]),
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let body = service
        .router()
        .oneshot(request)
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes();
    let page: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(page["records"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn over_plain_http_the_session_cookie_drops_secure_and_only_its_own_name_is_read() {
    let w = World::with(|c| c.plain_http = true).await;
    let ok = w
        .service
        .router()
        .oneshot(
            axum::http::Request::post("/login")
                .header("content-type", "application/x-www-form-urlencoded")
                .body(axum::body::Body::from(format!(
                    "token={}",
                    w.token("temple-manager")
                )))
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.starts_with("vc_session="), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");
    let session = cookie.split(';').next().unwrap()["vc_session=".len()..].to_owned();
    let me = |name: &str| {
        axum::http::Request::get("/v1/me")
            .header("cookie", format!("{name}={session}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    let plain = w.service.router().oneshot(me("vc_session")).await.unwrap();
    assert_eq!(plain.status(), 200);
    // The name is the configuration's: the other one is no session.
    let other = w.service.router().oneshot(me("__Host-vc_session"));
    assert_eq!(other.await.unwrap().status(), 401);
}

#[tokio::test]
async fn the_page_logs_in_with_a_strict_session_and_needs_csrf_for_changes() {
    let w = World::new().await;
    let page = w
        .service
        .router()
        .oneshot(
            axum::http::Request::get("/")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'"));
    let login = |token: &str| {
        axum::http::Request::post("/login")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(axum::body::Body::from(format!("token={token}")))
            .unwrap()
    };
    let refused = w.service.router().oneshot(login("vct_nope")).await.unwrap();
    assert_eq!(refused.status(), 401);
    assert!(refused.headers().get("set-cookie").is_none());
    // Another site's form cannot log the browser in (red team, 2026-12: login CSRF), whether
    // the browser says so by Sec-Fetch-Site or by Origin.
    for (name, value) in [
        ("sec-fetch-site", "cross-site"),
        ("origin", "https://evil.example"),
        ("origin", "null"),
    ] {
        let mut request = login(w.token("temple-manager"));
        request.headers_mut().insert(name, value.parse().unwrap());
        request
            .headers_mut()
            .insert("host", "127.0.0.1:8080".parse().unwrap());
        let r = w.service.router().oneshot(request).await.unwrap();
        assert_eq!(r.status(), 403, "{name}: {value}");
        assert!(r.headers().get("set-cookie").is_none());
    }
    let mut own = login(w.token("temple-manager"));
    own.headers_mut()
        .insert("origin", "http://127.0.0.1:8080".parse().unwrap());
    own.headers_mut()
        .insert("host", "127.0.0.1:8080".parse().unwrap());
    assert_eq!(w.service.router().oneshot(own).await.unwrap().status(), 303);
    // Logins from one address are limited: ten at once (red team, 2026-12: none).
    let from = |mut r: axum::http::Request<axum::body::Body>| {
        r.extensions_mut().insert(axum::extract::ConnectInfo(
            "198.51.100.7:40000"
                .parse::<std::net::SocketAddr>()
                .unwrap(),
        ));
        r
    };
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let r = w.service.router().oneshot(from(login("vct_nope")));
        statuses.push(r.await.unwrap().status().as_u16());
    }
    assert_eq!(statuses, [[401; 10].as_slice(), &[429]].concat());
    let ok = w
        .service
        .router()
        .oneshot(login(w.token("temple-manager")))
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    let cookie = ok.headers()["set-cookie"].to_str().unwrap().to_owned();
    // Secure and host-only (red team, 2026-12: neither).
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/", "; Secure"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    let session = cookie
        .split(';')
        .next()
        .unwrap()
        .strip_prefix("__Host-vc_session=")
        .unwrap()
        .to_owned();
    let me = w
        .call(
            "GET",
            "/v1/me",
            &[],
            "",
            Auth::Cookie(&session, None),
            Vec::new(),
        )
        .await;
    assert_eq!(me.json()["name"], "temple-manager");
    // The dashboard carries the session's CSRF token.
    let dash = w
        .service
        .router()
        .oneshot(
            axum::http::Request::get("/")
                .header("cookie", format!("__Host-vc_session={session}"))
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let html = String::from_utf8(
        dash.into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    let csrf = html
        .split("name=\"csrf\" content=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(csrf.len(), 64);
    // A change by cookie without the CSRF token (a forged form) is refused, with it goes on
    // to the account's own checks (a manager may not publish).
    let r = w
        .call(
            "PUT",
            "/v1/lists/{kind}",
            &[("kind", "trust")],
            "",
            Auth::Cookie(&session, None),
            Vec::new(),
        )
        .await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (403, "forbidden"));
    let (token, now) = (w.token("authority").to_owned(), w.now());
    let authority = w
        .directory(move |d| d.login(&token, now))
        .await
        .unwrap()
        .unwrap();
    let r = w
        .call(
            "PUT",
            "/v1/lists/{kind}",
            &[("kind", "trust")],
            "",
            Auth::Cookie(&authority.0, None),
            common::signed_trust_list(2),
        )
        .await;
    assert_eq!(r.status, 403, "no CSRF token");
    let r = w
        .call(
            "PUT",
            "/v1/lists/{kind}",
            &[("kind", "trust")],
            "",
            Auth::Cookie(&authority.0, Some(&authority.1)),
            common::signed_trust_list(2),
        )
        .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // After eight hours the session is over.
    w.advance(8 * 3600);
    let r = w
        .call(
            "GET",
            "/v1/me",
            &[],
            "",
            Auth::Cookie(&session, None),
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, 401);
}

#[tokio::test]
async fn revoked_tokens_and_accounts_stop_at_once() {
    let w = World::new().await;
    async fn me(w: &World, token: &str) -> common::Answer {
        w.call("GET", "/v1/me", &[], "", Auth::Bearer(token), Vec::new())
            .await
    }
    assert_eq!(me(&w, w.token("temple-manager")).await.status, 200);
    let now = w.now();
    let second = w
        .directory(move |d| d.issue("temple-manager", now))
        .await
        .unwrap();
    let first = w.token("temple-manager").to_owned();
    w.directory(move |d| d.revoke_token(&first)).await.unwrap();
    assert_eq!(me(&w, w.token("temple-manager")).await.status, 401);
    assert_eq!(
        me(&w, &second).await.status,
        200,
        "the other token still works"
    );
    w.directory(|d| d.revoke("temple-manager")).await.unwrap();
    assert_eq!(me(&w, &second).await.status, 401);
    assert!(
        w.directory(move |d| d.issue("temple-manager", now))
            .await
            .is_err()
    );
    let r = me(&w, "vct_0000").await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (401, "unauthorized")
    );
    // That tokens are stored as digests only is the directory's contract
    // (ledger/tests/directory.rs), on both kinds of store.
}

#[tokio::test]
async fn limits_answer_json_errors() {
    let w = World::new().await;
    let big = vec![b'x'; 2 << 20];
    let r = w
        .call(
            "POST",
            RECORDS,
            &[("venue", TEMPLE)],
            "",
            Auth::Bearer(w.token("temple-east-gate")),
            big,
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (413, "payload_too_large")
    );
    let r = w
        .get(
            STATS,
            &[("venue", TEMPLE)],
            "day=06.04.2022",
            "temple-manager",
        )
        .await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (400, "invalid_input")
    );
    // A token's burst, then 429.
    let limited = (0..300)
        .map(|_| w.get("/v1/me", &[], "", "school-manager"))
        .collect::<futures_util::stream::FuturesOrdered<_>>()
        .collect::<Vec<_>>()
        .await;
    let statuses: Vec<u16> = limited.iter().map(|a| a.status.as_u16()).collect();
    assert!(statuses.iter().filter(|&&s| s == 200).count() >= 200);
    assert!(statuses.contains(&429), "no request was limited");
    // Another token is not limited by that one.
    assert_eq!(w.get("/v1/me", &[], "", "temple-manager").await.status, 200);
    let _ = SCHOOL;
}

#[tokio::test]
async fn a_gate_without_doors_of_its_own_uploads_only_the_venues_known_doors() {
    let w = World::new().await;
    let upload = async |door: &str| {
        let records = common::gate_records_at(&w, SCHOOL, door, 1);
        w.upload(SCHOOL, "school-gate", &records).await
    };
    // No door of the school is known yet: a label the gate makes up is refused (red team,
    // 2026-12: a gate's upload put a person's name and number in a door label).
    assert_eq!(upload("正门").await.status, 403);
    let csv = format!("venue_id,name,division,doors\n{SCHOOL},浦东佛学院,310115,正门\n");
    assert_eq!(w.import_registry(&csv, "authority").await.status, 200);
    assert_eq!(upload("正门").await.status, 200, "the registry's door");
    assert_eq!(upload("侧门").await.status, 403, "not the registry's");
    // A door whose signed code verified here is known too.
    let r = w
        .check_in(&w.check_in_request(SCHOOL, "侧门", Colour::Green, "phone-a"))
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(upload("侧门").await.status, 200, "a door seen");
}

#[tokio::test]
async fn districts_see_the_coverage_of_their_registry() {
    let w = World::new().await;
    let csv = format!(
        "venue_id,name,division,doors\n{TEMPLE},上海玉佛禅寺,310106,东门;北门\n{SCHOOL},浦东佛学院,310115,正门\n\
         SH-PT-0200,静安某堂,310106,正门\n"
    );
    let import = async |account: &str| w.import_registry(&csv, account).await;
    assert_eq!(import("jingan").await.status, 403);
    let r = import("authority").await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["venues"], 3);
    // The temple's east door is used; nothing else.
    w.check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "p"))
        .await;
    let route = "/v1/districts/{division}/coverage";
    let jingan = w
        .get(route, &[("division", "310106")], "", "jingan")
        .await
        .json();
    assert_eq!(
        (
            jingan["venues"].as_u64(),
            jingan["venues_covered"].as_u64(),
            jingan["venues_without"].as_u64()
        ),
        (Some(2), Some(0), Some(1))
    );
    assert_eq!(
        (jingan["doors"].as_u64(), jingan["doors_covered"].as_u64()),
        (Some(3), Some(1))
    );
    assert_eq!(
        jingan["uncovered"][0]["missing"],
        serde_json::json!(["北门"])
    );
    assert_eq!(jingan["uncovered"][1]["venue_id"], "SH-PT-0200");
    let city = w
        .get(route, &[("division", "31")], "", "shanghai")
        .await
        .json();
    assert_eq!(city["venues"], 3);
    assert_eq!(
        w.get(route, &[("division", "310106")], "", "pudong")
            .await
            .status,
        403
    );
    assert_eq!(
        w.get(route, &[("division", "31")], "", "jingan")
            .await
            .status,
        403
    );
    assert_eq!(
        w.get(route, &[("division", "31")], "", "temple-manager")
            .await
            .status,
        403
    );
    // A registry row that is not one: refused whole, the old registry stays.
    let bad = w
        .import_registry("venue_id,name,division,doors\nX,Y,999999,\n", "authority")
        .await;
    assert_eq!(
        (bad.status.as_u16(), bad.code().as_str()),
        (400, "invalid_input")
    );
    assert_eq!(
        w.get(route, &[("division", "31")], "", "authority")
            .await
            .json()["venues"],
        3
    );
    // A registered venue is its district's to read, before any check-in there.
    let r = w.get(STATS, &[("venue", "SH-PT-0200")], "", "jingan").await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn a_report_is_posted_to_its_webhooks_signed_and_retried_until_taken() {
    use hmac::{Hmac, KeyInit, Mac};
    type Seen = std::sync::Arc<std::sync::Mutex<Vec<(axum::http::HeaderMap, Vec<u8>)>>>;
    let w = World::new().await;
    // A receiver that fails the first delivery and takes the next.
    let seen: Seen = Default::default();
    let receiver = {
        let seen = seen.clone();
        axum::Router::new().route(
            "/hook",
            axum::routing::post(
                move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
                    let seen = seen.clone();
                    async move {
                        let mut seen = seen.lock().unwrap();
                        seen.push((headers, body.to_vec()));
                        if seen.len() == 1 {
                            axum::http::StatusCode::INTERNAL_SERVER_ERROR
                        } else {
                            axum::http::StatusCode::OK
                        }
                    }
                },
            ),
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, receiver).await });
    let hook = url.clone();
    let temple = w
        .directory(move |d| d.add_webhook(&hook, Some(TEMPLE), None))
        .await
        .unwrap();
    let hook = format!("{url}-pudong");
    let pudong = w
        .directory(move |d| d.add_webhook(&hook, None, Some("310115")))
        .await
        .unwrap();
    assert_ne!(temple.secret, pudong.secret);
    assert!(
        w.directory(|d| d.add_webhook("ftp://x/hook", Some(TEMPLE), None))
            .await
            .is_err()
    );
    let hook = url.clone();
    assert!(
        w.directory(move |d| d.add_webhook(&hook, None, Some("310")))
            .await
            .is_err()
    );

    // A green check-in is no report; a red one is.
    w.check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "a"))
        .await;
    w.advance(30);
    let red = w
        .check_in(&w.check_in_request(TEMPLE, "东门", Colour::Red, "b"))
        .await
        .json();
    let started = std::time::Instant::now();
    while seen.lock().unwrap().len() < 2 {
        assert!(started.elapsed().as_secs() < 10, "not retried");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let seen = seen.lock().unwrap().clone();
    assert_eq!(
        seen.len(),
        2,
        "delivered until taken, then no more; Pudong's hook got nothing"
    );
    for (headers, body) in seen.iter() {
        let record: serde_json::Value = serde_json::from_slice(body).unwrap();
        assert_eq!(record["id"], red["record_id"]);
        w.validate("ScanRecord", &record);
        assert_eq!(
            headers["x-venuecode-delivery"],
            red["record_id"].as_str().unwrap()
        );
        let timestamp = headers["x-venuecode-timestamp"].to_str().unwrap();
        let mut mac =
            <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(temple.secret.as_bytes()).unwrap();
        mac.update(format!("{timestamp}.").as_bytes());
        mac.update(body);
        let expected = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(headers["x-venuecode-signature"], expected.as_str());
        assert!(!String::from_utf8_lossy(body).contains(NAME));
    }
    assert!(
        w.log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("attempt 1 of 7: answered 500"))
    );
    let id = temple.id;
    w.directory(move |d| d.remove_webhook(id)).await.unwrap();
    assert_eq!(w.directory(|d| d.webhooks()).await.unwrap().len(), 1);
}

/// A receiver on loopback answering every delivery with `answer`; gives its URL's base.
async fn receiver(answer: axum::routing::MethodRouter) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/hook", answer);
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

/// An HTTPS receiver on loopback answering every delivery with `answer`; gives its URL's base.
/// Its certificate (`server/tests/tls/receiver.pem`, for `localhost` and `127.0.0.1`, valid to
/// 2126) chains to `server/tests/tls/ca.pem`, a CA made for these tests whose key was thrown
/// away (openssl: a P-256 CA with `basicConstraints=critical,CA:TRUE`, then the receiver's
/// certificate with `subjectAltName=DNS:localhost,IP:127.0.0.1`).
async fn https_receiver(answer: axum::routing::MethodRouter) -> String {
    use rustls_pki_types::pem::PemObject;
    let tls = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls");
    let chain = rustls_pki_types::CertificateDer::pem_file_iter(tls.join("receiver.pem"))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls_pki_types::PrivateKeyDer::from_pem_file(tls.join("receiver.key")).unwrap();
    #[expect(deprecated, reason = "the service's own TLS is on ring")]
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(std::sync::Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("https://{}", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/hook", answer);
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, app) = (acceptor.clone(), app.clone());
            tokio::spawn(async move {
                // A client that refuses the certificate ends here.
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper_util::service::TowerToHyperService::new(app);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    });
    base
}

#[tokio::test]
async fn a_webhook_over_https_is_delivered_to_a_receiver_whose_certificate_verifies() {
    let taken = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counter = taken.clone();
    let base = https_receiver(axum::routing::post(move || {
        counter.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async { axum::http::StatusCode::OK }
    }))
    .await;
    let ca = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls/ca.pem");
    // With the receiver's CA given, and without it (Mozilla's roots only).
    let trusting = World::with(|c| c.webhook_ca = Some(ca.clone())).await;
    let doubting = World::new().await;
    for w in [&trusting, &doubting] {
        let url = format!("{base}/hook");
        w.directory(move |d| d.add_webhook(&url, Some(TEMPLE), None))
            .await
            .unwrap();
        let r = w
            .check_in(&w.check_in_request(TEMPLE, "东门", Colour::Red, "a"))
            .await;
        assert_eq!(r.status, 200);
    }
    let started = std::time::Instant::now();
    while taken.load(std::sync::atomic::Ordering::SeqCst) < 1 {
        assert!(started.elapsed().as_secs() < 10, "not delivered over HTTPS");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // One delivery: the service that does not know the receiver's CA never sent it.
    assert_eq!(taken.load(std::sync::atomic::Ordering::SeqCst), 1);
    let log = doubting.log.lock().unwrap().join("\n");
    assert!(
        log.contains("attempt 1 of 7") && log.contains("certificate"),
        "{log}"
    );
}

#[tokio::test]
async fn a_webhook_to_the_services_own_network_is_never_connected() {
    let w = World::with(|c| c.private_webhooks = false).await;
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
    let counted = calls.clone();
    let base = receiver(axum::routing::post(move || {
        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        async { axum::http::StatusCode::OK }
    }))
    .await;
    // Loopback by address and by name (red team, 2026-12: metadata, private and loopback
    // addresses were accepted and delivered to).
    let port = base.rsplit(':').next().unwrap().to_owned();
    for url in [
        format!("{base}/hook"),
        format!("http://localhost:{port}/hook"),
    ] {
        w.directory(move |d| d.add_webhook(&url, Some(TEMPLE), None))
            .await
            .unwrap();
    }
    let red = w.check_in_request(TEMPLE, "东门", Colour::Red, "phone-b");
    assert_eq!(w.check_in(&red).await.json()["pass"]["report"], true);
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 0);
    let log = w.log.lock().unwrap().join("\n");
    assert!(
        log.contains("webhook 1: refused: not a public address"),
        "{log}"
    );
    // By name: the resolver keeps no address to connect to.
    assert!(
        log.contains("webhook 2 attempt 1 of 7: client error (Connect)"),
        "{log}"
    );
}

#[tokio::test]
async fn a_receiver_that_streams_its_answer_is_read_only_so_far() {
    let w = World::new().await;
    // An answer without end; the receiver counts what it sent and sees when it is dropped.
    let sent = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let dropped = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    struct Dropped(std::sync::Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }
    let (counter, flag) = (sent.clone(), dropped.clone());
    let base = receiver(axum::routing::post(move || {
        let (counter, guard) = (counter.clone(), Dropped(flag.clone()));
        async move {
            let chunk = axum::body::Bytes::from(vec![b'x'; 16 << 10]);
            let body = futures_util::stream::repeat(chunk).map(move |c| {
                let _ = &guard;
                counter.fetch_add(c.len() as u64, std::sync::atomic::Ordering::SeqCst);
                Ok::<_, std::convert::Infallible>(c)
            });
            axum::body::Body::from_stream(body)
        }
    }))
    .await;
    let url = format!("{base}/hook");
    w.directory(move |d| d.add_webhook(&url, Some(TEMPLE), None))
        .await
        .unwrap();
    let red = w.check_in_request(TEMPLE, "东门", Colour::Red, "phone-b");
    w.check_in(&red).await;
    // The service stops reading after 64 KiB and closes the connection (red team, 2026-12:
    // the whole answer was read, 1.5 GB in 5 s).
    let started = std::time::Instant::now();
    while !dropped.load(std::sync::atomic::Ordering::SeqCst) {
        assert!(
            started.elapsed().as_secs() < 8,
            "still reading: {} bytes",
            sent.load(std::sync::atomic::Ordering::SeqCst)
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let sent = sent.load(std::sync::atomic::Ordering::SeqCst);
    assert!(
        sent < 64 << 20,
        "{sent} bytes sent before the service let go"
    );
}

#[tokio::test]
async fn after_a_database_outage_requests_work_again_and_healthz_tells_it() {
    let w = World::new().await;
    let health = async || {
        w.call("GET", "/healthz", &[], "", Auth::None, Vec::new())
            .await
    };
    let h = health().await;
    assert_eq!(
        (h.status.as_u16(), h.json()["status"].as_str()),
        (200, Some("ok"))
    );
    let Some(database) = w.database.clone() else {
        return;
    };
    let name = common::postgres::name_of(&database).to_owned();
    let cut =
        format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'");
    let pause = || tokio::time::sleep(std::time::Duration::from_millis(200));
    // Every connection of the service is cut, as a restart cuts them (red team, 2026-12:
    // after a restart every request answered 503 for good).
    common::postgres::admin(&cut).await;
    pause().await;
    for device in ["phone-a", "phone-b"] {
        let r = w
            .check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, device))
            .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let page = w
        .get(RECORDS, &[("venue", TEMPLE)], "", "temple-manager")
        .await;
    assert_eq!(page.status, 200);
    assert_eq!(page.json()["records"].as_array().unwrap().len(), 2);
    // The database takes no connection: the node says it is unavailable, and what.
    let refuse = format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false");
    common::postgres::admin(&refuse).await;
    common::postgres::admin(&cut).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let h = health().await;
    assert_eq!(h.status, 503);
    assert_eq!(
        h.json(),
        serde_json::json!({"status": "unavailable", "unavailable": ["records", "directory"]})
    );
    let r = w
        .check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-c"))
        .await;
    assert_eq!(r.status, 503);
    // Back: so is the node.
    let allow = format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true");
    common::postgres::admin(&allow).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(health().await.status, 200);
    let r = w
        .check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "phone-c"))
        .await;
    assert_eq!(r.status, 200);
}

#[tokio::test]
async fn records_past_the_retention_period_are_purged_and_the_audit_log_says_so() {
    let w = World::with(|c| c.retain_days = 28).await;
    for device in ["p1", "p2", "p3"] {
        let r = w
            .check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, device))
            .await;
        assert_eq!(r.status, 200);
    }
    let records = async || {
        w.get(
            "/v1/venues/{venue}/records",
            &[("venue", TEMPLE)],
            "",
            "temple-manager",
        )
        .await
        .json()["records"]
            .as_array()
            .unwrap()
            .len()
    };
    // On the 28th day the records are kept; on the 29th they are gone.
    w.advance(27 * 86_400);
    assert!(w.service.maintain().await.unwrap().is_empty());
    assert_eq!(records().await, 3);
    w.advance(86_400);
    let purged = w.service.maintain().await.unwrap();
    let counts: Vec<(String, u64)> = purged
        .iter()
        .map(|p| (p.day.to_string(), p.records))
        .collect();
    assert_eq!(counts, [("2022-04-06".to_owned(), 3)]);
    assert_eq!(records().await, 0);
    // The audit log tells it: which day, how many, why; its chain still verifies.
    let log = w.audit_log().await;
    let purges: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["query"]["kind"] == "purge")
        .collect();
    assert_eq!(purges.len(), 1, "{log}");
    let entry = &purges[0];
    assert_eq!(
        (
            &entry["by"],
            &entry["query"]["kind"],
            &entry["query"]["day"],
            &entry["results"]
        ),
        (
            &"venuecode-retention".into(),
            &"purge".into(),
            &"2022-04-06".into(),
            &3.into()
        ),
        "{entry}"
    );
    let head = w.get("/v1/trace/audit", &[], "", "authority").await.json();
    assert_eq!(head["entries"], log.lines().count(), "{head}");
    // Told once.
    assert!(w.service.maintain().await.unwrap().is_empty());
    let again = w.audit_log().await;
    let told = again.lines().filter(|l| l.contains("\"purge\"")).count();
    assert_eq!(told, 1);
}

#[tokio::test]
async fn who_read_or_exported_a_venues_records_is_in_the_audit_log() {
    let w = World::new().await;
    for device in ["p1", "p2"] {
        w.check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, device))
            .await;
    }
    let page = w.records_page(TEMPLE, "temple-manager").await;
    assert_eq!(page.json()["records"].as_array().unwrap().len(), 2);
    let day = format!("day={}", venuecode::record::Day::of(w.now()));
    let export = w
        .get(
            "/v1/venues/{venue}/export",
            &[("venue", TEMPLE)],
            &day,
            "jingan",
        )
        .await;
    assert_eq!(export.status, 200);
    // The export's read is noted once it is written, on the blocking pool.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    w.service.maintain().await.unwrap();
    let log = w.audit_log().await;
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let reads: Vec<(&str, &str, &str, u64)> = entries
        .iter()
        .filter(|e| e["query"]["kind"] == "read")
        .map(|e| {
            (
                e["by"].as_str().unwrap(),
                e["query"]["venue_id"].as_str().unwrap(),
                e["query"]["what"].as_str().unwrap(),
                e["results"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        reads,
        [
            ("temple-manager", TEMPLE, "records", 2),
            ("jingan", TEMPLE, "export", 2)
        ],
        "{log}"
    );
    // Told once: the next pass adds nothing.
    w.service.maintain().await.unwrap();
    let again = w.audit_log().await;
    assert_eq!(again.lines().count(), entries.len());
}

#[tokio::test]
async fn a_page_of_records_that_cannot_be_noted_for_the_audit_log_is_not_given() {
    let w = World::new().await;
    w.check_in(&w.check_in_request(TEMPLE, "东门", Colour::Green, "p1"))
        .await;
    // The table of reads gone behind the service: the read cannot be noted.
    w.behind("DROP TABLE reads").await;
    let page = w.records_page(TEMPLE, "temple-manager").await;
    assert!(page.status.is_server_error(), "{}", page.status);
    assert!(page.json().get("records").is_none(), "{}", page.json());
}
