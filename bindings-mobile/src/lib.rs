//! venuecode for Android, iOS and Python: a thin uniffi layer over the core crate. It converts
//! arguments and results to records and maps errors; every check is the core's.
//!
//! The operations are the WASM module's, named in each language's style
//! (`verify_venue_code` in Python, `verifyVenueCode` in Kotlin and Swift): stateless functions
//! returning records, and one object, [`DoorGate`], for gates that keep large lists loaded.
//! Times are milliseconds since the Unix epoch; the library never reads a clock. Errors are one enum, [`VenuecodeError`], with a
//! variant for each of the core's stable error codes.

use std::sync::{Arc, Mutex};
use venuecode::door::{Admission, Checked, Door, GateConfig, GateState, GateTrust, SharedGate};
use venuecode::health::{Colour as CoreColour, HealthStatus, NatResult};
use venuecode::person::Profile as CoreProfile;
use venuecode::policy::Outcome;
use venuecode::status::Resolved;
use venuecode::{Timestamp, TrustList};

uniffi::setup_scaffolding!();

/// Every error the library reports: one variant for each stable error code of the core (the
/// variant's name is the code in the language's case, and [`VenuecodeError::code`] gives the code
/// itself); `detail` is the core's message, which never contains personal data.
#[derive(Debug, thiserror::Error, uniffi::Error)]
#[allow(missing_docs)] // the variants are the error codes, documented in SPEC.md
pub enum VenuecodeError {
    #[error("{detail}")]
    Malformed { detail: String },
    #[error("{detail}")]
    UnsupportedVersion { detail: String },
    #[error("{detail}")]
    UnknownKey { detail: String },
    #[error("{detail}")]
    WrongKeyUsage { detail: String },
    #[error("{detail}")]
    BadSignature { detail: String },
    #[error("{detail}")]
    Expired { detail: String },
    #[error("{detail}")]
    NotYetValid { detail: String },
    #[error("{detail}")]
    Revoked { detail: String },
    #[error("{detail}")]
    Superseded { detail: String },
    #[error("{detail}")]
    OutOfScope { detail: String },
    #[error("{detail}")]
    Replayed { detail: String },
    #[error("{detail}")]
    RolledBack { detail: String },
    #[error("{detail}")]
    Equivocation { detail: String },
    #[error("{detail}")]
    InvalidInput { detail: String },
    #[error("{detail}")]
    InvalidKey { detail: String },
    #[error("{detail}")]
    InvalidTrustList { detail: String },
    #[error("{detail}")]
    InvalidPolicy { detail: String },
    #[error("{detail}")]
    InvalidImage { detail: String },
    #[error("{detail}")]
    Randomness { detail: String },
}

impl From<venuecode::Error> for VenuecodeError {
    fn from(e: venuecode::Error) -> Self {
        let detail = e.to_string();
        match e.code() {
            "malformed" => Self::Malformed { detail },
            "unsupported_version" => Self::UnsupportedVersion { detail },
            "unknown_key" => Self::UnknownKey { detail },
            "wrong_key_usage" => Self::WrongKeyUsage { detail },
            "bad_signature" => Self::BadSignature { detail },
            "expired" => Self::Expired { detail },
            "not_yet_valid" => Self::NotYetValid { detail },
            "revoked" => Self::Revoked { detail },
            "superseded" => Self::Superseded { detail },
            "out_of_scope" => Self::OutOfScope { detail },
            "replayed" => Self::Replayed { detail },
            "rolled_back" => Self::RolledBack { detail },
            "equivocation" => Self::Equivocation { detail },
            "invalid_key" => Self::InvalidKey { detail },
            "invalid_trust_list" => Self::InvalidTrustList { detail },
            "invalid_policy" => Self::InvalidPolicy { detail },
            "invalid_image" => Self::InvalidImage { detail },
            "randomness" => Self::Randomness { detail },
            // `invalid_input`, and any code a later core adds before this mapping learns it
            // (a test checks that every current code has its own variant).
            _ => Self::InvalidInput { detail },
        }
    }
}

