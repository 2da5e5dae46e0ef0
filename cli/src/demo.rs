//! `venuecode demo`: the main job on embedded defaults, with nothing to prepare.
//!
//! An authority's keys and trust list; codes and A4 posters for three venues with two doors each;
//! about a thousand simulated visitors (offline and dynamic codes, every colour, fresh, old and
//! missing tests) through the gate into the SQLite ledger, with a counterfeit poster, a replayed
//! screenshot and a lost-and-reissued offline code among them; then the desensitised daily report,
//! checked against what the simulation knows to be true. Deterministic: the visitors come from a
//! fixed seed; only the keys are new each run.

use crate::error::CliError;
use crate::output::{decision as decision_text, say, say_in, tr};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use venuecode::CodeState;
use venuecode::door::{
    CheckInRequest, Door, GateConfig, GateState, GateTrust, Registration, register,
};
use venuecode::health::{Colour, HealthStatus, NatResult, NatTest};
use venuecode::id::IdNumber;
use venuecode::person::{PersonalCode, PersonalIssue, Profile};
use venuecode::policy::Outcome;
use venuecode::poster::{PosterOptions, poster_svg};
use venuecode::qr::{EcLevel, QrMatrix};
use venuecode::record::Day;
use venuecode::revoke::RevocationList;
use venuecode::status::StatusList;
use venuecode::token::{HolderToken, TokenKey};
use venuecode::trace::{DEFAULT_WINDOW_MINUTES, HolderReport, HolderTrace, Period, TraceKey};
use venuecode::{
    Division, Prefix, Seal, SecretKey, Timestamp, TrustList, TrustedKey, Usage, Venue, VenueType,
    verify_venue_code,
};
use venuecode_ledger::{Filter, Ledger};

/// The holders `demo --serve` gives accounts to (visitor logins), with their colour: the day's
/// status list lists them, so that the service issues their dynamic codes. Their names and ID
/// numbers are made up, and the service keeps only their masks and tokens.
pub(crate) const HOLDERS: [(&str, &str, Colour); 3] = [
    ("访客甲", "11010519491231002X", Colour::Green),
    ("访客乙", "44030419900101002X", Colour::Yellow),
    ("访客丙", "310101198001010018", Colour::Red),
];

/// id, type, name, division, address, doors.
type DemoVenue = (
    &'static str,
    VenueType,
    &'static str,
    u32,
    &'static str,
    [&'static str; 2],
);

const VENUES: [DemoVenue; 3] = [
    (
        "SH-PT-0018",
        VenueType::ReligiousVenue,
        "上海玉佛禅寺",
        310_107,
        "安远路170号",
        ["东门", "北门"],
    ),
    (
        "SH-PT-0101",
        VenueType::ReligiousSchool,
        "示例宗教院校",
        310_107,
        "示例路1号",
        ["正门", "西门"],
    ),
    (
        "SH-QP-0007",
        VenueType::MuslimCemetery,
        "示例回民公墓",
        310_118,
        "示例公路88号",
        ["南门", "东门"],
    ),
];
const VISITORS: usize = 1000;
/// People registered by hand.
const REGISTERED: usize = 12;
const POLICY: &str = "sh-2022-public-48h";
const SURNAMES: &[&str] = &[
    "张", "王", "李", "赵", "陈", "刘", "欧阳", "马", "周", "吴", "司马", "孙",
];
const GIVEN: &[&str] = &[
    "三丰", "伟", "芳", "娜娜", "强", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰",
];

/// xorshift64*: enough for a reproducible crowd.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u32) -> u32 {
        u32::try_from(self.next() % u64::from(n.max(1))).unwrap_or(0)
    }

    /// A number of seconds in `0..n`.
    fn secs(&mut self, n: u32) -> i64 {
        i64::from(self.below(n))
    }

    /// An index into `0..len`.
    fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(u32::try_from(len).unwrap_or(u32::MAX))).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.index(items.len())]
    }
}

/// A valid GB 11643 number.
fn id_number(rng: &mut Rng) -> IdNumber {
    let division = *rng.pick(&[
        310_101u32, 310_104, 310_107, 310_115, 310_118, 110_105, 320_102,
    ]);
    let day = 1 + rng.below(28);
    let first17 = format!(
        "{division}{}{:02}{day:02}{:03}",
        1940 + rng.below(70),
        1 + rng.below(12),
        rng.below(1000)
    );
    IdNumber::complete(&first17).unwrap_or_else(|_| unreachable!("built valid"))
}

