//! Scan records as Apache Parquet, for analysis of a city's records in an existing engine
//! (DuckDB, Spark, DataFusion). Written a row group at a time, so memory stays flat however many
//! records a ledger holds. Columns as in docs/schema/scan-record-v1.json, plus `day` (the China
//! Standard Time day, a Parquet DATE), Snappy-compressed.

use crate::{Filter, Ledger, LedgerError};
use parquet::basic::Compression;
use parquet::data_type::{BoolType, ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use std::io::Write;
use std::sync::Arc;
use venuecode::record::{Day, ScanRecord};

/// Records a row group holds.
pub const ROW_GROUP: usize = 65_536;

const SCHEMA: &str = "
message scan_record {
  REQUIRED BYTE_ARRAY venue_id (UTF8);
  REQUIRED BYTE_ARRAY door (UTF8);
  REQUIRED INT64 at (TIMESTAMP(MILLIS,true));
  REQUIRED INT32 day (DATE);
  OPTIONAL BYTE_ARRAY pseudonym (UTF8);
  OPTIONAL BYTE_ARRAY name (UTF8);
  OPTIONAL BYTE_ARRAY id_number (UTF8);
  OPTIONAL BYTE_ARRAY profile (UTF8);
  REQUIRED BYTE_ARRAY code_state (UTF8);
  OPTIONAL BYTE_ARRAY colour (UTF8);
  OPTIONAL INT32 test_age_hours;
  REQUIRED BYTE_ARRAY decision (UTF8);
  REQUIRED BOOLEAN report;
  REQUIRED BYTE_ARRAY rule (UTF8);
}";

fn enum_text<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn err(e: parquet::errors::ParquetError) -> LedgerError {
    LedgerError::Schema(format!("parquet: {e}"))
}

/// Writes the records that pass `filter` to `out` as Parquet; gives how many.
pub fn export<W: Write + Send>(
    ledger: &Ledger,
    filter: &Filter,
    out: W,
) -> Result<u64, LedgerError> {
    let schema = Arc::new(parse_message_type(SCHEMA).map_err(err)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut writer = SerializedFileWriter::new(out, schema, props).map_err(err)?;
    let mut batch: Vec<ScanRecord> = Vec::with_capacity(ROW_GROUP);
    let mut failed = None;
    let n = ledger.for_each(filter, |r| {
        if failed.is_some() {
            return;
        }
        batch.push(r);
        if batch.len() == ROW_GROUP {
            if let Err(e) = write_group(&mut writer, &batch) {
                failed = Some(e);
            }
            batch.clear();
        }
    })?;
    if let Some(e) = failed {
        return Err(e);
    }
    if !batch.is_empty() {
        write_group(&mut writer, &batch)?;
    }
    writer.close().map_err(err)?;
    Ok(n)
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
    let mut column = 0;
    while let Some(mut col) = group.next_column().map_err(err)? {
        let text = |f: &dyn Fn(&ScanRecord) -> String| strings(b.iter().map(f));
        let opt_text = |f: &dyn Fn(&ScanRecord) -> Option<String>| {
            let (v, l) = optional(b.iter().map(f));
            (strings(v.into_iter()), l)
        };
        match column {
            0 => {
                col.typed::<ByteArrayType>()
                    .write_batch(&text(&|r| r.venue_id.clone()), None, None)
            }
            1 => col
                .typed::<ByteArrayType>()
                .write_batch(&text(&|r| r.door.clone()), None, None),
            2 => {
                let at: Vec<i64> = b.iter().map(|r| r.at.unix().saturating_mul(1000)).collect();
                col.typed::<Int64Type>().write_batch(&at, None, None)
            }
            3 => {
                let days: Vec<i32> = b
                    .iter()
                    .map(|r| i32::try_from(Day::of(r.at).0).unwrap_or(0))
                    .collect();
                col.typed::<Int32Type>().write_batch(&days, None, None)
            }
            4 | 5 | 6 | 7 | 9 => {
                let (v, l) = match column {
                    4 => opt_text(&|r| r.pseudonym.map(|p| p.to_string())),
                    5 => opt_text(&|r| r.name.clone()),
                    6 => opt_text(&|r| r.id_number.clone()),
                    7 => opt_text(&|r| r.profile.map(|p| enum_text(&p))),
                    _ => opt_text(&|r| r.colour.map(|c| enum_text(&c))),
                };
                col.typed::<ByteArrayType>().write_batch(&v, Some(&l), None)
            }
            8 => col.typed::<ByteArrayType>().write_batch(
                &text(&|r| r.code_state.name().to_owned()),
                None,
                None,
            ),
            10 => {
                let (v, l) = optional(b.iter().map(|r| {
                    r.test_age_hours
                        .map(|h| i32::try_from(h).unwrap_or(i32::MAX))
                }));
                col.typed::<Int32Type>().write_batch(&v, Some(&l), None)
            }
            11 => col.typed::<ByteArrayType>().write_batch(
                &text(&|r| enum_text(&r.decision)),
                None,
                None,
            ),
            12 => {
                let reports: Vec<bool> = b.iter().map(|r| r.report).collect();
                col.typed::<BoolType>().write_batch(&reports, None, None)
            }
            _ => col
                .typed::<ByteArrayType>()
                .write_batch(&text(&|r| r.rule.clone()), None, None),
        }
        .map_err(err)?;
        col.close().map_err(err)?;
        column += 1;
    }
    group.close().map_err(err)?;
    Ok(())
}
