//! `venue issue` and `venue verify`, and the venue fields shared with `poster`.

use crate::clock::time_or_now;
use crate::error::{CliError, EXIT_OK, EXIT_REJECTED};
use crate::files::{read_secret_key, write_atomically};
use crate::output::{Lang, say, say_in};
use crate::trust::TrustArgs;
use std::path::{Path, PathBuf};
use venuecode::door::VenueReport;
use venuecode::qr::{EcLevel, QrMatrix};
use venuecode::{Division, Error, Timestamp, Venue, VenueType, VerifiedVenueCode};

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
    /// The venue's type; `type-N` for a code this version does not name.
    #[arg(long = "type", required = false, value_parser = crate::manual::VenueTypes)]
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
    /// The issuer's URL prefix (HTTPS://, QR alphanumeric, ending in /), e.g.
    /// HTTPS://VC.SH.GOV.CN/1/. Required: there is no default, so that no code points at a host
    /// its issuer does not own. May come from the environment.
    #[arg(long, env = "VENUECODE_PREFIX")]
    pub(crate) prefix: String,
    /// QR error-correction level: L, M, Q or H.
    #[arg(long, default_value = "M")]
    pub(crate) ec: String,
}

pub(crate) fn venue_from(f: &VenueFields) -> Result<Venue, Error> {
    Ok(Venue::new(
        f.id.clone(),
        f.venue_type.parse::<VenueType>()?,
        f.name.clone(),
        f.division.parse::<Division>()?,
        f.door.clone(),
        match &f.issued {
            Some(t) => Timestamp::parse_rfc3339(t)?,
            None => crate::clock::now(),
        },
    )
    .with_address(f.address.clone())
    .with_valid_until(
        f.valid_until
            .as_deref()
            .map(Timestamp::parse_rfc3339)
            .transpose()?,
    ))
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
    crate::output::report(&serde_json::json!({ "text": text }), || say!("{text}"))?;
    Ok(EXIT_OK)
}

/// The human-readable form of a verification.
pub(crate) fn print_verification(result: &Result<VerifiedVenueCode, Error>, indent: &str) {
    match result {
        Ok(code) => {
            let v = code.venue();
            say_in!("{indent}场所码有效", "{indent}valid venue code");
            say_in!(
                "{indent}  网址         {}（手机扫码打开的地址）",
                "{indent}  host         {} (what a phone opens)",
                code.host()
            );
            say_in!(
                "{indent}  场所编号     {}",
                "{indent}  venue id     {}",
                v.id
            );
            say_in!(
                "{indent}  类型         {}（{}）",
                "{indent}  type         {} ({})",
                v.venue_type.slug(),
                v.venue_type.name_zh().unwrap_or("未分配")
            );
            say_in!(
                "{indent}  名称         {}",
                "{indent}  name         {}",
                v.name
            );
            say_in!(
                "{indent}  行政区划     {}",
                "{indent}  division     {}",
                v.division
            );
            say_in!(
                "{indent}  地址         {}",
                "{indent}  address      {}",
                v.address
            );
            say_in!(
                "{indent}  门           {}",
                "{indent}  door         {}",
                v.door
            );
            say_in!(
                "{indent}  签发时间     {}",
                "{indent}  issued at    {}",
                v.issued_at.cst()
            );
            match v.valid_until {
                Some(t) => say_in!(
                    "{indent}  有效期至     {}",
                    "{indent}  valid until  {}",
                    t.cst()
                ),
                None => say_in!(
                    "{indent}  有效期至     （长期）",
                    "{indent}  valid until  (no end)"
                ),
            }
            say_in!(
                "{indent}  签发密钥     {}",
                "{indent}  signed by    {}",
                code.key_id()
            );
        }
        Err(e) => match crate::output::lang() {
            Lang::Zh => say!("{indent}拒绝：{}（{}）{e}", e.meaning_zh(), e.code()),
            Lang::En => say!("{indent}rejected: {} ({e})", e.code()),
        },
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
    trust: &TrustArgs,
    at: Option<&str>,
    json: bool,
    revocations: Option<&Path>,
    text: &str,
) -> Result<u8, CliError> {
    let now = time_or_now(at)?;
    let mut config = trust.config()?;
    config.revocations = revocations.map(crate::lists::read_list).transpose()?;
    let mut state = trust.pin.state()?;
    let checkpoint = config.checkpoint(now, &mut state)?;
    trust.pin.save(&state)?;
    let result = checkpoint.verify_venue_code(text, now);
    let checked = checkpoint.revocations().is_some();
    if json {
        crate::output::json(&VenueReport::of(&result, checked))?;
    } else {
        print_verification(&result, "");
        if !checked {
            say_in!(
                "  吊销名单     未核对（未给 --revocations）：已吊销的码也会通过",
                "  revocations  not checked (no --revocations): a revoked poster passes"
            );
        }
    }
    verdict(result)
}
