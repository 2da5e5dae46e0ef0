//! The command line's errors and its exit codes, which are stable:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success: the key was made, the code issued, the code is valid |
//! | 1 | rejected: the code did not verify (its error code says why) |
//! | 2 | usage or I/O error: bad arguments, unreadable or invalid files |
//! | 3 | a manual check by staff (`check`, and a door's `gate` and `check-in`) |

use std::path::{Path, PathBuf};

/// Exit code for success.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code when a code is rejected.
pub(crate) const EXIT_REJECTED: u8 = 1;
/// Exit code for usage and I/O errors.
pub(crate) const EXIT_USAGE: u8 = 2;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// An argument or file content that the library refused.
    #[error("{0} ({code})", code = .0.code())]
    Core(#[from] venuecode::Error),
    /// Something else about the arguments.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// The stable code: the library's, or `io` and `usage`.
    pub(crate) fn code(&self) -> &'static str {
        match self {
            CliError::Io { .. } => "io",
            CliError::Core(e) => e.code(),
            CliError::Usage(_) => "usage",
        }
    }

    /// What it means in Chinese, for staff: the library's own words for its errors
    /// ([`venuecode::Error::meaning_zh`]: an expired list is not a screenshot), else the
    /// meaning of the code.
    pub(crate) fn meaning_zh(&self) -> &'static str {
        match self {
            CliError::Core(e) => e.meaning_zh(),
            other => error_zh(other.code()),
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CliError + '_ {
        move |source| CliError::Io {
            path: path.to_owned(),
            source,
        }
    }
}

/// What a stable error code means, in Chinese, for staff: shown before the library's message
/// (which is English) under `--lang zh`. The core's meaning for its codes
/// ([`venuecode::meaning_zh`]), then the ledger's and the CLI's own.
pub(crate) fn error_zh(code: &str) -> &'static str {
    venuecode::meaning_zh(code).unwrap_or(match code {
        "key_mismatch" => "场所假名密钥不一致",
        "division_mismatch" => "场所码所写区划与登记不符",
        "already_resolved" => "该扫码已有工作人员的最终决定",
        "ledger" => "台账读写失败",
        "io" => "文件读写失败",
        _ => "用法错误",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stable_error_code_has_its_chinese_meaning() {
        let fallback = error_zh("no such code");
        for code in venuecode::ERROR_CODES.iter().chain(&[
            "key_mismatch",
            "division_mismatch",
            "already_resolved",
            "ledger",
            "io",
        ]) {
            assert_ne!(error_zh(code), fallback, "{code} has no Chinese text");
        }
    }
}
