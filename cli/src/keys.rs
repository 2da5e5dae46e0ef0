//! `keygen`, `trust add`, `trust revoke`.

use crate::error::{CliError, EXIT_OK};
use crate::files::{read_trust_list, write_atomically, write_private};
use crate::output::say;
use std::path::Path;
use venuecode::{SecretKey, TrustList, TrustedKey, Usage};

pub(crate) fn keygen(
    out: &Path,
    trust: Option<&Path>,
    usage: Option<&str>,
) -> Result<u8, CliError> {
    // Parse the usage before making anything, so a typo leaves no key behind.
    let usage = usage.map(str::parse::<Usage>).transpose()?;
    let key = SecretKey::generate()?;
    write_private(out, key.to_pkcs8_pem().as_bytes())?;
    if let (Some(trust), Some(usage)) = (trust, usage) {
        add_to_trust_list(trust, TrustedKey::new(key.public_key(), usage))?;
    }
    say!("{}", key.public_key().id());
    Ok(EXIT_OK)
}

pub(crate) fn add_to_trust_list(path: &Path, entry: TrustedKey) -> Result<u8, CliError> {
    let mut list = if path.exists() {
        read_trust_list(path)?
    } else {
        TrustList::new()
    };
    let kid = entry.key.id();
    list.add(entry)?;
    write_atomically(path, list.to_json().as_bytes())?;
    eprintln!("trusted {kid} in {}", path.display());
    Ok(EXIT_OK)
}

pub(crate) fn revoke(path: &Path, kid: &str) -> Result<u8, CliError> {
    let kid = kid.parse().map_err(venuecode::Error::from)?;
    let list = read_trust_list(path)?;
    let mut revoked = TrustList::new();
    let mut found = false;
    for entry in list.keys() {
        let mut entry = entry.clone();
        if entry.key.id() == kid {
            entry.revoked = true;
            found = true;
        }
        revoked.add(entry)?;
    }
    if !found {
        return Err(CliError::Usage(format!(
            "no key {kid} in {}",
            path.display()
        )));
    }
    write_atomically(path, revoked.to_json().as_bytes())?;
    Ok(EXIT_OK)
}
