//! Reports as they happen: every stored record that staff must report at once (a red or yellow
//! code, a replayed screenshot, whatever the rule set marks `report`) goes to the subscribers of
//! its venue and of its district, as Server-Sent Events (event `report`, data the record as it
//! leaves the venue, SPEC.md §16.5). Reports are queued in the store's outbox with their records
//! ([`venuecode_ledger::outbox`]); every node reads it ([`tail`]), so a report stored on one
//! node reaches the streams of all.

use crate::caps::Caps;
use crate::error::ApiError;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;
use tokio::time::Instant;
use venuecode::Timestamp;
use venuecode::record::{ExportedRecord, ScanRecord};

/// How many reports wait for a slow subscriber before it misses some (it is told: event
/// `lagged`).
const BACKLOG: usize = 1024;

pub(crate) use venuecode_ledger::outbox::Report;

/// The report of a stored record, if it is one to report.
pub(crate) fn report_of(r: &ScanRecord, division: Option<u32>) -> Option<Report> {
    let replayed = r.code_state == Some(venuecode::CodeState::Replayed);
    (r.report || replayed).then(|| Report {
        venue_id: r.venue_id.clone(),
        division,
        record_id: r.id.to_string(),
        body: serde_json::to_string(&ExportedRecord::of(r)).unwrap_or_default(),
    })
}

/// How often a node reads the outbox for reports stored on any node (its own included).
pub(crate) const TAIL_EVERY: Duration = Duration::from_millis(200);

/// Sends every report queued after `seen` to this node's streams, as the outbox gives them
/// (every node's, in commit order), for as long as the service runs.
pub(crate) async fn tail(s: Arc<crate::Shared>, mut seen: i64) {
    loop {
        match s.store.reports_after(seen).await {
            Ok(queued) => {
                for q in &queued {
                    s.reports.publish(q.report.clone());
                }
                seen = queued.last().map_or(seen, |q| q.seq);
                if i64::try_from(queued.len()) == Ok(venuecode_ledger::outbox::OUTBOX_BATCH) {
                    continue;
                }
            }
            Err(e) => (s.settings.log)(&format!("reports not read: {e}")),
        }
        tokio::time::sleep(TAIL_EVERY).await;
    }
}

/// Where reports are published, and the streams open, by account.
#[derive(Clone)]
pub(crate) struct Reports {
    tx: broadcast::Sender<Arc<Report>>,
    open: Caps<String>,
    recheck: Duration,
}

/// Asks whether a stream's caller is still signed in (its token, its session).
pub(crate) type StillSignedIn = Box<dyn Fn() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send>;

impl Reports {
    /// No streams yet; at most `cap` at once, `cap_per_account` of one account; each asks
    /// every `recheck` whether its caller is still signed in.
    pub(crate) fn new(cap: usize, cap_per_account: usize, recheck: Duration) -> Self {
        Reports {
            tx: broadcast::channel(BACKLOG).0,
            open: Caps::new(cap, cap_per_account),
            recheck,
        }
    }

    /// Sends a report to whoever listens.
    pub(crate) fn publish(&self, report: Report) {
        // No subscriber is no error: the record is stored either way.
        let _ = self.tx.send(Arc::new(report));
    }

    /// The reports that pass `wanted`, as an event stream of `account`'s, which ends once
    /// `still` says the caller no longer is signed in (asked every `recheck`: a revoked token
    /// or an ended session does not keep its streams); `too_many_requests` past the caps on
    /// streams (the account's, or the service's).
    pub(crate) fn stream<F: Fn(&Report) -> bool + Send + 'static>(
        &self,
        account: &str,
        wanted: F,
        still: StillSignedIn,
    ) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<F>>, ApiError> {
        let slot = self
            .open
            .take(&account.to_owned())
            .ok_or_else(|| ApiError::too_many("too many report streams open; close one first"))?;
        let rx = self.tx.subscribe();
        let recheck = self.recheck;
        let next = Instant::now() + recheck;
        let state = (rx, wanted, still, next, slot);
        let events = futures_util::stream::unfold(state, move |state| async move {
            let (mut rx, wanted, still, mut next, slot) = state;
            loop {
                let received = match tokio::time::timeout_at(next, rx.recv()).await {
                    Ok(received) => received,
                    Err(_) => {
                        if !still().await {
                            return None;
                        }
                        next = Instant::now() + recheck;
                        continue;
                    }
                };
                let event = match received {
                    Ok(report) if wanted(&report) => Event::default()
                        .event("report")
                        .id(report.record_id.clone())
                        .data(report.body.clone()),
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        Event::default().event("lagged").data(n.to_string())
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                };
                return Some((Ok(event), (rx, wanted, still, next, slot)));
            }
        });
        Ok(Sse::new(events).keep_alive(KeepAlive::default()))
    }
}

/// The replayed codes reported lately: a screenshot sent again and again (from new device ids,
/// within the address's rate) is stored each time but reported once. Digests only, kept
/// [`REPLAY_MEMORY_SECS`], at most [`MAX_REPLAYS`].
#[derive(Default)]
pub(crate) struct Replays {
    seen: Mutex<HashMap<[u8; 16], i64>>,
}

/// How long a replayed code's report stands for its copies: longer than any dynamic code lives.
const REPLAY_MEMORY_SECS: i64 = 600;

/// The most replayed codes remembered; past it, the oldest are forgotten (their copies are
/// reported again, not lost).
const MAX_REPLAYS: usize = 65_536;

impl Replays {
    /// Whether this is the first report of the replayed code `text` (noting it if so).
    pub(crate) fn first(&self, text: &str, now: Timestamp) -> bool {
        let digest: [u8; 32] = Sha256::digest(text.as_bytes()).into();
        let mut key = [0u8; 16];
        key.copy_from_slice(&digest[..16]);
        let now = now.unix();
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if seen.len() >= MAX_REPLAYS {
            seen.retain(|_, at| now - *at < REPLAY_MEMORY_SECS);
            if seen.len() >= MAX_REPLAYS {
                seen.clear();
            }
        }
        match seen.get(&key) {
            Some(at) if now - *at < REPLAY_MEMORY_SECS => false,
            _ => {
                seen.insert(key, now);
                true
            }
        }
    }
}