struct Visitor {
    name: String,
    id: IdNumber,
    profile: Profile,
    status: HealthStatus,
    door: (usize, usize),
    at: Timestamp,
    rescan: bool,
}

#[derive(Default)]
struct Truth {
    scans: u64,
    visits: u64,
    /// By venue: a visitor is one visitor at a venue, and another at the next (pseudonyms are
    /// per venue).
    visitors: BTreeSet<(usize, usize)>,
    /// Every verified entry: who, at which venue, when (what a trace must find).
    present: Vec<(HolderToken, usize, Timestamp)>,
    reports: u64,
    by_decision: BTreeMap<&'static str, u64>,
    by_colour: BTreeMap<&'static str, u64>,
}

impl Truth {
    fn scan(
        &mut self,
        visitor: Option<(usize, usize)>,
        new_visit: bool,
        colour: Option<Colour>,
        decision: Outcome,
        report: bool,
    ) {
        self.scans += 1;
        self.visits += u64::from(new_visit);
        self.visitors.extend(visitor);
        self.reports += u64::from(report);
        *self.by_decision.entry(decision.name()).or_default() += 1;
        let c = match colour {
            Some(Colour::Green) => "green",
            Some(Colour::Yellow) => "yellow",
            Some(Colour::Red) => "red",
            None => "none",
        };
        *self.by_colour.entry(c).or_default() += 1;
    }
}

