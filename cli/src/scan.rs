//! `scan`: decode every QR code in image files and, with a trust list, verify the venue codes.
//!
//! `--json` prints one line per image:
//! `{"file":"a.png","codes":[{"text":"…","corners":[{"x":…,"y":…},…],"valid":true,"code":"valid","venue":{…}}]}`
//! (each code's verification is the venue-code report of SPEC.md §12);
//! an unreadable image gives `{"file":"a.png","error":"invalid_image","message":"…"}`.
//!
//! Exit code: 0 when every image held a code (each valid, with --trust), 1 when an image held no
//! code or a code was rejected, 2 when an image could not be read.

use crate::clock::time_or_now;
use crate::error::{CliError, EXIT_OK, EXIT_REJECTED, EXIT_USAGE};
use crate::output::say;
use crate::output::shown;
use crate::trust::TrustPin;
use crate::venue::print_verification;
use std::path::{Path, PathBuf};
use venuecode::door::VenueReport;
use venuecode::raster::GreyImage;
use venuecode::scan::Found;
use venuecode::{Timestamp, TrustList, verify_venue_code};

#[derive(serde::Serialize)]
struct CodeOut<'a> {
    #[serde(flatten)]
    code: &'a Found,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    verification: Option<VenueReport<'a>>,
}

#[derive(serde::Serialize)]
struct ImageOut<'a> {
    file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    codes: Option<Vec<CodeOut<'a>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

pub(crate) fn run(
    images: &[PathBuf],
    trust: Option<&Path>,
    pin: &TrustPin,
    at: Option<&str>,
    json: bool,
) -> Result<u8, CliError> {
    let now = time_or_now(at)?;
    let trust = match trust {
        Some(path) => {
            let mut state = pin.state()?;
            let list = pin.load(path, now, &mut state)?;
            pin.save(&state)?;
            Some(list)
        }
        None => None,
    };
    let trust = trust.as_ref();
    let mut exit = EXIT_OK;
    for path in images {
        exit = exit.max(one(path, trust, now, json)?);
    }
    Ok(exit)
}

fn one(path: &Path, trust: Option<&TrustList>, now: Timestamp, json: bool) -> Result<u8, CliError> {
    let file = path.display().to_string();
    let image = crate::files::read_bytes(path)
        .map_err(|e| venuecode::Error::InvalidImage(e.to_string()))
        .and_then(|bytes| GreyImage::decode(&bytes));
    let image = match image {
        Ok(image) => image,
        Err(e) => {
            if json {
                let out = ImageOut {
                    file,
                    codes: None,
                    error: Some(e.code()),
                    message: Some(e.to_string()),
                };
                crate::output::json(&out)?;
            } else {
                say!("{}: {} ({e})", shown(&file), e.code());
            }
            return Ok(EXIT_USAGE);
        }
    };
    let found: Vec<Found> = venuecode::scan::scan(&image);
    let results: Vec<_> = found
        .iter()
        .map(|f| trust.map(|t| verify_venue_code(&f.text, t, now)))
        .collect();
    let all_valid = results.iter().all(|r| r.as_ref().is_none_or(Result::is_ok));
    if json {
        let codes = found
            .iter()
            .zip(&results)
            .map(|(f, r)| CodeOut {
                code: f,
                verification: r.as_ref().map(|r| VenueReport::of(r, false)),
            })
            .collect();
        crate::output::json(&ImageOut {
            file,
            codes: Some(codes),
            error: None,
            message: None,
        })?;
    } else {
        match crate::output::lang() {
            crate::output::Lang::Zh => say!("{}：{} 个码", shown(&file), found.len()),
            crate::output::Lang::En => say!(
                "{}: {} code{}",
                shown(&file),
                found.len(),
                if found.len() == 1 { "" } else { "s" }
            ),
        }
        for (f, r) in found.iter().zip(&results) {
            say!("  {}", shown(&f.text));
            if let Some(r) = r {
                print_verification(r, "  ");
            }
        }
    }
    Ok(if !found.is_empty() && all_valid {
        EXIT_OK
    } else {
        EXIT_REJECTED
    })
}
