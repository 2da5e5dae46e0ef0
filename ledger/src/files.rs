//! Files written whole or not at all, for every face: a temporary file with a random name beside
//! the target, created exclusively (a file or link planted there is never followed) with the
//! mode asked for, filled, synced, renamed over the target, and the folder synced, so that a
//! reader or a restart never sees half a file and a crash keeps the old one or the new one.

use crate::LedgerError;
use std::path::Path;

/// Who may read a file written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// The owner only (0600): ledgers, exports, states, anything with records or serials.
    Private,
    /// Everyone may read (0644): codes, posters, trust lists, signed lists.
    Public,
}

fn at(path: &Path) -> impl FnOnce(std::io::Error) -> LedgerError + '_ {
    move |e| LedgerError::File(path.display().to_string(), e)
}

/// Writes `path` through `fill`, whole or not at all (the temporary file is removed if `fill`
/// fails); gives what `fill` gave.
pub fn write_atomically_with<T, E: From<LedgerError>>(
    path: &Path,
    access: Access,
    fill: impl FnOnce(&mut std::fs::File) -> Result<T, E>,
) -> Result<T, E> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".venuecode-");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match access {
            Access::Private => 0o600,
            Access::Public => 0o644,
        };
        builder.permissions(std::fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = access;
    let mut tmp = builder.tempfile_in(dir).map_err(at(dir))?;
    let value = fill(tmp.as_file_mut())?;
    tmp.as_file().sync_all().map_err(at(path))?;
    tmp.persist(path).map_err(|e| at(path)(e.error))?;
    // The rename itself is durable once the folder is synced (not possible on every system).
    #[cfg(unix)]
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(at(dir))?;
    Ok(value)
}

/// Destroys a secret's file: overwritten with zeros and synced, then removed. Gives whether
/// there was one. (On flash storage a rewrite may land elsewhere: the key's old blocks are then
/// the disk's to erase, with its own secure erase or the volume's encryption key.)
pub fn destroy(path: &Path) -> Result<bool, LedgerError> {
    let at = |e| LedgerError::File(path.display().to_string(), e);
    let len = match std::fs::metadata(path) {
        Ok(m) => m.len(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(at(e)),
    };
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .map_err(at)?;
    let zeros = vec![0u8; usize::try_from(len).unwrap_or(0).min(1 << 20)];
    let mut left = len;
    while left > 0 {
        let n = zeros.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        std::io::Write::write_all(&mut file, &zeros[..n]).map_err(at)?;
        left -= n as u64;
    }
    file.sync_all().map_err(at)?;
    drop(file);
    std::fs::remove_file(path).map_err(at)?;
    Ok(true)
}

/// Writes `bytes` to `path`, whole or not at all.
pub fn write_atomically(path: &Path, access: Access, bytes: &[u8]) -> Result<(), LedgerError> {
    write_atomically_with(path, access, |f| {
        std::io::Write::write_all(f, bytes).map_err(at(path))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_replaced_whole_with_its_mode_and_a_planted_link_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gate.state");
        write_atomically(&path, Access::Private, b"one").unwrap();
        write_atomically(&path, Access::Private, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            // The old writer's predictable temporary name, planted as a link to another file:
            // nothing is written through it.
            let victim = dir.path().join("victim");
            std::fs::write(&victim, b"untouched").unwrap();
            std::os::unix::fs::symlink(&victim, dir.path().join(".gate.state.tmp")).unwrap();
            write_atomically(&path, Access::Public, b"three").unwrap();
            assert_eq!(std::fs::read(&victim).unwrap(), b"untouched");
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o644);
        }
        // A fill that fails leaves the file as it was, and no temporary file behind.
        let failed: Result<(), LedgerError> =
            write_atomically_with(&path, Access::Private, |_| Err(LedgerError::Stopped));
        assert!(failed.is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"three");
        let left: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(".venuecode-"))
            .collect();
        assert!(left.is_empty());
    }
}
