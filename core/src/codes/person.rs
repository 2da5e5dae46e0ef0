//! Personal codes (个人码): the printed **offline** code (离线码) of people without a phone, and
//! the on-screen **dynamic** code that carries the holder's current status.
//!
//! The body, from SPEC.md §9 (integers big-endian):
//!
//! ```text
//! version      u8     0x21
//! profile      u8     0 offline, 1 dynamic, 2 offline with a slot in the city status list
//! key_id       [8]    SHA-256(public key)[0..8]; the key's usage must be `personal`
//! issued_at    u32    seconds since 1970-01-01T00:00:00Z
//! valid_until  u32    offline: at most 366 days after issued_at; dynamic: at most 300 s
//! generation   u16    raised on every re-issue; earlier generations are superseded
//! holder       [16]   holder token (token.rs)
//! name         u8 len, packed text: the masked name, with at least one `*`
//! id_number    [18]   the masked ID number (mask.rs): 110105********00**
//! -- profile 2 only --
//! slot         u32    the holder's slot in the city status list (status.rs)
//! -- dynamic only --
//! colour       u8     0 green, 1 yellow, 2 red
//! nat          u8     0 no test, 1 negative, 2 positive
//! nat_sampled  u32    only if nat != 0; not after issued_at
//! ```
//!
//! followed in the envelope by an Ed25519 signature over
//! `"VENUECODE/PERSON\0" || len(prefix) || prefix || body`. The raw name and ID number never
//! enter a code: issuing masks them and keeps only the holder token.

use crate::codes::envelope::{self, Opened, Prefix};
use crate::encoding::text;
use crate::encoding::timestamp::Timestamp;
use crate::encoding::wire::Reader;
use crate::error::{Error, FormatError};
use crate::health::{Colour, HealthStatus, NatResult, NatTest};
use crate::keys::key::SecretKey;
use crate::keys::trust::{KeyProvider, Usage};
use crate::kid::KeyId;
use crate::privacy::id::IdNumber;
use crate::privacy::mask::{is_masked_id_number, mask_id_number, mask_name};
use crate::privacy::token::{HolderToken, TokenKey};
use serde::Serialize;

/// The format version of personal codes.
pub const VERSION: u8 = 0x21;
const DOMAIN: &[u8] = b"VENUECODE/PERSON\0";

/// How long an offline code lasts unless the issuer says otherwise: 180 days.
pub const OFFLINE_DEFAULT_SECS: u32 = 180 * 86_400;
/// The longest an offline code may last: 366 days.
pub const OFFLINE_MAX_SECS: u32 = 366 * 86_400;
/// How long a dynamic code lasts unless the issuer says otherwise: 60 seconds.
pub const DYNAMIC_DEFAULT_SECS: u32 = 60;
/// The longest a dynamic code may last: 5 minutes, so a screenshot soon stops working.
pub const DYNAMIC_MAX_SECS: u32 = 300;
/// The longest masked name, in packed bytes.
pub const MAX_NAME_LEN: usize = 64;

/// Which kind of personal code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Printed; no status on it (status changes daily): a status list resolves it.
    Offline,
    /// On screen; carries the status as of issue; lives minutes.
    Dynamic,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 2] = [Profile::Offline, Profile::Dynamic];

    /// Its name, as the command line and JSON write it: `offline` or `dynamic`.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Offline => "offline",
            Profile::Dynamic => "dynamic",
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Profile::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| invalid("profile", "expected offline or dynamic"))
    }
}

fn invalid(field: &'static str, reason: &str) -> Error {
    Error::InvalidInput {
        field,
        reason: reason.into(),
    }
}

/// What a personal code says. Holds no raw personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PersonalCode {
    /// Offline or dynamic.
    pub profile: Profile,
    /// When it was issued.
    pub issued_at: Timestamp,
    /// When it stops being valid.
    pub valid_until: Timestamp,
    /// Re-issue counter: a lost offline code is superseded by a higher generation.
    pub generation: u16,
    /// The holder token (not serialised: it links one person across every venue).
    #[serde(skip)]
    pub holder: HolderToken,
    /// The masked name, for staff to compare with the ID card.
    pub name: String,
    /// The masked ID number, for staff to compare with the ID card.
    pub id_number: String,
    /// The status as of issue (dynamic codes only).
    pub status: Option<HealthStatus>,
    /// The holder's slot in the city status list (offline codes only; SPEC.md §10). Not
    /// serialised: like the holder token, it is the same at every venue.
    #[serde(skip)]
    pub slot: Option<u32>,
}

