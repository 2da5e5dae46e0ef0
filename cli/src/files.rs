//! Reading and writing the CLI's files: keys, trust lists, outputs.

use crate::error::CliError;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use venuecode::{PublicKey, SecretKey, TrustList};

pub(crate) fn read_text(path: &Path) -> Result<String, CliError> {
    fs::read_to_string(path).map_err(CliError::io(path))
}

pub(crate) fn read_secret_key(path: &Path) -> Result<SecretKey, CliError> {
    Ok(SecretKey::from_pkcs8_pem(&read_text(path)?)?)
}

/// A public key from either kind of PEM file.
pub(crate) fn read_any_public_key(path: &Path) -> Result<PublicKey, CliError> {
    let pem = read_text(path)?;
    if pem.contains("BEGIN PUBLIC KEY") {
        Ok(PublicKey::from_spki_pem(&pem)?)
    } else {
        Ok(SecretKey::from_pkcs8_pem(&pem)?.public_key())
    }
}

pub(crate) fn read_trust_list(path: &Path) -> Result<TrustList, CliError> {
    Ok(TrustList::from_json(&read_text(path)?)?)
}

/// Writes a new private file (mode 0600); an existing file is an error, never overwritten.
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(CliError::io(path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(CliError::io(path))
}

/// Writes beside the target and renames, so a reader never sees half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes).map_err(CliError::io(&tmp))?;
    fs::rename(&tmp, path).map_err(CliError::io(path))
}

/// Where to find a CJK font for PNG posters when `--font` is not given: `VENUECODE_FONT`, then
/// the usual places of free CJK fonts on Debian, macOS and Windows.
pub(crate) fn find_cjk_font() -> Option<PathBuf> {
    const CANDIDATES: &[&str] = &[
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
        "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
        "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
        "/System/Library/Fonts/PingFang.ttc",
        "C:\\Windows\\Fonts\\msyh.ttc",
    ];
    std::env::var_os("VENUECODE_FONT")
        .map(PathBuf::from)
        .into_iter()
        .chain(CANDIDATES.iter().map(PathBuf::from))
        .find(|p| p.is_file())
}

/// The font for PNG posters: `--font`, else [`find_cjk_font`], else a usage error saying how to
/// get one.
pub(crate) fn read_cjk_font(font: Option<&Path>) -> Result<Vec<u8>, CliError> {
    let path = match font {
        Some(p) => p.to_owned(),
        None => find_cjk_font().ok_or_else(|| {
            CliError::Usage(
                "PNG posters need a CJK font: install one (Debian: apt-get install fonts-wqy-microhei) \
                 or pass --font FILE"
                    .into(),
            )
        })?,
    };
    fs::read(&path).map_err(CliError::io(&path))
}
