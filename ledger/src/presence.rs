//! What a trace reads, from where it lies: a ledger (SQLite) or a Parquet export, told apart by
//! their first bytes. Both are read in batches, so a trace's memory stays flat however large the
//! source. The authority's index of opened references (`trace open`) is written here too.

use crate::parquet::err;
use crate::{Filter, Ledger, LedgerError};
use parquet::data_type::{ByteArray, ByteArrayType, FixedLenByteArrayType};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use parquet::schema::parser::parse_message_type;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use venuecode::Timestamp;
use venuecode::policy::Outcome;
use venuecode::record::{Day, Origin, RecordId};
use venuecode::token::HolderToken;
use venuecode::trace::{Presence, TraceRef};

/// Presences handed to the caller at a time.
pub const BATCH: usize = 10_000;

/// The columns of an export a trace reads (as the file has them: record ids as 16 bytes, or as
/// hex text in an export from before 2026-12-07).
const PROJECTION: [&str; 8] = [
    "record_id",
    "origin",
    "venue_id",
    "door",
    "at",
    "decision",
    "resolves",
    "trace_ref",
];

/// What kind of file a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceKind {
    /// A scan ledger.
    Ledger,
    /// A Parquet export (`records export --format parquet`).
    Parquet,
}

/// Tells a ledger from a Parquet export by its first bytes.
pub fn source_kind(path: &Path) -> Result<SourceKind, LedgerError> {
    let mut head = [0u8; 16];
    let mut file = std::fs::File::open(path)?;
    let mut read = 0;
    while read < head.len() {
        match file.read(&mut head[read..])? {
            0 => break,
            n => read += n,
        }
    }
    if head[..read].starts_with(b"PAR1") {
        Ok(SourceKind::Parquet)
    } else if head[..read].starts_with(b"SQLite format 3\0") {
        Ok(SourceKind::Ledger)
    } else {
        Err(LedgerError::Schema(format!(
            "{}: neither a ledger nor a Parquet export",
            path.display()
        )))
    }
}

/// Reads every presence of a source, [`BATCH`] at a time; gives how many rows it read.
pub fn read_presences(path: &Path, f: impl FnMut(&[Presence])) -> Result<u64, LedgerError> {
    match source_kind(path)? {
        SourceKind::Ledger => Ledger::open(path)?.presences(f),
        SourceKind::Parquet => parquet_presences(path, f),
    }
}

impl Ledger {
    /// The presences of the CST days `from` to `to` (either open), [`BATCH`] at a time, read a
    /// day at a time through the index on days (a day's trace reads that day, not the ledger);
    /// gives how many records it read.
    pub fn presences_of_days(
        &self,
        from: Option<Day>,
        to: Option<Day>,
        f: impl FnMut(&[Presence]),
    ) -> Result<u64, LedgerError> {
        let (Some(first), Some(last)) = self.days_held()? else {
            return Ok(0);
        };
        let (first, last) = (
            from.map_or(first, |d| d.0.max(first)),
            to.map_or(last, |d| d.0.min(last)),
        );
        let mut batches = Batches::new(f);
        let mut n = 0;
        for day in first..=last {
            let filter = Filter {
                day: Some(Day(day)),
                ..Filter::default()
            };
            n += self.for_each(&filter, |r| batches.push(&r))?;
        }
        batches.finish();
        Ok(n)
    }

    /// Every presence the ledger holds, [`BATCH`] at a time; gives how many records it read.
    pub fn presences(&self, f: impl FnMut(&[Presence])) -> Result<u64, LedgerError> {
        let mut batches = Batches::new(f);
        let n = self.for_each(&Filter::default(), |r| batches.push(&r))?;
        batches.finish();
        Ok(n)
    }
}

/// Presences handed on [`BATCH`] at a time.
struct Batches<F: FnMut(&[Presence])> {
    batch: Vec<Presence>,
    f: F,
}

impl<F: FnMut(&[Presence])> Batches<F> {
    fn new(f: F) -> Self {
        Batches {
            batch: Vec::with_capacity(BATCH),
            f,
        }
    }

    fn push(&mut self, r: &venuecode::record::ScanRecord) {
        self.batch.extend(Presence::of(r));
        if self.batch.len() == BATCH {
            (self.f)(&self.batch);
            self.batch.clear();
        }
    }

    fn finish(mut self) {
        if !self.batch.is_empty() {
            (self.f)(&self.batch);
        }
    }
}

