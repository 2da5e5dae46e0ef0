//! Venue codes (场所码): one signed code for each door of a venue.
//!
//! The body, from SPEC.md §5 (integers big-endian):
//!
//! ```text
//! version      u8     0x01
//! flags        u8     bit 0: valid_until present; bits 1-7 zero
//! key_id       [8]    SHA-256(public key)[0..8]
//! issued_at    u32    seconds since 1970-01-01T00:00:00Z
//! valid_until  u32    only if flags bit 0; after issued_at
//! venue_type   u8     see VenueType
//! division     u24    GB/T 2260 code, 110000..=829999
//! venue_id     u8 len, ASCII 0x21..=0x7E, 1..=32 bytes
//! name         u8 len, packed text, 1..=96 bytes
//! address      u8 len, packed text, 1..=128 bytes (the address below the division)
//! door         u8 len, packed text, 1..=32 bytes
//! ```
//!
//! followed in the envelope by a 64-byte Ed25519 signature over
//! `"VENUECODE/VENUE\0" || len(prefix) || prefix || body`.

use crate::codes::envelope::{self, Opened, Prefix};
use crate::encoding::text;
use crate::encoding::timestamp::Timestamp;
use crate::encoding::wire::Reader;
use crate::error::{Error, FormatError};
use crate::keys::key::SecretKey;
use crate::keys::trust::{KeyProvider, Usage};
use crate::kid::KeyId;
use serde::Serialize;

/// The format version this library writes and reads.
pub const VERSION: u8 = 0x01;
const DOMAIN: &[u8] = b"VENUECODE/VENUE\0";
const FLAG_VALID_UNTIL: u8 = 0x01;

/// Longest venue id, in bytes.
pub const MAX_ID_LEN: usize = 32;
/// Longest venue name, in packed bytes (48 Chinese characters).
pub const MAX_NAME_LEN: usize = 96;
/// Longest address, in packed bytes.
pub const MAX_ADDRESS_LEN: usize = 128;
/// Longest door label, in packed bytes.
pub const MAX_DOOR_LEN: usize = 32;

/// The kind of venue. Codes 6 to 255 are unassigned: they read as [`VenueType::Unassigned`] so
/// that types added later need no new format version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VenueType {
    /// 其他场所 (code 0).
    Other,
    /// 宗教活动场所 (code 1).
    ReligiousVenue,
    /// 宗教院校 (code 2).
    ReligiousSchool,
    /// 回民公墓 (code 3).
    MuslimCemetery,
    /// 宗教团体办公场所 (code 4).
    ReligiousOffice,
    /// 社会组织办公场所 (code 5).
    SocialOffice,
    /// A code this version does not name.
    Unassigned(u8),
}

const NAMED_TYPES: [(VenueType, u8, &str, &str); 6] = [
    (VenueType::Other, 0, "other", "其他场所"),
    (
        VenueType::ReligiousVenue,
        1,
        "religious-venue",
        "宗教活动场所",
    ),
    (
        VenueType::ReligiousSchool,
        2,
        "religious-school",
        "宗教院校",
    ),
    (VenueType::MuslimCemetery, 3, "muslim-cemetery", "回民公墓"),
    (
        VenueType::ReligiousOffice,
        4,
        "religious-office",
        "宗教团体办公场所",
    ),
    (
        VenueType::SocialOffice,
        5,
        "social-office",
        "社会组织办公场所",
    ),
];

impl VenueType {
    /// Every named type.
    pub fn named() -> impl Iterator<Item = VenueType> {
        NAMED_TYPES.iter().map(|t| t.0)
    }

