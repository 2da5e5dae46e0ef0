//! `venue issue` and `venue verify`, and the venue fields shared with `poster`.

use crate::error::{CliError, EXIT_OK, EXIT_REJECTED};
use crate::files::{read_secret_key, write_atomically};
use std::path::{Path, PathBuf};
use venuecode::qr::{EcLevel, QrMatrix};
use venuecode::{Division, Error, Timestamp, TrustList, Venue, VenueType, VerifiedVenueCode};

/// The fields of one door's venue code. Each is required once any is given (an optional group,
/// so that `poster --batch` can go without them; clap issue #5092).
#[derive(Debug, Clone, clap::Args)]
#[group(
    id = "venue",
    multiple = true,
    requires_all = ["id", "venue_type", "name", "division", "address", "door"]
)]
pub(crate) struct VenueFields {
    /// The venue's registry number (ASCII, at most 32).
    #[arg(long, required = false)]
    pub(crate) id: String,
    /// religious-venue, religious-school, muslim-cemetery, religious-office, social-office or
    /// other.
    #[arg(long = "type", required = false)]
    pub(crate) venue_type: String,
    /// The venue's name.
    #[arg(long, required = false)]
    pub(crate) name: String,
    /// GB/T 2260 division code (six digits), e.g. 310107.
    #[arg(long, required = false)]
    pub(crate) division: String,
    /// The address below the division (详细地址), e.g. 安远路170号: the division code already
    /// names the province, city and district.
    #[arg(long, required = false)]
    pub(crate) address: String,
    /// The door (东门, 北门2…): one code per door.
    #[arg(long, required = false)]
    pub(crate) door: String,
    /// Issued-at as RFC 3339; default now.
    #[arg(long)]
    pub(crate) issued: Option<String>,
    /// Valid-until as RFC 3339; default none.
    #[arg(long)]
    pub(crate) valid_until: Option<String>,
}

/// How a code is signed and drawn.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct Signing {
    /// The signing key (PKCS#8 PEM).
    #[arg(long)]
    pub(crate) key: PathBuf,
    /// The issuer's URL prefix (QR alphanumeric, ending in /).
    #[arg(long, default_value = venuecode::Prefix::EXAMPLE)]
    pub(crate) prefix: String,
    /// QR error-correction level: L, M, Q or H.
    #[arg(long, default_value = "M")]
    pub(crate) ec: String,
}

pub(crate) fn now() -> Timestamp {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_unix(i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
}

pub(crate) fn time_or_now(at: Option<&str>) -> Result<Timestamp, CliError> {
    Ok(at
        .map(Timestamp::parse_rfc3339)
        .transpose()?
        .unwrap_or_else(now))
}

pub(crate) fn venue_from(f: &VenueFields) -> Result<Venue, Error> {
    Ok(Venue {
        id: f.id.clone(),
        venue_type: f.venue_type.parse::<VenueType>()?,
        name: f.name.clone(),
        division: f.division.parse::<Division>()?,
        address: f.address.clone(),
        door: f.door.clone(),
        issued_at: match &f.issued {
            Some(t) => Timestamp::parse_rfc3339(t)?,
            None => now(),
        },
        valid_until: f
            .valid_until
            .as_deref()
            .map(Timestamp::parse_rfc3339)
            .transpose()?,
    })
}

/// Signs a venue and gives the code's text.
pub(crate) fn sign(
    venue: &Venue,
    signing: &Signing,
    key: &venuecode::SecretKey,
) -> Result<String, Error> {
    venue.issue(key, &venuecode::Prefix::new(&signing.prefix)?)
}

/// `--svg`, `--png`, `--module-px`: the bare code as images, beside its text.
#[derive(Debug, clap::Args)]
pub(crate) struct CodeImages {
    /// Also write the code as SVG.
    #[arg(long)]
    svg: Option<std::path::PathBuf>,
    /// Also write the code as PNG.
    #[arg(long)]
    png: Option<std::path::PathBuf>,
    /// Pixels a module in the SVG and PNG.
    #[arg(long, default_value_t = 8)]
    module_px: u32,
}

impl CodeImages {
    /// Writes the images asked for.
    pub(crate) fn write(&self, text: &str, ec: EcLevel) -> Result<(), CliError> {
        write_code_images(
            text,
            ec,
            self.svg.as_deref(),
            self.png.as_deref(),
            self.module_px,
        )
    }
}

/// Writes the bare code as SVG and/or PNG.
pub(crate) fn write_code_images(
    text: &str,
    ec: EcLevel,
    svg: Option<&Path>,
    png: Option<&Path>,
    module_px: u32,
) -> Result<(), CliError> {
    if svg.is_none() && png.is_none() {
        return Ok(());
    }
    let matrix = QrMatrix::encode(text, ec)?;
    if let Some(path) = svg {
        write_atomically(path, matrix.to_svg(module_px).as_bytes())?;
    }
    if let Some(path) = png {
        write_atomically(path, &matrix.to_png(module_px)?)?;
    }
    Ok(())
}

pub(crate) fn issue(
    fields: &VenueFields,
    signing: &Signing,
    images: &CodeImages,
) -> Result<u8, CliError> {
    let ec: EcLevel = signing.ec.parse()?;
    let text = sign(
        &venue_from(fields)?,
        signing,
        &read_secret_key(&signing.key)?,
    )?;
    images.write(&text, ec)?;
    println!("{text}");
    Ok(EXIT_OK)
}

/// The JSON of a verified code or of its rejection, as `venue verify --json` and `scan` print.
#[derive(serde::Serialize)]
pub(crate) struct VerifyOutput<'a> {
    pub(crate) valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) venue: Option<&'a VerifiedVenueCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) message: Option<String>,
}

