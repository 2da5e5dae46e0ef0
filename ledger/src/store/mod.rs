//! Where the records service keeps records (feature `service`): the SQLite ledger in its folder
//! (the default, nothing to install), or PostgreSQL for a city (feature `postgres`). Both commit
//! in groups and answer a request only once its records are durable; both keep each record once
//! (its id is unique); both give a venue's records in the order they were stored; both keep a
//! venue's pseudonym key by one rule (a provisioned key replaces another only while the venue
//! has no record with a pseudonym). `ledger/tests/store.rs` holds both to these rules.

#[cfg(feature = "postgres")]
mod postgres;
mod sqlite;

use crate::Filter;
use crate::LedgerError;
use crate::outbox::{Delivery, Queued, Report};
use crate::sightings::{Entry, Stored};
use crate::{Destroyed, Purged, Read, Untold};
use std::path::Path;
use tokio::sync::{mpsc, oneshot};
use venuecode::Timestamp;
use venuecode::pseudonym::PseudonymKey;
use venuecode::record::{Day, RecordId, ScanRecord};
use venuecode::trace::Presence;

/// The records store.
#[derive(Clone)]
pub enum Store {
    /// `DIR/ledger.sqlite`.
    Sqlite(sqlite::SqliteStore),
    /// A PostgreSQL database.
    #[cfg(feature = "postgres")]
    Postgres(postgres::PgStore),
}

impl Store {
    /// The SQLite ledger at `path`, or the PostgreSQL database a libpq connection string or
    /// URL names (its tables created if missing).
    pub async fn open(path: &Path, database: Option<&str>) -> Result<Store, LedgerError> {
        Ok(match database {
            None => Store::Sqlite(sqlite::SqliteStore::open(path)?),
            #[cfg(feature = "postgres")]
            Some(url) => Store::Postgres(postgres::PgStore::open(url).await?),
            #[cfg(not(feature = "postgres"))]
            Some(_) => {
                return Err(LedgerError::Postgres(
                    "this build has no PostgreSQL store (feature postgres)".into(),
                ));
            }
        })
    }

    /// Stores records durably; says of each whether it was new.
    pub async fn append(&self, records: Vec<ScanRecord>) -> Result<Vec<bool>, LedgerError> {
        let entries = records.into_iter().map(Entry::from).collect();
        let stored = self.store(entries).await?;
        Ok(stored.into_iter().map(|s| s == Stored::New).collect())
    }

    /// Stores entries durably, each record with the claim of its dynamic code (if any) in one
    /// transaction ([`crate::sightings`]); says what became of each.
    pub async fn store(&self, entries: Vec<Entry>) -> Result<Vec<Stored>, LedgerError> {
        match self {
            Store::Sqlite(s) => s.append(entries).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.append(entries).await,
        }
    }

    /// The records that pass `filter` (a day and a venue: what a day's statistics and exports
    /// read), in the order stored.
    pub async fn records(&self, filter: Filter) -> Result<Vec<ScanRecord>, LedgerError> {
        match self {
            Store::Sqlite(s) => {
                s.read(move |l| {
                    let mut out = Vec::new();
                    l.for_each(&filter, |r| out.push(r))?;
                    Ok(out)
                })
                .await
            }
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p
                .records(&filter, None, None)
                .await
                .map(Option::unwrap_or_default),
        }
    }

    /// The records that pass `filter`, in the order stored, in batches of at most `batch` as
    /// they are read (a page at a time: memory stays at a batch however many there are); an
    /// error ends them. What a day's statistics and exports read.
    pub fn batches(
        &self,
        filter: Filter,
        batch: u32,
    ) -> mpsc::Receiver<Result<Vec<ScanRecord>, LedgerError>> {
        let (send, out) = mpsc::channel(2);
        let store = self.clone();
        tokio::spawn(async move {
            let mut after = None;
            loop {
                let page = match store.page(filter.clone(), after, batch).await {
                    Ok(Some(page)) => page,
                    Ok(None) => return,
                    Err(e) => {
                        let _ = send.send(Err(e)).await;
                        return;
                    }
                };
                let (last, full) = (page.last().map(|r| r.id), page.len() == batch as usize);
                if !page.is_empty() && send.send(Ok(page)).await.is_err() {
                    return;
                }
                match last {
                    Some(id) if full => after = Some(id),
                    _ => return,
                }
            }
        });
        out
    }

    /// Up to `limit` records after the record `after`, in the order stored; `None` if `after`
    /// is not here.
    pub async fn page(
        &self,
        filter: Filter,
        after: Option<RecordId>,
        limit: u32,
    ) -> Result<Option<Vec<ScanRecord>>, LedgerError> {
        match self {
            Store::Sqlite(s) => s.read(move |l| l.page(&filter, after, limit)).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.records(&filter, after, Some(limit)).await,
        }
    }