#[uniffi::export]
impl VenuecodeError {
    /// The core's stable error code (`bad_signature`, `expired`, …).
    pub fn code(&self) -> String {
        match self {
            Self::Malformed { .. } => "malformed",
            Self::UnsupportedVersion { .. } => "unsupported_version",
            Self::UnknownKey { .. } => "unknown_key",
            Self::WrongKeyUsage { .. } => "wrong_key_usage",
            Self::BadSignature { .. } => "bad_signature",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::Revoked { .. } => "revoked",
            Self::Superseded { .. } => "superseded",
            Self::OutOfScope { .. } => "out_of_scope",
            Self::Replayed { .. } => "replayed",
            Self::RolledBack { .. } => "rolled_back",
            Self::Equivocation { .. } => "equivocation",
            Self::InvalidInput { .. } => "invalid_input",
            Self::InvalidKey { .. } => "invalid_key",
            Self::InvalidTrustList { .. } => "invalid_trust_list",
            Self::InvalidPolicy { .. } => "invalid_policy",
            Self::InvalidImage { .. } => "invalid_image",
            Self::Randomness { .. } => "randomness",
        }
        .to_owned()
    }
}

type Result<T> = std::result::Result<T, VenuecodeError>;

fn trust(json: &str) -> Result<TrustList> {
    Ok(TrustList::from_json(json)?)
}

fn ms(t: Timestamp) -> i64 {
    t.unix().saturating_mul(1000)
}

/// A verified venue code.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VenueInfo {
    /// The venue's id.
    pub id: String,
    /// Its type (`religious-venue`, …, or `type-N`).
    pub venue_type: String,
    /// Its name.
    pub name: String,
    /// The six-digit administrative division.
    pub division: String,
    /// The address below the division.
    pub address: String,
    /// The door this code is posted at.
    pub door: String,
    /// Issued at (ms since the epoch).
    pub issued_at_ms: i64,
    /// Valid until (ms since the epoch), if it expires.
    pub valid_until_ms: Option<i64>,
    /// The signing key's id (16 hex digits).
    pub key_id: String,
    /// The issuer's URL prefix.
    pub prefix: String,
}

fn venue_info(code: &venuecode::VerifiedVenueCode) -> VenueInfo {
    let v = code.venue();
    VenueInfo {
        id: v.id.clone(),
        venue_type: v.venue_type.slug(),
        name: v.name.clone(),
        division: v.division.to_string(),
        address: v.address.clone(),
        door: v.door.clone(),
        issued_at_ms: ms(v.issued_at),
        valid_until_ms: v.valid_until.map(ms),
        key_id: code.key_id().to_string(),
        prefix: code.prefix().to_owned(),
    }
}

/// Verifies a venue code's text against a trust list (JSON) at `now_ms`.
#[uniffi::export]
pub fn verify_venue_code(text: &str, trust_list_json: &str, now_ms: i64) -> Result<VenueInfo> {
    let trust = trust(trust_list_json)?;
    let code = venuecode::verify_venue_code(text, &trust, Timestamp::from_unix_millis(now_ms))?;
    Ok(venue_info(&code))
}

/// What a scanned text claims to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum CodeKind {
    /// A venue code.
    Venue,
    /// A personal code.
    Personal,
}

/// What a newer core has and these bindings cannot yet say: refused rather than guessed.
fn newer(what: &'static str) -> VenuecodeError {
    venuecode::Error::InvalidInput {
        field: "code",
        reason: format!("{what} these bindings do not know yet"),
    }
    .into()
}

/// Which kind of code a text claims to be, from its format version alone (nothing is verified):
/// tells a scanner which verifier to call.
#[uniffi::export]
pub fn code_kind(text: &str) -> Result<CodeKind> {
    Ok(match venuecode::code_kind(text)? {
        venuecode::CodeKind::Venue => CodeKind::Venue,
        venuecode::CodeKind::Personal => CodeKind::Personal,
        _ => return Err(newer("a kind of code")),
    })
}

/// The venue class (`religious`, `office`, `public`) of a venue type, for [`decide`].
#[uniffi::export]
pub fn venue_class(venue_type: &str) -> Result<String> {
    let t: venuecode::VenueType = venue_type.parse()?;
    Ok(t.class().name().to_owned())
}