    /// The command-line names of the named types (`religious-venue`, …); any code is also
    /// `type-N`.
    pub fn slugs() -> impl Iterator<Item = &'static str> {
        NAMED_TYPES.iter().map(|t| t.2)
    }

    /// The one-byte code.
    pub fn code(self) -> u8 {
        match self {
            VenueType::Unassigned(code) => code,
            named => NAMED_TYPES.iter().find(|t| t.0 == named).map_or(0, |t| t.1),
        }
    }

    /// The type of a one-byte code.
    pub fn from_code(code: u8) -> Self {
        NAMED_TYPES
            .iter()
            .find(|t| t.1 == code)
            .map_or(VenueType::Unassigned(code), |t| t.0)
    }

    /// The command-line name (`religious-venue`), or `type-N` for an unassigned code.
    pub fn slug(self) -> String {
        match NAMED_TYPES.iter().find(|t| t.0 == self) {
            Some(t) => t.2.to_owned(),
            None => format!("type-{}", self.code()),
        }
    }

    /// The venue class a colour policy applies to this type: `religious` for religious venues,
    /// schools and cemeteries, `office` for the offices of religious and social organisations,
    /// `public` otherwise.
    pub fn class(self) -> VenueClass {
        match self {
            VenueType::ReligiousVenue | VenueType::ReligiousSchool | VenueType::MuslimCemetery => {
                VenueClass::Religious
            }
            VenueType::ReligiousOffice | VenueType::SocialOffice => VenueClass::Office,
            _ => VenueClass::Public,
        }
    }

    /// The Chinese name (宗教活动场所), or `None` for an unassigned code.
    pub fn name_zh(self) -> Option<&'static str> {
        NAMED_TYPES.iter().find(|t| t.0 == self).map(|t| t.3)
    }
}

impl std::str::FromStr for VenueType {
    type Err = Error;
    /// Reads a command-line name, or `type-N` for any code.
    fn from_str(s: &str) -> Result<Self, Error> {
        if let Some(t) = NAMED_TYPES.iter().find(|t| t.2 == s) {
            return Ok(t.0);
        }
        s.strip_prefix("type-")
            .and_then(|n| n.parse::<u8>().ok())
            .map(VenueType::from_code)
            .ok_or_else(|| Error::InvalidInput {
                field: "type",
                reason: "expected religious-venue, religious-school, muslim-cemetery, \
                         religious-office, social-office, other or type-N"
                    .into(),
            })
    }
}

/// The class of venue a rule set decides for: the four every rule set knows, or one a rule set
/// declares itself (SPEC.md §11).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum VenueClass {
    /// `public`.
    Public,
    /// `religious`.
    Religious,
    /// `residential`.
    Residential,
    /// `office`.
    Office,
    /// A class a rule set declares (`classes`), by name.
    Declared(String),
}

impl VenueClass {
    /// The classes every rule set knows, in the order rule sets number them.
    pub const BUILT_IN: [VenueClass; 4] = [
        VenueClass::Public,
        VenueClass::Religious,
        VenueClass::Residential,
        VenueClass::Office,
    ];

    /// Its name (`religious`).
    pub fn name(&self) -> &str {
        match self {
            VenueClass::Public => "public",
            VenueClass::Religious => "religious",
            VenueClass::Residential => "residential",
            VenueClass::Office => "office",
            VenueClass::Declared(name) => name,
        }
    }

    /// The class of a name: a built-in one, or else a declared one (whether a rule set knows it
    /// is the rule set's to say).
    pub fn named(name: &str) -> VenueClass {
        VenueClass::BUILT_IN
            .into_iter()
            .find(|c| c.name() == name)
            .unwrap_or_else(|| VenueClass::Declared(name.to_owned()))
    }
}

impl std::fmt::Display for VenueClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for VenueClass {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

/// A GB/T 2260 administrative division code: six digits, province part 11 to 82.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Division(u32);

impl Division {
    /// From the six-digit number.
    pub fn new(code: u32) -> Result<Self, Error> {
        Self::check(code).map_err(|reason| Error::InvalidInput {
            field: "division",
            reason: reason.into(),
        })
    }

    fn check(code: u32) -> Result<Division, &'static str> {
        if (110_000..=829_999).contains(&code) {
            Ok(Division(code))
        } else {
            Err("a GB/T 2260 code is six digits from 110000 to 829999")
        }
    }

    /// The number.
    pub fn code(self) -> u32 {
        self.0
    }
}

impl std::fmt::Display for Division {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

impl std::str::FromStr for Division {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::InvalidInput {
                field: "division",
                reason: "a GB/T 2260 code is six digits".into(),
            });
        }
        Division::new(s.parse().unwrap_or(0))
    }
}

/// What a venue code says: one door of one venue.
///
/// Built with [`Venue::new`] and the `with_` methods (fields may be added, so it is not built
/// by a struct literal outside this crate); its fields are read directly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Venue {
    /// The registry number (ASCII, at most 32 bytes).
    pub id: String,
    /// The kind of venue.
    #[serde(rename = "type", serialize_with = "serialize_type")]
    pub venue_type: VenueType,
    /// The venue's name.
    pub name: String,
    /// The administrative division the venue is in.
    #[serde(serialize_with = "serialize_division")]
    pub division: Division,
    /// The address below the division (详细地址: street and number). The division code names
    /// the province, city and district, so they are not repeated here.
    pub address: String,
    /// The door this code is posted at (东门, 北门2…).
    pub door: String,
    /// When the code was issued.
    pub issued_at: Timestamp,
    /// When the code stops being valid, if ever.
    pub valid_until: Option<Timestamp>,
}

