//! Issue a venue code for one door and verify it as a gate would, offline.
//!
//! `cargo run -p venuecode-examples --example issue_and_verify`

use venuecode::{
    Prefix, SecretKey, Timestamp, TrustList, TrustedKey, Usage, Venue, VenueType, verify_venue_code,
};

fn main() -> Result<(), venuecode::Error> {
    let authority = SecretKey::generate()?;
    let mut trust = TrustList::new();
    // Trusted for venue codes under this one prefix only: a poster under another host fails.
    let prefix = Prefix::new("HTTPS://VC.SH.GOV.CN/1/")?;
    trust.add(TrustedKey::new(authority.public_key(), Usage::Venue).with_prefix(&prefix))?;

    let venue = Venue::new(
        "SH-PT-0018",
        VenueType::ReligiousVenue,
        "上海玉佛禅寺",
        "310107".parse()?,
        "东门",
        Timestamp::parse_rfc3339("2022-04-01T08:00:00+08:00")?,
    )
    .with_address("安远路170号")
    .with_valid_until(Timestamp::parse_rfc3339("2023-04-01T00:00:00+08:00")?);
    let text = venue.issue(&authority, &prefix)?;
    println!("code ({} characters): {text}", text.len());

    let now = Timestamp::parse_rfc3339("2022-04-06T09:30:00+08:00")?;
    let code = verify_venue_code(&text, &trust, now)?;
    let v = code.venue();
    println!(
        "verified: {} {} ({}), signed by {}",
        v.name,
        v.door,
        v.venue_type.slug(),
        code.key_id()
    );

    let forged = venue.issue(
        &SecretKey::generate()?,
        &Prefix::new("HTTPS://VC.SH.GOV.CN/1/")?,
    )?;
    match verify_venue_code(&forged, &trust, now) {
        Ok(_) => println!("a forged poster was accepted: this must never happen"),
        Err(e) => println!("forged poster refused: {}", e.code()),
    }
    Ok(())
}
