//! Instants as whole seconds since the Unix epoch, read and written as RFC 3339.
//!
//! The library never reads a clock: callers pass `now` (a clock inside the core cannot be tested,
//! and `SystemTime::now()` panics on `wasm32-unknown-unknown`).

use crate::error::Error;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// An instant, in whole seconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From seconds since the Unix epoch.
    pub const fn from_unix(secs: i64) -> Self {
        Timestamp(secs)
    }

    /// From milliseconds since the Unix epoch (as JavaScript's `Date.now()`), rounded down.
    pub const fn from_unix_millis(millis: i64) -> Self {
        Timestamp(millis.div_euclid(1000))
    }

    /// Seconds since the Unix epoch.
    pub const fn unix(self) -> i64 {
        self.0
    }

    /// This instant moved by `secs` seconds, saturating at the ends of the range.
    pub const fn saturating_add(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs))
    }

    /// Reads an RFC 3339 time with any offset (`2022-04-01T08:00:00+08:00`). Fractions of a
    /// second are refused rather than dropped, since codes carry whole seconds.
    pub fn parse_rfc3339(text: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidInput {
            field: "time",
            reason: reason.to_owned(),
        };
        let t = OffsetDateTime::parse(text, &Rfc3339)
            .map_err(|_| invalid("not an RFC 3339 time such as 2022-04-01T08:00:00+08:00"))?;
        if t.nanosecond() != 0 {
            return Err(invalid("fractions of a second are not allowed"));
        }
        Ok(Timestamp(t.unix_timestamp()))
    }

    /// The RFC 3339 form in UTC (`2022-04-01T00:00:00Z`), or `None` outside years 0 to 9999.
    pub fn to_rfc3339(self) -> Option<String> {
        let t = OffsetDateTime::from_unix_timestamp(self.0).ok()?;
        t.format(&Rfc3339).ok()
    }
}

impl std::fmt::Display for Timestamp {
    /// RFC 3339 in UTC where it exists, otherwise `@` and the seconds.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.to_rfc3339() {
            Some(s) => f.write_str(&s),
            None => write!(f, "@{}", self.0),
        }
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse_rfc3339(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_honoured() {
        let a = Timestamp::parse_rfc3339("2022-04-01T08:00:00+08:00").unwrap();
        let b = Timestamp::parse_rfc3339("2022-04-01T00:00:00Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.unix(), 1_648_771_200);
        assert_eq!(a.to_string(), "2022-04-01T00:00:00Z");
    }

    #[test]
    fn fractions_and_garbage_are_refused() {
        assert!(Timestamp::parse_rfc3339("2022-04-01T00:00:00.5Z").is_err());
        assert!(Timestamp::parse_rfc3339("2022-04-01").is_err());
        assert!(Timestamp::parse_rfc3339("").is_err());
    }

    #[test]
    fn millis_round_down() {
        assert_eq!(Timestamp::from_unix_millis(1999).unix(), 1);
        assert_eq!(Timestamp::from_unix_millis(-1).unix(), -1);
    }

    #[test]
    fn out_of_range_displays_seconds() {
        assert_eq!(
            Timestamp::from_unix(i64::MAX).to_string(),
            format!("@{}", i64::MAX)
        );
    }
}