/// What an issuer decides about a new personal code besides the holder.
#[derive(Debug, Clone)]
pub struct PersonalIssue {
    /// Offline or dynamic.
    pub profile: Profile,
    /// Re-issue counter (0 for the first code).
    pub generation: u16,
    /// Issue time.
    pub issued_at: Timestamp,
    /// Validity in seconds; `None` for the profile's default.
    pub valid_secs: Option<u32>,
    /// The holder's status now: required for dynamic codes, refused for offline ones.
    pub status: Option<HealthStatus>,
}

type FieldProblem = (&'static str, &'static str);

impl PersonalCode {
    /// The holder's division of registration: the first six digits of the ID number, which
    /// the mask keeps.
    pub fn division(&self) -> Option<u32> {
        self.id_number.get(..6)?.parse().ok()
    }

    /// Builds the code for a holder: masks the name and ID number and keeps only their masks
    /// and the holder token.
    pub fn for_holder(
        name: &str,
        id: &IdNumber,
        tokens: &TokenKey,
        issue: &PersonalIssue,
    ) -> Result<Self, Error> {
        text::check(name.trim(), 3 * MAX_NAME_LEN).map_err(|r| invalid("name", r))?;
        let valid_secs = issue.valid_secs.unwrap_or(match issue.profile {
            Profile::Offline => OFFLINE_DEFAULT_SECS,
            Profile::Dynamic => DYNAMIC_DEFAULT_SECS,
        });
        let code = PersonalCode {
            profile: issue.profile,
            issued_at: issue.issued_at,
            valid_until: issue.issued_at.saturating_add(i64::from(valid_secs)),
            generation: issue.generation,
            holder: tokens.token(id),
            name: mask_name(name),
            id_number: mask_id_number(id),
            status: issue.status,
            slot: None,
        };
        code.check()
            .map_err(|(field, reason)| invalid(field, reason))?;
        Ok(code)
    }

    /// With the holder's slot in the city status list (offline codes only).
    pub fn with_slot(mut self, slot: u32) -> Result<Self, Error> {
        self.slot = Some(slot);
        self.check()
            .map_err(|(field, reason)| invalid(field, reason))?;
        Ok(self)
    }

    /// The rules decoding applies too.
    fn check(&self) -> Result<(), FieldProblem> {
        let issued = self
            .issued_at
            .unix_u32()
            .ok_or(("issued_at", "must lie in 1970..=2106"))?;
        let until = self
            .valid_until
            .unix_u32()
            .ok_or(("valid_until", "must lie in 1970..=2106"))?;
        let max = match self.profile {
            Profile::Offline => OFFLINE_MAX_SECS,
            Profile::Dynamic => DYNAMIC_MAX_SECS,
        };
        if until <= issued || until - issued > max {
            return Err(("valid_until", "outside the profile's validity limits"));
        }
        text::check(&self.name, MAX_NAME_LEN).map_err(|r| ("name", r))?;
        if !self.name.contains('*') {
            return Err(("name", "must be masked"));
        }
        if self.slot.is_some() && self.profile != Profile::Offline {
            return Err(("slot", "only offline codes have a slot"));
        }
        if !is_masked_id_number(&self.id_number) {
            return Err(("id_number", "must be masked (110105********00**)"));
        }
        match (self.profile, &self.status) {
            (Profile::Offline, Some(_)) => return Err(("status", "offline codes carry no status")),
            (Profile::Dynamic, None) => return Err(("status", "dynamic codes carry the status")),
            _ => {}
        }
        if let Some(HealthStatus { nat: Some(nat), .. }) = self.status
            && nat.sampled_at.unix_u32().is_none_or(|t| t > issued)
        {
            return Err(("nat_sampled", "must not be after issued_at"));
        }
        Ok(())
    }

    pub(crate) fn encode_body(&self, kid: KeyId) -> Result<Vec<u8>, Error> {
        self.check()
            .map_err(|(field, reason)| invalid(field, reason))?;
        let mut body = Vec::with_capacity(80);
        body.push(VERSION);
        body.push(match (self.profile, self.slot) {
            (Profile::Offline, None) => 0,
            (Profile::Dynamic, _) => 1,
            (Profile::Offline, Some(_)) => 2,
        });
        body.extend_from_slice(&kid.0);
        for t in [self.issued_at, self.valid_until] {
            body.extend_from_slice(&t.unix_u32().unwrap_or(0).to_be_bytes());
        }
        body.extend_from_slice(&self.generation.to_be_bytes());
        body.extend_from_slice(&self.holder.0);
        let mut name = Vec::new();
        text::encode_into(&self.name, &mut name);
        body.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
        body.extend_from_slice(&name);
        body.extend_from_slice(self.id_number.as_bytes());
        if let Some(slot) = self.slot {
            body.extend_from_slice(&slot.to_be_bytes());
        }
        if let Some(status) = &self.status {
            body.push(status.colour.code());
            body.push(NatResult::code_of(status.nat.map(|n| n.result)));
            if let Some(nat) = status.nat {
                body.extend_from_slice(&nat.sampled_at.unix_u32().unwrap_or(0).to_be_bytes());
            }
        }
        Ok(body)
    }

