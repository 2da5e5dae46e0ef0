//! Trace-back over HTTP (SPEC.md §16.7): the authority's holder and venue queries over the
//! service's records, by ID number or holder token, each in the audit log before its answer;
//! refused queries logged nowhere; a broken log answers nothing; a node without the tracing
//! key traces nothing.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Answer, Auth, HOLDER, SCHOOL, TEMPLE, World};
use serde_json::{Value, json};
use venuecode::id::IdNumber;
use venuecode::token::TokenKey;
use venuecode::trace::TraceKey;

/// A second and a third visitor.
const OTHER: &str = "310101198001010018";
const LATE: &str = "44030419900101002X";

fn token(id: &str) -> String {
    TokenKey::from_bytes([7; 32])
        .token(&IdNumber::parse(id).unwrap())
        .to_string()
}

async fn trace(w: &World, kind: &str, body: &Value) -> Answer {
    w.call(
        "POST",
        &format!("/v1/trace/{kind}"),
        &[],
        "",
        Auth::Bearer(w.token("authority")),
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

/// The authority's node with a desk that has no holder-token key, `prepare` given the file
/// its audit log's head is kept in first.
async fn without_token_key(prepare: impl FnOnce(&std::path::Path)) -> World {
    World::with(|c| {
        prepare(&c.data.join("trace-audit.head"));
        c.trace = Some(venuecode_server::Trace::new(
            TraceKey::derive(&[5; 32]),
            None,
        ));
    })
    .await
}

/// The audit log's lines as the store holds them.
async fn stored_lines(w: &World) -> Vec<String> {
    const SQL: &str = "SELECT line FROM audit ORDER BY entry";
    match &w.database {
        Some(url) => common::postgres::reader(url)
            .await
            .query(SQL, &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect(),
        None => {
            let db = rusqlite::Connection::open(w.dir.path().join("ledger.sqlite")).unwrap();
            let mut stmt = db.prepare(SQL).unwrap();
            stmt.query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap()
        }
    }
}

/// A holder trace by the person's token.
async fn by_token(w: &World, id: &str) -> Answer {
    trace(w, "holder", &json!({"holder": token(id), "reason": "r"})).await
}

/// 09:00 the case checks in at the temple, 09:10 another visitor; 11:00 the case at the
/// school, 13:00 a third visitor there (outside the window).
async fn a_day(w: &World) {
    let visits = [
        (HOLDER, TEMPLE, 0),
        (OTHER, TEMPLE, 600),
        (HOLDER, SCHOOL, 6600),
        (LATE, SCHOOL, 7200),
    ];
    for (id, venue, after) in visits {
        w.advance(after);
        let r = w.check_in(&w.check_in_request_of(id, venue, "东门")).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
}

#[tokio::test]
async fn the_authority_traces_a_case_and_its_contact_and_every_query_is_logged_first() {
    let w = World::new().await;
    a_day(&w).await;
    let reason = "case 2022-0406-01";

    let case = trace(
        &w,
        "holder",
        &json!({"id_number": HOLDER, "reason": reason}),
    )
    .await;
    assert_eq!(case.status, 200, "{}", String::from_utf8_lossy(&case.body));
    let case = case.json();
    assert_eq!(case["holder"], token(HOLDER));
    let visits = case["visits"].as_array().unwrap();
    assert_eq!(visits.len(), 2);
    assert_eq!(visits[0]["venue_id"], TEMPLE);
    assert_eq!(visits[0]["contacts"][0]["holder"], token(OTHER));
    assert_eq!(visits[0]["contacts"].as_array().unwrap().len(), 1);
    assert_eq!(visits[1]["venue_id"], SCHOOL);
    assert_eq!(
        visits[1]["contacts"],
        json!([]),
        "13:00 is outside 11:00 ± 30 min"
    );
    assert_eq!(case["contacts"], 1);
    assert_eq!(case["coverage"]["records"], 4);

    // The contact, by the token the first answer gave.
    let contact = trace(
        &w,
        "holder",
        &json!({"holder": token(OTHER), "window_minutes": 15, "reason": reason}),
    )
    .await
    .json();
    assert_eq!(contact["visits"].as_array().unwrap().len(), 1);
    assert_eq!(contact["visits"][0]["contacts"][0]["holder"], token(HOLDER));

    let venue = trace(
        &w,
        "venue",
        &json!({
            "venue_id": SCHOOL,
            "from": "2022-04-06T10:00:00+08:00",
            "to": "2022-04-06T23:59:59+08:00",
            "reason": reason,
        }),
    )
    .await
    .json();
    let present: Vec<&Value> = venue["present"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| &p["holder"])
        .collect();
    assert_eq!(present.len(), 2);
    assert!(present.contains(&&Value::from(token(LATE))));

    // Three entries, by the account, each with its reason; the head is the last answer's.
    let head = w.get("/v1/trace/audit", &[], "", "authority").await.json();
    assert_eq!(head["entries"], 3);
    assert_eq!(head["head"], venue["audit_head"]);
    let log = w.audit_log().await;
    let entries: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(entries[0]["by"], "authority");
    assert_eq!(entries[0]["reason"], reason);
    assert_eq!(entries[0]["query"]["kind"], "holder");
    assert_eq!(entries[0]["query"]["holder"], token(HOLDER));
    assert_eq!(entries[0]["query"]["sources"], json!(["records service"]));
    assert_eq!(entries[0]["results"], 2);
    assert_eq!(entries[2]["query"]["kind"], "venue");
    // No ID number in the audit log or the access log: the query names the token.
    let access = w.log.lock().unwrap().join("\n");
    for id in [HOLDER, OTHER] {
        assert!(!log.contains(id), "{id} in the audit log");
        assert!(!access.contains(id), "{id} in the access log");
    }
    assert!(access.contains("POST /v1/trace/holder 200"), "{access}");
}

#[tokio::test]
async fn a_refused_query_is_answered_and_logged_nowhere() {
    let w = World::new().await;
    a_day(&w).await;
    let bad = [
        json!({"id_number": HOLDER, "reason": "  "}),
        json!({"id_number": HOLDER}),
        json!({"id_number": HOLDER, "holder": token(HOLDER), "reason": "r"}),
        json!({"reason": "r"}),
        json!({"holder": "not hex", "reason": "r"}),
        json!({"id_number": "110105194912310021", "reason": "r"}),
        json!({"id_number": HOLDER, "window_minutes": 0, "reason": "r"}),
        json!({"id_number": HOLDER, "window_minutes": 1441, "reason": "r"}),
        json!({"id_number": HOLDER, "from": "2022-04-07T00:00:00Z", "to": "2022-04-06T00:00:00Z", "reason": "r"}),
        json!({"id_number": HOLDER, "reason": "r", "extra": 1}),
    ];
    for body in &bad {
        let r = trace(&w, "holder", body).await;
        assert_eq!(
            r.status,
            400,
            "{body}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.code(), "invalid_input", "{body}");
    }
    // An ID number where a number belongs: refused without being quoted back.
    let r = trace(
        &w,
        "holder",
        &json!({"holder": token(HOLDER), "window_minutes": HOLDER, "reason": "r"}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert!(!String::from_utf8_lossy(&r.body).contains(HOLDER), "echoed");
    let r = trace(
        &w,
        "venue",
        &json!({"venue_id": TEMPLE, "from": "2022-04-06T00:00:00Z", "reason": "r"}),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        w.get("/v1/trace/audit", &[], "", "authority").await.json()["entries"],
        0
    );
}

#[tokio::test]
async fn a_broken_audit_log_answers_nothing() {
    let w = World::new().await;
    a_day(&w).await;
    let body = json!({"id_number": HOLDER, "reason": "case 1"});
    assert_eq!(trace(&w, "holder", &body).await.status, 200);
    assert_eq!(trace(&w, "holder", &body).await.status, 200);
    // The first entry edited in the store: its download is refused, and from then on the
    // node appends and answers nothing.
    w.behind("UPDATE audit SET line = replace(line, 'case 1', 'case 2') WHERE entry = 1")
        .await;
    let r = w.get("/v1/trace/audit/log", &[], "", "authority").await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (500, "internal"));
    let r = trace(&w, "holder", &body).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.code(), "internal");
    assert!(r.json().get("visits").is_none());
    assert_eq!(
        w.get("/v1/trace/audit", &[], "", "authority").await.status,
        500
    );
    assert_eq!(stored_lines(&w).await.len(), 2, "nothing appended");
}

#[tokio::test]
async fn an_audit_log_cut_short_emptied_or_rewritten_answers_nothing() {
    // (red team, 2026-12: the service took each of these as intact.)
    let body = json!({"id_number": HOLDER, "reason": "case 1"});
    let refused = async |w: &World| {
        let r = trace(w, "holder", &body).await;
        assert_eq!((r.status.as_u16(), r.code().as_str()), (500, "internal"));
        assert!(r.json().get("visits").is_none());
        let audit = w.get("/v1/trace/audit", &[], "", "authority").await;
        assert_eq!(audit.status, 500);
    };
    for damage in ["cut", "emptied", "rewritten"] {
        let mut w = World::new().await;
        a_day(&w).await;
        for _ in 0..2 {
            assert_eq!(trace(&w, "holder", &body).await.status, 200);
        }
        match damage {
            "cut" => w.behind("DELETE FROM audit WHERE entry = 2").await,
            "emptied" => w.behind("DELETE FROM audit").await,
            _ => {
                // Every line edited and its hash recomputed as the log was hashed before
                // (SHA-256 of the old domain and the line without its hash, which ends the
                // line after `prev`).
                use sha2::Digest;
                let mut prev = "0".repeat(64);
                let mut sql = String::new();
                for (n, line) in stored_lines(&w).await.iter().enumerate() {
                    let cut = line.find(",\"prev\":").unwrap();
                    let body = format!(
                        "{},\"prev\":\"{prev}\"}}",
                        line[..cut].replace("case 1", "case 9")
                    );
                    let hash = hex::encode(
                        sha2::Sha256::new()
                            .chain_update(b"VENUECODE/AUDIT\0")
                            .chain_update(body.as_bytes())
                            .finalize(),
                    );
                    let line = format!("{},\"hash\":\"{hash}\"}}", &body[..body.len() - 1]);
                    sql += &format!(
                        "UPDATE audit SET line = '{}' WHERE entry = {};",
                        line.replace('\'', "''"),
                        n + 1
                    );
                    prev = hash;
                }
                w.behind(&sql).await;
            }
        }
        refused(&w).await;
        assert!(
            stored_lines(&w).await.len() <= 2,
            "{damage}: nothing appended"
        );
        // A node started again on the same folder (the head it kept) refuses it too.
        w.restart(|_| {}).await;
        refused(&w).await;
    }
}

#[tokio::test]
async fn a_node_without_the_tracing_key_traces_nothing() {
    let w = World::with(|c| c.trace = None).await;
    a_day(&w).await;
    let r = trace(&w, "holder", &json!({"id_number": HOLDER, "reason": "r"})).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.code(), "not_found");
    // Still the authority's question alone: others learn nothing about the node.
    let r = w
        .call(
            "GET",
            "/v1/trace/audit",
            &[],
            "",
            Auth::Bearer(w.token("jingan")),
            Vec::new(),
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn without_the_token_key_a_person_is_named_by_token_only() {
    let w = without_token_key(|_| {}).await;
    a_day(&w).await;
    let r = trace(&w, "holder", &json!({"id_number": HOLDER, "reason": "r"})).await;
    assert_eq!(r.status, 400);
    let r = by_token(&w, HOLDER).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["visits"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_trace_reads_every_record_however_many_batches_the_store_gives() {
    let w = World::new().await;
    // More than one batch of PostgreSQL's reads (4,096 rows) and of the ledger's.
    let records = common::gate_records(&w, 4500);
    for chunk in records.chunks(1000) {
        let r = w.upload(TEMPLE, "temple-east-gate", chunk).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    let r = by_token(&w, HOLDER).await;
    assert_eq!(r.status, 200);
    let report = r.json();
    assert_eq!(report["coverage"]["records"], 4500);
    assert_eq!(report["visits"].as_array().unwrap().len(), 4500);
    assert_eq!(report["contacts"], 0, "one person, however often");
}

#[tokio::test]
async fn a_broken_audit_log_answers_nothing_and_its_cause_is_logged_not_answered() {
    // A folder where the log should be: it cannot be appended to.
    let w = without_token_key(|audit| std::fs::create_dir_all(audit).unwrap()).await;
    a_day(&w).await;
    let r = by_token(&w, HOLDER).await;
    assert_eq!(r.status, 500);
    assert_eq!(r.json()["error"]["code"], "internal");
    let error = &r.json()["error"];
    let id = error["request_id"].as_str().unwrap().to_owned();
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains(&id) && message.contains("audit log"),
        "{message}"
    );
    // Neither the file system's words nor the log's path reach the caller.
    let answered = r.json().to_string();
    assert!(
        !answered.contains("trace-audit") && !answered.contains("directory"),
        "{answered}"
    );
    assert!(r.json().get("visits").is_none());
    // The access log has them, under the same id.
    let logged = w.log.lock().unwrap().clone();
    assert!(
        logged
            .iter()
            .any(|l| l.contains(&format!("request {id}: ")) && l.contains("trace-audit")),
        "{logged:?}"
    );
}

#[tokio::test]
async fn a_trace_has_a_time_limit_of_its_own_and_stops_reading_at_it() {
    // (red team, 2026-12: a holder trace over one day of 150,000 records ended in 408 at the
    // 10 s limit of every request.)
    let mut w = World::new().await;
    a_day(&w).await;
    let records = common::gate_records(&w, 1000);
    let r = w.upload(TEMPLE, "temple-east-gate", &records).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    // Requests limited to a millisecond; a trace of 1,000 records and more takes longer, and
    // is answered under its own limit.
    w.restart(|c| c.limits.timeout = std::time::Duration::from_millis(1))
        .await;
    let r = by_token(&w, HOLDER).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let logged = stored_lines(&w).await.len();
    // Past its own limit (30 ms: a pass over 1,000 sealed references takes longer, and a
    // holder trace makes two): 408, and the reading stopped there, so nothing was logged.
    w.restart(|c| c.limits.trace_timeout = std::time::Duration::from_millis(30))
        .await;
    let r = by_token(&w, HOLDER).await;
    assert_eq!((r.status.as_u16(), r.code().as_str()), (408, "timeout"));
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    assert_eq!(
        stored_lines(&w).await.len(),
        logged,
        "the query went on after its 408"
    );
}
