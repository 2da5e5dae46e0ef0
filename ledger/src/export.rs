//! Scan records as JSON Lines and CSV: the data interface's files. Both stream, a record at a
//! time, each as it leaves the venue ([`ExportedRecord`]: no name, no phone, the ID number's
//! division only). JSON Lines follow docs/schema/scan-record-v2.json exactly; CSV has the same fields as columns, in [`CSV_COLUMNS`]' order,
//! empty for null, every cell neutralised against formula injection.

use crate::{Filter, Ledger, LedgerError};
use std::io::Write;
use venuecode::record::{ExportedRecord, ScanRecord};
use venuecode::text::for_csv;

/// An export format: the one place a format's name, media type and writer are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// JSON Lines (docs/schema/scan-record-v2.json).
    Jsonl,
    /// CSV with a header row ([`CSV_COLUMNS`]).
    Csv,
    /// Apache Parquet.
    Parquet,
}

impl Format {
    /// Every format: JSON Lines, CSV, Apache Parquet.
    pub const ALL: [Format; 3] = [Format::Jsonl, Format::Csv, Format::Parquet];

    /// Its name, as the command line and the service's `format=` take it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Jsonl => "jsonl",
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }

    /// Its media type, for HTTP.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Jsonl => "application/jsonl",
            Format::Csv => "text/csv; charset=utf-8",
            Format::Parquet => "application/vnd.apache.parquet",
        }
    }

    /// Writes the ledger's records that pass `filter`; gives how many.
    pub fn write<W: Write + Send>(
        self,
        ledger: &Ledger,
        filter: &Filter,
        out: W,
    ) -> Result<u64, LedgerError> {
        match self {
            Format::Jsonl => jsonl(ledger, filter, out),
            Format::Csv => csv(ledger, filter, out),
            Format::Parquet => crate::parquet::export(ledger, filter, out),
        }
    }

    /// Writes records from anywhere (a store's read); gives how many.
    pub fn write_records<W: Write + Send>(
        self,
        records: impl IntoIterator<Item = ScanRecord>,
        out: W,
    ) -> Result<u64, LedgerError> {
        match self {
            Format::Jsonl => jsonl_records(records, out),
            Format::Csv => csv_records(records, out),
            Format::Parquet => {
                let mut w = crate::parquet::RecordWriter::new(out)?;
                for r in records {
                    w.push(r)?;
                }
                w.finish()
            }
        }
    }
}

impl std::str::FromStr for Format {
    type Err = LedgerError;
    fn from_str(s: &str) -> Result<Self, LedgerError> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                LedgerError::Core(venuecode::Error::InvalidInput {
                    field: "format",
                    reason: "jsonl, csv or parquet".into(),
                })
            })
    }
}

/// The CSV columns of an export, in order (the JSON Schema's `required`, in its order).
pub const CSV_COLUMNS: [&str; 19] = [
    "id",
    "origin",
    "device",
    "venue_id",
    "door",
    "at",
    "pseudonym",
    "id_division",
    "profile",
    "code_state",
    "colour",
    "test_age_hours",
    "decision",
    "report",
    "rule",
    "staff",
    "resolves",
    "trace_ref",
    "companion_of",
];

/// A record's CSV cells, from its JSON form, so the two cannot disagree.
fn csv_row(r: &ScanRecord) -> Result<Vec<String>, LedgerError> {
    let json = serde_json::to_value(ExportedRecord::of(r))
        .map_err(|e| LedgerError::Corrupt(e.to_string()))?;
    Ok(CSV_COLUMNS
        .iter()
        .map(|c| match &json[*c] {
            serde_json::Value::Null => String::new(),
            serde_json::Value::String(s) => for_csv(s).into_owned(),
            other => for_csv(&other.to_string()).into_owned(),
        })
        .collect())
}

/// Records written as JSON Lines, one at a time, from a ledger or from anywhere.
pub struct JsonlWriter<W: Write> {
    out: std::io::BufWriter<W>,
    n: u64,
}

impl<W: Write> JsonlWriter<W> {
    /// A writer to `out`.
    pub fn new(out: W) -> Self {
        JsonlWriter {
            out: std::io::BufWriter::new(out),
            n: 0,
        }
    }

    /// Writes one record, as it leaves the venue.
    pub fn push(&mut self, r: &ScanRecord) -> Result<(), LedgerError> {
        serde_json::to_writer(&mut self.out, &ExportedRecord::of(r))
            .map_err(std::io::Error::from)?;
        self.out.write_all(b"\n")?;
        self.n += 1;
        Ok(())
    }

    /// Flushes; gives how many records were written.
    pub fn finish(mut self) -> Result<u64, LedgerError> {
        self.out.flush()?;
        Ok(self.n)
    }
}