/// What the rules say for a visitor whose code verifies: the truth the ledger must match.
fn expected(status: &HealthStatus, at: Timestamp) -> (Outcome, bool) {
    match status.colour {
        Colour::Yellow | Colour::Red => (Outcome::Deny, true),
        Colour::Green => match status.nat {
            Some(NatTest {
                result: NatResult::Negative,
                sampled_at,
            }) if at.unix() - sampled_at.unix() <= 48 * 3600 => (Outcome::Admit, false),
            _ => (Outcome::Deny, false),
        },
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(&mut options.open(path).map_err(CliError::io(path))?, bytes)
        .map_err(CliError::io(path))
}

/// What the demo made that its service needs: the venues, the root key's id, the demo's time.
#[cfg_attr(
    not(feature = "serve"),
    expect(dead_code, reason = "what demo --serve serves")
)]
pub(crate) struct Demo {
    /// id, division, name, doors.
    pub(crate) venues: Vec<(&'static str, u32, &'static str, [&'static str; 2])>,
    /// The root key the trust list is signed by.
    pub(crate) root_kid: venuecode::KeyId,
    /// 09:00 on the demo's day.
    pub(crate) now: Timestamp,
    /// Each door's venue id, door and venue code (its poster's text).
    pub(crate) posters: Vec<(String, String, String)>,
    /// The URL prefix of its codes.
    pub(crate) prefix: Prefix,
}

pub(crate) fn run(out: &Path) -> Result<Demo, CliError> {
    let started = std::time::Instant::now();
    fs::create_dir_all(out.join("posters")).map_err(CliError::io(out))?;
    let t = |s: &str| Timestamp::parse_rfc3339(s);
    let day_start = t("2022-04-06T00:00:00+08:00")?;
    let prefix = Prefix::new("HTTPS://VC.SH.GOV.CN/1/")?;

    let Authority {
        venue_key,
        personal_key,
        status_key,
        tokens,
        tracing,
        root_key,
        trust,
        signed_trust,
    } = authority(out, &prefix)?;
    say_in!(
        "venuecode 演示：三个场所的一天，{}（规则集 {POLICY}）\n",
        "venuecode demo: a day at three venues, {} (policy {POLICY})\n",
        Day::of(day_start)
    );

    let doors = issue_doors(out, &venue_key, &prefix)?;
    // A counterfeit poster: the first door's fields, signed by someone else.
    let forged = doors[0].0.issue(&SecretKey::generate()?, &prefix)?;
    let counterfeit = match verify_venue_code(&forged, &trust, day_start.saturating_add(9 * 3600)) {
        Ok(_) => tr("被接受", "ACCEPTED").to_owned(),
        Err(e) => format!("{}, {}", tr("已拒绝", "refused"), e.code()),
    };

    let mut rng = Rng(20_220_406);
    let visitors = crowd(&mut rng, day_start);
    // The day's status list (offline holders) and the revocation of visitor 0's lost card.
    let as_of = day_start.saturating_add(6 * 3600);
    let today = Seal {
        serial: 2,
        issued_at: as_of,
        valid_until: as_of.saturating_add(86_400),
    };
    // What the system can know: an offline holder's status as of the list, a test sampled after
    // 06:00 not yet in it; a dynamic code's status as of its issue.
    let known = |v: &Visitor| match v.profile {
        Profile::Offline => HealthStatus {
            nat: v.status.nat.filter(|n| n.sampled_at <= as_of),
            ..v.status
        },
        Profile::Dynamic => v.status,
    };
    let listed = visitors
        .iter()
        .filter(|v| v.profile == Profile::Offline)
        .map(|v| (tokens.token(&v.id), known(v)))
        .chain(HOLDERS.iter().map(|&(_, id, colour)| {
            let id = IdNumber::parse(id).unwrap_or_else(|_| unreachable!("valid"));
            // A negative test the evening before.
            let nat = NatTest {
                result: NatResult::Negative,
                sampled_at: as_of.saturating_add(-12 * 3600),
            };
            (
                tokens.token(&id),
                HealthStatus {
                    colour,
                    nat: Some(nat),
                },
            )
        }))
        .collect();
    let status_bytes = StatusList::build(listed, today, &status_key)?;
    let revocation_bytes = RevocationList::build(
        &[],
        &[(tokens.token(&visitors[0].id), 1)],
        today,
        &status_key,
    )?;
    write(&out.join("status.bin"), &status_bytes)?;
    write(&out.join("revocations.bin"), &revocation_bytes)?;
    // The gate: the core's, as a venue's gate device holds it, into a fresh ledger.
    // It pins the root's key id, and keeps its state: serials and codes seen.
    let mut config = GateConfig::new(GateTrust::Signed {
        list: signed_trust.clone(),
        roots: vec![root_key.public_key().id()],
    });
    config.status = Some(status_bytes.clone());
    config.revocations = Some(revocation_bytes.clone());
    config.max_status_age_secs = Some(24 * 3600);
    config.builtin = Some(POLICY.to_owned());
    let mut door_gate = config.load(as_of, GateState::new())?;
    // Yesterday's list, still inside its 48-hour window, replayed to the gate.
    let yesterday = StatusList::build(
        Vec::new(),
        Seal {
            serial: 1,
            issued_at: as_of.saturating_add(-86_400),
            valid_until: as_of.saturating_add(86_400),
        },
        &status_key,
    )?;
    let mut replayed = config.clone();
    replayed.status = Some(yesterday);
    let rollback = match replayed.load(as_of, door_gate.state().clone()) {
        Ok(_) => tr("被接受", "ACCEPTED").to_owned(),
        Err(e) => format!("{}, {}", tr("已拒绝", "refused"), e.code()),
    };
    let gate_doors = doors
        .iter()
        .map(|(_, text)| door_gate.door(text, as_of))
        .collect::<Result<Vec<Door>, _>>()?;
    let db = out.join("ledger.sqlite");
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let mut ledger = crate::files::ledger(&db)?;
    let mut truth = Truth::default();
    // A scan at a door: the gate's, or (`phone`) the visitor's own check-in with their phone.
    let mut gate = |text: &str,
                    at: Timestamp,
                    door: usize,
                    phone: Option<usize>|
     -> Result<(Outcome, bool, CodeState), CliError> {
        let key = ledger.record_keys(&gate_doors[door].venue_id, tracing.public())?;
        let (record, decision, report, code) = match phone {
            None => {
                let a = door_gate.admit(&gate_doors[door], text, at);
                let record = a.record(&key, &format!("gate-{door}"));
                (record, a.decision, a.report, a.code)
            }
            Some(visitor) => {
                let request = CheckInRequest {
                    venue_code: doors[door].1.clone(),
                    personal_code: text.to_owned(),
                    device: format!("phone-{visitor}"),
                    at,
                    companion_of: None,
                };
                let c = door_gate.check_in(&request, at)?.recorded(&key);
                let p = &c.pass;
                (c.record.clone(), p.decision, p.report, p.code)
            }
        };
        ledger.append(&record)?;
        Ok((decision, report, code))
    };
    let issue = |v: &Visitor, generation: u16, at: Timestamp| -> Result<String, CliError> {
        let (issued_at, status) = match v.profile {
            Profile::Offline => (at.saturating_add(-30 * 86_400), None),
            Profile::Dynamic => (at.saturating_add(-10), Some(v.status)),
        };
        let issue = PersonalIssue {
            profile: v.profile,
            generation,
            issued_at,
            valid_secs: None,
            status,
        };
        Ok(PersonalCode::for_holder(&v.name, &v.id, &tokens, &issue)?
            .issue(&personal_key, &prefix)?)
    };
    let bar = indicatif::ProgressBar::new(VISITORS as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} visitors through the gates")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut incidents = Vec::new();
    // The case found positive the next day: a visitor with a phone, past the first two.
    let case = (2..VISITORS)
        .find(|&i| visitors[i].profile == Profile::Dynamic)
        .unwrap_or(2);
    // A visitor whose screen is photographed and shown at the other door of the venue.
    let copied = (3..VISITORS)
        .find(|&i| visitors[i].profile == Profile::Dynamic && i % 3 != 2 && i != case)
        .unwrap_or(3);
    for (i, v) in visitors.iter().enumerate() {
        let door = v.door.0 * 2 + v.door.1;
        // A third of the visitors with a phone check in themselves (扫码打卡).
        let phone = (v.profile == Profile::Dynamic && i % 3 == 2).then_some(i);
        // Visitor 0 first shows the lost card (generation 0), then the new one.
        if i == 0 {
            let (decision, report, code) = gate(&issue(v, 0, v.at)?, v.at, door, None)?;
            truth.scan(None, true, None, Outcome::Deny, false);
            incidents.push(format!(
                "{}: {}, {code}{}",
                tr(
                    "补办后出示挂失的旧离线码",
                    "lost offline card shown after re-issue"
                ),
                decision_text(decision),
                if report {
                    tr("，已上报", ", reported")
                } else {
                    ""
                }
            ));
        }
        let generation = u16::from(i == 0);
        let token = tokens.token(&v.id);
        gate(&issue(v, generation, v.at)?, v.at, door, phone)?;
        let (want, want_report) = expected(&known(v), v.at);
        truth.scan(
            Some((v.door.0, i)),
            true,
            Some(v.status.colour),
            want,
            want_report,
        );
        truth.present.push((token, v.door.0, v.at));
        if v.rescan {
            let later = v.at.saturating_add(180 + rng.secs(300));
            gate(&issue(v, generation, later)?, later, door, phone)?;
            let (want, want_report) = expected(&known(v), later);
            truth.scan(
                Some((v.door.0, i)),
                false,
                Some(v.status.colour),
                want,
                want_report,
            );
            truth.present.push((token, v.door.0, later));
        }
        // The case: two hours later they check in at the next venue with their phone.
        if i == case {
            let venue = (v.door.0 + 1) % VENUES.len();
            let later = v.at.saturating_add(2 * 3600);
            gate(&issue(v, generation, later)?, later, venue * 2, Some(i))?;
            let (want, want_report) = expected(&known(v), later);
            truth.scan(
                Some((venue, i)),
                true,
                Some(v.status.colour),
                want,
                want_report,
            );
            truth.present.push((token, venue, later));
        }
        if i == copied {
            let copy = issue(v, generation, v.at)?;
            let other = v.door.0 * 2 + (1 - v.door.1);
            let at = v.at.saturating_add(30);
            let (decision, report, code) = gate(&copy, at, other, None)?;
            truth.scan(None, true, None, Outcome::Deny, true);
            incidents.push(format!(
                "{}: {}, {code}{}",
                tr(
                    "动态码截图 30 秒后在另一门出示",
                    "screenshot of a dynamic code shown at the other door 30 s later"
                ),
                decision_text(decision),
                if report {
                    tr("，已上报", ", reported")
                } else {
                    ""
                }
            ));
        }
        // Visitor 1 with a dynamic code: a screenshot of it replayed two minutes later.
        if i == 1 {
            let screenshot = issue(
                &Visitor {
                    profile: Profile::Dynamic,
                    ..clone_visitor(v)
                },
                0,
                v.at,
            )?;
            let replay_at = v.at.saturating_add(120);
            let (decision, _, code) = gate(&screenshot, replay_at, door, None)?;
            truth.scan(None, true, None, Outcome::Deny, false);
            incidents.push(format!(
                "{}: {}, {code}",
                tr("截图 2 分钟后重放", "screenshot replayed after 2 minutes"),
                decision_text(decision)
            ));
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    // People without a phone or a printed code, registered by hand at the desk (另行登记).
    for j in 0..REGISTERED {
        let id = id_number(&mut rng);
        let name = format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN));
        let door = rng.index(gate_doors.len());
        let at = day_start.saturating_add(9 * 3600 + rng.secs(8 * 3600));
        let registration = Registration {
            name: &name,
            id_number: &id,
            phone: Some("13812345678"),
            decision: Outcome::Admit,
            staff: "staff-1",
            device: "desk-1",
            at,
        };
        let key = ledger.record_keys(&gate_doors[door].venue_id, tracing.public())?;
        ledger.append(&register(&gate_doors[door], &registration, &tokens, &key)?)?;
        truth.scan(
            Some((door / 2, VISITORS + j)),
            true,
            None,
            Outcome::Admit,
            false,
        );
        truth.present.push((tokens.token(&id), door / 2, at));
    }
    let mut origins = BTreeMap::<&str, u64>::new();
    ledger.for_each(&Filter::default(), |r| {
        *origins.entry(r.origin.name()).or_default() += 1;
    })?;
    incidents.insert(0, {
        let (gate, own, staff) = (
            origins.get("gate").unwrap_or(&0),
            origins.get("self_scan").unwrap_or(&0),
            origins.get("staff").unwrap_or(&0),
        );
        match crate::output::lang() {
            crate::output::Lang::Zh => {
                format!("登记：闸机扫码 {gate} 次，自助扫码打卡 {own} 次，人工登记 {staff} 次")
            }
            crate::output::Lang::En => format!(
                "entries: {gate} gate scans, {own} self check-ins, {staff} registered by hand"
            ),
        }
    });
    incidents.insert(
        0,
        format!(
            "{}: {rollback}",
            tr(
                "向闸机重放昨天的状态名单",
                "yesterday's status list replayed to the gate"
            )
        ),
    );
    incidents.insert(
        0,
        format!(
            "{}: {counterfeit}",
            tr(
                "伪造的场所码（照抄字段，他人密钥签名）",
                "counterfeit poster (fields copied, signed by another key)"
            )
        ),
    );

    let day = Day::of(day_start);
    let all = daily_report(&ledger, day)?;
    let s = all.summary();
    say_in!("\n事件：", "\nincidents:");
    for incident in &incidents {
        say!("  {incident}");
    }

    let got = (
        all.scans(),
        all.visits(),
        all.distinct_visitors(),
        s.reports.unwrap_or(0),
        [
            s.by_decision.admit,
            s.by_decision.deny,
            s.by_decision.manual,
        ]
        .map(|v| v.unwrap_or(0)),
        [
            s.by_colour.green,
            s.by_colour.yellow,
            s.by_colour.red,
            s.by_colour.none,
        ]
        .map(|v| v.unwrap_or(0)),
    );
    let want = (
        truth.scans,
        truth.visits,
        truth.visitors.len() as u64,
        truth.reports,
        ["admit", "deny", "manual"].map(|k| truth.by_decision.get(k).copied().unwrap_or(0)),
        ["green", "yellow", "red", "none"].map(|k| truth.by_colour.get(k).copied().unwrap_or(0)),
    );
    let traced = trace_the_case(
        &ledger,
        &tracing,
        tokens.token(&visitors[case].id),
        &truth,
        &out.join("trace-audit.jsonl"),
        day_start.saturating_add(86_400 + 9 * 3600),
    )?;
    let matches = got == want;
    say_in!(
        "\n{}：扫码 {} 次，到访 {} 人次，{} 人，上报 {} 次",
        "\n{}: {} scans, {} visits, {} visitors, {} reports",
        if matches {
            tr(
                "日报与模拟的真实情况一致",
                "the report matches the simulated truth",
            )
        } else {
            tr(
                "日报与模拟的真实情况不一致",
                "MISMATCH with the simulated truth",
            )
        },
        want.0,
        want.1,
        want.2,
        want.3
    );
    say_in!(
        "{} 中的文件：trust.json、trust.signed（根密钥 {}）、root.pem、venue.pem、",
        "files in {}: trust.json, trust.signed (root key id {}), root.pem, venue.pem,",
        out.display(),
        root_key.public_key().id()
    );
    say_in!(
        "  personal.pem、status.pem、holder.key、trace.key（密钥：",
        "  personal.pem, status.pem, holder.key, trace.key (keys:"
    );
    say_in!(
        "  权限 0600）、trace.pub、posters/（A4 SVG 海报与码的 PNG）、status.bin、",
        "  mode 0600), trace.pub, posters/ (A4 SVG posters and code PNGs), status.bin,"
    );
    say_in!(
        "  revocations.bin、ledger.sqlite、trace-audit.jsonl",
        "  revocations.bin, ledger.sqlite, trace-audit.jsonl"
    );
    say_in!(
        "  查看：venuecode records --db {} --day {day} --details",
        "  see them with: venuecode records --db {} --day {day} --details",
        db.display()
    );
    say_in!(
        "用时 {:.1} 秒",
        "done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    crate::output::report(
        &serde_json::json!({
            "out": out.display().to_string(),
            "root_kid": root_key.public_key().id().to_string(),
            "scans": want.0, "visits": want.1, "visitors": want.2, "reports": want.3,
            "report_matches": matches, "trace_matches": traced,
        }),
        || {},
    )?;
    if !traced {
        Err(CliError::Usage(
            "the trace does not match the simulated truth".into(),
        ))
    } else if matches {
        Ok(Demo {
            venues: VENUES.iter().map(|v| (v.0, v.3, v.2, v.5)).collect(),
            root_kid: root_key.public_key().id(),
            now: day_start.saturating_add(9 * 3600),
            posters: doors
                .iter()
                .map(|(v, text)| (v.id.clone(), v.door.clone(), text.clone()))
                .collect(),
            prefix,
        })
    } else {
        Err(CliError::Usage(format!("report {got:?} != truth {want:?}")))
    }
}

/// After a case (追溯排查): the authority traces the case's visits and who was near each, with
/// its key alone, logs the query, and checks the answer against the simulation: the case's
/// entries, and everyone else verified at the same venue within the window.
fn trace_the_case(
    ledger: &Ledger,
    tracing: &TraceKey,
    case: HolderToken,
    truth: &Truth,
    audit_log: &Path,
    now: Timestamp,
) -> Result<bool, CliError> {
    let mut trace = HolderTrace::new(tracing, case, Period::default(), DEFAULT_WINDOW_MINUTES);
    ledger.presences(|b| trace.find_visits(b))?;
    ledger.presences(|b| trace.find_contacts(b))?;
    let report: HolderReport = trace.report();
    let query = serde_json::json!({"kind": "holder", "holder": case.to_string()});
    // The demo's log starts afresh with each run (its head kept beside it).
    let log = venuecode_ledger::audit::AuditLog::new(audit_log.to_owned(), tracing.audit_key());
    for old in [log.path(), log.head_path()] {
        match std::fs::remove_file(old) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(CliError::Io {
                    path: old.to_owned(),
                    source: e,
                });
            }
            _ => {}
        }
    }
    log.append(&venuecode_ledger::audit::Asked {
        at: now,
        by: "officer-1",
        reason: "demo: a visitor found positive the next day",
        query: &query,
        results: report.visits.len() as u64,
    })?;

