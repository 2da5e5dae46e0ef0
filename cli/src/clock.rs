//! The command line's clock: the one place a command reads the system time. Every command
//! that decides takes `--at` instead, so that a run can be repeated exactly.

use crate::error::CliError;
use venuecode::Timestamp;

/// Now, by the system clock (the Unix epoch if the clock is set before it).
pub(crate) fn now() -> Timestamp {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_unix(i64::try_from(since.as_secs()).unwrap_or(i64::MAX))
}

/// The RFC 3339 time given (`--at`), or now.
pub(crate) fn time_or_now(at: Option<&str>) -> Result<Timestamp, CliError> {
    Ok(at
        .map(Timestamp::parse_rfc3339)
        .transpose()?
        .unwrap_or_else(now))
}
