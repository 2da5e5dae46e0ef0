//! What the service refused without storing a record, counted since it started (connections too), for the
//! authority's monitoring (`GET /v1/counters`): a code that moves a venue, a flood, a request
//! that cannot be verified. Counts only: never a person, a device or an address.

use crate::Shared_;
use crate::callers::Authority;
use axum::extract::State;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// Why a request was refused and counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// A verified code placed a known venue in another division (`division_mismatch`).
    DivisionMismatch,
    /// A connection past the caps in all or from one address, closed at once.
    TooManyConnections,
    /// A report stream past the caps in all or of one account (`too_many_requests`).
    TooManyStreams,
    /// A check-in past the rate of its client address or its device (`too_many_requests`).
    TooManyCheckIns,
    /// A check-in whose personal code no trusted key signed (422 with the code's state).
    Unsigned,
    /// A page login past the rate of its client address (`too_many_requests`).
    TooManyLogins,
}

impl Refusal {
    const ALL: [Refusal; 6] = [
        Refusal::DivisionMismatch,
        Refusal::TooManyConnections,
        Refusal::TooManyStreams,
        Refusal::TooManyCheckIns,
        Refusal::Unsigned,
        Refusal::TooManyLogins,
    ];

    /// Its name in `GET /v1/counters`: the error code it was answered with, or (connections
    /// and streams, answered `too_many_requests` or closed) what was refused.
    fn name(self) -> &'static str {
        match self {
            Refusal::DivisionMismatch => "division_mismatch",
            Refusal::TooManyConnections => "too_many_connections",
            Refusal::TooManyStreams => "too_many_streams",
            Refusal::TooManyCheckIns => "too_many_check_ins",
            Refusal::Unsigned => "unsigned_personal_code",
            Refusal::TooManyLogins => "too_many_logins",
        }
    }
}

/// The counts, one a refusal.
#[derive(Default)]
pub(crate) struct Counters {
    refused: [AtomicU64; Refusal::ALL.len()],
}

impl Counters {
    /// Counts one refusal.
    pub(crate) fn refused(&self, why: Refusal) {
        self.refused[why as usize].fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            refused: Refusal::ALL
                .iter()
                .map(|&r| (r.name(), self.refused[r as usize].load(Ordering::Relaxed)))
                .collect(),
        }
    }
}

/// `GET /v1/counters`: the counts since this node started.
#[derive(Debug, Serialize)]
pub(crate) struct Snapshot {
    /// Requests refused and not stored, by the code they were answered with.
    refused: BTreeMap<&'static str, u64>,
}

pub(crate) async fn counters(State(s): Shared_, _: Authority) -> axum::Json<Snapshot> {
    axum::Json(s.counters.snapshot())
}
