//! Reading and writing the CLI's files: keys, trust lists, outputs.

use crate::error::CliError;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use venuecode::{PublicKey, SecretKey, TrustList};

/// The most bytes read from standard input: a city's status list is some 25 MB.
const MAX_STDIN_BYTES: u64 = 256 << 20;

/// `-` names standard input or output wherever a file is expected.
pub(crate) fn is_std(path: &Path) -> bool {
    path == Path::new("-")
}

/// A file's bytes, or standard input's for `-` (once per run: a second `-` would read nothing).
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, CliError> {
    if !is_std(path) {
        return fs::read(path).map_err(CliError::io(path));
    }
    static STDIN_READ: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if STDIN_READ.swap(true, std::sync::atomic::Ordering::SeqCst) {
        return Err(CliError::Usage(
            "standard input is read once: only one file argument may be -".into(),
        ));
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(std::io::stdin().lock(), MAX_STDIN_BYTES + 1),
        &mut bytes,
    )
    .map_err(CliError::io(path))?;
    if bytes.len() as u64 > MAX_STDIN_BYTES {
        return Err(CliError::Usage(format!(
            "standard input: more than {MAX_STDIN_BYTES} bytes"
        )));
    }
    Ok(bytes)
}

/// A file's text (UTF-8), or standard input's for `-`.
pub(crate) fn read_text(path: &Path) -> Result<String, CliError> {
    utf8(path, read_bytes(path)?)
}

/// The bytes read from `path`, as UTF-8 text.
pub(crate) fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, CliError> {
    String::from_utf8(bytes)
        .map_err(|_| CliError::Usage(format!("{}: not UTF-8 text", named(path))))
}

/// A path as messages name it: `-` is standard input or output.
pub(crate) fn named(path: &Path) -> String {
    if is_std(path) {
        "standard input/output".into()
    } else {
        path.display().to_string()
    }
}

/// A ledger is a SQLite file, which standard input or output cannot be.
pub(crate) fn check_ledger_path(path: &Path) -> Result<(), CliError> {
    if is_std(path) {
        return Err(CliError::Usage(
            "a ledger is a file: - (standard input or output) cannot be one".into(),
        ));
    }
    Ok(())
}

/// Opens a ledger ([`check_ledger_path`] first).
pub(crate) fn ledger(path: &Path) -> Result<venuecode_ledger::Ledger, CliError> {
    check_ledger_path(path)?;
    Ok(venuecode_ledger::Ledger::open(path)?)
}

pub(crate) fn read_secret_key(path: &Path) -> Result<SecretKey, CliError> {
    Ok(SecretKey::from_pkcs8_pem(&read_secret_text(path)?)?)
}

/// Reads a file that holds a secret (a private key, the token key), refusing one that others
/// may read or write, as ssh does: a key readable by the group or the world is as good as
/// published.
pub(crate) fn read_secret_text(path: &Path) -> Result<String, CliError> {
    #[cfg(unix)]
    if !is_std(path) {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(path)
            .map_err(CliError::io(path))?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(CliError::Usage(format!(
                "{}: a secret key file must be readable by its owner only (mode {:o}): \
                 run chmod 600 on it",
                path.display(),
                mode & 0o777
            )));
        }
    }
    read_text(path)
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

/// Writes a new private file (mode 0600); an existing file is an error, never overwritten. A
/// secret is never written to standard output (a terminal, a log, a pipe's next program).
pub(crate) fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    if is_std(path) {
        return Err(CliError::Usage(
            "a secret key is written to a file of its own (mode 0600), never to standard output"
                .into(),
        ));
    }
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(CliError::io(path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(CliError::io(path))
}

/// Who may read a file written (the ledger's definition).
pub(crate) use venuecode_ledger::files::Access;

/// Writes a public file beside the target and renames it, so a reader never sees half a file.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    write_with(path, Access::Public, |w| {
        w.write_all(bytes).map_err(CliError::io(path))
    })
}

/// Writes a file through `fill` into a temporary file beside it, then renames it into place.
/// The temporary file has a random name and is created exclusively (a file or symlink planted
/// there is never followed), with the mode `access` gives; it is removed if `fill` fails. `-`
/// is standard output.
pub(crate) fn write_with<T>(
    path: &Path,
    access: Access,
    fill: impl FnOnce(&mut (dyn Write + Send)) -> Result<T, CliError>,
) -> Result<T, CliError> {
    if is_std(path) {
        let mut out = std::io::stdout();
        let value = fill(&mut out)?;
        out.flush().map_err(CliError::io(path))?;
        return Ok(value);
    }
    venuecode_ledger::files::write_atomically_with(path, access, |file| fill(file))
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