    let window = i64::from(DEFAULT_WINDOW_MINUTES) * 60;
    let venue_of = |id: &str| VENUES.iter().position(|v| v.0 == id);
    let mut want: Vec<(Option<usize>, Timestamp, BTreeSet<HolderToken>)> = truth
        .present
        .iter()
        .filter(|p| p.0 == case)
        .map(|&(_, venue, at)| {
            let near = truth
                .present
                .iter()
                .filter(|p| p.0 != case && p.1 == venue && (p.2.unix() - at.unix()).abs() <= window)
                .map(|p| p.0)
                .collect();
            (Some(venue), at, near)
        })
        .collect();
    want.sort_by_key(|w| w.1);
    let got: Vec<(Option<usize>, Timestamp, BTreeSet<HolderToken>)> = report
        .visits
        .iter()
        .map(|v| {
            (
                venue_of(&v.venue_id),
                v.at,
                v.contacts.iter().map(|c| c.holder).collect(),
            )
        })
        .collect();
    say_in!(
        "
病例追溯（仅卫生部门的密钥可开启；查询已记入 {}）：",
        "
trace after a case (the authority's key alone; the query logged in {}):",
        audit_log.display()
    );
    for v in &report.visits {
        let name = VENUES
            .iter()
            .find(|x| x.0 == v.venue_id)
            .map_or("?", |x| x.2);
        let (n, window) = (v.contacts.len(), DEFAULT_WINDOW_MINUTES);
        say_in!(
            "  {} {} {}（{}）：前后 {window} 分钟内在场 {n} 人",
            "  {} {} {} ({}): {n} people present within {window} minutes",
            v.at.cst(),
            name,
            v.door,
            crate::output::origin(v.origin)
        );
    }
    let traced = got == want;
    say_in!(
        "{}：到访 {} 次，密接 {} 人，读取记录 {} 条",
        "{}: {} visits, {} distinct contacts, {} records read",
        if traced {
            tr(
                "追溯与模拟的真实情况一致",
                "the trace matches the simulated truth",
            )
        } else {
            tr(
                "追溯与模拟的真实情况不一致",
                "MISMATCH of the trace with the simulated truth",
            )
        },
        report.visits.len(),
        report.contacts,
        report.coverage.records
    );
    Ok(traced)
}

fn clone_visitor(v: &Visitor) -> Visitor {
    Visitor {
        name: v.name.clone(),
        id: v.id.clone(),
        profile: v.profile,
        status: v.status,
        door: v.door,
        at: v.at,
        rescan: false,
    }
}

/// The authority's keys and trust list, as the demo makes them (and writes them to `out`).
struct Authority {
    venue_key: SecretKey,
    personal_key: SecretKey,
    status_key: SecretKey,
    tokens: TokenKey,
    tracing: TraceKey,
    root_key: SecretKey,
    trust: TrustList,
    signed_trust: Vec<u8>,
}

/// The authority: one key for each usage, a token key, the tracing key, the trust list signed
/// by a root key; all written to `out`.
fn authority(out: &Path, prefix: &Prefix) -> Result<Authority, CliError> {
    let t = |s: &str| Timestamp::parse_rfc3339(s);
    let (venue_key, personal_key, status_key) = (
        SecretKey::generate()?,
        SecretKey::generate()?,
        SecretKey::generate()?,
    );
    let tokens = TokenKey::generate()?;
    // The authority's tracing key: venues seal every holder reference to its public half.
    let tracing = TraceKey::generate()?;
    // The root key signs the trust list; each key is scoped: the venue and personal keys to
    // the one prefix (venues: Shanghai's), the status key to the commission's list serials.
    let root_key = SecretKey::generate()?;
    let mut trust = TrustList::new();
    for (key, usage) in [
        (&root_key, Usage::Root),
        (&venue_key, Usage::Venue),
        (&personal_key, Usage::Personal),
        (&status_key, Usage::Status),
    ] {
        let mut entry = TrustedKey::new(key.public_key(), usage);
        if usage.signs_codes() {
            entry = entry.with_prefix(prefix);
        }
        if usage == Usage::Venue {
            // Shanghai's venues only (holders come from anywhere).
            entry = entry.with_division("31");
        } else if usage == Usage::Status {
            entry.issuer = Some("sh-health".into());
        }
        trust.add(entry)?;
    }
    let signed_trust = venuecode::signed_trust::sign(
        &trust,
        &root_key,
        Seal {
            serial: 1,
            issued_at: t("2022-04-01T00:00:00+08:00")?,
            valid_until: t("2022-09-01T00:00:00+08:00")?,
        },
    )?;
    write(&out.join("venue.pem"), venue_key.to_pkcs8_pem().as_bytes())?;
    write(
        &out.join("personal.pem"),
        personal_key.to_pkcs8_pem().as_bytes(),
    )?;
    write(
        &out.join("status.pem"),
        status_key.to_pkcs8_pem().as_bytes(),
    )?;
    write(&out.join("holder.key"), tokens.to_hex().as_bytes())?;
    write(&out.join("trace.key"), tracing.to_hex().as_bytes())?;
    crate::files::write_atomically(&out.join("trace.pub"), tracing.public().to_hex().as_bytes())?;
    write(&out.join("trust.json"), trust.to_json().as_bytes())?;
    write(&out.join("trust.signed"), &signed_trust)?;
    write(&out.join("root.pem"), root_key.to_pkcs8_pem().as_bytes())?;
    Ok(Authority {
        venue_key,
        personal_key,
        status_key,
        tokens,
        tracing,
        root_key,
        trust,
        signed_trust,
    })
}

/// One code and one A4 poster for each door of the demo's venues (一门一码), written to
/// `out/posters`; gives each door's venue and code.
fn issue_doors(
    out: &Path,
    venue_key: &SecretKey,
    prefix: &Prefix,
) -> Result<Vec<(Venue, String)>, CliError> {
    let t = |s: &str| Timestamp::parse_rfc3339(s);
    let mut doors = Vec::new();
    for (id, venue_type, name, division, address, door_names) in VENUES {
        for door in door_names {
            let venue = Venue::new(
                id,
                venue_type,
                name,
                Division::new(division)?,
                door,
                t("2022-04-01T08:00:00+08:00")?,
            )
            .with_address(address)
            .with_valid_until(t("2023-04-01T00:00:00+08:00")?);
            let text = venue.issue(venue_key, prefix)?;
            let stem = format!("{id}-{}", doors.len() % 2 + 1);
            write(
                &out.join("posters").join(format!("{stem}-poster.svg")),
                poster_svg(&venue, &text, &PosterOptions::default())?.as_bytes(),
            )?;
            write(
                &out.join("posters").join(format!("{stem}-code.png")),
                &QrMatrix::encode(&text, EcLevel::M)?.to_png(8)?,
            )?;
            doors.push((venue, text));
        }
    }
    say_in!(
        "签发场所码 {} 个，每个门一张 A4 海报（一门一码）",
        "issued {} venue codes with A4 posters (one per door)",
        doors.len()
    );
    Ok(doors)
}

/// The crowd: the day's visitors, the same every run (from the seeded generator, which the
/// day goes on drawing from).
fn crowd(rng: &mut Rng, day_start: Timestamp) -> Vec<Visitor> {
    (0..VISITORS)
        .map(|i| {
            let colour = match rng.below(100) {
                0..90 => Colour::Green,
                90..96 => Colour::Yellow,
                _ => Colour::Red,
            };
            let at = day_start.saturating_add(8 * 3600 + rng.secs(9 * 3600));
            let nat = match rng.below(100) {
                0..75 => Some(2 + rng.secs(44)),   // fresh: under 48 h
                75..90 => Some(50 + rng.secs(60)), // old
                _ => None,
            }
            .map(|hours| NatTest {
                result: NatResult::Negative,
                sampled_at: at.saturating_add(-hours * 3600),
            });
            Visitor {
                name: format!("{}{}", rng.pick(SURNAMES), rng.pick(GIVEN)),
                id: id_number(rng),
                // Visitor 0 is the one who lost an offline code.
                profile: if i == 0 || rng.below(100) < 30 {
                    Profile::Offline
                } else {
                    Profile::Dynamic
                },
                status: HealthStatus { colour, nat },
                door: (rng.index(3), rng.index(2)),
                at,
                rescan: rng.below(100) < 5,
            }
        })
        .collect()
}

/// The desensitised daily report as staff read it, per venue and in all (masked names and ID
/// numbers, visitors counted by pseudonym); gives the day's statistics of all venues.
fn daily_report(ledger: &Ledger, day: Day) -> Result<venuecode::record::DailyStats, CliError> {
    say_in!(
        "\n{day} 日报（脱敏：姓名与身份证号打码，到访者以假名计）\n",
        "\ndaily report {day} (desensitised: masked names and ID numbers, pseudonymous visitors)\n"
    );
    say!(
        "  {:<12} {:<14} {:>6} {:>6} {:>8} {:>6} {:>6} {:>5} {:>6} {:>5} {:>6} {:>7}",
        tr("场所", "venue"),
        tr("名称", "name"),
        tr("扫码", "scans"),
        tr("人次", "visits"),
        tr("人数", "visitors"),
        tr("绿码", "green"),
        tr("黄码", "yellow"),
        tr("红码", "red"),
        tr("通行", "admit"),
        tr("禁止", "deny"),
        tr("人工", "manual"),
        tr("上报", "reports")
    );
    for (id, _, name, ..) in VENUES {
        let s = ledger
            .daily_stats(
                day,
                &Filter {
                    venue_id: Some(id.into()),
                    ..Filter::default()
                },
                None,
            )?
            .summary();
        let n = |v: Option<u64>| v.unwrap_or(0);
        say!(
            "  {id:<12} {name:<10} {:>6} {:>6} {:>8} {:>6} {:>6} {:>5} {:>6} {:>5} {:>6} {:>7}",
            n(s.scans),
            n(s.visits),
            n(s.distinct_visitors),
            n(s.by_colour.green),
            n(s.by_colour.yellow),
            n(s.by_colour.red),
            n(s.by_decision.admit),
            n(s.by_decision.deny),
            n(s.by_decision.manual),
            n(s.reports)
        );
    }
    let all = ledger.daily_stats(day, &Filter::default(), None)?;
    let s = all.summary();
    say!(
        "  {:<23} {:>6} {:>6} {:>8} {:>6} {:>6} {:>5} {:>6} {:>5} {:>6} {:>7}",
        tr("全部场所", "all venues"),
        all.scans(),
        all.visits(),
        all.distinct_visitors(),
        s.by_colour.green.unwrap_or(0),
        s.by_colour.yellow.unwrap_or(0),
        s.by_colour.red.unwrap_or(0),
        s.by_decision.admit.unwrap_or(0),
        s.by_decision.deny.unwrap_or(0),
        s.by_decision.manual.unwrap_or(0),
        s.reports.unwrap_or(0)
    );
    Ok(all)
}
