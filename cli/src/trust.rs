//! How every command that verifies reads its trust list and keeps the gate's state: a signed
//! trust list checked against pinned root key ids (the unsigned JSON only behind
//! `--insecure-unsigned-trust`), and the state file of serials and remembered codes.

use crate::error::CliError;
use crate::files::{Access, write_with};
use std::path::{Path, PathBuf};
use venuecode::door::{GateConfig, GateState, GateTrust};
use venuecode::{KeyId, Timestamp, TrustList};

/// The pinned roots, the escape hatch for unsigned lists, and the state file.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TrustPin {
    /// A pinned root key id (16 hex digits) the signed trust list must be signed by; repeat or
    /// separate with commas for several.
    #[arg(long = "root-kid", env = "VENUECODE_ROOT_KID", value_delimiter = ',')]
    root_kids: Vec<String>,
    /// Read the trust list as unsigned JSON: whoever can write that file decides what verifies.
    #[arg(long, env = "VENUECODE_INSECURE_UNSIGNED_TRUST",
          value_parser = clap::builder::BoolishValueParser::new())]
    insecure_unsigned_trust: bool,
    /// The gate's state file (serials of the lists accepted, dynamic codes seen), read and
    /// written back atomically: an older list than the last one is refused (`rolled_back`),
    /// a screenshot shown twice is `replayed`. Created if missing.
    #[arg(long, env = "VENUECODE_STATE")]
    state: Option<PathBuf>,
}

/// The trust list a command verifies against, with `--trust` required.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TrustArgs {
    /// The trust list: signed (`venuecode trust sign`), or JSON with --insecure-unsigned-trust.
    #[arg(long)]
    pub(crate) trust: PathBuf,
    #[command(flatten)]
    pub(crate) pin: TrustPin,
}

impl TrustArgs {
    /// A gate configuration of `--trust` alone (the lists and rule set are added to it).
    pub(crate) fn config(&self) -> Result<GateConfig, CliError> {
        Ok(GateConfig::new(self.pin.gate_trust(&self.trust)?))
    }
}

impl TrustPin {
    /// The stored state, or a new one if there is no state file yet.
    pub(crate) fn state(&self) -> Result<GateState, CliError> {
        match &self.state {
            Some(path) if path.exists() => {
                let bytes = crate::files::read_bytes(path)?;
                Ok(GateState::from_bytes(&bytes)?)
            }
            _ => Ok(GateState::new()),
        }
    }

    /// Writes the state back (owner only: it names doors).
    pub(crate) fn save(&self, state: &GateState) -> Result<(), CliError> {
        match &self.state {
            Some(path) => write_with(path, Access::Private, |w| {
                w.write_all(&state.to_bytes()).map_err(CliError::io(path))
            }),
            None => Ok(()),
        }
    }

    /// Reads a trust list: a signed one, verified against the pinned roots at `now` with its
    /// serial recorded in `state`; JSON only with `--insecure-unsigned-trust`.
    pub(crate) fn load(
        &self,
        path: &Path,
        now: Timestamp,
        state: &mut GateState,
    ) -> Result<TrustList, CliError> {
        Ok(GateConfig::new(self.gate_trust(path)?).trust_list(now, state)?)
    }

    /// Reads a trust list as a gate is given it: signed, with the pinned roots; JSON only with
    /// `--insecure-unsigned-trust`.
    pub(crate) fn gate_trust(&self, path: &Path) -> Result<GateTrust, CliError> {
        let bytes = crate::files::read_bytes(path)?;
        if bytes.first() == Some(&b'{') {
            if !self.insecure_unsigned_trust {
                return Err(CliError::Usage(format!(
                    "{}: an unsigned trust list: sign it (venuecode trust sign) and pass \
                     --root-kid, or accept it with --insecure-unsigned-trust",
                    crate::files::named(path)
                )));
            }
            return Ok(GateTrust::Unsigned(TrustList::from_json(
                &crate::files::utf8(path, bytes)?,
            )?));
        }
        if self.root_kids.is_empty() {
            return Err(CliError::Usage(
                "a signed trust list needs the pinned root key id: --root-kid KID".into(),
            ));
        }
        let roots = self
            .root_kids
            .iter()
            .map(|k| k.parse::<KeyId>().map_err(venuecode::Error::from))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(GateTrust::Signed { list: bytes, roots })
    }
}
