//! The trace audit log: core's MAC chain ([`AuditChain`]) kept where a desk writes it (a
//! [`Journal`]). The command line's is a JSON Lines file ([`AuditLog`]), the owner's only
//! (0600), appended under an exclusive lock so that two processes never interleave or fork the
//! chain; the records service's is its store's table, one chain for every node
//! (`crate::journal`). Either way the head (entries and last MAC) is kept in a file of its own,
//! better on other storage than the log.
//!
//! A log is refused, and no query runs on it, when an entry does not carry its MAC under the
//! tracing key's audit key (edited, inserted, removed, or rewritten whole with every hash
//! recomputed), when it holds fewer entries than the head kept says or another MAC at that
//! entry (cut short, replaced), or when it is gone while its head is not (deleted).

use crate::LedgerError;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use venuecode::Timestamp;
use venuecode::trace::audit::{AuditChain, AuditKey};

/// One query to log: when, who, why, what was asked and how many results it gave.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'a> {
    /// When the query was made.
    pub at: Timestamp,
    /// The official or account that asked.
    pub by: &'a str,
    /// The case it serves.
    pub reason: &'a str,
    /// What was asked (its kind and parameters; never an ID number).
    pub query: &'a serde_json::Value,
    /// How many results the answer holds.
    pub results: u64,
}

/// Where a desk's audit log is kept. A desk shows an answer only once its query is appended.
pub trait Journal: Send + Sync {
    /// Appends `q` after checking the chain it extends against the head kept; makes it
    /// durable, keeps the new head, and gives it.
    fn append(&self, q: &Asked<'_>) -> Result<String, LedgerError>;

    /// The log's chain, every entry checked, and checked against the head kept.
    fn read(&self) -> Result<AuditChain, LedgerError>;
}

/// An audit log file: its path, the file its head is kept in, and the key of its MACs.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
    head: PathBuf,
    key: AuditKey,
}

/// The head kept: entries and the last MAC (the JSON of [`AuditChain`]).
#[derive(serde::Serialize, serde::Deserialize)]
pub(crate) struct Kept {
    entries: u64,
    head: String,
}

impl Kept {
    /// The head kept in `path`, if any.
    pub(crate) fn read(path: &Path) -> Result<Option<Kept>, LedgerError> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|_| LedgerError::Corrupt(format!("the audit head {}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(LedgerError::File(path.display().to_string(), e)),
        }
    }

    /// Keeps `chain`'s head in `path`.
    pub(crate) fn keep(path: &Path, chain: &AuditChain) -> Result<(), LedgerError> {
        let kept = Kept {
            entries: chain.entries(),
            head: chain.head().to_owned(),
        };
        let bytes = serde_json::to_vec(&kept)
            .map_err(|e| LedgerError::Corrupt(format!("the audit head: {e}")))?;
        crate::files::write_atomically(path, crate::files::Access::Private, &bytes)
    }
}

/// Extends `chain` by `lines`, each checked; then checks the result against the head kept (if
/// any) when `chain` had not yet passed it. Gives why the log is refused, if it is.
pub(crate) fn extend<'a>(
    chain: &mut AuditChain,
    lines: impl IntoIterator<Item = &'a str>,
    kept: Option<&Kept>,
) -> Result<(), String> {
    let from = chain.entries();
    let mut at_kept = None;
    for line in lines {
        let entry = chain.push_line(line).map_err(|e| e.to_string())?;
        if kept.is_some_and(|k| k.entries == entry.seq) {
            at_kept = Some(entry.hash);
        }
    }
    match kept {
        Some(k) if k.entries > from => {
            if chain.entries() < k.entries {
                return Err(format!(
                    "{} entries where the head kept says {} (cut short)",
                    chain.entries(),
                    k.entries
                ));
            }
            if at_kept.as_deref() != Some(k.head.as_str()) {
                return Err(format!(
                    "entry {} is not the one whose head was kept (replaced)",
                    k.entries
                ));
            }
        }
        _ => {}
    }
    Ok(())
}

