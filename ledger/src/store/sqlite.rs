//! The embedded store: the SQLite ledger, written by one thread with group commit, read through
//! its own connection.
//!
//! Every request that stores records (a check-in, a gate's batch) hands them to the writer and
//! waits. The writer takes every request that arrived while it was committing, stores them all in
//! one transaction (WAL, `synchronous = FULL`: one fsync for the group) and then answers each.
//! A request is acknowledged only after its transaction is on disk, so a killed service loses no
//! acknowledged record; record ids are unique, so a retry stores nothing twice.

use super::{Batches, Job, MAX_QUEUED};
use crate::Ledger;
use crate::LedgerError;
use crate::sightings::{Entry, Stored};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use venuecode::record::Day;

/// The ledger of the service.
#[derive(Clone)]
pub struct SqliteStore {
    path: PathBuf,
    jobs: mpsc::SyncSender<Job>,
    reader: Arc<Mutex<Ledger>>,
}

impl SqliteStore {
    /// Opens the ledger at `path` and starts its writer thread.
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        let mut writer = Ledger::open(path)?;
        let reader = Ledger::open(path)?;
        let (jobs, queue) = mpsc::sync_channel::<Job>(MAX_QUEUED);
        std::thread::Builder::new()
            .name("venuecode-writer".into())
            .spawn(move || write_groups(&mut writer, &queue))?;
        Ok(SqliteStore {
            path: path.to_owned(),
            jobs,
            reader: Arc::new(Mutex::new(reader)),
        })
    }

    /// Stores records durably; says of each whether it was new. Returns once they are on disk.
    pub async fn append(&self, entries: Vec<Entry>) -> Result<Vec<Stored>, LedgerError> {
        super::submit(entries, |job| self.jobs.try_send(job).is_ok()).await
    }

    /// Runs a read (or a small write outside the records: a venue's key) on the reading
    /// connection, off the async threads.
    pub(crate) async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Ledger) -> Result<T, LedgerError> + Send + 'static,
    ) -> Result<T, LedgerError> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let mut ledger = reader
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut ledger)
        })
        .await
        .map_err(|_| LedgerError::Stopped)?
    }
}

impl SqliteStore {
    /// The presences of the CST days `from` to `to` (either open), in batches, read through a
    /// connection of its own so that a long trace holds up no other read.
    pub(crate) fn presences(&self, from: Option<Day>, to: Option<Day>, batches: Batches) {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let read = Ledger::open(&path).and_then(|l| {
                l.presences_of_days(from, to, |batch| {
                    // A caller gone (its request timed out) stops the sending, not the read.
                    let _ = batches.blocking_send(Ok(batch.to_vec()));
                })
            });
            if let Err(e) = read {
                let _ = batches.blocking_send(Err(e));
            }
        });
    }
}

fn write_groups(ledger: &mut Ledger, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let group = super::group(first, || queue.try_recv().ok());
        let all: Vec<Entry> = group
            .iter()
            .flat_map(|j| j.entries.iter().cloned())
            .collect();
        super::answer(group, ledger.append_entries(&all));
    }
}