/// Offline (printed) or dynamic (on screen).
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
#[allow(missing_docs)]
pub enum Profile {
    Offline,
    Dynamic,
}

/// A health-code colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
#[allow(missing_docs)]
pub enum Colour {
    Green,
    Yellow,
    Red,
}

/// A holder's status: the colour and the latest nucleic-acid test, if any.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Status {
    /// The colour.
    pub colour: Colour,
    /// The latest test's result is positive (`None`: no test known).
    pub nat_positive: Option<bool>,
    /// When that test's sample was taken (ms since the epoch).
    pub nat_sampled_at_ms: Option<i64>,
}

/// How fresh the status is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum StatusState {
    /// No older than the caller's limit.
    Fresh,
    /// Older than the caller's limit.
    Stale,
    /// None: an offline code without a status list, or a holder the list does not know.
    Unknown,
}

/// A personal code's status as resolved at the door.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct ResolvedStatus {
    /// Fresh, stale or unknown.
    pub state: StatusState,
    /// The status (none when unknown).
    pub status: Option<Status>,
    /// As of when (ms since the epoch).
    pub as_of_ms: Option<i64>,
}

/// A verified personal code: masked holder data only.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct PersonalInfo {
    /// Offline or dynamic.
    pub profile: Profile,
    /// The masked name (张*丰).
    pub name: String,
    /// The masked ID number (110105********00**).
    pub id_number: String,
    /// The re-issue counter.
    pub generation: u16,
    /// Issued at (ms since the epoch).
    pub issued_at_ms: i64,
    /// Valid until (ms since the epoch).
    pub valid_until_ms: i64,
    /// The status the code carries (dynamic codes).
    pub status: Option<Status>,
    /// The status resolved at the door (from the code, or a status list).
    pub resolved: ResolvedStatus,
    /// The signing key's id.
    pub key_id: String,
}

/// Signed lists and rule choice, as an app receives them (all optional).
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct GateOptions {
    /// A signed status list, for offline codes.
    #[uniffi(default = None)]
    pub status_list: Option<Vec<u8>>,
    /// A signed revocation list.
    #[uniffi(default = None)]
    pub revocations: Option<Vec<u8>>,
    /// A status older than this many hours is stale.
    #[uniffi(default = 24)]
    pub max_status_age_hours: u32,
    /// A built-in rule set's id (default `sh-2022-04-01`).
    #[uniffi(default = None)]
    pub builtin: Option<String>,
    /// A signed rule set (its JSON), instead of a built-in.
    #[uniffi(default = None)]
    pub policy: Option<String>,
    /// The gate's stored state (`DoorGate.state()` of its last run): serials of the lists
    /// used, dynamic codes seen. Without it an older list than the last is not refused.
    #[uniffi(default = None)]
    pub state: Option<Vec<u8>>,
    /// A signed trust list; the trust-list argument is then ignored (pass "").
    #[uniffi(default = None)]
    pub signed_trust: Option<Vec<u8>>,
    /// The root key ids (16 hex digits) pinned for `signed_trust`.
    #[uniffi(default = [])]
    pub root_kids: Vec<String>,
}

impl GateOptions {
    /// The core's gate configuration of these options and a trust list (the signed one if
    /// given, else the JSON).
    fn config(&self, trust_list_json: &str) -> Result<GateConfig> {
        let trust = match &self.signed_trust {
            Some(signed) => GateTrust::Signed {
                list: signed.clone(),
                roots: self
                    .root_kids
                    .iter()
                    .map(|k| k.parse().map_err(venuecode::Error::from))
                    .collect::<std::result::Result<Vec<venuecode::KeyId>, _>>()?,
            },
            None => GateTrust::Unsigned(trust(trust_list_json)?),
        };
        let mut config = GateConfig::new(trust);
        config.status.clone_from(&self.status_list);
        config.revocations.clone_from(&self.revocations);
        config.max_status_age_secs = Some(i64::from(self.max_status_age_hours) * 3600);
        config.builtin.clone_from(&self.builtin);
        config.policy = self.policy.as_ref().map(|p| p.as_bytes().to_vec());
        Ok(config)
    }
}

