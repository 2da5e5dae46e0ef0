//! Concurrent check-ins against the service on this machine: connections that each send one
//! check-in after another (HTTP/1.1 keep-alive), every answer a durable acknowledgement (group
//! commit, `synchronous = FULL`). Prints acknowledged check-ins a second and the latency
//! percentiles, and the service's CPU time per acknowledged check-in (the process's user and
//! system time over the run, less the load generator's own thread: Linux's /proc); the
//! performance guide keeps the figures, nothing is asserted on time.
//!
//! `cargo bench -p venuecode-server --bench load` (release; `LOAD_CHECKINS=N`,
//! `LOAD_CONNECTIONS=C`; `LOAD_DATABASE=...` for PostgreSQL, and then `LOAD_NODES=2` for two
//! nodes on it: two services in this process, each on its own port and folder, sharing the
//! runtime's threads as two processes would share the cores, the connections dealt to them in
//! turn); `cargo test --benches` runs a small load as a test.

#![allow(clippy::unwrap_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use venuecode::door::CheckInRequest;
use venuecode::health::{Colour, HealthStatus};
use venuecode::id::IdNumber;
use venuecode::person::{PersonalCode, PersonalIssue, Profile};
use venuecode::token::TokenKey;
use venuecode::trace::TraceKey;
use venuecode::{
    Division, Prefix, Seal, SecretKey, Timestamp, TrustList, TrustedKey, Usage, Venue, VenueType,
};
use venuecode_server::{Config, ListSet, Service};

const SH: &str = "HTTPS://VC.SH.GOV.CN/1/";

fn key(seed: u8) -> SecretKey {
    SecretKey::from_seed(&[seed; 32])
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The lists and the requests: `n` visitors at four doors of one venue, each code its own.
fn world(now: Timestamp, n: usize) -> (ListSet, Vec<String>) {
    let prefix = Prefix::new(SH).unwrap();
    let mut trust = TrustList::new();
    trust
        .add(TrustedKey::new(key(1).public_key(), Usage::Venue).with_prefix(&prefix))
        .unwrap();
    trust
        .add(TrustedKey::new(key(2).public_key(), Usage::Personal).with_prefix(&prefix))
        .unwrap();
    trust
        .add(TrustedKey::new(key(9).public_key(), Usage::Root))
        .unwrap();
    let seal = Seal {
        serial: 1,
        issued_at: now.saturating_add(-3600),
        valid_until: now.saturating_add(86_400),
    };
    let lists = ListSet {
        trust: venuecode::signed_trust::sign(&trust, &key(9), seal).unwrap(),
        root_kids: vec![key(9).public_key().id()],
        ..ListSet::default()
    };
    let doors: Vec<String> = ["东门", "西门", "南门", "北门"]
        .iter()
        .map(|door| {
            Venue::new(
                "SH-PT-0018",
                VenueType::ReligiousVenue,
                "上海玉佛禅寺",
                "310106".parse::<Division>().unwrap(),
                *door,
                now.saturating_add(-3600),
            )
            .with_address("安远路170号")
            .with_valid_until(now.saturating_add(86_400))
            .issue(&key(1), &prefix)
            .unwrap()
        })
        .collect();
    let tokens = TokenKey::from_bytes([7; 32]);
    let requests = (0..n)
        .map(|i| {
            // A visitor of their own each (a code of their own): the same holder's codes would
            // be one code, every check-in after the first a replay.
            let id =
                IdNumber::complete(&format!("110105{}{:03}", born(i / 1000), i % 1000)).unwrap();
            let issue = PersonalIssue {
                profile: Profile::Dynamic,
                generation: 1,
                issued_at: now,
                valid_secs: None,
                status: Some(HealthStatus {
                    colour: if i % 50 == 0 {
                        Colour::Yellow
                    } else {
                        Colour::Green
                    },
                    nat: None,
                }),
            };
            let personal = PersonalCode::for_holder(&format!("访客{i}"), &id, &tokens, &issue)
                .unwrap()
                .issue(&key(2), &prefix)
                .unwrap();
            CheckInRequest {
                venue_code: doors[i % doors.len()].clone(),
                personal_code: personal,
                device: format!("phone-{i}"),
                at: now,
                companion_of: None,
            }
            .to_json()
        })
        .collect();
    (lists, requests)
}

/// The `n`th birth date (YYYYMMDD) of a synthetic population, a thousand people each.
fn born(n: usize) -> String {
    let (year, rest) = (1940 + n / 336, n % 336);
    format!("{year}{:02}{:02}", 1 + rest / 28, 1 + rest % 28)
}

/// Sends each request on one keep-alive connection in turn; gives each one's latency.
async fn client(address: std::net::SocketAddr, requests: Vec<String>) -> Vec<Duration> {
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream.set_nodelay(true).unwrap();
    let mut latencies = Vec::with_capacity(requests.len());
    let mut buffer = Vec::with_capacity(8192);
    for body in requests {
        let started = Instant::now();
        let head = format!(
            "POST /v1/check-ins HTTP/1.1\r\nhost: bench\r\ncontent-type: application/json\r\n\
             content-length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(body.as_bytes()).await.unwrap();
        buffer.clear();
        let (status, length, header_end) = loop {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the service closed the connection");
            buffer.extend_from_slice(&chunk[..n]);
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&buffer[..end]).to_lowercase();
                let status: u16 = head[9..12].parse().unwrap();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length: "))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap();
                break (status, length, end + 4);
            }
        };
        while buffer.len() < header_end + length {
            let mut chunk = [0u8; 4096];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0);
            buffer.extend_from_slice(&chunk[..n]);
        }
        let answer = String::from_utf8_lossy(&buffer[header_end..header_end + length]);
        assert_eq!(status, 200, "{answer}");
        assert!(answer.contains("\"stored\":true"), "{answer}");
        // Decided on a valid code: a load of replays would skip the status and the seal.
        assert!(answer.contains("\"code\":\"valid\""), "{answer}");
        latencies.push(started.elapsed());
    }
    latencies
}