    /// Signs this code under `prefix` and returns its text.
    pub fn issue(&self, key: &SecretKey, prefix: &Prefix) -> Result<String, Error> {
        let body = self.encode_body(key.public_key().id())?;
        let signature = key.sign(&envelope::signed_message(DOMAIN, prefix.as_str(), &body));
        Ok(envelope::seal(prefix, &body, &signature))
    }

    pub(crate) fn decode_body(body: &[u8]) -> Result<(PersonalCode, KeyId), Error> {
        let bad = |field, reason| FormatError::Field { field, reason };
        let mut r = Reader::new(body);
        let version = r.u8("version")?;
        if version != VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let (profile, slotted) = match r.u8("profile")? {
            0 => (Profile::Offline, false),
            1 => (Profile::Dynamic, false),
            2 => (Profile::Offline, true),
            _ => return Err(bad("profile", "unknown profile").into()),
        };
        let kid = KeyId(r.array("key_id")?);
        let issued_at = Timestamp::from_unix(i64::from(r.u32("issued_at")?));
        let valid_until = Timestamp::from_unix(i64::from(r.u32("valid_until")?));
        let generation = u16::from_be_bytes(r.array("generation")?);
        let holder = HolderToken(r.array("holder")?);
        let name = text::decode(r.short_bytes("name")?, "name")?;
        let id_number = String::from_utf8(r.take(18, "id_number")?.to_vec())
            .map_err(|_| bad("id_number", "must be masked (110105********00**)"))?;
        let slot = slotted.then(|| r.u32("slot")).transpose()?;
        let status = match profile {
            Profile::Offline => None,
            Profile::Dynamic => {
                let colour =
                    Colour::from_code(r.u8("colour")?).ok_or(bad("colour", "unknown colour"))?;
                let nat = match NatResult::from_code(r.u8("nat")?) {
                    Some(None) => None,
                    Some(Some(result)) => Some(NatTest {
                        result,
                        sampled_at: Timestamp::from_unix(i64::from(r.u32("nat_sampled")?)),
                    }),
                    None => return Err(bad("nat", "unknown test result").into()),
                };
                Some(HealthStatus { colour, nat })
            }
        };
        r.finish()?;
        let code = PersonalCode {
            profile,
            issued_at,
            valid_until,
            generation,
            holder,
            name,
            id_number,
            status,
            slot,
        };
        code.check()
            .map_err(|(field, reason)| FormatError::Field { field, reason })?;
        Ok((code, kid))
    }
}

/// A personal code read from its text but not yet verified.
#[derive(Debug)]
pub struct UnverifiedPersonalCode<'a>(Opened<'a, PersonalCode>);

impl<'a> UnverifiedPersonalCode<'a> {
    /// Reads a code's text. Errors: `malformed`, `unsupported_version`.
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        Opened::open(text, PersonalCode::decode_body).map(UnverifiedPersonalCode)
    }

    /// The id of the key that claims to have signed the code.
    pub fn key_id(&self) -> KeyId {
        self.0.kid
    }

    /// Verifies the signature over the bytes received (key usage `personal`), the key's status
    /// and the code's validity window at `now`.
    pub fn verify(
        self,
        keys: &(impl KeyProvider + ?Sized),
        now: Timestamp,
    ) -> Result<VerifiedPersonalCode, Error> {
        let c = &self.0.decoded;
        self.0.verify(
            DOMAIN,
            Usage::Personal,
            keys,
            now,
            (c.issued_at, Some(c.valid_until)),
            c.division(),
        )?;
        Ok(VerifiedPersonalCode {
            host: crate::encoding::prefix::host_of(self.0.prefix).to_owned(),
            key_id: self.0.kid,
            code: self.0.decoded,
        })
    }
}

/// A personal code whose signature, key and validity window have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPersonalCode {
    code: PersonalCode,
    key_id: KeyId,
    host: String,
}

impl VerifiedPersonalCode {
    /// What the code says.
    pub fn code(&self) -> &PersonalCode {
        &self.code
    }

    /// The key that signed it.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// Its prefix's host (`HC.SH.GOV.CN`).
    pub fn host(&self) -> &str {
        &self.host
    }
}

/// Parses and verifies a personal code's text in one step.
pub fn verify_personal_code(
    text: &str,
    keys: &(impl KeyProvider + ?Sized),
    now: Timestamp,
) -> Result<VerifiedPersonalCode, Error> {
    UnverifiedPersonalCode::parse(text)?.verify(keys, now)
}

#[cfg(test)]
mod tests;
