//! venuecode for browsers and mini-programs: a thin wasm-bindgen layer over the core crate. It
//! converts arguments and results and maps errors; every check is the core's.
//!
//! Results are plain JavaScript objects. Errors are thrown as JavaScript `Error`s whose `code`
//! is the core's stable error code (`bad_signature`, `expired`, …). Times are milliseconds since
//! the Unix epoch, as `Date.now()` gives them: the module never reads a clock.

use js_sys::{Reflect, Uint8Array};
use venuecode::door::{Checkpoint, GateState, PersonalReport, SignedLists};
#[cfg(feature = "policy")]
use venuecode::door::{Door, Gate as CoreGate, GateConfig, GateTrust};
use venuecode::{Error, Timestamp, TrustList};
use wasm_bindgen::prelude::*;

// The TypeScript shapes of the results (SPEC.md §12, serialised by the core) and options, in
// every build's `.d.ts`. The package test checks them against what the module returns
// (bindings-wasm/tests/package/types.test.mjs) and the error codes against `errorCodes()`.
#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** An RFC 3339 time in UTC, as every result gives times: `2022-04-06T01:00:30Z`. */
export type Rfc3339 = string;
/** Why a code is refused: a code's state when it is not `valid`. */
export type RejectionCode = 'malformed' | 'unsupported_version' | 'unknown_key' | 'wrong_key_usage'
  | 'bad_signature' | 'expired' | 'not_yet_valid' | 'revoked' | 'superseded' | 'out_of_scope'
  | 'replayed';
/** Every stable error code (`errorCodes()` lists them at run time). */
export type ErrorCode = RejectionCode | 'rolled_back' | 'equivocation' | 'invalid_input'
  | 'invalid_key' | 'invalid_trust_list' | 'invalid_policy' | 'invalid_image' | 'randomness';
/** What every function throws: a real `Error` with the stable code. */
export interface VenuecodeError extends Error { code: ErrorCode }
/** A code's state: `valid` or why it is refused. */
export type CodeState = 'valid' | RejectionCode;
export type CodeKind = 'venue' | 'personal';
export type Colour = 'green' | 'yellow' | 'red';
export type NatResult = 'negative' | 'positive';
export type Profile = 'offline' | 'dynamic';
export type Decision = 'admit' | 'deny' | 'manual';
export interface NatTest { result: NatResult; sampled_at: Rfc3339 }
export interface HealthStatus { colour: Colour; nat: NatTest | null }
/** A status from a signed list (or carried by a dynamic code), fresh or stale. */
export interface KnownStatus { state: 'fresh' | 'stale'; colour: Colour; nat: NatTest | null; as_of: Rfc3339 }
export interface UnknownStatus { state: 'unknown' }
export type ResolvedStatus = KnownStatus | UnknownStatus;
/** Masked holder data only: 张*丰, 110105********00**. */
export interface MaskedHolder { name: string; id_number: string }
export interface Reason { zh: string; en: string }
/** `verifyVenueCode`: the venue's fields, the key that signed and where the code points. */
export interface VenueCode {
  id: string; type: string; name: string; division: string; address: string; door: string;
  issued_at: Rfc3339; valid_until: Rfc3339 | null; key_id: string; prefix: string; host: string;
}
/** The door a gate is set to (`Gate.door`). */
export interface Door {
  venue_id: string; venue_name: string; door: string; division: string; venue_type: string;
  class: string; key_id: string; host: string;
}
/** `verifyPersonalCode`: fields are left out where the code gives none (a rejected code). */
export interface PersonalReport {
  valid: boolean; code: CodeState; message?: string; profile?: Profile; holder?: MaskedHolder;
  generation?: number; issued_at?: Rfc3339; valid_until?: Rfc3339; carried_status?: HealthStatus;
  key_id?: string; host?: string; status: ResolvedStatus; revocations_checked: boolean; at: Rfc3339;
}
/** The decision at the door (`admit`, `decide`, `Gate.admit`, `Gate.decide`). */
export interface Admission {
  decision: Decision; report: boolean; rule: string; reasons: Reason[]; policy: string;
  class: string; door: Door | null; at: Rfc3339; code: CodeState; holder: MaskedHolder | null;
  profile: Profile | null; status: ResolvedStatus; revocations_checked: boolean;
}
/** What a visitor's app sends after a check-in; the receiver verifies and decides again. */
export interface CheckInRequest { venue_code: string; personal_code: string; device: string; at: Rfc3339; companion_of?: string }
/** The visitor's pass, for their own screen. */
export interface Pass {
  venue_name: string; venue_id: string; door: string; local_time: string;
  holder: MaskedHolder | null; colour: Colour | null; test: NatResult | null;
  test_age_hours: number | null; code: CodeState; decision: Decision; report: boolean;
  reasons: Reason[];
}
export interface CheckIn { pass: Pass; request: CheckInRequest }
export interface Point { x: number; y: number }
/** A QR code found in a frame: its text, its bytes in hex, its corners (top-left first,
 * clockwise) and, for a structured-append symbol, its place in the sequence. */
