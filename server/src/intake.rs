//! Records coming in (SPEC.md §16.2): a visitor's check-in, verified and decided again by the
//! gate, and a gate's batch of records; both through one intake (store, then report).

use crate::Shared;
use crate::Shared_;
use crate::callers::Caller;
use crate::counters::Refusal;
use crate::directory::{KnownVenue, Role};
use crate::error::ApiError;
use crate::reports::report_of;
use axum::Extension;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, Path, State};
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use venuecode::CodeState;
use venuecode::Timestamp;
use venuecode::door::{Arrival, CheckInRequest, MAX_CHECK_IN_BYTES, Pass, Replay, Sighting};
use venuecode::record::{RecordId, ScanRecord};
use venuecode_ledger::sightings::{Entry, Stored};

/// The most records one upload may carry.
pub const MAX_UPLOAD_RECORDS: usize = 1000;

/// What a visitor's app gets back: the pass for its screen, and the record's id.
#[derive(Debug, Serialize)]
pub(crate) struct CheckInAnswer {
    /// The pass: venue, door, masked holder, colour, the decision and why.
    pub pass: Pass,
    /// The stored record's id (the same for the same request sent again).
    pub record_id: RecordId,
    /// False when this request was stored before (a retry).
    pub stored: bool,
}

pub(crate) async fn check_in(
    State(s): Shared_,
    client: Option<Extension<ConnectInfo<SocketAddr>>>,
    body: Bytes,
) -> Result<axum::Json<CheckInAnswer>, ApiError> {
    // Check-ins are anonymous: a flood is held back by its address, then by its device id,
    // before any signature is checked.
    let limits = &s.settings.limits;
    if let Some(Extension(ConnectInfo(client))) = client
        && !s
            .addresses
            .allow(&client.ip().to_string(), limits.check_ins_per_address)
    {
        s.counters.refused(Refusal::TooManyCheckIns);
        return Err(ApiError::too_many("too many check-ins from this address"));
    }
    if body.len() > MAX_CHECK_IN_BYTES {
        return Err(ApiError::invalid("request", "longer than 16 KiB"));
    }
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid("request", "not UTF-8"))?;
    let request = CheckInRequest::from_json(text)?;
    if !s
        .devices
        .allow(&request.device, limits.check_ins_per_device)
    {
        s.counters.refused(Refusal::TooManyCheckIns);
        return Err(ApiError::too_many("too many check-ins from this device"));
    }
    s.fresh_lists().await;
    let now = s.now();
    let (arrival, claim) = s.gate.check_in_seen(&request, now)?;
    let code = arrival.admission().code;
    if !code.is_signed() {
        // Anyone could have made it: counted, not kept as a record (nor reported).
        s.counters.refused(Refusal::Unsigned);
        return Err(ApiError::unsigned_code(code));
    }
    s.gate_changes.fetch_add(1, Ordering::AcqRel);
    let kept = match companion_link(&s, &request, &arrival).await {
        Ok(()) => keep(&s, &request, &arrival, claim, now).await,
        Err(e) => Err(e),
    };
    match kept {
        Ok(answer) => Ok(axum::Json(answer)),
        Err(e) => {
            // Not stored: the code is forgotten, so that the visitor's retry is not called a
            // screenshot of itself.
            s.gate.forget(&request, arrival.door());
            Err(e)
        }
    }
}

/// A companion's check-in (同行人员) names the visitor's, which must be this phone's own at this
/// door (core decides: [`Arrival::check_companion`]).
async fn companion_link(
    s: &Arc<Shared>,
    request: &CheckInRequest,
    arrival: &Arrival,
) -> Result<(), ApiError> {
    let Some(id) = request.companion_of else {
        return Ok(());
    };
    let keys = s.record_keys(&arrival.door().venue_id).await?;
    let visitor = s.store.record(id).await?;
    Ok(arrival.check_companion(visitor.as_ref(), &keys)?)
}