fn parquet_presences(path: &Path, mut f: impl FnMut(&[Presence])) -> Result<u64, LedgerError> {
    let file = std::fs::File::open(path)?;
    // The parquet crate is not ours to make total: a file that makes it panic is refused as
    // one it could not read, not a crash of the authority's tool.
    let run = std::panic::AssertUnwindSafe(|| -> Result<u64, LedgerError> {
        let reader = SerializedFileReader::new(file).map_err(err)?;
        let schema = reader.metadata().file_metadata().schema();
        let fields = schema
            .get_fields()
            .iter()
            .filter(|f| PROJECTION.contains(&f.name()))
            .cloned()
            .collect();
        let projection = parquet::schema::types::Type::group_type_builder(schema.name())
            .with_fields(fields)
            .build()
            .map_err(err)?;
        let mut batch = Vec::with_capacity(BATCH);
        let mut n = 0;
        for row in reader.get_row_iter(Some(projection)).map_err(err)? {
            let row = row.map_err(err)?;
            n += 1;
            if let Some(p) = presence(&row)? {
                batch.push(p);
            }
            if batch.len() == BATCH {
                f(&batch);
                batch.clear();
            }
        }
        if !batch.is_empty() {
            f(&batch);
        }
        Ok(n)
    });
    std::panic::catch_unwind(run).unwrap_or_else(|_| {
        Err(LedgerError::Schema(format!(
            "{}: the Parquet reader failed on this file",
            path.display()
        )))
    })
}

/// A record id from its 16 bytes.
fn record_id(bytes: &[u8]) -> Result<RecordId, LedgerError> {
    bytes
        .try_into()
        .map(RecordId)
        .map_err(|_| LedgerError::Corrupt("parquet record_id: not 16 bytes".into()))
}

/// A row's presence; `None` for a resolution.
fn presence(row: &parquet::record::Row) -> Result<Option<Presence>, LedgerError> {
    let corrupt = |what: &str| LedgerError::Corrupt(format!("parquet {what}"));
    let (mut id, mut origin, mut venue, mut door, mut at, mut decision) =
        (None, None, None, None, None, None);
    let (mut resolves, mut trace) = (false, None);
    for (name, field) in row.get_column_iter() {
        match (name.as_str(), field) {
            ("record_id", Field::Bytes(b)) => id = Some(record_id(b.data())?),
            ("record_id", Field::Str(s)) => id = Some(s.parse::<RecordId>()?),
            ("origin", Field::Str(s)) => origin = Some(s.parse::<Origin>()?),
            ("venue_id", Field::Str(s)) => venue = Some(s.clone()),
            ("door", Field::Str(s)) => door = Some(s.clone()),
            ("at", Field::TimestampMillis(ms)) => at = Some(Timestamp::from_unix_millis(*ms)),
            ("decision", Field::Str(s)) => {
                decision = Some(crate::parse::<Outcome>(s).map_err(|_| corrupt("decision"))?)
            }
            ("resolves", Field::Str(_) | Field::Bytes(_)) => resolves = true,
            ("trace_ref", Field::Bytes(b)) => trace = Some(TraceRef::from_bytes(b.data())?),
            (_, Field::Null) => {}
            (other, _) => return Err(corrupt(other)),
        }
    }
    if resolves {
        return Ok(None);
    }
    Ok(Some(Presence {
        id: id.ok_or_else(|| corrupt("record_id"))?,
        origin: origin.ok_or_else(|| corrupt("origin"))?,
        venue_id: venue.ok_or_else(|| corrupt("venue_id"))?,
        door: door.ok_or_else(|| corrupt("door"))?,
        at: at.ok_or_else(|| corrupt("at"))?,
        decision: decision.ok_or_else(|| corrupt("decision"))?,
        trace,
    }))
}

/// A row of the index: a record and its holder.
type Opened = (RecordId, HolderToken);

/// Writes the authority's index of opened references as Parquet: `record_id` (its 16 bytes, as in
/// the exports it joins) and `holder` (the holder token, 32 hex digits), for SQL over exports in DuckDB or Spark, a row group at a time.
/// It names who was where: the authority's alone, kept as its tracing key is.
pub struct OpenedWriter<W: Write + Send> {
    writer: SerializedFileWriter<W>,
    rows: Vec<Opened>,
    written: u64,
}