impl<'a> VerifyOutput<'a> {
    pub(crate) fn of(result: &'a Result<VerifiedVenueCode, Error>) -> Self {
        match result {
            Ok(code) => VerifyOutput {
                valid: true,
                venue: Some(code),
                error: None,
                message: None,
            },
            Err(e) => VerifyOutput {
                valid: false,
                venue: None,
                error: Some(e.code()),
                message: Some(e.to_string()),
            },
        }
    }
}

/// The human-readable form of a verification.
pub(crate) fn print_verification(result: &Result<VerifiedVenueCode, Error>, indent: &str) {
    match result {
        Ok(code) => {
            let v = code.venue();
            println!("{indent}valid venue code");
            println!("{indent}  venue id     {}", v.id);
            println!(
                "{indent}  type         {} ({})",
                v.venue_type.slug(),
                v.venue_type.name_zh().unwrap_or("unassigned")
            );
            println!("{indent}  name         {}", v.name);
            println!("{indent}  division     {}", v.division);
            println!("{indent}  address      {}", v.address);
            println!("{indent}  door         {}", v.door);
            println!("{indent}  issued at    {}", v.issued_at);
            match v.valid_until {
                Some(t) => println!("{indent}  valid until  {t}"),
                None => println!("{indent}  valid until  (no end)"),
            }
            println!("{indent}  signed by    {}", code.key_id());
        }
        Err(e) => println!("{indent}rejected: {} ({e})", e.code()),
    }
}

/// The exit code for a verification: rejections are 1, other errors go up as usage errors.
pub(crate) fn verdict(result: Result<VerifiedVenueCode, Error>) -> Result<u8, CliError> {
    verdict_of(result.map(|_| ()))
}

/// [`verdict`] for any kind of code.
pub(crate) fn verdict_of(result: Result<(), Error>) -> Result<u8, CliError> {
    match result {
        Ok(_) => Ok(EXIT_OK),
        Err(e) if e.is_rejection() => Ok(EXIT_REJECTED),
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn verify(
    trust: &TrustList,
    at: Option<&str>,
    json: bool,
    revocations: Option<&Path>,
    text: &str,
) -> Result<u8, CliError> {
    let now = time_or_now(at)?;
    let revocations = revocations
        .map(|p| {
            let bytes = crate::lists::read_list(p)?;
            venuecode::revoke::RevocationList::load(&bytes, trust, now).map_err(CliError::from)
        })
        .transpose()?;
    let result = venuecode::verify_venue_code(text, trust, now).and_then(|code| {
        revocations
            .as_ref()
            .map_or(Ok(()), |r| r.check_venue(text))?;
        Ok(code)
    });
    if json {
        let line = serde_json::to_string(&VerifyOutput::of(&result))
            .map_err(|e| CliError::Usage(e.to_string()))?;
        println!("{line}");
    } else {
        print_verification(&result, "");
    }
    verdict(result)
}
