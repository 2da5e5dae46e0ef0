//! The service's connections on a real socket: a client that opens connections and sends
//! nothing holds at most its share of them, and none for longer than the header timeout, so
//! another client's check-in still gets in (red team, 2026-12: 276 idle sockets from one
//! client stopped the service answering anyone).

#![allow(clippy::unwrap_used)]

mod common;

use common::{TEMPLE, at, personal, venue_code};
use std::net::SocketAddr;
use std::sync::atomic::AtomicI64;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use venuecode::door::CheckInRequest;
use venuecode::health::Colour;
use venuecode_server::{Account, Role, Service};

/// One request on a new connection from `from`, the whole answer read.
async fn ask(address: SocketAddr, from: &str, request: &str) -> String {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{from}:0").parse().unwrap()).unwrap();
    let mut stream = socket.connect(address).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_from_one_client_do_not_keep_another_out() {
    let dir = tempfile::tempdir().unwrap();
    let now = at("2022-04-06T09:00:00+08:00");
    let clock = Arc::new(AtomicI64::new(now.unix()));
    let mut config = common::config(
        dir.path(),
        common::database().await,
        clock,
        Arc::new(Mutex::new(Vec::new())),
    );
    config.limits.connections_per_address = 64;
    config.limits.header_timeout = Duration::from_secs(1);
    let service = Service::open(config).await.unwrap();
    let directory = service.directory().clone();
    let authority = tokio::task::spawn_blocking(move || {
        let account = Account {
            name: "authority".into(),
            role: Role::Authority,
            scope: Vec::new(),
            doors: Vec::new(),
            revoked: false,
        };
        directory.create(&account, now).unwrap()
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let served = tokio::spawn(service.serve(listener, async {
        let _ = stopped.await;
    }));

    // One client opens 300 connections and sends nothing.
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(address).await.unwrap());
    }
    // Another client's check-in gets in, and is answered.
    let body = CheckInRequest {
        venue_code: venue_code(TEMPLE, "东门"),
        personal_code: personal(Colour::Green, now),
        device: "phone".into(),
        at: now,
        companion_of: None,
    }
    .to_json();
    let request = format!(
        "POST /v1/check-ins HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = tokio::time::timeout(Duration::from_secs(5), ask(address, "127.0.0.2", &request))
        .await
        .expect("the other client's check-in was not answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    // Past its share of 64, the first client's connections were closed at once, and counted;
    // the ones it holds are closed when the header timeout passes.
    for stream in &mut idle {
        let mut byte = [0u8; 1];
        let read = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut byte))
            .await
            .expect("an idle connection was kept past the header timeout");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    }
    let counters = format!(
        "GET /v1/counters HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {authority}\r\n\
         connection: close\r\n\r\n"
    );
    let answer = ask(address, "127.0.0.2", &counters).await;
    let json: serde_json::Value =
        serde_json::from_str(answer.split_once("\r\n\r\n").unwrap().1).unwrap();
    assert_eq!(json["refused"]["too_many_connections"], 300 - 64, "{json}");
    stop.send(()).unwrap();
    served.await.unwrap().unwrap();
}