export interface Found {
  text: string; bytes_hex: string; corners: [Point, Point, Point, Point];
  sequence?: { index: number; count: number; parity: number };
}
/** Options of the one-shot verifiers: the signed lists, as bytes. */
export interface VerifyOptions {
  statusList?: Uint8Array | null; revocations?: Uint8Array | null;
  /** How old a status list may be before its answers are stale. */
  maxStatusAgeHours?: number | null;
}
/** Options of a gate: the lists, the stored state, the pinned root keys and the rule set. */
export interface GateOptions extends VerifyOptions {
  /** The bytes of `Gate.state()` from the last run. */
  state?: Uint8Array | null;
  /** Root key ids (16 hex digits) a signed trust list must be signed by. */
  rootKids?: string[] | null;
  /** A built-in rule set's id (`sh-2022-public-48h`). */
  builtin?: string | null;
  /** A signed rule set's JSON. */
  policy?: string | null;
}
"#;

/// The one place a core error becomes a JavaScript error: `Error(message)` with `code`.
fn js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    // Setting a property on a fresh Error object cannot fail.
    let _ = Reflect::set(&err, &"code".into(), &e.code().into());
    err.into()
}

fn invalid(field: &'static str, reason: &str) -> JsValue {
    js_error(&Error::InvalidInput {
        field,
        reason: reason.into(),
    })
}

/// A plain object from anything the core serialises.
fn plain<T: serde::Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let json = serde_json::to_string(value).map_err(|e| invalid("result", &e.to_string()))?;
    js_sys::JSON::parse(&json)
}

fn instant(now_ms: f64) -> Result<Timestamp, JsValue> {
    if !now_ms.is_finite() {
        return Err(invalid("nowMs", "must be a finite number of milliseconds"));
    }
    // `as` saturates: times beyond ±292 million years clamp, and no code lives there.
    #[allow(clippy::cast_possible_truncation)]
    Ok(Timestamp::from_unix_millis(now_ms.floor() as i64))
}

fn trust(json: &str) -> Result<TrustList, JsValue> {
    TrustList::from_json(json).map_err(|e| js_error(&e))
}

/// Verifies a venue code's text against a trust list (JSON) at `nowMs`; gives the venue's fields,
/// or throws.
#[wasm_bindgen(js_name = verifyVenueCode, unchecked_return_type = "VenueCode")]
pub fn verify_venue_code(
    text: &str,
    #[wasm_bindgen(js_name = "trustListJson")] trust_list_json: &str,
    #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
) -> Result<JsValue, JsValue> {
    let code = venuecode::verify_venue_code(text, &trust(trust_list_json)?, instant(now_ms)?)
        .map_err(|e| js_error(&e))?;
    plain(&code)
}

