//! The trace audit log: every trace query, who asked it and why, as JSON Lines in which each
//! entry names the MAC of the one before (SPEC.md §15.2). The MAC is keyed ([`AuditKey`],
//! derived from the tracing key and kept apart from the log), so an entry edited, removed or
//! inserted breaks the chain at that line even if whoever did it recomputed every hash; a log
//! cut short is caught against a head kept elsewhere ([`AuditChain::head`]).

use crate::encoding::text;
use crate::encoding::timestamp::Timestamp;
use crate::error::Error;
use crate::privacy::token::HolderToken;
use crate::trace::Period;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The longest line of a log, in bytes: a line past it is refused unread.
pub const MAX_AUDIT_LINE: usize = 16 * 1024;
/// The longest reason, in bytes.
pub const MAX_REASON_LEN: usize = 512;

const DOMAIN: &[u8] = b"VENUECODE/AUDIT-MAC\0";

pub use crate::privacy::trace::AuditKey;

/// One query as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEntry {
    /// Its position, from 1.
    pub seq: u64,
    /// When it was asked.
    pub at: Timestamp,
    /// Who asked (an official's id: 1 to 64 printable ASCII characters).
    pub by: String,
    /// Why (the case it serves).
    pub reason: String,
    /// What was asked: the query's kind and arguments (holder tokens, never ID numbers).
    pub query: serde_json::Value,
    /// How many results it gave.
    pub results: u64,
    /// The MAC of the entry before (64 zeros for the first).
    pub prev: String,
    /// HMAC-SHA-256 under the [`AuditKey`] of the domain and this entry's JSON without `hash`.
    pub hash: String,
}

#[derive(Serialize)]
struct Unhashed<'a> {
    seq: u64,
    at: Timestamp,
    by: &'a str,
    reason: &'a str,
    query: &'a serde_json::Value,
    results: u64,
    prev: &'a str,
}

/// Checks who asks (1 to 64 printable ASCII characters) and why (not empty once trimmed, at
/// most [`MAX_REASON_LEN`] bytes of text without controls, no run of 7 digits); gives the
/// reason trimmed. A trace
/// checks these before it reads anything, and the log again as it appends.
pub fn check_asker<'a>(by: &str, reason: &'a str) -> Result<&'a str, Error> {
    crate::record::check_device_id(by, "by")?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::InvalidInput {
            field: "reason",
            reason: "a trace needs its reason".into(),
        });
    }
    text::check(reason, MAX_REASON_LEN).map_err(|why| Error::InvalidInput {
        field: "reason",
        reason: why.into(),
    })?;
    // The log is kept for years and read by auditors: a person's ID or phone number typed into
    // the reason would sit there in the clear (red team, 2026-12). A case number is not that
    // long a run of digits.
    if crate::record::has_digit_run(reason) {
        return Err(Error::InvalidInput {
            field: "reason",
            reason: "a run of 7 digits (an ID or phone number): name the case, not the person"
                .into(),
        });
    }
    Ok(reason)
}

fn bad(line: u64, reason: impl Into<String>) -> Error {
    Error::InvalidInput {
        field: "audit_log",
        reason: format!("line {line}: {}", reason.into()),
    }
}

impl AuditEntry {
    fn digest(&self, key: &AuditKey) -> String {
        let unhashed = Unhashed {
            seq: self.seq,
            at: self.at,
            by: &self.by,
            reason: &self.reason,
            query: &self.query,
            results: self.results,
            prev: &self.prev,
        };
        let json =
            serde_json::to_vec(&unhashed).unwrap_or_else(|_| unreachable!("the entry serialises"));
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key.bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(DOMAIN);
        mac.update(&json);
        hex::encode(mac.finalize().into_bytes())
    }
}

