//! `poster`: one A4 poster, or a code and a poster for every row of a CSV form (batch).
//!
//! Batch CSV (UTF-8, header row, columns by name, extra columns ignored), one row per door:
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `id` | yes | venue registry number |
//! | `type` | yes | `religious-venue`, `religious-school`, `muslim-cemetery`, `religious-office`, `social-office`, `other` |
//! | `name` | yes | venue name |
//! | `division` | yes | GB/T 2260 code, six digits |
//! | `address` | yes | address below the division |
//! | `door` | yes | door label |
//! | `valid_until` | no | RFC 3339; empty for none |
//! | `issued` | no | RFC 3339; empty for now |

use crate::error::{CliError, EXIT_OK, EXIT_REJECTED};
use crate::files::{read_cjk_font, read_secret_key, write_atomically};
use crate::output::say;
use crate::venue::{Signing, VenueFields, sign, venue_from, write_code_images};
use std::path::{Path, PathBuf};
use venuecode::poster::{PosterOptions, poster_png, poster_svg};
use venuecode::qr::EcLevel;
use venuecode::{SecretKey, Venue};

/// Options of the `poster` command beyond the venue fields.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct PosterArgs {
    #[command(flatten)]
    pub(crate) signing: Signing,
    /// One poster for these fields (or use --batch).
    #[command(flatten)]
    pub(crate) fields: Option<VenueFields>,
    /// A CSV form with a row per door: writes a code and a poster for each into --out (a
    /// folder) and summary.csv.
    #[arg(long, conflicts_with = "venue")]
    pub(crate) batch: Option<PathBuf>,
    /// The poster file (.svg or .png; - for standard output: SVG, or PNG with --png, and then
    /// nothing else is written there), or with --batch the output folder.
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// With --batch: PNG posters too (SVG always); with --out -: the poster as PNG.
    #[arg(long)]
    pub(crate) png: bool,
    /// A TrueType/OpenType font with Chinese glyphs for PNG posters; default: a free CJK font
    /// installed on the system (Debian: fonts-wqy-microhei), or $VENUECODE_FONT.
    #[arg(long)]
    pub(crate) font: Option<PathBuf>,
    /// Resolution of PNG posters.
    #[arg(long, default_value_t = 300)]
    pub(crate) dpi: u32,
    /// The instruction line under the code.
    #[arg(long, default_value = venuecode::poster::DEFAULT_INSTRUCTION)]
    pub(crate) instruction: String,
}

pub(crate) fn run(a: &PosterArgs) -> Result<u8, CliError> {
    let options = PosterOptions {
        ec: a.signing.ec.parse()?,
        instruction: a.instruction.clone(),
        dpi: a.dpi,
    };
    let key = read_secret_key(&a.signing.key)?;
    match (&a.fields, &a.batch) {
        (Some(fields), None) => {
            let venue = venue_from(fields)?;
            let text = sign(&venue, &a.signing, &key)?;
            let to_stdout = crate::files::is_std(&a.out);
            let format = match a.out.extension().and_then(|e| e.to_str()) {
                _ if to_stdout && a.png => Some("png"),
                _ if to_stdout => Some("svg"),
                other => other,
            };
            match format {
                Some("svg") => {
                    write_atomically(&a.out, poster_svg(&venue, &text, &options)?.as_bytes())?
                }
                Some("png") => {
                    let font = read_cjk_font(a.font.as_deref())?;
                    write_atomically(&a.out, &poster_png(&venue, &text, &font, &options)?)?;
                }
                _ => {
                    return Err(CliError::Usage(
                        "--out must end in .svg or .png, or be - for standard output".into(),
                    ));
                }
            }
            if to_stdout {
                // Standard output carries the poster alone.
                return Ok(EXIT_OK);
            }
            let value = serde_json::json!({ "text": text, "out": a.out.display().to_string() });
            crate::output::report(&value, || say!("{text}"))?;
            Ok(EXIT_OK)
        }
        (None, Some(csv)) => batch(a, csv, &key, &options),
        _ => Err(CliError::Usage(
            "give the venue fields (--id, --type, …) or --batch FILE.csv".into(),
        )),
    }
}

#[derive(serde::Deserialize)]
struct Row {
    id: String,
    #[serde(rename = "type")]
    venue_type: String,
    name: String,
    division: String,
    address: String,
    door: String,
    #[serde(default)]
    valid_until: Option<String>,
    #[serde(default)]
    issued: Option<String>,
}

impl Row {
    fn fields(self) -> VenueFields {
        let present = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
        VenueFields {
            id: self.id,
            venue_type: self.venue_type,
            name: self.name,
            division: self.division,
            address: self.address,
            door: self.door,
            issued: present(self.issued),
            valid_until: present(self.valid_until),
        }
    }
}

/// What one row produced, for summary.csv.
#[derive(serde::Serialize, Default)]
struct Summary {
    line: u64,
    venue_id: String,
    door: String,
    status: &'static str,
    error: String,
    text: String,
    code_svg: String,
    code_png: String,
    poster_svg: String,
    poster_png: String,
}