impl<W: Write + Send> OpenedWriter<W> {
    /// A new index written to `out`.
    pub fn new(out: W) -> Result<Self, LedgerError> {
        let schema = Arc::new(
            parse_message_type(
                "message opened {
                   REQUIRED FIXED_LEN_BYTE_ARRAY(16) record_id;
                   REQUIRED BYTE_ARRAY holder (UTF8);
                 }",
            )
            .map_err(err)?,
        );
        Ok(OpenedWriter {
            writer: SerializedFileWriter::new(out, schema, crate::parquet::properties())
                .map_err(err)?,
            rows: Vec::with_capacity(crate::parquet::ROW_GROUP),
            written: 0,
        })
    }

    /// Adds a record's holder.
    pub fn push(&mut self, id: RecordId, holder: HolderToken) -> Result<(), LedgerError> {
        self.rows.push((id, holder));
        if self.rows.len() == crate::parquet::ROW_GROUP {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), LedgerError> {
        let mut group = self.writer.next_row_group().map_err(err)?;
        if let Some(mut col) = group.next_column().map_err(err)? {
            let ids = crate::parquet::ids(self.rows.iter().map(|(id, _)| *id));
            col.typed::<FixedLenByteArrayType>()
                .write_batch(&ids, None, None)
                .map_err(err)?;
            col.close().map_err(err)?;
        }
        if let Some(mut col) = group.next_column().map_err(err)? {
            let holders: Vec<ByteArray> = self
                .rows
                .iter()
                .map(|(_, holder)| ByteArray::from(holder.to_string().into_bytes()))
                .collect();
            col.typed::<ByteArrayType>()
                .write_batch(&holders, None, None)
                .map_err(err)?;
            col.close().map_err(err)?;
        }
        group.close().map_err(err)?;
        self.written += self.rows.len() as u64;
        self.rows.clear();
        Ok(())
    }

    /// Writes what is left and the footer; gives how many rows the index holds.
    pub fn finish(mut self) -> Result<u64, LedgerError> {
        if !self.rows.is_empty() {
            self.flush()?;
        }
        self.writer.close().map_err(err)?;
        Ok(self.written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use venuecode::trace::TraceKey;

    #[test]
    fn a_parquet_export_reads_back_as_the_ledger_s_presences() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
        let authority = TraceKey::derive(&[4; 32]);
        for i in 0..(i64::try_from(BATCH).unwrap() + 3) {
            let mut r = crate::tests::record(1_649_203_200 + i, "东门", Some(1));
            if i % 2 == 0 {
                r.trace = Some(
                    authority
                        .public()
                        .seal(&HolderToken([1; 16]), &r.id.0, &[2; 32]),
                );
            }
            if i == 5 {
                r.resolves = Some(r.id);
            }
            ledger.append(&r).unwrap();
        }
        let path = dir.path().join("x.parquet");
        crate::parquet::export(
            &ledger,
            &Filter::default(),
            std::fs::File::create(&path).unwrap(),
        )
        .unwrap();
        let collect = |p: &Path| {
            let mut all = Vec::new();
            let n = read_presences(p, |b| {
                assert!(b.len() <= BATCH);
                all.extend_from_slice(b);
            })
            .unwrap();
            (n, all)
        };
        let (n, from_parquet) = collect(&path);
        let (m, from_ledger) = collect(&dir.path().join("l.sqlite"));
        assert_eq!((n, m), (BATCH as u64 + 3, BATCH as u64 + 3));
        // The resolution is no presence of its own.
        assert_eq!(from_parquet.len(), BATCH + 2);
        assert_eq!(from_parquet, from_ledger);
        let sealed = &from_parquet[0];
        assert_eq!(
            authority
                .open(&sealed.trace.unwrap(), &sealed.id.0)
                .unwrap(),
            HolderToken([1; 16])
        );
    }

    #[test]
    fn an_export_with_ids_in_hex_from_before_is_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.parquet");
        let r = crate::tests::record(1_649_203_200, "东门", Some(1));
        let schema = parse_message_type(
            "message scan_record {
               REQUIRED BYTE_ARRAY record_id (UTF8);
               REQUIRED BYTE_ARRAY origin (UTF8);
               REQUIRED BYTE_ARRAY venue_id (UTF8);
               REQUIRED BYTE_ARRAY door (UTF8);
               REQUIRED INT64 at (TIMESTAMP(MILLIS,true));
               REQUIRED BYTE_ARRAY decision (UTF8);
             }",
        )
        .unwrap();
        let file = std::fs::File::create(&path).unwrap();
        let mut writer =
            SerializedFileWriter::new(file, Arc::new(schema), crate::parquet::properties())
                .unwrap();
        let mut group = writer.next_row_group().unwrap();
        let texts = [
            r.id.to_string(),
            r.origin.name().to_owned(),
            r.venue_id.clone(),
            r.door.clone(),
        ];
        for text in &texts {
            let mut col = group.next_column().unwrap().unwrap();
            col.typed::<ByteArrayType>()
                .write_batch(&[ByteArray::from(text.as_bytes().to_vec())], None, None)
                .unwrap();
            col.close().unwrap();
        }
        let mut col = group.next_column().unwrap().unwrap();
        col.typed::<parquet::data_type::Int64Type>()
            .write_batch(&[r.at.unix() * 1000], None, None)
            .unwrap();
        col.close().unwrap();
        let mut col = group.next_column().unwrap().unwrap();
        col.typed::<ByteArrayType>()
            .write_batch(&[ByteArray::from(b"admit".to_vec())], None, None)
            .unwrap();
        col.close().unwrap();
        group.close().unwrap();
        writer.close().unwrap();
        let mut read = Vec::new();
        read_presences(&path, |b| read.extend_from_slice(b)).unwrap();
        assert_eq!(read.len(), 1);
        assert_eq!((read[0].id, read[0].at), (r.id, r.at));
    }

    #[test]
    fn files_that_are_neither_are_refused_without_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "not records").unwrap();
        assert!(read_presences(&text, |_| {}).is_err());
        let mut state = 1u64;
        for len in [4, 8, 64, 4096] {
            let mut bytes = b"PAR1".to_vec();
            bytes.extend((4..len).map(|_| {
                state = state
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1);
                (state >> 56) as u8
            }));
            let path = dir.path().join(format!("bad-{len}.parquet"));
            std::fs::write(&path, &bytes).unwrap();
            assert!(read_presences(&path, |_| {}).is_err(), "{len}");
        }
    }
}
