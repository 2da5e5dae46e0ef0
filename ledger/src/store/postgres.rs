//! The city store: PostgreSQL. A record is a row `(seq, record_id, venue_id, door, day, record)`
//! whose `record` is the scan record's own JSON (one definition of its shape: serde's), with the
//! columns a query selects on beside it. Table `scans` is partitioned by CST day (native range
//! partitions `scans_d<day>`, made by the writer as a day's first record comes), so that the
//! retention period drops whole days ([`PgStore::purge`]) and a day's queries read one. A
//! record id names its event and its time, so `(record_id, day)` is unique as `record_id` is. One task writes: it takes every request waiting and
//! stores their records with one statement (`INSERT ... SELECT FROM unnest(...) ON CONFLICT DO
//! NOTHING RETURNING record_id`), committed with `synchronous_commit = on`, then answers each.
//! Every statement takes a connection of a pool ([`crate::pg::pool`]), so a database restart
//! fails the requests of that moment, not every request after it.

use super::{Batches, Job, MAX_QUEUED};
use crate::Filter;
use crate::LedgerError;
use crate::outbox::{Delivery, Queued, Report};
use crate::sightings::{Entry, Stored};
use crate::{Destroyed, Purged, Read, Untold};
use deadpool_postgres::Pool;
use std::collections::{HashMap, HashSet};
use tokio::sync::mpsc;
use tokio_postgres::Client;
use venuecode::door::Sighting;
use venuecode::pseudonym::PseudonymKey;
use venuecode::record::{Day, RecordId, ScanRecord};
use venuecode::trace::Presence;
use venuecode::{CodeState, Timestamp};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scans (
    seq BIGSERIAL NOT NULL,
    record_id TEXT NOT NULL,
    venue_id TEXT NOT NULL,
    door TEXT NOT NULL,
    day BIGINT NOT NULL,
    record JSONB NOT NULL,
    PRIMARY KEY (seq, day),
    UNIQUE (record_id, day)
) PARTITION BY RANGE (day);
CREATE INDEX IF NOT EXISTS scans_by_venue_day ON scans (venue_id, day, seq);
CREATE TABLE IF NOT EXISTS venue_keys (venue_id TEXT PRIMARY KEY, key TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sightings (
    code BYTEA PRIMARY KEY,
    place BYTEA NOT NULL,
    first_at BIGINT NOT NULL,
    until BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS sightings_by_until ON sightings (until);
CREATE TABLE IF NOT EXISTS outbox (
    seq BIGSERIAL PRIMARY KEY,
    day BIGINT NOT NULL,
    venue_id TEXT NOT NULL,
    division INTEGER,
    record_id TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    seq BIGINT NOT NULL,
    webhook BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL DEFAULT 0,
    lease_until BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (seq, webhook)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_at);
CREATE TABLE IF NOT EXISTS reads (
    seq BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    account TEXT NOT NULL,
    venue_id TEXT NOT NULL,
    what TEXT NOT NULL,
    records BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS purges (
    day BIGINT PRIMARY KEY,
    records BIGINT NOT NULL,
    purged_at BIGINT NOT NULL,
    logged BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE TABLE IF NOT EXISTS audit (entry BIGINT PRIMARY KEY, line TEXT NOT NULL);
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
        let unpartitioned = client
            .query_opt(
                "SELECT 1 FROM pg_class WHERE oid = to_regclass('scans') AND relkind = 'r'",
                &[],
            )
            .await?;
        if unpartitioned.is_some() {
            return Err(LedgerError::Schema(
                "table scans is from before records were partitioned by day: export its \
                 records (venuecode export), drop it, and import them again"
                    .into(),
            ));
        }
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

    pub(crate) async fn append(&self, entries: Vec<Entry>) -> Result<Vec<Stored>, LedgerError> {
        super::submit(entries, |job| self.jobs.try_send(job).is_ok()).await
    }

    /// The record `id`, if stored: looked for in its own day's partition (an id names its
    /// time).
    pub(crate) async fn record(&self, id: RecordId) -> Result<Option<ScanRecord>, LedgerError> {
        let reader = self.pool.get().await?;
        let row = reader
            .query_opt(
                "SELECT record::text FROM scans WHERE record_id = $1 AND day = $2",
                &[&id.to_string(), &Day::of(id.at()).0],
            )
            .await?;
        row.map(|r| stored(r.get(0))).transpose()
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

    /// The presences of the records of the days from `from` to `to` (either open), a day's
    /// partition at a time, each day in the order stored.
    pub(crate) fn presences(&self, from: Option<Day>, to: Option<Day>, batches: Batches) {
        let pool = self.pool.clone();
        tokio::spawn(async move {
            let days = match pool.get().await {
                Ok(client) => days_held(&client).await,
                Err(e) => Err(e.into()),
            };
            let days = match days {
                Ok(days) => days,
                Err(e) => {
                    let _ = batches.send(Err(e)).await;
                    return;
                }
            };
            let wanted = |d: &i64| from.is_none_or(|f| *d >= f.0) && to.is_none_or(|t| *d <= t.0);
            for day in days.into_iter().filter(wanted) {
                if !presences_of_day(&pool, day, &batches).await {
                    return;
                }
            }
        });
    }

    /// Drops the partitions of every CST day before `before`, each counted first and noted in
    /// table `purges` in the transaction that drops it; gives what was purged. The count is
    /// exact: rows read before the drop, and under the feed lock (no writer in between) those
    /// added since.
    pub(crate) async fn purge(
        &self,
        before: Day,
        now: Timestamp,
    ) -> Result<Vec<Purged>, LedgerError> {
        let mut client = self.pool.get().await?;
        let days: Vec<i64> = days_held(&client)
            .await?
            .into_iter()
            .filter(|&day| day < before.0)
            .collect();
        let mut purged = Vec::with_capacity(days.len());
        for day in days {
            let table = partition(day);
            let row = client
                .query_one(
                    &format!("SELECT COUNT(*), COALESCE(MAX(seq), 0) FROM {table}"),
                    &[],
                )
                .await?;
            let (counted, last): (i64, i64) = (row.get(0), row.get(1));
            let tx = client.transaction().await?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
                .await?;
            let since: i64 = tx
                .query_one(
                    &format!("SELECT COUNT(*) FROM {table} WHERE seq > $1"),
                    &[&last],
                )
                .await?
                .get(0);
            let records = counted + since;
            tx.batch_execute(&format!("DROP TABLE {table}")).await?;
            tx.execute(
                "INSERT INTO purges (day, records, purged_at, logged) VALUES ($1, $2, $3, FALSE)
                 ON CONFLICT (day) DO UPDATE SET purged_at = EXCLUDED.purged_at, logged = FALSE,
                     records = EXCLUDED.records
                         + CASE WHEN purges.logged THEN 0 ELSE purges.records END",
                &[&day, &records, &now.unix()],
            )
            .await?;
            tx.commit().await?;
            purged.push(Purged {
                day: Day(day),
                records: records.unsigned_abs(),
            });
        }
        // Reports are copies of records: they go with their days.
        client
            .execute(
                "DELETE FROM deliveries WHERE seq IN (SELECT seq FROM outbox WHERE day < $1)",
                &[&before.0],
            )
            .await?;
        client
            .execute("DELETE FROM outbox WHERE day < $1", &[&before.0])
            .await?;
        Ok(purged)
    }

    /// Up to [`crate::outbox::OUTBOX_BATCH`] reports after the one numbered `after`, in
    /// commit order.
    pub(crate) async fn reports_after(&self, after: i64) -> Result<Vec<Queued>, LedgerError> {
        let client = self.pool.get().await?;
        Ok(client
            .query(OUTBOX_AFTER, &[&after, &crate::outbox::OUTBOX_BATCH])
            .await?
            .iter()
            .map(queued)
            .collect())
    }

    /// The number of the last report queued (0: none).
    pub(crate) async fn last_report(&self) -> Result<i64, LedgerError> {
        let client = self.pool.get().await?;
        Ok(client
            .query_one("SELECT COALESCE(MAX(seq), 0) FROM outbox", &[])
            .await?
            .get(0))
    }

    /// Makes the deliveries of the reports not yet dispatched and moves the cursor past them,
    /// in one transaction under [`DISPATCH_LOCK`] (one node dispatches a report, once).
    pub(crate) async fn dispatch(
        &self,
        hooks: &(dyn Fn(&Report) -> Vec<i64> + Sync),
    ) -> Result<usize, LedgerError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&DISPATCH_LOCK])
            .await?;
        let cursor: i64 = tx
            .query_opt(
                "SELECT value FROM meta WHERE name = 'outbox_dispatched'",
                &[],
            )
            .await?
            .and_then(|r| r.get::<_, String>(0).parse().ok())
            .unwrap_or(0);
        let reports: Vec<Queued> = tx
            .query(OUTBOX_AFTER, &[&cursor, &crate::outbox::OUTBOX_BATCH])
            .await?
            .iter()
            .map(queued)
            .collect();
        let Some(last) = reports.last().map(|q| q.seq) else {
            return Ok(0);
        };
        let (mut seqs, mut webhooks) = (Vec::new(), Vec::new());
        for q in &reports {
            for hook in hooks(&q.report) {
                seqs.push(q.seq);
                webhooks.push(hook);
            }
        }
        tx.execute(
            "INSERT INTO deliveries (seq, webhook) SELECT * FROM unnest($1::BIGINT[], $2::BIGINT[])
             ON CONFLICT DO NOTHING",
            &[&seqs, &webhooks],
        )
        .await?;
        tx.execute(
            "INSERT INTO meta (name, value) VALUES ('outbox_dispatched', $1)
             ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
            &[&last.to_string()],
        )
        .await?;
        tx.commit().await?;
        Ok(seqs.len())
    }

    /// Claims up to `limit` deliveries due at `now_ms` whose lease has ended, each for
    /// [`crate::outbox::LEASE_MS`] (rows another node is claiming are skipped, not waited for).
    pub(crate) async fn claim_deliveries(
        &self,
        now_ms: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, LedgerError> {
        let client = self.pool.get().await?;
        Ok(client
            .query(
                "WITH due AS (
                     SELECT seq, webhook FROM deliveries
                     WHERE next_at <= $2 AND lease_until <= $2
                     ORDER BY next_at, seq LIMIT $3 FOR UPDATE SKIP LOCKED),
                 claimed AS (
                     UPDATE deliveries d SET attempts = d.attempts + 1, lease_until = $1
                     FROM due WHERE d.seq = due.seq AND d.webhook = due.webhook
                     RETURNING d.seq, d.webhook, d.attempts)
                 SELECT o.seq, o.venue_id, o.division, o.record_id, o.body, c.webhook, c.attempts
                 FROM claimed c JOIN outbox o ON o.seq = c.seq ORDER BY o.seq",
                &[&(now_ms + crate::outbox::LEASE_MS), &now_ms, &limit],
            )
            .await?
            .iter()
            .map(|r| Delivery {
                seq: r.get(0),
                webhook: r.get(5),
                attempts: r.get::<_, i32>(6).unsigned_abs(),
                report: queued(r).report,
            })
            .collect())
    }

    /// A delivery done, or (`retry_at_ms`) waiting for its next attempt.
    pub(crate) async fn settle_delivery(
        &self,
        seq: i64,
        webhook: i64,
        retry_at_ms: Option<i64>,
    ) -> Result<(), LedgerError> {
        let client = self.pool.get().await?;
        match retry_at_ms {
            None => {
                client
                    .execute(
                        "DELETE FROM deliveries WHERE seq = $1 AND webhook = $2",
                        &[&seq, &webhook],
                    )
                    .await?
            }
            Some(at) => {
                client
                    .execute(
                        "UPDATE deliveries SET next_at = $3, lease_until = 0
                         WHERE seq = $1 AND webhook = $2",
                        &[&seq, &webhook, &at],
                    )
                    .await?
            }
        };
        Ok(())
    }

    /// Notes a read of a venue's records, for the audit log.
    pub(crate) async fn note_read(&self, read: &Read) -> Result<(), LedgerError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "INSERT INTO reads (at, account, venue_id, what, records)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &read.at,
                    &read.account,
                    &read.venue_id,
                    &read.what,
                    &i64::try_from(read.records).unwrap_or(i64::MAX),
                ],
            )
            .await?;
        Ok(())
    }

    /// The end of use: every record (the day partitions dropped), report, delivery,
    /// sighting, read and venue key deleted, the pseudonym root replaced, in one transaction
    /// under the feed lock. The server's files are unlinked; its backups, WAL archives and
    /// replicas are the operator's to destroy.
    pub(crate) async fn end_of_use(&self) -> Result<Destroyed, LedgerError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
            .await?;
        let mut counts = Vec::new();
        for table in [
            "scans",
            "outbox",
            "deliveries",
            "sightings",
            "reads",
            "venue_keys",
        ] {
            let n: i64 = tx
                .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])
                .await?
                .get(0);
            counts.push(n.unsigned_abs());
        }
        let partitions: Vec<String> = tx
            .query(
                "SELECT c.relname::TEXT FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
                 WHERE i.inhparent = 'scans'::regclass",
                &[],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        for p in partitions.iter().filter(|p| p.starts_with("scans_d")) {
            tx.batch_execute(&format!("DROP TABLE {p}")).await?;
        }
        tx.batch_execute("TRUNCATE outbox, deliveries, sightings, reads, venue_keys")
            .await?;
        tx.execute(
            "UPDATE meta SET value = $1 WHERE name = 'pseudonym_root'",
            &[&crate::random_hex()?],
        )
        .await?;
        tx.commit().await?;
        Ok(Destroyed {
            records: counts[0],
            reports: counts[1],
            deliveries: counts[2],
            sightings: counts[3],
            reads: counts[4],
            venue_keys: counts[5],
        })
    }

    /// The audit log's lines from entry `from` on, in order.
    pub(crate) async fn audit_lines(&self, from: u64) -> Result<Vec<String>, LedgerError> {
        let client = self.pool.get().await?;
        audit_lines(&client, from).await
    }

    /// Appends to the audit log in one transaction under [`AUDIT_LOCK`], as
    /// `Ledger::audit_append` does.
    pub(crate) async fn audit_append<T>(
        &self,
        from: u64,
        tell: bool,
        write: impl FnOnce(&[String], Option<&Untold>) -> Result<(Vec<String>, T), LedgerError>,
    ) -> Result<T, LedgerError> {
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&AUDIT_LOCK])
            .await?;
        let lines = audit_lines(&tx, from).await?;
        let untold = if tell { Some(untold(&tx).await?) } else { None };
        let (new, out) = write(&lines, untold.as_ref())?;
        let last = from.max(1) - 1 + lines.len() as u64;
        let entries: Vec<i64> = (last + 1..)
            .take(new.len())
            .map(|n| i64::try_from(n).unwrap_or(i64::MAX))
            .collect();
        tx.execute(
            "INSERT INTO audit (entry, line) SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[])",
            &[&entries, &new],
        )
        .await?;
        if let Some(told) = untold {
            let days: Vec<i64> = told.purges.iter().map(|p| p.day.0).collect();
            tx.execute(
                "UPDATE purges SET logged = TRUE WHERE day = ANY($1)",
                &[&days],
            )
            .await?;
            tx.execute("DELETE FROM reads WHERE seq <= $1", &[&told.last_read])
                .await?;
        }
        tx.commit().await?;
        Ok(out)
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