fn status(s: &HealthStatus) -> Status {
    Status {
        colour: colour(s.colour),
        nat_positive: s.nat.map(|n| n.result == NatResult::Positive),
        nat_sampled_at_ms: s.nat.map(|n| ms(n.sampled_at)),
    }
}

fn resolved(r: Resolved) -> ResolvedStatus {
    match r {
        Resolved::Fresh(a) | Resolved::Stale(a) => ResolvedStatus {
            state: if matches!(r, Resolved::Fresh(_)) {
                StatusState::Fresh
            } else {
                StatusState::Stale
            },
            status: Some(status(&a.status)),
            as_of_ms: Some(ms(a.as_of)),
        },
        Resolved::Unknown => ResolvedStatus {
            state: StatusState::Unknown,
            status: None,
            as_of_ms: None,
        },
    }
}

/// Verifies a personal code as a gate does (status and revocation lists from `options`);
/// throws on rejection (`superseded` included).
#[uniffi::export]
pub fn verify_personal_code(
    text: &str,
    trust_list_json: &str,
    now_ms: i64,
    options: GateOptions,
) -> Result<PersonalInfo> {
    DoorGate::load(trust_list_json, &options, now_ms)?.verify_personal_code(text, now_ms)
}

fn personal_info(checked: Checked) -> Result<PersonalInfo> {
    let verified = checked.code.map_err(VenuecodeError::from)?;
    let c = verified.code();
    Ok(PersonalInfo {
        profile: match c.profile {
            CoreProfile::Offline => Profile::Offline,
            CoreProfile::Dynamic => Profile::Dynamic,
        },
        name: c.name.clone(),
        id_number: c.id_number.clone(),
        generation: c.generation,
        issued_at_ms: ms(c.issued_at),
        valid_until_ms: ms(c.valid_until),
        status: c.status.as_ref().map(status),
        resolved: resolved(checked.status),
        key_id: verified.key_id().to_string(),
    })
}

/// What happens at the door.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum Decision {
    /// Let the person in.
    Admit,
    /// Refuse entry.
    Deny,
    /// Staff check by other means.
    Manual,
}

/// A reason, in Chinese and English.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
#[allow(missing_docs)]
pub struct Reason {
    pub zh: String,
    pub en: String,
}

/// The masked holder a verified personal code names.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct MaskedHolder {
    /// The masked name (张*丰).
    pub name: String,
    /// The masked ID number (110105********00**).
    pub id_number: String,
}

/// The decision at the door and why: the core's admission.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct DoorDecision {
    /// Admit, deny or manual.
    pub decision: Decision,
    /// Report at once to the venue's head and the local authority.
    pub report: bool,
    /// The id of the rule that decided.
    pub rule: String,
    /// Why.
    pub reasons: Vec<Reason>,
    /// The rule set's id.
    pub policy: String,
    /// The venue class decided for (`class` is a keyword in Kotlin, Swift and Python).
    pub venue_class: String,
    /// The venue's id, when decided at a door.
    pub venue_id: Option<String>,
    /// The door's label, when decided at a door.
    pub door: Option<String>,
    /// `valid`, or the code's rejection code.
    pub code: String,
    /// The masked holder (verified codes only).
    pub holder: Option<MaskedHolder>,
    /// The status resolved at the door.
    pub status: ResolvedStatus,
}

fn decision(o: Outcome) -> Decision {
    match o {
        Outcome::Admit => Decision::Admit,
        Outcome::Deny => Decision::Deny,
        Outcome::Manual => Decision::Manual,
    }
}

fn colour(c: CoreColour) -> Colour {
    match c {
        CoreColour::Green => Colour::Green,
        CoreColour::Yellow => Colour::Yellow,
        CoreColour::Red => Colour::Red,
    }
}

