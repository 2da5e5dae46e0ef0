//! The health-code system's part, played by the authority's node (SPEC.md §16.8): a holder
//! account gets its own current dynamic code, its status from the status list in force, signed
//! with the personal-code key the node was given; and adds a companion with no code of their
//! own (同行人员) by name and ID number, getting an offline code for them (亲友码), the name
//! and number masked and tokenised at once. In a deployment 随申码 issues these codes and no
//! node holds that key (docs/guides/service.md#codes-from-the-health-code-system).

use crate::Shared_;
use crate::callers::Caller;
use crate::error::ApiError;
use axum::body::Bytes;
use serde::{Deserialize, Serialize};
use venuecode::id::IdNumber;
use venuecode::person::{DYNAMIC_MAX_SECS, PersonalCode, PersonalIssue, Profile};
use venuecode::token::TokenKey;
use venuecode::{Prefix, SecretKey, Timestamp};

/// What lets a node issue holders' codes: the personal-code key and its URL prefix, and the
/// holder-token key that companions' ID numbers are tokenised with.
pub struct Issuer {
    /// The personal-code signing key (usage `personal` in the trust list).
    pub key: SecretKey,
    /// The URL prefix of the codes it issues (one the trust list names for the key).
    pub prefix: Prefix,
    /// The holder-token key (the authority's, as the status lists are made with).
    pub tokens: TokenKey,
    /// How long each code lives, in seconds (at most 300): [`DEFAULT_CODE_SECS`].
    pub valid_secs: u32,
}

/// How long a holder's code lives by default: 60 seconds, a dynamic code's usual life.
pub const DEFAULT_CODE_SECS: u32 = venuecode::person::DYNAMIC_DEFAULT_SECS;

impl Issuer {
    /// An issuer of codes that live [`DEFAULT_CODE_SECS`].
    pub fn new(key: SecretKey, prefix: Prefix, tokens: TokenKey) -> Issuer {
        Issuer {
            key,
            prefix,
            tokens,
            valid_secs: DEFAULT_CODE_SECS,
        }
    }
}

/// A holder's current code.
#[derive(Debug, Serialize)]
pub(crate) struct HolderCode {
    /// The code's text (what its QR code holds).
    code: String,
    /// The holder's masked name, as the code carries it.
    name: String,
    /// When it was issued.
    issued_at: Timestamp,
    /// When it stops being valid: ask again before then.
    valid_until: Timestamp,
}

/// `GET /v1/holder/code`: the calling holder's own code, now. Any other role is refused; a
/// node without an issuer answers 404, and a holder the status list in force does not list (or
/// a list out of date) gets no code rather than one with a status nobody vouched for.
pub(crate) async fn code(
    axum::extract::State(s): Shared_,
    caller: Caller,
) -> Result<axum::Json<HolderCode>, ApiError> {
    let (token, name, id_number) = caller.account.holder_of().ok_or_else(ApiError::forbidden)?;
    let issuer = s.issuer.as_ref().ok_or_else(no_issuer)?;
    s.fresh_lists().await;
    let now = s.now();
    let rules = s.gate.rules();
    let status = rules
        .checkpoint()
        .status()
        .filter(|list| list.valid_until() > now)
        .ok_or_else(|| ApiError::unavailable("no status list in force"))?
        .lookup(&token)
        .ok_or_else(|| ApiError::not_found("the status list in force does not list this holder"))?;
    let valid_until = now.saturating_add(i64::from(issuer.valid_secs.min(DYNAMIC_MAX_SECS)));
    let code = PersonalCode {
        profile: Profile::Dynamic,
        issued_at: now,
        valid_until,
        generation: 0,
        holder: token,
        name: name.to_owned(),
        id_number: id_number.to_owned(),
        status: Some(status),
        slot: None,
    }
    .issue(&issuer.key, &issuer.prefix)?;
    Ok(axum::Json(HolderCode {
        code,
        name: name.to_owned(),
        issued_at: now,
        valid_until,
    }))
}

/// How long a companion's offline code lives: a day (the visit it was made for; a new one is
/// made as easily).
pub(crate) const COMPANION_CODE_SECS: u32 = 86_400;

/// A companion with no code of their own, as a holder's page sends them.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCompanion {
    name: String,
    id_number: String,
}

/// A companion's code: what the holder's wallet keeps, and the masks to show.
#[derive(Debug, Serialize)]
pub(crate) struct CompanionCode {
    /// The offline code's text.
    code: String,
    /// The masked name.
    name: String,
    /// The masked ID number.
    id_number: String,
    /// When it stops being valid.
    valid_until: Timestamp,
}

/// `POST /v1/holder/companions`: a holder adds a companion with no code (同行人员) by name and
/// ID number, and gets an offline code for them, valid a day: the name and number masked and
/// the number tokenised at once, neither kept nor echoed (a refusal names the field, never the
/// value). Its status at a door is the status list's, as for any offline code. At most 10 an
/// hour for each holder.
pub(crate) async fn companion(
    axum::extract::State(s): Shared_,
    caller: Caller,
    body: Bytes,
) -> Result<axum::Json<CompanionCode>, ApiError> {
    let a = &caller.account;
    if a.holder_of().is_none() {
        return Err(ApiError::forbidden());
    }
    let issuer = s.issuer.as_ref().ok_or_else(no_issuer)?;
    if !s.companions.allow(&a.name, COMPANIONS_PER_HOLDER) {
        return Err(ApiError::too_many("at most 10 companions an hour"));
    }
    let new: NewCompanion = serde_json::from_slice(&body).map_err(|e| {
        ApiError::invalid(
            "request",
            &format!("not a companion (line {}, column {})", e.line(), e.column()),
        )
    })?;
    let id = IdNumber::parse(&new.id_number)?;
    let now = s.now();
    let code = PersonalCode::for_holder(
        &new.name,
        &id,
        &issuer.tokens,
        &PersonalIssue {
            profile: Profile::Offline,
            generation: 0,
            issued_at: now,
            valid_secs: Some(COMPANION_CODE_SECS),
            status: None,
        },
    )?;
    let text = code.issue(&issuer.key, &issuer.prefix)?;
    Ok(axum::Json(CompanionCode {
        code: text,
        name: code.name,
        id_number: code.id_number,
        valid_until: code.valid_until,
    }))
}

/// Companions a holder may add: 10 an hour.
const COMPANIONS_PER_HOLDER: crate::Rate = crate::Rate::new(10.0 / 3600.0, 10.0);

fn no_issuer() -> ApiError {
    ApiError::not_found("this node issues no codes (started without --issue-key)")
}