/// What a trace asked, as its entry's `query` holds it (holder tokens, never ID numbers): one
/// shape for every face that traces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum TraceQuery<'a> {
    /// A holder trace.
    Holder {
        /// The person, by holder token.
        holder: HolderToken,
        /// The period searched.
        period: Period,
        /// The co-visit window, in minutes either side.
        window_minutes: u32,
        /// What was read: files, or the records service.
        sources: &'a [String],
    },
    /// A venue trace.
    Venue {
        /// The venue.
        venue_id: &'a str,
        /// The period searched.
        period: Period,
        /// What was read.
        sources: &'a [String],
    },
    /// The index of every reference that opens (SPEC.md §15.3).
    Open {
        /// What was read.
        sources: &'a [String],
    },
}

impl TraceQuery<'_> {
    /// Its JSON, for [`AuditChain::append`].
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or_else(|_| unreachable!("the query serialises"))
    }
}

/// A trace's answer as a face gives it: the report's fields and the log's head after its
/// query was logged (`audit_head`), to keep outside the log.
#[derive(Debug, Serialize)]
pub struct Logged<'a, T> {
    /// The report.
    #[serde(flatten)]
    pub report: &'a T,
    /// The log's head with this query.
    pub audit_head: &'a str,
}

/// A log read so far: how many entries, and the last one's MAC. Its JSON is
/// `{"entries": N, "head": "..."}`.
#[derive(Debug, Clone, Serialize)]
pub struct AuditChain {
    entries: u64,
    head: String,
    #[serde(skip)]
    key: AuditKey,
}

impl AuditChain {
    /// An empty log whose MACs are under `key`.
    pub fn new(key: AuditKey) -> Self {
        AuditChain {
            entries: 0,
            head: "0".repeat(64),
            key,
        }
    }

    /// Entries read.
    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// The last entry's MAC (64 zeros for an empty log): keep it outside the log to detect a
    /// log cut short.
    pub fn head(&self) -> &str {
        &self.head
    }

    /// Reads the next line of a log: an error names the line that breaks the chain.
    pub fn push_line(&mut self, line: &str) -> Result<AuditEntry, Error> {
        let n = self.entries + 1;
        if line.len() > MAX_AUDIT_LINE {
            return Err(bad(n, "longer than 16 KiB"));
        }
        let entry: AuditEntry =
            serde_json::from_str(line).map_err(|_| bad(n, "not an audit entry"))?;
        if entry.seq != n {
            return Err(bad(n, format!("sequence {} where {n} was due", entry.seq)));
        }
        if entry.prev != self.head {
            return Err(bad(
                n,
                "does not follow the entry before (removed or edited)",
            ));
        }
        if entry.digest(&self.key) != entry.hash {
            return Err(bad(
                n,
                "its MAC does not match it (edited, or kept under another tracing key, or \
                 written before the log was keyed)",
            ));
        }
        self.entries = n;
        self.head = entry.hash.clone();
        Ok(entry)
    }

