//! `venuecode`: keys, trust lists, and issuing and verifying venue codes.
//!
//! Exit codes: 0 success, 1 rejected, 2 usage or I/O error (see `error.rs`).

mod cli;
mod clock;
mod demo;
mod entries;
mod error;
mod files;
mod keys;
mod lists;
mod manual;
mod output;
mod person;
mod policy;
mod poster;
mod records;
mod scan;
#[cfg(feature = "serve")]
mod serve;
mod trace;
mod trust;
mod venue;

use clap::Parser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = match cli::Args::try_parse() {
        Ok(args) => args,
        Err(e) => return usage_error(&e),
    };
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // The code's meaning in Chinese for staff; the message and the code stay as they are.
            match output::lang() {
                output::Lang::Zh => eprintln!("venuecode: {}：{e}", e.meaning_zh()),
                output::Lang::En => eprintln!("venuecode: {e}"),
            }
            ExitCode::from(error::EXIT_USAGE)
        }
    }
}

/// clap's own messages quote what was typed (`invalid value '11010519491231002X' for
/// '--generation'`), and a value may be an ID number: ours name the argument, never the value.
/// Help and version go to standard output as clap writes them.
fn usage_error(e: &clap::Error) -> ExitCode {
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    let argument = match e.get(ContextKind::InvalidArg) {
        // For these kinds the context holds the argument as defined (`--generation <N>`).
        Some(ContextValue::String(arg))
            if !matches!(
                e.kind(),
                ErrorKind::UnknownArgument | ErrorKind::InvalidSubcommand
            ) =>
        {
            format!(" for {arg}")
        }
        Some(ContextValue::Strings(args)) if e.kind() == ErrorKind::MissingRequiredArgument => {
            format!(": {}", args.join(", "))
        }
        _ => String::new(),
    };
    let what = match e.kind() {
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => "invalid value",
        ErrorKind::UnknownArgument => "unexpected argument",
        ErrorKind::InvalidSubcommand => "unknown command",
        ErrorKind::MissingRequiredArgument => "missing required argument",
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "a command is needed"
        }
        ErrorKind::ArgumentConflict => "arguments that cannot be used together",
        ErrorKind::WrongNumberOfValues | ErrorKind::TooManyValues | ErrorKind::TooFewValues => {
            "wrong number of values"
        }
        ErrorKind::NoEquals => "a value needs =",
        ErrorKind::InvalidUtf8 => "an argument that is not UTF-8",
        _ => "bad arguments",
    };
    // The values an argument takes are ours, not the caller's: those may be named.
    let valid = match e.get(ContextKind::ValidValue) {
        Some(ContextValue::Strings(valid)) if !valid.is_empty() => valid.join(", "),
        _ => String::new(),
    };
    // The arguments did not parse, so --lang is looked for among them by hand.
    let args: Vec<String> = std::env::args().collect();
    let flag = args
        .iter()
        .enumerate()
        .find_map(|(i, a)| match a.strip_prefix("--lang") {
            Some("") => args.get(i + 1).map(String::as_str),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        });
    if output::Lang::choose(flag) == output::Lang::Zh {
        let valid = if valid.is_empty() {
            valid
        } else {
            format!("：可选 {valid}")
        };
        eprintln!(
            "venuecode: 参数有误（{what}{argument}）{valid}（此处不回显所填的值；见 --help）"
        );
    } else {
        let valid = if valid.is_empty() {
            valid
        } else {
            format!(": one of {valid}")
        };
        eprintln!("venuecode: {what}{argument}{valid} (values are not repeated here; see --help)");
    }
    ExitCode::from(error::EXIT_USAGE)
}
