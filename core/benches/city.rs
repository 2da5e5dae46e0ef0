//! A city in one list (issue 16): a status list of the slot layout for 25,000,000 holders, and
//! its daily delta with 1% of them changed. Prints the figures the README quotes; the goals are
//! there, not asserted here (`cargo bench -p venuecode --bench city`; `CITY_HOLDERS=N` for
//! another size; run as a test, 100,000 holders).

#![allow(clippy::unwrap_used, missing_docs)]

use std::hint::black_box;
use std::io::Write;
use std::time::Instant;
use venuecode::health::{Colour, HealthStatus, NatResult, NatTest};
use venuecode::person::{PersonalCode, PersonalIssue, Profile};
use venuecode::status::{StatusList, StatusSource};
use venuecode::{Seal, SecretKey, Timestamp, TrustList, TrustedKey, Usage, status_delta};

/// xorshift64*: the same city on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A holder as of `as_of`: 90% green, 6% yellow, 4% red; 75% tested negative in the last 48 h,
/// 15% longer ago, 0.01% positive, the rest never; 2% of slots without a holder.
fn holder(rng: &mut Rng, as_of: Timestamp) -> Option<HealthStatus> {
    if rng.below(100) < 2 {
        return None;
    }
    let colour = match rng.below(100) {
        0..90 => Colour::Green,
        90..96 => Colour::Yellow,
        _ => Colour::Red,
    };
    let roll = rng.below(10_000);
    let nat = match roll {
        0 => Some((NatResult::Positive, 3600)),
        1..7501 => Some((
            NatResult::Negative,
            i64::try_from(rng.below(48 * 3600)).unwrap(),
        )),
        7501..9001 => Some((NatResult::Negative, 100 * 3600)),
        _ => None,
    }
    .map(|(result, ago)| NatTest {
        result,
        sampled_at: as_of.saturating_add(-ago),
    });
    Some(HealthStatus { colour, nat })
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn gzip_len(bytes: &[u8]) -> usize {
    let mut child = std::process::Command::new("gzip")
        .arg("-6")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = bytes.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    out.stdout.len()
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` (CI) runs a small city as a test.
    let benching = std::env::args().any(|a| a == "--bench");
    let holders: usize = std::env::var("CITY_HOLDERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if benching { 25_000_000 } else { 100_000 });
    let key = SecretKey::from_seed(&[8; 32]);
    let mut trust = TrustList::new();
    trust
        .add(TrustedKey::new(key.public_key(), Usage::Status))
        .unwrap();
    let day0 = Timestamp::parse_rfc3339("2022-04-06T06:00:00+08:00").unwrap();
    let day1 = day0.saturating_add(86_400);
    let seal = |serial, as_of: Timestamp| Seal {
        serial,
        issued_at: as_of,
        valid_until: as_of.saturating_add(86_400),
    };
    let n = holders as f64;

    let started = Instant::now();
    let mut rng = Rng(20_220_406);
    let old = StatusList::build_slots(
        (0..holders).map(|_| holder(&mut rng, day0)),
        seal(1, day0),
        &key,
    )
    .unwrap();
    let build = started.elapsed();
    let gz = gzip_len(&old);
    println!(
        "city list: {holders} holders, {} bytes ({:.3} bytes a holder; gzip -6 {:.3}), built and signed in {:.2} s",
        old.len(),
        old.len() as f64 / n,
        gz as f64 / n,
        build.as_secs_f64()
    );

    let started = Instant::now();
    let list = StatusList::load(&old, &trust, day0.saturating_add(3600)).unwrap();
    println!(
        "loaded (signature and every slot checked) in {:.2} s",
        started.elapsed().as_secs_f64()
    );

    // Lookups as a gate makes them: an offline code's slot, the status as of the list.
    let id = venuecode::id::IdNumber::parse("11010519491231002X").unwrap();
    let issue = PersonalIssue {
        profile: Profile::Offline,
        generation: 0,
        issued_at: day0.saturating_add(-86_400),
        valid_secs: None,
        status: None,
    };
    let tokens = venuecode::token::TokenKey::from_bytes([0x42; 32]);
    let card = PersonalCode::for_holder("张三丰", &id, &tokens, &issue).unwrap();
    let slots: Vec<u32> = (0..1_000_000)
        .map(|_| u32::try_from(rng.below(holders as u64)).unwrap())
        .collect();
    let cards: Vec<PersonalCode> = slots
        .iter()
        .take(1000)
        .map(|&s| card.clone().with_slot(s).unwrap())
        .collect();
    let started = Instant::now();
    let mut found = 0usize;
    for _ in 0..10 {
        for &s in &slots {
            found += usize::from(black_box(list.lookup_slot(black_box(s))).is_some());
        }
    }
    let per_lookup = started.elapsed().as_nanos() as f64 / 1e7;
    let started = Instant::now();
    for _ in 0..1000 {
        for c in &cards {
            found += usize::from(black_box(list.status_of(black_box(c))).is_some());
        }
    }
    let per_code = started.elapsed().as_nanos() as f64 / 1e6;
    println!(
        "lookup: {per_lookup:.1} ns a slot, {per_code:.1} ns a code through StatusSource ({found} found)"
    );

    // 1% of the holders changed (a new colour and test): in a list of the same hour, and in the
    // next day's, where tests passing 72 hours also change (they become "older than 72 h").
    for (what, as_of) in [("same hour", day0), ("next day", day1)] {
        let started = Instant::now();
        let mut rng = Rng(20_220_406);
        let mut changes = Rng(7);
        let new = StatusList::build_slots(
            (0..holders).map(|_| {
                let h = holder(&mut rng, day0);
                if changes.below(100) == 0 {
                    Some(HealthStatus {
                        colour: Colour::Yellow,
                        nat: Some(NatTest {
                            result: NatResult::Negative,
                            sampled_at: as_of.saturating_add(-3600),
                        }),
                    })
                } else {
                    h
                }
            }),
            seal(2, as_of),
            &key,
        )
        .unwrap();
        let delta = status_delta::delta(&old, &new).unwrap();
        let made = started.elapsed();
        let changed = old
            .iter()
            .zip(&new)
            .skip(29)
            .filter(|(a, b)| a != b)
            .count();
        let started = Instant::now();
        let rebuilt = status_delta::apply(&old, &delta).unwrap();
        let applied = started.elapsed();
        assert_eq!(rebuilt, new);
        StatusList::load(&rebuilt, &trust, as_of.saturating_add(60)).unwrap();
        println!(
            "delta, {what}: {changed} slots changed ({:.2}%), {} bytes ({:.0} KB; gzip -6 {:.0} KB), \
             made in {:.2} s (the new list built too), applied in {:.2} s",
            changed as f64 * 100.0 / n,
            delta.len(),
            delta.len() as f64 / 1e3,
            gzip_len(&delta) as f64 / 1e3,
            made.as_secs_f64(),
            applied.as_secs_f64()
        );
    }
    println!("peak memory {:.0} MB", peak_rss_mb());
}