    /// Whether the store answers: its writer takes a request and its database a read (what
    /// a health check asks; an error says why not).
    pub async fn answers(&self) -> Result<(), LedgerError> {
        match self {
            Store::Sqlite(s) => {
                s.append(Vec::new()).await?;
                s.read(|l| l.page(&Filter::default(), None, 0).map(drop))
                    .await
            }
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.answers().await,
        }
    }

    /// The record `id`, if stored (the visitor's check-in a companion's names).
    pub async fn record(&self, id: RecordId) -> Result<Option<ScanRecord>, LedgerError> {
        match self {
            Store::Sqlite(s) => s.read(move |l| l.get(id)).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.record(id).await,
        }
    }

    /// The pseudonym key of a venue: `provisioned` (stored, refused if the venue already has
    /// another), else the one stored, else one derived from the store's own root.
    pub async fn pseudonym_key(
        &self,
        venue_id: &str,
        provisioned: Option<PseudonymKey>,
    ) -> Result<PseudonymKey, LedgerError> {
        match self {
            Store::Sqlite(s) => {
                let venue = venue_id.to_owned();
                s.read(move |l| {
                    if let Some(key) = &provisioned {
                        l.provision_venue_key(&venue, key)?;
                    }
                    l.pseudonym_key(&venue)
                })
                .await
            }
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.pseudonym_key(venue_id, provisioned).await,
        }
    }
}

impl Store {
    /// Deletes the records of every CST day before `before` (the retention period passed):
    /// whole partitions on PostgreSQL, a day at a time on SQLite; each day and its count is
    /// noted for the audit log ([`Store::audit_append`]). Gives what was purged.
    pub async fn purge(&self, before: Day, now: Timestamp) -> Result<Vec<Purged>, LedgerError> {
        match self {
            Store::Sqlite(s) => s.read(move |l| l.purge_days_before(before, now)).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.purge(before, now).await,
        }
    }

    /// Notes a read of a venue's records (who, which venue, how many), for the audit log.
    pub async fn note_read(&self, read: Read) -> Result<(), LedgerError> {
        match self {
            Store::Sqlite(s) => s.read(move |l| l.note_read(&read)).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.note_read(&read).await,
        }
    }

    /// The end of use (personal data serves epidemic control only): every record, report,
    /// delivery, sighting, read and venue key destroyed, the pseudonym root replaced. Gives
    /// what it destroyed.
    pub async fn end_of_use(&self) -> Result<Destroyed, LedgerError> {
        match self {
            Store::Sqlite(s) => s.read(|l| l.end_of_use()).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.end_of_use().await,
        }
    }

    /// The audit log's lines from entry `from` on, in order ([`crate::journal`]).
    pub async fn audit_lines(&self, from: u64) -> Result<Vec<String>, LedgerError> {
        match self {
            Store::Sqlite(s) => s.read(move |l| l.audit_lines(from)).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.audit_lines(from).await,
        }
    }

    /// Appends to the audit log, one writer at a time across every node, in one
    /// transaction: `write` is given the lines from entry `from` on and, with `tell`, what
    /// the log does not yet tell ([`Untold`]); the lines it gives follow them, and what it was
    /// given to tell is marked told. An error from `write` appends nothing.
    pub async fn audit_append<T: Send + 'static>(
        &self,
        from: u64,
        tell: bool,
        write: impl FnOnce(&[String], Option<&Untold>) -> Result<(Vec<String>, T), LedgerError>
        + Send
        + 'static,
    ) -> Result<T, LedgerError> {
        match self {
            Store::Sqlite(s) => s.read(move |l| l.audit_append(from, tell, write)).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.audit_append(from, tell, write).await,
        }
    }
}

/// The outbox ([`crate::outbox`]): the reports queued with their records, and the webhook
/// deliveries made of them.
impl Store {
    /// Up to [`crate::outbox::OUTBOX_BATCH`] reports after the one numbered `after`, in commit
    /// order.
    pub async fn reports_after(&self, after: i64) -> Result<Vec<Queued>, LedgerError> {
        match self {
            Store::Sqlite(s) => s.read(move |l| l.reports_after(after)).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.reports_after(after).await,
        }
    }

    /// The number of the last report queued (0: none): where a node starting reads from.
    pub async fn last_report(&self) -> Result<i64, LedgerError> {
        match self {
            Store::Sqlite(s) => s.read(|l| l.last_report()).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.last_report().await,
        }
    }

