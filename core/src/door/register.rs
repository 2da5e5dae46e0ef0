//! Staff's own records: a person registered by hand (另行登记: no phone, no printed code) and
//! staff's final decision on a scan that went to them (`manual`). Every entry has a record
//! (不漏一人), and none holds a raw name, ID number or phone number: they are validated, masked
//! and tokenised at once.

use super::Door;
use crate::encoding::text;
use crate::encoding::timestamp::Timestamp;
use crate::error::Error;
use crate::policy::Outcome;
use crate::privacy::id::IdNumber;
use crate::privacy::mask::{mask_id_number, mask_name, mask_phone};
use crate::privacy::record_keys::RecordKeys;
use crate::privacy::token::TokenKey;
use crate::record::{Origin, RecordId, ScanRecord, check_device_id};

/// The rule named in staff's records.
pub const STAFF_RULE: &str = "staff";

/// A person staff register by hand.
#[derive(Debug, Clone, Copy)]
pub struct Registration<'a> {
    /// The name typed at the desk.
    pub name: &'a str,
    /// The ID number typed at the desk (validated).
    pub id_number: &'a IdNumber,
    /// The phone number, if given.
    pub phone: Option<&'a str>,
    /// Staff's decision: admit or deny.
    pub decision: Outcome,
    /// The staff member's id.
    pub staff: &'a str,
    /// The desk's device id.
    pub device: &'a str,
    /// When.
    pub at: Timestamp,
}

/// The record of a hand registration at `door`: masked name, ID and phone numbers, and the
/// venue's pseudonym of the holder token (the authority's `tokens` key makes it), so that the
/// person is the same visitor as when they scan a code.
pub fn register(
    door: &Door,
    r: &Registration<'_>,
    tokens: &TokenKey,
    keys: &RecordKeys,
) -> Result<ScanRecord, Error> {
    check_device_id(r.staff, "staff")?;
    check_device_id(r.device, "device")?;
    text::check(r.name.trim(), 96).map_err(|reason| Error::InvalidInput {
        field: "name",
        reason: reason.into(),
    })?;
    if r.decision == Outcome::Manual {
        return Err(Error::InvalidInput {
            field: "decision",
            reason: "staff decide admit or deny".into(),
        });
    }
    let phone = r.phone.map(mask_phone).transpose()?;
    let token = tokens.token(r.id_number);
    let id = RecordId::derive(
        r.at,
        &[
            Origin::Staff.name().as_bytes(),
            r.device.as_bytes(),
            door.venue_id.as_bytes(),
            door.door.as_bytes(),
            &token.0,
        ],
    );
    Ok(ScanRecord {
        id,
        origin: Origin::Staff,
        device: r.device.to_owned(),
        venue_id: door.venue_id.clone(),
        door: door.door.clone(),
        at: r.at,
        pseudonym: Some(keys.pseudonym(&token)),
        name: Some(mask_name(r.name.trim())),
        id_number: Some(mask_id_number(r.id_number)),
        phone,
        profile: None,
        code_state: None,
        colour: None,
        test_age_hours: None,
        decision: r.decision,
        report: false,
        rule: STAFF_RULE.into(),
        staff: Some(r.staff.to_owned()),
        resolves: None,
        companion_of: None,
        trace: Some(keys.seal(&token, &id.0)),
    })
}

/// Staff's final decision (admit or deny) on a scan that went to them: a record of its own that
/// names the scan, with the scan's venue, door and masked holder. Only a `manual` scan that is
/// not itself a resolution can be resolved.
pub fn resolve(
    manual: &ScanRecord,
    decision: Outcome,
    staff: &str,
    device: &str,
    at: Timestamp,
) -> Result<ScanRecord, Error> {
    check_device_id(staff, "staff")?;
    check_device_id(device, "device")?;
    if manual.decision != Outcome::Manual || manual.is_resolution() {
        return Err(Error::InvalidInput {
            field: "record",
            reason: "only a scan sent to staff (manual) can be resolved".into(),
        });
    }
    if decision == Outcome::Manual {
        return Err(Error::InvalidInput {
            field: "decision",
            reason: "staff decide admit or deny".into(),
        });
    }
    Ok(ScanRecord {
        id: RecordId::derive(
            at,
            &[
                b"resolution",
                &manual.id.0,
                staff.as_bytes(),
                device.as_bytes(),
            ],
        ),
        origin: Origin::Staff,
        device: device.to_owned(),
        at,
        decision,
        report: false,
        rule: STAFF_RULE.into(),
        staff: Some(staff.to_owned()),
        resolves: Some(manual.id),
        // A resolution is staff's, of whoever the scan was.
        companion_of: None,
        // The scan resolved carries the reference; a copy would not open for this id.
        trace: None,
        ..manual.clone()
    })
}
