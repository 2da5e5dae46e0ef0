//! Standard output for every command. A closed pipe (`venuecode records … | head -1`) ends the
//! output quietly instead of panicking, and the command goes on to its end: `gate` still stores
//! its record. Text that comes from outside (decoded QR codes, ledger cells) is escaped for the
//! terminal with [`venuecode::text::for_terminal`] before it is shown.

use crate::error::CliError;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes one line to standard output; after a write fails (a closed pipe), writes nothing more.
pub(crate) fn line(args: std::fmt::Arguments<'_>) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out
        .write_fmt(args)
        .and_then(|()| out.write_all(b"\n"))
        .and_then(|()| out.flush())
        .is_err()
    {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Writes bytes to standard output as they are (a signed file sent to a pipe).
pub(crate) fn bytes(b: &[u8]) {
    if CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if out.write_all(b).and_then(|()| out.flush()).is_err() {
        CLOSED.store(true, Ordering::Relaxed);
    }
}

/// Writes a value as one line of JSON.
pub(crate) fn json(value: &impl serde::Serialize) -> Result<(), CliError> {
    let text = serde_json::to_string(value).map_err(|e| CliError::Usage(e.to_string()))?;
    line(format_args!("{text}"));
    Ok(())
}

/// Text from outside, safe to show on a terminal.
pub(crate) fn shown(text: &str) -> std::borrow::Cow<'_, str> {
    venuecode::text::for_terminal(text)
}

/// `println!` for commands: one line to standard output through [`line()`].
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::line(format_args!($($arg)*))
    };
}
pub(crate) use say;