fn door_decision(a: &Admission) -> DoorDecision {
    DoorDecision {
        decision: decision(a.decision),
        report: a.report,
        rule: a.rule.clone(),
        reasons: a
            .reasons
            .iter()
            .map(|r| Reason {
                zh: r.zh.clone(),
                en: r.en.clone(),
            })
            .collect(),
        policy: a.policy.clone(),
        venue_class: a.class.name().to_owned(),
        venue_id: a.door.as_ref().map(|d| d.venue_id.clone()),
        door: a.door.as_ref().map(|d| d.door.clone()),
        code: a.code.name().to_owned(),
        holder: a.holder.as_ref().map(|h| MaskedHolder {
            name: h.name.clone(),
            id_number: h.id_number.clone(),
        }),
        status: resolved(a.status),
    }
}

/// The decision at the door for a personal code at a venue of `venue_class`. A rejected code is
/// a decision too; only bad inputs (trust list, lists, rule set, class) throw.
#[uniffi::export]
pub fn decide(
    text: &str,
    trust_list_json: &str,
    now_ms: i64,
    venue_class: &str,
    options: GateOptions,
) -> Result<DoorDecision> {
    DoorGate::load(trust_list_json, &options, now_ms)?.decide(text, now_ms, venue_class)
}

/// The decision at a door in one call: the door's venue code (verified, checked against the
/// revocation list), then the personal code. For many scans, keep a [`DoorGate`].
#[uniffi::export]
pub fn admit(
    venue_text: &str,
    personal_text: &str,
    trust_list_json: &str,
    now_ms: i64,
    options: GateOptions,
) -> Result<DoorDecision> {
    let gate = DoorGate::load(trust_list_json, &options, now_ms)?;
    gate.set_door(venue_text, now_ms)?;
    gate.admit(personal_text, now_ms)
}

/// A visitor's pass after checking in with their own phone (扫码打卡), and the request for the
/// records service, which verifies and decides it again.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct VisitorPass {
    /// The venue's name (show it large).
    pub venue_name: String,
    /// The venue's registry number.
    pub venue_id: String,
    /// The door (show it large).
    pub door: String,
    /// The entry time in China Standard Time (`2022-04-06T09:00:30+08:00`).
    pub local_time: String,
    /// The masked holder.
    pub holder: Option<MaskedHolder>,
    /// The colour, if known (show it as a block).
    pub colour: Option<Colour>,
    /// The latest test is positive (`None`: no test known).
    pub test_positive: Option<bool>,
    /// Whole hours since that test's sample.
    pub test_age_hours: Option<u32>,
    /// `valid`, or why the personal code was refused.
    pub code: String,
    /// The decision at this venue.
    pub decision: Decision,
    /// Whether staff must report at once.
    pub report: bool,
    /// Why.
    pub reasons: Vec<Reason>,
    /// The request to send to the records service (JSON).
    pub request_json: String,
}

/// A gate device's state, loaded and verified once: the trust list, the status and revocation
/// lists and the rule set of `GateOptions`, and the door once set with `set_door`. Use it
/// instead of the functions above when a list is large (a status list of a million holders is
/// 13 MB, and each function call would verify it again). Reload it when new lists arrive, and at
/// the latest when a list's window ends.
///
/// Lifetime: it holds no system resources, only memory. In Kotlin it is `AutoCloseable`: free
/// it with `close()` or `DoorGate(...).use { gate -> ... }` when the lists are replaced; in Swift
/// it is freed with its last reference; in Python by the garbage collector.
#[derive(uniffi::Object)]
pub struct DoorGate {
    gate: SharedGate,
    door: Mutex<Option<Door>>,
}

/// A lock's value even if a thread panicked holding it: nothing here panics mid-update.
fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl DoorGate {
    fn load(trust_list_json: &str, options: &GateOptions, now_ms: i64) -> Result<Self> {
        let state = match &options.state {
            Some(bytes) => GateState::from_bytes(bytes)?,
            None => GateState::new(),
        };
        let gate = options
            .config(trust_list_json)?
            .load(Timestamp::from_unix_millis(now_ms), state)?;
        Ok(DoorGate {
            gate: SharedGate::new(gate),
            door: Mutex::new(None),
        })
    }

    fn current_door(&self) -> Option<Door> {
        locked(&self.door).clone()
    }
}