impl AuditLog {
    /// The log at `path` under `key`, its head kept in `path` with `.head` added.
    pub fn new(path: PathBuf, key: AuditKey) -> AuditLog {
        let mut head = path.clone().into_os_string();
        head.push(".head");
        AuditLog {
            path,
            head: head.into(),
            key,
        }
    }

    /// The same log with its head kept at `head` (another disk, another machine's mount).
    pub fn with_head(mut self, head: PathBuf) -> AuditLog {
        self.head = head;
        self
    }

    /// The log's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where its head is kept.
    pub fn head_path(&self) -> &Path {
        &self.head
    }

    /// Appends `q` (the log created if missing) after checking the chain it extends against
    /// the head kept, makes it durable, then keeps the new head; gives that head. A caller shows
    /// an answer only after this succeeded.
    pub fn append(&self, q: &Asked<'_>) -> Result<String, LedgerError> {
        let at_path = |e| LedgerError::File(self.path.display().to_string(), e);
        let kept = self.kept()?;
        if kept.as_ref().is_some_and(|k| k.entries > 0) && !self.path.exists() {
            return Err(self.broken("it is gone while its head is kept (deleted?)"));
        }
        let mut options = std::fs::OpenOptions::new();
        options.read(true).append(true).create(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&self.path).map_err(at_path)?;
        // Released when the file is closed, also if this fails half way.
        file.lock().map_err(at_path)?;
        // Read again under the lock: another process may have appended since.
        let kept = self.kept()?;
        let mut chain = self.chain_of(&mut file, kept.as_ref())?;
        let line = chain.append(q.at, q.by, q.reason, q.query.clone(), q.results)?;
        file.write_all(line.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(at_path)?;
        self.keep(&chain)?;
        Ok(chain.head().to_owned())
    }

    /// The log's chain, every entry checked, and checked against the head kept: `invalid_input`
    /// at the first line edited, removed or reordered, or for a log cut short, replaced or gone.
    /// A log that was never written (neither it nor its head) is an empty chain.
    pub fn read(&self) -> Result<AuditChain, LedgerError> {
        let kept = self.kept()?;
        match std::fs::File::open(&self.path) {
            Ok(mut file) => self.chain_of(&mut file, kept.as_ref()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => match kept {
                Some(k) if k.entries > 0 => {
                    Err(self.broken("it is gone while its head is kept (deleted?)"))
                }
                _ => Ok(AuditChain::new(self.key.clone())),
            },
            Err(e) => Err(LedgerError::File(self.path.display().to_string(), e)),
        }
    }

    fn chain_of(
        &self,
        file: &mut std::fs::File,
        kept: Option<&Kept>,
    ) -> Result<AuditChain, LedgerError> {
        let mut text = String::new();
        file.rewind()
            .and_then(|_| file.read_to_string(&mut text))
            .map_err(|e| LedgerError::File(self.path.display().to_string(), e))?;
        let mut chain = AuditChain::new(self.key.clone());
        extend(&mut chain, text.lines(), kept).map_err(|why| self.broken(&why))?;
        if kept.is_none() && chain.entries() > 0 {
            return Err(self.broken("its head is not kept (the head file is gone)"));
        }
        Ok(chain)
    }

    fn broken(&self, why: &str) -> LedgerError {
        LedgerError::Core(venuecode::Error::InvalidInput {
            field: "audit_log",
            reason: format!("{}: {why}", self.path.display()),
        })
    }

    /// The head kept, if any.
    fn kept(&self) -> Result<Option<Kept>, LedgerError> {
        Kept::read(&self.head)
    }

    fn keep(&self, chain: &AuditChain) -> Result<(), LedgerError> {
        Kept::keep(&self.head, chain)
    }
}

impl Journal for AuditLog {
    fn append(&self, q: &Asked<'_>) -> Result<String, LedgerError> {
        AuditLog::append(self, q)
    }

    fn read(&self) -> Result<AuditChain, LedgerError> {
        AuditLog::read(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked<'a>(q: &'a serde_json::Value, reason: &'static str) -> Asked<'a> {
        Asked {
            at: Timestamp::from_unix(1_649_203_200),
            by: "officer-7",
            reason,
            query: q,
            results: 1,
        }
    }

    fn log(dir: &Path) -> AuditLog {
        AuditLog::new(dir.join("audit.jsonl"), AuditKey::from_bytes([7; 32]))
    }

    fn three(dir: &Path) -> (AuditLog, Vec<String>) {
        let log = log(dir);
        let heads = (0..3)
            .map(|n| {
                let q = serde_json::json!({"kind": "venue", "n": n});
                log.append(&asked(&q, "case 1")).unwrap()
            })
            .collect();
        (log, heads)
    }

    #[test]
    fn entries_chain_across_opens_and_an_edit_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let (log, heads) = three(dir.path());
        let chain = log.read().unwrap();
        assert_eq!(chain.entries(), 3);
        assert_eq!(chain.head(), heads[2]);
        assert_ne!(heads[0], heads[1]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(log.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let text = std::fs::read_to_string(log.path()).unwrap();
        std::fs::write(log.path(), text.replacen("case 1", "case 2", 1)).unwrap();
        assert_eq!(log.read().unwrap_err().code(), "invalid_input");
        let q = serde_json::json!({"kind": "venue", "n": 9});
        assert!(
            log.append(&asked(&q, "case 1")).is_err(),
            "an edited log is not extended"
        );
        assert_eq!(
            std::fs::read_to_string(log.path()).unwrap().lines().count(),
            3
        );
    }

    #[test]
    fn a_log_cut_short_deleted_or_rewritten_is_refused() {
        // (red team, 2026-12: the service took a log cut short, deleted or rewritten with its
        // hashes recomputed.)
        let dir = tempfile::tempdir().unwrap();
        let (log, _) = three(dir.path());
        let text = std::fs::read_to_string(log.path()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        // Cut short: two entries of three.
        std::fs::write(log.path(), format!("{}\n{}\n", lines[0], lines[1])).unwrap();
        let e = log.read().unwrap_err().to_string();
        assert!(e.contains("cut short"), "{e}");
        let q = serde_json::json!({"kind": "venue"});
        assert!(log.append(&asked(&q, "case 1")).is_err());
        // Deleted.
        std::fs::remove_file(log.path()).unwrap();
        let e = log.read().unwrap_err().to_string();
        assert!(e.contains("deleted"), "{e}");
        assert!(log.append(&asked(&q, "case 1")).is_err());
        assert!(!log.path().exists(), "no new log in its place");
        // Rewritten whole under another key, every MAC recomputed.
        let forger = AuditLog::new(log.path().to_owned(), AuditKey::from_bytes([8; 32]))
            .with_head(dir.path().join("forger.head"));
        for _ in 0..3 {
            forger.append(&asked(&q, "case 1")).unwrap();
        }
        let e = log.read().unwrap_err().to_string();
        assert!(e.contains("MAC"), "{e}");
        // Its head file gone while the log stays: refused too.
        let dir = tempfile::tempdir().unwrap();
        let (log, _) = three(dir.path());
        std::fs::remove_file(dir.path().join("audit.jsonl.head")).unwrap();
        let e = log.read().unwrap_err().to_string();
        assert!(e.contains("head"), "{e}");
    }

    #[test]
    fn the_head_may_be_kept_elsewhere_and_a_new_log_reads_empty() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        let log = log(dir.path()).with_head(elsewhere.path().join("kept.head"));
        assert_eq!(log.read().unwrap().entries(), 0);
        let q = serde_json::json!({"kind": "venue"});
        let head = log.append(&asked(&q, "case 1")).unwrap();
        let kept = std::fs::read_to_string(elsewhere.path().join("kept.head")).unwrap();
        assert!(kept.contains(&head), "{kept}");
        assert!(!dir.path().join("audit.jsonl.head").exists());
    }

    #[test]
    fn a_missing_log_folder_names_its_path() {
        let log = AuditLog::new(
            PathBuf::from("/nonexistent/audit.jsonl"),
            AuditKey::from_bytes([7; 32]),
        );
        let q = serde_json::json!({"kind": "venue"});
        let err = log.append(&asked(&q, "case 1")).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/audit.jsonl"),
            "{err}"
        );
    }
}
