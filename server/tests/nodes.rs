//! Many nodes, one PostgreSQL: two services on one database, as a city runs them behind a load
//! balancer, share everything a request may depend on (red team, 2026-12: two nodes shared the
//! records and nothing else). Each test needs the test server (`scripts/postgres`); without it
//! there is one node and nothing to test here.

#![allow(clippy::unwrap_used, missing_docs)]

mod common;

use common::{Auth, SCHOOL, TEMPLE, World};
use venuecode::health::Colour;

/// Two nodes of one service, or none without a test server.
async fn two_nodes() -> Option<(World, World)> {
    let a = World::new().await;
    let b = a.node().await?;
    Some((a, b))
}

#[tokio::test]
async fn one_screenshot_at_two_nodes_within_its_minute_is_refused_the_second_time() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let request = a.check_in_request(TEMPLE, "东门", Colour::Green, "phone-a");
    let first = a.check_in(&request).await.json();
    assert_eq!(first["pass"]["decision"], "admit", "{first}");
    // The screenshot, sent from another phone to node B's west door 20 s later.
    a.advance(20);
    let mut copy: serde_json::Value = serde_json::from_str(&request).unwrap();
    copy["venue_code"] = common::venue_code(TEMPLE, "西门").into();
    copy["device"] = "phone-b".into();
    copy["at"] = serde_json::to_value(a.now()).unwrap();
    let second = b.check_in(&copy.to_string()).await.json();
    assert_eq!(
        (
            &second["pass"]["code"],
            &second["pass"]["decision"],
            &second["stored"]
        ),
        (&"replayed".into(), &"deny".into(), &true.into()),
        "{second}"
    );
    // The same request again at B (its answer lost) is answered as stored: still a replay.
    let again = b.check_in(&copy.to_string()).await.json();
    assert_eq!(
        (&again["pass"]["code"], &again["stored"]),
        (&"replayed".into(), &false.into()),
        "{again}"
    );
    // And the first visitor's own retry at B, past the grace, is its admitted pass again.
    let retry = b.check_in(&request).await.json();
    assert_eq!(
        (
            &retry["pass"]["decision"],
            &retry["stored"],
            &retry["record_id"]
        ),
        (&"admit".into(), &false.into(), &first["record_id"]),
        "{retry}"
    );
    // The manager reads both records, the replay reported, on either node.
    for node in [&a, &b] {
        let records = node
            .get(
                "/v1/venues/{venue}/records",
                &[("venue", TEMPLE)],
                "",
                "temple-manager",
            )
            .await
            .json();
        let decisions: Vec<&str> = records["records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["decision"].as_str().unwrap())
            .collect();
        assert_eq!(decisions, ["admit", "deny"], "{records}");
    }
}

#[tokio::test]
async fn a_token_made_or_revoked_on_one_node_is_so_on_the_other() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let me = async |node: &World, token: &str| {
        node.call("GET", "/v1/me", &[], "", Auth::Bearer(token), Vec::new())
            .await
            .status
    };
    let now = a.now();
    let made = a
        .directory(move |d| d.issue("school-manager", now))
        .await
        .unwrap();
    assert_eq!(me(&b, &made).await, 200);
    a.directory(|d| d.revoke("school-manager")).await.unwrap();
    assert_eq!(me(&b, &made).await, 401);
    assert_eq!(me(&b, b.token("school-manager")).await, 401);
}

#[tokio::test]
async fn a_venue_checked_in_at_one_node_is_its_districts_at_the_other() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let csv = format!("venue_id,name,division,doors\n{SCHOOL},浦东佛学院,310115,正门;侧门\n");
    assert_eq!(a.import_registry(&csv, "authority").await.status, 200);
    let r = a
        .check_in(&a.check_in_request(SCHOOL, "正门", Colour::Green, "p"))
        .await;
    assert_eq!(r.status, 200);
    let stats = b
        .get(
            "/v1/venues/{venue}/stats",
            &[("venue", SCHOOL)],
            "",
            "pudong",
        )
        .await;
    assert_eq!(
        stats.status,
        200,
        "{}",
        String::from_utf8_lossy(&stats.body)
    );
    let coverage = b
        .get(
            "/v1/districts/{division}/coverage",
            &[("division", "310115")],
            "",
            "pudong",
        )
        .await
        .json();
    assert_eq!(
        (
            coverage["doors"].as_u64(),
            coverage["doors_covered"].as_u64()
        ),
        (Some(2), Some(1)),
        "{coverage}"
    );
}

