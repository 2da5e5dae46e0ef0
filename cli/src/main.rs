//! `venuecode`: keys, trust lists, and issuing and verifying venue codes.
//!
//! Exit codes: 0 success, 1 rejected, 2 usage or I/O error (see `error.rs`).

mod cli;
mod demo;
mod error;
mod files;
mod keys;
mod lists;
mod person;
mod policy;
mod poster;
mod records;
mod scan;
mod venue;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Args::parse();
    match cli::run(args) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("venuecode: {e}");
            ExitCode::from(error::EXIT_USAGE)
        }
    }
}
