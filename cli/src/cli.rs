//! Argument parsing and the commands.

use crate::error::{CliError, EXIT_OK, EXIT_REJECTED};
use clap::{Parser, Subcommand};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use venuecode::{
    Division, Prefix, PublicKey, SecretKey, Timestamp, TrustList, TrustedKey, Usage, Venue,
    VenueType,
};

/// Signed venue codes (场所码): keys, trust lists, issuing and verifying.
///
/// Exit codes: 0 success, 1 rejected (a code did not verify), 2 usage or I/O error.
#[derive(Debug, Parser)]
#[command(name = "venuecode", version)]
pub(crate) struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Makes a new Ed25519 key (PKCS#8 PEM, file mode 0600), optionally trusting it.
    Keygen {
        /// Where to write the private key; an existing file is never overwritten.
        #[arg(long)]
        out: PathBuf,
        /// Also add the public key to this trust list (created if missing).
        #[arg(long, requires = "usage")]
        trust: Option<PathBuf>,
        /// What the key may sign: venue, personal, policy or status.
        #[arg(long, requires = "trust")]
        usage: Option<String>,
    },
    /// Edits a trust list.
    Trust {
        #[command(subcommand)]
        command: TrustCommand,
    },
    /// The main job on embedded defaults: keys, codes for three venues, attacks refused.
    Demo {
        /// Where to write the key, trust list and codes.
        #[arg(long, default_value = "venuecode-demo")]
        out: PathBuf,
    },
    /// Issues and verifies venue codes.
    Venue {
        #[command(subcommand)]
        command: VenueCommand,
    },
}

#[derive(Debug, Subcommand)]
enum TrustCommand {
    /// Adds a key (a private PKCS#8 or public SPKI PEM) to a trust list, created if missing.
    Add {
        /// The trust list.
        #[arg(long)]
        trust: PathBuf,
        /// The key file.
        #[arg(long)]
        key: PathBuf,
        /// What the key may sign: venue, personal, policy or status.
        #[arg(long)]
        usage: String,
        /// Not trusted before this RFC 3339 time.
        #[arg(long)]
        not_before: Option<String>,
        /// Not trusted from this RFC 3339 time on.
        #[arg(long)]
        not_after: Option<String>,
        /// A note for people reading the list.
        #[arg(long)]
        label: Option<String>,
    },
    /// Marks a key revoked: nothing it signed verifies any more.
    Revoke {
        /// The trust list.
        #[arg(long)]
        trust: PathBuf,
        /// The key id (16 hex digits).
        #[arg(long)]
        kid: String,
    },
}

#[derive(Debug, Subcommand)]
enum VenueCommand {
    /// Signs a venue code for one door and prints its text.
    Issue(IssueArgs),
    /// Verifies a venue code's text offline against a trust list.
    Verify {
        /// The trust list.
        #[arg(long)]
        trust: PathBuf,
        /// Verify as of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// The code's text, as a scanner reads it.
        text: String,
    },
}

#[derive(Debug, clap::Args)]
struct IssueArgs {
    /// The signing key (PKCS#8 PEM).
    #[arg(long)]
    key: PathBuf,
    /// The venue's registry number (ASCII, at most 32).
    #[arg(long)]
    id: String,
    /// religious-venue, religious-school, muslim-cemetery, religious-office, social-office or
    /// other.
    #[arg(long = "type")]
    venue_type: String,
    /// The venue's name.
    #[arg(long)]
    name: String,
    /// GB/T 2260 division code (six digits), e.g. 310107.
    #[arg(long)]
    division: String,
    /// The address below the division (详细地址), e.g. 安远路170号: the division code already
    /// names the province, city and district.
    #[arg(long)]
    address: String,
    /// The door (东门, 北门2…): one code per door.
    #[arg(long)]
    door: String,
    /// The issuer's URL prefix (QR alphanumeric, ending in /).
    #[arg(long, default_value = Prefix::EXAMPLE)]
    prefix: String,
    /// Issued-at as RFC 3339; default now.
    #[arg(long)]
    issued: Option<String>,
    /// Valid-until as RFC 3339; default none.
    #[arg(long)]
    valid_until: Option<String>,
}

/// Runs a command and gives its exit code.
pub(crate) fn run(args: Args) -> Result<u8, CliError> {
    match args.command {
        Command::Demo { out } => crate::demo::run(&out),
        Command::Keygen { out, trust, usage } => keygen(&out, trust.as_deref(), usage.as_deref()),
        Command::Trust {
            command:
                TrustCommand::Add {
                    trust,
                    key,
                    usage,
                    not_before,
                    not_after,
                    label,
                },
        } => {
            let mut entry = TrustedKey::new(read_any_public_key(&key)?, usage.parse()?);
            entry.not_before = not_before
                .as_deref()
                .map(Timestamp::parse_rfc3339)
                .transpose()?;
            entry.not_after = not_after
                .as_deref()
                .map(Timestamp::parse_rfc3339)
                .transpose()?;
            entry.label = label;
            add_to_trust_list(&trust, entry)
        }
        Command::Trust {
            command: TrustCommand::Revoke { trust, kid },
        } => revoke(&trust, &kid),
        Command::Venue {
            command: VenueCommand::Issue(a),
        } => {
            let text =
                venue_from(&a)?.issue(&read_secret_key(&a.key)?, &Prefix::new(&a.prefix)?)?;
            println!("{text}");
            Ok(EXIT_OK)
        }
        Command::Venue {
            command:
                VenueCommand::Verify {
                    trust,
                    at,
                    json,
                    text,
                },
        } => verify(&read_trust_list(&trust)?, at.as_deref(), json, &text),
    }
}

