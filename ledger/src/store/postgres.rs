//! The city store: PostgreSQL. A record is a row `(seq, record_id, venue_id, door, day, record)`
//! whose `record` is the scan record's own JSON (one definition of its shape: serde's), with the
//! columns a query selects on beside it. One task writes: it takes every request waiting and
//! stores their records with one statement (`INSERT ... SELECT FROM unnest(...) ON CONFLICT DO
//! NOTHING RETURNING record_id`), committed with `synchronous_commit = on`, then answers each.
//! Every statement takes a connection of a pool ([`crate::pg::pool`]), so a database restart
//! fails the requests of that moment, not every request after it.

use super::{Batches, Job, MAX_QUEUED};
use crate::Filter;
use crate::LedgerError;
use deadpool_postgres::Pool;
use tokio::sync::mpsc;
use tokio_postgres::Client;
use venuecode::pseudonym::PseudonymKey;
use venuecode::record::{Day, RecordId, ScanRecord};
use venuecode::trace::Presence;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scans (
    seq BIGSERIAL PRIMARY KEY,
    record_id TEXT NOT NULL UNIQUE,
    venue_id TEXT NOT NULL,
    door TEXT NOT NULL,
    day BIGINT NOT NULL,
    record JSONB NOT NULL
);
CREATE INDEX IF NOT EXISTS scans_by_venue_day ON scans (venue_id, day, seq);
CREATE TABLE IF NOT EXISTS venue_keys (venue_id TEXT PRIMARY KEY, key TEXT NOT NULL);
";

/// A PostgreSQL database of records.
#[derive(Clone)]
pub struct PgStore {
    jobs: mpsc::Sender<Job>,
    pool: Pool,
}

/// Connections a store's pool holds at most: the writer's, and readers' (records pages,
/// statistics, exports, traces).
const POOL_SIZE: usize = 8;

impl PgStore {
    /// Connects and creates the tables if missing.
    pub async fn open(url: &str) -> Result<Self, LedgerError> {
        let pool = crate::pg::pool(url, POOL_SIZE)?;
        let mut client = pool.get().await?;
        crate::pg::create(&mut client, SCHEMA).await?;
        let root = crate::random_hex()?;
        client
            .execute(
                "INSERT INTO meta (name, value) VALUES ('pseudonym_root', $1)
                 ON CONFLICT (name) DO NOTHING",
                &[&root],
            )
            .await?;
        drop(client);
        let (jobs, queue) = mpsc::channel(MAX_QUEUED);
        tokio::spawn(write_groups(pool.clone(), queue));
        Ok(PgStore { jobs, pool })
    }

    /// Whether the database answers.
    pub(crate) async fn answers(&self) -> Result<(), LedgerError> {
        crate::pg::answers(&self.pool).await
    }

    pub(crate) async fn append(&self, records: Vec<ScanRecord>) -> Result<Vec<bool>, LedgerError> {
        super::submit(records, |job| self.jobs.try_send(job).is_ok()).await
    }

    /// Up to `limit` records that pass `filter`, in the order stored, after the record
    /// `after` (`None` if it is not here).
    pub(crate) async fn records(
        &self,
        filter: &Filter,
        after: Option<RecordId>,
        limit: Option<u32>,
    ) -> Result<Option<Vec<ScanRecord>>, LedgerError> {
        let reader = self.pool.get().await?;
        let start: i64 = match after {
            None => 0,
            Some(id) => {
                let row = reader
                    // Of the venue read: another venue's id is not here.
                    .query_opt(
                        "SELECT seq FROM scans WHERE record_id = $1
                         AND ($2::TEXT IS NULL OR venue_id = $2)",
                        &[&id.to_string(), &filter.venue_id],
                    )
                    .await?;
                match row {
                    Some(r) => r.get(0),
                    None => return Ok(None),
                }
            }
        };
        let day = filter.day.map(|d: Day| d.0);
        let limit = limit.map_or(i64::MAX, i64::from);
        let rows = reader
            .query(
                "SELECT record::text FROM scans
                 WHERE seq > $1 AND ($2::BIGINT IS NULL OR day = $2)
                   AND ($3::TEXT IS NULL OR venue_id = $3) AND ($4::TEXT IS NULL OR door = $4)
                 ORDER BY seq LIMIT $5",
                &[&start, &day, &filter.venue_id, &filter.door, &limit],
            )
            .await?;
        let out: Result<Vec<ScanRecord>, LedgerError> =
            rows.iter().map(|row| stored(row.get(0))).collect();
        out.map(Some)
    }