    /// Makes the deliveries of the reports not yet dispatched, once for the whole service:
    /// `hooks` names the webhooks that want a report. Gives how many were made.
    pub async fn dispatch(
        &self,
        hooks: impl Fn(&Report) -> Vec<i64> + Send + Sync + 'static,
    ) -> Result<usize, LedgerError> {
        match self {
            Store::Sqlite(s) => s.read(move |l| l.dispatch(&hooks)).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.dispatch(&hooks).await,
        }
    }

    /// Claims up to `limit` deliveries due at `now_ms` (machine milliseconds) for
    /// [`crate::outbox::LEASE_MS`], counting the attempt.
    pub async fn claim_deliveries(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, LedgerError> {
        match self {
            Store::Sqlite(s) => s.read(move |l| l.claim_deliveries(now_ms, limit)).await,
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.claim_deliveries(now_ms, limit).await,
        }
    }

    /// A delivery done (taken, or given up), or waiting until `retry_at_ms`.
    pub async fn settle_delivery(
        &self,
        delivery: &Delivery,
        retry_at_ms: Option<i64>,
    ) -> Result<(), LedgerError> {
        let (seq, hook) = (delivery.seq, delivery.webhook);
        match self {
            Store::Sqlite(s) => {
                s.read(move |l| l.settle_delivery(seq, hook, retry_at_ms))
                    .await
            }
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.settle_delivery(seq, hook, retry_at_ms).await,
        }
    }
}

impl Store {
    /// The presences of the records from `from` to `to` (CST days, either open), read a day at
    /// a time (a day's partition on PostgreSQL, the index on days on SQLite), in batches as
    /// they are read; an error ends them.
    pub fn presences(
        &self,
        from: Option<Day>,
        to: Option<Day>,
    ) -> mpsc::Receiver<Result<Vec<Presence>, LedgerError>> {
        let (batches, out) = mpsc::channel(4);
        match self {
            Store::Sqlite(s) => s.presences(from, to, batches),
            #[cfg(feature = "postgres")]
            Store::Postgres(p) => p.presences(from, to, batches),
        }
        out
    }
}

/// Where a store sends a trace's presences.
pub(crate) type Batches = mpsc::Sender<Result<Vec<Presence>, LedgerError>>;

/// The most records one group commit stores: past this, the next group waits for the next
/// transaction (bounds a transaction's time and memory).
const MAX_GROUP_RECORDS: usize = 8192;

/// The most requests waiting for a writer; past this, storing answers `unavailable` at once
/// rather than queueing without bound.
pub(crate) const MAX_QUEUED: usize = 16_384;

/// A request's records, waiting for a writer, and where its answer goes.
pub(crate) struct Job {
    pub(crate) entries: Vec<Entry>,
    reply: oneshot::Sender<Result<Vec<Stored>, LedgerError>>,
}

/// Hands records to a writer (`send` refuses when its queue is full) and waits for the answer:
/// whether each was new, once they are durable.
pub(crate) async fn submit(
    entries: Vec<Entry>,
    send: impl FnOnce(Job) -> bool,
) -> Result<Vec<Stored>, LedgerError> {
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let (reply, answer) = oneshot::channel();
    if !send(Job { entries, reply }) {
        return Err(LedgerError::Busy);
    }
    answer.await.map_err(|_| LedgerError::Stopped)?
}

/// A group: `first` and the jobs waiting behind it (`next` gives one if there is), up to
/// [`MAX_GROUP_RECORDS`] records.
pub(crate) fn group(first: Job, mut next: impl FnMut() -> Option<Job>) -> Vec<Job> {
    let mut count = first.entries.len();
    let mut group = vec![first];
    while count < MAX_GROUP_RECORDS {
        match next() {
            Some(job) => {
                count += job.entries.len();
                group.push(job);
            }
            None => break,
        }
    }
    group
}

/// Answers each job of a group with its share of `added` (one flag a record, in the group's
/// order), or all of them with the error.
pub(crate) fn answer(group: Vec<Job>, added: Result<Vec<Stored>, LedgerError>) {
    match added {
        Ok(added) => {
            let mut rest = added.as_slice();
            for job in group {
                let (mine, tail) = rest.split_at(job.entries.len().min(rest.len()));
                rest = tail;
                // The requester may have gone (a timeout): its records are stored all the
                // same, and its retry finds them there.
                let _ = job.reply.send(Ok(mine.to_vec()));
            }
        }
        Err(e) => {
            // Every request of the group failed for the same cause: each is told it in words
            // (an error is not copied), and none was stored.
            let said = e.to_string();
            for job in group {
                let _ = job.reply.send(Err(LedgerError::Group(said.clone())));
            }
        }
    }
}
