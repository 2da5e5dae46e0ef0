//! Scan records as Apache Parquet, for analysis of a city's records in an existing engine
//! (DuckDB, Spark, DataFusion). Written a row group at a time, so memory stays flat however many
//! records a ledger holds. Columns as in docs/schema/scan-record-v2.json, plus `day` (the China
//! Standard Time day, a Parquet DATE), Snappy-compressed. Record ids (`record_id`, `resolves`)
//! are their 16 bytes (`FIXED_LEN_BYTE_ARRAY(16)`), not 32 hex digits: random hex does not
//! compress, and a city's day of exports was three times the size for it.

use crate::{Filter, Ledger, LedgerError};
use parquet::basic::Compression;
use parquet::data_type::{
    BoolType, ByteArray, ByteArrayType, FixedLenByteArray, FixedLenByteArrayType, Int32Type,
    Int64Type,
};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::io::Write;
use std::sync::Arc;
use venuecode::record::{Day, ExportedRecord, RecordId, ScanRecord};

/// Records a row group holds.
pub const ROW_GROUP: usize = 65_536;

/// A column and how to fill it.
enum Column {
    /// A record id's 16 bytes.
    Id(fn(&ScanRecord) -> RecordId),
    OptionalId(fn(&ScanRecord) -> Option<RecordId>),
    Text(fn(&ScanRecord) -> String),
    OptionalText(fn(&ScanRecord) -> Option<String>),
    /// Bytes (a BLOB in DuckDB): the sealed trace reference.
    OptionalBytes(fn(&ScanRecord) -> Option<Vec<u8>>),
    At,
    Day,
    TestAge,
    Report,
}

/// The columns, in order: the JSON Schema's fields (an [`ExportedRecord`]'s), plus the CST `day`
/// after `at`.
const COLUMNS: [(&str, Column); 20] = [
    ("record_id", Column::Id(|r| r.id)),
    ("origin", Column::Text(|r| r.origin.name().to_owned())),
    ("device", Column::Text(|r| r.device.clone())),
    ("venue_id", Column::Text(|r| r.venue_id.clone())),
    ("door", Column::Text(|r| r.door.clone())),
    ("at", Column::At),
    ("day", Column::Day),
    (
        "pseudonym",
        Column::OptionalText(|r| r.pseudonym.map(|p| p.to_string())),
    ),
    (
        "id_division",
        Column::OptionalText(|r| ExportedRecord::of(r).id_division.map(str::to_owned)),
    ),
    (
        "profile",
        Column::OptionalText(|r| r.profile.map(|p| crate::text(&p))),
    ),
    (
        "code_state",
        Column::OptionalText(|r| r.code_state.map(|c| c.name().to_owned())),
    ),
    (
        "colour",
        Column::OptionalText(|r| r.colour.map(|c| c.name().to_owned())),
    ),
    ("test_age_hours", Column::TestAge),
    ("decision", Column::Text(|r| crate::text(&r.decision))),
    ("report", Column::Report),
    ("rule", Column::Text(|r| r.rule.clone())),
    ("staff", Column::OptionalText(|r| r.staff.clone())),
    ("resolves", Column::OptionalId(|r| r.resolves)),
    (
        "trace_ref",
        Column::OptionalBytes(|r| r.trace.map(|t| t.0.to_vec())),
    ),
    ("companion_of", Column::OptionalId(|r| r.companion_of)),
];

/// The Parquet schema of [`COLUMNS`].
fn schema() -> String {
    let fields: String = COLUMNS
        .iter()
        .map(|(name, column)| {
            let kind = match column {
                Column::Id(_) => "REQUIRED FIXED_LEN_BYTE_ARRAY(16)",
                Column::OptionalId(_) => "OPTIONAL FIXED_LEN_BYTE_ARRAY(16)",
                Column::Text(_) => "REQUIRED BYTE_ARRAY",
                Column::OptionalText(_) | Column::OptionalBytes(_) => "OPTIONAL BYTE_ARRAY",
                Column::At => "REQUIRED INT64",
                Column::Day => "REQUIRED INT32",
                Column::TestAge => "OPTIONAL INT32",
                Column::Report => "REQUIRED BOOLEAN",
            };
            let logical = match column {
                Column::Text(_) | Column::OptionalText(_) => " (UTF8)",
                Column::At => " (TIMESTAMP(MILLIS,true))",
                Column::Day => " (DATE)",
                Column::Id(_)
                | Column::OptionalId(_)
                | Column::TestAge
                | Column::Report
                | Column::OptionalBytes(_) => "",
            };
            format!("  {kind} {name}{logical};\n")
        })
        .collect();
    format!("message scan_record {{\n{fields}}}")
}

/// How every Parquet file of ours is written: Snappy-compressed.
pub(crate) fn properties() -> Arc<WriterProperties> {
    Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    )
}

pub(crate) fn err(e: parquet::errors::ParquetError) -> LedgerError {
    LedgerError::Schema(format!("parquet: {e}"))
}

