//! The trace audit log on disk: core's hash chain ([`AuditChain`]) as a JSON Lines file, the
//! owner's only (0600), appended under an exclusive lock so that the CLI and the records service
//! (or two of either) never interleave or fork the chain.

use crate::LedgerError;
use std::io::{Read, Seek, Write};
use std::path::Path;
use venuecode::Timestamp;
use venuecode::trace::audit::AuditChain;

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

/// Appends `q` to the log at `path` (created if missing) after checking the chain it extends,
/// and makes it durable; gives the chain's new head. A caller shows an answer only after this
/// succeeded.
pub fn append(path: &Path, q: &Asked<'_>) -> Result<String, LedgerError> {
    let at_path = |e| LedgerError::File(path.display().to_string(), e);
    let mut options = std::fs::OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(at_path)?;
    // Released when the file is closed, also if this fails half way.
    file.lock().map_err(at_path)?;
    let mut chain = chain_of(&mut file, path)?;
    let line = chain.append(q.at, q.by, q.reason, q.query.clone(), q.results)?;
    file.write_all(line.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(at_path)?;
    Ok(chain.head().to_owned())
}

/// The chain of the log at `path`, every entry checked: `invalid_input` at the first line that
/// was edited, removed or reordered.
pub fn read(path: &Path) -> Result<AuditChain, LedgerError> {
    let mut file =
        std::fs::File::open(path).map_err(|e| LedgerError::File(path.display().to_string(), e))?;
    chain_of(&mut file, path)
}

fn chain_of(file: &mut std::fs::File, path: &Path) -> Result<AuditChain, LedgerError> {
    let mut text = String::new();
    file.rewind()
        .and_then(|_| file.read_to_string(&mut text))
        .map_err(|e| LedgerError::File(path.display().to_string(), e))?;
    let mut chain = AuditChain::new();
    for line in text.lines() {
        chain.push_line(line)?;
    }
    Ok(chain)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(n: u64) -> serde_json::Value {
        serde_json::json!({"kind": "venue", "n": n})
    }

    #[test]
    fn entries_chain_across_opens_and_an_edit_is_found() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let mut heads = Vec::new();
        for n in 0..3 {
            let q = query(n);
            heads.push(
                append(
                    &path,
                    &Asked {
                        at: Timestamp::from_unix(1_649_203_200),
                        by: "officer-7",
                        reason: "case 1",
                        query: &q,
                        results: n,
                    },
                )
                .unwrap(),
            );
        }
        let chain = read(&path).unwrap();
        assert_eq!(chain.entries(), 3);
        assert_eq!(chain.head(), heads[2]);
        assert_ne!(heads[0], heads[1]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, text.replacen("case 1", "case 2", 1)).unwrap();
        assert_eq!(read(&path).unwrap_err().code(), "invalid_input");
        let q = query(9);
        let refused = append(
            &path,
            &Asked {
                at: Timestamp::from_unix(1_649_203_300),
                by: "officer-7",
                reason: "case 1",
                query: &q,
                results: 0,
            },
        );
        assert!(refused.is_err(), "an edited log is not extended");
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 3);
    }

    #[test]
    fn a_missing_log_names_its_path() {
        let err = read(Path::new("/nonexistent/audit.jsonl")).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/audit.jsonl"),
            "{err}"
        );
    }
}