/// Which kind of code a text claims to be, `"venue"` or `"personal"`, from its format version
/// alone (nothing is verified): tells a scanner page which verifier to call.
#[wasm_bindgen(js_name = codeKind, unchecked_return_type = "CodeKind")]
pub fn code_kind(text: &str) -> Result<String, JsValue> {
    let kind = venuecode::code_kind(text).map_err(|e| js_error(&e))?;
    Ok(kind.name().to_owned())
}

/// The venue class a venue type falls under at the door (`religious`, `office` or `public`).
#[wasm_bindgen(js_name = venueClass)]
pub fn venue_class(
    #[wasm_bindgen(js_name = "venueType")] venue_type: &str,
) -> Result<String, JsValue> {
    let t: venuecode::VenueType = venue_type.parse().map_err(|e| js_error(&e))?;
    Ok(t.class().name().to_owned())
}

/// Optional inputs of [`verify_personal_code`] and [`decide`], read from a JS object.
struct Options {
    status_list: Option<Vec<u8>>,
    revocations: Option<Vec<u8>>,
    max_status_age_hours: Option<f64>,
    /// The gate's stored state (`gate.state()` of its last run).
    #[cfg(feature = "policy")]
    state: Option<Vec<u8>>,
    /// Root key ids pinned for a signed trust list.
    #[cfg(feature = "policy")]
    root_kids: Vec<venuecode::KeyId>,
    #[cfg(feature = "policy")]
    builtin: Option<String>,
    #[cfg(feature = "policy")]
    policy: Option<String>,
}

fn options(value: &JsValue) -> Result<Options, JsValue> {
    let get = |name: &str| -> Result<Option<JsValue>, JsValue> {
        if value.is_undefined() || value.is_null() {
            return Ok(None);
        }
        let v = Reflect::get(value, &name.into())?;
        Ok((!v.is_undefined() && !v.is_null()).then_some(v))
    };
    let bytes = |v: Option<JsValue>, field: &'static str| -> Result<Option<Vec<u8>>, JsValue> {
        v.map(|v| {
            v.dyn_into::<Uint8Array>()
                .map(|a| a.to_vec())
                .map_err(|_| invalid(field, "must be a Uint8Array"))
        })
        .transpose()
    };
    #[cfg(feature = "policy")]
    let text = |v: Option<JsValue>, field: &'static str| -> Result<Option<String>, JsValue> {
        v.map(|v| {
            v.as_string()
                .ok_or_else(|| invalid(field, "must be a string"))
        })
        .transpose()
    };
    Ok(Options {
        status_list: bytes(get("statusList")?, "statusList")?,
        revocations: bytes(get("revocations")?, "revocations")?,
        max_status_age_hours: get("maxStatusAgeHours")?.and_then(|v| v.as_f64()),
        #[cfg(feature = "policy")]
        state: bytes(get("state")?, "state")?,
        #[cfg(feature = "policy")]
        root_kids: get("rootKids")?
            .map(|v| {
                v.dyn_into::<js_sys::Array>()
                    .map_err(|_| invalid("rootKids", "must be an array of key ids"))?
                    .iter()
                    .map(|k| {
                        k.as_string()
                            .and_then(|k| k.parse().ok())
                            .ok_or_else(|| invalid("rootKids", "key ids are 16 hex digits"))
                    })
                    .collect()
            })
            .transpose()?
            .unwrap_or_default(),
        #[cfg(feature = "policy")]
        builtin: text(get("builtin")?, "builtin")?,
        #[cfg(feature = "policy")]
        policy: text(get("policy")?, "policy")?,
    })
}

/// The signed lists of the options, as the core takes them.
fn lists(o: &Options) -> SignedLists<'_> {
    // Clamped to a range an i64 holds exactly; not a number means the default.
    #[allow(clippy::cast_possible_truncation)]
    let max_status_age_secs = o
        .max_status_age_hours
        .filter(|h| h.is_finite())
        .map(|h| (h.clamp(0.0, 1e6) * 3600.0) as i64);
    SignedLists {
        status_list: o.status_list.as_deref(),
        revocations: o.revocations.as_deref(),
        max_status_age_secs,
    }
}