#[uniffi::export]
impl DoorGate {
    /// Loads and verifies the trust list (JSON), the lists and the rule set of `options` at
    /// `now_ms`.
    #[uniffi::constructor]
    pub fn new(trust_list_json: &str, options: GateOptions, now_ms: i64) -> Result<Arc<Self>> {
        Ok(Arc::new(Self::load(trust_list_json, &options, now_ms)?))
    }

    /// The state to store (serials of the lists used, dynamic codes seen), given back as
    /// `GateOptions.state` next time. Store it after every admission.
    pub fn state(&self) -> Vec<u8> {
        self.gate.state_bytes()
    }

    /// Verifies a door's venue code, and checks it against the revocation list.
    pub fn verify_venue_code(&self, text: &str, now_ms: i64) -> Result<VenueInfo> {
        let code = self
            .gate
            .rules()
            .checkpoint()
            .verify_venue_code(text, Timestamp::from_unix_millis(now_ms))?;
        Ok(venue_info(&code))
    }

    /// Sets the door from its venue code (verified, checked against the revocation list): the
    /// door that `admit` decides at. Staff set it once: a second call is `invalid_input`, so a
    /// visitor cannot swap the door by showing a venue code; make a new gate to move it.
    pub fn set_door(&self, venue_text: &str, now_ms: i64) -> Result<VenueInfo> {
        let mut door = locked(&self.door);
        if door.is_some() {
            return Err(VenuecodeError::InvalidInput {
                detail: "invalid door: the door is set; make a new DoorGate to change it".into(),
            });
        }
        let code = self
            .gate
            .rules()
            .checkpoint()
            .verify_venue_code(venue_text, Timestamp::from_unix_millis(now_ms))?;
        let info = venue_info(&code);
        *door = Some(Door::of(&code));
        Ok(info)
    }

    /// The decision for a personal code at the door set with `set_door`.
    pub fn admit(&self, personal_text: &str, now_ms: i64) -> Result<DoorDecision> {
        let door = self
            .current_door()
            .ok_or_else(|| VenuecodeError::InvalidInput {
                detail: "invalid door: set the door with set_door first".into(),
            })?;
        let a = self
            .gate
            .admit(&door, personal_text, Timestamp::from_unix_millis(now_ms));
        Ok(door_decision(&a))
    }

    /// A visitor's own check-in, for their screen: the door's venue code as the camera read it
    /// and the visitor's current code, checked and decided as the records service will.
    pub fn check_in(
        &self,
        venue_text: &str,
        personal_text: &str,
        device: &str,
        now_ms: i64,
    ) -> Result<VisitorPass> {
        let now = Timestamp::from_unix_millis(now_ms);
        let request = venuecode::door::CheckInRequest {
            venue_code: venue_text.to_owned(),
            personal_code: personal_text.to_owned(),
            device: device.to_owned(),
            at: now,
            companion_of: None,
        };
        let p = self.gate.check_in(&request, now)?.pass();
        Ok(VisitorPass {
            venue_name: p.venue_name,
            venue_id: p.venue_id,
            door: p.door,
            local_time: p.local_time,
            holder: p.holder.map(|h| MaskedHolder {
                name: h.name,
                id_number: h.id_number,
            }),
            colour: p.colour.map(colour),
            test_positive: p.test.map(|t| t == NatResult::Positive),
            test_age_hours: p.test_age_hours,
            code: p.code.name().to_owned(),
            decision: decision(p.decision),
            report: p.report,
            reasons: p
                .reasons
                .iter()
                .map(|r| Reason {
                    zh: r.zh.clone(),
                    en: r.en.clone(),
                })
                .collect(),
            request_json: request.to_json(),
        })
    }

    /// Verifies a personal code; throws on rejection.
    pub fn verify_personal_code(&self, text: &str, now_ms: i64) -> Result<PersonalInfo> {
        personal_info(
            self.gate
                .rules()
                .check(text, Timestamp::from_unix_millis(now_ms)),
        )
    }

    /// The decision at the door for a personal code at a venue of `venue_class`, without a door.
    pub fn decide(&self, text: &str, now_ms: i64, venue_class: &str) -> Result<DoorDecision> {
        let now = Timestamp::from_unix_millis(now_ms);
        let class = venuecode::VenueClass::named(venue_class);
        Ok(door_decision(&self.gate.rules().decide(&class, text, now)?))
    }
}

