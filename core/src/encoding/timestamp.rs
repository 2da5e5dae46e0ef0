//! Instants as whole seconds since the Unix epoch, read and written as RFC 3339.
//!
//! The library never reads a clock: callers pass `now` (a clock inside the core cannot be tested,
//! and `SystemTime::now()` panics on `wasm32-unknown-unknown`).

use crate::error::Error;

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((month + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // day is 1..=31 and month 1..=12 by construction.
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 0,
    }
}

/// Fixed-width decimal digits, or `None`.
fn digits(s: &[u8]) -> Option<u32> {
    s.iter().try_fold(0u32, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0'))
    })
}

/// `YYYY-MM-DD` as days since 1970-01-01.
pub(crate) fn parse_date(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let (year, month, day) = (
        i64::from(digits(&b[..4])?),
        digits(&b[5..7])?,
        digits(&b[8..10])?,
    );
    ((1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month))
        .then(|| days_from_civil(year, month, day))
}

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

    /// Seconds since the Unix epoch as the wire's 32 bits carry them (1970 to 2106), or `None`
    /// outside that range.
    pub fn unix_u32(self) -> Option<u32> {
        u32::try_from(self.unix()).ok()
    }

    /// This instant moved by `secs` seconds, saturating at the ends of the range.
    pub const fn saturating_add(self, secs: i64) -> Self {
        Timestamp(self.0.saturating_add(secs))
    }

    /// Reads an RFC 3339 time with any offset (`2022-04-01T08:00:00+08:00`). Fractions of a
    /// second (`.123`, up to nine digits) are dropped, since codes and records carry whole
    /// seconds; a leap second (`:60`) is refused.
    pub fn parse_rfc3339(text: &str) -> Result<Self, Error> {
        let invalid = |reason: &str| Error::InvalidInput {
            field: "time",
            reason: reason.to_owned(),
        };
        let not_rfc3339 = || invalid("not an RFC 3339 time such as 2022-04-01T08:00:00+08:00");
        let b = text.as_bytes();
        if b.len() < 20 || !matches!(b[10], b'T' | b't') || b[13] != b':' || b[16] != b':' {
            return Err(not_rfc3339());
        }
        let days = parse_date(&text[..10]).ok_or_else(not_rfc3339)?;
        let (hour, minute, second) = (digits(&b[11..13]), digits(&b[14..16]), digits(&b[17..19]));
        let (Some(hour), Some(minute), Some(second)) = (hour, minute, second) else {
            return Err(not_rfc3339());
        };
        if hour > 23 || minute > 59 || second > 59 {
            return Err(not_rfc3339());
        }
        // Fractions of a second (what JavaScript's `toISOString()` always writes): 1 to 9
        // digits, dropped, so a time rounds down to its second as a record keeps it.
        let rest = match &b[19..] {
            [b'.', tail @ ..] => {
                let n = tail.iter().take_while(|c| c.is_ascii_digit()).count();
                if !(1..=9).contains(&n) {
                    return Err(not_rfc3339());
                }
                &tail[n..]
            }
            rest => rest,
        };
        let offset = match rest {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let (oh, om) = (
                    digits(&[*h1, *h2]).ok_or_else(not_rfc3339)?,
                    digits(&[*m1, *m2]).ok_or_else(not_rfc3339)?,
                );
                if oh > 23 || om > 59 {
                    return Err(not_rfc3339());
                }
                let secs = i64::from(oh * 3600 + om * 60);
                if *sign == b'-' { -secs } else { secs }
            }
            _ => return Err(not_rfc3339()),
        };
        let local = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
        Ok(Timestamp(local - offset))
    }

    /// The RFC 3339 form in UTC (`2022-04-01T00:00:00Z`), or `None` outside years 0 to 9999.
    pub fn to_rfc3339(self) -> Option<String> {
        self.format_at_offset(0, "Z")
    }

    /// The RFC 3339 form in China Standard Time, with its offset shown
    /// (`2022-04-01T08:00:00+08:00`): what people at a door read. Machine outputs (JSON, exports)
    /// stay in UTC.
    pub fn to_rfc3339_cst(self) -> Option<String> {
        self.format_at_offset(CST_OFFSET_SECS, "+08:00")
    }

    /// [`Timestamp::to_rfc3339_cst`], or `@` and the seconds outside years 0 to 9999.
    pub fn cst(self) -> String {
        self.to_rfc3339_cst()
            .unwrap_or_else(|| format!("@{}", self.0))
    }

    fn format_at_offset(self, offset: i64, suffix: &str) -> Option<String> {
        let local = self.0.checked_add(offset)?;
        let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
        let (year, month, day) = civil_from_days(days);
        (0..=9999).contains(&year).then(|| {
            format!(
                "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}{suffix}",
                secs / 3600,
                secs / 60 % 60,
                secs % 60
            )
        })
    }
}