/// Verifies a personal code as a gate does (status and revocation lists from the options):
/// the personal-code report of SPEC.md §12 (`{valid, code, profile, holder: {name, id_number},
/// status: {state, …}, key_id, …}`), masked holder data only; throws on rejection (`superseded`
/// included).
#[wasm_bindgen(js_name = verifyPersonalCode, unchecked_return_type = "PersonalReport")]
pub fn verify_personal_code(
    text: &str,
    #[wasm_bindgen(js_name = "trustListJson")] trust_list_json: &str,
    #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
    #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "VerifyOptions")]
    options_object: JsValue,
) -> Result<JsValue, JsValue> {
    let trust = trust(trust_list_json)?;
    let o = options(&options_object)?;
    let now = instant(now_ms)?;
    // A one-shot check keeps nothing: no state to read (a Gate keeps one).
    let checked = Checkpoint::load(trust, &lists(&o), now, &mut GateState::new())
        .map_err(|e| js_error(&e))?
        .check(text, now);
    personal_report(&checked)
}

/// The stored state of the options, or a new one.
#[cfg(feature = "policy")]
fn state(o: &Options) -> Result<GateState, JsValue> {
    o.state
        .as_deref()
        .map_or_else(|| Ok(GateState::new()), GateState::from_bytes)
        .map_err(|e| js_error(&e))
}

/// The core's gate configuration: the trust list a gate is given, a signed one (a
/// `Uint8Array`, verified against the options' `rootKids`) or the JSON of an unsigned one (a
/// string), with the lists and the rule set of the options.
#[cfg(feature = "policy")]
fn config(trust: &JsValue, o: Options) -> Result<GateConfig, JsValue> {
    let trust = match trust.as_string() {
        Some(json) => GateTrust::Unsigned(self::trust(&json)?),
        None => GateTrust::Signed {
            list: trust
                .dyn_ref::<Uint8Array>()
                .ok_or_else(|| invalid("trust", "a signed trust list (Uint8Array) or its JSON"))?
                .to_vec(),
            roots: o.root_kids.clone(),
        },
    };
    let max_status_age_secs = lists(&o).max_status_age_secs;
    let mut config = GateConfig::new(trust);
    config.status = o.status_list;
    config.revocations = o.revocations;
    config.max_status_age_secs = max_status_age_secs;
    config.builtin = o.builtin;
    config.policy = o.policy.map(String::into_bytes);
    Ok(config)
}

fn personal_report(checked: &venuecode::door::Checked) -> Result<JsValue, JsValue> {
    checked.code.as_ref().map_err(js_error)?;
    plain(&PersonalReport::of(checked))
}

/// The decision for a personal code at a venue of `venueClass`, without a door (options as for
/// `verifyPersonalCode`, plus `builtin` (a rule set id) or `policy` (a signed rule set's JSON)):
/// the admission of SPEC.md §12. A rejected code is a decision too.
#[cfg(feature = "policy")]
#[wasm_bindgen(unchecked_return_type = "Admission")]
pub fn decide(
    text: &str,
    #[wasm_bindgen(js_name = "trustList", unchecked_param_type = "Uint8Array | string")]
    trust_list_json: JsValue,
    #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
    #[wasm_bindgen(js_name = "venueClass")] venue_class: &str,
    #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "GateOptions")]
    options_object: JsValue,
) -> Result<JsValue, JsValue> {
    Gate::new(trust_list_json, now_ms, options_object)?.decide(venue_class, text, now_ms)
}

/// The admission at a door in one call: the door's venue code (verified, and checked against
/// the revocation list), then the personal code. For many scans, keep a [`Gate`].
#[cfg(feature = "policy")]
#[wasm_bindgen(unchecked_return_type = "Admission")]
pub fn admit(
    #[wasm_bindgen(js_name = "venueText")] venue_text: &str,
    #[wasm_bindgen(js_name = "personalText")] personal_text: &str,
    #[wasm_bindgen(js_name = "trustList", unchecked_param_type = "Uint8Array | string")]
    trust_list_json: JsValue,
    #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
    #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "GateOptions")]
    options_object: JsValue,
) -> Result<JsValue, JsValue> {
    let mut gate = Gate::new(trust_list_json, now_ms, options_object)?;
    gate.door(venue_text, now_ms)?;
    gate.admit(personal_text, now_ms)
}

