//! `venuecode demo`: the main job on embedded defaults, with nothing to prepare. An authority key
//! and trust list are made, codes issued for every door of three venues and verified, and three
//! attacks are shown failing: a counterfeit poster, a genuine code re-hosted under a phishing
//! URL, and a code used after it expired.

use crate::error::{CliError, EXIT_OK};
use std::fs;
use std::path::Path;
use venuecode::{
    Division, Prefix, SecretKey, Timestamp, TrustList, TrustedKey, Usage, Venue, VenueType,
    verify_venue_code,
};

const PREFIX: &str = "HTTPS://VC.SH.GOV.CN/1/";
const PHISHING: &str = "HTTPS://VC.SH-GOV.CN/1/";

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

pub(crate) fn run(out: &Path) -> Result<u8, CliError> {
    fs::create_dir_all(out).map_err(CliError::io(out))?;
    let issued = Timestamp::parse_rfc3339("2022-04-01T08:00:00+08:00")?;
    let until = Timestamp::parse_rfc3339("2023-04-01T00:00:00+08:00")?;
    let at = Timestamp::parse_rfc3339("2022-04-06T09:30:00+08:00")?;
    let prefix = Prefix::new(PREFIX)?;

    let authority = SecretKey::generate()?;
    let mut trust = TrustList::new();
    let mut entry = TrustedKey::new(authority.public_key(), Usage::Venue);
    entry.label = Some("demo authority: venue codes".into());
    trust.add(entry)?;
    write(
        &out.join("authority.pem"),
        authority.to_pkcs8_pem().as_bytes(),
    )?;
    write(&out.join("trust.json"), trust.to_json().as_bytes())?;

    println!("venuecode demo: issuing and checking venue codes (场所码), one per door");
    println!(
        "authority key {} trusted for venue codes\n",
        authority.public_key().id()
    );
    let mut codes = String::new();
    let (mut issued_count, mut valid_count) = (0, 0);
    let mut first = None;
    for (id, venue_type, name, division, address, doors) in VENUES {
        for door in doors {
            let venue = Venue {
                id: id.into(),
                venue_type,
                name: name.into(),
                division: Division::new(division)?,
                address: address.into(),
                door: door.into(),
                issued_at: issued,
                valid_until: Some(until),
            };
            let text = venue.issue(&authority, &prefix)?;
            let verdict = match verify_venue_code(&text, &trust, at) {
                Ok(_) => {
                    valid_count += 1;
                    "valid".to_owned()
                }
                Err(e) => e.code().to_owned(),
            };
            println!("  {id:<11} {name} {door}  {} chars  {verdict}", text.len());
            codes += &format!("{id}\t{door}\t{text}\n");
            issued_count += 1;
            first.get_or_insert((venue, text));
        }
    }
    write(&out.join("codes.tsv"), codes.as_bytes())?;

    let (venue, genuine) = first.ok_or_else(|| CliError::Usage("no venues".into()))?;
    let forger = SecretKey::generate()?;
    let attacks = [
        (
            "counterfeit poster (signed by an untrusted key)",
            venue.issue(&forger, &prefix)?,
            at,
            "unknown_key",
        ),
        (
            "genuine code re-hosted under a phishing URL",
            genuine.replace(PREFIX, PHISHING),
            at,
            "bad_signature",
        ),
        (
            "genuine code scanned after its valid-until",
            genuine.clone(),
            until,
            "expired",
        ),
    ];
    println!("\nattacks at the door:");
    let mut all_refused = true;
    for (what, text, when, expected) in attacks {
        let got = match verify_venue_code(&text, &trust, when) {
            Ok(_) => "ACCEPTED".to_owned(),
            Err(e) => format!("refused: {}", e.code()),
        };
        all_refused &= got == format!("refused: {expected}");
        println!("  {what:<50} {got}");
    }
    println!(
        "\n{issued_count} codes issued, {valid_count} verified; {} attacks refused",
        if all_refused { "all 3" } else { "NOT all" }
    );
    println!("files: {}", out.display());
    println!("  authority.pem (private key, mode 0600), trust.json, codes.tsv");
    if all_refused && valid_count == issued_count {
        Ok(EXIT_OK)
    } else {
        Err(CliError::Usage("the demo did not go as expected".into()))
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
