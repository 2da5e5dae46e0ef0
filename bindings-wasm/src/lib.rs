//! venuecode for browsers and mini-programs: a thin wasm-bindgen layer over the core crate. It
//! converts arguments and results and maps errors; every check is the core's.
//!
//! Results are plain JavaScript objects. Errors are thrown as JavaScript `Error`s whose `code`
//! is the core's stable error code (`bad_signature`, `expired`, …). Times are milliseconds since
//! the Unix epoch, as `Date.now()` gives them: the module never reads a clock.

use js_sys::{Reflect, Uint8Array};
use venuecode::door::{Checkpoint, GateState, PersonalReport, SignedLists};
#[cfg(feature = "policy")]
use venuecode::door::{Door, Gate as CoreGate, PolicyChoice};
use venuecode::{Error, Timestamp, TrustList};
use wasm_bindgen::prelude::*;

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
#[wasm_bindgen(js_name = verifyVenueCode)]
pub fn verify_venue_code(
    text: &str,
    trust_list_json: &str,
    now_ms: f64,
) -> Result<JsValue, JsValue> {
    let code = venuecode::verify_venue_code(text, &trust(trust_list_json)?, instant(now_ms)?)
        .map_err(|e| js_error(&e))?;
    plain(&code)
}

/// Which kind of code a text claims to be, `"venue"` or `"personal"`, from its format version
/// alone (nothing is verified): tells a scanner page which verifier to call.
#[wasm_bindgen(js_name = codeKind)]
pub fn code_kind(text: &str) -> Result<String, JsValue> {
    let kind = venuecode::code_kind(text).map_err(|e| js_error(&e))?;
    Ok(match kind {
        venuecode::CodeKind::Venue => "venue",
        venuecode::CodeKind::Personal => "personal",
    }
    .to_owned())
}