/// User and system CPU seconds of this process (`/proc/self/stat`) or of the calling thread
/// (`/proc/thread-self/stat`); `None` where there is no /proc.
fn cpu_secs(stat: &str) -> Option<f64> {
    let text = std::fs::read_to_string(stat).ok()?;
    // After the command name's closing parenthesis: state (field 3), ... utime (14), stime (15).
    let fields: Vec<&str> = text
        .get(text.rfind(')')? + 2..)?
        .split_whitespace()
        .collect();
    let ticks = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ, which Linux fixes at 100 for /proc.
    Some(ticks / 100.0)
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let n = env_or("LOAD_CHECKINS", if benching { 40_000 } else { 400 });
    let connections = env_or("LOAD_CONNECTIONS", 64).min(n);
    let now = {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        Timestamp::from_unix(i64::try_from(secs).unwrap())
    };
    let made = Instant::now();
    let (lists, requests) = world(now, n);
    eprintln!("{n} requests made in {:.1} s", made.elapsed().as_secs_f64());
    // LOAD_DATABASE: a PostgreSQL connection string, to load the city store instead.
    let database = std::env::var("LOAD_DATABASE").ok();
    let store = if database.is_some() {
        "PostgreSQL, group commit, synchronous_commit=on"
    } else {
        "SQLite, group commit, synchronous=FULL"
    };
    let nodes = env_or("LOAD_NODES", 1).clamp(1, 8);
    assert!(
        nodes == 1 || database.is_some(),
        "LOAD_NODES needs LOAD_DATABASE: nodes share a PostgreSQL database"
    );
    let config = |folder: &std::path::Path| {
        let mut config = Config::new(folder, lists.clone(), TraceKey::derive(&[5; 32]).public());
        config.database.clone_from(&database);
        // LOAD_LOG=1: the service's log on standard error (a failure's cause).
        if std::env::var_os("LOAD_LOG").is_none() {
            config.log = Arc::new(|_| {});
        }
        // 64 connections from this host stand for a city's phones: no limit by address.
        config.limits.check_ins_per_address = venuecode_server::Rate::new(0.0, 0.0);
        config
    };
    let folders: Vec<tempfile::TempDir> =
        (0..nodes).map(|_| tempfile::tempdir().unwrap()).collect();
    let configs: Vec<Config> = folders.iter().map(|f| config(f.path())).collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async move {
        let mut addresses = Vec::new();
        let mut servers = Vec::new();
        for config in configs {
            let service = Service::open(config).await.unwrap();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            addresses.push(listener.local_addr().unwrap());
            servers.push(tokio::spawn(service.serve(listener, std::future::pending())));
        }
        let mut shares: Vec<Vec<String>> = vec![Vec::new(); connections];
        for (i, r) in requests.into_iter().enumerate() {
            shares[i % connections].push(r);
        }
        // The load generator on a thread of its own, so that its CPU time can be told apart.
        let process_before = cpu_secs("/proc/self/stat");
        let (latencies, elapsed, client_cpu) = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let before = cpu_secs("/proc/thread-self/stat");
            let started = Instant::now();
            let latencies = runtime.block_on(async move {
                let clients: Vec<_> = shares
                    .into_iter()
                    .enumerate()
                    .map(|(i, share)| tokio::spawn(client(addresses[i % addresses.len()], share)))
                    .collect();
                let mut latencies = Vec::with_capacity(n);
                for c in clients {
                    latencies.extend(c.await.unwrap());
                }
                latencies
            });
            let elapsed = started.elapsed().as_secs_f64();
            let cpu = cpu_secs("/proc/thread-self/stat")
                .zip(before)
                .map(|(after, before)| after - before);
            (latencies, elapsed, cpu)
        })
        .join()
        .unwrap();
        let service_cpu = cpu_secs("/proc/self/stat")
            .zip(process_before)
            .zip(client_cpu)
            .map(|((after, before), client)| after - before - client);
        let mut latencies = latencies;
        latencies.sort();
        let pct = |permille: usize| {
            let i = (latencies.len() * permille)
                .div_ceil(1000)
                .clamp(1, latencies.len())
                - 1;
            latencies[i].as_secs_f64() * 1000.0
        };
        assert_eq!(latencies.len(), n, "every check-in acknowledged");
        println!(
            "load ({store}, {nodes} node(s)): {n} check-ins over {connections} connections in {elapsed:.2} s: \
             {:.0} acknowledged/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            n as f64 / elapsed,
            pct(500),
            pct(990),
            pct(1000)
        );
        match service_cpu {
            Some(cpu) => println!(
                "load: the service's CPU time per acknowledged check-in: {:.0} µs \
                 ({cpu:.2} s of CPU for {n}; the load generator's own thread excluded)",
                cpu * 1e6 / n as f64
            ),
            None => println!("load: no /proc here: CPU time not measured"),
        }
        for server in servers {
            server.abort();
        }
    });
}
