//! Test vectors: one generator for `tests/vectors/venue.json`, `tests/vectors/personal.json` and
//! their sections of SPEC.md. The committed files must equal a fresh run; to rewrite them after a
//! deliberate format change, run `VENUECODE_BLESS=1 cargo test -p venuecode --test vectors`.

#![allow(clippy::unwrap_used)]

use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use venuecode::health::{Colour, HealthStatus, NatResult, NatTest};
use venuecode::id::IdNumber;
use venuecode::person::{PersonalCode, PersonalIssue, Profile, verify_personal_code};
use venuecode::revoke::RevocationList;
use venuecode::status::StatusList;
use venuecode::token::TokenKey;
use venuecode::{
    Division, Error, Prefix, Seal, SecretKey, Timestamp, TrustList, TrustedKey, Usage, Venue,
    VenueType, base41, verify_venue_code,
};

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Vectors {
    description: String,
    keys: Vec<KeyVector>,
    trust_list: serde_json::Value,
    /// Personal codes: the token key (hex) and holder tokens of ID numbers under it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    token_key: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    holder_tokens: Vec<TokenVector>,
    /// A signed revocation list (hex) that cases marked `with_revocations` are checked against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    revocations: Option<String>,
    /// A signed status list (hex), and the status it gives each listed holder token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    status_list: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    status_lookups: Vec<StatusVector>,
    /// The trust list signed by the `root` key (hex): opens to `trust_list` (SPEC.md §6.1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    signed_trust_list: Option<String>,
    /// A city status list (slot layout, hex), and the status it gives each slot.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    city_list: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    slot_lookups: Vec<SlotVector>,
    cases: Vec<Case>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct SlotVector {
    slot: u32,
    at: String,
    status: Option<serde_json::Value>,
}

/// When the signed trust list of the vectors is checked.
const TRUST_AT: &str = "2022-06-01T00:00:00Z";

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct StatusVector {
    holder: String,
    at: String,
    status: Option<serde_json::Value>,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct TokenVector {
    id_number: String,
    token: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct KeyVector {
    name: String,
    seed: String,
    kid: String,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Case {
    name: String,
    description: String,
    text: String,
    at: String,
    /// "valid" or an error code.
    expect: String,
    /// What a valid code says.
    #[serde(skip_serializing_if = "Option::is_none")]
    decoded: Option<serde_json::Value>,
    /// Also checked against the file's revocation list.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    with_revocations: bool,
}

#[derive(Clone, Copy)]
enum Kind {
    Venue,
    Personal,
}

impl Kind {
    /// Verifies through the public API and gives what the code says.
    /// Verifies through the public API (and the revocation list, if given) and gives what the
    /// code says.
    fn verify(
        self,
        text: &str,
        trust: &TrustList,
        at: &str,
        revocations: Option<&RevocationList>,
    ) -> Result<serde_json::Value, Error> {
        match self {
            Kind::Venue => {
                let code = verify_venue_code(text, trust, t(at))?;
                revocations.map_or(Ok(()), |r| r.check_venue(text))?;
                Ok(serde_json::to_value(&code).unwrap())
            }
            Kind::Personal => {
                let code = verify_personal_code(text, trust, t(at))?;
                revocations.map_or(Ok(()), |r| r.check_personal(code.code()))?;
                let mut v = serde_json::to_value(code.code()).unwrap();
                v["holder"] = code.code().holder.to_string().into();
                Ok(v)
            }
        }
    }
}

/// Collects cases, computing each one's expectation through the public API.
struct Cases<'a> {
    kind: Kind,
    trust: &'a TrustList,
    revocations: Option<RevocationList>,
    cases: Vec<Case>,
}

impl Cases<'_> {
    fn add(&mut self, name: &str, description: &str, text: String, at: &str) {
        self.push(name, description, text, at, false);
    }

    fn add_revocable(&mut self, name: &str, description: &str, text: String, at: &str) {
        self.push(name, description, text, at, true);
    }

    fn push(
        &mut self,
        name: &str,
        description: &str,
        text: String,
        at: &str,
        with_revocations: bool,
    ) {
        let revocations = self.revocations.as_ref().filter(|_| with_revocations);
        let (expect, decoded) = match self.kind.verify(&text, self.trust, at, revocations) {
            Ok(v) => ("valid".to_owned(), Some(v)),
            Err(e) => (e.code().to_owned(), None),
        };
        self.cases.push(Case {
            name: name.into(),
            description: description.into(),
            text,
            at: at.into(),
            expect,
            decoded,
            with_revocations,
        });
    }
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

const KEYS: [(&str, u8); 10] = [
    ("venue", 0x01),
    ("personal", 0x02),
    ("revoked", 0x03),
    ("stranger", 0x04),
    ("retired", 0x05),
    ("future", 0x06),
    ("personal-revoked", 0x07),
    ("status", 0x08),
    ("district", 0x09),
    ("root", 0x0a),
];

fn key(name: &str) -> SecretKey {
    let seed = KEYS.iter().find(|k| k.0 == name).unwrap().1;
    SecretKey::from_seed(&[seed; 32])
}

fn trust_list() -> TrustList {
    let mut list = TrustList::new();
    let mut add = |name: &str, usage, f: fn(&mut TrustedKey)| {
        let mut entry = TrustedKey::new(key(name).public_key(), usage);
        entry.label = Some(format!("vector key {name}"));
        match usage {
            Usage::Venue => entry = entry.with_prefix(&Prefix::new(SH).unwrap()),
            Usage::Personal => entry = entry.with_prefix(&Prefix::new(HC).unwrap()),
            _ => entry.issuer = Some("sh-health".into()),
        }
        f(&mut entry);
        list.add(entry).unwrap();
    };
    add("venue", Usage::Venue, |_| {});
    add("personal", Usage::Personal, |_| {});
    add("revoked", Usage::Venue, |e| e.revoked = true);
    add("retired", Usage::Venue, |e| {
        e.not_after = Some(t("2022-05-01T00:00:00Z"))
    });
    add("personal-revoked", Usage::Personal, |e| e.revoked = true);
    add("status", Usage::Status, |_| {});
    add("future", Usage::Venue, |e| {
        e.not_before = Some(t("2030-01-01T00:00:00Z"))
    });
    add("root", Usage::Root, |_| {});
    // Xuhui district's key: its venues only.
    add("district", Usage::Venue, |e| {
        e.divisions = vec!["310104".into()]
    });
    list
}

#[path = "support/reference.rs"]
mod support;
use support::reference_venue as reference;

const SH: &str = "HTTPS://VC.SH.GOV.CN/1/";
const DURING: &str = "2022-06-01T02:00:00Z";

/// Rewrites the payload bytes of a code's text.
fn edit_payload(text: &str, f: impl FnOnce(&mut Vec<u8>)) -> String {
    let split = text.rfind('/').unwrap() + 1;
    let mut bytes = base41::decode(&text[split..]).unwrap();
    f(&mut bytes);
    format!("{}{}", &text[..split], base41::encode(&bytes))
}

fn keys_and_trust() -> (Vec<KeyVector>, TrustList) {
    let keys = KEYS
        .iter()
        .map(|(name, seed)| KeyVector {
            name: (*name).into(),
            seed: hex::encode([*seed; 32]),
            kid: key(name).public_key().id().to_string(),
        })
        .collect();
    (keys, trust_list())
}

fn generate_venue() -> Vectors {
    let prefix = Prefix::new(SH).unwrap();
    let issue = |v: &Venue, k: &str| v.issue(&key(k), &prefix).unwrap();
    let reference_text = issue(&reference(), "venue");
    let (keys, trust) = keys_and_trust();
    let mut cases = Cases {
        kind: Kind::Venue,
        trust: &trust,
        revocations: None,
        cases: Vec::new(),
    };
    let mut case = |name: &str, description: &str, text: String, at: &str| {
        cases.add(name, description, text, at)
    };

    case(
        "valid-reference",
        "The reference venue of SPEC.md §5.",
        reference_text.clone(),
        DURING,
    );
    let mut open = reference();
    open.valid_until = None;
    open.venue_type = VenueType::Other;
    open.id = "SH-PT-0018-B".into();
    open.door = "北门2".into();
    case(
        "valid-no-end",
        "No valid-until; type other; an ASCII digit in the door.",
        issue(&open, "venue"),
        "2040-01-01T00:00:00Z",
    );
    let mut rare = reference();
    rare.venue_type = VenueType::from_code(77);
    rare.name = "买买提·艾力（𠮷）纪念堂".into();
    rare.address = "某路1号—2号".into();
    case(
        "valid-rare-characters",
        "Unassigned type 77; the 0xD4, 0xD3, 0xD5 and 0xFF text forms.",
        issue(&rare, "venue"),
        DURING,
    );

    case(
        "malformed-lowercase",
        "A payload character outside the base41 alphabet.",
        reference_text
            .char_indices()
            .map(|(i, c)| if i == SH.len() + 5 { 'a' } else { c })
            .collect(),
        DURING,
    );
    let split = reference_text.rfind('/').unwrap() + 1;
    case(
        "malformed-base41-group",
        "The first base41 group spells 65536, one past the largest pair.",
        format!(
            "{}+.I{}",
            &reference_text[..split],
            &reference_text[split + 3..]
        ),
        DURING,
    );
    case(
        "malformed-trailing-byte",
        "A zero byte between the door field and the signature.",
        edit_payload(&reference_text, |b| b.insert(b.len() - 64, 0)),
        DURING,
    );
    case(
        "unsupported-version",
        "Version byte 0x02.",
        edit_payload(&reference_text, |b| b[0] = 0x02),
        DURING,
    );
    case(
        "unknown-key",
        "Signed by a key that is not in the trust list.",
        issue(&reference(), "stranger"),
        DURING,
    );
    case(
        "wrong-key-usage",
        "Signed by a key trusted for personal codes only.",
        issue(&reference(), "personal"),
        DURING,
    );
    case(
        "bad-signature-rehosted",
        "A genuine payload moved under another URL prefix.",
        reference_text.replace(SH, "HTTPS://VC.SH.GOV.CC/1/"),
        DURING,
    );
    case(
        "bad-signature-bit",
        "One bit of the signature flipped.",
        edit_payload(&reference_text, |b| {
            let last = b.len() - 1;
            b[last] ^= 0x01;
        }),
        DURING,
    );
    case(
        "expired",
        "Verified at the code's valid-until.",
        reference_text.clone(),
        "2023-03-31T16:00:00Z",
    );
    case(
        "not-yet-valid",
        "Verified two minutes before issued-at (beyond the 60 s clock-skew grace).",
        reference_text.clone(),
        "2022-03-31T23:58:00Z",
    );
    case(
        "revoked",
        "Signed by a key the trust list marks revoked.",
        issue(&reference(), "revoked"),
        DURING,
    );
    case(
        "retired-key-earlier-poster",
        "Issued on 2022-04-01 by a key retired on 2022-05-01: posters signed before stay valid.",
        issue(&reference(), "retired"),
        DURING,
    );
    let mut late = reference();
    late.issued_at = t("2022-05-02T00:00:00+08:00");
    case(
        "expired-key",
        "Issued on 2022-05-02 by a key retired on 2022-05-01.",
        issue(&late, "retired"),
        DURING,
    );
    case(
        "not-yet-valid-key",
        "Dated 2022 by a key trusted only for what it signs from 2030.",
        issue(&reference(), "future"),
        DURING,
    );
    case(
        "out-of-scope-division",
        "A Putuo (310107) venue signed by Xuhui's key (divisions 310104).",
        issue(&reference(), "district"),
        DURING,
    );
    case(
        "out-of-scope-prefix",
        "Signed by the venue key under a phishing host it is not trusted for.",
        reference()
            .issue(
                &key("venue"),
                &Prefix::new("HTTPS://VC.SH.GOV.CN.PAY-CHECK.CC/1/").unwrap(),
            )
            .unwrap(),
        DURING,
    );

    Vectors {
        description: "venuecode venue-code vectors (SPEC.md §8). Keys are test keys: seed = one byte repeated 32 times.".into(),
        trust_list: serde_json::from_str(&trust.to_json()).unwrap(),
        keys,
        token_key: None,
        holder_tokens: Vec::new(),
        revocations: None,
        status_list: None,
        status_lookups: Vec::new(),
        signed_trust_list: Some(hex::encode(
            venuecode::signed_trust::sign(
                &trust,
                &key("root"),
                Seal {
                    serial: 1,
                    issued_at: t("2022-04-01T00:00:00Z"),
                    valid_until: t("2022-09-01T00:00:00Z"),
                },
            )
            .unwrap(),
        )),
        city_list: None,
        slot_lookups: Vec::new(),
        cases: cases.cases,
    }
}

const HC: &str = "HTTPS://HC.SH.GOV.CN/P/";
const HOLDER_ID: &str = "11010519491231002X";
const TOKEN_KEY: [u8; 32] = [0x42; 32];

fn generate_personal() -> Vectors {
    let prefix = Prefix::new(HC).unwrap();
    let (keys, trust) = keys_and_trust();
    let tokens = TokenKey::from_bytes(TOKEN_KEY);
    let id = IdNumber::parse(HOLDER_ID).unwrap();
    let issued = t("2022-04-06T09:30:00+08:00");
    let code = |name: &str, profile, generation, status, valid_secs| {
        let issue = PersonalIssue {
            profile,
            generation,
            issued_at: issued,
            valid_secs,
            status,
        };
        PersonalCode::for_holder(name, &id, &tokens, &issue).unwrap()
    };
    let sign = |c: &PersonalCode, k: &str| c.issue(&key(k), &prefix).unwrap();
    let offline = code("张三丰", Profile::Offline, 0, None, None);
    let tested = Some(HealthStatus {
        colour: Colour::Green,
        nat: Some(NatTest {
            result: NatResult::Negative,
            sampled_at: t("2022-04-05T20:00:00+08:00"),
        }),
    });
    let dynamic = code("欧阳娜娜", Profile::Dynamic, 2, tested, None);
    let red = code(
        "买买提·艾力",
        Profile::Dynamic,
        0,
        Some(HealthStatus {
            colour: Colour::Red,
            nat: None,
        }),
        Some(300),
    );
    let offline_text = sign(&offline, "personal");
    let dynamic_text = sign(&dynamic, "personal");
    let during = "2022-04-06T01:30:30Z";
    // The holder lost generation 0 and was re-issued generation 1: below 1 is superseded.
    let lists_from = t("2022-04-06T00:00:00+08:00");
    let lists_until = t("2022-04-07T00:00:00+08:00");
    let seal = Seal {
        serial: 1,
        issued_at: lists_from,
        valid_until: lists_until,
    };
    let revocation_bytes =
        RevocationList::build(&[], &[(offline.holder, 1)], seal, &key("status")).unwrap();
    let revocations = RevocationList::load(&revocation_bytes, &trust, t(during)).unwrap();
    let reissued = code("张三丰", Profile::Offline, 1, None, None);
    let listed = HealthStatus {
        colour: Colour::Green,
        nat: tested.and_then(|s| s.nat),
    };
    let status_bytes =
        StatusList::build(vec![(offline.holder, listed)], seal, &key("status")).unwrap();
    let status = StatusList::load(&status_bytes, &trust, t(during)).unwrap();
    // The city layout: no holder, the offline holder's status, yellow untested, a negative test
    // 80 hours old (older than 72 h), red and positive.
    let city_bytes = StatusList::build_slots(
        [
            None,
            Some(listed),
            Some(HealthStatus {
                colour: Colour::Yellow,
                nat: None,
            }),
            Some(HealthStatus {
                colour: Colour::Green,
                nat: Some(NatTest {
                    result: NatResult::Negative,
                    sampled_at: lists_from.saturating_add(-80 * 3600),
                }),
            }),
            Some(HealthStatus {
                colour: Colour::Red,
                nat: Some(NatTest {
                    result: NatResult::Positive,
                    sampled_at: lists_from.saturating_add(-3600),
                }),
            }),
        ],
        seal,
        &key("status"),
    )
    .unwrap();
    let city = StatusList::load(&city_bytes, &trust, t(during)).unwrap();
    let mut cases = Cases {
        kind: Kind::Personal,
        trust: &trust,
        revocations: Some(revocations),
        cases: Vec::new(),
    };
    cases.add(
        "valid-offline",
        "张三丰, offline, generation 0, 180 days.",
        offline_text.clone(),
        during,
    );
    cases.add(
        "valid-dynamic",
        "欧阳娜娜, dynamic, green, negative test sampled the evening before, 60 s.",
        dynamic_text.clone(),
        during,
    );
    cases.add(
        "valid-dynamic-red",
        "买买提·艾力, dynamic, red, no test, 300 s.",
        sign(&red, "personal"),
        during,
    );
    cases.add(
        "malformed-unmasked-id",
        "The masked ID number replaced by the full number.",
        edit_payload(&offline_text, |b| {
            let n = b.len() - 64;
            b[n - 18..n].copy_from_slice(HOLDER_ID.as_bytes());
        }),
        during,
    );
    cases.add(
        "unsupported-version",
        "Version byte 0x22.",
        edit_payload(&offline_text, |b| b[0] = 0x22),
        during,
    );
    cases.add(
        "unknown-key",
        "Signed by a key that is not in the trust list.",
        sign(&offline, "stranger"),
        during,
    );
    cases.add(
        "wrong-key-usage",
        "Signed by a key trusted for venue codes only.",
        sign(&offline, "venue"),
        during,
    );
    cases.add(
        "out-of-scope-prefix",
        "Signed by the personal key under a host it is not trusted for.",
        offline
            .issue(
                &key("personal"),
                &Prefix::new("HTTPS://HC.SH.GOV.CN.PAY-CHECK.CC/P/").unwrap(),
            )
            .unwrap(),
        during,
    );
    cases.add(
        "bad-signature",
        "One bit of the signature flipped.",
        edit_payload(&offline_text, |b| {
            let last = b.len() - 1;
            b[last] ^= 0x80;
        }),
        during,
    );
    cases.add(
        "expired-replay",
        "The dynamic code replayed 60 s after issue (a screenshot).",
        dynamic_text.clone(),
        "2022-04-06T01:31:00Z",
    );
    cases.add(
        "not-yet-valid",
        "Verified two minutes before issue.",
        dynamic_text,
        "2022-04-06T01:28:00Z",
    );
    cases.add(
        "revoked",
        "Signed by a personal key the trust list marks revoked.",
        sign(&offline, "personal-revoked"),
        during,
    );
    cases.add_revocable(
        "superseded",
        "Generation 0 after the holder was re-issued generation 1 (the file's revocation list).",
        offline_text.clone(),
        during,
    );
    cases.add_revocable(
        "valid-reissued",
        "Generation 1, checked against the same revocation list.",
        sign(&reissued, "personal"),
        during,
    );
    Vectors {
        description: "venuecode personal-code vectors (SPEC.md §9). Keys are test keys: seed = one byte repeated 32 times; the token key is 0x42 repeated 32 times.".into(),
        trust_list: serde_json::from_str(&trust.to_json()).unwrap(),
        keys,
        token_key: Some(hex::encode(TOKEN_KEY)),
        holder_tokens: vec![TokenVector { id_number: HOLDER_ID.into(), token: tokens.token(&id).to_string() }],
        revocations: Some(hex::encode(&revocation_bytes)),
        status_list: Some(hex::encode(&status_bytes)),
        status_lookups: [offline.holder, venuecode::token::HolderToken([0; 16])]
            .iter()
            .map(|h| StatusVector {
                holder: h.to_string(),
                at: during.into(),
                status: status.lookup(h).map(|s| serde_json::to_value(s).unwrap()),
            })
            .collect(),
        signed_trust_list: None,
        city_list: Some(hex::encode(&city_bytes)),
        slot_lookups: (0..5)
            .map(|slot| SlotVector {
                slot,
                at: during.into(),
                status: city
                    .lookup_slot(slot)
                    .map(|s| serde_json::to_value(s).unwrap()),
            })
            .collect(),
        cases: cases.cases,
    }
}

fn spec_section(v: &Vectors, marker: &str, file: &str) -> String {
    let mut out = format!(
        "<!-- {marker}:begin (generated by core/tests/vectors.rs; do not edit) -->\n\n\
         Keys (seed = one byte repeated 32 times; RFC 8032 private key):\n\n\
         | key | seed byte | key id |\n|---|---|---|\n"
    );
    for k in &v.keys {
        out += &format!("| {} | `{}` | `{}` |\n", k.name, &k.seed[..2], k.kid);
    }
    out += "\nTrust list (all but `stranger`):\n\n| key id | usage | window | revoked |\n|---|---|---|---|\n";
    for k in v.trust_list["keys"].as_array().unwrap() {
        let window = format!(
            "{} to {}",
            k["not_before"].as_str().unwrap_or("-"),
            k["not_after"].as_str().unwrap_or("-")
        );
        out += &format!(
            "| `{}` | {} | {} | {} |\n",
            k["kid"].as_str().unwrap(),
            k["usage"].as_str().unwrap(),
            window,
            k["revoked"]
        );
    }
    if let Some(token_key) = &v.token_key {
        out += &format!("\nToken key: `{token_key}`.\n");
        for h in &v.holder_tokens {
            out += &format!("Holder token of `{}`: `{}`.\n", h.id_number, h.token);
        }
    }
    if let Some(signed) = &v.signed_trust_list {
        use sha2::Digest;
        let bytes = hex::decode(signed).unwrap();
        out += &format!(
            "\nSigned trust list (§6.1; the list above, signed by `root`, serial 1, 2022-04-01 to \
             2022-09-01): {} bytes, SHA-256 `{}`; the hex is `signed_trust_list` in `{file}`.\n",
            bytes.len(),
            hex::encode(sha2::Sha256::digest(&bytes))
        );
    }
    if let Some(city) = &v.city_list {
        out += &format!(
            "\nCity status list (§10.1, slot layout, signed by `status`):\n\n```text\n{city}\n```\n\n\
             | slot | status at {} |\n|---|---|\n",
            v.slot_lookups.first().map_or("", |l| l.at.as_str())
        );
        for l in &v.slot_lookups {
            let shown = l
                .status
                .as_ref()
                .map_or_else(|| "no holder".to_owned(), ToString::to_string);
            out += &format!("| {} | `{shown}` |\n", l.slot);
        }
    }
    out += &format!(
        "\nCases (the full data, with what each valid code says, is in `{file}`):\n\n| vector | verified at | expected | what |\n|---|---|---|---|\n"
    );
    for c in &v.cases {
        out += &format!(
            "| {} | {} | `{}` | {} |\n",
            c.name, c.at, c.expect, c.description
        );
    }
    out += "\nTexts:\n\n```text\n";
    for c in &v.cases {
        out += &format!("{}\n{}\n\n", c.name, c.text);
    }
    out = out.trim_end().to_owned();
    out += &format!("\n```\n\n<!-- {marker}:end -->");
    out
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const SETS: [(&str, &str, Kind); 2] = [
    ("venue.json", "vectors", Kind::Venue),
    ("personal.json", "personal-vectors", Kind::Personal),
];

fn generate(kind: Kind) -> Vectors {
    match kind {
        Kind::Venue => generate_venue(),
        Kind::Personal => generate_personal(),
    }
}

#[test]
fn committed_vectors_match_the_generator() {
    let spec_path = root().join("../SPEC.md");
    let mut spec = std::fs::read_to_string(&spec_path).unwrap();
    let bless = std::env::var_os("VENUECODE_BLESS").is_some();
    for (file, marker, kind) in SETS {
        let fresh = generate(kind);
        let json = serde_json::to_string_pretty(&fresh).unwrap() + "\n";
        let json_path = root().join("tests/vectors").join(file);
        let (begin, end_marker) = (
            format!("<!-- {marker}:begin"),
            format!("<!-- {marker}:end -->"),
        );
        let (begin, end) = (spec.find(&begin).unwrap(), spec.find(&end_marker).unwrap());
        spec = format!(
            "{}{}{}",
            &spec[..begin],
            spec_section(&fresh, marker, &format!("core/tests/vectors/{file}")),
            &spec[end + end_marker.len()..]
        );
        if bless {
            std::fs::write(&json_path, &json).unwrap();
        }
        let committed = std::fs::read_to_string(&json_path).unwrap_or_default();
        assert!(committed == json, "{file} is stale: see this file's header");
    }
    if bless {
        std::fs::write(&spec_path, &spec).unwrap();
    }
    assert!(
        std::fs::read_to_string(&spec_path).unwrap() == spec,
        "SPEC.md's vectors are stale: see this file's header"
    );
}

/// Reads the committed files (not the generator) and checks every case through the public API.
#[test]
fn committed_vectors_verify_as_stated() {
    for (file, _, kind) in SETS {
        let text = std::fs::read_to_string(root().join("tests/vectors").join(file)).unwrap();
        let v: Vectors = serde_json::from_str(&text).unwrap();
        let trust = TrustList::from_json(&v.trust_list.to_string()).unwrap();
        let mut seen_codes = std::collections::BTreeSet::new();
        let revocations = v.revocations.as_ref().map(|h| {
            RevocationList::load(&hex::decode(h).unwrap(), &trust, t(&v.cases[0].at)).unwrap()
        });
        if let Some(signed) = &v.signed_trust_list {
            let root = v.keys.iter().find(|k| k.name == "root").unwrap();
            let kid: venuecode::KeyId = root.kid.parse().unwrap();
            let (opened, accepted) =
                venuecode::signed_trust::open(&hex::decode(signed).unwrap(), &[kid], t(TRUST_AT))
                    .unwrap();
            assert_eq!(
                opened, trust,
                "{file}: the signed trust list opens to trust_list"
            );
            assert_eq!(accepted.serial, 1);
        }
        for lookup in &v.slot_lookups {
            let bytes = hex::decode(v.city_list.as_ref().unwrap()).unwrap();
            let list = StatusList::load(&bytes, &trust, t(&lookup.at)).unwrap();
            let found = list.lookup_slot(lookup.slot);
            assert_eq!(
                found.map(|s| serde_json::to_value(s).unwrap()),
                lookup.status,
                "{file}: slot {}",
                lookup.slot
            );
        }
        for lookup in &v.status_lookups {
            let bytes = hex::decode(v.status_list.as_ref().unwrap()).unwrap();
            let list = StatusList::load(&bytes, &trust, t(&lookup.at)).unwrap();
            let mut holder = [0u8; 16];
            hex::decode_to_slice(&lookup.holder, &mut holder).unwrap();
            let found = list.lookup(&venuecode::token::HolderToken(holder));
            assert_eq!(
                found.map(|s| serde_json::to_value(s).unwrap()),
                lookup.status
            );
        }
        for c in &v.cases {
            let revocations = revocations.as_ref().filter(|_| c.with_revocations);
            match kind.verify(&c.text, &trust, &c.at, revocations) {
                Ok(decoded) => {
                    assert_eq!(c.expect, "valid", "{file} {}", c.name);
                    assert_eq!(Some(decoded), c.decoded, "{file} {}", c.name);
                }
                Err(e) => assert_eq!(e.code(), c.expect, "{file} {}: {e}", c.name),
            }
            seen_codes.insert(c.expect.as_str());
        }
        // One vector or more for each verification outcome (superseded: personal codes only;
        // replayed is the gate's memory, not one code's: tests/threats.rs).
        let expected = std::iter::once(&"valid").chain(venuecode::REJECTION_CODES);
        let one_code = |c: &&&str| **c != "replayed";
        for code in expected
            .filter(one_code)
            .filter(|&&c| c != "superseded" || matches!(kind, Kind::Personal))
        {
            assert!(seen_codes.contains(code), "{file}: no vector for {code}");
        }
        for k in &v.keys {
            let seed: [u8; 32] = hex::decode(&k.seed).unwrap().try_into().unwrap();
            assert_eq!(
                SecretKey::from_seed(&seed).public_key().id().to_string(),
                k.kid
            );
        }
        if let Some(token_key) = &v.token_key {
            let tokens = TokenKey::from_hex(token_key).unwrap();
            for h in &v.holder_tokens {
                assert_eq!(
                    tokens
                        .token(&IdNumber::parse(&h.id_number).unwrap())
                        .to_string(),
                    h.token
                );
            }
        }
    }
}