/// Records written as CSV with a header row, one at a time, from a ledger or from anywhere.
pub struct CsvWriter<W: Write> {
    w: csv::Writer<W>,
    n: u64,
}

fn csv_io(e: csv::Error) -> LedgerError {
    LedgerError::Io(e.into())
}

impl<W: Write> CsvWriter<W> {
    /// A writer to `out`; writes the header row.
    pub fn new(out: W) -> Result<Self, LedgerError> {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(CSV_COLUMNS).map_err(csv_io)?;
        Ok(CsvWriter { w, n: 0 })
    }

    /// Writes one record, as it leaves the venue.
    pub fn push(&mut self, r: &ScanRecord) -> Result<(), LedgerError> {
        self.w.write_record(csv_row(r)?).map_err(csv_io)?;
        self.n += 1;
        Ok(())
    }

    /// Flushes; gives how many records were written.
    pub fn finish(mut self) -> Result<u64, LedgerError> {
        self.w.flush()?;
        Ok(self.n)
    }
}

/// Streams the records that pass `filter` through `push`, stopping at the first error.
fn stream(
    ledger: &Ledger,
    filter: &Filter,
    mut push: impl FnMut(&ScanRecord) -> Result<(), LedgerError>,
) -> Result<(), LedgerError> {
    let mut failed: Option<LedgerError> = None;
    ledger.for_each(filter, |r| {
        if failed.is_none()
            && let Err(e) = push(&r)
        {
            failed = Some(e);
        }
    })?;
    failed.map_or(Ok(()), Err)
}

/// Writes the records that pass `filter` as JSON Lines; gives how many.
pub fn jsonl<W: Write>(ledger: &Ledger, filter: &Filter, out: W) -> Result<u64, LedgerError> {
    let mut w = JsonlWriter::new(out);
    stream(ledger, filter, |r| w.push(r))?;
    w.finish()
}

/// Writes records as JSON Lines; gives how many.
pub fn jsonl_records<W: Write>(
    records: impl IntoIterator<Item = ScanRecord>,
    out: W,
) -> Result<u64, LedgerError> {
    let mut w = JsonlWriter::new(out);
    for r in records {
        w.push(&r)?;
    }
    w.finish()
}

/// Writes the records that pass `filter` as CSV with a header row; gives how many.
pub fn csv<W: Write>(ledger: &Ledger, filter: &Filter, out: W) -> Result<u64, LedgerError> {
    let mut w = CsvWriter::new(out)?;
    stream(ledger, filter, |r| w.push(r))?;
    w.finish()
}

/// Writes records as CSV with a header row; gives how many.
pub fn csv_records<W: Write>(
    records: impl IntoIterator<Item = ScanRecord>,
    out: W,
) -> Result<u64, LedgerError> {
    let mut w = CsvWriter::new(out)?;
    for r in records {
        w.push(&r)?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use venuecode::record::ScanRecord;

    #[test]
    fn every_format_is_named_once_and_read_back_by_its_name() {
        assert_eq!(Format::ALL.map(Format::name), ["jsonl", "csv", "parquet"]);
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>().unwrap(), f);
        }
        let e = "xlsx".parse::<Format>().unwrap_err();
        assert_eq!(e.code(), "invalid_input");
        assert!(!e.to_string().contains("xlsx"));
    }

    #[test]
    fn csv_cells_cannot_be_formulas() {
        let dir = tempfile::tempdir().unwrap();
        let mut ledger = Ledger::open(&dir.path().join("l.sqlite")).unwrap();
        let mut r: ScanRecord = crate::tests::record(1_649_203_200, "=HYPERLINK(\"x\")", Some(1));
        r.rule = "+cmd|' /C calc'!A0".into();
        ledger.append(&r).unwrap();
        let mut out = Vec::new();
        assert_eq!(csv(&ledger, &Filter::default(), &mut out).unwrap(), 1);
        let text = String::from_utf8(out).unwrap();
        let mut rows = ::csv::Reader::from_reader(text.as_bytes());
        let row = rows.records().next().unwrap().unwrap();
        assert_eq!(&row[4], "'=HYPERLINK(\"x\")");
        assert_eq!(&row[14], "'+cmd|' /C calc'!A0");
        // No name or phone leaves the venue; the ID number only as its division.
        assert!(
            !text.contains("张*丰") && !text.contains("********"),
            "{text}"
        );
        assert_eq!(&row[7], "110105");
        // Pseudonyms are hex in CSV as in JSON.
        assert_eq!(row[6].len(), 32);
        let mut lines = Vec::new();
        jsonl(&ledger, &Filter::default(), &mut lines).unwrap();
        let v: serde_json::Value = serde_json::from_slice(&lines).unwrap();
        assert_eq!(v["pseudonym"].as_str(), Some(&row[6]));
    }
}
