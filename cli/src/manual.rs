//! Shell completions and manual pages, made by clap's own generators from the definitions that
//! `--help` shows, so that the three never disagree; and the closed sets of values that
//! arguments take, from the core's own lists, so that `--help` names them.

use crate::error::CliError;
use clap::builder::PossibleValuesParser;
use std::io::Write;
use std::path::Path;

/// `venuecode completions SHELL`: the script for `command` on standard output.
pub(crate) fn completions(
    mut command: clap::Command,
    shell: clap_complete::Shell,
) -> Result<u8, CliError> {
    let mut out = std::io::stdout().lock();
    clap_complete::generate(shell, &mut command, "venuecode", &mut out);
    out.flush().map_err(CliError::io(Path::new("-")))?;
    Ok(crate::error::EXIT_OK)
}

/// `venuecode man`: the command's page on standard output, or with `out` one page per command
/// (`venuecode.1`, `venuecode-venue-issue.1`, ...) in that folder.
pub(crate) fn man(command: clap::Command, out: Option<&Path>) -> Result<u8, CliError> {
    match out {
        None => {
            let mut stdout = std::io::stdout().lock();
            clap_mangen::Man::new(command)
                .render(&mut stdout)
                .and_then(|()| stdout.flush())
                .map_err(CliError::io(Path::new("-")))?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(CliError::io(dir))?;
            clap_mangen::generate_to(command, dir).map_err(CliError::io(dir))?;
            crate::output::say!("wrote the manual pages to {}", dir.display());
        }
    }
    Ok(crate::error::EXIT_OK)
}

/// The key usages (`venue`, `personal`, `policy`, `status`, `root`).
pub(crate) fn usages() -> PossibleValuesParser {
    PossibleValuesParser::new(venuecode::Usage::ALL.map(venuecode::Usage::as_str))
}

/// The colours of a health code.
pub(crate) fn colours() -> PossibleValuesParser {
    PossibleValuesParser::new(venuecode::health::Colour::ALL.map(venuecode::health::Colour::name))
}

/// Personal-code profiles (`offline`, `dynamic`).
pub(crate) fn profiles() -> PossibleValuesParser {
    PossibleValuesParser::new(venuecode::person::Profile::ALL.map(venuecode::person::Profile::name))
}

/// Export formats (`jsonl`, `csv`, `parquet`).
pub(crate) fn export_formats() -> PossibleValuesParser {
    PossibleValuesParser::new(
        venuecode_ledger::export::Format::ALL.map(venuecode_ledger::export::Format::name),
    )
}

/// The service's account roles.
#[cfg(feature = "serve")]
pub(crate) fn roles() -> PossibleValuesParser {
    PossibleValuesParser::new(venuecode_server::Role::ALL.map(venuecode_server::Role::name))
}

/// Venue types: the named ones, which `--help` and completions list, and `type-N` for a code
/// this version does not name.
#[derive(Clone)]
pub(crate) struct VenueTypes;

impl clap::builder::TypedValueParser for VenueTypes {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        use clap::error::{ContextKind, ContextValue, ErrorKind};
        match value.to_str() {
            Some(text) if text.parse::<venuecode::VenueType>().is_ok() => Ok(text.to_owned()),
            _ => {
                let mut e = clap::Error::new(ErrorKind::InvalidValue).with_cmd(cmd);
                if let Some(arg) = arg {
                    e.insert(
                        ContextKind::InvalidArg,
                        ContextValue::String(arg.to_string()),
                    );
                }
                let valid = venuecode::VenueType::slugs().chain(["type-N"]);
                e.insert(
                    ContextKind::ValidValue,
                    ContextValue::Strings(valid.map(str::to_owned).collect()),
                );
                Err(e)
            }
        }
    }

    fn possible_values(
        &self,
    ) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        Some(Box::new(
            venuecode::VenueType::slugs().map(clap::builder::PossibleValue::new),
        ))
    }
}

/// The built-in rule sets, by id.
pub(crate) fn builtins() -> PossibleValuesParser {
    PossibleValuesParser::new(venuecode::policy::BUILTIN.map(|(id, _)| id))
}
