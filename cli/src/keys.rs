//! `keygen`, `root keygen`, `trust add`, `trust revoke`, `trust sign`.

use crate::error::{CliError, EXIT_OK};
use crate::files::{read_secret_key, read_trust_list, write_atomically, write_private};
use crate::output::say;
use std::path::{Path, PathBuf};
use venuecode::{ListKind, Prefix, Seal, SecretKey, Timestamp, TrustList, TrustedKey, Usage};

/// A key's scope in a trust list.
#[derive(Debug, Clone, Default, clap::Args)]
pub(crate) struct ScopeArgs {
    /// An exact URL prefix it may sign codes under (venue and personal keys: at least one;
    /// repeat for several).
    #[arg(long = "prefix")]
    pub(crate) prefixes: Vec<String>,
    /// A division it may sign for: 2, 4 or 6 digits (repeat for several; none: all).
    #[arg(long = "division")]
    pub(crate) divisions: Vec<String>,
    /// The issuer whose list serials it continues (status and policy keys; default its key id).
    #[arg(long)]
    pub(crate) issuer: Option<String>,
}

impl ScopeArgs {
    /// The key's entry with this scope.
    pub(crate) fn entry(
        &self,
        key: venuecode::PublicKey,
        usage: venuecode::Usage,
    ) -> Result<TrustedKey, CliError> {
        let mut entry = TrustedKey::new(key, usage);
        for p in &self.prefixes {
            entry = entry.with_prefix(&Prefix::new(p)?);
        }
        entry.divisions.clone_from(&self.divisions);
        entry.issuer.clone_from(&self.issuer);
        Ok(entry)
    }
}

pub(crate) fn keygen(
    out: &Path,
    trust: Option<&Path>,
    usage: Option<&str>,
    scope: &ScopeArgs,
) -> Result<u8, CliError> {
    // Check the usage and scope before making anything, so a typo leaves no key behind.
    let usage = usage.map(str::parse::<Usage>).transpose()?;
    let key = SecretKey::generate()?;
    let entry = usage
        .map(|u| scope.entry(key.public_key(), u))
        .transpose()?;
    if let Some(entry) = &entry {
        TrustList::new().add(entry.clone())?;
    }
    write_private(out, key.to_pkcs8_pem().as_bytes())?;
    if let (Some(trust), Some(entry)) = (trust, entry) {
        add_to_trust_list(trust, entry)?;
    }
    let kid = key.public_key().id().to_string();
    crate::output::report(
        &serde_json::json!({ "kid": kid, "usage": usage.map(Usage::as_str) }),
        || say!("{kid}"),
    )?;
    Ok(EXIT_OK)
}

/// `trust sign` options.
#[derive(Debug, clap::Args)]
pub(crate) struct TrustSignArgs {
    /// The root key (PKCS#8 PEM), listed in the trust list with usage root.
    #[arg(long)]
    root: PathBuf,
    /// The trust list (JSON).
    #[arg(long = "in")]
    input: PathBuf,
    /// Where to write the signed trust list.
    #[arg(long)]
    out: PathBuf,
    /// Its serial: above every trust list signed before (default: the issue time in Unix
    /// seconds, which grows by itself).
    #[arg(long)]
    serial: Option<u64>,
    /// Issued at this RFC 3339 time instead of now.
    #[arg(long)]
    issued: Option<String>,
    /// How many days gates may use it (at most 180).
    #[arg(long, default_value_t = 30)]
    valid_days: u32,
}

/// A list's seal from a command's serial, issue time and lifetime: the serial defaults to the
/// issue time in Unix seconds.
pub(crate) fn seal_of(
    serial: Option<u64>,
    issued_at: Timestamp,
    lifetime_secs: i64,
) -> Result<Seal, CliError> {
    let serial = match serial {
        Some(s) => s,
        None => u64::try_from(issued_at.unix())
            .map_err(|_| CliError::Usage("the issue time must be after 1970".into()))?,
    };
    Ok(Seal {
        serial,
        issued_at,
        valid_until: issued_at.saturating_add(lifetime_secs),
    })
}

pub(crate) fn sign_trust(a: &TrustSignArgs) -> Result<u8, CliError> {
    let list = read_trust_list(&a.input)?;
    let root = read_secret_key(&a.root)?;
    let issued = crate::clock::time_or_now(a.issued.as_deref())?;
    let days = i64::from(a.valid_days);
    if days * 86_400 > ListKind::Trust.max_lifetime_secs() {
        return Err(CliError::Usage(
            "--valid-days: a trust list lives at most 180 days".into(),
        ));
    }
    let seal = seal_of(a.serial, issued, days * 86_400)?;
    let signed = venuecode::signed_trust::sign(&list, &root, seal)?;
    write_atomically(&a.out, &signed)?;
    eprintln!(
        "signed {} keys with root {} as serial {}, valid until {}",
        list.keys().len(),
        root.public_key().id(),
        seal.serial,
        seal.valid_until
    );
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
    let path = crate::files::named(path);
    match crate::output::lang() {
        crate::output::Lang::Zh => eprintln!("已将 {kid} 加入信任列表 {path}"),
        crate::output::Lang::En => eprintln!("trusted {kid} in {path}"),
    }
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
