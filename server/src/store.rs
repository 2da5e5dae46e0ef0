//! The records store: the SQLite ledger, written by one thread with group commit, read through
//! its own connection.
//!
//! Every request that stores records (a check-in, a gate's batch) hands them to the writer and
//! waits. The writer takes every request that arrived while it was committing, stores them all in
//! one transaction (WAL, `synchronous = FULL`: one fsync for the group) and then answers each.
//! A request is acknowledged only after its transaction is on disk, so a killed service loses no
//! acknowledged record; record ids are unique, so a retry stores nothing twice.

use crate::error::ApiError;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};
use tokio::sync::oneshot;
use venuecode::record::ScanRecord;
use venuecode_ledger::Ledger;

/// The most records one group commit stores: past this, the next group waits for the next
/// transaction (bounds a transaction's time and memory).
const MAX_GROUP_RECORDS: usize = 8192;

/// The most requests waiting for the writer; past this, storing answers `unavailable` at once
/// rather than queueing without bound.
const MAX_QUEUED: usize = 16_384;

struct Job {
    records: Vec<ScanRecord>,
    reply: oneshot::Sender<Result<Vec<bool>, ApiError>>,
}

/// The ledger of the service.
#[derive(Clone)]
pub struct Store {
    jobs: mpsc::SyncSender<Job>,
    reader: Arc<Mutex<Ledger>>,
    path: PathBuf,
}

impl Store {
    /// Opens the ledger at `path` and starts its writer thread.
    pub fn open(path: &Path) -> Result<Self, ApiError> {
        let mut writer = Ledger::open(path)?;
        let reader = Ledger::open(path)?;
        let (jobs, queue) = mpsc::sync_channel::<Job>(MAX_QUEUED);
        std::thread::Builder::new()
            .name("venuecode-writer".into())
            .spawn(move || write_groups(&mut writer, &queue))?;
        Ok(Store {
            jobs,
            reader: Arc::new(Mutex::new(reader)),
            path: path.to_owned(),
        })
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stores records durably; says of each whether it was new. Returns once they are on disk.
    pub async fn append(&self, records: Vec<ScanRecord>) -> Result<Vec<bool>, ApiError> {
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let (reply, answer) = oneshot::channel();
        self.jobs
            .try_send(Job { records, reply })
            .map_err(|_| ApiError::unavailable("the store is busy; retry"))?;
        answer
            .await
            .map_err(|_| ApiError::unavailable("the store stopped"))?
    }

    /// Runs a read on the ledger, off the async threads.
    pub async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Ledger) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        self.read_mut(move |l| f(l)).await
    }

    /// Runs a small write outside the records (a venue's key) on the reading connection.
    pub(crate) async fn read_mut<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Ledger) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let reader = self.reader.clone();
        tokio::task::spawn_blocking(move || {
            let mut ledger = reader
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut ledger)
        })
        .await
        .map_err(|_| ApiError::internal("a read stopped"))?
    }
}

fn write_groups(ledger: &mut Ledger, queue: &mpsc::Receiver<Job>) {
    while let Ok(first) = queue.recv() {
        let mut group = vec![first];
        let mut count = group[0].records.len();
        while count < MAX_GROUP_RECORDS {
            match queue.try_recv() {
                Ok(job) => {
                    count += job.records.len();
                    group.push(job);
                }
                Err(_) => break,
            }
        }
        let all: Vec<ScanRecord> = group
            .iter()
            .flat_map(|j| j.records.iter().cloned())
            .collect();
        match ledger.append_each(&all) {
            Ok(added) => {
                let mut rest = added.as_slice();
                for job in group {
                    let (mine, tail) = rest.split_at(job.records.len().min(rest.len()));
                    rest = tail;
                    // The requester may have gone (a timeout): its records are stored all the
                    // same, and its retry finds them there.
                    let _ = job.reply.send(Ok(mine.to_vec()));
                }
            }
            Err(e) => {
                let e = ApiError::from(e);
                for job in group {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
        }
    }
}
