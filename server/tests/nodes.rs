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