/// A point in a frame, in pixels.
#[derive(Debug, Clone, Copy, PartialEq, uniffi::Record)]
#[allow(missing_docs)]
pub struct Point {
    pub x: f32,
    pub y: f32,
}

/// A QR code found in a frame.
#[derive(Debug, Clone, PartialEq, uniffi::Record)]
pub struct Found {
    /// The text it holds (in the character set its ECI names, or as guessed).
    pub text: String,
    /// The payload's bytes as the code holds them, for payloads that are not text.
    pub bytes: Vec<u8>,
    /// Its corners: top-left, top-right, bottom-right, bottom-left.
    pub corners: Vec<Point>,
    /// Its place in a structured-append sequence, if it is part of one.
    pub sequence: Option<Sequence>,
}

/// A code's place in a structured-append sequence: one message split over several codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Record)]
pub struct Sequence {
    /// Its position, from 0.
    pub index: u8,
    /// How many codes the message has.
    pub count: u8,
    /// The parity byte all codes of the message share.
    pub parity: u8,
}

/// Every QR code in a camera frame: RGBA (4 bytes a pixel) or 8-bit grey (Android's Y plane),
/// told apart by the length.
#[uniffi::export]
pub fn scan_frame(pixels: Vec<u8>, width: u32, height: u32) -> Result<Vec<Found>> {
    let image =
        venuecode::raster::GreyImage::from_packed_frame(&pixels, width as usize, height as usize)?;
    Ok(venuecode::scan::scan(&image)
        .into_iter()
        .map(|f| Found {
            text: f.text,
            bytes: f.bytes,
            corners: f.corners.iter().map(|p| Point { x: p.x, y: p.y }).collect(),
            sequence: f.sequence.map(|s| Sequence {
                index: s.index,
                count: s.count,
                parity: s.parity,
            }),
        })
        .collect())
}

/// A code's text as an SVG QR code (error correction M, 4-module quiet zone), `module_px`
/// pixels a module (default 8).
#[uniffi::export(default(module_px = None))]
pub fn render_svg(text: &str, module_px: Option<u32>) -> Result<String> {
    use venuecode::qr::{EcLevel, QrMatrix};
    let matrix = QrMatrix::encode(text, EcLevel::M)?;
    Ok(matrix.to_svg(module_px.unwrap_or(8)))
}

/// 张三丰 → 张*丰.
#[uniffi::export]
pub fn mask_name(name: &str) -> String {
    venuecode::mask::mask_name(name)
}

/// A validated ID number, masked (110105********00**); `InvalidInput` for an invalid number
/// (the message never contains it).
#[uniffi::export]
pub fn mask_id_number(id: &str) -> Result<String> {
    let id = venuecode::id::IdNumber::parse(id)?;
    Ok(venuecode::mask::mask_id_number(&id))
}

/// 13812345678 → 138****5678.
#[uniffi::export]
pub fn mask_phone(phone: &str) -> Result<String> {
    Ok(venuecode::mask::mask_phone(phone)?)
}

/// The next city status list, rebuilt from the one the app holds and a daily delta (SPEC.md
/// §10.2); give it to `GateOptions.status_list`, which verifies it (signature, window, serial).
#[uniffi::export]
pub fn apply_status_delta(list: Vec<u8>, delta: Vec<u8>) -> Result<Vec<u8>> {
    Ok(venuecode::status_delta::apply(&list, &delta)?)
}

/// Every stable error code.
#[uniffi::export]
pub fn error_codes() -> Vec<String> {
    venuecode::ERROR_CODES
        .iter()
        .map(|c| (*c).to_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_code_has_its_own_variant() {
        let all = venuecode::Error::one_of_each();
        for e in &all {
            let mapped = VenuecodeError::from(e.clone());
            assert_eq!(mapped.code(), e.code(), "{e:?}");
            assert_eq!(mapped.to_string(), e.to_string());
        }
        assert_eq!(all.len(), error_codes().len());
        let revoked_code = VenuecodeError::from(venuecode::Error::RevokedCode);
        assert_eq!(revoked_code.code(), "revoked");
    }
}