/// Writes the records that pass `filter` to `out` as Parquet; gives how many.
pub fn export<W: Write + Send>(
    ledger: &Ledger,
    filter: &Filter,
    out: W,
) -> Result<u64, LedgerError> {
    let mut writer = RecordWriter::new(out)?;
    let mut failed = None;
    ledger.for_each(filter, |r| {
        if failed.is_none()
            && let Err(e) = writer.push(r)
        {
            failed = Some(e);
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    writer.finish()
}

/// Records written as Parquet a row group at a time, from a ledger or from anywhere.
pub struct RecordWriter<W: Write + Send> {
    writer: SerializedFileWriter<W>,
    batch: Vec<ScanRecord>,
    written: u64,
}

impl<W: Write + Send> RecordWriter<W> {
    /// A new file written to `out`.
    pub fn new(out: W) -> Result<Self, LedgerError> {
        let schema = Arc::new(parse_message_type(&schema()).map_err(err)?);
        Ok(RecordWriter {
            writer: SerializedFileWriter::new(out, schema, properties()).map_err(err)?,
            batch: Vec::with_capacity(ROW_GROUP),
            written: 0,
        })
    }

    /// Adds a record.
    pub fn push(&mut self, r: ScanRecord) -> Result<(), LedgerError> {
        self.batch.push(r);
        if self.batch.len() == ROW_GROUP {
            write_group(&mut self.writer, &self.batch)?;
            self.written += self.batch.len() as u64;
            self.batch.clear();
        }
        Ok(())
    }

    /// Writes what is left and the footer; gives how many records the file holds.
    pub fn finish(mut self) -> Result<u64, LedgerError> {
        if !self.batch.is_empty() {
            write_group(&mut self.writer, &self.batch)?;
            self.written += self.batch.len() as u64;
        }
        self.writer.close().map_err(err)?;
        Ok(self.written)
    }
}

/// Record ids as Parquet's fixed-length values.
pub(crate) fn ids(values: impl Iterator<Item = RecordId>) -> Vec<FixedLenByteArray> {
    values
        .map(|id| FixedLenByteArray::from(id.0.to_vec()))
        .collect()
}

fn strings(values: impl Iterator<Item = String>) -> Vec<ByteArray> {
    values.map(|s| ByteArray::from(s.into_bytes())).collect()
}

/// Present values and definition levels of an optional column.
fn optional<T>(values: impl Iterator<Item = Option<T>>) -> (Vec<T>, Vec<i16>) {
    let (mut present, mut levels) = (Vec::new(), Vec::new());
    for v in values {
        levels.push(i16::from(v.is_some()));
        present.extend(v);
    }
    (present, levels)
}

fn write_group<W: Write + Send>(
    writer: &mut SerializedFileWriter<W>,
    b: &[ScanRecord],
) -> Result<(), LedgerError> {
    let mut group = writer.next_row_group().map_err(err)?;
    let mut columns = COLUMNS.iter();
    while let Some(mut col) = group.next_column().map_err(err)? {
        let Some((_, column)) = columns.next() else {
            return Err(LedgerError::Schema(
                "parquet: more columns than defined".into(),
            ));
        };
        match column {
            Column::Id(f) => {
                col.typed::<FixedLenByteArrayType>()
                    .write_batch(&ids(b.iter().map(f)), None, None)
            }
            Column::OptionalId(f) => {
                let (v, l) = optional(b.iter().map(f));
                col.typed::<FixedLenByteArrayType>().write_batch(
                    &ids(v.into_iter()),
                    Some(&l),
                    None,
                )
            }
            Column::Text(f) => {
                col.typed::<ByteArrayType>()
                    .write_batch(&strings(b.iter().map(f)), None, None)
            }
            Column::OptionalText(f) => {
                let (v, l) = optional(b.iter().map(f));
                col.typed::<ByteArrayType>()
                    .write_batch(&strings(v.into_iter()), Some(&l), None)
            }
            Column::OptionalBytes(f) => {
                let (v, l) = optional(b.iter().map(f));
                let bytes: Vec<ByteArray> = v.into_iter().map(ByteArray::from).collect();
                col.typed::<ByteArrayType>()
                    .write_batch(&bytes, Some(&l), None)
            }
            Column::At => {
                let at: Vec<i64> = b.iter().map(|r| r.at.unix().saturating_mul(1000)).collect();
                col.typed::<Int64Type>().write_batch(&at, None, None)
            }
            Column::Day => {
                let days: Vec<i32> = b
                    .iter()
                    .map(|r| i32::try_from(Day::of(r.at).0).unwrap_or(0))
                    .collect();
                col.typed::<Int32Type>().write_batch(&days, None, None)
            }
            Column::TestAge => {
                let (v, l) = optional(b.iter().map(|r| {
                    r.test_age_hours
                        .map(|h| i32::try_from(h).unwrap_or(i32::MAX))
                }));
                col.typed::<Int32Type>().write_batch(&v, Some(&l), None)
            }
            Column::Report => {
                let reports: Vec<bool> = b.iter().map(|r| r.report).collect();
                col.typed::<BoolType>().write_batch(&reports, None, None)
            }
        }
        .map_err(err)?;
        col.close().map_err(err)?;
    }
    group.close().map_err(err)?;
    Ok(())
}