/// A gate page's state: the trust list, the lists and the rule set, verified once, and the
/// door once staff have set it (`door(venueText)`). Free it with `free()` when the lists are
/// replaced.
#[cfg(feature = "policy")]
#[wasm_bindgen]
pub struct Gate {
    gate: CoreGate,
    door: Option<Door>,
}

#[cfg(feature = "policy")]
#[wasm_bindgen]
impl Gate {
    /// Verifies the trust list (a signed one as a `Uint8Array`, against `options.rootKids`; or
    /// an unsigned one's JSON) and the lists and rule set of `options` at `nowMs`, and their
    /// serials against `options.state` (the bytes of `state()` from the last run): an older
    /// list than the gate has used throws `rolled_back`.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(js_name = "trustList", unchecked_param_type = "Uint8Array | string")]
        trust_list: JsValue,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
        #[wasm_bindgen(js_name = "options", unchecked_optional_param_type = "GateOptions")]
        options_object: JsValue,
    ) -> Result<Gate, JsValue> {
        let o = options(&options_object)?;
        let now = instant(now_ms)?;
        let state = state(&o)?;
        let gate = config(&trust_list, o)?
            .into_gate(now, state)
            .map_err(|e| js_error(&e))?;
        Ok(Gate { gate, door: None })
    }

    /// The state to store (serials of the lists used, dynamic codes remembered), given back
    /// as `options.state` next time. Store it after every admission.
    pub fn state(&self) -> Vec<u8> {
        self.gate.state().to_bytes()
    }

    /// Sets the door from its venue code (verified, checked against the revocation list) and
    /// gives it: `{venue_id, venue_name, door, division, venue_type, class, key_id}`. Staff set
    /// it once: a second call throws, so a visitor cannot swap the door (and its rules) by
    /// showing a venue code first; make a new gate to move it.
    #[wasm_bindgen(unchecked_return_type = "Door")]
    pub fn door(
        &mut self,
        #[wasm_bindgen(js_name = "venueText")] venue_text: &str,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        if self.door.is_some() {
            return Err(invalid(
                "door",
                "the door is set: make a new Gate to change it",
            ));
        }
        let door = self
            .gate
            .door(venue_text, instant(now_ms)?)
            .map_err(|e| js_error(&e))?;
        let shown = plain(&door)?;
        self.door = Some(door);
        Ok(shown)
    }

    /// The admission of a personal code at the door set with `door()`.
    #[wasm_bindgen(unchecked_return_type = "Admission")]
    pub fn admit(
        &mut self,
        #[wasm_bindgen(js_name = "personalText")] personal_text: &str,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let door = self
            .door
            .as_ref()
            .ok_or_else(|| invalid("door", "set the door with door(venueText) first"))?;
        plain(
            self.gate
                .admit(door, personal_text, instant(now_ms)?)
                .admission(),
        )
    }

    /// The decision for a personal code at a venue of `venueClass`, without a door.
    #[wasm_bindgen(unchecked_return_type = "Admission")]
    pub fn decide(
        &self,
        #[wasm_bindgen(js_name = "venueClass")] venue_class: &str,
        #[wasm_bindgen(js_name = "personalText")] personal_text: &str,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let class = venuecode::VenueClass::named(venue_class);
        let a = self
            .gate
            .decide(&class, personal_text, instant(now_ms)?)
            .map_err(|e| js_error(&e))?;
        plain(&a)
    }

    /// A visitor's own check-in (扫码打卡), for their screen: the door's venue code as their
    /// camera read it and their own current code, checked and decided as the records side will
    /// (the pass: venue, door, local time, masked holder, colour, test, decision, reasons), and
    /// the request to send it (`{venue_code, personal_code, device, at}`), which the receiver
    /// verifies and decides again.
    #[wasm_bindgen(js_name = checkIn, unchecked_return_type = "CheckIn")]
    pub fn check_in(
        &mut self,
        #[wasm_bindgen(js_name = "venueText")] venue_text: &str,
        #[wasm_bindgen(js_name = "personalText")] personal_text: &str,
        device: &str,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let now = instant(now_ms)?;
        let request = venuecode::door::CheckInRequest {
            venue_code: venue_text.to_owned(),
            personal_code: personal_text.to_owned(),
            device: device.to_owned(),
            at: now,
            companion_of: None,
        };
        let pass = self
            .gate
            .check_in(&request, now)
            .map_err(|e| js_error(&e))?
            .pass();
        // The request's JSON written here rather than by its `Serialize`: one derive less in
        // the module, which is at its size budget (163 bytes gzipped). The shape is still
        // core's: `bindings-wasm/tests/node.test.mjs` has the command line read it with
        // `CheckInRequest::from_json`, which refuses any field it does not know.
        plain(&serde_json::json!({
            "pass": pass,
            "request": {
                "venue_code": request.venue_code,
                "personal_code": request.personal_code,
                "device": request.device,
                "at": request.at,
            },
        }))
    }

    /// `verifyPersonalCode` with this gate's lists.
    #[wasm_bindgen(js_name = verifyPersonalCode, unchecked_return_type = "PersonalReport")]
    pub fn verify_personal_code(
        &self,
        text: &str,
        #[wasm_bindgen(js_name = "nowMs")] now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        personal_report(&self.gate.check(text, instant(now_ms)?))
    }
}

