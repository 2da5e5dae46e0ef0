//! The records service's audit log (feature `service`): one chain of MACs for every node, the
//! lines of core's [`AuditChain`] in the store's table `audit`, appended one writer at a time
//! (SQLite's writers' lock, or an advisory lock on PostgreSQL) so that two nodes' traces never
//! fork it. Each node keeps the head it last read or wrote in a file of its own: a log cut
//! short, replaced or emptied behind it is refused, as a file log is ([`crate::audit`]).
//!
//! A node checks the whole chain when it first reads it and at each download of the log
//! ([`StoreJournal::lines`]); at each append it checks that the last entry it checked is still
//! there unchanged and every entry after it. So an older entry edited behind a running node is
//! found at the next download or start (and that node then appends nothing more): the log may
//! grow to millions of entries, which no query should read whole.
//!
//! Besides the queries of the trace desk, the log tells what any node noted for it: the days
//! purged because the retention period passed and the reads of venues' records, each told once
//! (marked told in the transaction that appends it, whichever node with the key runs it).

use crate::audit::{Asked, Journal, Kept, extend};
use crate::store::Store;
use crate::{LedgerError, Untold};
use std::path::PathBuf;
use std::sync::Mutex;
use venuecode::Timestamp;
use venuecode::trace::audit::{AuditChain, AuditKey};

/// Who the log names for a purge.
const RETENTION: &str = "venuecode-retention";

/// The store's audit log as one node sees it.
pub struct StoreJournal {
    store: Store,
    key: AuditKey,
    head: PathBuf,
    /// The chain as far as this node checked it, and its last line: a cache, read again
    /// whole when lost.
    chain: Mutex<Option<Checked>>,
    runtime: tokio::runtime::Handle,
}

/// A chain checked, and its last line.
#[derive(Clone)]
struct Checked {
    chain: AuditChain,
    last: String,
}

/// An entry to append, owned.
struct Noted {
    at: Timestamp,
    by: String,
    reason: String,
    query: serde_json::Value,
    results: u64,
}

impl Noted {
    fn of(q: &Asked<'_>) -> Noted {
        Noted {
            at: q.at,
            by: q.by.to_owned(),
            reason: q.reason.to_owned(),
            query: q.query.clone(),
            results: q.results,
        }
    }

    /// The entries telling `untold`: one a day purged, one a sum of reads.
    fn told(untold: &Untold, retain_days: u32, now: Timestamp) -> Vec<Noted> {
        let purges = untold.purges.iter().map(|p| Noted {
            at: now,
            by: RETENTION.into(),
            reason: format!("retention period of {retain_days} days"),
            query: serde_json::json!({"kind": "purge", "day": p.day, "retain_days": retain_days}),
            results: p.records,
        });
        let reads = untold.reads.iter().map(|r| Noted {
            at: Timestamp::from_unix(r.at),
            by: r.account.clone(),
            reason: "a venue's records read through the service".into(),
            query: serde_json::json!({"kind": "read", "venue_id": r.venue_id, "what": r.what}),
            results: r.records,
        });
        purges.chain(reads).collect()
    }
}

fn broken(why: &str) -> LedgerError {
    LedgerError::Core(venuecode::Error::InvalidInput {
        field: "audit_log",
        reason: format!("the store's audit log: {why}"),
    })
}

impl StoreJournal {
    /// The log in `store` under `key`, this node's head kept in `head`. Made on the runtime
    /// its blocking calls ([`Journal`]) run on.
    pub fn new(store: Store, key: AuditKey, head: PathBuf) -> Result<Self, LedgerError> {
        Ok(StoreJournal {
            store,
            key,
            head,
            chain: Mutex::new(None),
            runtime: tokio::runtime::Handle::try_current().map_err(|_| LedgerError::Stopped)?,
        })
    }

    /// The file this node keeps its head in.
    pub fn head_path(&self) -> &std::path::Path {
        &self.head
    }