    /// The presences of the records of the days from `from` to `to`, [`PRESENCE_BATCH`] rows
    /// a query, in the order stored.
    pub(crate) fn presences(&self, from: Option<Day>, to: Option<Day>, batches: Batches) {
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let (from, to) = (from.map(|d| d.0), to.map(|d| d.0));
            let mut after = 0i64;
            loop {
                let rows = match pool.get().await {
                    Ok(reader) => reader
                        .query(
                            "SELECT seq, record::text FROM scans
                         WHERE seq > $1 AND ($2::BIGINT IS NULL OR day >= $2)
                           AND ($3::BIGINT IS NULL OR day <= $3)
                         ORDER BY seq LIMIT $4",
                            &[&after, &from, &to, &PRESENCE_BATCH],
                        )
                        .await
                        .map_err(LedgerError::from),
                    Err(e) => Err(e.into()),
                };
                let batch = rows.and_then(|rows| {
                    if let Some(last) = rows.last() {
                        after = last.get(0);
                    }
                    rows.iter()
                        .map(|row| stored(row.get(1)).map(|r| Presence::of(&r)))
                        .filter_map(Result::transpose)
                        .collect::<Result<Vec<Presence>, LedgerError>>()
                        .map(|b| (b, rows.len()))
                });
                match batch {
                    Ok((batch, read)) => {
                        if !batch.is_empty() && batches.send(Ok(batch)).await.is_err() {
                            return;
                        }
                        if (read as u64) < PRESENCE_BATCH.unsigned_abs() {
                            return;
                        }
                    }
                    Err(e) => {
                        let _ = batches.send(Err(e)).await;
                        return;
                    }
                }
            }
        });
    }

    /// The venue's pseudonym key: the stored one, else one derived from the store's root;
    /// `provisioned` replaces it when it differs only while the venue has no record with a
    /// pseudonym (else `KeyMismatch`), as the SQLite ledger does.
    pub(crate) async fn pseudonym_key(
        &self,
        venue_id: &str,
        provisioned: Option<PseudonymKey>,
    ) -> Result<PseudonymKey, LedgerError> {
        let current = self.current_key(venue_id).await?;
        let Some(wanted) = provisioned else {
            return Ok(current);
        };
        let client = self.pool.get().await?;
        if wanted.fingerprint() != current.fingerprint() {
            let held = client
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM scans
                     WHERE venue_id = $1 AND record->>'pseudonym' IS NOT NULL)",
                    &[&venue_id],
                )
                .await?;
            if held.get::<_, bool>(0) {
                return Err(LedgerError::KeyMismatch(venue_id.to_owned()));
            }
        }
        client
            .execute(
                "INSERT INTO venue_keys (venue_id, key) VALUES ($1, $2)
                 ON CONFLICT (venue_id) DO UPDATE SET key = EXCLUDED.key",
                &[&venue_id, &wanted.to_hex().trim()],
            )
            .await?;
        Ok(wanted)
    }

    /// The stored key of a venue, or the one the store's root derives.
    async fn current_key(&self, venue_id: &str) -> Result<PseudonymKey, LedgerError> {
        let client = self.pool.get().await?;
        let stored = client
            .query_opt(
                "SELECT key FROM venue_keys WHERE venue_id = $1",
                &[&venue_id],
            )
            .await?;
        let corrupt = || LedgerError::Corrupt(format!("the stored key of venue {venue_id}"));
        match stored {
            Some(row) => PseudonymKey::from_hex(&row.get::<_, String>(0)).map_err(|_| corrupt()),
            None => {
                let row = client
                    .query_one("SELECT value FROM meta WHERE name = 'pseudonym_root'", &[])
                    .await?;
                let mut root = zeroize::Zeroizing::new([0u8; 32]);
                hex::decode_to_slice(row.get::<_, String>(0).trim(), root.as_mut())
                    .map_err(|_| corrupt())?;
                Ok(PseudonymKey::for_venue(&root, venue_id))
            }
        }
    }
}

/// Rows one query of a trace reads.
const PRESENCE_BATCH: i64 = 4096;

/// A stored record, from its JSON.
fn stored(text: String) -> Result<ScanRecord, LedgerError> {
    serde_json::from_str(&text).map_err(|e| LedgerError::Corrupt(format!("a stored record: {e}")))
}

async fn write_groups(pool: Pool, mut queue: mpsc::Receiver<Job>) {
    while let Some(first) = queue.recv().await {
        let group = super::group(first, || queue.try_recv().ok());
        let all: Vec<&ScanRecord> = group.iter().flat_map(|j| &j.records).collect();
        let added = match pool.get().await {
            Ok(mut client) => insert(&mut client, &all).await,
            Err(e) => Err(e.into()),
        };
        let added = added.map(|mut new| {
            all.iter()
                .map(|r| new.remove(&r.id.to_string()))
                .collect::<Vec<bool>>()
        });
        super::answer(group, added);
    }
}

/// The lock under which records are numbered and committed, on every node (an advisory lock
/// of the transaction): `seq` is then the order of commits, so a reader paging by `seq` never
/// passes a number whose record is not yet visible. Writers of all nodes take turns, a group
/// each, which group commit keeps few.
const FEED_LOCK: i64 = 7_310_108;

/// Stores records with one statement, numbered and committed under [`FEED_LOCK`]; gives the ids
/// that were new (each once: a record twice in a group is new only the first time).
async fn insert(
    client: &mut Client,
    records: &[&ScanRecord],
) -> Result<std::collections::HashSet<String>, LedgerError> {
    let mut ids = Vec::with_capacity(records.len());
    let mut venues = Vec::with_capacity(records.len());
    let mut doors = Vec::with_capacity(records.len());
    let mut days = Vec::with_capacity(records.len());
    let mut bodies = Vec::with_capacity(records.len());
    for r in records {
        ids.push(r.id.to_string());
        venues.push(r.venue_id.clone());
        doors.push(r.door.clone());
        days.push(Day::of(r.at).0);
        bodies.push(
            serde_json::to_string(r)
                .map_err(|e| LedgerError::Corrupt(format!("a record did not serialise: {e}")))?,
        );
    }
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
        .await?;
    let rows = tx
        .query(
            "INSERT INTO scans (record_id, venue_id, door, day, record)
             SELECT id, venue, door, day, body::jsonb
             FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[], $5::TEXT[])
                  WITH ORDINALITY AS t (id, venue, door, day, body, n)
             ORDER BY n
             ON CONFLICT (record_id) DO NOTHING
             RETURNING record_id",
            &[&ids, &venues, &doors, &days, &bodies],
        )
        .await?;
    tx.commit().await?;
    Ok(rows.into_iter().map(|r| r.get(0)).collect())
}