#[tokio::test]
async fn a_city_status_list_published_on_one_node_is_served_with_its_delta_by_both() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    // A city's list: 25 million holders, about 25 MB (red team, 2026-12: 413 at the 1 MiB
    // body limit; only a restart could load it, and then the delta answered 404).
    const CITY: u32 = 25_000_000;
    let issued = a.now().saturating_add(-3600);
    let first = common::city_status_list(CITY, 1000, 1, issued);
    let next = common::city_status_list(CITY, 999, 2, issued.saturating_add(60));
    assert!(first.len() > 25_000_000, "{}", first.len());
    let route = "/v1/lists/{kind}";
    let publish = async |body: &[u8]| {
        a.call(
            "PUT",
            route,
            &[("kind", "status")],
            "",
            Auth::Bearer(a.token("authority")),
            body.to_vec(),
        )
        .await
    };
    let r = publish(&first).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let first_tag = r.json()["etag"].as_str().unwrap().to_owned();
    let r = publish(&next).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let next_tag = r.json()["etag"].as_str().unwrap().to_owned();
    for node in [&a, &b] {
        let list = node.list("status").await;
        assert_eq!(list.status, 200);
        assert_eq!(list.headers["etag"].to_str().unwrap(), next_tag);
        assert!(list.body == next, "the list as published");
        let delta = node
            .call(
                "GET",
                "/v1/lists/status/delta",
                &[],
                &format!("from={}", urlencode(&first_tag)),
                Auth::None,
                Vec::new(),
            )
            .await;
        assert_eq!(
            delta.status,
            200,
            "{}",
            String::from_utf8_lossy(&delta.body)
        );
        assert!(delta.body.len() < next.len() / 10, "{}", delta.body.len());
        let applied = venuecode::status_delta::apply(&first, &delta.body).unwrap();
        assert!(applied == next, "the delta gives the list published");
    }
}