    fn known(&self) -> Option<Checked> {
        self.chain
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    fn remember(&self, chain: Option<Checked>) {
        *self
            .chain
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = chain;
    }

    /// Where reading starts: the last entry this node checked (read again to see that it is
    /// still there), or the first.
    fn from(known: Option<&Checked>) -> u64 {
        known.map_or(0, |k| k.chain.entries())
    }

    /// `known` followed by `lines` (read from [`Self::from`]), every entry checked, and
    /// against the head kept (if this node kept one) when reading from the first.
    fn follow(
        key: &AuditKey,
        known: Option<Checked>,
        kept: Option<&Kept>,
        lines: &[String],
    ) -> Result<Checked, LedgerError> {
        let last = |chain: AuditChain, known_last: String| Checked {
            chain,
            last: lines.last().cloned().unwrap_or(known_last),
        };
        let Some(known) = known.filter(|k| k.chain.entries() > 0) else {
            let mut chain = AuditChain::new(key.clone());
            extend(&mut chain, lines.iter().map(String::as_str), kept)
                .map_err(|why| broken(&why))?;
            return Ok(last(chain, String::new()));
        };
        if lines.first() != Some(&known.last) {
            return Err(broken(&format!(
                "entry {} this node read is gone or changed",
                known.chain.entries()
            )));
        }
        let mut chain = known.chain;
        extend(&mut chain, lines[1..].iter().map(String::as_str), None)
            .map_err(|why| broken(&why))?;
        Ok(last(chain, known.last))
    }

    /// Appends `noted` and, with `tell`, what the log does not yet tell; keeps the head after.
    async fn write(
        &self,
        noted: Vec<Noted>,
        tell: Option<(u32, Timestamp)>,
    ) -> Result<AuditChain, LedgerError> {
        let kept = Kept::read(&self.head)?;
        let known = self.known();
        let key = self.key.clone();
        let written = self
            .store
            .audit_append(
                Self::from(known.as_ref()),
                tell.is_some(),
                move |lines, untold| {
                    let mut checked = Self::follow(&key, known, kept.as_ref(), lines)?;
                    let mut noted = noted;
                    if let (Some(untold), Some((days, now))) = (untold, tell) {
                        noted.extend(Noted::told(untold, days, now));
                    }
                    let mut new = Vec::with_capacity(noted.len());
                    for n in noted {
                        let line = checked
                            .chain
                            .append(n.at, &n.by, &n.reason, n.query, n.results)?;
                        new.push(line.trim_end().to_owned());
                    }
                    if let Some(line) = new.last() {
                        checked.last.clone_from(line);
                    }
                    Ok((new, checked))
                },
            )
            .await;
        let checked = written.inspect_err(|_| self.remember(None))?;
        Kept::keep(&self.head, &checked.chain)?;
        let chain = checked.chain.clone();
        self.remember(Some(checked));
        Ok(chain)
    }

    /// Appends to the log the days purged and the reads of venues' records that no node has
    /// told yet (`retain_days` named in each purge's entry, `now` its time); gives the head
    /// after.
    pub async fn tell_untold(
        &self,
        retain_days: u32,
        now: Timestamp,
    ) -> Result<String, LedgerError> {
        Ok(self
            .write(Vec::new(), Some((retain_days, now)))
            .await?
            .head()
            .to_owned())
    }

    /// The chain, every entry this node has not yet checked checked; the head kept after.
    pub async fn chain(&self) -> Result<AuditChain, LedgerError> {
        let kept = Kept::read(&self.head)?;
        let known = self.known();
        let lines = self.store.audit_lines(Self::from(known.as_ref())).await?;
        let checked = Self::follow(&self.key, known, kept.as_ref(), &lines)
            .inspect_err(|_| self.remember(None))?;
        Kept::keep(&self.head, &checked.chain)?;
        let chain = checked.chain.clone();
        self.remember(Some(checked));
        Ok(chain)
    }

    /// The whole log as JSON Lines, every entry checked (for the authority to keep and to
    /// verify with `venuecode trace audit`).
    pub async fn lines(&self) -> Result<String, LedgerError> {
        let kept = Kept::read(&self.head)?;
        let lines = self.store.audit_lines(0).await?;
        let checked = Self::follow(&self.key, None, kept.as_ref(), &lines)
            .inspect_err(|_| self.remember(None))?;
        self.remember(Some(checked));
        Ok(lines.iter().map(|l| format!("{l}\n")).collect())
    }
}

/// Blocking: for the desk, which runs off the runtime's workers (never call these on one).
impl Journal for StoreJournal {
    fn append(&self, q: &Asked<'_>) -> Result<String, LedgerError> {
        let chain = self
            .runtime
            .block_on(self.write(vec![Noted::of(q)], None))?;
        Ok(chain.head().to_owned())
    }

    fn read(&self) -> Result<AuditChain, LedgerError> {
        self.runtime.block_on(self.chain())
    }
}
