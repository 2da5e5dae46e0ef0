//! Reports through an outbox: a stored record that staff must report is written, in the
//! transaction that stores it, to table `outbox` (numbered in commit order: under the feed lock
//! on PostgreSQL, by SQLite's one writer). Every node of a service reads the outbox after the last
//! report it has seen and sends each to its own live streams, so a report reaches every node's
//! subscribers. Webhook deliveries are rows of table `deliveries`, made from the outbox once for
//! the whole service (a cursor moved under a lock) and claimed by one node at a time for a lease:
//! a node killed in an attempt leaves the delivery to another once its lease ends, and a retry
//! waits in the table, not in a node's memory.

use serde::Serialize;

/// A report as the service made it: the venue, its division, the record's id, and the record
/// as it leaves the venue (JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The venue.
    pub venue_id: String,
    /// The venue's division, if known.
    pub division: Option<u32>,
    /// The record's id: a delivery's id too (a receiver drops one it has seen).
    pub record_id: String,
    /// The record as it leaves the venue, JSON.
    pub body: String,
}

/// A report in the outbox, numbered in commit order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Queued {
    /// Its number: a node reads the reports after the last it has seen.
    pub seq: i64,
    /// The report.
    pub report: Report,
}

/// A webhook delivery a node claimed: the report, the webhook, and the attempts made with this
/// one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The report's number.
    pub seq: i64,
    /// The webhook's id.
    pub webhook: i64,
    /// Attempts made, this one included.
    pub attempts: u32,
    /// The report.
    pub report: Report,
}

/// How long a claimed delivery is the claimer's: longer than an attempt may take.
pub const LEASE_MS: i64 = 30_000;

/// The most reports one read of the outbox gives, and the most one pass of the dispatcher
/// makes deliveries of.
pub const OUTBOX_BATCH: i64 = 1000;

/// Milliseconds since 1970 on this machine's clock: deliveries wait and lease by the machine's
/// clock, not the service's (which tests and the demo hold still).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}