#[tokio::test]
async fn a_list_published_on_one_node_is_in_force_on_the_other() {
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    let put = async |node: &World, serial: u64| {
        node.call(
            "PUT",
            "/v1/lists/{kind}",
            &[("kind", "trust")],
            "",
            Auth::Bearer(node.token("authority")),
            common::signed_trust_list(serial),
        )
        .await
    };
    assert_eq!(put(&a, 3).await.status, 200);
    // B decides with serial 3: serial 2, newer than what B started with, is now a roll-back.
    let r = put(&b, 2).await;
    assert_eq!(
        (r.status.as_u16(), r.code().as_str()),
        (409, "rolled_back"),
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let served = b.list("trust").await;
    assert_eq!(served.body, common::signed_trust_list(3));
    // A node started afterwards with the first list given is refused, not rolled back.
    let mut config = common::config(
        tempfile::tempdir().unwrap().path(),
        a.database.clone(),
        a.clock.clone(),
        a.log.clone(),
    );
    config.lists.trust = common::signed_trust_list(1);
    let e = venuecode_server::Service::open(config).await.err().unwrap();
    assert_eq!(e.code, "rolled_back", "{e}");
}

#[tokio::test]
async fn a_list_published_on_one_node_is_served_by_another_within_its_refresh() {
    // The claim of `Limits::lists_refresh`: a node asks the directory at most that often, and
    // serves a list published elsewhere once that long has passed. (Other tests set it to 0.)
    let a = World::new().await;
    let refresh = std::time::Duration::from_secs(4);
    let Some(b) = a.node_with(|c| c.limits.lists_refresh = refresh).await else {
        return;
    };
    let opened = std::time::Instant::now();
    let before = b.list("trust").await.body;
    let r = a
        .call(
            "PUT",
            "/v1/lists/{kind}",
            &[("kind", "trust")],
            "",
            Auth::Bearer(a.token("authority")),
            common::signed_trust_list(3),
        )
        .await;
    assert_eq!(r.status, 200);
    if opened.elapsed() < refresh / 2 {
        assert_eq!(b.list("trust").await.body, before, "not asked again yet");
    }
    tokio::time::sleep(
        refresh.saturating_sub(opened.elapsed()) + std::time::Duration::from_millis(200),
    )
    .await;
    assert_eq!(b.list("trust").await.body, common::signed_trust_list(3));
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_report_stored_on_one_node_reaches_every_nodes_streams_and_each_webhook_once() {
    use futures_util::StreamExt;
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    // A receiver that refuses each delivery's first attempt: the retry may come from either
    // node, and still each report arrives once.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let tries = std::sync::Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let (got, first) = (seen.clone(), tries.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: axum::http::HeaderMap| {
            let id = headers["x-venuecode-delivery"].to_str().unwrap().to_owned();
            let refused = first.lock().unwrap().insert(id.clone());
            if !refused {
                got.lock().unwrap().push(id);
            }
            async move {
                if refused {
                    axum::http::StatusCode::SERVICE_UNAVAILABLE
                } else {
                    axum::http::StatusCode::OK
                }
            }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    a.directory(move |d| d.add_webhook(&url, Some(TEMPLE), None))
        .await
        .unwrap();
    // B's manager listens; red check-ins come in at A and at B.
    let mut stream = b
        .subscribe(&format!("/v1/venues/{TEMPLE}/reports"), "temple-manager")
        .await
        .into_body()
        .into_data_stream();
    let mut ids = Vec::new();
    for (node, device) in [(&a, "phone-a"), (&b, "phone-b"), (&a, "phone-c")] {
        node.advance(30);
        let red = node.check_in_request(TEMPLE, "东门", Colour::Red, device);
        let answer = node.check_in(&red).await.json();
        assert_eq!(answer["pass"]["report"], true, "{answer}");
        ids.push(answer["record_id"].as_str().unwrap().to_owned());
    }
    let mut text = String::new();
    while text.matches("event: report").count() < ids.len() {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), stream.next())
            .await
            .expect("every report within 5 s")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    for id in &ids {
        assert_eq!(text.matches(&format!("id: {id}\n")).count(), 1, "{text}");
    }
    let started = std::time::Instant::now();
    while seen.lock().unwrap().len() < ids.len() {
        assert!(started.elapsed().as_secs() < 10, "not all delivered");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Time for a second delivery by the other node, which must not come.
    tokio::time::sleep(std::time::Duration::from_millis(800)).await;
    let mut delivered = seen.lock().unwrap().clone();
    delivered.sort();
    ids.sort();
    assert_eq!(delivered, ids, "each report delivered once, by one node");
}

#[tokio::test]
async fn traces_at_two_nodes_write_one_audit_chain() {
    // (Before, each node wrote a log file of its own: two chains with two heads.)
    let Some((a, b)) = two_nodes().await else {
        return;
    };
    a.check_in(&a.check_in_request_of(common::HOLDER, TEMPLE, "东门"))
        .await;
    let body = serde_json::json!({"id_number": common::HOLDER, "reason": "case 1"});
    let mut heads = Vec::new();
    for node in [&a, &b, &a] {
        let r = node
            .call(
                "POST",
                "/v1/trace/holder",
                &[],
                "",
                Auth::Bearer(node.token("authority")),
                serde_json::to_vec(&body).unwrap(),
            )
            .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        heads.push(r.json()["audit_head"].clone());
    }
    for node in [&a, &b] {
        let chain = node
            .get("/v1/trace/audit", &[], "", "authority")
            .await
            .json();
        assert_eq!(chain["entries"], 3, "{chain}");
        assert_eq!(chain["head"], heads[2], "{chain}");
    }
    let log = b.audit_log().await;
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[1]["hash"], heads[1], "B's query is the second");
    assert_eq!(log, a.audit_log().await);
    // The download verifies offline, as `venuecode trace audit` does, against A's head kept.
    let file = a.dir.path().join("downloaded.jsonl");
    std::fs::write(&file, &log).unwrap();
    let key = venuecode::trace::TraceKey::derive(&[5; 32]).audit_key();
    let chain = venuecode_ledger::audit::AuditLog::new(file, key)
        .with_head(a.dir.path().join("trace-audit.head"))
        .read()
        .unwrap();
    assert_eq!(chain.head(), heads[2]);
}