impl Summary {
    /// The row with every text cell safe from spreadsheet formulas (a venue id or door from the
    /// CSV could start with `=`).
    fn neutralised(&self) -> Summary {
        let cell = |s: &str| venuecode::text::for_csv(s).into_owned();
        Summary {
            line: self.line,
            venue_id: cell(&self.venue_id),
            door: cell(&self.door),
            status: self.status,
            error: cell(&self.error),
            text: cell(&self.text),
            code_svg: cell(&self.code_svg),
            code_png: cell(&self.code_png),
            poster_svg: cell(&self.poster_svg),
            poster_png: cell(&self.poster_png),
        }
    }
}

/// File-name stem for a row: the venue id in safe characters, and the CSV line.
fn stem(id: &str, line: u64) -> String {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{safe}-L{line}")
}

fn batch(
    a: &PosterArgs,
    csv_path: &Path,
    key: &SecretKey,
    options: &PosterOptions,
) -> Result<u8, CliError> {
    std::fs::create_dir_all(&a.out).map_err(CliError::io(&a.out))?;
    let font = if a.png {
        Some(read_cjk_font(a.font.as_deref())?)
    } else {
        None
    };
    let mut reader = csv::Reader::from_path(csv_path)
        .map_err(|e| CliError::Usage(format!("{}: {e}", csv_path.display())))?;
    let headers = reader
        .headers()
        .map_err(|e| CliError::Usage(format!("{}: {e}", csv_path.display())))?
        .clone();
    let records: Vec<_> = reader.records().collect();
    let bar = indicatif::ProgressBar::new(records.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} doors {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut summaries = Vec::with_capacity(records.len());
    let mut failed = 0;
    for (index, record) in records.into_iter().enumerate() {
        // Line 1 is the header; a record's own position is better when the CSV has quoted newlines.
        let fallback = index as u64 + 2;
        let line = record
            .as_ref()
            .ok()
            .and_then(|r| r.position())
            .map_or(fallback, |p| p.line());
        let row = record.map_err(|e| e.to_string()).and_then(|r| {
            r.deserialize::<Row>(Some(&headers))
                .map_err(|e| e.to_string())
        });
        let (id, door) = row
            .as_ref()
            .map_or_else(|_| Default::default(), |r| (r.id.clone(), r.door.clone()));
        let result = row.and_then(|row| {
            let venue = venue_from(&row.fields()).map_err(|e| format!("{e} ({})", e.code()))?;
            one_row(a, &venue, line, key, options, font.as_deref()).map_err(|e| e.to_string())
        });
        let summary = match result {
            Ok(s) => s,
            Err(error) => {
                failed += 1;
                bar.suspend(|| {
                    eprintln!("venuecode: {}: line {line}: {error}", csv_path.display())
                });
                Summary {
                    line,
                    venue_id: id,
                    door,
                    status: "error",
                    error,
                    ..Summary::default()
                }
            }
        };
        summaries.push(summary);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let summary_path = a.out.join("summary.csv");
    let mut writer = csv::Writer::from_writer(Vec::new());
    for s in &summaries {
        writer
            .serialize(s.neutralised())
            .map_err(|e| CliError::Usage(e.to_string()))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| CliError::Usage(e.to_string()))?;
    write_atomically(&summary_path, &bytes)?;
    let value = serde_json::json!({
        "issued": summaries.len() - failed, "doors": summaries.len(),
        "summary": summary_path.display().to_string(),
    });
    crate::output::report(&value, || {
        crate::output::say_in!(
            "已签发 {} / {} 个门；汇总：{}",
            "{} of {} doors issued; summary: {}",
            summaries.len() - failed,
            summaries.len(),
            summary_path.display()
        )
    })?;
    Ok(if failed == 0 { EXIT_OK } else { EXIT_REJECTED })
}

fn one_row(
    a: &PosterArgs,
    venue: &Venue,
    line: u64,
    key: &SecretKey,
    options: &PosterOptions,
    font: Option<&[u8]>,
) -> Result<Summary, CliError> {
    let text = sign(venue, &a.signing, key)?;
    let stem = stem(&venue.id, line);
    let name = |suffix: &str| format!("{stem}-{suffix}");
    let ec: EcLevel = options.ec;
    write_code_images(
        &text,
        ec,
        Some(&a.out.join(name("code.svg"))),
        Some(&a.out.join(name("code.png"))),
        8,
    )?;
    write_atomically(
        &a.out.join(name("poster.svg")),
        poster_svg(venue, &text, options)?.as_bytes(),
    )?;
    let poster_png_name = match font {
        Some(font) => {
            write_atomically(
                &a.out.join(name("poster.png")),
                &poster_png(venue, &text, font, options)?,
            )?;
            name("poster.png")
        }
        None => String::new(),
    };
    Ok(Summary {
        line,
        venue_id: venue.id.clone(),
        door: venue.door.clone(),
        status: "ok",
        error: String::new(),
        text,
        code_svg: name("code.svg"),
        code_png: name("code.png"),
        poster_svg: name("poster.svg"),
        poster_png: poster_png_name,
    })
}