/// China Standard Time's offset from UTC, in seconds: days at venues are counted in it.
pub(crate) const CST_OFFSET_SECS: i64 = 8 * 3600;

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
        // People read China Standard Time, with the offset shown; it parses back to the instant.
        assert_eq!(a.cst(), "2022-04-01T08:00:00+08:00");
        let late = Timestamp::parse_rfc3339("2022-03-31T16:30:00Z").unwrap();
        assert_eq!(late.cst(), "2022-04-01T00:30:00+08:00");
        assert_eq!(Timestamp::parse_rfc3339(&late.cst()).unwrap(), late);
        assert_eq!(
            Timestamp::from_unix(i64::MAX).cst(),
            format!("@{}", i64::MAX)
        );
    }

    #[test]
    fn fractions_round_down_and_garbage_is_refused() {
        let second = Timestamp::parse_rfc3339("2022-04-01T00:00:00Z").unwrap();
        for text in [
            "2022-04-01T00:00:00.5Z",
            "2022-04-01T00:00:00.999999999Z",
            "2022-04-01T08:00:00.123+08:00",
            "2022-03-31T20:00:00.001-04:00",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(text).unwrap(), second, "{text}");
        }
        for bad in [
            "2022-04-01T00:00:00.Z",
            "2022-04-01T00:00:00.1234567890Z",
            "2022-04-01T00:00:00.5",
            "2022-04-01T00:00:00,5Z",
            "2022-04-01T00:00:00.5x+08:00",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad}");
        }
        assert!(Timestamp::parse_rfc3339("2022-04-01").is_err());
        assert!(Timestamp::parse_rfc3339("").is_err());
    }

    #[test]
    fn millis_round_down() {
        assert_eq!(Timestamp::from_unix_millis(1999).unix(), 1);
        assert_eq!(Timestamp::from_unix_millis(-1).unix(), -1);
    }

    #[test]
    fn strict_form() {
        for bad in [
            "2022-04-01 08:00:00Z",
            "2022-04-01T08:00:00",
            "2022-04-01T24:00:00Z",
            "2022-04-01T08:60:00Z",
            "2022-04-01T08:00:60Z",
            "2022-02-29T08:00:00Z",
            "2022-04-01T08:00:00+24:00",
            "2022-04-01T08:00:00+08",
            "2022-4-01T08:00:00Z",
            "２０２２-04-01T08:00:00Z",
        ] {
            assert!(Timestamp::parse_rfc3339(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Timestamp::parse_rfc3339("2024-02-29t23:59:59z")
                .unwrap()
                .to_string(),
            "2024-02-29T23:59:59Z"
        );
        assert_eq!(
            Timestamp::parse_rfc3339("1969-12-31T23:59:59Z")
                .unwrap()
                .unix(),
            -1
        );
    }

    proptest::proptest! {
        /// The hand-written calendar agrees with the `time` crate, both ways.
        #[test]
        fn agrees_with_the_time_crate(secs in -62_167_219_200i64..253_402_300_799, offset_min in -1439i32..=1439) {
            use time::format_description::well_known::Rfc3339;
            let t = Timestamp::from_unix(secs);
            let reference = time::OffsetDateTime::from_unix_timestamp(secs).unwrap();
            proptest::prop_assert_eq!(t.to_rfc3339().unwrap(), reference.format(&Rfc3339).unwrap());
            let offset = time::UtcOffset::from_whole_seconds(offset_min * 60).unwrap();
            let shifted = reference.to_offset(offset);
            if (0..=9999).contains(&shifted.year()) {
                let text = shifted.format(&Rfc3339).unwrap();
                proptest::prop_assert_eq!(Timestamp::parse_rfc3339(&text).unwrap(), t, "{}", text);
            }
        }
    }

    #[test]
    fn out_of_range_displays_seconds() {
        assert_eq!(
            Timestamp::from_unix(i64::MAX).to_string(),
            format!("@{}", i64::MAX)
        );
    }
}