/// The outbox's reports after `$1`, at most `$2`, in commit order.
const OUTBOX_AFTER: &str = "SELECT seq, venue_id, division, record_id, body FROM outbox
    WHERE seq > $1 ORDER BY seq LIMIT $2";

/// The advisory lock under which the audit log is appended to: one chain for every node.
const AUDIT_LOCK: i64 = 7_310_111;

async fn audit_lines(
    client: &impl deadpool_postgres::GenericClient,
    from: u64,
) -> Result<Vec<String>, LedgerError> {
    Ok(client
        .query(
            "SELECT line FROM audit WHERE entry >= $1 ORDER BY entry",
            &[&i64::try_from(from).unwrap_or(i64::MAX)],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect())
}

/// What the audit log does not yet tell, as `Ledger`'s `untold` reads it.
async fn untold(tx: &deadpool_postgres::Transaction<'_>) -> Result<Untold, LedgerError> {
    let last_read: i64 = tx
        .query_one("SELECT COALESCE(MAX(seq), 0) FROM reads", &[])
        .await?
        .get(0);
    let reads = tx
        .query(
            "SELECT account, venue_id, what, SUM(records)::BIGINT, MAX(at) FROM reads
             WHERE seq <= $1 GROUP BY account, venue_id, what
             ORDER BY MAX(seq)",
            &[&last_read],
        )
        .await?
        .iter()
        .map(|r| Read {
            account: r.get(0),
            venue_id: r.get(1),
            what: r.get(2),
            records: r.get::<_, i64>(3).unsigned_abs(),
            at: r.get(4),
        })
        .collect();
    let purges = tx
        .query(
            "SELECT day, records FROM purges WHERE NOT logged ORDER BY day",
            &[],
        )
        .await?
        .iter()
        .map(|r| Purged {
            day: Day(r.get(0)),
            records: r.get::<_, i64>(1).unsigned_abs(),
        })
        .collect();
    Ok(Untold {
        purges,
        reads,
        last_read,
    })
}

/// The advisory lock under which the outbox's reports are made into deliveries.
const DISPATCH_LOCK: i64 = 7_310_110;

/// A report of the outbox from a row whose first five columns are (seq, venue_id, division,
/// record_id, body).
fn queued(r: &tokio_postgres::Row) -> Queued {
    Queued {
        seq: r.get(0),
        report: Report {
            venue_id: r.get(1),
            division: r
                .get::<_, Option<i32>>(2)
                .and_then(|d| u32::try_from(d).ok()),
            record_id: r.get(3),
            body: r.get(4),
        },
    }
}

/// Rows one query of a trace reads.
const PRESENCE_BATCH: i64 = 4096;

/// A stored record, from its JSON.
fn stored(text: String) -> Result<ScanRecord, LedgerError> {
    serde_json::from_str(&text).map_err(|e| LedgerError::Corrupt(format!("a stored record: {e}")))
}

async fn write_groups(pool: Pool, mut queue: mpsc::Receiver<Job>) {
    let mut swept = 0;
    // The days whose partition this writer made or saw. A purge (on any node) may drop one: an
    // insert that fails forgets them all and is tried once more, making the partition again.
    let mut days = HashSet::new();
    while let Some(first) = queue.recv().await {
        let group = super::group(first, || queue.try_recv().ok());
        let all: Vec<&Entry> = group.iter().flat_map(|j| &j.entries).collect();
        let mut stored = Err(LedgerError::Stopped);
        for _ in 0..2 {
            stored = match pool.get().await {
                Ok(mut client) => insert(&mut client, &all, &mut swept, &mut days).await,
                Err(e) => Err(e.into()),
            };
            if stored.is_ok() || days.is_empty() {
                break;
            }
            days.clear();
        }
        super::answer(group, stored);
    }
}

/// The CST days that have a partition, in order.
async fn days_held(client: &tokio_postgres::Client) -> Result<Vec<i64>, LedgerError> {
    let mut days: Vec<i64> = client
        .query(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = 'scans'::regclass",
            &[],
        )
        .await?
        .iter()
        .filter_map(|r| r.get::<_, &str>(0).strip_prefix("scans_d")?.parse().ok())
        .collect();
    days.sort_unstable();
    Ok(days)
}

/// Sends the presences of one day's records, [`PRESENCE_BATCH`] rows a query, each query
/// reading that day's partition alone in the order stored; false once the trace stopped
/// listening or a read failed (the error sent).
async fn presences_of_day(pool: &Pool, day: i64, batches: &Batches) -> bool {
    let mut after = 0i64;
    loop {
        let rows = match pool.get().await {
            Ok(reader) => reader
                .query(
                    "SELECT seq, record::text FROM scans WHERE day = $1 AND seq > $2
                     ORDER BY seq LIMIT $3",
                    &[&day, &after, &PRESENCE_BATCH],
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
                    return false;
                }
                if (read as u64) < PRESENCE_BATCH.unsigned_abs() {
                    return true;
                }
            }
            Err(e) => {
                let _ = batches.send(Err(e)).await;
                return false;
            }
        }
    }
}