/// The venue class a venue type falls under at the door (`religious`, `office` or `public`).
#[wasm_bindgen(js_name = venueClass)]
pub fn venue_class(venue_type: &str) -> Result<String, JsValue> {
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
#[wasm_bindgen(js_name = verifyPersonalCode)]
pub fn verify_personal_code(
    text: &str,
    trust_list_json: &str,
    now_ms: f64,
    options_object: JsValue,
) -> Result<JsValue, JsValue> {
    let trust = trust(trust_list_json)?;
    let o = options(&options_object)?;
    let now = instant(now_ms)?;
    // A one-shot check keeps nothing: no state to read (a Gate keeps one).
    let checked = Checkpoint::load(trust, &lists(&o), now, GateState::new())
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

/// The trust list a gate is given: a signed one (a `Uint8Array`, verified against the options'
/// `rootKids`, its serial recorded in `state`) or the JSON of an unsigned one (a string).
#[cfg(feature = "policy")]
fn gate_trust(
    trust: &JsValue,
    o: &Options,
    now: Timestamp,
    state: &mut GateState,
) -> Result<TrustList, JsValue> {
    if let Some(json) = trust.as_string() {
        return self::trust(&json);
    }
    let signed = trust
        .dyn_ref::<Uint8Array>()
        .ok_or_else(|| invalid("trust", "a signed trust list (Uint8Array) or its JSON"))?
        .to_vec();
    state
        .trust_list(&signed, &o.root_kids, now)
        .map_err(|e| js_error(&e))
}

fn personal_report(checked: &venuecode::door::Checked) -> Result<JsValue, JsValue> {
    checked.code.as_ref().map_err(js_error)?;
    plain(&PersonalReport::of(checked))
}

/// The rule set the options name.
#[cfg(feature = "policy")]
fn choice(o: &Options) -> PolicyChoice<'_> {
    PolicyChoice {
        builtin: o.builtin.as_deref(),
        signed: o.policy.as_ref().map(String::as_bytes),
    }
}

/// The decision for a personal code at a venue of `venueClass`, without a door (options as for
/// `verifyPersonalCode`, plus `builtin` (a rule set id) or `policy` (a signed rule set's JSON)):
/// the admission of SPEC.md §12. A rejected code is a decision too.
#[cfg(feature = "policy")]
#[wasm_bindgen]
pub fn decide(
    text: &str,
    trust_list_json: JsValue,
    now_ms: f64,
    venue_class: &str,
    options_object: JsValue,
) -> Result<JsValue, JsValue> {
    Gate::new(trust_list_json, now_ms, options_object)?.decide(venue_class, text, now_ms)
}

/// The admission at a door in one call: the door's venue code (verified, and checked against
/// the revocation list), then the personal code. For many scans, keep a [`Gate`].
#[cfg(feature = "policy")]
#[wasm_bindgen]
pub fn admit(
    venue_text: &str,
    personal_text: &str,
    trust_list_json: JsValue,
    now_ms: f64,
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
    pub fn new(trust_list: JsValue, now_ms: f64, options_object: JsValue) -> Result<Gate, JsValue> {
        let o = options(&options_object)?;
        let now = instant(now_ms)?;
        let mut state = state(&o)?;
        let trust = gate_trust(&trust_list, &o, now, &mut state)?;
        let gate =
            CoreGate::load(trust, &lists(&o), &choice(&o), now, state).map_err(|e| js_error(&e))?;
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
    pub fn door(&mut self, venue_text: &str, now_ms: f64) -> Result<JsValue, JsValue> {
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
    pub fn admit(&mut self, personal_text: &str, now_ms: f64) -> Result<JsValue, JsValue> {
        let door = self
            .door
            .as_ref()
            .ok_or_else(|| invalid("door", "set the door with door(venueText) first"))?;
        plain(&self.gate.admit(door, personal_text, instant(now_ms)?))
    }

    /// The decision for a personal code at a venue of `venueClass`, without a door.
    pub fn decide(
        &self,
        venue_class: &str,
        personal_text: &str,
        now_ms: f64,
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
    #[wasm_bindgen(js_name = checkIn)]
    pub fn check_in(
        &mut self,
        venue_text: &str,
        personal_text: &str,
        device: &str,
        now_ms: f64,
    ) -> Result<JsValue, JsValue> {
        let now = instant(now_ms)?;
        let request = venuecode::door::CheckInRequest {
            venue_code: venue_text.to_owned(),
            personal_code: personal_text.to_owned(),
            device: device.to_owned(),
            at: now,
        };
        let pass = self
            .gate
            .check_in_pass(&request, now)
            .map_err(|e| js_error(&e))?;
        plain(&serde_json::json!({ "pass": pass, "request": request }))
    }

    /// `verifyPersonalCode` with this gate's lists.
    #[wasm_bindgen(js_name = verifyPersonalCode)]
    pub fn verify_personal_code(&self, text: &str, now_ms: f64) -> Result<JsValue, JsValue> {
        personal_report(&self.gate.check(text, instant(now_ms)?))
    }
}

/// Every QR code in a camera frame: RGBA (`ImageData.data`, 4 bytes a pixel) or 8-bit grey,
/// told apart by the length; `[{text, corners: [{x, y} ×4]}]`.
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = scanFrame)]
pub fn scan_frame(pixels: &[u8], width: u32, height: u32) -> Result<JsValue, JsValue> {
    let image =
        venuecode::raster::GreyImage::from_packed_frame(pixels, width as usize, height as usize)
            .map_err(|e| js_error(&e))?;
    plain(&venuecode::scan::scan(&image))
}

/// A code's text as an SVG QR code (error correction M, 4-module quiet zone).
#[cfg(feature = "full")]
#[wasm_bindgen(js_name = renderSvg)]
pub fn render_svg(text: &str, module_px: Option<u32>) -> Result<String, JsValue> {
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
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    venuecode::ERROR_CODES
        .iter()
        .map(|c| (*c).to_owned())
        .collect()
}