/// Stores a check-in decided at the gate and gives its answer. A dynamic code this node saw as
/// new is claimed in the store with its record: if another node (or this one, before a restart)
/// saw it first, the check-in is decided again as a replay and that is stored instead. A retry of
/// a request already stored gets the pass its stored record gave.
async fn keep(
    s: &Arc<Shared>,
    request: &CheckInRequest,
    arrival: &Arrival,
    claim: Option<Sighting>,
    now: Timestamp,
) -> Result<CheckInAnswer, ApiError> {
    let door = arrival.door();
    let keys = s.record_keys(&door.venue_id).await?;
    let division = door.division.code();
    s.place_venue(KnownVenue {
        venue_id: door.venue_id.clone(),
        division,
        name: door.venue_name.clone(),
    })
    .await?;
    let door_key = (door.venue_id.clone(), door.door.clone());
    let door_new = s
        .doors
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(door_key);
    if door_new {
        let (venue_id, label) = (door.venue_id.clone(), door.door.clone());
        s.blocking(move |s| Ok(s.directory.note_door(&venue_id, &label)?))
            .await?;
    }
    let mut check_in = arrival.recorded(&keys);
    let mut stored = intake(
        s,
        vec![Entry {
            record: check_in.record.clone(),
            claim,
            report: None,
        }],
        Some(division),
        |record| {
            // A screenshot flooded from many devices is one report: its first.
            record.code_state != Some(CodeState::Replayed)
                || s.replays.first(&request.personal_code, now)
        },
    )
    .await?;
    if let Some(Stored::Replayed(replay)) = stored.first().copied() {
        // Seen first on another node: a screenshot after all.
        check_in = s.gate.check_in_as(request, now, replay)?.recorded(&keys);
        stored = intake(
            s,
            vec![check_in.record.clone().into()],
            Some(division),
            |_| s.replays.first(&request.personal_code, now),
        )
        .await?;
    }
    match stored.first().copied() {
        Some(Stored::New) => Ok(CheckInAnswer {
            pass: check_in.pass,
            record_id: check_in.record.id,
            stored: true,
        }),
        Some(Stored::Already { replayed }) => {
            // The same request again, its record stored: a retry whose answer was lost (a
            // timeout), not a screenshot of itself. Its pass is the stored record's.
            let pass = if replayed == (check_in.pass.code == CodeState::Replayed) {
                check_in.pass
            } else if replayed {
                s.gate
                    .check_in_as(request, now, Replay::ElsewhereFirst)?
                    .pass()
            } else {
                s.gate.check_in_as(request, now, Replay::Fresh)?.pass()
            };
            Ok(CheckInAnswer {
                pass,
                record_id: check_in.record.id,
                stored: false,
            })
        }
        _ => Err(ApiError::internal("a check-in was not stored")),
    }
}

/// The one way records come in, a visitor's check-in or a gate's batch: stored durably (group
/// commit), each new one's report (those `report` allows: a retry reports nothing twice)
/// queued in the outbox in the same transaction. Gives what became of each.
pub(crate) async fn intake(
    s: &Arc<Shared>,
    mut entries: Vec<Entry>,
    division: Option<u32>,
    report: impl Fn(&ScanRecord) -> bool,
) -> Result<Vec<Stored>, ApiError> {
    for e in &mut entries {
        e.report = report_of(&e.record, division).filter(|_| report(&e.record));
    }
    Ok(s.store.store(entries).await?)
}

/// A gate's batch.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Upload {
    records: Vec<ScanRecord>,
}

/// What an upload stored.
#[derive(Debug, Serialize)]
pub(crate) struct Uploaded {
    /// Records new to the service.
    pub added: u64,
    /// Records it already held (a retry, a queue sent twice).
    pub already: u64,
}

pub(crate) async fn upload(
    State(s): Shared_,
    Path(venue_id): Path<String>,
    caller: Caller,
    body: Bytes,
) -> Result<axum::Json<Uploaded>, ApiError> {
    crate::labels::check_label_param("venue", &venue_id)?;
    let a = &caller.account;
    if a.role != Role::Gate || a.scope.first() != Some(&venue_id) {
        return Err(ApiError::forbidden());
    }
    let upload: Upload = serde_json::from_slice(&body).map_err(|e| {
        ApiError::invalid(
            "records",
            &format!("not an upload (line {}, column {})", e.line(), e.column()),
        )
    })?;
    if upload.records.len() > MAX_UPLOAD_RECORDS {
        return Err(ApiError::invalid(
            "records",
            "more than 1,000 in one upload",
        ));
    }
    for r in &upload.records {
        r.check()?;
        if r.venue_id != venue_id {
            return Err(ApiError::forbidden());
        }
    }
    // Its doors: the account's, else the venue's known ones (the registry's, and those whose
    // signed code verified here): a label a gate makes up is no door.
    let (id, own) = (venue_id.clone(), a.doors.clone());
    let (division, doors) = s
        .blocking(move |s| {
            let venue = s.directory.venue(&id)?;
            let doors = if own.is_empty() {
                s.directory.doors_of(&id)?
            } else {
                own.into_iter().collect()
            };
            Ok((venue.map(|v| v.division), doors))
        })
        .await?;
    if upload.records.iter().any(|r| !doors.contains(&r.door)) {
        return Err(ApiError::forbidden());
    }
    let entries = upload.records.into_iter().map(Entry::from).collect();
    let stored = intake(&s, entries, division, |_| true).await?;
    let added = stored.iter().filter(|&&f| f == Stored::New).count() as u64;
    Ok(axum::Json(Uploaded {
        added,
        already: stored.len() as u64 - added,
    }))
}