/// Every QR code in a camera frame: RGBA (`ImageData.data`, 4 bytes a pixel) or 8-bit grey,
/// told apart by the length; `[{text, corners: [{x, y} ×4]}]`.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = scanFrame, unchecked_return_type = "Found[]")]
pub fn scan_frame(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | Uint8ClampedArray")] pixels: &[u8],
    width: u32,
    height: u32,
) -> Result<JsValue, JsValue> {
    let image =
        venuecode::raster::GreyImage::from_packed_frame(pixels, width as usize, height as usize)
            .map_err(|e| js_error(&e))?;
    plain(&venuecode::scan::scan(&image))
}

/// A code's text as an SVG QR code (error correction M, 4-module quiet zone).
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = renderSvg)]
pub fn render_svg(
    text: &str,
    #[wasm_bindgen(js_name = "modulePx")] module_px: Option<u32>,
) -> Result<String, JsValue> {
    use venuecode::qr::{EcLevel, QrMatrix};
    let matrix = QrMatrix::encode(text, EcLevel::M).map_err(|e| js_error(&e))?;
    Ok(matrix.to_svg(module_px.unwrap_or(8)))
}

/// 张三丰 → 张*丰.
#[wasm_bindgen(js_name = maskName)]
pub fn mask_name(name: &str) -> String {
    venuecode::mask::mask_name(name)
}

/// A validated ID number, masked: 110105********00**. Throws `invalid_input` for an invalid
/// number (the message never contains it).
#[wasm_bindgen(js_name = maskIdNumber)]
pub fn mask_id_number(id: &str) -> Result<String, JsValue> {
    let id = venuecode::id::IdNumber::parse(id).map_err(|e| js_error(&e))?;
    Ok(venuecode::mask::mask_id_number(&id))
}

/// 13812345678 → 138****5678.
#[wasm_bindgen(js_name = maskPhone)]
pub fn mask_phone(phone: &str) -> Result<String, JsValue> {
    venuecode::mask::mask_phone(phone).map_err(|e| js_error(&e))
}

/// Every stable error code.
#[wasm_bindgen(js_name = errorCodes, unchecked_return_type = "ErrorCode[]")]
pub fn error_codes() -> Vec<String> {
    venuecode::ERROR_CODES
        .iter()
        .map(|c| (*c).to_owned())
        .collect()
}