/// The partition of a CST day (its name made from a number: nothing quoted from outside).
fn partition(day: i64) -> String {
    format!("scans_d{day}")
}

/// The lock under which records are numbered and committed, on every node (an advisory lock
/// of the transaction): `seq` is then the order of commits, so a reader paging by `seq` never
/// passes a number whose record is not yet visible; and the claims of dynamic codes are decided
/// under it, so two nodes never both win one. Writers of all nodes take turns, a group each,
/// which group commit keeps few.
const FEED_LOCK: i64 = 7_310_108;

/// Stores a group's entries in one transaction under [`FEED_LOCK`]: the claims decided against
/// the sightings stored ([`crate::sightings::settle`]) and written, the records whose claims
/// stand inserted with one statement, the expired sightings dropped at most every
/// [`crate::sightings::SWEEP_SECS`] (`swept`: this writer's last sweep).
async fn insert(
    client: &mut Client,
    entries: &[&Entry],
    swept: &mut i64,
    partitions: &mut HashSet<i64>,
) -> Result<Vec<Stored>, LedgerError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
        .await?;
    // A day's first record makes its partition, under the lock (no two nodes race to it).
    for day in entries.iter().map(|e| Day::of(e.record.at).0) {
        if partitions.insert(day) {
            tx.batch_execute(&format!(
                "CREATE TABLE IF NOT EXISTS {} PARTITION OF scans FOR VALUES FROM ({day}) TO ({})",
                partition(day),
                day + 1
            ))
            .await?;
        }
    }
    let claims: Vec<Sighting> = entries.iter().filter_map(|e| e.claim).collect();
    let mut earlier = HashMap::new();
    if let Some(now) = claims.iter().map(|c| c.first_at.unix()).max() {
        if now - *swept >= crate::sightings::SWEEP_SECS {
            let expired = now - crate::sightings::SWEEP_MARGIN_SECS;
            tx.execute("DELETE FROM sightings WHERE until <= $1", &[&expired])
                .await?;
            *swept = now;
        }
        let codes: Vec<&[u8]> = claims.iter().map(|c| c.code.as_slice()).collect();
        let rows = tx
            .query(
                "SELECT code, place, first_at, until FROM sightings WHERE code = ANY($1)",
                &[&codes],
            )
            .await?;
        for row in rows {
            let corrupt = |_| LedgerError::Corrupt("a stored sighting".into());
            let code: [u8; 16] = row.get::<_, &[u8]>(0).try_into().map_err(corrupt)?;
            let place: [u8; 8] = row.get::<_, &[u8]>(1).try_into().map_err(corrupt)?;
            earlier.insert(
                code,
                Sighting {
                    code,
                    place,
                    first_at: Timestamp::from_unix(row.get(2)),
                    until: Timestamp::from_unix(row.get(3)),
                },
            );
        }
    }
    let (fates, writes) = crate::sightings::settle(entries.iter().map(|e| e.claim), earlier);
    if !writes.is_empty() {
        let codes: Vec<&[u8]> = writes.iter().map(|w| w.code.as_slice()).collect();
        let places: Vec<&[u8]> = writes.iter().map(|w| w.place.as_slice()).collect();
        let firsts: Vec<i64> = writes.iter().map(|w| w.first_at.unix()).collect();
        let untils: Vec<i64> = writes.iter().map(|w| w.until.unix()).collect();
        tx.execute(
            "INSERT INTO sightings (code, place, first_at, until)
             SELECT * FROM unnest($1::BYTEA[], $2::BYTEA[], $3::BIGINT[], $4::BIGINT[])
             ON CONFLICT (code) DO UPDATE
             SET place = EXCLUDED.place, first_at = EXCLUDED.first_at, until = EXCLUDED.until",
            &[&codes, &places, &firsts, &untils],
        )
        .await?;
    }
    let kept: Vec<&ScanRecord> = entries
        .iter()
        .zip(&fates)
        .filter(|(_, fate)| fate.is_none())
        .map(|(e, _)| &e.record)
        .collect();
    let mut ids = Vec::with_capacity(kept.len());
    let mut venues = Vec::with_capacity(kept.len());
    let mut doors = Vec::with_capacity(kept.len());
    let mut days = Vec::with_capacity(kept.len());
    let mut bodies = Vec::with_capacity(kept.len());
    for r in &kept {
        ids.push(r.id.to_string());
        venues.push(r.venue_id.clone());
        doors.push(r.door.clone());
        days.push(Day::of(r.at).0);
        bodies.push(
            serde_json::to_string(r)
                .map_err(|e| LedgerError::Corrupt(format!("a record did not serialise: {e}")))?,
        );
    }
    let rows = tx
        .query(
            "INSERT INTO scans (record_id, venue_id, door, day, record)
             SELECT id, venue, door, day, body::jsonb
             FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[], $5::TEXT[])
                  WITH ORDINALITY AS t (id, venue, door, day, body, n)
             ORDER BY n
             ON CONFLICT (record_id, day) DO NOTHING
             RETURNING record_id",
            &[&ids, &venues, &doors, &days, &bodies],
        )
        .await?;
    let mut new: HashSet<String> = rows.into_iter().map(|r| r.get(0)).collect();
    // The reports of the records new now, queued in the same transaction (each once).
    let mut queued = HashSet::new();
    let reports: Vec<(i64, &Report)> = entries
        .iter()
        .zip(&fates)
        .filter(|(e, fate)| fate.is_none() && new.contains(&e.record.id.to_string()))
        .filter(|(e, _)| queued.insert(e.record.id))
        .filter_map(|(e, _)| Some((Day::of(e.record.at).0, e.report.as_ref()?)))
        .collect();
    if !reports.is_empty() {
        let days: Vec<i64> = reports.iter().map(|(d, _)| *d).collect();
        let venues: Vec<&str> = reports.iter().map(|(_, r)| r.venue_id.as_str()).collect();
        let divisions: Vec<Option<i32>> = reports
            .iter()
            .map(|(_, r)| r.division.and_then(|d| i32::try_from(d).ok()))
            .collect();
        let ids: Vec<&str> = reports.iter().map(|(_, r)| r.record_id.as_str()).collect();
        let bodies: Vec<&str> = reports.iter().map(|(_, r)| r.body.as_str()).collect();
        tx.execute(
            "INSERT INTO outbox (day, venue_id, division, record_id, body)
             SELECT day, venue, division, id, body
             FROM unnest($1::BIGINT[], $2::TEXT[], $3::INTEGER[], $4::TEXT[], $5::TEXT[])
                  WITH ORDINALITY AS t (day, venue, division, id, body, n)
             ORDER BY n",
            &[&days, &venues, &divisions, &ids, &bodies],
        )
        .await?;
    }
    // A retry: whether the record stored under its id was a replay.
    let again: Vec<&String> = ids.iter().filter(|id| !new.contains(*id)).collect();
    let mut replayed = HashMap::new();
    if !again.is_empty() {
        for row in tx
            .query(
                "SELECT record_id, record->>'code_state' FROM scans WHERE record_id = ANY($1)",
                &[&again],
            )
            .await?
        {
            let state: Option<&str> = row.get(1);
            replayed.insert(
                row.get::<_, String>(0),
                state == Some(CodeState::Replayed.name()),
            );
        }
    }
    tx.commit().await?;
    Ok(entries
        .iter()
        .zip(fates)
        .map(|(e, fate)| match fate {
            Some(replay) => Stored::Replayed(replay),
            // Each once: a record twice in a group is new only the first time.
            None if new.remove(&e.record.id.to_string()) => Stored::New,
            None => Stored::Already {
                replayed: replayed
                    .get(&e.record.id.to_string())
                    .copied()
                    .unwrap_or(false),
            },
        })
        .collect())
}