    /// The next entry of the log, and its line (JSON and a newline): validated `by` and
    /// `reason`, chained to the head.
    pub fn append(
        &mut self,
        at: Timestamp,
        by: &str,
        reason: &str,
        query: serde_json::Value,
        results: u64,
    ) -> Result<String, Error> {
        let reason = check_asker(by, reason)?;
        let mut entry = AuditEntry {
            seq: self.entries + 1,
            at,
            by: by.to_owned(),
            reason: reason.to_owned(),
            query,
            results,
            prev: self.head.clone(),
            hash: String::new(),
        };
        entry.hash = entry.digest(&self.key);
        let line = serde_json::to_string(&entry)
            .unwrap_or_else(|_| unreachable!("the entry serialises"))
            + "\n";
        self.entries = entry.seq;
        self.head = entry.hash;
        Ok(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_query_is_logged_in_the_shape_of_spec_15_2() {
        let sources = ["a.sqlite".to_owned()];
        let holder = TraceQuery::Holder {
            holder: HolderToken([0xab; 16]),
            period: Period::default(),
            window_minutes: 30,
            sources: &sources,
        };
        assert_eq!(
            holder.to_json(),
            serde_json::json!({
                "kind": "holder",
                "holder": "ab".repeat(16),
                "period": {"from": null, "to": null},
                "window_minutes": 30,
                "sources": ["a.sqlite"],
            })
        );
        let open = TraceQuery::Open { sources: &sources };
        assert_eq!(
            open.to_json(),
            serde_json::json!({"kind": "open", "sources": ["a.sqlite"]})
        );
    }

    fn key() -> AuditKey {
        AuditKey::from_bytes([9; 32])
    }

    fn log(n: u64) -> Vec<String> {
        let mut chain = AuditChain::new(key());
        (0..n)
            .map(|i| {
                chain
                    .append(
                        Timestamp::from_unix(1_649_203_200 + i.cast_signed()),
                        "officer-7",
                        "case 2022-0406-01",
                        serde_json::json!({"kind": "holder", "holder": format!("{i:032x}")}),
                        i,
                    )
                    .unwrap()
            })
            .collect()
    }

    fn read(lines: &[String]) -> Result<AuditChain, Error> {
        let mut chain = AuditChain::new(key());
        for l in lines {
            chain.push_line(l.trim_end())?;
        }
        Ok(chain)
    }

    #[test]
    fn a_log_reads_back_and_every_change_breaks_it() {
        let lines = log(4);
        let chain = read(&lines).unwrap();
        assert_eq!(chain.entries(), 4);
        // Removed, reordered, edited: each is refused at the line where it happened.
        let mut removed = lines.clone();
        removed.remove(1);
        assert!(read(&removed).unwrap_err().to_string().contains("line 2"));
        let mut swapped = lines.clone();
        swapped.swap(2, 3);
        assert!(read(&swapped).unwrap_err().to_string().contains("line 3"));
        let edited: Vec<String> = lines
            .iter()
            .map(|l| l.replace("\"results\":2", "\"results\":0"))
            .collect();
        assert!(read(&edited).unwrap_err().to_string().contains("line 3"));
        let mut rehashed = lines.clone();
        rehashed[3] = rehashed[3].replace("officer-7", "officer-8");
        assert!(read(&rehashed).unwrap_err().to_string().contains("line 4"));
        // Rewritten whole, every MAC recomputed, by someone without the key (red team,
        // 2026-12: with plain hashes, a rewritten log read as intact).
        let mut forger = AuditChain::new(AuditKey::from_bytes([1; 32]));
        let forged: Vec<String> = (0..4)
            .map(|i| {
                let q = serde_json::json!({"kind": "holder", "holder": format!("{i:032x}")});
                forger
                    .append(Timestamp::from_unix(0), "officer-8", "case", q, 0)
                    .unwrap()
            })
            .collect();
        let e = read(&forged).unwrap_err().to_string();
        assert!(e.contains("line 1") && e.contains("MAC"), "{e}");
        // A log cut short reads as a shorter chain: its head differs from the one kept.
        assert_ne!(read(&lines[..3]).unwrap().head(), chain.head());
        assert!(read(&["{}".into()]).is_err());
        assert!(read(&["x".repeat(MAX_AUDIT_LINE + 1)]).is_err());
    }

    #[test]
    fn a_query_needs_who_and_why() {
        let mut chain = AuditChain::new(key());
        let q = serde_json::json!({});
        let at = Timestamp::from_unix(0);
        assert!(chain.append(at, "", "case", q.clone(), 0).is_err());
        assert!(chain.append(at, "officer 7", "case", q.clone(), 0).is_err());
        assert!(chain.append(at, "officer-7", "  ", q.clone(), 0).is_err());
        assert!(
            chain
                .append(at, "officer-7", "case\u{202e}", q.clone(), 0)
                .is_err()
        );
        // A person's ID or phone number is no reason (red team, 2026-12: logged as typed).
        for reason in [
            "case of 11010519491231002X",
            "called 13812345678",
            "１３８１２３４５６７８",
        ] {
            let e = chain
                .append(at, "officer-7", reason, q.clone(), 0)
                .unwrap_err();
            assert!(!e.to_string().contains("1381234"), "{e}");
        }
        assert_eq!(chain.entries(), 0);
        // A case number is.
        chain
            .append(
                at,
                "officer-7",
                "case 2022-0406-01 (cluster 3)",
                q.clone(),
                0,
            )
            .unwrap();
        assert_eq!(chain.entries(), 1);
    }
}
