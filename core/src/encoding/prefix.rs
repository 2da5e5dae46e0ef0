//! Issuer URL prefixes (SPEC.md §3): the part of a code's text a phone's own scanner opens.
//!
//! ```text
//! prefix  = "HTTPS://" host "/" *(segment "/")         ; at most 64 characters
//! host    = label 1*("." label)                        ; the last label not all digits
//! label   = (A-Z / 0-9) [*61(A-Z / 0-9 / "-") (A-Z / 0-9)]
//! segment = 1*(A-Z / 0-9 / "-")
//! ```
//!
//! Nothing else: no port, user, `$`, `*`, `+`, `:` or `.` in the path, so `HTTPS://::/`,
//! `HTTPS://VC.SH.GOV.CN$.EVIL.CC/` and `/../` are refused, and the host a phone opens is the
//! host shown to the person checking a code ([`Prefix::host`]).

use crate::error::FormatError;

/// The longest URL prefix, in characters.
pub const MAX_PREFIX_LEN: usize = 64;

/// An issuer's URL prefix of the strict grammar above.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Prefix(String);

impl Prefix {
    /// Checks and wraps a prefix.
    pub fn new(prefix: &str) -> Result<Self, crate::error::Error> {
        check(prefix).map_err(|e| crate::error::Error::InvalidInput {
            field: "prefix",
            reason: e.to_string(),
        })?;
        Ok(Prefix(prefix.to_owned()))
    }

    /// The prefix text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The host a phone opens (`VC.SH.GOV.CN`).
    pub fn host(&self) -> &str {
        host_of(&self.0)
    }
}

impl std::fmt::Display for Prefix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The host of a prefix that passed [`check`].
pub(crate) fn host_of(prefix: &str) -> &str {
    let rest = prefix.strip_prefix("HTTPS://").unwrap_or(prefix);
    rest.split('/').next().unwrap_or(rest)
}

fn is_alnum(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

/// Checks a prefix against the grammar.
pub(crate) fn check(prefix: &str) -> Result<(), FormatError> {
    let rest = prefix
        .strip_prefix("HTTPS://")
        .ok_or(FormatError::BadPrefix("must start with HTTPS://"))?;
    if prefix.len() > MAX_PREFIX_LEN {
        return Err(FormatError::BadPrefix("longer than 64 characters"));
    }
    let path = rest
        .strip_suffix('/')
        .ok_or(FormatError::BadPrefix("must end with /"))?;
    let mut parts = path.split('/');
    let host = parts.next().unwrap_or_default();
    let labels: Vec<&str> = host.split('.').collect();
    if labels.len() < 2 {
        return Err(FormatError::BadPrefix("the host must be a domain name"));
    }
    for label in &labels {
        let b = label.as_bytes();
        let ldh = b.iter().all(|&c| is_alnum(c) || c == b'-');
        if b.is_empty() || b.len() > 63 || !ldh || !is_alnum(b[0]) || !is_alnum(b[b.len() - 1]) {
            return Err(FormatError::BadPrefix(
                "host labels are 1-63 of A-Z 0-9 -, not starting or ending with -",
            ));
        }
    }
    if labels
        .last()
        .is_some_and(|l| l.bytes().all(|c| c.is_ascii_digit()))
    {
        return Err(FormatError::BadPrefix(
            "the host must be a name, not an address",
        ));
    }
    for segment in parts {
        if segment.is_empty() || !segment.bytes().all(|c| is_alnum(c) || c == b'-') {
            return Err(FormatError::BadPrefix(
                "path segments are 1 or more of A-Z 0-9 -",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        for (ok, host) in [
            ("HTTPS://VC.SH.GOV.CN/1/", "VC.SH.GOV.CN"),
            ("HTTPS://A.B/", "A.B"),
            ("HTTPS://HC.SH.GOV.CN/P/", "HC.SH.GOV.CN"),
            ("HTTPS://VC-2.SH.GOV.CN/V-1/2/", "VC-2.SH.GOV.CN"),
        ] {
            assert_eq!(Prefix::new(ok).unwrap().host(), host, "{ok}");
        }
        for bad in [
            "HTTP://VC.SH.GOV.CN/1/",
            "https://vc.sh.gov.cn/1/",
            "HTTPS://VC.SH.GOV.CN/1",
            "HTTPS:///",
            "HTTPS://::/",
            "HTTPS://VC.SH.GOV.CN$.EVIL.CC/",
            "HTTPS://VC.SH.GOV.CN/../",
            "HTTPS://VC.SH.GOV.CN/./",
            "HTTPS://VC.SH.GOV.CN//",
            "HTTPS://A.B:8443/V/",
            "HTTPS://LOCALHOST/",
            "HTTPS://10.0.0.1/",
            "HTTPS://-A.B/",
            "HTTPS://A-.B/",
            "HTTPS://A..B/",
            "HTTPS://VC SH.CN/",
            "HTTPS://VC%20SH.CN/",
            "HTTPS://VC.SH.GOV.CN/?A=1/",
            "HTTPS://USER@VC.SH.GOV.CN/",
            "HTTPS://VC.SH.GOV.CN/A*B/",
        ] {
            assert!(Prefix::new(bad).is_err(), "{bad}");
        }
        let long = format!("HTTPS://{}.CN/", "A".repeat(MAX_PREFIX_LEN));
        assert!(Prefix::new(&long).is_err());
    }
}