pub(crate) fn serialize_type<S: serde::Serializer>(t: &VenueType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.slug())
}

pub(crate) fn serialize_division<S: serde::Serializer>(
    d: &Division,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

type FieldProblem = (&'static str, &'static str);

impl Venue {
    /// A venue's door, issued at `issued_at`, with no address and no end of validity. Nothing
    /// is checked here: [`Venue::issue`] checks every field against the format's rules.
    pub fn new(
        id: impl Into<String>,
        venue_type: VenueType,
        name: impl Into<String>,
        division: Division,
        door: impl Into<String>,
        issued_at: Timestamp,
    ) -> Self {
        Venue {
            id: id.into(),
            venue_type,
            name: name.into(),
            division,
            address: String::new(),
            door: door.into(),
            issued_at,
            valid_until: None,
        }
    }

    /// The address below the division (详细地址).
    #[must_use]
    pub fn with_address(mut self, address: impl Into<String>) -> Self {
        self.address = address.into();
        self
    }

    /// When the code stops being valid (`None`: never).
    #[must_use]
    pub fn with_valid_until(mut self, valid_until: impl Into<Option<Timestamp>>) -> Self {
        self.valid_until = valid_until.into();
        self
    }

    /// Checks every field against the format's rules: the same rules that decoding applies.
    fn check(&self) -> Result<(), FieldProblem> {
        let id = &self.id;
        if id.is_empty() || id.len() > MAX_ID_LEN {
            return Err(("venue_id", "must be 1 to 32 bytes"));
        }
        if !id.bytes().all(|b| (0x21..=0x7E).contains(&b)) {
            return Err(("venue_id", "must be printable ASCII without spaces"));
        }
        Division::check(self.division.0).map_err(|r| ("division", r))?;
        text::check(&self.name, MAX_NAME_LEN).map_err(|r| ("name", r))?;
        text::check(&self.address, MAX_ADDRESS_LEN).map_err(|r| ("address", r))?;
        text::check(&self.door, MAX_DOOR_LEN).map_err(|r| ("door", r))?;
        self.issued_at
            .unix_u32()
            .ok_or(("issued_at", "must lie in 1970..=2106"))?;
        if let Some(until) = self.valid_until {
            until
                .unix_u32()
                .ok_or(("valid_until", "must lie in 1970..=2106"))?;
            if until <= self.issued_at {
                return Err(("valid_until", "must be after issued_at"));
            }
        }
        Ok(())
    }

    pub(crate) fn encode_body(&self, kid: KeyId) -> Result<Vec<u8>, Error> {
        self.check()
            .map_err(|(field, reason)| Error::InvalidInput {
                field,
                reason: reason.into(),
            })?;
        let mut body = Vec::with_capacity(96);
        body.push(VERSION);
        body.push(if self.valid_until.is_some() {
            FLAG_VALID_UNTIL
        } else {
            0
        });
        body.extend_from_slice(&kid.0);
        // check() has shown both times fit a u32.
        body.extend_from_slice(&self.issued_at.unix_u32().unwrap_or(0).to_be_bytes());
        if let Some(until) = self.valid_until {
            body.extend_from_slice(&until.unix_u32().unwrap_or(0).to_be_bytes());
        }
        body.push(self.venue_type.code());
        body.extend_from_slice(&self.division.0.to_be_bytes()[1..]);
        push_short(&mut body, self.id.as_bytes());
        for t in [&self.name, &self.address, &self.door] {
            let mut packed = Vec::with_capacity(text::encoded_len(t));
            text::encode_into(t, &mut packed);
            push_short(&mut body, &packed);
        }
        Ok(body)
    }

    /// Signs this venue as a code under `prefix`, and returns the code's text.
    pub fn issue(&self, key: &SecretKey, prefix: &Prefix) -> Result<String, Error> {
        let body = self.encode_body(key.public_key().id())?;
        let signature = key.sign(&envelope::signed_message(DOMAIN, prefix.as_str(), &body));
        Ok(envelope::seal(prefix, &body, &signature))
    }

    pub(crate) fn decode_body(body: &[u8]) -> Result<(Venue, KeyId), Error> {
        let mut r = Reader::new(body);
        let version = r.u8("version")?;
        if version != VERSION {
            return Err(Error::UnsupportedVersion(version));
        }
        let flags = r.u8("flags")?;
        if flags & !FLAG_VALID_UNTIL != 0 {
            return Err(FormatError::ReservedFlags.into());
        }
        let kid = KeyId(r.array("key_id")?);
        let issued_at = Timestamp::from_unix(i64::from(r.u32("issued_at")?));
        let valid_until = match flags & FLAG_VALID_UNTIL {
            0 => None,
            _ => Some(Timestamp::from_unix(i64::from(r.u32("valid_until")?))),
        };
        let venue_type = VenueType::from_code(r.u8("venue_type")?);
        let division = Division(r.u24("division")?);
        let id = String::from_utf8(r.short_bytes("venue_id")?.to_vec()).map_err(|_| {
            FormatError::Field {
                field: "venue_id",
                reason: "must be printable ASCII without spaces",
            }
        })?;
        let name = text::decode(r.short_bytes("name")?, "name")?;
        let address = text::decode(r.short_bytes("address")?, "address")?;
        let door = text::decode(r.short_bytes("door")?, "door")?;
        r.finish()?;
        let venue = Venue {
            id,
            venue_type,
            name,
            division,
            address,
            door,
            issued_at,
            valid_until,
        };
        venue
            .check()
            .map_err(|(field, reason)| FormatError::Field { field, reason })?;
        Ok((venue, kid))
    }
}

fn push_short(out: &mut Vec<u8>, bytes: &[u8]) {
    // Field limits (all <= 128) keep every length within a byte.
    out.push(u8::try_from(bytes.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(bytes);
}

/// A venue code read from its text but not yet verified. Its fields are not available until
/// [`UnverifiedVenueCode::verify`] succeeds.
#[derive(Debug)]
pub struct UnverifiedVenueCode<'a>(Opened<'a, Venue>);

impl<'a> UnverifiedVenueCode<'a> {
    /// Reads a code's text. Errors: `malformed`, `unsupported_version`.
    pub fn parse(text: &'a str) -> Result<Self, Error> {
        Opened::open(text, Venue::decode_body).map(UnverifiedVenueCode)
    }

    /// The id of the key that claims to have signed the code.
    pub fn key_id(&self) -> KeyId {
        self.0.kid
    }

    /// Verifies the signature over the bytes received, the key's usage and status, and the
    /// code's validity window at `now`. Errors: `unknown_key`, `wrong_key_usage`,
    /// `bad_signature`, `revoked`, `expired`, `not_yet_valid`.
    pub fn verify(
        self,
        keys: &(impl KeyProvider + ?Sized),
        now: Timestamp,
    ) -> Result<VerifiedVenueCode, Error> {
        let v = &self.0.decoded;
        self.0.verify(
            DOMAIN,
            Usage::Venue,
            keys,
            now,
            (v.issued_at, v.valid_until),
            Some(v.division.code()),
        )?;
        Ok(VerifiedVenueCode {
            host: crate::encoding::prefix::host_of(self.0.prefix).to_owned(),
            prefix: self.0.prefix.to_owned(),
            key_id: self.0.kid,
            venue: self.0.decoded,
        })
    }
}

/// A venue code whose signature, key and validity window have been checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifiedVenueCode {
    #[serde(flatten)]
    venue: Venue,
    #[serde(serialize_with = "serialize_kid")]
    key_id: KeyId,
    prefix: String,
    /// The host a phone's own scanner opens: shown wherever the code is.
    host: String,
}

pub(crate) fn serialize_kid<S: serde::Serializer>(k: &KeyId, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(k)
}

impl VerifiedVenueCode {
    /// What the code says.
    pub fn venue(&self) -> &Venue {
        &self.venue
    }

    /// The key that signed it.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The issuer's URL prefix it was signed under.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The prefix's host (`VC.SH.GOV.CN`): what a phone opens, shown in every output.
    pub fn host(&self) -> &str {
        &self.host
    }
}

/// Parses and verifies a venue code's text in one step.
pub fn verify_venue_code(
    text: &str,
    keys: &(impl KeyProvider + ?Sized),
    now: Timestamp,
) -> Result<VerifiedVenueCode, Error> {
    UnverifiedVenueCode::parse(text)?.verify(keys, now)
}

#[cfg(test)]
mod tests;