fn now() -> Timestamp {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_unix(i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
}

fn time_or_now(at: Option<&str>) -> Result<Timestamp, CliError> {
    Ok(at
        .map(Timestamp::parse_rfc3339)
        .transpose()?
        .unwrap_or_else(now))
}

fn venue_from(a: &IssueArgs) -> Result<Venue, CliError> {
    Ok(Venue {
        id: a.id.clone(),
        venue_type: a.venue_type.parse::<VenueType>()?,
        name: a.name.clone(),
        division: a.division.parse::<Division>()?,
        address: a.address.clone(),
        door: a.door.clone(),
        issued_at: time_or_now(a.issued.as_deref())?,
        valid_until: a
            .valid_until
            .as_deref()
            .map(Timestamp::parse_rfc3339)
            .transpose()?,
    })
}

fn verify(trust: &TrustList, at: Option<&str>, json: bool, text: &str) -> Result<u8, CliError> {
    let result = venuecode::verify_venue_code(text, trust, time_or_now(at)?);
    if json {
        let output = match &result {
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
        };
        println!(
            "{}",
            serde_json::to_string(&output).map_err(|e| CliError::Usage(e.to_string()))?
        );
    } else {
        match &result {
            Ok(code) => {
                let v = code.venue();
                println!("valid venue code");
                println!("  venue id     {}", v.id);
                println!(
                    "  type         {} ({})",
                    v.venue_type.slug(),
                    v.venue_type.name_zh().unwrap_or("unassigned")
                );
                println!("  name         {}", v.name);
                println!("  division     {}", v.division);
                println!("  address      {}", v.address);
                println!("  door         {}", v.door);
                println!("  issued at    {}", v.issued_at);
                match v.valid_until {
                    Some(t) => println!("  valid until  {t}"),
                    None => println!("  valid until  (no end)"),
                }
                println!("  signed by    {}", code.key_id());
            }
            Err(e) => println!("rejected: {} ({e})", e.code()),
        }
    }
    match result {
        Ok(_) => Ok(EXIT_OK),
        Err(e) if e.is_rejection() => Ok(EXIT_REJECTED),
        Err(e) => Err(e.into()),
    }
}

/// `venue verify --json`: `{"valid":true,"venue":{…}}` or `{"valid":false,"error":"<code>",…}`.
#[derive(serde::Serialize)]
struct VerifyOutput<'a> {
    valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    venue: Option<&'a venuecode::VerifiedVenueCode>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

fn keygen(out: &Path, trust: Option<&Path>, usage: Option<&str>) -> Result<u8, CliError> {
    // Parse the usage before making anything, so a typo leaves no key behind.
    let usage = usage.map(str::parse::<Usage>).transpose()?;
    let key = SecretKey::generate()?;
    write_private(out, key.to_pkcs8_pem().as_bytes())?;
    if let (Some(trust), Some(usage)) = (trust, usage) {
        add_to_trust_list(trust, TrustedKey::new(key.public_key(), usage))?;
    }
    println!("{}", key.public_key().id());
    Ok(EXIT_OK)
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(CliError::io(path))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(CliError::io(path))
}

fn read_text(path: &Path) -> Result<String, CliError> {
    fs::read_to_string(path).map_err(CliError::io(path))
}

fn read_secret_key(path: &Path) -> Result<SecretKey, CliError> {
    Ok(SecretKey::from_pkcs8_pem(&read_text(path)?)?)
}

/// A public key from either kind of PEM file.
fn read_any_public_key(path: &Path) -> Result<PublicKey, CliError> {
    let pem = read_text(path)?;
    if pem.contains("BEGIN PUBLIC KEY") {
        Ok(PublicKey::from_spki_pem(&pem)?)
    } else {
        Ok(SecretKey::from_pkcs8_pem(&pem)?.public_key())
    }
}

fn read_trust_list(path: &Path) -> Result<TrustList, CliError> {
    Ok(TrustList::from_json(&read_text(path)?)?)
}

fn add_to_trust_list(path: &Path, entry: TrustedKey) -> Result<u8, CliError> {
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

fn revoke(path: &Path, kid: &str) -> Result<u8, CliError> {
    let kid = kid.parse()?;
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

/// Writes beside the target and renames, so a reader never sees half a trust list.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    fs::write(&tmp, bytes).map_err(CliError::io(&tmp))?;
    fs::rename(&tmp, path).map_err(CliError::io(path))
}
